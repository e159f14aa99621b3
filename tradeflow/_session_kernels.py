"""The desk's session loop in numba: every instrument's book and the middle office, in one time order.

An order reaches the desk, passes (or fails) the pre-trade controls, and only if accepted
reaches its book after its latency; every execution the books make, against background
liquidity or another client order, goes to the desk as it happens, so the next order's
checks see it. See :func:`tradeflow.session.run_session`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from tradeflow.front.nb import BOOK_OK, K_CANCEL, LIQ_TAKER, book_event_nb, book_reset_nb, book_snapshot_nb
from tradeflow.middle.nb import EV_ARRIVAL, EV_CANCEL, EV_FILL, S_NEW, desk_begin_nb, desk_event_nb, desk_finish_nb
from tradeflow.schema import KernelStatus

SESSION_OK = int(KernelStatus.OK)
SESSION_EXEC_OVERFLOW = int(KernelStatus.EXEC_OVERFLOW)  # buffers full: the caller retries with more room
SESSION_LOT_POOL_FULL = int(KernelStatus.LOT_POOL_FULL)

_INF = np.iinfo(np.int64).max


@njit(cache=True, nogil=True)
def _sort_new_executions_nb(x_ref, x_ts, x_qty, x_lvl, x_liq, lo, hi):
    """Insertion-sort executions ``lo..hi`` (one book event's, all at one time) by client row,
    so the desk takes them in order id order, as it does executions at one time from a venue."""
    for a in range(lo + 1, hi):
        r, t, q, lv, lq = x_ref[a], x_ts[a], x_qty[a], x_lvl[a], x_liq[a]
        b = a - 1
        while b >= lo and x_ref[b] > r:
            x_ref[b + 1], x_ts[b + 1], x_qty[b + 1], x_lvl[b + 1], x_liq[b + 1] = (
                x_ref[b], x_ts[b], x_qty[b], x_lvl[b], x_liq[b])
            b -= 1
        x_ref[b + 1], x_ts[b + 1], x_qty[b + 1], x_lvl[b + 1], x_liq[b + 1] = r, t, q, lv, lq


class SessionStreams(NamedTuple):
    """The session's events, each stream sorted: the desk's own (``d_*``: arrivals, cancels and P&L
    snapshots, the ``EV_*`` kinds of :mod:`tradeflow.middle.nb`), the venue's (``v_*``: background
    events, ``v_row`` into the ``bg_*`` arrays, and client orders reaching the venue, ``v_row`` an
    order row, ``v_client`` true) and the quote grid (``grid_fair[i, g]`` book ``i``'s fair level)."""

    d_ts: np.ndarray
    d_kind: np.ndarray
    d_ref: np.ndarray
    v_ts: np.ndarray
    v_inst: np.ndarray
    v_row: np.ndarray
    v_client: np.ndarray
    bg_kind: np.ndarray
    bg_side: np.ndarray
    bg_price: np.ndarray
    bg_qty: np.ndarray
    bg_u: np.ndarray
    grid_ts: np.ndarray
    grid_fair: np.ndarray


class VenueParams(NamedTuple):
    """How client orders meet the books: each order's book kind, level and reachability; each book's
    price origin ``lo`` (ticks) and tick; fees (bps), each instrument's minor-unit scale and contract
    multiplier (a fee is bps of qty x price x multiplier)."""

    o_kind: np.ndarray
    o_level: np.ndarray
    o_reachable: np.ndarray
    lo: np.ndarray
    tick: np.ndarray
    taker_bps: float
    maker_bps: float
    minor_scale: np.ndarray
    multiplier: np.ndarray


class BookSnapshots(NamedTuple):
    """Per instrument x grid step (+1 column: the session's totals): best quotes, their sizes, the
    cumulative volume and trades, and the impact state."""

    bid: np.ndarray
    ask: np.ndarray
    bid_qty: np.ndarray
    ask_qty: np.ndarray
    cum_volume: np.ndarray
    cum_trades: np.ndarray
    impact: np.ndarray


class ImpactState(NamedTuple):
    """Each book's propagator (rows of equal width) and its running state."""

    weight: np.ndarray
    rate: np.ndarray
    scale: np.ndarray
    exp: np.ndarray
    state: np.ndarray
    cache: np.ndarray


@njit(cache=True, nogil=True)
def session_loop_nb(streams, venue, bs, book, snaps, impact, orders, execs, exec_row, desk, depth):
    """Run one session of the desk and its venue.

    At one time: grid snapshots, then the desk's arrivals, the venue's events (background
    first), the cancels (the book's, then the desk's) and the desk's snapshots. A client order
    enters its book only if the desk accepted it and it is still new when it arrives.
    ``book`` is the books' shared arrays (the tuple :func:`tradeflow.front.nb.book_event_nb`
    takes), ``bs`` each book's row of offsets; ``desk`` the desk loop's bundles
    (:class:`tradeflow.middle.nb.Desk`), fed one event at a time through the functions
    :func:`tradeflow.middle.nb.desk_loop_nb` runs. Executions are written to ``execs`` (and
    ``exec_row``) as the books make them; every trade, the background's too, to the tape at the
    end of ``book`` when it is on. ``depth`` is ``(bid_level, bid_qty, ask_level, ask_qty, every)``
    with arrays of shape ``(n_instruments, n_rows, L)``: the books' ``L`` best levels at every
    ``every``-th grid time (0: none).

    Returns
    -------
    (status, n_executions) ; the desk's counts are in ``desk.records.counts``
    """
    d_ts, d_kind, d_ref = streams.d_ts, streams.d_kind, streams.d_ref
    v_ts, v_inst, v_row, v_client = streams.v_ts, streams.v_inst, streams.v_row, streams.v_client
    grid_ts, grid_fair = streams.grid_ts, streams.grid_fair
    lo, tick, minor_scale, multiplier = venue.lo, venue.tick, venue.minor_scale, venue.multiplier
    lvl_head, lvl_tail, lvl_qty = book[6], book[7], book[8]
    arrival_mid = book[12]
    x_ref, x_ts, x_qty, x_lvl, x_liq = book[13], book[14], book[15], book[16], book[17]
    imp_state, imp_weight, imp_scale, imp_exp, imp_rate, imp_cache = (impact.state, impact.weight, impact.scale,
                                                                       impact.exp, impact.rate, impact.cache)
    n_inst = bs.shape[0]
    n_grid = grid_ts.shape[0]
    n_d = d_ts.shape[0]
    n_v = v_ts.shape[0]
    cap = execs.shape[0]
    desk_begin_nb(desk)
    for i in range(n_inst):
        book_reset_nb(bs[i], lvl_head, lvl_tail, lvl_qty)
    nx = 0
    g = 0
    a = 0
    b = 0
    while a < n_d or b < n_v:
        td = d_ts[a] if a < n_d else _INF
        tv = v_ts[b] if b < n_v else _INF
        t = min(td, tv)
        while g < n_grid and grid_ts[g] <= t:
            dt = grid_ts[g] - grid_ts[g - 1] if g > 0 else 0
            for i in range(n_inst):
                sn = (snaps.bid[i], snaps.ask[i], snaps.bid_qty[i], snaps.ask_qty[i], snaps.cum_volume[i],
                      snaps.cum_trades[i], snaps.impact[i])
                dp = (depth[0][i], depth[1][i], depth[2][i], depth[3][i], depth[4])
                book_snapshot_nb(bs[i], grid_fair[i, g], book, g, sn, dt, imp_state[i], imp_rate[i], imp_cache[i],
                                 dp)
            g += 1
        if td < tv or (td == tv and d_kind[a] == EV_ARRIVAL):
            k = d_ref[a]
            if d_kind[a] == EV_CANCEL:
                # a cancel: off the book first (a no-op for an order that never rested there)
                i = orders[k]["instrument"]
                st, nx = book_event_nb(bs[i], td, K_CANCEL, 0, 0, 0, k, 0.0, book, nx,
                                       (imp_state[i], imp_weight[i], imp_scale[i], imp_exp[i]))
            if desk_event_nb(desk, orders, execs, exec_row, d_kind[a], k) != 0:
                return SESSION_LOT_POOL_FULL, nx
            a += 1
            continue
        # the venue
        r = v_row[b]
        nx0 = nx
        if v_client[b]:
            i = orders[r]["instrument"]
            if venue.o_reachable[r] and orders[r]["status"] == S_NEW:
                st, nx = book_event_nb(bs[i], tv, venue.o_kind[r], orders[r]["side"], venue.o_level[r],
                                       max(orders[r]["qty"], 1), r, 0.0, book, nx,
                                       (imp_state[i], imp_weight[i], imp_scale[i], imp_exp[i]))
            else:
                st = BOOK_OK
        else:
            i = v_inst[b]
            st, nx = book_event_nb(bs[i], tv, streams.bg_kind[r], streams.bg_side[r], streams.bg_price[r],
                                   streams.bg_qty[r], -1, streams.bg_u[r], book, nx,
                                   (imp_state[i], imp_weight[i], imp_scale[i], imp_exp[i]))
        b += 1
        if st != BOOK_OK or nx > cap:
            return SESSION_EXEC_OVERFLOW, nx
        if nx - nx0 > 1:
            _sort_new_executions_nb(x_ref, x_ts, x_qty, x_lvl, x_liq, nx0, nx)
        for x in range(nx0, nx):
            k = x_ref[x]
            price = (x_lvl[x] + lo[i]) * tick[i]
            bps = venue.taker_bps if x_liq[x] == LIQ_TAKER else venue.maker_bps
            execs[x]["order_id"] = orders[k]["order_id"]
            execs[x]["ts"] = x_ts[x]
            execs[x]["qty"] = x_qty[x]
            execs[x]["price"] = price
            execs[x]["liquidity"] = x_liq[x]
            execs[x]["fee"] = np.rint(x_qty[x] * price * multiplier[i] * bps * 1e-4 * minor_scale[i]) / minor_scale[i]
            am = arrival_mid[k]
            execs[x]["arrival_mid"] = (am / 2.0 + lo[i]) * tick[i] if am >= 0 else np.nan
            exec_row[x] = k
            if desk_event_nb(desk, orders, execs, exec_row, EV_FILL, x) != 0:
                return SESSION_LOT_POOL_FULL, nx
    while g <= n_grid:  # the rest of the grid, then the session's totals (nothing pulled)
        dt = grid_ts[g] - grid_ts[g - 1] if 0 < g < n_grid else 0
        for i in range(n_inst):
            f = grid_fair[i, g] if g < n_grid else np.nan
            sn = (snaps.bid[i], snaps.ask[i], snaps.bid_qty[i], snaps.ask_qty[i], snaps.cum_volume[i],
                  snaps.cum_trades[i], snaps.impact[i])
            dp = (depth[0][i], depth[1][i], depth[2][i], depth[3][i], depth[4])
            book_snapshot_nb(bs[i], f, book, g, sn, dt, imp_state[i], imp_rate[i], imp_cache[i], dp)
        g += 1
    desk_finish_nb(desk, orders)
    return SESSION_OK, nx
