"""The desk's session loop in numba: every instrument's book and the middle office, in one time order.

An order reaches the desk, passes (or fails) the pre-trade controls, and only if accepted
reaches its book after its latency; every execution the books make, against background
liquidity or another client order, goes to the desk as it happens, so the next order's
checks see it. See :func:`tradeflow.session.run_session`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tradeflow._strategy_ctx import (  # the strategies' side of the loop
    C_CALLS,
    C_OVERFLOW,
    C_QHEAD,
    C_QTAIL,
    C_REQ,
    RQ_CANCEL,
    SE_CLIENT_FILL,
    SE_FILL,
    SE_STEP,
    SE_TIMER,
)
from tradeflow.core.jit import event_njit
from tradeflow.front.nb import (
    BOOK_OK,
    BS_BEST_ASK,
    BS_BEST_BID,
    BS_LEVEL0,
    BS_N_LEVELS,
    K_CANCEL,
    K_LIMIT,
    K_MARKET,
    LIQ_TAKER,
    book_event_nb,
    book_reset_nb,
    book_snapshot_nb,
)
from tradeflow.middle.nb import (
    EV_ARRIVAL,
    EV_CANCEL,
    EV_FILL,
    S_NEW,
    S_PARTIALLY_FILLED,
    desk_advance_nb,
    desk_begin_nb,
    desk_event_nb,
    desk_fill_nb,
    desk_finish_nb,
    desk_order_event_nb,
)
from tradeflow.schema import KernelStatus

SESSION_OK = int(KernelStatus.OK)
SESSION_EXEC_OVERFLOW = int(KernelStatus.EXEC_OVERFLOW)  # buffers full: the caller retries with more room
SESSION_LOT_POOL_FULL = int(KernelStatus.LOT_POOL_FULL)

_INF = np.iinfo(np.int64).max


@event_njit
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
    """The session's events, each stream sorted by time: the desk's own (``d_*``: arrivals, cancels and
    P&L snapshots, the ``EV_*`` kinds of :mod:`tradeflow.middle.nb`), the venue's background events of
    every book (``bg_*``, ``bg_inst`` the book), the client orders reaching the venue (``c_ts``, ``c_row``
    an order row; after the background on ties) and the quote grid (``grid_fair[i, g]`` book ``i``'s
    fair level)."""

    d_ts: np.ndarray
    d_kind: np.ndarray
    d_ref: np.ndarray
    bg_ts: np.ndarray
    bg_inst: np.ndarray
    bg_kind: np.ndarray
    bg_side: np.ndarray
    bg_price: np.ndarray
    bg_qty: np.ndarray
    bg_u: np.ndarray
    c_ts: np.ndarray
    c_row: np.ndarray
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


@event_njit
def _ctx_view_nb(ctx, t, g, bs, book, lo, tick):
    """Refresh the strategy's view of the books at time ``t`` (grid step ``g``)."""
    lvl_qty = book[8]
    ctx.clock[0] = t
    ctx.clock[1] = g
    for i in range(bs.shape[0]):
        bb, ba, l0 = bs[i, BS_BEST_BID], bs[i, BS_BEST_ASK], bs[i, BS_LEVEL0]
        if bb >= 0:
            ctx.bid[i] = (bb + lo[i]) * tick[i]
            ctx.bid_qty[i] = lvl_qty[l0 + bb]
        else:
            ctx.bid[i] = np.nan
            ctx.bid_qty[i] = 0
        if ba < bs[i, BS_N_LEVELS]:
            ctx.ask[i] = (ba + lo[i]) * tick[i]
            ctx.ask_qty[i] = lvl_qty[l0 + ba]
        else:
            ctx.ask[i] = np.nan
            ctx.ask_qty[i] = 0
        ctx.is_open[i] = (ctx.win_lo[i] <= g < ctx.win_hi[i] and not ctx.brk_lo[i] <= g < ctx.brk_hi[i]
                          and t + ctx.latency_ns < ctx.inst_close[i])  # it reaches the venue before the close


@event_njit
def _ctx_drain_nb(ctx, t, g, venue, bs, orders, execs, exec_row, desk):
    """Turn the call's requests into orders: a new order arrives at the desk now (every pre-trade
    control) and, accepted, reaches its book after the latency; a cancel reaches it then."""
    n = ctx.counts[C_REQ]
    ctx.counts[C_REQ] = 0
    gm = min(max(g, 0), desk.marks.mid.shape[1] - 1)
    for e in range(n):
        r = ctx.req[e]
        j = np.int64(r[5])
        k = ctx.pool0 + j
        tq = t + ctx.latency_ns
        qt = ctx.counts[C_QTAIL]
        if qt >= ctx.queue.shape[0]:
            ctx.counts[C_OVERFLOW] += 1
            continue
        if r[0] == RQ_CANCEL:
            ctx.queue[qt, 0], ctx.queue[qt, 1], ctx.queue[qt, 2] = tq, k, 1
            ctx.counts[C_QTAIL] = qt + 1
            continue
        i = np.int64(r[1])
        side = np.int64(r[2])
        price = r[4]
        o = orders[k]
        o["ts"] = t
        o["instrument"] = i
        o["side"] = side
        o["qty"] = np.int64(r[3])
        o["book"] = ctx.book
        o["client"] = ctx.client
        o["trader"] = ctx.trader
        o["ref_price"] = desk.marks.mid[i, gm]
        o["filled_qty"] = 0
        o["avg_fill_price"] = np.nan
        o["reject_reason"] = 0
        if np.isnan(price):
            o["order_type"] = 0
            o["limit_price"] = np.nan
            o["tif"] = 1
            o["ts_cancel"] = tq
            venue.o_kind[k] = K_MARKET
            venue.o_level[k] = 0
            venue.o_reachable[k] = True
        else:
            o["order_type"] = 1
            o["limit_price"] = price
            o["tif"] = 0
            o["ts_cancel"] = -1
            venue.o_kind[k] = K_LIMIT
            lv = np.floor(price / venue.tick[i] + 1e-9) if side > 0 else np.ceil(price / venue.tick[i] - 1e-9)
            lvl = np.int64(lv) - venue.lo[i]
            hi = bs[i, BS_N_LEVELS] - 1
            venue.o_reachable[k] = not ((side > 0 and lvl < 0) or (side < 0 and lvl > hi))
            venue.o_level[k] = min(max(lvl, 0), hi)
        desk.records.order_fx[k] = desk.marks.fx[desk.marks.inst_ccy[i], gm] * desk.marks.multiplier[i]
        desk_event_nb(desk, orders, execs, exec_row, EV_ARRIVAL, k)
        if orders[k]["status"] == S_NEW:
            ctx.queue[qt, 0], ctx.queue[qt, 1], ctx.queue[qt, 2] = tq, k, 0
            ctx.counts[C_QTAIL] = qt + 1


@event_njit
def _queue_event_nb(ctx, tq, venue, bs, book, orders, execs, exec_row, desk, nx, imp_state, imp_weight, imp_scale,
                    imp_exp):
    """The strategy's next order (or cancel) in flight reaches its book at ``tq``.
    Returns (book status, nx, the order row whose executions follow or -1, instrument)."""
    h = ctx.counts[C_QHEAD]
    ctx.counts[C_QHEAD] = h + 1
    k = ctx.queue[h, 1]
    i = np.int64(orders[k]["instrument"])
    st = BOOK_OK
    working = orders[k]["status"] == S_NEW or orders[k]["status"] == S_PARTIALLY_FILLED
    if ctx.queue[h, 2] == 1:
        if working:
            st, nx = book_event_nb(bs[i], tq, K_CANCEL, 0, 0, 0, k, 0.0, book, nx,
                                   (imp_state[i], imp_weight[i], imp_scale[i], imp_exp[i]))
            orders[k]["ts_cancel"] = tq
            desk_event_nb(desk, orders, execs, exec_row, EV_CANCEL, k)
        return st, nx, -1, i
    if venue.o_reachable[k] and orders[k]["status"] == S_NEW:
        st, nx = book_event_nb(bs[i], tq, venue.o_kind[k], orders[k]["side"], venue.o_level[k], orders[k]["qty"], k,
                               0.0, book, nx, (imp_state[i], imp_weight[i], imp_scale[i], imp_exp[i]))
    return st, nx, k, i


@event_njit
def session_loop_nb(streams, venue, bs, book, snaps, impact, orders, execs, exec_row, desk, depth, ctx, on_event,
                    state):
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

    With an intraday strategy (``ctx`` a :class:`StrategyCtx`, ``on_event(ctx, state, kind,
    t, ref)`` a jitted function typed as a first-class function ``none(ctx, state, int64, int64,
    int64)`` by :func:`tradeflow.session._strategy_loop`, so one compilation serves every strategy
    function with that state type; ``state`` its own state), the strategy is called on the
    events it subscribes to (after a grid step's snapshots, after its own fills and the
    clients', on its timer); what it sends arrives at the desk at once and, accepted, at the
    venue after ``ctx.latency_ns``, where it is processed after the desk's and the venue's
    events of the same time. With ``ctx`` None (no strategy) those branches are compiled out.

    Returns
    -------
    (status, n_executions) ; the desk's counts are in ``desk.records.counts``
    """
    d_ts, d_kind, d_ref = streams.d_ts, streams.d_kind, streams.d_ref
    bg_ts, bg_inst, c_ts, c_row = streams.bg_ts, streams.bg_inst, streams.c_ts, streams.c_row
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
    n_b = bg_ts.shape[0]
    n_c = c_ts.shape[0]
    cap = execs.shape[0]
    desk_begin_nb(desk)
    for i in range(n_inst):
        book_reset_nb(bs[i], lvl_head, lvl_tail, lvl_qty)
    nx = 0
    g = 0
    a = 0
    b = 0
    c = 0
    next_timer = _INF
    n_timer = 0
    if ctx is not None:
        if ctx.timer_ns > 0:
            next_timer = grid_ts[0] + ctx.timer_ns if n_grid > 0 else _INF
    while True:
        td = d_ts[a] if a < n_d else _INF
        tb = bg_ts[b] if b < n_b else _INF
        tc = c_ts[c] if c < n_c else _INF
        tv = min(tb, tc)
        t = min(td, tv)
        tq = _INF
        if ctx is not None:
            if ctx.counts[C_QHEAD] < ctx.counts[C_QTAIL]:
                tq = ctx.queue[ctx.counts[C_QHEAD], 0]
                t = min(t, tq)
        if t == _INF:
            break
        called = False
        while g < n_grid and grid_ts[g] <= t and not called:
            dt = grid_ts[g] - grid_ts[g - 1] if g > 0 else 0
            for i in range(n_inst):
                sn = (snaps.bid[i], snaps.ask[i], snaps.bid_qty[i], snaps.ask_qty[i], snaps.cum_volume[i],
                      snaps.cum_trades[i], snaps.impact[i])
                dp = (depth[0][i], depth[1][i], depth[2][i], depth[3][i], depth[4])
                book_snapshot_nb(bs[i], grid_fair[i, g], book, g, sn, dt, imp_state[i], imp_rate[i], imp_cache[i],
                                 dp)
            if ctx is not None:
                if ctx.every > 0 and g % ctx.every == 0:
                    _ctx_view_nb(ctx, grid_ts[g], g, bs, book, lo, tick)
                    on_event(ctx, state, SE_STEP, grid_ts[g], g)
                    ctx.counts[C_CALLS] += 1
                    _ctx_drain_nb(ctx, grid_ts[g], g, venue, bs, orders, execs, exec_row, desk)
                    called = True  # what it sent may reach the venue before the next step: look again
            g += 1
        if ctx is not None:
            if not called and next_timer <= t:
                n_timer += 1
                _ctx_view_nb(ctx, next_timer, g - 1, bs, book, lo, tick)
                on_event(ctx, state, SE_TIMER, next_timer, n_timer)
                ctx.counts[C_CALLS] += 1
                _ctx_drain_nb(ctx, next_timer, g - 1, venue, bs, orders, execs, exec_row, desk)
                next_timer += ctx.timer_ns
                called = True
        if called:
            continue
        if td <= tq and (td < tv or (td == tv and d_kind[a] == EV_ARRIVAL)):
            k = d_ref[a]
            if d_kind[a] == EV_CANCEL:
                # a cancel: off the book first (a no-op for an order that never rested there)
                i = orders[k]["instrument"]
                st, nx = book_event_nb(bs[i], td, K_CANCEL, 0, 0, 0, k, 0.0, book, nx,
                                       (imp_state[i], imp_weight[i], imp_scale[i], imp_exp[i]))
            # an arrival, cancel or snapshot never fills the lot pool; inlined, no whole-desk call (see
            # desk_order_event_nb; ``td`` is the event's own time, as the streams were built)
            desk_order_event_nb(desk, orders, d_kind[a], k, td)
            a += 1
            continue
        nx0 = nx
        q_row = -1
        from_queue = False
        st = BOOK_OK
        if ctx is not None:
            if tq < tv:
                from_queue = True
                st, nx, q_row, i = _queue_event_nb(ctx, tq, venue, bs, book, orders, execs, exec_row, desk, nx,
                                                   imp_state, imp_weight, imp_scale, imp_exp)
        if not from_queue:
            # the venue: background first on ties
            if tb <= tc:
                i = np.int64(bg_inst[b])
                st, nx = book_event_nb(bs[i], tv, streams.bg_kind[b], streams.bg_side[b], streams.bg_price[b],
                                       streams.bg_qty[b], -1, streams.bg_u[b], book, nx,
                                       (imp_state[i], imp_weight[i], imp_scale[i], imp_exp[i]))
                b += 1
            else:
                r = c_row[c]
                i = np.int64(orders[r]["instrument"])
                if venue.o_reachable[r] and orders[r]["status"] == S_NEW:
                    st, nx = book_event_nb(bs[i], tv, venue.o_kind[r], orders[r]["side"], venue.o_level[r],
                                           max(orders[r]["qty"], 1), r, 0.0, book, nx,
                                           (imp_state[i], imp_weight[i], imp_scale[i], imp_exp[i]))
                else:
                    st = BOOK_OK
                c += 1
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
            if ctx is None:
                # desk_event_nb's fill without its whole-desk call (desk_fill_nb is inlined)
                if desk.risk_on:
                    desk_advance_nb(desk, x_ts[x])
                if desk_fill_nb(desk, orders, execs, exec_row, x) != 0:
                    return SESSION_LOT_POOL_FULL, nx
            else:
                f0 = orders[k]["filled_qty"]
                if desk_event_nb(desk, orders, execs, exec_row, EV_FILL, x) != 0:
                    return SESSION_LOT_POOL_FULL, nx
                own = k >= ctx.pool0
                if (ctx.own_fills and own) or (ctx.client_fills and not own):
                    q = orders[k]["filled_qty"] - f0
                    if q > 0:
                        ctx.fill[0], ctx.fill[1], ctx.fill[2] = q, price, orders[k]["side"]
                        _ctx_view_nb(ctx, x_ts[x], g - 1, bs, book, lo, tick)
                        on_event(ctx, state, SE_FILL if own else SE_CLIENT_FILL, x_ts[x], k - ctx.pool0 if own else x)
                        ctx.counts[C_CALLS] += 1
                        _ctx_drain_nb(ctx, x_ts[x], g - 1, venue, bs, orders, execs, exec_row, desk)
        if ctx is not None:
            if q_row >= 0 and orders[q_row]["order_type"] == 0:
                # a market order's remainder ends at the venue at once (as an IOC client order's)
                desk_event_nb(desk, orders, execs, exec_row, EV_CANCEL, q_row)
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
