"""Numba kernels of the limit order book, one event at a time, for any number of instruments.

Every instrument's book lives in shared flat arrays: its price levels at
``[level0, level0 + n_levels)`` of the level arrays, its order slots at ``[slot0, slot0 +
slot_cap)`` of the slot arrays and its live list of background orders from ``live0`` of ``live``.
A slot is reused once its order is off the book (filled, cancelled or pulled: a free list
threaded through ``o_next``), so a book needs as many slots as orders rest at once, not one per
order of the day. Slot numbers
stored in the links (``o_next``, ``o_prev``, ``lvl_head``, ``lvl_tail``, ``live``,
``client_slot``) are global; prices (``o_price``, best bid/ask) are levels local to the
instrument. The per-instrument scalars sit in one row of ``bs`` (the ``BS_*`` columns).

:func:`book_event_nb` processes one event and :func:`book_snapshot_nb` records one top of
book, so a caller can interleave the books with anything else in time order: the single
book of :func:`tradeflow.front._kernels.book_run_nb` and the desk's session loop
(:mod:`tradeflow._session_kernels`) share this code.
"""

from __future__ import annotations

import numpy as np

from tradeflow.core.jit import event_njit
from tradeflow.schema import BookEvent, KernelStatus, Liquidity

# Event kinds of the venue's input streams (tradeflow.schema.BookEvent).
K_LIMIT = int(BookEvent.LIMIT)  # a day limit order: match what crosses, rest the remainder
K_IOC = int(BookEvent.IOC)  # immediate-or-cancel limit: match what crosses, cancel the remainder
K_FOK = int(BookEvent.FOK)  # fill-or-kill limit: match in full if the book holds enough within the limit, else nothing
K_MARKET = int(BookEvent.MARKET)  # walks the book at any price; the remainder is cancelled
K_CANCEL = int(BookEvent.CANCEL)  # cancel a client order (``ref`` is its row)
K_BG_CANCEL = int(BookEvent.BG_CANCEL)  # background cancel: ``u`` in [0, 1) picks a slot of the live list

# Execution liquidity codes.
LIQ_MAKER = int(Liquidity.MAKER)
LIQ_TAKER = int(Liquidity.TAKER)

# Kernel status codes.
BOOK_OK = int(KernelStatus.OK)
BOOK_EXEC_OVERFLOW = int(KernelStatus.EXEC_OVERFLOW)

# Columns of the per-instrument state rows ``bs``.
BS_BEST_BID = 0  # best bid level, -1 when empty
BS_BEST_ASK = 1  # best ask level, n_levels when empty
BS_N_SLOTS = 2  # slots ever handed out (the most orders resting at once); freed slots are reused first
BS_N_LIVE = 3  # live background orders
BS_VOLUME = 4  # cumulative traded quantity (background included)
BS_TRADES = 5  # cumulative trades
BS_N_LEVELS = 6
BS_LEVEL0 = 7
BS_SLOT0 = 8
BS_LIVE0 = 9
BS_LIVE_CAP = 10
BS_IMPACT_OFFSET = 11  # the transient impact of client flow, rounded to levels: shifts the background's anchor
BS_ANCHOR = 12  # the last pull's anchor (fair price plus impact, levels) in 1/ANCHOR_SCALE of a level; NO_ANCHOR: none
BS_REANCHOR = 13  # 1: the pull re-anchors the side the fair price moved away from (see book_snapshot_nb); 0: off
BS_MAKER_BID = 14  # slot of the requoting makers' last bid (-1: none); a maker quote replaces it
BS_MAKER_ASK = 15  # ... and of their last ask
BS_FREE = 16  # the first free slot (its successors linked through o_next), -1: none
BS_SLOT_CAP = 17  # the book's slots; an order that finds none left ends the run with BOOK_EXEC_OVERFLOW
BS_COLUMNS = 18
ANCHOR_SCALE = 1024
NO_ANCHOR = -(1 << 62)


@event_njit
def book_reset_nb(bs, lvl_head, lvl_tail, lvl_qty):
    """Empty the book of the instrument whose state row is ``bs`` (its offsets already set)."""
    lv0 = bs[BS_LEVEL0]
    for lvl in range(lv0, lv0 + bs[BS_N_LEVELS]):
        lvl_head[lvl] = -1
        lvl_tail[lvl] = -1
        lvl_qty[lvl] = 0
    bs[BS_BEST_BID] = -1
    bs[BS_BEST_ASK] = bs[BS_N_LEVELS]
    bs[BS_N_SLOTS] = 0
    bs[BS_N_LIVE] = 0
    bs[BS_VOLUME] = 0
    bs[BS_TRADES] = 0
    bs[BS_IMPACT_OFFSET] = 0
    bs[BS_ANCHOR] = NO_ANCHOR
    bs[BS_MAKER_BID] = -1
    bs[BS_MAKER_ASK] = -1
    bs[BS_FREE] = -1


@event_njit
def impact_decay_nb(imp_state, imp_rate, imp_cache, dt):
    """Decay the transient-impact state over ``dt`` ns; returns the impact (sum of its components, in levels).

    ``imp_cache`` holds the last ``dt`` and its decay factors (snapshots are evenly spaced:
    the exponentials are computed once)."""
    if imp_cache[0] != dt:
        imp_cache[0] = dt
        for k in range(imp_state.shape[0]):
            imp_cache[k + 1] = np.exp(-imp_rate[k] * dt)
    tot = 0.0
    for k in range(imp_state.shape[0]):
        imp_state[k] *= imp_cache[k + 1]
        tot += imp_state[k]
    return tot


@event_njit
def impact_on_trade_nb(imp_state, imp_weight, side, taken, imp_scale, imp_exp):
    """A client order that took ``taken`` shares adds ``side * imp_scale * taken ** imp_exp`` levels to the
    impact, split over the kernel's components by ``imp_weight``; returns the new impact."""
    x = side * imp_scale * taken ** imp_exp
    tot = 0.0
    for k in range(imp_state.shape[0]):
        imp_state[k] += imp_weight[k] * x
        tot += imp_state[k]
    return tot


@event_njit
def _unlink_nb(s, lv0, o_prev, o_next, o_price, lvl_head, lvl_tail):
    lvl = lv0 + o_price[s]
    p = o_prev[s]
    n = o_next[s]
    if p >= 0:
        o_next[p] = n
    else:
        lvl_head[lvl] = n
    if n >= 0:
        o_prev[n] = p
    else:
        lvl_tail[lvl] = p


@event_njit
def _live_remove_nb(s, li0, live, live_pos, n_live):
    # swap-remove a background order from the live list; returns the new length
    k = live_pos[s]
    last = live[li0 + n_live - 1]
    live[li0 + k] = last
    live_pos[last] = k
    live_pos[s] = -1
    return n_live - 1


@event_njit(inline="always")
def _free_slot_nb(bs, s, o_next):
    # slot ``s`` is off the book (unlinked, quantity 0): first in line for the next order; a makers'
    # quote that was there is gone (a requote must not cancel the order reusing its slot)
    o_next[s] = bs[BS_FREE]
    bs[BS_FREE] = s
    if bs[BS_MAKER_BID] == s:
        bs[BS_MAKER_BID] = -1
    if bs[BS_MAKER_ASK] == s:
        bs[BS_MAKER_ASK] = -1


@event_njit
def _pull_level_nb(bs, lvl, lv0, li0, o_qty, o_ref, o_next, o_prev, o_price, lvl_head, lvl_tail, lvl_qty, live,
                   live_pos, n_live):
    """Cancel every background order resting at local level ``lvl``; returns the new live count."""
    s = lvl_head[lv0 + lvl]
    while s >= 0:
        nxt = o_next[s]
        if o_ref[s] < 0:
            _unlink_nb(s, lv0, o_prev, o_next, o_price, lvl_head, lvl_tail)
            lvl_qty[lv0 + lvl] -= o_qty[s]
            o_qty[s] = 0
            if live_pos[s] >= 0:
                n_live = _live_remove_nb(s, li0, live, live_pos, n_live)
            _free_slot_nb(bs, s, o_next)
        s = nxt
    return n_live


@event_njit(inline="always")  # per event: no call, no refcounts
def book_snapshot_nb(bs, fair, book, out_row, snaps, dt, imp_state, imp_rate, imp_cache, depth):
    """Decay the transient impact over ``dt`` ns (the time since the last snapshot; 0: none),
    record the top of the book (as the events before this time left it) and the impact at
    ``out_row`` of the ``snap_*`` arrays, then pull the background quotes the fair price
    ``fair`` (a level; NaN: none) plus the impact has run through.

    The pull comes after the record: market makers requote at once (background events at
    the snapshot's time, :func:`tradeflow.front.venue.background_flow`), so a quote recorded
    between a pull and the requote it triggers would show a spread no one could trade on.

    Market makers do not leave quotes the fair price has passed: every background bid above
    it and every background ask below it is cancelled, including those queued behind (or at
    levels beyond) a client order; client orders stay. With ``bs[BS_REANCHOR]`` the book is
    re-anchored too: when the fair price (plus impact) fell by ``d`` levels since the last
    snapshot, the background bids less than ``d`` behind it go as well (they were placed ``d``
    further behind the old fair price than they now sit), and when it rose, the asks less
    than ``d`` above it; otherwise those stale orders hold one side's touch next to the fair
    price while the other side's sits where the flow places it, and the mid lags. ``book``
    is the tuple of the books' arrays (see :func:`book_event_nb`), ``snaps`` the tuple
    ``(bid, ask, bid_qty, ask_qty, cum_volume, cum_trades, impact)`` of output arrays.

    ``depth`` is ``(bid_level, bid_qty, ask_level, ask_qty, every)``: every ``every``-th snapshot
    (``out_row % every == 0``, 0: never) also records the ``L`` best non-empty levels of each side
    (``L`` the arrays' second axis, rows of shape ``(n_rows, L)``) at row ``out_row // every``;
    missing levels are -1 with quantity 0.
    """
    o_price, o_qty, o_ref, o_next, o_prev = book[0], book[1], book[3], book[4], book[5]
    lvl_head, lvl_tail, lvl_qty, live, live_pos = book[6], book[7], book[8], book[9], book[10]
    snap_bid, snap_ask, snap_bid_qty, snap_ask_qty, snap_cum_volume, snap_cum_trades, snap_impact = snaps
    if dt > 0 and imp_state.shape[0] > 0:
        imp = impact_decay_nb(imp_state, imp_rate, imp_cache, dt)
        bs[BS_IMPACT_OFFSET] = np.int64(np.floor(imp + 0.5))
    imp = 0.0
    for k in range(imp_state.shape[0]):
        imp += imp_state[k]
    snap_impact[out_row] = imp
    fair = fair + bs[BS_IMPACT_OFFSET]
    n_levels = bs[BS_N_LEVELS]
    lv0 = bs[BS_LEVEL0]
    li0 = bs[BS_LIVE0]
    best_bid = bs[BS_BEST_BID]
    best_ask = bs[BS_BEST_ASK]
    n_live = bs[BS_N_LIVE]
    # the top of the book as the events before ``out_row``'s time left it (the pull comes after)
    snap_bid[out_row] = best_bid
    snap_ask[out_row] = best_ask if best_ask < n_levels else -1
    snap_bid_qty[out_row] = lvl_qty[lv0 + best_bid] if best_bid >= 0 else 0
    snap_ask_qty[out_row] = lvl_qty[lv0 + best_ask] if best_ask < n_levels else 0
    snap_cum_volume[out_row] = bs[BS_VOLUME]
    snap_cum_trades[out_row] = bs[BS_TRADES]
    d_bid, d_bid_qty, d_ask, d_ask_qty, every = depth
    if every > 0 and out_row % every == 0 and out_row // every < d_bid.shape[0]:
        r = out_row // every
        n_depth = d_bid.shape[1]
        k = 0
        lvl = best_bid
        while k < n_depth:
            while lvl >= 0 and lvl_qty[lv0 + lvl] == 0:
                lvl -= 1
            d_bid[r, k] = lvl
            d_bid_qty[r, k] = lvl_qty[lv0 + lvl] if lvl >= 0 else 0
            if lvl >= 0:
                lvl -= 1
            k += 1
        k = 0
        lvl = best_ask
        while k < n_depth:
            while lvl < n_levels and lvl_qty[lv0 + lvl] == 0:
                lvl += 1
            d_ask[r, k] = lvl if lvl < n_levels else -1
            d_ask_qty[r, k] = lvl_qty[lv0 + lvl] if lvl < n_levels else 0
            if lvl < n_levels:
                lvl += 1
            k += 1
    if fair == fair:
        # every background bid above the fair price goes, behind a client order too; client orders stay
        bid_cut = fair
        ask_cut = fair
        prev = bs[BS_ANCHOR]
        if bs[BS_REANCHOR] != 0 and prev != NO_ANCHOR:
            # re-anchoring: the fair price fell by ``prev - fair``: the bids that close behind it were placed that much
            # further behind the old one; they go, as the asks that close above a rising fair price do, so both sides
            # of the book sit as far from the fair price as the flow placed them (no stale side holding the mid back)
            prev_f = prev / ANCHOR_SCALE
            if prev_f > fair:
                bid_cut = 2.0 * fair - prev_f
            else:
                ask_cut = 2.0 * fair - prev_f
        bs[BS_ANCHOR] = np.int64(np.floor(fair * ANCHOR_SCALE))
        lvl = best_bid
        while lvl >= 0 and lvl > bid_cut:
            if lvl_qty[lv0 + lvl] > 0:
                n_live = _pull_level_nb(bs, lvl, lv0, li0, o_qty, o_ref, o_next, o_prev, o_price, lvl_head, lvl_tail,
                                        lvl_qty, live, live_pos, n_live)
            lvl -= 1
        while best_bid >= 0 and lvl_qty[lv0 + best_bid] == 0:
            best_bid -= 1
        lvl = best_ask
        while lvl < n_levels and lvl < ask_cut:
            if lvl_qty[lv0 + lvl] > 0:
                n_live = _pull_level_nb(bs, lvl, lv0, li0, o_qty, o_ref, o_next, o_prev, o_price, lvl_head, lvl_tail,
                                        lvl_qty, live, live_pos, n_live)
            lvl += 1
        while best_ask < n_levels and lvl_qty[lv0 + best_ask] == 0:
            best_ask += 1
    bs[BS_BEST_BID] = best_bid
    bs[BS_BEST_ASK] = best_ask
    bs[BS_N_LIVE] = n_live


@event_njit(inline="always")  # per event: no call, no refcounts
def book_event_nb(bs, ts, kind, side, price, qty, ref, u, book, nx, imp):
    """Process one event in one instrument's book (state row ``bs``).

    Prices are local levels in ``[0, n_levels)``; a background order's price is relative to
    the fair price and is shifted here by the book's transient impact (``BS_IMPACT_OFFSET``).
    A background limit with ``u < 0`` is a market maker's requote: with ``bs[BS_REANCHOR]`` it
    first cancels the makers' previous quote on its side if that still rests (``BS_MAKER_BID``,
    ``BS_MAKER_ASK``), so the makers' quotes follow the fair price instead of piling up behind it.
    The impact is a state
    which a client order that takes ``q`` shares moves by ``side * imp_scale * q ** imp_exp``
    levels, spread over the propagator's components ``imp_weight`` (empty: no impact).

    Each match trades at the resting order's price; client executions (``ref >= 0`` as taker,
    a resting client order as maker) are appended to ``x_*`` from row ``nx`` (``x_ref`` is the
    client row); background-only trades only count in the volume. ``arrival_mid[ref]`` is
    bid + ask levels (twice the mid) when a client order arrives, -1 if a side is empty.

    ``book`` is the tuple ``(o_price, o_qty, o_side, o_ref, o_next, o_prev, lvl_head, lvl_tail,
    lvl_qty, live, live_pos, client_slot, arrival_mid, x_ref, x_ts, x_qty, x_price, x_liq, t_ts, t_lvl, t_qty,
    t_side, t_taker, t_maker, t_n)``. The last seven are the tape: with ``t_n[1] == 1`` every match
    (background ones too) is appended at row ``t_n[0]``: time, global level (``level0`` + local),
    quantity, aggressor side and the client rows of taker and maker (-1: background);
    ``t_n[1] == 0``: no tape
    and ``imp`` the tuple ``(imp_state, imp_weight, imp_scale, imp_exp)``: tuples keep the
    call under CPython's 30 positional arguments, so numba can inline it into its callers'
    event loops (a call per event, with its reference counts, cost more than the event).

    Returns
    -------
    (status, nx) : ``BOOK_EXEC_OVERFLOW`` when ``x_*``, the tape or the book's slots are full (the book
    is then inconsistent: the caller runs again with more room).
    """
    (o_price, o_qty, o_side, o_ref, o_next, o_prev, lvl_head, lvl_tail, lvl_qty, live, live_pos, client_slot,
         arrival_mid, x_ref, x_ts, x_qty, x_price, x_liq, t_ts, t_lvl, t_qty, t_side, t_taker, t_maker, t_n) = book
    imp_state, imp_weight, imp_scale, imp_exp = imp
    n_levels = bs[BS_N_LEVELS]
    lv0 = bs[BS_LEVEL0]
    li0 = bs[BS_LIVE0]
    best_bid = bs[BS_BEST_BID]
    best_ask = bs[BS_BEST_ASK]
    n_live = bs[BS_N_LIVE]
    cap = x_ref.shape[0]
    status = BOOK_OK

    if kind == K_CANCEL or kind == K_BG_CANCEL:
        if kind == K_CANCEL:
            s = client_slot[ref]
            if s < 0:
                return status, nx  # already filled or never rested
            client_slot[ref] = -1
        else:
            k = int(u * bs[BS_LIVE_CAP])
            if k >= n_live:
                return status, nx  # thinning: a per-order cancel hazard of rate / live capacity
            s = live[li0 + k]
            n_live = _live_remove_nb(s, li0, live, live_pos, n_live)
        lvl = o_price[s]
        _unlink_nb(s, lv0, o_prev, o_next, o_price, lvl_head, lvl_tail)
        lvl_qty[lv0 + lvl] -= o_qty[s]
        o_qty[s] = 0
        _free_slot_nb(bs, s, o_next)
        if lvl_qty[lv0 + lvl] == 0:
            if lvl == best_bid:
                while best_bid >= 0 and lvl_qty[lv0 + best_bid] == 0:
                    best_bid -= 1
            elif lvl == best_ask:
                while best_ask < n_levels and lvl_qty[lv0 + best_ask] == 0:
                    best_ask += 1
        bs[BS_BEST_BID] = best_bid
        bs[BS_BEST_ASK] = best_ask
        bs[BS_N_LIVE] = n_live
        return status, nx

    # ---------------------------------------------------------------- new orders
    maker_col = -1
    if ref < 0 and kind == K_LIMIT:
        price = min(max(price + bs[BS_IMPACT_OFFSET], 0), n_levels - 1)
        if u < 0.0 and bs[BS_REANCHOR] != 0:
            # a market maker's requote (u < 0) replaces its previous quote on that side if it still rests
            maker_col = BS_MAKER_BID if side > 0 else BS_MAKER_ASK
            s = bs[maker_col]
            if s >= 0 and o_qty[s] > 0:
                lvl = o_price[s]
                _unlink_nb(s, lv0, o_prev, o_next, o_price, lvl_head, lvl_tail)
                lvl_qty[lv0 + lvl] -= o_qty[s]
                o_qty[s] = 0
                if live_pos[s] >= 0:
                    n_live = _live_remove_nb(s, li0, live, live_pos, n_live)
                _free_slot_nb(bs, s, o_next)
                if lvl_qty[lv0 + lvl] == 0:
                    if lvl == best_bid:
                        while best_bid >= 0 and lvl_qty[lv0 + best_bid] == 0:
                            best_bid -= 1
                    elif lvl == best_ask:
                        while best_ask < n_levels and lvl_qty[lv0 + best_ask] == 0:
                            best_ask += 1
            bs[maker_col] = -1
    if ref >= 0:
        if best_bid >= 0 and best_ask < n_levels:
            arrival_mid[ref] = best_bid + best_ask
        else:
            arrival_mid[ref] = -1
    if kind == K_MARKET:
        price = n_levels - 1 if side > 0 else 0
    if kind == K_FOK:
        avail = 0
        if side > 0:
            lvl = best_ask
            while lvl <= price and lvl < n_levels and avail < qty:
                avail += lvl_qty[lv0 + lvl]
                lvl += 1
        else:
            lvl = best_bid
            while lvl >= price and lvl >= 0 and avail < qty:
                avail += lvl_qty[lv0 + lvl]
                lvl -= 1
        if avail < qty:
            return status, nx  # killed: nothing trades
    volume = bs[BS_VOLUME]
    trades = bs[BS_TRADES]
    qty0 = qty
    # match against the opposite side, best level first, FIFO inside a level
    while qty > 0:
        if side > 0:
            if best_ask >= n_levels or best_ask > price:
                break
            lvl = best_ask
        else:
            if best_bid < 0 or best_bid < price:
                break
            lvl = best_bid
        s = lvl_head[lv0 + lvl]
        q = min(qty, o_qty[s])
        qty -= q
        o_qty[s] -= q
        lvl_qty[lv0 + lvl] -= q
        volume += q
        trades += 1
        maker = o_ref[s]
        if t_n[1] != 0:
            nt = t_n[0]
            if nt >= t_ts.shape[0]:
                status = BOOK_EXEC_OVERFLOW
                break
            t_ts[nt] = ts
            t_lvl[nt] = lv0 + lvl
            t_qty[nt] = q
            t_side[nt] = side
            t_taker[nt] = ref
            t_maker[nt] = maker
            t_n[0] = nt + 1
        if ref >= 0 or maker >= 0:
            if nx + 2 > cap:
                status = BOOK_EXEC_OVERFLOW
                break
            if ref >= 0:
                x_ref[nx] = ref
                x_ts[nx] = ts
                x_qty[nx] = q
                x_price[nx] = lvl
                x_liq[nx] = LIQ_TAKER
                nx += 1
            if maker >= 0:
                x_ref[nx] = maker
                x_ts[nx] = ts
                x_qty[nx] = q
                x_price[nx] = lvl
                x_liq[nx] = LIQ_MAKER
                nx += 1
        if o_qty[s] == 0:
            _unlink_nb(s, lv0, o_prev, o_next, o_price, lvl_head, lvl_tail)
            if maker >= 0:
                client_slot[maker] = -1
            elif live_pos[s] >= 0:
                n_live = _live_remove_nb(s, li0, live, live_pos, n_live)
            _free_slot_nb(bs, s, o_next)
        if lvl_qty[lv0 + lvl] == 0:
            if side > 0:
                while best_ask < n_levels and lvl_qty[lv0 + best_ask] == 0:
                    best_ask += 1
            else:
                while best_bid >= 0 and lvl_qty[lv0 + best_bid] == 0:
                    best_bid -= 1
    bs[BS_VOLUME] = volume
    bs[BS_TRADES] = trades
    if ref >= 0 and qty < qty0 and imp_state.shape[0] > 0:
        imp = impact_on_trade_nb(imp_state, imp_weight, side, qty0 - qty, imp_scale, imp_exp)
        bs[BS_IMPACT_OFFSET] = np.int64(np.floor(imp + 0.5))
    if status == BOOK_OK and qty > 0 and kind == K_LIMIT and bs[BS_FREE] < 0 and bs[BS_N_SLOTS] >= bs[BS_SLOT_CAP]:
        status = BOOK_EXEC_OVERFLOW  # no slot left: the caller runs again with more
    if status == BOOK_OK and qty > 0 and kind == K_LIMIT:
        # rest the remainder at the back of its level's queue (IOC/FOK/market remainders are cancelled)
        s = bs[BS_FREE]
        if s >= 0:
            bs[BS_FREE] = o_next[s]
        else:
            s = bs[BS_SLOT0] + bs[BS_N_SLOTS]
            bs[BS_N_SLOTS] += 1
        o_price[s] = price
        o_qty[s] = qty
        o_side[s] = side
        o_ref[s] = ref
        o_next[s] = -1
        t = lvl_tail[lv0 + price]
        o_prev[s] = t
        if t >= 0:
            o_next[t] = s
        else:
            lvl_head[lv0 + price] = s
        lvl_tail[lv0 + price] = s
        lvl_qty[lv0 + price] += qty
        if side > 0:
            if price > best_bid:
                best_bid = price
        elif price < best_ask:
            best_ask = price
        if ref >= 0:
            client_slot[ref] = s
        else:
            if maker_col >= 0:
                bs[maker_col] = s
            if n_live < bs[BS_LIVE_CAP]:
                live[li0 + n_live] = s
                live_pos[s] = n_live
                n_live += 1
            else:
                live_pos[s] = -1  # beyond the live list: never cancelled at random
    bs[BS_BEST_BID] = best_bid
    bs[BS_BEST_ASK] = best_ask
    bs[BS_N_LIVE] = n_live
    return status, nx
