"""Stylized facts of real markets, measured on simulated (or real) prices and order flow.

Each check is one row of a table: the statistic, its value, the literature's range and
whether it holds (Cont 2001; Bouchaud, Bonart, Donier & Gould 2018). Facts whose inputs are
not given are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["stylized_facts", "hill_tail_index", "hurst_aggregated_variance", "pooled_autocorrelation"]


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
        Per instrument: aggressive order sizes and their impact (e.g. the signed distance of
        the average fill price from the arrival mid); the log-log slope is fitted over
        size-quantile bins per instrument and the median reported.

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
        slopes = []
        for size, imp in impact:
            size, imp = np.asarray(size, np.float64), np.asarray(imp, np.float64)
            ok = np.isfinite(size) & np.isfinite(imp) & (size > 0)
            if ok.sum() < 100:
                continue
            edges = np.unique(np.quantile(size[ok], np.linspace(0, 1, 11)))
            b = np.clip(np.searchsorted(edges, size[ok], side="right") - 1, 0, edges.size - 2)
            ms = np.array([size[ok][b == j].mean() for j in range(edges.size - 1) if np.any(b == j)])
            mi = np.array([imp[ok][b == j].mean() for j in range(edges.size - 1) if np.any(b == j)])
            good = mi > 0
            if good.sum() >= 3:
                slopes.append(np.polyfit(np.log(ms[good]), np.log(mi[good]), 1)[0])
        if slopes:
            add("market impact", "impact_size_loglog_slope", float(np.median(slopes)), 0.3, 0.7)
    df = pd.DataFrame(rows, columns=["fact", "statistic", "value", "low", "high"])
    lo_ok = df["low"].isna() | (df["value"] >= df["low"])
    hi_ok = df["high"].isna() | (df["value"] <= df["high"])
    df["holds"] = lo_ok & hi_ok & df["value"].notna()
    return df
