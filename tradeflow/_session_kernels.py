"""The desk's session loop in numba: every instrument's book and the middle office, in one time order.

An order reaches the desk, passes (or fails) the pre-trade controls, and only if accepted
reaches its book after its latency; every execution the books make, against background
liquidity or another client order, goes to the desk as it happens, so the next order's
checks see it. See :func:`tradeflow.session.run_session`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tradeflow.front.nb import BOOK_OK, K_CANCEL, LIQ_TAKER, book_event_nb, book_reset_nb, book_snapshot_nb
from tradeflow.middle.nb import EV_ARRIVAL, EV_CANCEL, EV_FILL, S_NEW, desk_loop_nb
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


@njit(cache=True, nogil=True)
def session_loop_nb(d_ts, d_kind, d_ref, v_ts, v_inst, v_row, v_client,
                    bg_kind, bg_side, bg_price, bg_qty, bg_u, grid_ts, grid_fair,
                    o_kind, o_level, o_reachable, lo, tick, taker_bps, maker_bps, minor_scale, multiplier,
                    bs, o_price, o_qty, o_side, o_ref, o_next, o_prev, lvl_head, lvl_tail, lvl_qty, live, live_pos,
                    client_slot, arrival_mid, x_ref, x_ts, x_qty, x_lvl, x_liq,
                    snap_bid, snap_ask, snap_bid_qty, snap_ask_qty, snap_cum_volume, snap_cum_trades,
                    orders, execs, exec_row, desk_args,
                    imp_weight, imp_rate, imp_scale, imp_exp, imp_state, imp_cache, snap_impact):
    """Run one session of the desk and its venue.

    Streams (each sorted): the desk's own events ``d_*`` (arrivals, cancels and P&L
    snapshots, the ``EV_*`` kinds of :mod:`tradeflow.middle.nb`), the venue's events
    ``v_*`` (background events, ``v_row`` into the ``bg_*`` arrays, and client orders
    reaching the venue, ``v_row`` an order row, ``v_client`` true) and the quote grid
    ``grid_ts`` (the books' snapshots, ``grid_fair[i, g]`` the fair level of book ``i``).
    At one time: grid snapshots, then the desk's arrivals, the venue's events (background
    first), the cancels (the book's, then the desk's) and the desk's snapshots.

    A client order enters its book only if the desk accepted it and it is still new when
    it arrives. ``desk_args`` are :func:`tradeflow.middle.nb.desk_loop_nb`'s arguments
    after ``exec_row``, through ``breaches``. Executions are written to ``execs`` (and
    ``exec_row``) as the books make them; ``snap_*`` have shape (n_instruments, n_grid + 1),
    the last column the session's totals.

    Returns
    -------
    (status, n_executions, n_fills, n_events, n_breaches)
    """
    n_inst = bs.shape[0]
    n_grid = grid_ts.shape[0]
    n_d = d_ts.shape[0]
    n_v = v_ts.shape[0]
    cap = execs.shape[0]
    ev_kind = np.zeros(1, np.int64)
    ev_ref = np.zeros(1, np.int64)
    none = np.zeros(0, np.int64)
    nf, ne, nb, st = desk_loop_nb(none, none, orders, execs, exec_row, *desk_args, 0, 0, 0, True, False)
    for i in range(n_inst):
        book_reset_nb(bs[i], lvl_head, lvl_tail, lvl_qty)
    nx = 0
    g = 0
    a = 0
    b = 0
    book = (o_price, o_qty, o_side, o_ref, o_next, o_prev, lvl_head, lvl_tail, lvl_qty, live, live_pos, client_slot,
            arrival_mid, x_ref, x_ts, x_qty, x_lvl, x_liq)
    while a < n_d or b < n_v:
        td = d_ts[a] if a < n_d else _INF
        tv = v_ts[b] if b < n_v else _INF
        t = min(td, tv)
        while g < n_grid and grid_ts[g] <= t:
            dt = grid_ts[g] - grid_ts[g - 1] if g > 0 else 0
            for i in range(n_inst):
                snaps = (snap_bid[i], snap_ask[i], snap_bid_qty[i], snap_ask_qty[i], snap_cum_volume[i],
                         snap_cum_trades[i], snap_impact[i])
                book_snapshot_nb(bs[i], grid_fair[i, g], book, g, snaps, dt, imp_state[i], imp_rate[i], imp_cache[i])
            g += 1
        if td < tv or (td == tv and d_kind[a] == EV_ARRIVAL):
            k = d_ref[a]
            if d_kind[a] == EV_CANCEL:
                # a cancel: off the book first (a no-op for an order that never rested there)
                i = orders[k]["instrument"]
                st, nx = book_event_nb(bs[i], td, K_CANCEL, 0, 0, 0, k, 0.0, book, nx,
                                       (imp_state[i], imp_weight[i], imp_scale[i], imp_exp[i]))
            ev_kind[0] = d_kind[a]
            ev_ref[0] = k
            nf, ne, nb, st = desk_loop_nb(ev_kind, ev_ref, orders, execs, exec_row, *desk_args, nf, ne, nb, False,
                                          False)
            if st != 0:
                return SESSION_LOT_POOL_FULL, nx, nf, ne, nb
            a += 1
            continue
        # the venue
        r = v_row[b]
        nx0 = nx
        if v_client[b]:
            i = orders[r]["instrument"]
            if o_reachable[r] and orders[r]["status"] == S_NEW:
                st, nx = book_event_nb(bs[i], tv, o_kind[r], orders[r]["side"], o_level[r],
                                       max(orders[r]["qty"], 1), r, 0.0, book, nx,
                                       (imp_state[i], imp_weight[i], imp_scale[i], imp_exp[i]))
            else:
                st = BOOK_OK
        else:
            i = v_inst[b]
            st, nx = book_event_nb(bs[i], tv, bg_kind[r], bg_side[r], bg_price[r], bg_qty[r], -1, bg_u[r], book, nx,
                                   (imp_state[i], imp_weight[i], imp_scale[i], imp_exp[i]))
        b += 1
        if st != BOOK_OK or nx > cap:
            return SESSION_EXEC_OVERFLOW, nx, nf, ne, nb
        if nx - nx0 > 1:
            _sort_new_executions_nb(x_ref, x_ts, x_qty, x_lvl, x_liq, nx0, nx)
        for x in range(nx0, nx):
            k = x_ref[x]
            price = (x_lvl[x] + lo[i]) * tick[i]
            bps = taker_bps if x_liq[x] == LIQ_TAKER else maker_bps
            execs[x]["order_id"] = orders[k]["order_id"]
            execs[x]["ts"] = x_ts[x]
            execs[x]["qty"] = x_qty[x]
            execs[x]["price"] = price
            execs[x]["liquidity"] = x_liq[x]
            execs[x]["fee"] = np.rint(x_qty[x] * price * multiplier[i] * bps * 1e-4 * minor_scale[i]) / minor_scale[i]
            am = arrival_mid[k]
            execs[x]["arrival_mid"] = (am / 2.0 + lo[i]) * tick[i] if am >= 0 else np.nan
            exec_row[x] = k
            ev_kind[0] = EV_FILL
            ev_ref[0] = x
            nf, ne, nb, st = desk_loop_nb(ev_kind, ev_ref, orders, execs, exec_row, *desk_args, nf, ne, nb, False,
                                          False)
            if st != 0:
                return SESSION_LOT_POOL_FULL, nx, nf, ne, nb
    while g <= n_grid:  # the rest of the grid, then the session's totals (nothing pulled)
        dt = grid_ts[g] - grid_ts[g - 1] if 0 < g < n_grid else 0
        for i in range(n_inst):
            f = grid_fair[i, g] if g < n_grid else np.nan
            snaps = (snap_bid[i], snap_ask[i], snap_bid_qty[i], snap_ask_qty[i], snap_cum_volume[i],
                     snap_cum_trades[i], snap_impact[i])
            book_snapshot_nb(bs[i], f, book, g, snaps, dt, imp_state[i], imp_rate[i], imp_cache[i])
        g += 1
    nf, ne, nb, st = desk_loop_nb(none, none, orders, execs, exec_row, *desk_args, nf, ne, nb, False, True)
    return SESSION_OK, nx, nf, ne, nb
