"""Numba kernels of the front office's fill model."""

from __future__ import annotations

import numpy as np
from numba import njit

from tradeflow.front._book_kernels import (  # noqa: F401  (K_*, LIQ_*, BOOK_* are re-exported)
    BOOK_EXEC_OVERFLOW,
    BOOK_OK,
    BS_COLUMNS,
    BS_LIVE_CAP,
    BS_N_LEVELS,
    BS_REANCHOR,
    BS_SLOT_CAP,
    K_BG_CANCEL,
    K_CANCEL,
    K_FOK,
    K_IOC,
    K_LIMIT,
    K_MARKET,
    LIQ_MAKER,
    LIQ_TAKER,
    book_event_nb,
    book_reset_nb,
    book_snapshot_nb,
)

BLOCK = 64  # quote steps per block of the min/max index
SUPER = 64  # blocks per superblock, the index's second level


@njit(cache=True, nogil=True)
def block_extrema_nb(bid, ask, block):
    """Per-block max of bids and min of asks, shape (n_instruments, n_blocks)."""
    n_inst, n_steps = ask.shape
    n_blocks = (n_steps + block - 1) // block
    max_bid = np.full((n_inst, n_blocks), -np.inf)
    min_ask = np.full((n_inst, n_blocks), np.inf)
    for i in range(n_inst):
        for t in range(n_steps):
            b = t // block
            if bid[i, t] > max_bid[i, b]:
                max_bid[i, b] = bid[i, t]
            if ask[i, t] < min_ask[i, b]:
                min_ask[i, b] = ask[i, t]
    return max_bid, min_ask


@njit(cache=True, nogil=True)
def _crosses_nb(x, limit, is_buy):
    # the quote (or a block's extremum) trades through ``limit``: an ask below a buy's, a bid above a sell's
    return x < limit if is_buy else x > limit


@njit(cache=True, nogil=True)
def _first_in_block_nb(quote, i, b, block, limit, is_buy):
    # the first step of block ``b`` that trades through ``limit``, or -1
    t = b * block
    stop = min(quote.shape[1], t + block)
    while t < stop:
        if _crosses_nb(quote[i, t], limit, is_buy):
            return t
        t += 1
    return -1


@njit(cache=True, nogil=True)
def _first_through_nb(quote, block_ext, super_ext, i, start, limit, block, is_buy):
    """First step >= start where the quote trades through ``limit`` (ask < limit for a buy,
    bid > limit for a sell), or -1. Scans the rest of the current block step by step, then the
    rest of its superblock (:data:`SUPER` blocks) by the blocks' extrema, then whole superblocks
    by theirs, and inside the first one that crosses: O(block + SUPER + steps / (block * SUPER))
    for an order that never fills, where a scan of every block was O(steps / block)."""
    n_steps = quote.shape[1]
    t = start
    end = min(n_steps, ((start // block) + 1) * block)
    while t < end:
        if _crosses_nb(quote[i, t], limit, is_buy):
            return t
        t += 1
    n_blocks = block_ext.shape[1]
    b = start // block + 1  # the first block after the one scanned step by step
    stop = min(n_blocks, (b // SUPER + 1) * SUPER) if b < n_blocks else n_blocks
    while b < stop:
        if _crosses_nb(block_ext[i, b], limit, is_buy):
            return _first_in_block_nb(quote, i, b, block, limit, is_buy)
        b += 1
    for s in range(stop // SUPER if stop % SUPER == 0 else super_ext.shape[1], super_ext.shape[1]):
        if _crosses_nb(super_ext[i, s], limit, is_buy):
            for b in range(s * SUPER, min(n_blocks, (s + 1) * SUPER)):
                if _crosses_nb(block_ext[i, b], limit, is_buy):
                    return _first_in_block_nb(quote, i, b, block, limit, is_buy)
    return -1


@njit(cache=True, nogil=True)
def _super_extrema_nb(block_ext, is_max):
    # the extrema of every SUPER consecutive blocks
    n_inst, n_blocks = block_ext.shape
    n_super = (n_blocks + SUPER - 1) // SUPER
    out = np.full((n_inst, n_super), -np.inf if is_max else np.inf)
    for i in range(n_inst):
        for b in range(n_blocks):
            s = b // SUPER
            x = block_ext[i, b]
            if (x > out[i, s]) if is_max else (x < out[i, s]):
                out[i, s] = x
    return out


@njit(cache=True, nogil=True)
def candidate_fills_nb(step, instrument, side, is_limit, limit_price, bid, ask, max_bid, min_ask,
                       block, out_step, out_price, out_taker):
    """Where and at what price each order would fill if accepted.

    A market order, or a limit order that is marketable on arrival, takes the touch
    (ask for a buy, bid for a sell) at its arrival step. A resting limit order fills
    at its limit at the first later step where the opposite quote trades through it.
    ``out_step`` is -1 for an order that never fills (it expires at the close).
    """
    max_bid_s = _super_extrema_nb(max_bid, True)
    min_ask_s = _super_extrema_nb(min_ask, False)
    for k in range(step.shape[0]):
        i = instrument[k]
        t = step[k]
        buy = side[k] > 0
        touch = ask[i, t] if buy else bid[i, t]
        if not is_limit[k] or (buy and limit_price[k] >= touch) or (not buy and limit_price[k] <= touch):
            out_step[k] = t
            out_price[k] = touch
            out_taker[k] = True
            continue
        if buy:
            j = _first_through_nb(ask, min_ask, min_ask_s, i, t + 1, limit_price[k], block, True)
        else:
            j = _first_through_nb(bid, max_bid, max_bid_s, i, t + 1, limit_price[k], block, False)
        out_step[k] = j
        out_price[k] = limit_price[k] if j >= 0 else np.nan
        out_taker[k] = False


@njit(cache=True, nogil=True)
def execution_records_nb(orders, out_step, out_price, out_taker, times, taker_bps, maker_bps, minor_scale,
                         multiplier, slot, execs):
    """Write the executions of :func:`candidate_fills_nb`'s output into ``execs`` (EXECUTION_DT, room for
    every order that fills): the ``n``-th execution, in the orders' order, at row ``slot[n]`` (e.g. its
    place in time order); returns how many.

    A taker fills at its arrival ``ts``, a maker at the grid time its limit was traded through; the fee
    is ``taker_bps`` or ``maker_bps`` of qty x price x the instrument's ``multiplier``, rounded to the
    currency's minor unit (``minor_scale`` = 10 ** minor units), in numpy's order of operations.
    """
    n = 0
    for k in range(orders.shape[0]):
        t = out_step[k]
        if t < 0:
            continue
        taker = out_taker[k]
        i = orders[k]["instrument"]
        qty = orders[k]["qty"]
        price = out_price[k]
        bps = taker_bps if taker else maker_bps
        scale = minor_scale[i]
        r = slot[n]
        execs[r]["order_id"] = orders[k]["order_id"]
        execs[r]["ts"] = orders[k]["ts"] if taker else times[t]
        execs[r]["qty"] = qty
        execs[r]["price"] = price
        execs[r]["liquidity"] = LIQ_TAKER if taker else LIQ_MAKER
        execs[r]["fee"] = np.rint(qty * price * multiplier[i] * bps * 1e-4 * scale) / scale
        execs[r]["arrival_mid"] = 0.0
        n += 1
    return n


# --------------------------------------------------------------------------- the limit order book
@njit(cache=True, nogil=True)
def book_run_nb(bg_ts, bg_kind, bg_side, bg_price, bg_qty, bg_u,
                cl_ts, cl_kind, cl_side, cl_price, cl_qty, cl_ref,
                n_levels, snap_ts, snap_fair,
                x_ref, x_ts, x_qty, x_price, x_liq, arrival_mid,
                snap_bid, snap_ask, snap_bid_qty, snap_ask_qty, snap_cum_volume, snap_cum_trades,
                o_price, o_qty, o_side, o_ref, o_next, o_prev, lvl_head, lvl_tail, lvl_qty,
                live, live_pos, client_slot,
                imp_weight, imp_rate, imp_scale, imp_exp, imp_state, imp_cache, snap_impact,
                tape, depth, reanchor):
    """Run one instrument's price-time-priority book over two time-sorted event streams.

    The background stream (zero-intelligence liquidity) and the client stream are merged
    by time (background first on ties) and fed one event at a time to
    :func:`tradeflow.front._book_kernels.book_event_nb`. Prices are level indices in
    ``[0, n_levels)``; a level holds one FIFO queue (a doubly linked list of order slots), and
    only one side can rest at a level at a time, since an incoming order first matches
    whatever it crosses. Each match trades at the resting order's price. Client executions
    (both as taker and as maker) are written to ``x_*`` (``x_ref`` is the client row);
    background-only trades are counted in the snapshot volume only.

    At each snapshot time the background orders on the wrong side of ``snap_fair[s]`` (bids
    above it, asks below, at every level: also behind or beyond a client order; NaN: none)
    are pulled, client orders stay: market makers do not leave quotes the fair price has run
    through.
    ``snap_*[s]`` is the book after every event with ``ts < snap_ts[s]``: best bid/ask level
    (-1 when the side is empty), their quantities, and cumulative traded volume and trades.
    ``arrival_mid[row]`` is bid + ask levels (twice the mid) when the client order arrived,
    -1 if a side was empty.

    Transient impact (a propagator, empty ``imp_weight`` for none): each client order that
    takes ``q`` shares adds ``side * imp_scale * q ** imp_exp`` levels to a state of
    exponentials (weights ``imp_weight``, rates ``imp_rate`` per ns, decayed at snapshot
    times; ``imp_cache``: scratch of ``len(imp_weight) + 1``, first entry -1); background
    limit prices and the pull threshold shift by the rounded state, recorded in ``snap_impact``.

    ``tape`` is the tuple ``(t_ts, t_lvl, t_qty, t_side, t_taker, t_maker, t_n)`` and ``depth``
    ``(bid_level, bid_qty, ask_level, ask_qty, every)`` of :func:`book_event_nb` and
    :func:`book_snapshot_nb` (``t_n[1] == 0``, ``every == 0``: not recorded).

    Returns
    -------
    (status, n_executions) ; ``BOOK_EXEC_OVERFLOW`` also when the tape is full

    ``reanchor`` (0/1) switches the snapshots' re-anchoring pull (``BS_REANCHOR``).
    """
    n_bg = bg_ts.shape[0]
    n_cl = cl_ts.shape[0]
    n_snap = snap_ts.shape[0]
    bs = np.zeros(BS_COLUMNS, np.int64)
    bs[BS_N_LEVELS] = n_levels
    bs[BS_LIVE_CAP] = live.shape[0]
    bs[BS_SLOT_CAP] = o_price.shape[0]
    bs[BS_REANCHOR] = reanchor
    book_reset_nb(bs, lvl_head, lvl_tail, lvl_qty)
    nx = 0
    s_i = 0
    i = 0
    j = 0
    book = (o_price, o_qty, o_side, o_ref, o_next, o_prev, lvl_head, lvl_tail, lvl_qty, live, live_pos, client_slot,
            arrival_mid, x_ref, x_ts, x_qty, x_price, x_liq, tape[0], tape[1], tape[2], tape[3], tape[4], tape[5],
            tape[6])
    snaps = (snap_bid, snap_ask, snap_bid_qty, snap_ask_qty, snap_cum_volume, snap_cum_trades, snap_impact)
    imp = (imp_state, imp_weight, imp_scale, imp_exp)
    while i < n_bg or j < n_cl:
        take_bg = j >= n_cl or (i < n_bg and bg_ts[i] <= cl_ts[j])
        ts = bg_ts[i] if take_bg else cl_ts[j]
        while s_i < n_snap and snap_ts[s_i] <= ts:
            dt = snap_ts[s_i] - snap_ts[s_i - 1] if s_i > 0 else 0
            book_snapshot_nb(bs, snap_fair[s_i], book, s_i, snaps, dt, imp_state, imp_rate, imp_cache, depth)
            s_i += 1
        if take_bg:
            status, nx = book_event_nb(bs, ts, bg_kind[i], bg_side[i], bg_price[i], bg_qty[i], -1, bg_u[i], book,
                                       nx, imp)
            i += 1
        else:
            status, nx = book_event_nb(bs, ts, cl_kind[j], cl_side[j], cl_price[j], cl_qty[j], cl_ref[j], 0.0, book,
                                       nx, imp)
            j += 1
        if status != BOOK_OK:
            return status, nx
    while s_i < n_snap:  # after the last event
        dt = snap_ts[s_i] - snap_ts[s_i - 1] if s_i > 0 else 0
        book_snapshot_nb(bs, snap_fair[s_i], book, s_i, snaps, dt, imp_state, imp_rate, imp_cache, depth)
        s_i += 1
    return BOOK_OK, nx


# --------------------------------------------------------------------------- arrivals
@njit(cache=True, nogil=True)
def hawkes_times_nb(rng, mu_step, step_s, horizon_s, branching, decay, out):
    """Arrival times (seconds) of a Hawkes process with an exponential kernel, by thinning.

    The intensity is ``mu(t) + sum_i branching * decay * exp(-decay (t - t_i))`` with a
    piecewise-constant baseline ``mu(t) = mu_step[floor(t / step_s)]``. The excitation is
    carried recursively (one multiply per candidate), so the cost is O(n). Writes into
    ``out``; returns the count, or -1 if ``out`` is too small.
    """
    n_steps = mu_step.shape[0]
    mu_max = 0.0
    for k in range(n_steps):
        if mu_step[k] > mu_max:
            mu_max = mu_step[k]
    t = 0.0
    exc = 0.0  # excitation intensity at t
    jump = branching * decay
    n = 0
    while True:
        bound = mu_max + exc
        if bound <= 0.0:
            break
        w = rng.standard_exponential() / bound
        t += w
        if t >= horizon_s:
            break
        exc *= np.exp(-decay * w)
        k = min(int(t / step_s), n_steps - 1)
        if rng.random() * bound <= mu_step[k] + exc:
            if n >= out.shape[0]:
                return -1
            out[n] = t
            n += 1
            exc += jump
    return n


@njit(cache=True, nogil=True)
def metaorder_split_nb(client, n_clients, lengths, out):
    """Each client's orders, in time order, cut into consecutive metaorders of the given lengths.

    The orders taken client by client (client 0's in time order, then client 1's, ...) are matched with
    ``lengths`` in that order: each client's lengths are its metaorders' lengths, used in turn (a length
    below 1 counts as 1). ``out[row]`` gets a metaorder id, unique across clients and numbered client by
    client: the id of a client's ``j``-th order is ``searchsorted(cumsum(its lengths), j, side="right")``
    plus the ids of the clients before it.
    """
    n = client.shape[0]
    offsets = np.zeros(n_clients + 1, np.int64)
    for r in range(n):
        offsets[client[r] + 1] += 1
    for c in range(n_clients):
        offsets[c + 1] += offsets[c]
    rows = np.empty(n, np.int64)  # a counting sort by client: each client's rows stay in time order
    fill = offsets[:-1].copy()
    for r in range(n):
        c = client[r]
        rows[fill[c]] = r
        fill[c] += 1
    base = 0
    for c in range(n_clients):
        lo = offsets[c]
        m = offsets[c + 1] - lo
        if m == 0:
            continue
        k = 0
        end = max(lengths[lo], 1)
        for j in range(m):
            while j >= end:
                k += 1
                end += max(lengths[lo + k], 1)
            out[rows[lo + j]] = base + k
        base += k + 1


@njit(cache=True, nogil=True)
def client_order_records_nb(ts, instrument, client, trader, book, counterparty, side, is_market, raw, step, mid,
                            inst_lot, inst_tick, cancel_rate, off_draw, u_fat, u_fat_size, u_tif, u_cancel,
                            after_draw, last, fat_rate, ioc_share, fok_share, replace_rate, codes, out, replaced):
    """The client orders' records from the flow's draws, one order at a time, with the numpy expressions of
    :func:`tradeflow.front.flow.generate_flow` (the same bits): the size rounded to the instrument's lot
    (x100 for a fat finger), the limit ``offset`` bps behind the mid at arrival (10% through it for a fat
    price) on the tick grid away from the market, the time in force, and a cancel or replace
    ``after_draw`` seconds later if the client's habit (``u_cancel``) says so and the session is still on.
    ``codes`` = (MARKET, LIMIT, DAY, IOC, FOK, CLIENT). ``out`` must be zeros; ``replaced`` (bool) gets the
    orders to be replaced."""
    market_t, limit_t, day, ioc, fok, origin = codes[0], codes[1], codes[2], codes[3], codes[4], codes[5]
    for k in range(ts.shape[0]):
        i = instrument[k]
        lot = inst_lot[i]
        qty = max(np.int64(np.rint(raw[k] / lot)), 1) * lot
        fat = u_fat[k] < fat_rate
        fat_size = fat and u_fat_size[k] < 0.5
        if fat_size:
            qty = qty * 100
        offset = off_draw[k] * 1e-4
        if fat and not fat_size:
            offset = -0.10  # 10% through the market
        ref = mid[i, step[k]]
        tick = inst_tick[i]
        s = side[k]
        x = ref * (1.0 - s * offset)
        lim = np.floor(x / tick + 1e-9) if s > 0 else np.ceil(x / tick - 1e-9)
        lim = (lim if (lim >= 1.0 or lim != lim) else 1.0) * tick  # np.maximum(ticks, 1.0) * tick
        mkt = is_market[k]
        u = u_tif[k]
        tif = ioc if u < ioc_share else (fok if u < ioc_share + fok_share else day)
        if mkt:
            tif = day
        day_limit = (not mkt) and tif == day
        cr = cancel_rate[client[k]]
        uc = u_cancel[k]
        cancelled = day_limit and uc < cr
        repl = day_limit and (not cancelled) and uc < cr + replace_rate
        t_cancel = ts[k] + np.int64(np.floor(max(after_draw[k], 1e-3) * 1e9))
        ends = (cancelled or repl) and t_cancel < last[k]
        replaced[k] = repl and ends
        r = out[k]
        r["order_id"] = k
        r["parent_id"] = -1
        r["ts_cancel"] = t_cancel if ends else -1
        r["ts"] = ts[k]
        r["instrument"] = i
        r["client"] = client[k]
        r["trader"] = trader[k]
        r["book"] = book[k]
        r["counterparty"] = counterparty[k]
        r["side"] = s
        r["order_type"] = market_t if mkt else limit_t
        r["tif"] = tif
        r["qty"] = qty
        r["limit_price"] = np.nan if mkt else lim
        r["ref_price"] = ref
        r["origin"] = origin


@njit(cache=True, nogil=True)
def assemble_orders_nb(base, rep, kids, order, first_order_id, venue_of_inst, replace_origin, new_status,
                       no_reject, new_id, out_words, out):
    """The session's orders in their final order, in one pass over the records: row ``k`` of ``out`` is row
    ``order[k]`` of the concatenation ``base | rep | kids`` (the day orders, their replacements, the algo
    children), which need not be joined first. Then the ids run from ``first_order_id`` in that order (a
    replacement's ``parent_id`` follows its original's id through ``new_id``, ``-1``-filled and indexed by
    the old ids), each order goes to its instrument's listing venue (``venue_of_inst``) and starts ``NEW``
    (``new_status``, ``no_reject``, no average fill price, not done).

    The records move as words: ``base``, ``rep``, ``kids`` and ``out_words`` are their ``(n, itemsize // 8)``
    uint64 views (numba assigns a record field by field, several times slower); ``out`` is ``out_words``'
    buffer as records."""
    n0 = base.shape[0]
    n1 = n0 + rep.shape[0]
    m = order.shape[0]
    w = out_words.shape[1]
    for k in range(m):
        j = order[k]
        if j < n0:
            src = base[j]
        elif j < n1:
            src = rep[j - n0]
        else:
            src = kids[j - n1]
        dst = out_words[k]
        for q in range(w):
            dst[q] = src[q]
        new_id[out[k]["order_id"]] = first_order_id + k
    for k in range(m):
        r = out[k]
        if r["origin"] == replace_origin:
            r["parent_id"] = new_id[r["parent_id"]]
        r["order_id"] = first_order_id + k
        r["venue"] = venue_of_inst[r["instrument"]]
        r["status"] = new_status
        r["reject_reason"] = no_reject
        r["avg_fill_price"] = np.nan
        r["ts_done"] = -1


@njit(cache=True, nogil=True)
def lean_sides_nb(meta_order, meta_book, meta_inst, meta_qty, u, target, inv, out_side):
    """Sides of metaorders taken in start order, leaning against each book's inventory.

    A metaorder goes against the intended inventory of its book x instrument with
    probability ``1/2 + min(|inventory| / target, 1) / 2`` (a fair coin when flat), so the
    desk's clients keep positions near ``target`` without losing the runs of same-side orders.
    ``inv`` (float64, n_books x n_instruments) holds the inventory entering the session (the
    desk's carried positions, zeros when flat) and is updated in place metaorder by metaorder.
    """
    for j in range(meta_order.shape[0]):
        m = meta_order[j]
        b = meta_book[m]
        i = meta_inst[m]
        x = inv[b, i]
        p_against = 0.5 + 0.5 * min(abs(x) / target, 1.0)
        against = -1 if x > 0 else 1
        s = against if u[m] < p_against else -against
        out_side[m] = s
        inv[b, i] += s * meta_qty[m]


# Background placement shapes (ExecutionConfig.book_shape).
SHAPE_FLAT = 0
SHAPE_LINEAR = 1
SHAPE_POWER = 2


@njit(cache=True, nogil=True)
def kind_volume_nb(kind, qty, k):
    """The total ``qty`` of the rows of ``kind`` ``k`` (one pass; no mask, no gather)."""
    v = np.int64(0)
    for j in range(kind.shape[0]):
        v += qty[j] if kind[j] == k else 0
    return v


@njit(cache=True, nogil=True)
def requote_events_nb(times, lag, fair_ticks, width, lo, quote_qty, u, out_ts, out_kind, out_side, out_price, out_qty,
                      out_u):
    """The market makers' requotes, four rows ``4g .. 4g + 3`` a grid time ``g`` (of ``k = len(times)``): a bid
    ``floor(f) - width + 1`` and an ask ``max(ceil(f), floor(f) + 1) + width - 1`` (levels above ``lo``;
    ``u`` -1: a maker's requote), then a background cancel attempt on each side (price 0, quantity 0, picks
    ``u[g]`` and ``u[k + g]``), all at ``times[g] + lag[g]``."""
    k = times.shape[0]
    for g in range(k):
        t = times[g] + lag[g]
        f = fair_ticks[g]
        fl = np.int64(np.floor(f))
        ce = np.int64(np.ceil(f))
        w = width[g]
        r = 4 * g
        for j in range(4):
            out_ts[r + j] = t
        out_kind[r] = K_LIMIT
        out_kind[r + 1] = K_LIMIT
        out_kind[r + 2] = K_BG_CANCEL
        out_kind[r + 3] = K_BG_CANCEL
        out_side[r] = 1
        out_side[r + 1] = -1
        out_side[r + 2] = 1
        out_side[r + 3] = -1
        out_price[r] = fl - w + 1 - lo
        out_price[r + 1] = max(ce, fl + 1) + w - 1 - lo
        out_price[r + 2] = 0
        out_price[r + 3] = 0
        out_qty[r] = quote_qty
        out_qty[r + 1] = quote_qty
        out_qty[r + 2] = 0
        out_qty[r + 3] = 0
        out_u[r] = -1.0
        out_u[r + 1] = -1.0
        out_u[r + 2] = u[g]
        out_u[r + 3] = u[k + g]


@njit(cache=True, nogil=True)
def background_events_nb(expo, uni, times, step_ns, profile, fair_ticks, depth, shape, scale, mu, market_share,
                         cancel_share, lot, p_geom, lo, out_ts, out_kind, out_side, out_price, out_qty, out_u):
    """One pass of zero-intelligence background events (see ``tradeflow.front.venue.background_flow``).

    ``n = uni.shape[1]`` events from pre-drawn randomness: ``expo`` (n + 1 standard
    exponentials) gives sorted uniform times (normalized cumulative sums) mapped through the
    cumulative ``profile`` over the grid; ``uni`` rows give the kind, side, distance from the
    fair price, the size ``lot * geometric(p_geom)`` and the cancel pick ``u``.

    The distance ``dist`` in ``1..depth`` (ticks behind the fair price, 1 = the tick just
    behind it) depends on ``shape``: ``SHAPE_FLAT`` ``1 + floor(depth * U)``, ``SHAPE_LINEAR``
    ``1 + floor(depth * sqrt(U))``, ``SHAPE_POWER`` ``1 + floor(x)`` with ``x`` drawn from
    ``P(x >= d) = (1 + d / scale[s]) ** -mu`` truncated to ``[0, depth)`` by inversion
    (the power-law placement of Bouchaud, Mezard & Potters 2002; ``scale[s]`` in ticks at
    grid step ``s``, proportional to the fair price's local volatility).
    """
    n = uni.shape[1]
    n_steps = times.shape[0]
    total = 0.0
    for k in range(n + 1):
        total += expo[k]
    prof_total = 0.0
    for s in range(n_steps):
        prof_total += profile[s]
    log_q = np.log(1.0 - p_geom) if p_geom < 1.0 else 0.0
    s = 0
    cum_lo = 0.0
    cum_hi = profile[0] / prof_total
    acc = 0.0
    # the truncation of the power law depends on the step only (~13 events a step on a default day):
    # one ``pow`` an event fewer; the same expressions, so the same bits
    f_max = 0.0
    f_step = -1
    inv_mu = -1.0 / mu
    for k in range(n):
        acc += expo[k]
        x = acc / total
        while x > cum_hi and s < n_steps - 1:
            s += 1
            cum_lo = cum_hi
            cum_hi += profile[s] / prof_total
        width = cum_hi - cum_lo
        frac = (x - cum_lo) / width if width > 0 else 0.0
        frac = min(max(frac, 0.0), 1.0)
        out_ts[k] = times[s] + np.int64(frac * step_ns)
        side = 1 if uni[1, k] < 0.5 else -1
        out_side[k] = side
        out_u[k] = uni[4, k]
        r = uni[0, k]
        if market_share <= r < market_share + cancel_share:
            # a cancel attempt picks a resting order by ``u``: no price, no size (the requotes' convention),
            # and neither the size's log nor the distance's pow (half the kernel's time went on them)
            out_kind[k] = K_BG_CANCEL
            out_price[k] = 0
            out_qty[k] = 0
            continue
        g = 1  # a geometric number of lots (>= 1), by inversion
        if p_geom < 1.0:
            g = 1 + np.int64(np.log(1.0 - uni[3, k]) / log_q)
        out_qty[k] = lot * g
        if r < market_share:  # a market order sweeps whatever the book holds: no price
            out_kind[k] = K_MARKET
            out_price[k] = 0
            continue
        out_kind[k] = K_LIMIT
        v = uni[2, k]
        if shape == SHAPE_POWER:
            sc = scale[s]
            if s != f_step:
                f_max = 1.0 - (1.0 + depth / sc) ** (-mu)
                f_step = s
            x = sc * ((1.0 - v * f_max) ** inv_mu - 1.0)
            dist = min(np.int64(x) + 1, depth)
        else:
            if shape == SHAPE_LINEAR:
                v = np.sqrt(v)
            dist = min(np.int64(v * depth) + 1, depth)
        f = fair_ticks[s]
        if side > 0:
            out_price[k] = np.int64(np.floor(f)) - dist + 1 - lo
        else:
            out_price[k] = np.int64(np.ceil(f)) + dist - 1 - lo
