"""Execution algos: TWAP and VWAP parent orders sliced into child orders over a window.

A parent (``ALGO_PARENT_DT``) is a client's instruction to buy or sell a quantity over a time
window. The algo sends ``n`` child orders (``ORDER_DT``, ``origin`` = ALGO_CHILD, ``parent_id``
= the parent's id): TWAP in equal slices at equal intervals, VWAP in slices proportional to the
intraday volume profile over each interval. A limit parent's children rest at its limit and are
cancelled at the next slice time (the algo re-slices what is left into nothing: the parent's
unfilled quantity expires with its window); a market parent's children are market orders.
After the middle office has run, :func:`parent_fills` derives each parent's fills and status
from its children.
"""

from __future__ import annotations

import numpy as np

from tradeflow.core.records import take_records
from tradeflow.market.paths import MarketData
from tradeflow.market.profile import volume_curve
from tradeflow.schema import ALGO_PARENT_DT, ORDER_DT, AlgoKind, OrderOrigin, OrderStatus, OrderType, TimeInForce

__all__ = ["slice_schedule", "child_orders", "make_parents", "parent_fills"]


def slice_schedule(parents: np.ndarray, n_slices: int, times: np.ndarray, profile: np.ndarray,
                   lot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slice times and quantities of each parent.

    Parameters
    ----------
    parents : ALGO_PARENT_DT records
    n_slices : int
        Slices per parent (>= 1).
    times, profile : ndarray
        The session grid and its activity profile (VWAP weights, see
        :func:`tradeflow.market.profile.volume_curve`).
    lot : int64 ndarray of shape (len(parents),)
        Lot size of each parent's instrument; ``qty`` must be a multiple of it.

    Returns
    -------
    starts : int64 ndarray of shape (len(parents), n_slices + 1)
        Slice boundaries: slice k runs over ``[starts[:, k], starts[:, k + 1])``.
    qty : int64 ndarray of shape (len(parents), n_slices)
        Child quantities, multiples of the lot, summing to each parent's ``qty``; the
        cumulative schedule is the target curve rounded to lots (no slice drifts > 1 lot).
    """
    if n_slices < 1:
        raise ValueError(f"slice_schedule: 'n_slices' must be a positive int; got {n_slices!r}")
    lot = np.asarray(lot, dtype=np.int64)
    if np.any(lot <= 0) or np.any(parents["qty"] % lot != 0):
        raise ValueError("slice_schedule: every parent's 'qty' must be a positive multiple of its lot")
    p = parents.shape[0]
    frac = np.arange(n_slices + 1, dtype=np.float64) / n_slices
    t0 = parents["ts"].astype(np.int64)[:, None]
    span = (parents["ts_end"] - parents["ts"]).astype(np.int64)[:, None]
    starts = t0 + np.floor(span * frac[None, :]).astype(np.int64)
    starts[:, -1] = parents["ts_end"]
    cum = np.tile(frac, (p, 1))
    vwap = parents["algo"] == AlgoKind.VWAP
    if np.any(vwap):
        curve = volume_curve(times, profile, starts[vwap].ravel()).reshape(-1, n_slices + 1)
        width = curve[:, -1] - curve[:, 0]
        ok = width > 0  # a window with no volume (zero profile) falls back to TWAP
        c = np.where(ok[:, None], (curve - curve[:, :1]) / np.where(ok, width, 1.0)[:, None], frac[None, :])
        cum[vwap] = c
    lots = parents["qty"] // lot
    target = np.rint(cum * lots[:, None]).astype(np.int64)
    target[:, 0] = 0
    target[:, -1] = lots
    target = np.maximum.accumulate(target, axis=1)
    return starts, np.diff(target, axis=1) * lot[:, None]


def child_orders(parents: np.ndarray, market: MarketData, n_slices: int, *, first_temp_id: int) -> np.ndarray:
    """The child orders of ``parents`` on ``market``'s session (ids ``first_temp_id`` + k, to be renumbered).

    Zero-quantity slices are dropped. Children inherit the parent's instrument, client,
    trader, book, counterparty, side and type; a limit child rests at the parent's limit
    until the next slice starts (``ts_cancel``; the last one until the window ends, or the
    close). ``ref_price`` is the mid at the child's arrival.
    """
    if parents.size == 0:
        return np.zeros(0, dtype=ORDER_DT)
    lot = market.instruments["lot_size"].to_numpy(np.int64)[parents["instrument"]]
    profile = market.profile if market.profile is not None else np.ones(market.n_steps)
    starts, qty = slice_schedule(parents, n_slices, market.times, profile, lot)
    keep = qty > 0
    row, k = np.nonzero(keep)
    kids = np.zeros(row.size, dtype=ORDER_DT)
    src = parents[row]
    last = market.last_ts(src["instrument"])  # the venue's session end (the grid's without venue sessions)
    # a slice that starts in its venue's lunch break is sent when the break ends
    ts = market.after_break(starts[row, k], src["instrument"])
    until = market.after_break(starts[row, k + 1], src["instrument"])
    is_limit = src["order_type"] == OrderType.LIMIT
    kids["order_id"] = first_temp_id + np.arange(row.size)
    kids["parent_id"] = src["parent_id"]
    kids["origin"] = OrderOrigin.ALGO_CHILD
    kids["ts"] = ts
    kids["ts_cancel"] = np.where(is_limit & (until > ts) & (until < last), until, -1)
    for f in ("instrument", "client", "trader", "book", "counterparty", "side", "order_type", "limit_price"):
        kids[f] = src[f]
    kids["tif"] = TimeInForce.DAY
    kids["qty"] = qty[row, k]
    kids["ref_price"] = market.mid[kids["instrument"], market.step_of(ts)]
    kids["status"] = OrderStatus.NEW
    kids["avg_fill_price"] = np.nan
    kids["ts_done"] = -1
    return kids


def parent_fills(parents: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """Parents with fills and status derived from their children (a new array).

    ``filled_qty`` sums the children's fills, ``avg_fill_price`` is their quantity-weighted
    price, ``ts_done`` the last child's terminal time. Status: FILLED when the whole quantity
    filled; REJECTED when every child was rejected; otherwise EXPIRED (the window ended, with
    ``filled_qty`` possibly above 0: FIX reports a part-filled order whose time ran out as
    expired, with CumQty > 0).

    Parameters
    ----------
    parents : ALGO_PARENT_DT records, ``parent_id`` increasing
    orders : ORDER_DT records after the middle office (terminal statuses); children of
        parents not in ``parents`` raise ``ValueError``.
    """
    out = parents.copy()
    if out.size == 0:
        return out
    pid = out["parent_id"]
    if np.any(np.diff(pid) <= 0):
        raise ValueError("parent_fills: 'parents' must be sorted by parent_id without duplicates")
    kids = take_records(orders, np.flatnonzero(orders["origin"] == OrderOrigin.ALGO_CHILD))  # whole records
    pos = np.searchsorted(pid, kids["parent_id"])
    pos_c = np.minimum(pos, pid.size - 1)
    if np.any(pid[pos_c] != kids["parent_id"]):
        bad = kids["parent_id"][pid[pos_c] != kids["parent_id"]][0]
        raise ValueError(f"parent_fills: child order with parent_id {int(bad)} has no parent")
    n = pid.size
    filled = np.bincount(pos_c, weights=kids["filled_qty"], minlength=n).astype(np.int64)
    px = np.where(kids["filled_qty"] > 0, kids["avg_fill_price"], 0.0)
    notional = np.bincount(pos_c, weights=kids["filled_qty"] * px, minlength=n)
    n_kids = np.bincount(pos_c, minlength=n)
    n_rej = np.bincount(pos_c, weights=kids["status"] == OrderStatus.REJECTED, minlength=n)
    done = np.full(n, -1, np.int64)
    np.maximum.at(done, pos_c, kids["ts_done"])
    out["n_children"] = n_kids
    out["filled_qty"] = filled
    with np.errstate(invalid="ignore", divide="ignore"):
        out["avg_fill_price"] = np.where(filled > 0, notional / np.maximum(filled, 1), np.nan)
    out["ts_done"] = np.maximum(done, out["ts_end"])
    out["status"] = np.where(filled >= out["qty"], OrderStatus.FILLED,
                             np.where((n_kids > 0) & (n_rej == n_kids), OrderStatus.REJECTED, OrderStatus.EXPIRED))
    filled_early = filled >= out["qty"]
    out["ts_done"] = np.where(filled_early, done, out["ts_done"])
    return out


def make_parents(src: np.ndarray, market: MarketData, rng: np.random.Generator, *, vwap_share: float,
                 duration_minutes: float, size_multiplier: float, first_parent_id: int) -> np.ndarray:
    """Parents from client orders ``src`` (ORDER_DT, sorted by ts): same keys, larger size, a window."""
    n = src.shape[0]
    parents = np.zeros(n, dtype=ALGO_PARENT_DT)
    if n == 0:
        return parents
    lot = market.instruments["lot_size"].to_numpy(np.int64)[src["instrument"]]
    dur_ns = np.floor(duration_minutes * 60e9 * rng.uniform(0.5, 1.5, n)).astype(np.int64)
    is_vwap = rng.random(n) < vwap_share
    parents["parent_id"] = first_parent_id + np.arange(n)
    parents["ts"] = src["ts"]
    parents["ts_end"] = np.minimum(src["ts"] + dur_ns, market.last_ts(src["instrument"]))
    for f in ("instrument", "client", "trader", "book", "counterparty", "side", "order_type", "limit_price",
              "ref_price"):
        parents[f] = src[f]
    parents["algo"] = np.where(is_vwap, AlgoKind.VWAP, AlgoKind.TWAP)
    parents["qty"] = np.maximum(np.rint(src["qty"] * size_multiplier / lot).astype(np.int64), 1) * lot
    parents["status"] = OrderStatus.NEW
    parents["avg_fill_price"] = np.nan
    parents["ts_done"] = -1
    return parents
