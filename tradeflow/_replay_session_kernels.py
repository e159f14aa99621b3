"""The replay session in numba: recorded books, client orders, an intraday strategy and the desk, in one time order.

The venue is the recording (:mod:`tradeflow.front.replay`): every replayed instrument's displayed
book moves only with its recorded events, and an order takes what is displayed when it arrives
and, resting, keeps an estimate of the quantity ahead of it (the documented queue-position
models). The desk runs through the very functions of the simulated book session
(:func:`tradeflow.middle.nb.desk_event_nb`, ``desk_begin_nb``, ``desk_finish_nb``) and the
strategy's requests become orders through the session loop's drain
(:func:`tradeflow._session_kernels._ctx_drain_nb`): every pre-trade control, then the venue after
the latency. See :func:`replay_session_loop_nb` and :func:`tradeflow.replay_session.run_replay_session`.

The queue step below is a second copy of the one inlined in
:func:`tradeflow.front.nb.replay_nb` (kept inline there: factored into shared functions it made the
plain replay several times slower). The two are held equal by ``tests/test_replay_intraday.py``: a
replay session whose strategy sends nothing reproduces the plain replay's records bit for bit.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from tradeflow._session_kernels import SESSION_EXEC_OVERFLOW, SESSION_LOT_POOL_FULL, SESSION_OK, _ctx_drain_nb
from tradeflow._strategy_ctx import C_CALLS, C_QHEAD, C_QTAIL, SE_CLIENT_FILL, SE_FILL, SE_STEP, SE_TIMER
from tradeflow.core.jit import event_njit
from tradeflow.front.nb import (
    K_FOK,
    K_LIMIT,
    K_MARKET,
    LIQ_MAKER,
    LIQ_TAKER,
    Q_RISK_AVERSE,
    R_ADD,
    R_EXEC,
    R_HIDE,
    R_NONE,
    R_REDUCE,
    R_SET,
    R_TRADE,
    REPLAY_NEGATIVE_LEVEL,
)
from tradeflow.middle.nb import (
    EV_ARRIVAL,
    EV_CANCEL,
    EV_FILL,
    S_NEW,
    S_PARTIALLY_FILLED,
    desk_begin_nb,
    desk_event_nb,
    desk_finish_nb,
)

REPLAY_SESSION_OK = SESSION_OK
REPLAY_SESSION_EXEC_OVERFLOW = SESSION_EXEC_OVERFLOW
REPLAY_SESSION_LOT_POOL_FULL = SESSION_LOT_POOL_FULL
REPLAY_SESSION_NEGATIVE_LEVEL = REPLAY_NEGATIVE_LEVEL

_INF = np.iinfo(np.int64).max
PRICE_SCALE = 10_000.0  # the recording's prices are integers: price x 10,000 (tradeflow.front.replay.PRICE_SCALE)


class ReplayBooks(NamedTuple):
    """The recorded books of the session and the orders' state at the replay venue.

    ``ev_*``: every replayed instrument's events merged in time order (stable: the streams in
    instrument order), ``ev_inst`` the instrument row, ``ev_lvl`` a global level (``lvl0[i]`` +
    the instrument's local level). ``bid_qty``/``ask_qty``: the displayed books, instrument after
    instrument (``lvl0``, ``n_lv``), ``best[i]`` the local best bid and ask (-1 / ``n_lv`` when
    empty), ``lo``/``tick`` the local level 0 and the tick in recorded units (price x 10,000).
    ``a_ts``/``a_row``: the client orders reaching the venue (``ts`` + latency), sorted;
    ``c_ts``/``c_row``: their cancels reaching it (day limit orders only), sorted, and ``o_cancel`` each
    row's (``_INF``: never). ``x_ts``/``x_row``
    and ``x_rec``: executions made elsewhere (the quote model, for instruments not replayed), fed
    at their times. Per order row: ``front``, ``cum`` (the queue estimate), ``leaves``,
    ``arrival_mid2`` (bid + ask local levels at arrival, -1 when a side is empty); ``act[i]`` the
    rows resting on instrument ``i`` (``n_act[i]`` of them); ``strict[i]`` whether a message removing
    more than its level shows stops the replay (else it is clamped at zero and counted)."""

    ev_ts: np.ndarray
    ev_inst: np.ndarray
    ev_kind: np.ndarray
    ev_side: np.ndarray
    ev_lvl: np.ndarray
    ev_qty: np.ndarray
    bid_qty: np.ndarray
    ask_qty: np.ndarray
    lvl0: np.ndarray
    n_lv: np.ndarray
    best: np.ndarray
    lo: np.ndarray
    tick: np.ndarray
    a_ts: np.ndarray
    a_row: np.ndarray
    c_ts: np.ndarray
    c_row: np.ndarray
    o_cancel: np.ndarray
    x_ts: np.ndarray
    x_row: np.ndarray
    x_rec: np.ndarray
    front: np.ndarray
    cum: np.ndarray
    leaves: np.ndarray
    arrival_mid2: np.ndarray
    act: np.ndarray
    n_act: np.ndarray
    model: int
    power: float
    strict: np.ndarray


@event_njit(inline="always")
def _best_side_nb(rb, i):
    """Recompute instrument ``i``'s best bid and ask from scratch (as the replay venue's ``_best_nb``)."""
    l0 = rb.lvl0[i]
    n = rb.n_lv[i]
    b = rb.best[i, 0]
    if b >= n:
        b = n - 1
    while b >= 0 and rb.bid_qty[l0 + b] == 0:
        b -= 1
    rb.best[i, 0] = b
    a = rb.best[i, 1]
    if a < 0:
        a = 0
    while a < n and rb.ask_qty[l0 + a] == 0:
        a += 1
    rb.best[i, 1] = a


@event_njit(inline="always")
def _exec_nb(rb, orders, execs, exec_row, venue, nx, k, i, ts, qty, lvl, liq):
    """Write one execution of order row ``k`` on instrument ``i`` (local level ``lvl``), priced and
    charged as :func:`tradeflow.front.replay.replay_venue` does. Returns the next row or -1 when full."""
    if nx >= execs.shape[0]:
        return -1
    price = (lvl + rb.lo[i]) * rb.tick[i] / PRICE_SCALE
    bps = venue.taker_bps if liq == LIQ_TAKER else venue.maker_bps
    scale = venue.minor_scale[i]
    execs[nx]["order_id"] = orders[k]["order_id"]
    execs[nx]["ts"] = ts
    execs[nx]["qty"] = qty
    execs[nx]["price"] = price
    execs[nx]["liquidity"] = liq
    execs[nx]["fee"] = np.rint(qty * price * venue.multiplier[i] * bps * 1e-4 * scale) / scale
    am = rb.arrival_mid2[k]
    execs[nx]["arrival_mid"] = (am / 2.0 + rb.lo[i]) * rb.tick[i] / PRICE_SCALE if am >= 0 else np.nan
    exec_row[nx] = k
    return nx + 1


@event_njit(inline="always")
def _recorded_event_nb(rb, e, orders, execs, exec_row, venue, nx):
    """Recorded event ``e``: the displayed book, then the orders resting on its instrument (the queue
    model). Returns (nx or -1 when the executions are full, 1 when it removes more than is shown in
    strict mode, levels clamped at zero)."""
    i = rb.ev_inst[e]
    k = rb.ev_kind[e]
    s = rb.ev_side[e]
    g_lv = rb.ev_lvl[e]
    lv = g_lv - rb.lvl0[i]
    q = rb.ev_qty[e]
    te = rb.ev_ts[e]
    side_qty = rb.bid_qty if s > 0 else rb.ask_qty
    prev = side_qty[g_lv] if k != R_NONE else 0
    clamped = 0
    if k == R_ADD:
        side_qty[g_lv] += q
    elif k == R_REDUCE or k == R_EXEC:
        side_qty[g_lv] -= q
        if side_qty[g_lv] < 0:
            if rb.strict[i]:
                side_qty[g_lv] += q
                return nx, 1, 0
            side_qty[g_lv] = 0
            clamped = 1
    elif k == R_SET:
        side_qty[g_lv] = q
    elif k == R_HIDE:
        side_qty[g_lv] = 0
    new = side_qty[g_lv] if k != R_NONE else 0
    if k != R_NONE and k != R_TRADE:
        if s > 0:
            if new > 0 and lv > rb.best[i, 0]:
                rb.best[i, 0] = lv
            elif new == 0 and lv == rb.best[i, 0]:
                _best_side_nb(rb, i)
        else:
            if new > 0 and lv < rb.best[i, 1]:
                rb.best[i, 1] = lv
            elif new == 0 and lv == rb.best[i, 1]:
                _best_side_nb(rb, i)
    front, cum, leaves, act = rb.front, rb.cum, rb.leaves, rb.act[i]
    j = 0
    while j < rb.n_act[i]:
        r = act[j]
        o_side_s = orders[r]["side"]
        o_lvl = venue.o_level[r]
        fill = 0
        if o_side_s == s:
            if lv == o_lvl:
                if k == R_EXEC or k == R_TRADE:
                    front[r] -= q
                    cum[r] += q
                if k != R_TRADE and k != R_NONE and k != R_HIDE:
                    # the level changed from prev to new (hftbacktest's depth update)
                    if rb.model == Q_RISK_AVERSE:
                        front[r] = min(front[r], float(new))
                    else:
                        chg = float(prev) - float(new) - cum[r]
                        cum[r] = 0.0
                        if chg < 0.0:
                            front[r] = min(front[r], float(new))
                        else:
                            f = front[r]
                            back = float(prev) - f
                            fb = max(back, 0.0) ** rb.power
                            ff = max(f, 0.0) ** rb.power
                            p = fb / (fb + ff) if fb + ff > 0.0 else 1.0
                            est = f - (1.0 - p) * chg + min(back - p * chg, 0.0)
                            front[r] = min(est, float(new))
                if np.round(front[r]) < 0:
                    fill = min(int(np.floor(-front[r])), leaves[r])
                    front[r] = 0.0
            elif (k == R_EXEC or k == R_TRADE) and (lv - o_lvl) * s < 0:
                fill = min(q, leaves[r])  # a trade through our price: it would have met us first
        elif (k == R_ADD or k == R_SET) and new > 0 and (lv - o_lvl) * o_side_s <= 0:
            fill = min(q if k == R_ADD else new, leaves[r])  # opposite liquidity at or through our price
        if fill > 0:
            nx = _exec_nb(rb, orders, execs, exec_row, venue, nx, r, i, te, fill, o_lvl, LIQ_MAKER)
            if nx < 0:
                return nx, 0, clamped
            leaves[r] -= fill
            if leaves[r] == 0:
                rb.n_act[i] -= 1
                act[j] = act[rb.n_act[i]]
                continue
        j += 1
    return nx, 0, clamped


@event_njit(inline="always")
def _arrive_nb(rb, r, i, to, cancelled, orders, execs, exec_row, venue, nx):
    """Order row ``r`` reaches instrument ``i``'s recorded book at ``to``: it takes what is displayed up to
    its limit (FOK: all or nothing) and a day limit order's remainder joins the back of its level's
    queue. ``cancelled``: its cancel is already due (it never rests). Returns nx (-1 when full)."""
    l0 = rb.lvl0[i]
    n_lv = rb.n_lv[i]
    side = orders[r]["side"]
    bb = rb.best[i, 0]
    ba = rb.best[i, 1]
    rb.arrival_mid2[r] = bb + ba if bb >= 0 and ba < n_lv else -1
    kind = venue.o_kind[r]
    if cancelled and kind == K_LIMIT:
        return nx
    limit = venue.o_level[r]
    if kind == K_MARKET:
        limit = n_lv - 1 if side > 0 else 0
    opp = rb.ask_qty if side > 0 else rb.bid_qty
    if kind == K_FOK:
        avail = 0
        lv = ba if side > 0 else bb
        while 0 <= lv < n_lv and (lv - limit) * side <= 0 and avail < rb.leaves[r]:
            avail += opp[l0 + lv]
            lv += side
        if avail < rb.leaves[r]:
            return nx
    lv = ba if side > 0 else bb
    while rb.leaves[r] > 0 and 0 <= lv < n_lv and (lv - limit) * side <= 0:
        if opp[l0 + lv] > 0:
            q = min(rb.leaves[r], opp[l0 + lv])
            nx = _exec_nb(rb, orders, execs, exec_row, venue, nx, r, i, to, q, lv, LIQ_TAKER)
            if nx < 0:
                return nx
            rb.leaves[r] -= q
        lv += side
    if rb.leaves[r] > 0 and kind == K_LIMIT:
        own = rb.bid_qty if side > 0 else rb.ask_qty
        rb.front[r] = float(own[l0 + limit])  # at the back of the displayed queue
        rb.cum[r] = 0.0
        rb.act[i, rb.n_act[i]] = r
        rb.n_act[i] += 1
    return nx


@event_njit
def _leave_nb(rb, r, i):
    """Order row ``r`` leaves instrument ``i``'s queue (a no-op when it does not rest there)."""
    act = rb.act[i]
    for j in range(rb.n_act[i]):
        if act[j] == r:
            rb.n_act[i] -= 1
            act[j] = act[rb.n_act[i]]
            return


@njit(cache=True, nogil=True)
def _sort_by_order_nb(execs, exec_row, lo, hi):
    """Insertion-sort executions ``lo..hi`` (all at one time) by order row, stable: the desk takes
    them in order id order, as it takes a venue's executions at one time."""
    for a in range(lo + 1, hi):
        r = exec_row[a]
        b = a - 1
        while b >= lo and exec_row[b] > r:
            b -= 1
        if b + 1 == a:
            continue
        tmp = np.empty(1, execs.dtype)
        tmp[0] = execs[a]
        for m in range(a, b + 1, -1):
            execs[m] = execs[m - 1]
            exec_row[m] = exec_row[m - 1]
        execs[b + 1] = tmp[0]
        exec_row[b + 1] = r


@event_njit
def _view_nb(ctx, t, g, rb, replayed):
    """The strategy's view at ``t`` (grid step ``g``): the recorded top of each replayed book; the others
    show nothing and take no order (``is_open`` False)."""
    ctx.clock[0] = t
    ctx.clock[1] = g
    for i in range(ctx.bid.shape[0]):
        if not replayed[i]:
            ctx.bid[i] = np.nan
            ctx.ask[i] = np.nan
            ctx.bid_qty[i] = 0
            ctx.ask_qty[i] = 0
            ctx.is_open[i] = False
            continue
        l0 = rb.lvl0[i]
        bb, ba = rb.best[i, 0], rb.best[i, 1]
        if bb >= 0:
            ctx.bid[i] = (bb + rb.lo[i]) * rb.tick[i] / PRICE_SCALE
            ctx.bid_qty[i] = rb.bid_qty[l0 + bb]
        else:
            ctx.bid[i] = np.nan
            ctx.bid_qty[i] = 0
        if ba < rb.n_lv[i]:
            ctx.ask[i] = (ba + rb.lo[i]) * rb.tick[i] / PRICE_SCALE
            ctx.ask_qty[i] = rb.ask_qty[l0 + ba]
        else:
            ctx.ask[i] = np.nan
            ctx.ask_qty[i] = 0
        ctx.is_open[i] = (ctx.win_lo[i] <= g < ctx.win_hi[i] and not ctx.brk_lo[i] <= g < ctx.brk_hi[i]
                          and t + ctx.latency_ns < ctx.inst_close[i])


@njit(cache=True, nogil=True)
def replay_session_loop_nb(d_ts, d_kind, d_ref, grid_ts, rb, replayed, venue, bs, orders, execs, exec_row, desk, ctx,
                           on_event, state):
    """Run one session of the desk and an intraday strategy over the recorded books.

    Time slices: at each time ``t``, the strategy's grid step and timer calls due (before
    anything else at ``t``; what they send may reach the venue first, so the time is looked at
    again), then the desk's arrivals at ``t``, then the venue at ``t`` -- the recorded events,
    then the client orders arriving, then their cancels (the replay venue's ties), the
    executions made elsewhere, then the strategy's orders and cancels reaching the venue -- then
    the executions of ``t`` to the desk in order id order (the strategy called on its own fills
    and, subscribed, the clients'), the strategy's cancels and its market orders' remainders, and
    last the desk's cancels and snapshots at ``t``. That is the order in which
    :func:`tradeflow.middle.run_desk` takes a replay's executions (``DeskEvent`` order at one
    time), so a strategy that sends nothing leaves every record as the plain replay makes it.

    Client orders meet the recording whatever the desk's verdict (as in
    :func:`tradeflow.front.replay.replay_venue`: a rejected order's executions are discarded by
    the desk); the strategy's reach it only when accepted. ``d_*`` the desk's arrivals, cancels
    and snapshots sorted by (ts, kind, row) (``EV_*``), ``grid_ts`` the quote grid, ``rb`` the
    books (:class:`ReplayBooks`), ``replayed[i]`` whether instrument ``i`` is replayed, ``venue``
    and ``bs`` the session loop's :class:`tradeflow._session_kernels.VenueParams` and book rows
    (``BS_N_LEVELS`` the local levels) that its drain writes a strategy order's level into,
    ``desk`` the desk's bundles, ``ctx``/``on_event``/``state`` the strategy (as in
    :func:`tradeflow._session_kernels.session_loop_nb`).

    Returns
    -------
    (status, n_executions, event row of a negative level or -1, levels clamped at zero)
    """
    n_d = d_ts.shape[0]
    n_ev = rb.ev_ts.shape[0]
    n_a = rb.a_ts.shape[0]
    n_c = rb.c_ts.shape[0]
    n_x = rb.x_ts.shape[0]
    n_grid = grid_ts.shape[0]
    desk_begin_nb(desk)
    for i in range(rb.lvl0.shape[0]):
        if replayed[i]:
            _best_side_nb(rb, i)
    pend = np.empty(ctx.queue.shape[0], np.int64)  # the strategy's desk cancels of a slice
    nx = 0
    d = 0
    e = 0
    a = 0
    c = 0
    xr = 0
    g = 0
    n_clamped = 0
    n_timer = 0
    next_timer = grid_ts[0] + ctx.timer_ns if ctx.timer_ns > 0 and n_grid > 0 else _INF
    while True:
        tq = ctx.queue[ctx.counts[C_QHEAD], 0] if ctx.counts[C_QHEAD] < ctx.counts[C_QTAIL] else _INF
        t = min(d_ts[d] if d < n_d else _INF, rb.ev_ts[e] if e < n_ev else _INF, rb.a_ts[a] if a < n_a else _INF,
                rb.c_ts[c] if c < n_c else _INF, rb.x_ts[xr] if xr < n_x else _INF, tq)
        if t == _INF:
            break
        called = False
        while g < n_grid and grid_ts[g] <= t and not called:
            if ctx.every > 0 and g % ctx.every == 0:
                _view_nb(ctx, grid_ts[g], g, rb, replayed)
                on_event(ctx, state, SE_STEP, grid_ts[g], g)
                ctx.counts[C_CALLS] += 1
                _ctx_drain_nb(ctx, grid_ts[g], g, venue, bs, orders, execs, exec_row, desk)
                called = True
            g += 1
        if not called and next_timer <= t:
            n_timer += 1
            _view_nb(ctx, next_timer, g - 1, rb, replayed)
            on_event(ctx, state, SE_TIMER, next_timer, n_timer)
            ctx.counts[C_CALLS] += 1
            _ctx_drain_nb(ctx, next_timer, g - 1, venue, bs, orders, execs, exec_row, desk)
            next_timer += ctx.timer_ns
            called = True
        if called:
            continue
        # the desk's arrivals at t
        while d < n_d and d_ts[d] == t and d_kind[d] == EV_ARRIVAL:
            desk_event_nb(desk, orders, execs, exec_row, EV_ARRIVAL, d_ref[d])
            d += 1
        nx0 = nx
        # the venue at t: recorded events, client arrivals, client cancels
        while e < n_ev and rb.ev_ts[e] == t:
            nx, bad, cl = _recorded_event_nb(rb, e, orders, execs, exec_row, venue, nx)
            if bad:
                return REPLAY_SESSION_NEGATIVE_LEVEL, nx, e, n_clamped
            if nx < 0:
                return REPLAY_SESSION_EXEC_OVERFLOW, 0, -1, n_clamped
            n_clamped += cl
            e += 1
        while a < n_a and rb.a_ts[a] == t:
            r = rb.a_row[a]
            i = np.int64(orders[r]["instrument"])
            nx = _arrive_nb(rb, r, i, t, rb.o_cancel[r] <= t, orders, execs, exec_row, venue, nx)
            if nx < 0:
                return REPLAY_SESSION_EXEC_OVERFLOW, 0, -1, n_clamped
            a += 1
        while c < n_c and rb.c_ts[c] == t:
            r = rb.c_row[c]
            _leave_nb(rb, r, np.int64(orders[r]["instrument"]))
            c += 1
        while xr < n_x and rb.x_ts[xr] == t:
            if nx >= execs.shape[0]:
                return REPLAY_SESSION_EXEC_OVERFLOW, 0, -1, n_clamped
            execs[nx] = rb.x_rec[xr]
            exec_row[nx] = rb.x_row[xr]
            nx += 1
            xr += 1
        # the strategy's orders and cancels reaching the venue at t
        n_pend = 0
        while ctx.counts[C_QHEAD] < ctx.counts[C_QTAIL] and ctx.queue[ctx.counts[C_QHEAD], 0] == t:
            h = ctx.counts[C_QHEAD]
            ctx.counts[C_QHEAD] = h + 1
            k = ctx.queue[h, 1]
            i = np.int64(orders[k]["instrument"])
            working = orders[k]["status"] == S_NEW or orders[k]["status"] == S_PARTIALLY_FILLED
            if ctx.queue[h, 2] == 1:  # a cancel
                if working:
                    _leave_nb(rb, k, i)
                    pend[n_pend] = k
                    n_pend += 1
                continue
            if venue.o_reachable[k] and orders[k]["status"] == S_NEW:
                rb.leaves[k] = orders[k]["qty"]
                nx = _arrive_nb(rb, k, i, t, False, orders, execs, exec_row, venue, nx)
                if nx < 0:
                    return REPLAY_SESSION_EXEC_OVERFLOW, 0, -1, n_clamped
            if orders[k]["order_type"] == 0:  # a market order's remainder ends at the venue at once
                pend[n_pend] = -1 - k
                n_pend += 1
        # the executions of t to the desk, in order id order
        if nx - nx0 > 1:
            _sort_by_order_nb(execs, exec_row, nx0, nx)
        for x in range(nx0, nx):
            k = exec_row[x]
            f0 = orders[k]["filled_qty"]
            if desk_event_nb(desk, orders, execs, exec_row, EV_FILL, x) != 0:
                return REPLAY_SESSION_LOT_POOL_FULL, nx, -1, n_clamped
            own = k >= ctx.pool0
            if (ctx.own_fills and own) or (ctx.client_fills and not own):
                q = orders[k]["filled_qty"] - f0
                if q > 0:
                    ctx.fill[0], ctx.fill[1], ctx.fill[2] = q, execs[x]["price"], orders[k]["side"]
                    _view_nb(ctx, t, g - 1, rb, replayed)
                    on_event(ctx, state, SE_FILL if own else SE_CLIENT_FILL, t, k - ctx.pool0 if own else x)
                    ctx.counts[C_CALLS] += 1
                    _ctx_drain_nb(ctx, t, g - 1, venue, bs, orders, execs, exec_row, desk)
        for m in range(n_pend):
            k = pend[m]
            if k >= 0:
                if orders[k]["status"] == S_NEW or orders[k]["status"] == S_PARTIALLY_FILLED:
                    orders[k]["ts_cancel"] = t
                    desk_event_nb(desk, orders, execs, exec_row, EV_CANCEL, k)
            else:
                desk_event_nb(desk, orders, execs, exec_row, EV_CANCEL, -1 - k)
        # the desk's cancels and snapshots at t
        while d < n_d and d_ts[d] == t:
            if desk_event_nb(desk, orders, execs, exec_row, d_kind[d], d_ref[d]) != 0:
                return REPLAY_SESSION_LOT_POOL_FULL, nx, -1, n_clamped
            d += 1
    desk_finish_nb(desk, orders)
    return REPLAY_SESSION_OK, nx, -1, n_clamped
