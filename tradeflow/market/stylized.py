"""Stylized facts of real markets, measured on simulated (or real) prices and order flow.

Each check is one row of a table: the statistic, its value, the literature's range and
whether it holds (Cont 2001; Bouchaud, Bonart, Donier & Gould 2018). Facts whose inputs are
not given are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.core.time import NS_PER_DAY
from tradeflow.schema import Liquidity, OrderOrigin

__all__ = ["stylized_facts", "hill_tail_index", "hurst_aggregated_variance", "pooled_autocorrelation",
           "power_law_exponent", "deseasonalized_abs_returns", "intraday_ratios", "market_facts", "metaorder_ids",
           "metaorder_impact", "run_metaorder_impact", "impact_loglog_slope"]

_NS_PER_DAY = NS_PER_DAY
_ALGO_CHILD = int(OrderOrigin.ALGO_CHILD)
_LIQ_TAKER = int(Liquidity.TAKER)


def hill_tail_index(x: np.ndarray, *, tail: float = 0.025) -> float:
    """Hill estimator of the tail exponent of ``|x|`` from its largest ``tail`` share."""
    a = np.sort(np.abs(np.asarray(x, np.float64)))[::-1]
    a = a[a > 0]
    k = max(int(tail * a.size), 10)
    if a.size <= k:
        return float("nan")
    return float(1.0 / np.mean(np.log(a[:k] / a[k])))


def pooled_autocorrelation(segments: list[np.ndarray], lags: int) -> np.ndarray:
    """Autocorrelation at lags ``1..lags`` of several series pooled (each demeaned, no cross-segment pairs).

    ``sum_segments sum_t x_t x_{t+k} / sum_segments sum_t x_t ** 2``; for one series this is
    ``statsmodels.tsa.stattools.acf`` (the biased estimator) at lags ``1..lags``.
    """
    num = np.zeros(lags)
    den = 0.0
    for s in segments:
        s = np.asarray(s, np.float64) - np.mean(s)
        den += float(s @ s)
        if s.size < 2:
            continue
        n_fft = 1 << int(np.ceil(np.log2(2 * s.size)))
        f = np.fft.rfft(s, n_fft)
        c = np.fft.irfft(f * np.conj(f), n_fft)[1:lags + 1]
        num[: c.size] += c  # zero past the series' length: the padding leaves no wrap-around
    return num / den if den > 0 else np.full(lags, np.nan)


def power_law_exponent(acf: np.ndarray, *, lo: int = 10, hi: int | None = None, n_points: int = 12) -> float:
    """Exponent ``gamma`` of ``acf[lag - 1] ~ lag ** -gamma``: least squares on log-log over log-spaced
    lags in ``[lo, hi]`` (default: the last lag), each the mean of the ACF over its log bin.
    NaN when a bin's mean is not positive (the correlation has died out before ``hi``)."""
    acf = np.asarray(acf, np.float64)
    hi = acf.size if hi is None else min(hi, acf.size)
    if hi <= lo:
        return float("nan")
    edges = np.unique(np.logspace(np.log10(lo), np.log10(hi + 1), n_points + 1).astype(int))
    x, y = [], []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        v = acf[a - 1: b - 1].mean()
        if not v > 0:
            return float("nan")
        x.append(np.log(np.sqrt(a * (b - 1)) if b - 1 > a else a))
        y.append(np.log(v))
    return float(-np.polyfit(x, y, 1)[0])


def hurst_aggregated_variance(segments: list[np.ndarray], *, min_block: int = 10, max_share: float = 0.05) -> float:
    """Hurst exponent from the variance of block sums, ``Var(sum of m) ~ m ** (2H)``, pooled over series.

    Block sizes run log-spaced from ``min_block`` to ``max_share`` of the shortest usable series.
    """
    segs = [np.asarray(s, np.float64) - np.mean(s) for s in segments if len(s) >= min_block * 20]
    if not segs:
        return float("nan")
    top = max(int(max_share * min(len(s) for s in segs)), min_block * 4)
    ms = np.unique(np.logspace(np.log10(min_block), np.log10(top), 12).astype(int))
    v = []
    for m in ms:
        tot, cnt = 0.0, 0
        for s in segs:
            nb = s.size // m
            sums = s[: nb * m].reshape(nb, m).sum(axis=1)
            tot += float(np.sum((sums - sums.mean()) ** 2))
            cnt += nb - 1
        v.append(tot / cnt)
    slope = np.polyfit(np.log(ms), np.log(v), 1)[0]
    return float(slope / 2.0)


def metaorder_ids(*, ts: np.ndarray, client: np.ndarray, instrument: np.ndarray, side: np.ndarray,
                  parent_id: np.ndarray | None = None, origin: np.ndarray | None = None) -> np.ndarray:
    """Group orders into metaorders: a client's runs of same-instrument, same-side orders within a day.

    Orders are taken per client in time order; a run breaks when the instrument, the side or
    the (UTC) day changes. Algo children (``origin`` = ALGO_CHILD) form one metaorder per
    ``parent_id`` and are left out of their client's runs.

    Returns
    -------
    int64 ndarray of shape (n_orders,): metaorder ids ``0..n_metaorders - 1``.
    """
    ts = np.asarray(ts, np.int64)
    n = ts.shape[0]
    child = np.zeros(n, bool) if origin is None else np.asarray(origin) == _ALGO_CHILD
    out = np.empty(n, np.int64)
    rows = np.flatnonzero(~child)
    rows = rows[np.lexsort((rows, ts[rows], np.asarray(client)[rows]))]
    keys = (np.asarray(client)[rows], np.asarray(instrument)[rows], np.asarray(side)[rows], ts[rows] // _NS_PER_DAY)
    new = np.ones(rows.size, bool)
    for k in keys:
        new[1:] &= k[1:] == k[:-1]
    new = ~new
    if rows.size:
        new[0] = True
    run = np.cumsum(new) - 1
    out[rows] = run
    n_runs = int(run[-1]) + 1 if rows.size else 0
    if child.any():
        _, pid = np.unique(np.asarray(parent_id)[child], return_inverse=True)
        out[child] = n_runs + pid
    return out


def metaorder_impact(*, meta: np.ndarray, instrument: np.ndarray, side: np.ndarray,
                     exec_row: np.ndarray, exec_ts: np.ndarray, exec_qty: np.ndarray, times: np.ndarray,
                     mid: np.ndarray, volume: np.ndarray, reference: np.ndarray | None = None,
                     min_orders: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Size and impact of each executed metaorder, in the units of the square-root law.

    A metaorder's size ``Q`` is the quantity its executions traded; its impact the signed log
    change of the mid from the last grid time before its first execution to the first grid
    time after its last. Pass the executions that took liquidity: passive fills are selected
    by the price coming to them (adverse selection), which is not impact. Metaorders with
    fewer than ``min_orders`` executed orders are left out: one order's move is the book's
    immediate response, not a metaorder's impact. Both are normalized per instrument and day: ``Q / V`` (``V``
    the day's traded volume) and ``impact / sigma`` (``sigma`` the day's volatility: the
    standard deviation of 1-minute log mid returns times the square root of their number).

    Parameters
    ----------
    meta : int64 ndarray of shape (n_orders,)
        Metaorder of each order (:func:`metaorder_ids`).
    instrument, side : ndarray of shape (n_orders,)
    exec_row, exec_ts, exec_qty : ndarray of shape (n_executions,)
        Executions: row of their order, time, quantity.
    times : int64 ndarray of shape (n_steps,)
        The quote grid (sorted, one or several sessions).
    mid, volume : ndarray of shape (n_steps, n_instruments)
        Mid prices and traded quantity at each grid time.
    reference : ndarray of shape (n_steps, n_instruments), optional
        A price that the metaorders do not move (in a simulation: the exogenous fair
        price); its log change over each metaorder is subtracted, as market-adjusted impact
        subtracts the index. The mean impact is unchanged (the reference is independent of
        the metaorders' sides) but its noise shrinks from the price's diffusion over the
        metaorder's life to the flow's own.
    min_orders : int, default=2

    Returns
    -------
    size, impact : float64 ndarrays of shape (n_executed_metaorders,)
    """
    meta = np.asarray(meta, np.int64)
    n_meta = int(meta.max()) + 1 if meta.size else 0
    exec_row = np.asarray(exec_row, np.int64)
    if n_meta == 0 or exec_row.size == 0:
        return np.zeros(0), np.zeros(0)
    em = meta[exec_row]
    q = np.bincount(em, weights=exec_qty, minlength=n_meta)
    t_end = np.full(n_meta, -1, np.int64)
    np.maximum.at(t_end, em, np.asarray(exec_ts, np.int64))
    t_start = np.full(n_meta, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(t_start, em, np.asarray(exec_ts, np.int64))
    m_inst = np.zeros(n_meta, np.int64)
    m_inst[meta] = instrument
    m_side = np.zeros(n_meta, np.float64)
    m_side[meta] = side
    times = np.asarray(times, np.int64)
    mid = np.asarray(mid, np.float64)
    day = times // _NS_PER_DAY
    days = np.unique(day)
    sigma = np.full((days.size, mid.shape[1]), np.nan)
    vol = np.zeros((days.size, mid.shape[1]))
    idx = pd.to_datetime(times, unit="ns", utc=True)
    for d, dd in enumerate(days):
        m = day == dd
        vol[d] = np.asarray(volume, np.float64)[m].sum(axis=0)
        lm = pd.DataFrame(np.log(mid[m]), index=idx[m]).resample("1min").last().diff().iloc[1:]
        sigma[d] = lm.std().to_numpy() * np.sqrt(lm.notna().sum().to_numpy())
    n_orders = np.bincount(meta[np.unique(exec_row)], minlength=n_meta)
    ok = (q > 0) & (t_end >= 0) & (n_orders >= min_orders)
    k0 = np.maximum(np.searchsorted(times, t_start, side="right") - 1, 0)
    k1 = np.minimum(np.searchsorted(times, t_end, side="right"), times.size - 1)
    d_of = np.searchsorted(days, day[k0])
    ok &= day[k1] == day[k0]
    move = np.log(mid[k1, m_inst] / mid[k0, m_inst])
    if reference is not None:
        ref = np.asarray(reference, np.float64)
        move = move - np.log(ref[k1, m_inst] / ref[k0, m_inst])
    with np.errstate(invalid="ignore", divide="ignore"):
        imp = m_side * move / sigma[d_of, m_inst]
        size = q / vol[d_of, m_inst]
    ok &= np.isfinite(imp) & np.isfinite(size) & (size > 0)
    return size[ok], imp[ok]


def impact_loglog_slope(size: np.ndarray, impact: np.ndarray, *, n_bins: int = 10, min_count: int = 50,
                        trim: float = 0.01) -> tuple[float, pd.DataFrame]:
    """Log-log slope of the mean impact against size, over log-spaced size bins (pooled).

    Bins span the ``trim`` to ``1 - trim`` quantiles of ``size``; bins with fewer than
    ``min_count`` metaorders or a non-positive mean impact are left out of the fit.

    Returns
    -------
    slope : float (NaN with fewer than three usable bins)
    bins : DataFrame with ``size, impact, count`` per bin (means)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> q = 10 ** rng.uniform(-5, -2, 20_000)
    >>> slope, _ = impact_loglog_slope(q, 0.8 * np.sqrt(q) + rng.normal(0, 0.01, q.size))
    >>> round(slope, 1)
    0.5
    """
    size, impact = np.asarray(size, np.float64), np.asarray(impact, np.float64)
    ok = np.isfinite(size) & np.isfinite(impact) & (size > 0)
    size, impact = size[ok], impact[ok]
    empty = pd.DataFrame({"size": [], "impact": [], "count": []})
    if size.size < min_count * 3:
        return float("nan"), empty
    lo, hi = np.quantile(size, [trim, 1.0 - trim])
    if not hi > lo:
        return float("nan"), empty
    edges = np.logspace(np.log10(lo), np.log10(hi), n_bins + 1)
    b = np.searchsorted(edges, size, side="right") - 1
    keep = (b >= 0) & (b < n_bins)
    cnt = np.bincount(b[keep], minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        ms = np.bincount(b[keep], weights=size[keep], minlength=n_bins) / cnt
        mi = np.bincount(b[keep], weights=impact[keep], minlength=n_bins) / cnt
    bins = pd.DataFrame({"size": ms, "impact": mi, "count": cnt})
    use = (cnt >= min_count) & (mi > 0)
    if use.sum() < 3:
        return float("nan"), bins
    return float(np.polyfit(np.log(ms[use]), np.log(mi[use]), 1)[0]), bins


def _minute_returns(prices: pd.DataFrame, seconds: int = 60) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per (day, instrument): log returns on a ``seconds`` grid from the first quote, and their index in the session."""
    out = []
    for _, day in prices.groupby(prices.index.normalize()):
        for col in day.columns:
            p = day[col].dropna()
            p = p[p > 0]
            if p.size < 3:
                continue
            t0 = p.index[0]
            sampled = p.resample(f"{seconds}s", origin=t0).last().dropna()
            k = ((sampled.index - t0) // pd.Timedelta(seconds=seconds)).to_numpy(np.int64)
            lr = np.diff(np.log(sampled.to_numpy(np.float64)))
            if lr.size > 2:
                out.append((lr, k[1:]))
    return out


def deseasonalized_abs_returns(returns: list[tuple[np.ndarray, np.ndarray]], *, smooth: int = 5) -> list[np.ndarray]:
    """``|r|`` divided by its mean at the same minute of the session (over all days and instruments,
    smoothed over ``+-smooth`` minutes): the absolute returns with the time-of-day pattern removed,
    so that their autocorrelation measures clustering, not the intraday U-shape."""
    if not returns:
        return []
    n = max(int(k.max()) for _, k in returns) + 1
    tot, cnt = np.zeros(n), np.zeros(n)
    for r, k in returns:
        scale = np.std(r)
        if scale > 0:
            np.add.at(tot, k, np.abs(r) / scale)
            np.add.at(cnt, k, 1.0)
    w = np.ones(2 * smooth + 1)
    prof = np.convolve(tot, w, "same") / np.maximum(np.convolve(cnt, w, "same"), 1e-12)
    out = []
    for r, k in returns:
        scale = np.std(r)
        if scale > 0:
            out.append(np.abs(r) / scale / np.where(prof[k] > 0, prof[k], 1.0))
    return out


def intraday_ratios(values: pd.DataFrame, *, how: str = "sum", bucket_minutes: int = 30) -> tuple[float, float]:
    """First and last ``bucket_minutes`` of each session against its middle third, averaged over days
    and instruments: the intraday U-shape of a quantity (``how``: ``"sum"`` for volume, ``"mean"``
    for spreads, ``"std"`` for returns). Sessions start at each column's first value of the day,
    so venues with different local sessions are each measured against their own."""
    opens, closes = [], []
    for _, day in values.groupby(values.index.normalize()):
        for col in day.columns:
            v = day[col].dropna()
            if v.size < 10:
                continue
            t0 = v.index[0]
            b = ((v.index - t0) // pd.Timedelta(minutes=bucket_minutes)).to_numpy(np.int64)
            per = getattr(pd.Series(v.to_numpy(np.float64)).groupby(b), how)().to_numpy()
            if per.size < 6:
                continue
            mid = np.mean(per[per.size // 3: 2 * per.size // 3])
            if mid > 0:
                opens.append(per[0] / mid)
                closes.append(per[-1] / mid)
    if not opens:
        return float("nan"), float("nan")
    return float(np.mean(opens)), float(np.mean(closes))


def _returns_by_day(prices: pd.DataFrame, minutes: int) -> list[np.ndarray]:
    out = []
    for _, day in prices.groupby(prices.index.normalize()):
        sampled = day.resample(f"{minutes}min").last().dropna(how="all")
        lr = np.log(sampled.to_numpy(np.float64))
        for col in range(lr.shape[1]):
            r = np.diff(lr[:, col])
            r = r[np.isfinite(r)]
            if r.size > 2:
                out.append(r)
    return out


_CONT = "Cont 2001"
_BBDG = "Bouchaud, Bonart, Donier & Gould 2018"
_LMF = "Lillo, Mike & Farmer 2005"


def stylized_facts(prices: pd.DataFrame, *, arrival_ts: np.ndarray | None = None,
                   signs: list[np.ndarray] | None = None, sizes: np.ndarray | None = None,
                   volume_ts: np.ndarray | None = None, volume: np.ndarray | None = None,
                   spread_ticks: np.ndarray | None = None,
                   impact: list[tuple[np.ndarray, np.ndarray]] | None = None,
                   volumes: pd.DataFrame | None = None, spreads: pd.DataFrame | None = None,
                   sign_lags: int = 1_000) -> pd.DataFrame:
    """Measure the stylized facts of a market, as strictly as the literature does.

    Nine facts, each one or more rows: heavy tails, no linear autocorrelation of returns,
    volatility clustering (with the time-of-day pattern removed), long memory of order
    signs, intraday seasonality of volume, volatility and spread, the spread's distribution
    in ticks, the order-size tail, clustered arrivals and the square-root impact law.

    Parameters
    ----------
    prices : DataFrame
        Mid prices indexed by UTC time (one or several sessions), one column per
        instrument; returns are taken within each day, never overnight.
    arrival_ts : int64 ndarray, optional
        Order arrival times (ns): clustering is the variance/mean of 1-minute counts within
        30-minute windows (which removes the intraday profile; about 1 for Poisson arrivals).
    signs : list of int ndarray, optional
        Signs (+1/-1) of orders in time order, one array per instrument and day: their
        pooled autocorrelation to ``sign_lags``, its power-law exponent over lags 10 to
        ``sign_lags`` and the Hurst exponent of blocks of 40 orders and more.
    sizes : ndarray, optional
        Order sizes (shares).
    volume_ts, volume : ndarray, optional
        Traded quantity and its times (ns): the intraday seasonality of volume (when
        ``volumes`` is not given; one session per UTC day).
    spread_ticks : ndarray, optional
        Quoted spreads in ticks (where both sides are quoted), when ``spreads`` is not given.
    impact : list of (size, impact) array pairs, optional
        Metaorder sizes in units of daily volume and their impacts in units of daily
        volatility (:func:`metaorder_impact`), pooled (e.g. over instruments, days and
        seeds); the log-log slope of the mean impact over log-spaced size bins
        (:func:`impact_loglog_slope`) is the square-root law's exponent.
    volumes, spreads : DataFrame, optional
        Traded quantity per grid step and quoted spread in ticks (NaN where a side is
        empty), indexed like ``prices``: the U-shapes of volume and spread per session
        (:func:`intraday_ratios`), and the spread's distribution.
    sign_lags : int, default=1000

    Returns
    -------
    DataFrame with columns ``fact, statistic, value, low, high, source, holds`` (``low``/``high``
    bound the literature's range; NaN where one-sided).

    Examples
    --------
    >>> idx = pd.date_range("2026-11-25 14:30", periods=23_400, freq="1s", tz="UTC")
    >>> p = pd.DataFrame({"A": 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 1e-4, idx.size)))}, idx)
    >>> facts = stylized_facts(p)
    >>> bool(facts.set_index("statistic").loc["abs_autocorr_lag1", "holds"])  # GBM: no volatility clustering
    False
    """
    rows: list[tuple[str, str, float, float, float, str]] = []

    def add(fact: str, stat: str, value: float, low: float = np.nan, high: float = np.nan, source: str = _BBDG) -> None:
        rows.append((fact, stat, float(value), low, high, source))

    r1 = _returns_by_day(prices, 1)
    if r1:
        pooled = np.concatenate([(r - r.mean()) / r.std() for r in r1 if r.std() > 0])
        n = pooled.size
        r30 = _returns_by_day(prices, 30)
        k30 = np.concatenate([(r - r.mean()) / r.std() for r in r30 if r.std() > 0]) if r30 else np.array([])
        kurt1 = float(pd.Series(pooled).kurt())
        kurt30 = float(pd.Series(k30).kurt()) if k30.size > 3 else np.nan
        add("heavy tails", "excess_kurtosis_1min", kurt1, 3.0, source=_CONT)
        add("heavy tails", "excess_kurtosis_1min_minus_30min", kurt1 - kurt30, 0.0, source=_CONT)
        add("heavy tails", "hill_tail_index_1min", hill_tail_index(pooled), 2.0, 5.0, source=_CONT)
        acf = pooled_autocorrelation(r1, 10)
        band = 2.0 / np.sqrt(n)
        add("no return autocorrelation", "autocorr_lag1", acf[0], -0.1, 0.1, source=_CONT)
        add("no return autocorrelation", "mean_abs_autocorr_lag2_10", np.mean(np.abs(acf[1:])), 0.0, band,
            source=_CONT)
        r10s = [r for r, _ in _minute_returns(prices, 10)]
        if r10s:
            # mids mean-revert slightly at short lags; a positive value means the mid lags the price
            add("no return autocorrelation", "autocorr_10s_lag1", pooled_autocorrelation(r10s, 1)[0], -0.15, 0.02)
        aacf = pooled_autocorrelation([np.abs(r) for r in r1], 10)
        add("volatility clustering", "abs_autocorr_lag1", aacf[0], 0.1, 0.5, source=_CONT)
        add("volatility clustering", "abs_autocorr_lag10", aacf[9], band, source=_CONT)
        des = deseasonalized_abs_returns(_minute_returns(prices, 60))
        if des:
            dacf = pooled_autocorrelation(des, 30)
            add("volatility clustering", "abs_autocorr_deseasonalized_lag30", dacf[29], 0.05, 0.3, source=_CONT)
            add("volatility clustering", "abs_autocorr_deseasonalized_lag30_to_lag1", dacf[29] / dacf[0], 0.25,
                source=_CONT)
    if signs is not None and sum(len(s) for s in signs) > 0:
        segs = [np.asarray(s, np.float64) for s in signs]
        add("long memory of order signs", "hurst_signs", hurst_aggregated_variance(segs, min_block=40), 0.6, 0.85,
            source=_LMF)
        sacf = pooled_autocorrelation(segs, sign_lags)
        add("long memory of order signs", "sign_autocorr_lag100", sacf[min(99, sacf.size - 1)], 0.01, source=_LMF)
        add("long memory of order signs", "sign_acf_exponent", power_law_exponent(sacf, lo=10, hi=sign_lags),
            0.2, 0.8, source=_LMF)
    if arrival_ts is not None and len(arrival_ts) > 0:
        minute = np.asarray(arrival_ts, np.int64) // 60_000_000_000
        counts = np.bincount(minute - minute.min())
        windows = [counts[i:i + 30] for i in range(0, counts.size - 29, 30)]
        ratios = [w.var(ddof=1) / w.mean() for w in windows if w.mean() > 0]
        add("clustered arrivals", "count_variance_to_mean_1min", np.mean(ratios) if ratios else np.nan, 2.0)
    if volumes is None and volume_ts is not None and volume is not None and len(volume) > 0:
        volumes = pd.DataFrame({"all": np.asarray(volume, np.float64)},
                               index=pd.to_datetime(np.asarray(volume_ts, np.int64), unit="ns", utc=True))
        volumes = volumes.groupby(level=0).sum()
    if volumes is not None and len(volumes) > 0:
        o, c = intraday_ratios(volumes, how="sum")
        add("intraday seasonality", "first_30min_volume_to_midday", o, 1.3)
        add("intraday seasonality", "last_30min_volume_to_midday", c, 1.3)
    if r1:
        rets = np.log(prices.where(prices > 0)).groupby(prices.index.normalize()).diff()
        o, c = intraday_ratios(rets.resample("1min").sum(min_count=1), how="std")
        add("intraday seasonality", "first_30min_volatility_to_midday", o, 1.3)
        add("intraday seasonality", "last_30min_volatility_to_midday", c, 1.2)
    if spreads is not None and len(spreads) > 0:
        o, _ = intraday_ratios(spreads, how="mean")
        add("intraday seasonality", "first_30min_spread_to_midday", o, 1.1)
        spread_ticks = spreads.to_numpy(np.float64).ravel()
    if sizes is not None and len(sizes) > 0:
        s = np.asarray(sizes, np.float64)
        add("order sizes", "size_tail_exponent", hill_tail_index(s, tail=0.05), 1.2, 2.5, source=_CONT)
        round_share = float(np.mean(s % 100 == 0))
        # a smooth size distribution puts ~1% of sizes on multiples of 100
        add("order sizes", "round_lot_share", round_share, 0.05)
    if spread_ticks is not None and len(spread_ticks) > 0:
        sp = np.asarray(spread_ticks, np.float64)
        sp = sp[np.isfinite(sp)]
        if sp.size:
            add("spread", "min_spread_ticks", float(np.min(sp)), 1.0 - 1e-9)
            add("spread", "median_spread_ticks", float(np.median(np.rint(sp))), 1.0, 2.0)
            add("spread", "one_tick_share", float(np.mean(np.rint(sp) <= 1)), 0.2)
    if impact:
        size = np.concatenate([np.asarray(s, np.float64) for s, _ in impact])
        imp = np.concatenate([np.asarray(i, np.float64) for _, i in impact])
        slope, bins = impact_loglog_slope(size, imp)
        add("market impact", "impact_size_loglog_slope", slope, 0.3, 0.7)
        use = (bins["count"] >= 50).to_numpy()
        x, y = bins["size"].to_numpy()[use], bins["impact"].to_numpy()[use]
        # Y of I = Y * sqrt(Q / V), least squares over the bins; of order 1 in real markets
        prefactor = float(np.sum(y * np.sqrt(x)) / np.sum(x)) if x.size >= 3 else np.nan
        add("market impact", "impact_sqrt_prefactor", prefactor, 0.3, 3.0)
    df = pd.DataFrame(rows, columns=["fact", "statistic", "value", "low", "high", "source"])
    lo_ok = df["low"].isna() | (df["value"] >= df["low"])
    hi_ok = df["high"].isna() | (df["value"] <= df["high"])
    df["holds"] = lo_ok & hi_ok & df["value"].notna()
    return df


def run_metaorder_impact(market, orders: np.ndarray, executions: np.ndarray, quotes: np.ndarray, *,
                         adjusted: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Metaorder sizes (/ daily volume) and impacts (/ daily volatility) of a run's orders on its book's mids
    (:func:`metaorder_impact`; ``adjusted``: net of the exogenous fair price's move)."""
    execs = executions[executions["liquidity"] == _LIQ_TAKER]
    n_inst = market.n_instruments
    q = quotes.reshape(-1, n_inst)
    fair = None
    if adjusted and np.array_equal(market.times, q["ts"][:, 0]):
        fair = market.mid[:n_inst].T  # the exogenous fair price: what the book would do without the flow
    meta = metaorder_ids(ts=orders["ts"], client=orders["client"], instrument=orders["instrument"],
                         side=orders["side"], parent_id=orders["parent_id"], origin=orders["origin"])
    return metaorder_impact(meta=meta, instrument=orders["instrument"],
                            side=orders["side"], exec_row=np.searchsorted(orders["order_id"], execs["order_id"]),
                            exec_ts=execs["ts"], exec_qty=execs["qty"], times=q["ts"][:, 0],
                            mid=0.5 * (q["bid"] + q["ask"]), volume=q["volume"], reference=fair)


def market_facts(market, orders: np.ndarray, executions: np.ndarray | None = None,
                 quotes: np.ndarray | None = None, *, sign_lags: int = 300) -> pd.DataFrame:
    """:func:`stylized_facts` of a run's records: the venue book's mids, spreads and volumes
    (``quotes``, sorted by time then instrument), the signs of the client orders (per
    instrument and day, in time order: the order flow whose memory Lillo, Mike & Farmer
    explain by metaorders), order sizes and arrival times, and metaorder impact.
    Options are left out (their prices follow their underlying's). Without quotes (the quote
    venue) the market's simulated mids and the orders' quantities stand in.

    Parameters
    ----------
    market : MarketData
    orders : ORDER_DT records sorted by ``order_id``
    executions : EXECUTION_DT records, optional
    quotes : QUOTE_DT records, optional
    sign_lags : int, default=300
        Longest lag of the sign autocorrelation's power-law fit: 300 suits a day of
        10,000 orders per instrument; pool several days (or seeds) to fit to 1,000.
    """
    n_inst = market.n_instruments
    symbols = list(market.instruments["symbol"])
    tick = market.instruments["tick_size"].to_numpy(np.float64)
    kw: dict = {"arrival_ts": orders["ts"], "sizes": orders["qty"], "sign_lags": sign_lags}
    if quotes is not None and quotes.size:
        q = quotes.reshape(-1, n_inst)  # sorted by (ts, instrument)
        mid = 0.5 * (q["bid"] + q["ask"])
        idx = pd.to_datetime(q["ts"][:, 0], unit="ns", utc=True)
        prices = pd.DataFrame(mid, index=idx, columns=symbols)
        both = np.isfinite(q["bid"]) & np.isfinite(q["ask"])
        kw["spreads"] = pd.DataFrame(np.where(both, (q["ask"] - q["bid"]) / tick[None, :], np.nan), index=idx,
                                     columns=symbols)
        # a venue's volume counts from its own open: snapshots while its book is shut (no quotes, no
        # trades) are gaps, not zeros, so each venue's session is measured against its own midday
        vol = q["volume"].astype(np.float64)
        live = both | (vol > 0)
        if market.session_open is not None:  # one day: its venues' sessions are known exactly
            t = q["ts"][:, :1]
            live = (t >= market.session_open[None, :]) & (t < market.session_close[None, :])
        kw["volumes"] = pd.DataFrame(np.where(live, vol, np.nan), index=idx, columns=symbols)
    else:
        prices = market.prices_frame("mid")
        kw["volume_ts"] = orders["ts"]
        kw["volume"] = orders["qty"]
    day = orders["ts"] // _NS_PER_DAY
    kw["signs"] = [orders["side"][(orders["instrument"] == i) & (day == d)].astype(np.float64)
                   for i in range(n_inst) for d in np.unique(day)]
    if executions is not None and executions.size:
        if quotes is not None and quotes.size:
            kw["impact"] = [run_metaorder_impact(market, orders, executions, quotes)]
    underlyings = list(market.instruments.loc[market.instruments["asset_class"] != "option", "symbol"])
    for k in ("spreads", "volumes"):
        if k in kw:
            kw[k] = kw[k][underlyings]
    return stylized_facts(prices[underlyings], **kw)
