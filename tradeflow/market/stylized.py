"""Stylized facts of real markets, measured on simulated (or real) prices and order flow.

Each check is one row of a table: the statistic, its value, the literature's range and
whether it holds (Cont 2001; Bouchaud, Bonart, Donier & Gould 2018). Facts whose inputs are
not given are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.core.time import NS_PER_DAY
from tradeflow.schema import OrderOrigin

__all__ = ["stylized_facts", "hill_tail_index", "hurst_aggregated_variance", "pooled_autocorrelation",
           "metaorder_ids", "metaorder_impact", "impact_loglog_slope"]

_NS_PER_DAY = NS_PER_DAY
_ALGO_CHILD = int(OrderOrigin.ALGO_CHILD)


def hill_tail_index(x: np.ndarray, *, tail: float = 0.025) -> float:
    """Hill estimator of the tail exponent of ``|x|`` from its largest ``tail`` share."""
    a = np.sort(np.abs(np.asarray(x, np.float64)))[::-1]
    a = a[a > 0]
    k = max(int(tail * a.size), 10)
    if a.size <= k:
        return float("nan")
    return float(1.0 / np.mean(np.log(a[:k] / a[k])))


def pooled_autocorrelation(segments: list[np.ndarray], lags: int) -> np.ndarray:
    """Autocorrelation at lags ``1..lags`` of several series pooled (each demeaned, no cross-segment pairs)."""
    num = np.zeros(lags)
    den = 0.0
    for s in segments:
        s = np.asarray(s, np.float64) - np.mean(s)
        den += float(s @ s)
        for k in range(1, lags + 1):
            if s.size > k:
                num[k - 1] += float(s[:-k] @ s[k:])
    return num / den if den > 0 else np.full(lags, np.nan)


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


def stylized_facts(prices: pd.DataFrame, *, arrival_ts: np.ndarray | None = None,
                   signs: list[np.ndarray] | None = None, sizes: np.ndarray | None = None,
                   volume_ts: np.ndarray | None = None, volume: np.ndarray | None = None,
                   spread_ticks: np.ndarray | None = None,
                   impact: list[tuple[np.ndarray, np.ndarray]] | None = None) -> pd.DataFrame:
    """Measure the stylized facts of a market.

    Parameters
    ----------
    prices : DataFrame
        Mid prices indexed by UTC time (one or several sessions), one column per
        instrument; returns are taken within each day, never overnight.
    arrival_ts : int64 ndarray, optional
        Order arrival times (ns): clustering is the variance/mean of 1-minute counts within
        30-minute windows (which removes the intraday profile; about 1 for Poisson arrivals).
    signs : list of int ndarray, optional
        Signs (+1/-1) of aggressive orders in time order, one array per instrument and day.
    sizes : ndarray, optional
        Order sizes (shares).
    volume_ts, volume : ndarray, optional
        Traded quantity and its times (ns): the intraday seasonality of volume.
    spread_ticks : ndarray, optional
        Quoted spreads in ticks (where both sides are quoted).
    impact : list of (size, impact) array pairs, optional
        Metaorder sizes in units of daily volume and their impacts in units of daily
        volatility (:func:`metaorder_impact`), pooled (e.g. over instruments, days and
        seeds); the log-log slope of the mean impact over log-spaced size bins
        (:func:`impact_loglog_slope`) is the square-root law's exponent.

    Returns
    -------
    DataFrame with columns ``fact, statistic, value, low, high, holds`` (``low``/``high``
    bound the literature's range; NaN where one-sided).

    Examples
    --------
    >>> idx = pd.date_range("2026-11-25 14:30", periods=23_400, freq="1s", tz="UTC")
    >>> p = pd.DataFrame({"A": 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 1e-4, idx.size)))}, idx)
    >>> facts = stylized_facts(p)
    >>> bool(facts.set_index("statistic").loc["abs_autocorr_lag1", "holds"])  # GBM: no volatility clustering
    False
    """
    rows: list[tuple[str, str, float, float, float]] = []

    def add(fact: str, stat: str, value: float, low: float = np.nan, high: float = np.nan) -> None:
        rows.append((fact, stat, float(value), low, high))

    r1 = _returns_by_day(prices, 1)
    if r1:
        pooled = np.concatenate([(r - r.mean()) / r.std() for r in r1 if r.std() > 0])
        n = pooled.size
        r30 = _returns_by_day(prices, 30)
        k30 = np.concatenate([(r - r.mean()) / r.std() for r in r30 if r.std() > 0]) if r30 else np.array([])
        kurt1 = float(pd.Series(pooled).kurt())
        kurt30 = float(pd.Series(k30).kurt()) if k30.size > 3 else np.nan
        add("heavy tails", "excess_kurtosis_1min", kurt1, 3.0)
        add("heavy tails", "excess_kurtosis_1min_minus_30min", kurt1 - kurt30, 0.0)
        add("heavy tails", "hill_tail_index_1min", hill_tail_index(pooled), 2.0, 5.0)
        acf = pooled_autocorrelation(r1, 10)
        band = 2.0 / np.sqrt(n)
        add("no return autocorrelation", "autocorr_lag1", acf[0], -0.1, 0.1)
        add("no return autocorrelation", "mean_abs_autocorr_lag2_10", np.mean(np.abs(acf[1:])), 0.0, band)
        aacf = pooled_autocorrelation([np.abs(r) for r in r1], 10)
        add("volatility clustering", "abs_autocorr_lag1", aacf[0], 0.1, 0.5)
        add("volatility clustering", "abs_autocorr_lag10", aacf[9], band)
    if signs is not None and sum(len(s) for s in signs) > 0:
        add("long memory of order signs", "hurst_signs", hurst_aggregated_variance(list(signs)), 0.6, 0.85)
    if arrival_ts is not None and len(arrival_ts) > 0:
        minute = np.asarray(arrival_ts, np.int64) // 60_000_000_000
        counts = np.bincount(minute - minute.min())
        windows = [counts[i:i + 30] for i in range(0, counts.size - 29, 30)]
        ratios = [w.var(ddof=1) / w.mean() for w in windows if w.mean() > 0]
        add("clustered arrivals", "count_variance_to_mean_1min", np.mean(ratios) if ratios else np.nan, 2.0)
    if volume_ts is not None and volume is not None and len(volume) > 0:
        t = pd.to_datetime(np.asarray(volume_ts, np.int64), unit="ns", utc=True)
        day = t.normalize()
        v = pd.Series(np.asarray(volume, np.float64))
        ratios_open, ratios_close = [], []
        for d in np.unique(day):
            m = np.asarray(day == d)
            ts = np.asarray(volume_ts, np.int64)[m]
            b = (ts - ts.min()) // (30 * 60_000_000_000)
            per = np.bincount(b, weights=v[m].to_numpy())
            if per.size < 6:
                continue
            mid = per[per.size // 3: 2 * per.size // 3].mean()
            ratios_open.append(per[0] / mid)
            ratios_close.append(per[-1] / mid)
        if ratios_open:
            add("intraday seasonality", "first_30min_volume_to_midday", np.mean(ratios_open), 1.3)
            add("intraday seasonality", "last_30min_volume_to_midday", np.mean(ratios_close), 1.3)
    if sizes is not None and len(sizes) > 0:
        s = np.asarray(sizes, np.float64)
        add("order sizes", "size_tail_exponent", hill_tail_index(s, tail=0.05), 1.2, 2.5)
        round_share = float(np.mean(s % 100 == 0))
        # a smooth size distribution puts ~1% of sizes on multiples of 100
        add("order sizes", "round_lot_share", round_share, 0.05)
    if spread_ticks is not None and len(spread_ticks) > 0:
        add("spread", "min_spread_ticks", float(np.nanmin(spread_ticks)), 1.0 - 1e-9)
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
    df = pd.DataFrame(rows, columns=["fact", "statistic", "value", "low", "high"])
    lo_ok = df["low"].isna() | (df["value"] >= df["low"])
    hi_ok = df["high"].isna() | (df["value"] <= df["high"])
    df["holds"] = lo_ok & hi_ok & df["value"].notna()
    return df
