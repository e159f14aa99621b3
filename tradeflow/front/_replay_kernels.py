"""Numba kernels of the replay venue: recorded market data drives one instrument's book.

The book is the recorded one, level by level (market by price): ``bid_qty[l]`` and
``ask_qty[l]`` are the displayed quantities at local price level ``l``. Desk and client
orders do not change it (no market impact: the recording is exogenous); they take what is
displayed when they arrive and, when they rest, keep an estimate of the quantity ahead of
them in their level's queue (hftbacktest's queue-position models, see
:mod:`tradeflow.front.replay` for the rules). See :func:`replay_nb`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tradeflow.schema import BookEvent, KernelStatus, Liquidity

# Event kinds of a replay stream (what a recorded message does to the displayed book).
R_ADD = 1  # a new limit order: +qty at (side, level)
R_REDUCE = 2  # a cancel or a deletion: -qty at (side, level)
R_EXEC = 4  # a visible order executed: a trade of qty at (side, level), and -qty there
R_TRADE = 5  # a trade print only (hidden order, or a top-of-book trade): the book does not change
R_NONE = 6  # nothing the book shows (cross trade, halt)
R_SET = 8  # the level's displayed quantity becomes qty (top-of-book and snapshot data)
R_HIDE = 9  # the level leaves the recorded top: shown as empty, queue estimates kept (top-of-book data)

# Queue-position models.
Q_RISK_AVERSE = 0
Q_PROB = 1

# Order kinds of the replay venue (as the book venue's K_*).
RK_LIMIT = int(BookEvent.LIMIT)
RK_IOC = int(BookEvent.IOC)
RK_FOK = int(BookEvent.FOK)
RK_MARKET = int(BookEvent.MARKET)

LIQ_MAKER = int(Liquidity.MAKER)
LIQ_TAKER = int(Liquidity.TAKER)

REPLAY_OK = int(KernelStatus.OK)
REPLAY_EXEC_OVERFLOW = int(KernelStatus.EXEC_OVERFLOW)
REPLAY_NEGATIVE_LEVEL = int(KernelStatus.NEGATIVE_LEVEL)  # a message removes more than its level displays

_INF = np.iinfo(np.int64).max


@njit(cache=True, nogil=True, inline="always")
def _queue_depth_nb(model, power, front, cum, r, prev_qty, new_qty):
    """A level our order rests at changed from ``prev_qty`` to ``new_qty`` (hftbacktest's ``depth``)."""
    if model == Q_RISK_AVERSE:
        front[r] = min(front[r], new_qty)
        return
    chg = prev_qty - new_qty - cum[r]  # what trades did not explain
    cum[r] = 0.0
    if chg < 0.0:
        front[r] = min(front[r], new_qty)
        return
    f = front[r]
    back = prev_qty - f
    fb = max(back, 0.0) ** power
    ff = max(f, 0.0) ** power
    p = fb / (fb + ff) if fb + ff > 0.0 else 1.0
    est = f - (1.0 - p) * chg + min(back - p * chg, 0.0)
    front[r] = min(est, new_qty)


@njit(cache=True, nogil=True, inline="always")
def _best_nb(bid_qty, ask_qty, best):
    """Recompute the best bid (``best[0]``, -1 when empty) and ask (``best[1]``, n when empty) from scratch."""
    n = bid_qty.shape[0]
    b = best[0]
    if b >= n:
        b = n - 1
    while b >= 0 and bid_qty[b] == 0:
        b -= 1
    best[0] = b
    a = best[1]
    if a < 0:
        a = 0
    while a < n and ask_qty[a] == 0:
        a += 1
    best[1] = a


@njit(cache=True, nogil=True)
def replay_nb(ev_ts, ev_kind, ev_side, ev_lvl, ev_qty, bid_qty, ask_qty, best,
              o_ts, o_cancel, o_side, o_lvl, o_qty, o_kind, model, power, strict,
              x_row, x_ts, x_qty, x_lvl, x_liq, arrival_mid2,
              snap_levels, snap, grid_ts, g_bid, g_ask, g_bid_qty, g_ask_qty, g_volume, g_trades):
    """Replay one instrument's recorded events, with the desk's orders, in one time order.

    Parameters
    ----------
    ev_ts, ev_kind, ev_side, ev_lvl, ev_qty : the recorded stream sorted by ``ev_ts``
        ``R_*`` kinds; ``ev_side`` is the side of the resting liquidity (+1 bid, -1 ask).
    bid_qty, ask_qty : int64 arrays of shape (n_levels,)
        The book before the first event; updated in place.
    best : int64 array of shape (2,)
        Best bid and ask levels (state; recomputed at the start).
    o_ts, o_cancel, o_side, o_lvl, o_qty, o_kind : the orders sorted by ``o_ts`` (arrival at the venue)
        ``o_cancel`` the time what is left is cancelled (``_INF``: never); ``o_lvl`` the limit level.
    model, power : the queue-position model (``Q_*``) and its power (``Q_PROB``)
    strict : bool
        A message removing more than its level displays stops the replay (``REPLAY_NEGATIVE_LEVEL``);
        otherwise the level is set to zero and counted (liquidity older than the recording).
    x_* : executions out (``x_row`` the order row, ``x_lvl`` the price level)
    arrival_mid2 : int64 (n_orders,) out: bid + ask levels at arrival, -1 if a side is empty.
    snap_levels, snap : with ``snap_levels`` L > 0, ``snap[k]`` receives after event ``k`` the
        top L levels as ``ask_lvl, ask_qty, bid_lvl, bid_qty`` per level (-1 where empty), as
        a LOBSTER order-book file row.
    grid_ts, g_* : the top of book at each grid time (events at that time included) and the
        traded volume and trade count until the next.

    Returns
    -------
    (status, n_executions, event row of a negative level or -1, levels clamped at zero)
    """
    n_ev = ev_ts.shape[0]
    n_o = o_ts.shape[0]
    n_lv = bid_qty.shape[0]
    cap = x_row.shape[0]
    n_grid = grid_ts.shape[0]
    front = np.zeros(n_o)
    cum = np.zeros(n_o)
    leaves = o_qty.copy()
    active = np.empty(n_o, np.int64)
    n_act = 0
    c_order = np.argsort(o_cancel, kind="mergesort")
    c = 0
    _best_nb(bid_qty, ask_qty, best)
    nx = 0
    e = 0
    o = 0
    g = 0
    volume = 0
    trades = 0
    n_clamped = 0
    while e < n_ev or o < n_o or c < n_o:
        te = ev_ts[e] if e < n_ev else _INF
        to = o_ts[o] if o < n_o else _INF
        tc = o_cancel[c_order[c]] if c < n_o else _INF
        t = min(te, to, tc)
        if t == _INF:
            break
        while g < n_grid and grid_ts[g] < t:
            _grid_nb(g, bid_qty, ask_qty, best, g_bid, g_ask, g_bid_qty, g_ask_qty, g_volume, g_trades, volume, trades)
            g += 1
        if te <= to and te <= tc:
            # ------------------------------------------------------------ a recorded event
            k = ev_kind[e]
            s = ev_side[e]
            lv = ev_lvl[e]
            q = ev_qty[e]
            side_qty = bid_qty if s > 0 else ask_qty
            prev = side_qty[lv] if k != R_NONE else 0
            if k == R_ADD:
                side_qty[lv] += q
            elif k == R_REDUCE or k == R_EXEC:
                side_qty[lv] -= q
                if side_qty[lv] < 0:
                    if strict:
                        return REPLAY_NEGATIVE_LEVEL, nx, e, n_clamped
                    side_qty[lv] = 0  # liquidity from before the recording, beyond its known depth
                    n_clamped += 1
            elif k == R_SET:
                side_qty[lv] = q
            elif k == R_HIDE:
                side_qty[lv] = 0
            if k == R_EXEC or k == R_TRADE:
                volume += q
                trades += 1
            new = side_qty[lv] if k != R_NONE else 0
            if k != R_NONE and k != R_TRADE:
                if s > 0:
                    if new > 0 and lv > best[0]:
                        best[0] = lv
                    elif new == 0 and lv == best[0]:
                        _best_nb(bid_qty, ask_qty, best)
                else:
                    if new > 0 and lv < best[1]:
                        best[1] = lv
                    elif new == 0 and lv == best[1]:
                        _best_nb(bid_qty, ask_qty, best)
            # the desk's resting orders
            j = 0
            while j < n_act:
                r = active[j]
                fill = 0
                if o_side[r] == s:
                    if lv == o_lvl[r]:
                        if k == R_EXEC or k == R_TRADE:
                            front[r] -= q
                            cum[r] += q
                        if k != R_TRADE and k != R_NONE and k != R_HIDE:
                            _queue_depth_nb(model, power, front, cum, r, float(prev), float(new))
                        if np.round(front[r]) < 0:
                            fill = min(int(np.floor(-front[r])), leaves[r])
                            front[r] = 0.0
                    elif (k == R_EXEC or k == R_TRADE) and (lv - o_lvl[r]) * s < 0:
                        fill = min(q, leaves[r])  # a trade through our price: it would have met us first
                elif (k == R_ADD or k == R_SET) and new > 0 and (lv - o_lvl[r]) * o_side[r] <= 0:
                    # opposite liquidity arrives at or through our price: it trades with us
                    fill = min(q if k == R_ADD else new, leaves[r])
                if fill > 0:
                    if nx >= cap:
                        return REPLAY_EXEC_OVERFLOW, nx, -1, n_clamped
                    x_row[nx] = r
                    x_ts[nx] = te
                    x_qty[nx] = fill
                    x_lvl[nx] = o_lvl[r]
                    x_liq[nx] = LIQ_MAKER
                    nx += 1
                    leaves[r] -= fill
                    if leaves[r] == 0:
                        n_act -= 1
                        active[j] = active[n_act]
                        continue
                j += 1
            if snap_levels > 0:
                _snapshot_nb(e, bid_qty, ask_qty, best, snap_levels, snap)
            e += 1
        elif to <= tc:
            # ------------------------------------------------------------ an order reaches the venue
            r = o
            o += 1
            side = o_side[r]
            bb = best[0]
            ba = best[1]
            arrival_mid2[r] = bb + ba if bb >= 0 and ba < n_lv else -1
            if o_cancel[r] <= to and o_kind[r] == RK_LIMIT:
                continue  # cancelled before it arrived
            limit = o_lvl[r]
            if o_kind[r] == RK_MARKET:
                limit = n_lv - 1 if side > 0 else 0
            opp = ask_qty if side > 0 else bid_qty
            if o_kind[r] == RK_FOK:
                avail = 0
                lv = ba if side > 0 else bb
                while 0 <= lv < n_lv and (lv - limit) * side <= 0 and avail < leaves[r]:
                    avail += opp[lv]
                    lv += side
                if avail < leaves[r]:
                    continue
            lv = ba if side > 0 else bb
            while leaves[r] > 0 and 0 <= lv < n_lv and (lv - limit) * side <= 0:
                if opp[lv] > 0:
                    q = min(leaves[r], opp[lv])
                    if nx >= cap:
                        return REPLAY_EXEC_OVERFLOW, nx, -1, n_clamped
                    x_row[nx] = r
                    x_ts[nx] = to
                    x_qty[nx] = q
                    x_lvl[nx] = lv
                    x_liq[nx] = LIQ_TAKER
                    nx += 1
                    leaves[r] -= q
                lv += side
            if leaves[r] > 0 and o_kind[r] == RK_LIMIT:
                own = bid_qty if side > 0 else ask_qty
                front[r] = float(own[limit])  # at the back of the displayed queue
                cum[r] = 0.0
                active[n_act] = r
                n_act += 1
        else:
            # ------------------------------------------------------------ a cancel takes effect
            r = c_order[c]
            c += 1
            for j in range(n_act):
                if active[j] == r:
                    n_act -= 1
                    active[j] = active[n_act]
                    break
    while g < n_grid:
        _grid_nb(g, bid_qty, ask_qty, best, g_bid, g_ask, g_bid_qty, g_ask_qty, g_volume, g_trades, volume, trades)
        g += 1
    return REPLAY_OK, nx, -1, n_clamped


@njit(cache=True, nogil=True, inline="always")
def _grid_nb(g, bid_qty, ask_qty, best, g_bid, g_ask, g_bid_qty, g_ask_qty, g_volume, g_trades, volume, trades):
    n = bid_qty.shape[0]
    b = best[0]
    a = best[1]
    g_bid[g] = b
    g_ask[g] = a if a < n else -1
    g_bid_qty[g] = bid_qty[b] if b >= 0 else 0
    g_ask_qty[g] = ask_qty[a] if a < n else 0
    g_volume[g] = volume
    g_trades[g] = trades


@njit(cache=True, nogil=True)
def _snapshot_nb(row, bid_qty, ask_qty, best, n_levels, snap):
    n = bid_qty.shape[0]
    a = best[1]
    b = best[0]
    for k in range(n_levels):
        while a < n and ask_qty[a] == 0:
            a += 1
        while b >= 0 and bid_qty[b] == 0:
            b -= 1
        if a < n:
            snap[row, 4 * k] = a
            snap[row, 4 * k + 1] = ask_qty[a]
            a += 1
        else:
            snap[row, 4 * k] = -1
            snap[row, 4 * k + 1] = 0
        if b >= 0:
            snap[row, 4 * k + 2] = b
            snap[row, 4 * k + 3] = bid_qty[b]
            b -= 1
        else:
            snap[row, 4 * k + 2] = -1
            snap[row, 4 * k + 3] = 0
