"""Numba kernels of the middle office: pre-trade checks, post-trade updates, the desk loop.

Enum codes are taken from the data model (:mod:`tradeflow.schema`) as module-level ints,
which numba compiles as literals.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tradeflow.middle._risk_kernels import (
    add2_tail_nb,
    book_scenario_pnl_nb,
    fifo_fill_nb,
    init_tails_nb,
    tail_len_nb,
    tail_size_nb,
    tail_var_es_nb,
    unit_scenario_pnl_nb,
    var_es_nb,
)
from tradeflow.schema import (
    BreachLevel,
    DeskEvent,
    EventKind,
    LimitKind,
    Liquidity,
    OrderOrigin,
    OrderStatus,
    RejectReason,
    TradingState,
)

# RejectReason
R_NONE = int(RejectReason.NONE)
R_PRICE_COLLAR = int(RejectReason.PRICE_COLLAR)
R_MAX_ORDER_QTY = int(RejectReason.MAX_ORDER_QTY)
R_MAX_ORDER_NOTIONAL = int(RejectReason.MAX_ORDER_NOTIONAL)
R_MAX_POSITION = int(RejectReason.MAX_POSITION)
R_INVALID_QTY = int(RejectReason.INVALID_QTY)
R_INVALID_PRICE = int(RejectReason.INVALID_PRICE)
R_UNKNOWN_INSTRUMENT = int(RejectReason.UNKNOWN_INSTRUMENT)
R_UNKNOWN_BOOK = int(RejectReason.UNKNOWN_BOOK)
R_KILL_SWITCH = int(RejectReason.KILL_SWITCH)
R_BOOK_HALTED = int(RejectReason.BOOK_HALTED)
R_REDUCING_ONLY = int(RejectReason.REDUCING_ONLY)
R_MAX_GROSS_POSITION = int(RejectReason.MAX_GROSS_POSITION)
R_CREDIT_LIMIT = int(RejectReason.CREDIT_LIMIT)
R_THROTTLE = int(RejectReason.THROTTLE)
R_DUPLICATE_ORDER = int(RejectReason.DUPLICATE_ORDER)
R_UNKNOWN_CLIENT = int(RejectReason.UNKNOWN_CLIENT)
R_UNKNOWN_TRADER = int(RejectReason.UNKNOWN_TRADER)
R_TS_BACKWARDS = int(RejectReason.TS_BACKWARDS)
R_UNKNOWN_ORDER = int(RejectReason.UNKNOWN_ORDER)
R_TOO_LATE_TO_REPLACE = int(RejectReason.TOO_LATE_TO_REPLACE)
# OrderOrigin
O_REPLACE = int(OrderOrigin.REPLACE)
# TradingState
T_ACTIVE = int(TradingState.ACTIVE)
T_REDUCING_ONLY = int(TradingState.REDUCING_ONLY)
T_HALTED = int(TradingState.HALTED)
# LimitKind
K_VAR = int(LimitKind.VAR)
K_GROSS_EXPOSURE = int(LimitKind.GROSS_EXPOSURE)
K_DRAWDOWN = int(LimitKind.DRAWDOWN)
K_CONCENTRATION = int(LimitKind.CONCENTRATION)
N_LIMIT_KINDS = len(LimitKind)
# BreachLevel
B_CLEARED = int(BreachLevel.CLEARED)
B_WARNING = int(BreachLevel.WARNING)
B_BREACH = int(BreachLevel.BREACH)
# limit thresholds, packed in one float64 array (see desk.py _limit_params)
P_BOOK_VAR = 0
P_DESK_VAR = 1
P_BOOK_GROSS = 2
P_DESK_GROSS = 3
P_BOOK_DD = 4
P_DESK_DD = 5
P_BOOK_CONC = 6
P_CONC_MIN_GROSS = 7
P_WARN = 8
# OrderStatus
S_NEW = int(OrderStatus.NEW)
S_PARTIALLY_FILLED = int(OrderStatus.PARTIALLY_FILLED)
S_FILLED = int(OrderStatus.FILLED)
S_CANCELLED = int(OrderStatus.CANCELLED)
S_EXPIRED = int(OrderStatus.EXPIRED)
S_REJECTED = int(OrderStatus.REJECTED)
# EventKind
E_ACCEPTED = int(EventKind.ACCEPTED)
E_REJECTED = int(EventKind.REJECTED)
E_FILLED = int(EventKind.FILLED)
E_PARTIALLY_FILLED = int(EventKind.PARTIALLY_FILLED)
E_CANCELLED = int(EventKind.CANCELLED)
E_EXPIRED = int(EventKind.EXPIRED)
# Liquidity
L_MAKER = int(Liquidity.MAKER)
L_TAKER = int(Liquidity.TAKER)
# desk-loop event kinds, in the order they run at equal timestamps: an order arrives (and is
# checked) before the venue can fill it; snapshots see everything up to and including their time.
EV_ARRIVAL = int(DeskEvent.ARRIVAL)
EV_FILL = int(DeskEvent.FILL)
EV_CANCEL = int(DeskEvent.CANCEL)
EV_SNAPSHOT = int(DeskEvent.SNAPSHOT)

# the price collar's tolerance, relative to the reference price (1e-9: float noise, far below any tick)
COLLAR_RTOL = 1e-9


@njit(cache=True, nogil=True)
def pretrade_check_nb(qty, side, is_limit, limit_price, ref_price, fx_to_base, position, working_same_side,
                      collar_bps, max_order_qty, max_order_notional, max_position):
    """Reason code for one order (0 = accept). Checks run cheapest and most certain first.

    ``working_same_side`` is the book's open quantity on the order's side, so the
    position check uses the worst case if every working order fills. ``fx_to_base`` is the
    base-currency money of one unit of price x quantity: the FX rate x the contract multiplier.
    """
    if qty <= 0:
        return R_INVALID_QTY
    if not (ref_price > 0.0) or (is_limit and not (limit_price > 0.0)):
        return R_INVALID_PRICE
    # beyond the collar only: a limit exactly at it (105 vs 100 with 500 bp) passes, float noise included
    if is_limit and abs(limit_price - ref_price) > (collar_bps * 1e-4 + COLLAR_RTOL) * ref_price:
        return R_PRICE_COLLAR
    if qty > max_order_qty:
        return R_MAX_ORDER_QTY
    px = limit_price if is_limit else ref_price
    if qty * px * fx_to_base > max_order_notional:
        return R_MAX_ORDER_NOTIONAL
    if abs(position + side * (working_same_side + qty)) > max_position:
        return R_MAX_POSITION
    return R_NONE


@njit(cache=True, nogil=True)
def apply_fill_nb(pos, avg, realized, fees, n_fills, b, i, side, qty, price, fee):
    """Average-cost update of one book x instrument after a fill (in place).

    Realized P&L excludes fees; a fill that flips the position closes the old side
    at the old average and opens the rest at the fill price.
    """
    p = pos[b, i]
    signed = side * qty
    if p == 0 or (p > 0) == (side > 0):
        ap = abs(p)
        avg[b, i] = (avg[b, i] * ap + price * qty) / (ap + qty)
    else:
        closed = min(qty, abs(p))
        direction = 1.0 if p > 0 else -1.0
        realized[b, i] += closed * (price - avg[b, i]) * direction
        newp = p + signed
        if newp == 0:
            avg[b, i] = 0.0
        elif (newp > 0) != (p > 0):
            avg[b, i] = price
    pos[b, i] = p + signed
    fees[b, i] += fee
    n_fills[b, i] += 1


@njit(cache=True, nogil=True)
def pretrade_controls_nb(ts, client, trader, b, i, side, qty, is_limit, limit_price, ref_price, fx_to_base,
                         position, working_buy, working_sell, collar_bps, max_order_qty, max_order_notional,
                         max_position, max_gross, credit_limit, dup_window_ns, book_state, kill, credit_used,
                         thr_ring, thr_head, dup_ts, dup_qty, dup_px):
    """Every pre-trade control on one order; the reason code (0 = accept), state untouched.

    Order: validity, kill switch, book halted, message throttle, then the per-order limits
    of :func:`pretrade_check_nb` (collar, quantity, notional, net position), then gross
    position, reducing-only, client credit and duplicate checks. ``thr_ring[trader]`` holds
    the times of the trader's last accepted orders (a ring of ``max_orders_per_second``).
    """
    if qty <= 0:
        return R_INVALID_QTY
    if not (ref_price > 0.0) or (is_limit and not (limit_price > 0.0)):
        return R_INVALID_PRICE
    if kill[0] != 0:
        return R_KILL_SWITCH
    st = book_state[b]
    if st == T_HALTED:
        return R_BOOK_HALTED
    # the oldest of the trader's last max_rate accepted orders must be at least one second old
    oldest = thr_ring[trader, thr_head[trader]]
    if oldest >= 0 and ts - oldest < 1_000_000_000:
        return R_THROTTLE
    working = working_buy if side > 0 else working_sell
    r = pretrade_check_nb(qty, side, is_limit, limit_price, ref_price, fx_to_base, position, working,
                          collar_bps, max_order_qty, max_order_notional, max_position)
    if r != R_NONE:
        return r
    if abs(position) + working_buy + working_sell + qty > max_gross:
        return R_MAX_GROSS_POSITION
    if st == T_REDUCING_ONLY:
        if position == 0 or (position > 0) == (side > 0) or working + qty > abs(position):
            return R_REDUCING_ONLY
    px = limit_price if is_limit else ref_price
    if credit_used[client] + qty * px * fx_to_base > credit_limit:
        return R_CREDIT_LIMIT
    if dup_window_ns > 0:
        sd = 0 if side > 0 else 1
        key_px = limit_price if is_limit else -1.0
        last = dup_ts[client, i, sd]
        if last >= 0 and ts - last < dup_window_ns and dup_qty[client, i, sd] == qty \
                and dup_px[client, i, sd] == key_px:
            return R_DUPLICATE_ORDER
    return R_NONE


@njit(cache=True, nogil=True)
def pretrade_accept_nb(ts, client, trader, i, side, qty, is_limit, limit_price, ref_price, fx_to_base,
                       credit_used, thr_ring, thr_head, dup_ts, dup_qty, dup_px):
    """Record an accepted order in the controls' state: credit, throttle ring, duplicate memo."""
    px = limit_price if is_limit else ref_price
    credit_used[client] += qty * px * fx_to_base
    h = thr_head[trader]
    thr_ring[trader, h] = ts
    thr_head[trader] = (h + 1) % thr_ring.shape[1]
    sd = 0 if side > 0 else 1
    dup_ts[client, i, sd] = ts
    dup_qty[client, i, sd] = qty
    dup_px[client, i, sd] = limit_price if is_limit else -1.0


@njit(cache=True, nogil=True)
def apply_fill_any_nb(pos, avg, realized, fees, n_fills, b, i, side, qty, price, fee, fifo, lot_qty, lot_px,
                      lot_next, lot_head, lot_tail, lot_top):
    """Post-trade update of one fill, average-cost or FIFO (``fifo`` true).

    Under FIFO ``avg`` is the average price of the open lots and ``realized`` the FIFO
    realized P&L, so ``realized + pos * (mark - avg) - fees`` is the same total P&L under
    both methods. Returns False only when the FIFO lot pool is full (nothing changed).
    """
    if not fifo:
        apply_fill_nb(pos, avg, realized, fees, n_fills, b, i, side, qty, price, fee)
        return True
    rd = fifo_fill_nb(lot_qty, lot_px, lot_next, lot_head, lot_tail, lot_top, b, i, side, qty, price)
    if rd != rd:
        return False
    p0 = pos[b, i]
    p1 = p0 + side * qty
    # cash identity: realized - cost basis moves by -signed qty * price
    cost = p0 * avg[b, i] + side * qty * price + rd
    avg[b, i] = cost / p1 if p1 != 0 else 0.0
    pos[b, i] = p1
    realized[b, i] += rd
    fees[b, i] += fee
    n_fills[b, i] += 1
    return True


@njit(cache=True, nogil=True)
def limit_level_nb(value, threshold, warn):
    if threshold <= 0.0:
        return B_CLEARED
    if value >= threshold:
        return B_BREACH
    if value >= warn * threshold:
        return B_WARNING
    return B_CLEARED


@njit(cache=True, nogil=True)
def check_limit_nb(limit_state, row, kind, value, threshold, warn, ts, book, action, book_state, breaches, nb,
                   first_breach_id):
    """Compare one limit; on a change of level write a breach event and apply ``action`` on a breach.

    ``row`` is the book (or ``n_books`` for the desk) in ``limit_state``; a desk breach
    switches every book. Returns the number of breach events written so far.
    """
    lvl = limit_level_nb(value, threshold, warn)
    if lvl == limit_state[row, kind]:
        return nb
    applied = -1
    if lvl == B_BREACH and action > 0:
        applied = action
        if book < 0:
            for bb in range(book_state.shape[0]):
                if book_state[bb] < action:
                    book_state[bb] = action
        elif book_state[book] < action:
            book_state[book] = action
    limit_state[row, kind] = lvl
    if nb < breaches.shape[0]:
        breaches[nb]["breach_id"] = first_breach_id + nb
        breaches[nb]["ts"] = ts
        breaches[nb]["book"] = book
        breaches[nb]["limit"] = kind
        breaches[nb]["level"] = lvl
        breaches[nb]["value"] = value
        breaches[nb]["threshold"] = threshold
        breaches[nb]["action"] = applied
    return nb + 1


@njit(cache=True, nogil=True)
def rebase_risk_nb(ts, t, mid, fx, inst_ccy, pos, asset_class, underlying, multiplier, strike, expiry_ns, opt_vol,
                   rate, div_yield, call_put, returns, fx_returns, unit_pnl, fx_reb, spnl, desk_spnl, tail_idx,
                   tail_loss):
    """Re-mark the scenario P&L: unit P&L at the marks of grid step ``t``, book vectors and tails from scratch."""
    n_inst = mid.shape[0]
    marks = np.empty(n_inst)
    tyears = np.empty(n_inst)
    for i in range(n_inst):
        marks[i] = mid[i, t]
        fx_reb[i] = fx[inst_ccy[i], t]
        tyears[i] = (expiry_ns[i] - ts) / 31_536_000_000_000_000.0 if asset_class[i] != 0 else 0.0
    unit_scenario_pnl_nb(asset_class, underlying, multiplier, strike, tyears, opt_vol, rate, div_yield, call_put,
                         marks, returns, inst_ccy, fx_returns, 1.0 / 365.0, 0.0, unit_pnl)
    book_scenario_pnl_nb(pos, fx_reb, unit_pnl, spnl)
    for s in range(desk_spnl.shape[0]):
        tot = 0.0
        for b in range(spnl.shape[0]):
            tot += spnl[b, s]
        desk_spnl[s] = tot
    init_tails_nb(spnl, desk_spnl, tail_idx, tail_loss)


@njit(cache=True, nogil=True)
def risk_snapshot_nb(risk, row0, ts, t, pnl, pnl_row0, pos, mid, fx, inst_ccy, multiplier, spnl, desk_spnl, var_buf,
                     var_level, es_level, sqrt_h, peak, book_state, limit_state, lim, action, breaches, nb,
                     first_breach_id):
    """RISK_DT rows (books, then the desk as book -1) and every limit check at one snapshot."""
    n_books, n_inst = pos.shape
    desk_gross = 0.0
    desk_net = 0.0
    desk_total = 0.0
    desk_maxmv = 0.0
    warn = lim[P_WARN]
    for b in range(n_books + 1):
        if b < n_books:
            gross = pnl[pnl_row0 + b]["gross_exposure"]
            net = pnl[pnl_row0 + b]["net_exposure"]
            total = pnl[pnl_row0 + b]["total_pnl"]
            maxmv = 0.0
            for i in range(n_inst):
                if pos[b, i] != 0:
                    v = abs(pos[b, i] * multiplier[i] * mid[i, t] * fx[inst_ccy[i], t])
                    if v > maxmv:
                        maxmv = v
            v1, e1 = var_es_nb(spnl[b], var_level, es_level, var_buf)
            desk_gross += gross
            desk_net += net
            desk_total += total
            if maxmv > desk_maxmv:
                desk_maxmv = maxmv
            book = b
        else:
            gross = desk_gross
            net = desk_net
            total = desk_total
            maxmv = desk_maxmv
            v1, e1 = var_es_nb(desk_spnl, var_level, es_level, var_buf)
            book = -1
        if total > peak[b]:
            peak[b] = total
        dd = peak[b] - total
        conc = maxmv / gross if gross > 0.0 else 0.0
        r = row0 + b
        risk[r]["ts"] = ts
        risk[r]["book"] = book
        risk[r]["var_1d"] = v1
        risk[r]["es_1d"] = e1
        risk[r]["var_10d"] = v1 * sqrt_h
        risk[r]["es_10d"] = e1 * sqrt_h
        risk[r]["gross_exposure"] = gross
        risk[r]["net_exposure"] = net
        risk[r]["total_pnl"] = total
        risk[r]["drawdown"] = dd
        risk[r]["concentration"] = conc
        if b < n_books:
            nb = check_limit_nb(limit_state, b, K_VAR, v1, lim[P_BOOK_VAR], warn, ts, book, action, book_state,
                                breaches, nb, first_breach_id)
            nb = check_limit_nb(limit_state, b, K_GROSS_EXPOSURE, gross, lim[P_BOOK_GROSS], warn, ts, book, action,
                                book_state, breaches, nb, first_breach_id)
            nb = check_limit_nb(limit_state, b, K_DRAWDOWN, dd, lim[P_BOOK_DD], warn, ts, book, action, book_state,
                                breaches, nb, first_breach_id)
            c = conc if gross >= lim[P_CONC_MIN_GROSS] else 0.0
            nb = check_limit_nb(limit_state, b, K_CONCENTRATION, c, lim[P_BOOK_CONC], warn, ts, book, action,
                                book_state, breaches, nb, first_breach_id)
        else:
            nb = check_limit_nb(limit_state, b, K_VAR, v1, lim[P_DESK_VAR], warn, ts, book, action, book_state,
                                breaches, nb, first_breach_id)
            nb = check_limit_nb(limit_state, b, K_GROSS_EXPOSURE, gross, lim[P_DESK_GROSS], warn, ts, book, action,
                                book_state, breaches, nb, first_breach_id)
            nb = check_limit_nb(limit_state, b, K_DRAWDOWN, dd, lim[P_DESK_DD], warn, ts, book, action, book_state,
                                breaches, nb, first_breach_id)
    for b in range(n_books + 1):
        risk[row0 + b]["trading_state"] = book_state[b] if b < n_books else 0
    return nb


# --------------------------------------------------------------------------- mark to market on every price update
# Between snapshots the loop keeps, per book x instrument, the base-currency market value ``mv`` and
# total P&L ``val`` (realized + unrealized - fees) at the current marks, and per book their sums
# ``tp`` (total P&L) and ``gross`` and the largest |market value| ``mx`` (instrument ``mx_i``): a
# price update touches only the instruments whose quote (or FX rate) moved, O(books) each.


@njit(cache=True, nogil=True)
def _mark_value_nb(b, i, pos, avg, realized, fees, mark, rate, fx_rate, mv, val, tp, gross, mx, mx_i):
    """Re-mark book ``b`` x instrument ``i`` at ``mark`` (``rate`` = FX x multiplier), updating the book sums.

    Fees are money already (instrument currency): they convert at ``fx_rate`` alone, never x multiplier.
    """
    p = pos[b, i]
    u = p * (mark - avg[b, i]) * rate if p != 0 else 0.0
    v = realized[b, i] * rate + u - fees[b, i] * fx_rate
    x = p * mark * rate
    tp[b] += v - val[b, i]
    gross[b] += abs(x) - abs(mv[b, i])
    val[b, i] = v
    mv[b, i] = x
    ax = abs(x)
    if ax >= mx[b]:
        mx[b] = ax
        mx_i[b] = i
    elif mx_i[b] == i:  # the largest position shrank: find the largest again
        best = 0.0
        k = -1
        for j in range(mv.shape[1]):
            a = abs(mv[b, j])
            if a > best:
                best = a
                k = j
        mx[b] = best
        mx_i[b] = k


@njit(cache=True, nogil=True)
def anchor_marks_nb(t, pos, avg, realized, fees, mid, fx, inst_ccy, multiplier, mv, val, tp, gross, mx, mx_i):
    """The marked state of every book from scratch at grid step ``t`` (O(books x instruments))."""
    n_books, n_inst = pos.shape
    for b in range(n_books):
        tp[b] = 0.0
        gross[b] = 0.0
        mx[b] = 0.0
        mx_i[b] = -1
        for i in range(n_inst):
            val[b, i] = 0.0
            mv[b, i] = 0.0
    for i in range(n_inst):
        fx_rate = fx[inst_ccy[i], t]
        rate = fx_rate * multiplier[i]
        for b in range(n_books):
            _mark_value_nb(b, i, pos, avg, realized, fees, mid[i, t], rate, fx_rate, mv, val, tp, gross, mx, mx_i)


@njit(cache=True, nogil=True)
def price_update_nb(t, pos, avg, realized, fees, mid, fx, inst_ccy, multiplier, mv, val, tp, gross, mx, mx_i):
    """Grid step ``t`` as a price update: re-mark the instruments whose quote or FX rate moved since
    step ``t - 1`` in every book, O(books) each. Returns True if anything moved."""
    n_books, n_inst = pos.shape
    moved = False
    for i in range(n_inst):
        c = inst_ccy[i]
        if mid[i, t] == mid[i, t - 1] and fx[c, t] == fx[c, t - 1]:
            continue
        moved = True
        rate = fx[c, t] * multiplier[i]
        for b in range(n_books):
            _mark_value_nb(b, i, pos, avg, realized, fees, mid[i, t], rate, fx[c, t], mv, val, tp, gross, mx, mx_i)
    return moved


@njit(cache=True, nogil=True)
def check_mark_limits_nb(ts, tp, gross, mx, peak, lim, limit_state, action, book_state, breaches, nb,
                         first_breach_id):
    """The limits that move with the marks, per book and desk, at a price update: gross exposure,
    drawdown from the running peak of total P&L (the peaks move up here too) and concentration.
    Returns the number of breach events written so far."""
    n_books = tp.shape[0]
    warn = lim[P_WARN]
    desk_tp = 0.0
    desk_gross = 0.0
    for b in range(n_books):
        total = tp[b]
        g = gross[b]
        if total > peak[b]:
            peak[b] = total
        nb = check_limit_nb(limit_state, b, K_GROSS_EXPOSURE, g, lim[P_BOOK_GROSS], warn, ts, b, action, book_state,
                            breaches, nb, first_breach_id)
        nb = check_limit_nb(limit_state, b, K_DRAWDOWN, peak[b] - total, lim[P_BOOK_DD], warn, ts, b, action,
                            book_state, breaches, nb, first_breach_id)
        c = mx[b] / g if g > 0.0 and g >= lim[P_CONC_MIN_GROSS] else 0.0
        nb = check_limit_nb(limit_state, b, K_CONCENTRATION, c, lim[P_BOOK_CONC], warn, ts, b, action, book_state,
                            breaches, nb, first_breach_id)
        desk_tp += total
        desk_gross += g
    if desk_tp > peak[n_books]:
        peak[n_books] = desk_tp
    nb = check_limit_nb(limit_state, n_books, K_GROSS_EXPOSURE, desk_gross, lim[P_DESK_GROSS], warn, ts, -1, action,
                        book_state, breaches, nb, first_breach_id)
    nb = check_limit_nb(limit_state, n_books, K_DRAWDOWN, peak[n_books] - desk_tp, lim[P_DESK_DD], warn, ts, -1,
                        action, book_state, breaches, nb, first_breach_id)
    return nb


@njit(cache=True, nogil=True)
def _snapshot_nb(out, k, ts, t, pos, avg, realized, fees, inst_ccy, mid, fx, multiplier):
    """PNL_DT rows of every book at grid step ``t``: P&L and exposure in the base currency.

    Quantities are in units (contracts), prices as quoted: money is qty x price x multiplier;
    fees are money already (instrument currency) and convert at the FX rate only.
    """
    n_books, n_inst = pos.shape
    for b in range(n_books):
        r = 0.0
        u = 0.0
        f = 0.0
        gross = 0.0
        net = 0.0
        for i in range(n_inst):
            rate = fx[inst_ccy[i], t] * multiplier[i]
            m = mid[i, t]
            r += realized[b, i] * rate
            f += fees[b, i] * fx[inst_ccy[i], t]  # fees are money already: FX only
            if pos[b, i] != 0:
                u += pos[b, i] * (m - avg[b, i]) * rate
                v = pos[b, i] * m * rate
                gross += abs(v)
                net += v
        row = k * n_books + b
        out[row]["ts"] = ts
        out[row]["book"] = b
        out[row]["realized_pnl"] = r
        out[row]["unrealized_pnl"] = u
        out[row]["fees"] = f
        out[row]["total_pnl"] = r + u - f
        out[row]["gross_exposure"] = gross
        out[row]["net_exposure"] = net


@njit(cache=True, nogil=True)
def _event_nb(events, n, order_id, ts, kind, reason, qty, price, cum, leaves):
    events[n]["event_id"] = n
    events[n]["order_id"] = order_id
    events[n]["ts"] = ts
    events[n]["kind"] = kind
    events[n]["reason"] = reason
    events[n]["qty"] = qty
    events[n]["price"] = price
    events[n]["cum_qty"] = cum
    events[n]["leaves_qty"] = leaves
    return n + 1


@njit(cache=True, nogil=True)
def replace_qty_nb(orders, k):
    """A cancel/replace (row ``k``) against the order it replaces: ``(reason, qty)``.

    The replacement stands for what the original has left (FIX: the new OrderQty less the
    original's CumQty); it is refused when the original was never accepted (or is not in
    ``orders``) or has already filled in full, as a venue refuses a replace that comes too late.
    """
    target = orders[k]["parent_id"]
    lo = 0
    hi = k  # the replaced order came first
    while lo < hi:
        mid = (lo + hi) // 2
        if orders[mid]["order_id"] < target:
            lo = mid + 1
        else:
            hi = mid
    if lo >= k or orders[lo]["order_id"] != target or orders[lo]["status"] == S_REJECTED:
        return R_UNKNOWN_ORDER, orders[k]["qty"]
    if orders[lo]["status"] == S_FILLED:
        return R_TOO_LATE_TO_REPLACE, orders[k]["qty"]
    return R_NONE, min(orders[k]["qty"], orders[lo]["qty"] - orders[lo]["filled_qty"])


@njit(cache=True, nogil=True)
def desk_loop_nb(ev_kind, ev_ref, orders, execs, exec_row, order_fx, inst_ccy,
                 collar_bps, max_order_qty, max_order_notional, max_position, max_gross, credit_limit, dup_window_ns,
                 book_state, kill, credit_used, thr_ring, thr_head, dup_ts, dup_qty, dup_px,
                 snap_ts, snap_step, times, mid, fx, close_ts,
                 pos, avg, realized, fees, n_fills, working_buy, working_sell, first_fill_id,
                 fifo, lot_qty, lot_px, lot_next, lot_head, lot_tail, lot_top,
                 risk_on, returns, fx_returns, asset_class, underlying, multiplier, strike, expiry_ns, opt_vol, rate,
                 div_yield, call_put, unit_pnl, fx_reb, spnl, desk_spnl, tail_idx, tail_loss, var_buf, var_level,
                 es_level, sqrt_h, lim, action, limit_state, peak, first_breach_id, mv, val, tp, gross, mx, mx_i,
                 mark_state, fills, events, pnl, risk, breaches, nf0=0, ne0=0, nb0=0, begin=True, finish=True):
    """Process arrivals, venue executions and snapshots in time order: the desk's real-time loop.

    On arrival an order goes through every pre-trade control (:func:`pretrade_controls_nb`);
    an accepted order works (its quantity counts against the position limits, its notional
    against the client's credit) until executions fill it, in one or several parts, or it
    expires at ``close_ts``. Executions of rejected orders are discarded. Each fill updates
    one book x instrument incrementally (average-cost or FIFO), and, with ``risk_on``, adds
    the fill's scenario P&L to its book's and the desk's vectors in O(scenarios) and checks
    the VaR limits. A snapshot re-marks the scenario P&L at the grid's quotes, writes P&L and
    risk rows and checks every limit.

    With ``risk_on`` every step of the quote grid (``times``) is also a price update, run
    before the events at or after its time: the books are marked to market at the moved
    quotes and FX rates (O(books) per instrument that moved, :func:`price_update_nb`) and the
    limits that move with marks (gross exposure, drawdown, concentration) are checked then
    (:func:`check_mark_limits_nb`), so a breach between snapshots is caught at its time.
    A fill re-marks its book x instrument at once; its effect on those limits is checked at
    the next price update. ``mv, val, tp, gross, mx, mx_i`` are the marked state and ``mark_state``
    ``[current grid step, fill since the last check]``, carried from piece to piece.

    A cancel (at the order's ``ts_cancel``) takes what is left of a working order
    off the venue: the order ends ``CANCELLED``, its fills so far stand.

    ``ev_ref`` is an order row for arrivals and cancels, an ``execs`` row for
    executions and a snapshot index for snapshots; ``exec_row`` maps each execution to its order row.
    Writes the orders' status fields, ``fills``, ``events``, ``pnl``, ``risk`` and ``breaches`` in
    place, and carries the position, lot, limit and trading state over to the next call.

    The loop can be fed in pieces (the session loop feeds it each venue execution as the
    book makes it): ``nf0, ne0, nb0`` are the counts written so far, ``begin`` marks the
    first piece (the scenario P&L is marked at the open) and ``finish`` the last (working
    orders expire at the close).

    Returns
    -------
    (n_fills_written, n_events_written, n_breaches_written, status) ; status 1 = FIFO pool full
    """
    nf = nf0
    ne = ne0
    nb = nb0
    n_books = pos.shape[0]
    n_scen = spnl.shape[1]
    kv = tail_size_nb(n_scen, var_level)
    ke = tail_size_nb(n_scen, es_level)
    m = tail_len_nb(n_scen, var_level, es_level)
    n_steps = times.shape[0]
    if begin:
        mark_state[0] = 0  # the grid step whose quotes are the current marks
        mark_state[1] = 0  # 1: a fill moved the marked state since the last limit check
    t_cur = mark_state[0]
    dirty = mark_state[1] != 0
    if risk_on and begin:
        rebase_risk_nb(snap_ts[0], 0, mid, fx, inst_ccy, pos, asset_class, underlying, multiplier, strike, expiry_ns,
                       opt_vol, rate, div_yield, call_put, returns, fx_returns, unit_pnl, fx_reb, spnl, desk_spnl,
                       tail_idx, tail_loss)
        anchor_marks_nb(0, pos, avg, realized, fees, mid, fx, inst_ccy, multiplier, mv, val, tp, gross, mx, mx_i)
        nb = check_mark_limits_nb(times[0], tp, gross, mx, peak, lim, limit_state, action, book_state, breaches, nb,
                                  first_breach_id)  # the open is the first price update
    for e in range(ev_kind.shape[0]):
        kind = ev_kind[e]
        if risk_on:  # the price updates up to this event's time
            er = ev_ref[e]
            ets = execs[er]["ts"] if kind == EV_FILL else snap_ts[er] if kind == EV_SNAPSHOT else \
                orders[er]["ts_cancel"] if kind == EV_CANCEL else orders[er]["ts"]
            while t_cur + 1 < n_steps and times[t_cur + 1] <= ets:
                t_cur += 1
                if price_update_nb(t_cur, pos, avg, realized, fees, mid, fx, inst_ccy, multiplier, mv, val, tp, gross,
                                   mx, mx_i) or dirty:
                    nb = check_mark_limits_nb(times[t_cur], tp, gross, mx, peak, lim, limit_state, action, book_state,
                                              breaches, nb, first_breach_id)
                    dirty = False
        if kind == EV_SNAPSHOT:
            k = ev_ref[e]
            t = snap_step[k]
            _snapshot_nb(pnl, k, snap_ts[k], t, pos, avg, realized, fees, inst_ccy, mid, fx, multiplier)
            if risk_on:
                rebase_risk_nb(snap_ts[k], t, mid, fx, inst_ccy, pos, asset_class, underlying, multiplier, strike,
                               expiry_ns, opt_vol, rate, div_yield, call_put, returns, fx_returns, unit_pnl,
                               fx_reb, spnl, desk_spnl, tail_idx, tail_loss)
                nb = risk_snapshot_nb(risk, k * (n_books + 1), snap_ts[k], t, pnl, k * n_books, pos, mid, fx,
                                      inst_ccy, multiplier, spnl, desk_spnl, var_buf, var_level, es_level, sqrt_h,
                                      peak, book_state, limit_state, lim, action, breaches, nb, first_breach_id)
                # re-anchor the marked state from scratch (no drift of the running sums)
                anchor_marks_nb(t, pos, avg, realized, fees, mid, fx, inst_ccy, multiplier, mv, val, tp, gross, mx,
                                mx_i)
                dirty = False
            continue
        k = exec_row[ev_ref[e]] if kind == EV_FILL else ev_ref[e]
        b = orders[k]["book"]
        i = orders[k]["instrument"]
        side = orders[k]["side"]
        qty = orders[k]["qty"]
        is_limit = orders[k]["order_type"] == 1
        if kind == EV_CANCEL:
            st = orders[k]["status"]
            if st == S_NEW or st == S_PARTIALLY_FILLED:
                leaves = qty - orders[k]["filled_qty"]
                if side > 0:
                    working_buy[b, i] -= leaves
                else:
                    working_sell[b, i] -= leaves
                px = orders[k]["limit_price"] if is_limit else orders[k]["ref_price"]
                credit_used[orders[k]["client"]] -= leaves * px * order_fx[k]
                ts = orders[k]["ts_cancel"]
                orders[k]["status"] = S_CANCELLED
                orders[k]["ts_done"] = ts
                ne = _event_nb(events, ne, orders[k]["order_id"], ts, E_CANCELLED, R_NONE, leaves, np.nan,
                               orders[k]["filled_qty"], 0)
            continue
        if kind == EV_ARRIVAL:
            ts = orders[k]["ts"]
            client = orders[k]["client"]
            trader = orders[k]["trader"]
            replace_reason = R_NONE
            if orders[k]["origin"] == O_REPLACE:  # the market-access controls first, then the replace's own
                replace_reason, qty = replace_qty_nb(orders, k)
                orders[k]["qty"] = qty
            reason = pretrade_controls_nb(ts, client, trader, b, i, side, qty, is_limit, orders[k]["limit_price"],
                                          orders[k]["ref_price"], order_fx[k], pos[b, i], working_buy[b, i],
                                          working_sell[b, i], collar_bps, max_order_qty, max_order_notional,
                                          max_position[i], max_gross, credit_limit, dup_window_ns, book_state, kill,
                                          credit_used, thr_ring, thr_head, dup_ts, dup_qty, dup_px)
            if reason == R_NONE:
                reason = replace_reason
            if reason != R_NONE:
                orders[k]["status"] = S_REJECTED
                orders[k]["reject_reason"] = reason
                orders[k]["ts_done"] = ts
                ne = _event_nb(events, ne, orders[k]["order_id"], ts, E_REJECTED, reason, qty, np.nan, 0, 0)
                continue
            pretrade_accept_nb(ts, client, trader, i, side, qty, is_limit, orders[k]["limit_price"],
                               orders[k]["ref_price"], order_fx[k], credit_used, thr_ring, thr_head, dup_ts, dup_qty,
                               dup_px)
            orders[k]["status"] = S_NEW
            ne = _event_nb(events, ne, orders[k]["order_id"], ts, E_ACCEPTED, R_NONE, qty, np.nan, 0, qty)
            if side > 0:
                working_buy[b, i] += qty
            else:
                working_sell[b, i] += qty
            continue
        # an execution
        if orders[k]["status"] != S_NEW and orders[k]["status"] != S_PARTIALLY_FILLED:
            continue  # the order was rejected (or is done): the venue never saw it
        x = ev_ref[e]
        q = min(execs[x]["qty"], qty - orders[k]["filled_qty"])  # never fill more than the order
        if q <= 0:
            continue
        price = execs[x]["price"]
        ts = execs[x]["ts"]
        if not apply_fill_any_nb(pos, avg, realized, fees, n_fills, b, i, side, q, price, execs[x]["fee"], fifo,
                                 lot_qty, lot_px, lot_next, lot_head, lot_tail, lot_top):
            return nf, ne, nb, 1
        if side > 0:
            working_buy[b, i] -= q
        else:
            working_sell[b, i] -= q
        if risk_on:
            _mark_value_nb(b, i, pos, avg, realized, fees, mid[i, t_cur], fx[inst_ccy[i], t_cur] * multiplier[i],
                           fx[inst_ccy[i], t_cur], mv, val, tp, gross, mx, mx_i)
            dirty = True
            book_var = lim[P_BOOK_VAR] > 0.0
            desk_var = lim[P_DESK_VAR] > 0.0
            add2_tail_nb(spnl[b], desk_spnl, side * q * fx_reb[i], unit_pnl[i], m, tail_idx[b], tail_loss[b],
                         tail_idx[n_books], tail_loss[n_books], book_var, desk_var)
            if book_var:
                v1, _ = tail_var_es_nb(tail_loss[b], n_scen, kv, ke)
                nb = check_limit_nb(limit_state, b, K_VAR, v1, lim[P_BOOK_VAR], lim[P_WARN], ts, b, action,
                                    book_state, breaches, nb, first_breach_id)
            if desk_var:
                v1, _ = tail_var_es_nb(tail_loss[n_books], n_scen, kv, ke)
                nb = check_limit_nb(limit_state, n_books, K_VAR, v1, lim[P_DESK_VAR], lim[P_WARN], ts, -1, action,
                                    book_state, breaches, nb, first_breach_id)
        fills[nf]["fill_id"] = first_fill_id + nf
        fills[nf]["order_id"] = orders[k]["order_id"]
        fills[nf]["ts"] = ts
        fills[nf]["book"] = b
        fills[nf]["instrument"] = i
        fills[nf]["counterparty"] = orders[k]["counterparty"]
        fills[nf]["side"] = side
        fills[nf]["liquidity"] = execs[x]["liquidity"]
        fills[nf]["qty"] = q
        fills[nf]["price"] = price
        fills[nf]["fee"] = execs[x]["fee"]
        nf += 1
        done = orders[k]["filled_qty"]
        cum = done + q
        if done == 0:
            orders[k]["avg_fill_price"] = price
        else:
            orders[k]["avg_fill_price"] = (orders[k]["avg_fill_price"] * done + price * q) / cum
        orders[k]["filled_qty"] = cum
        if cum == qty:
            orders[k]["status"] = S_FILLED
            orders[k]["ts_done"] = ts
            ne = _event_nb(events, ne, orders[k]["order_id"], ts, E_FILLED, R_NONE, q, price, cum, 0)
        else:
            orders[k]["status"] = S_PARTIALLY_FILLED
            ne = _event_nb(events, ne, orders[k]["order_id"], ts, E_PARTIALLY_FILLED, R_NONE, q, price, cum,
                           qty - cum)
    mark_state[0] = t_cur
    mark_state[1] = 1 if dirty else 0
    if not finish:
        return nf, ne, nb, 0
    # day orders still working at the close expire
    for k in range(orders.shape[0]):
        st = orders[k]["status"]
        if st == S_NEW or st == S_PARTIALLY_FILLED:
            b = orders[k]["book"]
            i = orders[k]["instrument"]
            leaves = orders[k]["qty"] - orders[k]["filled_qty"]
            if orders[k]["side"] > 0:
                working_buy[b, i] -= leaves
            else:
                working_sell[b, i] -= leaves
            orders[k]["status"] = S_EXPIRED
            orders[k]["ts_done"] = close_ts
            ne = _event_nb(events, ne, orders[k]["order_id"], close_ts, E_EXPIRED, R_NONE, leaves, np.nan,
                           orders[k]["filled_qty"], 0)
    return nf, ne, nb, 0
