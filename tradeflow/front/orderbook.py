"""A price-time-priority limit order book per instrument (numba), behind a validating wrapper.

The book works on integer price levels (ticks above a floor) so that price comparison is
exact. Two time-sorted event streams feed it: the background (zero-intelligence) liquidity
and the client orders. See :func:`run_book`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradeflow.front import _kernels
from tradeflow.front.impact import TransientImpact
from tradeflow.schema import BookEvent  # the kinds of events the book accepts (the kernel's ``K_*`` codes)

__all__ = ["BookEvent", "BookRun", "run_book"]


@dataclass(frozen=True, slots=True)
class BookRun:
    """What one instrument's book produced.

    Attributes
    ----------
    exec_ref, exec_ts, exec_qty, exec_level, exec_liquidity : ndarray of shape (n_executions,)
        Client executions in time order: client row, time, quantity, price level and
        ``Liquidity`` code (a client order resting in the book is the maker).
    arrival_mid : float64 ndarray of shape (n_client_rows,)
        Mid (in levels) when each client order reached the book; NaN if a side was empty
        or the row never arrived.
    bid, ask : int64 ndarray of shape (n_snapshots,)
        Best bid/ask level at each snapshot time; -1 when the side is empty.
    bid_qty, ask_qty : int64 ndarray of shape (n_snapshots,)
        Quantity at the best levels.
    volume, trades : int64 ndarray of shape (n_snapshots,)
        Quantity and number of trades (background included) from each snapshot to the next.
    impact : float64 ndarray of shape (n_snapshots,)
        Transient impact of client flow on the anchor of background liquidity at each
        snapshot, in levels (zeros without a propagator).
    """

    exec_ref: np.ndarray
    exec_ts: np.ndarray
    exec_qty: np.ndarray
    exec_level: np.ndarray
    exec_liquidity: np.ndarray
    arrival_mid: np.ndarray
    bid: np.ndarray
    ask: np.ndarray
    bid_qty: np.ndarray
    ask_qty: np.ndarray
    volume: np.ndarray
    trades: np.ndarray
    impact: np.ndarray


# the tape and depth arrays of the book kernels, switched off (run_book records neither)
_NO_TAPE = (np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int8),
            np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(2, np.int64))
_NO_DEPTH = (np.zeros((0, 0), np.int64), np.zeros((0, 0), np.int64), np.zeros((0, 0), np.int64),
             np.zeros((0, 0), np.int64), 0)

_FIELDS = ("ts", "kind", "side", "price", "qty")
_DTYPES = {"ts": np.int64, "kind": np.int8, "side": np.int8, "price": np.int64, "qty": np.int64,
           "ref": np.int64, "u": np.float64}


def _stream(name: str, events: dict[str, np.ndarray], extra: str, n_levels: int) -> dict[str, np.ndarray]:
    missing = [f for f in (*_FIELDS, extra) if f not in events]
    if missing:
        raise ValueError(f"The {name!r} events lack field(s) {missing}.")
    out = {f: np.ascontiguousarray(events[f], dtype=_DTYPES[f]) for f in (*_FIELDS, extra)}
    n = out["ts"].shape[0]
    for f, a in out.items():
        if a.shape != (n,):
            raise ValueError(f"The {name!r} events' {f!r} must have shape ({n},). Got {a.shape} instead.")
    if n == 0:
        return out
    if np.any(np.diff(out["ts"]) < 0):
        raise ValueError(f"The {name!r} events must be sorted by 'ts'.")
    if not np.isin(out["kind"], [int(k) for k in BookEvent]).all():
        raise ValueError(f"The {name!r} events' 'kind' must be BookEvent codes. Got {np.unique(out['kind'])}.")
    is_order = out["kind"] <= BookEvent.MARKET
    if np.any(~np.isin(out["side"][is_order], (-1, 1))):
        raise ValueError(f"The {name!r} events' 'side' must be +1 or -1 for orders.")
    if np.any(out["qty"][is_order] <= 0):
        raise ValueError(f"The {name!r} events' 'qty' must be positive for orders.")
    priced = is_order & (out["kind"] != BookEvent.MARKET)
    p = out["price"][priced]
    if p.size and (p.min() < 0 or p.max() >= n_levels):
        raise ValueError(f"The {name!r} events' 'price' levels must lie in [0, {n_levels}). "
                         f"Got {p.min()}..{p.max()} instead.")
    return out


def run_book(*, background: dict[str, np.ndarray], client: dict[str, np.ndarray], n_levels: int,
             n_client_rows: int, snap_ts: np.ndarray, live_capacity: int,
             snap_fair: np.ndarray | None = None, check: bool = True,
             impact: TransientImpact | None = None, reanchor: bool = False) -> BookRun:
    """Run one instrument's book over a session.

    Parameters
    ----------
    background : dict of arrays
        ``ts, kind, side, price, qty, u``: zero-intelligence flow sorted by ``ts``. Kinds
        ``LIMIT`` / ``MARKET`` / ``BG_CANCEL``; a ``BG_CANCEL`` picks slot ``int(u *
        live_capacity)`` of the list of live background orders and is a no-op past its end,
        so each resting background order is cancelled at rate ``cancel_rate / live_capacity``.
    client : dict of arrays
        ``ts, kind, side, price, qty, ref``: client orders and cancels sorted by ``ts``;
        ``ref`` is the client row in ``[0, n_client_rows)``, shared by an order and its cancel.
    n_levels : int
        Price levels ``[0, n_levels)``; a market order may walk all of them.
    n_client_rows : int
    snap_ts : int64 ndarray
        Times (sorted) at which to record the top of the book.
    live_capacity : int
        Size of the live list of background orders (the cancel-thinning denominator).
    snap_fair : float64 ndarray, optional
        Fair price (in levels) at each snapshot time: every background bid above it and
        every background ask below it is pulled then, at every level (also behind or
        beyond a client order); client orders stay. NaN or omitted: nothing is pulled.
    check : bool, default=True
        Validate the streams (sorted, kinds, sides, quantities, price levels in range,
        cancels after their orders). Internal callers that build the streams may skip it.
    impact : TransientImpact, optional
        A propagator (:mod:`tradeflow.front.impact`): client orders that take liquidity move
        the anchor of background limit prices (and the ``snap_fair`` pull threshold) by the
        rounded impact state, which decays between snapshots. Omitted: no impact.
    reanchor : bool, default=False
        Re-anchor the book at each snapshot (``ExecutionConfig.book_reanchor``): when the fair
        price moved by ``d`` levels since the last snapshot, the pull also takes the background
        orders less than ``d`` behind it on the side it moved away from (see
        :func:`tradeflow.front._book_kernels.book_snapshot_nb`).

    Returns
    -------
    BookRun
    """
    if not (isinstance(n_levels, int | np.integer) and n_levels > 0):
        raise ValueError(f"The 'n_levels' parameter of run_book must be a positive int. Got {n_levels!r} instead.")
    if not (isinstance(live_capacity, int | np.integer) and live_capacity > 0):
        raise ValueError(f"The 'live_capacity' parameter of run_book must be a positive int. "
                         f"Got {live_capacity!r} instead.")
    if not check:
        bg = {f: np.ascontiguousarray(background[f], dtype=_DTYPES[f]) for f in (*_FIELDS, "u")}
        cl = {f: np.ascontiguousarray(client[f], dtype=_DTYPES[f]) for f in (*_FIELDS, "ref")}
        return _run(bg, cl, n_levels, n_client_rows, snap_ts, live_capacity, snap_fair, impact, reanchor)
    bg = _stream("background", background, "u", n_levels)
    cl = _stream("client", client, "ref", n_levels)
    if cl["ref"].size and (cl["ref"].min() < 0 or cl["ref"].max() >= n_client_rows):
        raise ValueError(f"The client events' 'ref' must lie in [0, {n_client_rows}).")
    is_cancel = cl["kind"] == BookEvent.CANCEL
    if is_cancel.any():  # a cancel must follow its order, else it would cancel nothing
        first = np.full(n_client_rows, np.iinfo(np.int64).max)
        np.minimum.at(first, cl["ref"][~is_cancel], np.flatnonzero(~is_cancel))
        if np.any(first[cl["ref"][is_cancel]] > np.flatnonzero(is_cancel)):
            raise ValueError("A client 'CANCEL' event comes before the order it cancels.")
    if bg["kind"].size and np.any(np.isin(bg["kind"], (BookEvent.CANCEL,))):
        raise ValueError("The background events cannot hold client 'CANCEL' events.")
    if bg["u"].size and (np.any((bg["u"] < 0) & (bg["u"] != -1.0)) or bg["u"].max() >= 1):
        raise ValueError("The background events' 'u' must lie in [0, 1), or be -1 (a maker's requote).")
    snap_ts = np.ascontiguousarray(snap_ts, dtype=np.int64)
    if snap_ts.size and np.any(np.diff(snap_ts) < 0):
        raise ValueError("The 'snap_ts' parameter of run_book must be sorted.")
    if snap_fair is not None and np.shape(snap_fair) != snap_ts.shape:
        raise ValueError(f"The 'snap_fair' parameter of run_book must have the shape of snap_ts {snap_ts.shape}.")
    if impact is not None and not (np.shape(impact.weights) == np.shape(impact.rates)
                                   and np.all(np.asarray(impact.rates) > 0)):
        raise ValueError("The 'impact' parameter of run_book must have as many positive rates as weights.")
    return _run(bg, cl, n_levels, n_client_rows, snap_ts, live_capacity, snap_fair, impact, reanchor)


def _run(bg: dict[str, np.ndarray], cl: dict[str, np.ndarray], n_levels: int, n_client_rows: int,
         snap_ts: np.ndarray, live_capacity: int, snap_fair: np.ndarray | None,
         impact: TransientImpact | None = None, reanchor: bool = False) -> BookRun:
    snap_ts = np.ascontiguousarray(snap_ts, dtype=np.int64)
    # one more snapshot past the end collects the session's totals
    snap_all = np.append(snap_ts, np.iinfo(np.int64).max)
    fair = np.full(snap_ts.shape[0], np.nan) if snap_fair is None else np.asarray(snap_fair, np.float64)
    fair = np.append(fair, np.nan)
    n_bg, n_cl = bg["ts"].shape[0], cl["ts"].shape[0]
    n_slots = n_bg + n_cl + 1
    cap = 4 * n_cl + 64
    if impact is None:
        imp_w, imp_r, imp_scale, imp_exp = np.zeros(0), np.zeros(0), 0.0, 1.0
    else:
        imp_w = np.ascontiguousarray(impact.weights, np.float64)
        imp_r = np.ascontiguousarray(impact.rates, np.float64)
        imp_scale, imp_exp = float(impact.scale), float(impact.exponent)
    while True:
        x_ref = np.empty(cap, np.int64)
        x_ts = np.empty(cap, np.int64)
        x_qty = np.empty(cap, np.int64)
        x_lvl = np.empty(cap, np.int64)
        x_liq = np.empty(cap, np.int8)
        arrival = np.full(n_client_rows, -1, np.int64)
        n_s = snap_all.shape[0]
        sb, sa, sbq, saq, scv, sct = (np.empty(n_s, np.int64) for _ in range(6))
        s_imp = np.zeros(n_s, np.float64)
        status, nx = _kernels.book_run_nb(
            bg["ts"], bg["kind"], bg["side"], bg["price"], bg["qty"], bg["u"],
            cl["ts"], cl["kind"], cl["side"], cl["price"], cl["qty"], cl["ref"],
            np.int64(n_levels), snap_all, fair, x_ref, x_ts, x_qty, x_lvl, x_liq, arrival,
            sb, sa, sbq, saq, scv, sct,
            np.empty(n_slots, np.int64), np.empty(n_slots, np.int64), np.empty(n_slots, np.int8),
            np.full(n_slots, -1, np.int64), np.empty(n_slots, np.int64), np.empty(n_slots, np.int64),
            np.empty(n_levels, np.int64), np.empty(n_levels, np.int64), np.empty(n_levels, np.int64),
            np.empty(live_capacity, np.int64), np.full(n_slots, -1, np.int64), np.full(n_client_rows, -1, np.int64),
            imp_w, imp_r, imp_scale, imp_exp, np.zeros(imp_w.shape[0], np.float64),
            np.full(imp_w.shape[0] + 1, -1.0), s_imp, _NO_TAPE, _NO_DEPTH, np.int64(reanchor),
        )
        if status == _kernels.BOOK_OK:
            break
        cap *= 2  # more client executions than expected: retry with room (the run is deterministic)
    volume = np.diff(scv)
    trades = np.diff(sct)
    mid = np.where(arrival >= 0, arrival / 2.0, np.nan)
    return BookRun(exec_ref=x_ref[:nx], exec_ts=x_ts[:nx], exec_qty=x_qty[:nx], exec_level=x_lvl[:nx],
                   exec_liquidity=x_liq[:nx], arrival_mid=mid, bid=sb[:-1], ask=sa[:-1], bid_qty=sbq[:-1],
                   ask_qty=saq[:-1], volume=volume, trades=trades, impact=s_imp[:-1])

