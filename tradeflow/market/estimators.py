"""Estimators of the stylized facts: tail index, pooled autocorrelation, power-law exponent, Hurst
exponent, deseasonalized absolute returns and intraday ratios (each checked against an
independent reference in ``tests/market/test_stylized_oracles.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["hill_tail_index", "hurst_aggregated_variance", "pooled_autocorrelation", "autocorrelation_robust_se",
           "power_law_exponent",
           "deseasonalized_abs_returns", "intraday_ratios"]


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


def autocorrelation_robust_se(segments: list[np.ndarray], lags: int) -> np.ndarray:
    """Heteroscedasticity-consistent standard errors of :func:`pooled_autocorrelation` at lags ``1..lags``
    under the null of no autocorrelation: ``sqrt(sum x_t ** 2 x_{t+k} ** 2) / sum x_t ** 2`` over the
    pooled (demeaned) segments (Taylor 1986; Lo & MacKinlay 1988).

    For iid returns this is about ``1 / sqrt(n)``, Bartlett's band; with volatility clustering and
    heavy tails it is several times larger, as the sample autocorrelation's spread is (Cont 2001:
    the sample ACF of heavy-tailed, clustered returns converges slowly and is noisy).
    """
    num = np.zeros(lags)
    den = 0.0
    for s in segments:
        s = np.asarray(s, np.float64) - np.mean(s)
        den += float(s @ s)
        s2 = s * s
        for k in range(1, min(lags, s.size - 1) + 1):
            num[k - 1] += float(s2[:-k] @ s2[k:])
    return np.sqrt(num) / den if den > 0 else np.full(lags, np.nan)


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


def minute_returns(prices: pd.DataFrame, seconds: int = 60) -> list[tuple[np.ndarray, np.ndarray]]:
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


def returns_by_day(prices: pd.DataFrame, minutes: int) -> list[np.ndarray]:
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
