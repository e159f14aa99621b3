"""Metaorders and their impact: grouping a run's orders into metaorders, their signed mid moves,
and the square-root law's exponent (Bouchaud, Bonart, Donier & Gould 2018, ch. 12)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.core.time import NS_PER_DAY
from tradeflow.schema import Liquidity, OrderOrigin

__all__ = ["metaorder_ids", "metaorder_impact", "impact_loglog_slope", "run_metaorder_impact"]

_NS_PER_DAY = NS_PER_DAY
_ALGO_CHILD = int(OrderOrigin.ALGO_CHILD)
_LIQ_TAKER = int(Liquidity.TAKER)


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
