"""Numba kernels of the middle office: pre-trade checks, post-trade updates, the desk loop.

Enum codes are taken from the data model (:mod:`tradeflow.schema`) as module-level ints,
which numba compiles as literals.
"""

from __future__ import annotations

from typing import NamedTuple

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


# --------------------------------------------------------------------------- the engine core
# State travels in named bundles (numba compiles a NamedTuple of arrays as a struct; kernels read
# fields by name): declared once here, built by tradeflow.middle.desk (the desk loop) and
# tradeflow.middle.engine (RiskEngine), and read by the same per-order and per-fill functions below.


class Controls(NamedTuple):
    """The pre-trade controls: limits (scalars, ``max_position`` per instrument) and the session's state.

    ``book_state`` (int8, n_books) is each book's TradingState, ``kill`` (int8, 1) the kill switch,
    ``credit_used`` (n_clients) the notional of accepted orders, ``thr_ring``/``thr_head`` each
    trader's ring of accepted-order times, ``dup_*`` (n_clients, n_instruments, 2) the duplicate memo.
    """

    collar_bps: float
    max_order_qty: int
    max_order_notional: float
    max_position: np.ndarray
    max_gross: int
    credit_limit: float
    dup_window_ns: int
    book_state: np.ndarray
    kill: np.ndarray
    credit_used: np.ndarray
    thr_ring: np.ndarray
    thr_head: np.ndarray
    dup_ts: np.ndarray
    dup_qty: np.ndarray
    dup_px: np.ndarray


class Positions(NamedTuple):
    """Per book x instrument post-trade state (shape (n_books, n_instruments)): position, average cost,
    realized P&L and fees (instrument currency), fill counts, the working buy and sell quantity of
    accepted orders, and the FIFO lot pool (used when ``fifo``)."""

    pos: np.ndarray
    avg: np.ndarray
    realized: np.ndarray
    fees: np.ndarray
    n_fills: np.ndarray
    working_buy: np.ndarray
    working_sell: np.ndarray
    fifo: bool
    lot_qty: np.ndarray
    lot_px: np.ndarray
    lot_next: np.ndarray
    lot_head: np.ndarray
    lot_tail: np.ndarray
    lot_top: np.ndarray


class Tails(NamedTuple):
    """Incremental VaR/ES: unit scenario P&L (n_instruments, n_scenarios), the base-currency weight of
    one unit of each instrument (FX), every book's scenario P&L and the desk's, and their tails
    (``tail_idx``/``tail_loss`` row ``b`` per book, the last row the desk's)."""

    unit_pnl: np.ndarray
    weight: np.ndarray
    spnl: np.ndarray
    desk_spnl: np.ndarray
    tail_idx: np.ndarray
    tail_loss: np.ndarray
    var_level: float
    es_level: float


class Limits(NamedTuple):
    """Risk limits: thresholds packed in ``P_*`` order, the breach action (a TradingState, 0 none),
    every book's (and, last row, the desk's) current level per LimitKind, the drawdown peaks, the
    buffer breach events are written to and the id of its first row."""

    lim: np.ndarray
    action: int
    limit_state: np.ndarray
    peak: np.ndarray
    breaches: np.ndarray
    first_breach_id: int


class Revalue(NamedTuple):
    """What re-marking the scenario P&L needs: scenario returns (and FX), the instrument table's
    risk fields, a VaR work buffer and the horizon scaling."""

    returns: np.ndarray
    fx_returns: np.ndarray
    asset_class: np.ndarray
    underlying: np.ndarray
    multiplier: np.ndarray
    strike: np.ndarray
    expiry_ns: np.ndarray
    opt_vol: np.ndarray
    rate: np.ndarray
    div_yield: np.ndarray
    call_put: np.ndarray
    var_buf: np.ndarray
    sqrt_h: float


class Marks(NamedTuple):
    """The quote grid (``times``, ``mid``, ``fx``) and the books marked to market at its current step:
    market value ``mv`` and total P&L ``val`` per book x instrument, per book their sums ``tp``,
    ``gross`` and largest |value| ``mx`` (instrument ``mx_i``); ``state`` = [grid step, dirty]."""

    times: np.ndarray
    mid: np.ndarray
    fx: np.ndarray
    inst_ccy: np.ndarray
    multiplier: np.ndarray
    mv: np.ndarray
    val: np.ndarray
    tp: np.ndarray
    gross: np.ndarray
    mx: np.ndarray
    mx_i: np.ndarray
    state: np.ndarray


class DeskRecords(NamedTuple):
    """The desk loop's outputs and schedule: fill, event, P&L and risk records, the snapshot times
    (and their grid steps), the close, each order's FX rate, and ``counts`` = [fills, events,
    breaches] written so far."""

    fills: np.ndarray
    events: np.ndarray
    pnl: np.ndarray
    risk: np.ndarray
    first_fill_id: int
    snap_ts: np.ndarray
    snap_step: np.ndarray
    close_ts: int
    order_fx: np.ndarray
    counts: np.ndarray


class Desk(NamedTuple):
    """Everything the desk loop carries, one bundle per concern (see each)."""

    risk_on: bool
    controls: Controls
    positions: Positions
    tails: Tails
    limits: Limits
    revalue: Revalue
    marks: Marks
    records: DeskRecords


# --- per order


@njit(cache=True, nogil=True)
def order_controls_nb(ctl, ps, ts, client, trader, b, i, side, qty, is_limit, limit_price, ref_price, fx_to_base):
    """Every pre-trade control on one order against the bundles (:func:`pretrade_controls_nb`)."""
    return pretrade_controls_nb(ts, client, trader, b, i, side, qty, is_limit, limit_price, ref_price, fx_to_base,
                                ps.pos[b, i], ps.working_buy[b, i], ps.working_sell[b, i], ctl.collar_bps,
                                ctl.max_order_qty, ctl.max_order_notional, ctl.max_position[i], ctl.max_gross,
                                ctl.credit_limit, ctl.dup_window_ns, ctl.book_state, ctl.kill, ctl.credit_used,
                                ctl.thr_ring, ctl.thr_head, ctl.dup_ts, ctl.dup_qty, ctl.dup_px)


@njit(cache=True, nogil=True)
def order_accept_nb(ctl, ps, ts, client, trader, b, i, side, qty, is_limit, limit_price, ref_price, fx_to_base,
                    works):
    """An accepted order: the controls' state moves (credit, throttle, duplicates) and, if it
    ``works`` (is tracked until fills, a cancel or expiry release it), its quantity works."""
    pretrade_accept_nb(ts, client, trader, i, side, qty, is_limit, limit_price, ref_price, fx_to_base,
                       ctl.credit_used, ctl.thr_ring, ctl.thr_head, ctl.dup_ts, ctl.dup_qty, ctl.dup_px)
    if works:
        if side > 0:
            ps.working_buy[b, i] += qty
        else:
            ps.working_sell[b, i] += qty


@njit(cache=True, nogil=True)
def order_release_nb(ctl, ps, client, b, i, side, leaves, px, fx_to_base, release_credit):
    """What is left of a working order stops working (a cancel or expiry); a cancel also gives
    the unfilled notional back to the client's credit (``release_credit``)."""
    if side > 0:
        ps.working_buy[b, i] -= leaves
    else:
        ps.working_sell[b, i] -= leaves
    if release_credit:
        ctl.credit_used[client] -= leaves * px * fx_to_base


# --- per fill


@njit(cache=True, nogil=True)
def fill_post_trade_nb(ps, b, i, side, qty, price, fee, working):
    """Post-trade update of one fill (average-cost or FIFO); a fill of a ``working`` order also
    reduces its working quantity. False only when the FIFO lot pool is full (nothing changed)."""
    if not apply_fill_any_nb(ps.pos, ps.avg, ps.realized, ps.fees, ps.n_fills, b, i, side, qty, price, fee, ps.fifo,
                             ps.lot_qty, ps.lot_px, ps.lot_next, ps.lot_head, ps.lot_tail, ps.lot_top):
        return False
    if working:
        if side > 0:
            ps.working_buy[b, i] -= qty
        else:
            ps.working_sell[b, i] -= qty
    return True


@njit(cache=True, nogil=True)
def fill_risk_nb(tl, lm, book_state, b, i, signed_qty, ts, book_tail, desk_tail, nb):
    """A fill's scenario P&L added to its book's and the desk's vectors, their tails kept current
    (``book_tail``, ``desk_tail``), and the VaR limits checked (when set).

    Returns ``(n_breaches_written, book_var, book_es)`` (NaN when ``book_tail`` is off).
    """
    n_books = tl.spnl.shape[0]
    n_scen = tl.spnl.shape[1]
    m = tail_len_nb(n_scen, tl.var_level, tl.es_level)
    add2_tail_nb(tl.spnl[b], tl.desk_spnl, signed_qty * tl.weight[i], tl.unit_pnl[i], m, tl.tail_idx[b],
                 tl.tail_loss[b], tl.tail_idx[n_books], tl.tail_loss[n_books], book_tail, desk_tail)
    v = np.nan
    e = np.nan
    lim = lm.lim
    if book_tail:
        kv = tail_size_nb(n_scen, tl.var_level)
        ke = tail_size_nb(n_scen, tl.es_level)
        v, e = tail_var_es_nb(tl.tail_loss[b], n_scen, kv, ke)
        if lim[P_BOOK_VAR] > 0.0:
            nb = check_limit_nb(lm.limit_state, b, K_VAR, v, lim[P_BOOK_VAR], lim[P_WARN], ts, b, lm.action,
                                book_state, lm.breaches, nb, lm.first_breach_id)
    if desk_tail and lim[P_DESK_VAR] > 0.0:
        kv = tail_size_nb(n_scen, tl.var_level)
        ke = tail_size_nb(n_scen, tl.es_level)
        dv, _ = tail_var_es_nb(tl.tail_loss[n_books], n_scen, kv, ke)
        nb = check_limit_nb(lm.limit_state, n_books, K_VAR, dv, lim[P_DESK_VAR], lim[P_WARN], ts, -1, lm.action,
                            book_state, lm.breaches, nb, lm.first_breach_id)
    return nb, v, e


# --- the desk loop, one event at a time


@njit(cache=True, nogil=True)
def _desk_rebase_nb(desk, ts, t):
    rv = desk.revalue
    mk = desk.marks
    tl = desk.tails
    rebase_risk_nb(ts, t, mk.mid, mk.fx, mk.inst_ccy, desk.positions.pos, rv.asset_class, rv.underlying,
                   rv.multiplier, rv.strike, rv.expiry_ns, rv.opt_vol, rv.rate, rv.div_yield, rv.call_put, rv.returns,
                   rv.fx_returns, tl.unit_pnl, tl.weight, tl.spnl, tl.desk_spnl, tl.tail_idx, tl.tail_loss)


@njit(cache=True, nogil=True)
def _desk_anchor_nb(desk, t):
    ps = desk.positions
    mk = desk.marks
    anchor_marks_nb(t, ps.pos, ps.avg, ps.realized, ps.fees, mk.mid, mk.fx, mk.inst_ccy, mk.multiplier, mk.mv, mk.val,
                    mk.tp, mk.gross, mk.mx, mk.mx_i)


@njit(cache=True, nogil=True)
def _desk_mark_limits_nb(desk, ts):
    lm = desk.limits
    mk = desk.marks
    cnt = desk.records.counts
    cnt[2] = check_mark_limits_nb(ts, mk.tp, mk.gross, mk.mx, lm.peak, lm.lim, lm.limit_state, lm.action,
                                  desk.controls.book_state, lm.breaches, cnt[2], lm.first_breach_id)


@njit(cache=True, nogil=True)
def desk_begin_nb(desk):
    """Open the session: the marks at the grid's first step, and (with risk) the scenario P&L marked
    at the open and the mark limits checked (the open is the first price update)."""
    mk = desk.marks
    mk.state[0] = 0  # the grid step whose quotes are the current marks
    mk.state[1] = 0  # 1: a fill moved the marked state since the last limit check
    if desk.risk_on:
        _desk_rebase_nb(desk, desk.records.snap_ts[0], 0)
        _desk_anchor_nb(desk, 0)
        _desk_mark_limits_nb(desk, mk.times[0])


@njit(cache=True, nogil=True)
def desk_advance_nb(desk, ts):
    """Run the price updates of the quote grid up to ``ts`` (with risk): re-mark what moved and
    check the mark limits (also after a fill moved the marked state)."""
    if not desk.risk_on:
        return
    mk = desk.marks
    ps = desk.positions
    n_steps = mk.times.shape[0]
    t_cur = mk.state[0]
    while t_cur + 1 < n_steps and mk.times[t_cur + 1] <= ts:
        t_cur += 1
        mk.state[0] = t_cur
        if price_update_nb(t_cur, ps.pos, ps.avg, ps.realized, ps.fees, mk.mid, mk.fx, mk.inst_ccy, mk.multiplier,
                           mk.mv, mk.val, mk.tp, mk.gross, mk.mx, mk.mx_i) or mk.state[1] != 0:
            _desk_mark_limits_nb(desk, mk.times[t_cur])
            mk.state[1] = 0


@njit(cache=True, nogil=True)
def desk_snapshot_nb(desk, k):
    """Snapshot ``k``: P&L rows, and with risk the scenario P&L re-marked, risk rows, every limit."""
    rec = desk.records
    ps = desk.positions
    mk = desk.marks
    ts = rec.snap_ts[k]
    t = rec.snap_step[k]
    _snapshot_nb(rec.pnl, k, ts, t, ps.pos, ps.avg, ps.realized, ps.fees, mk.inst_ccy, mk.mid, mk.fx, mk.multiplier)
    if desk.risk_on:
        _desk_rebase_nb(desk, ts, t)
        tl = desk.tails
        rv = desk.revalue
        lm = desk.limits
        n_books = ps.pos.shape[0]
        rec.counts[2] = risk_snapshot_nb(rec.risk, k * (n_books + 1), ts, t, rec.pnl, k * n_books, ps.pos, mk.mid,
                                         mk.fx, mk.inst_ccy, mk.multiplier, tl.spnl, tl.desk_spnl, rv.var_buf,
                                         tl.var_level, tl.es_level, rv.sqrt_h, lm.peak, desk.controls.book_state,
                                         lm.limit_state, lm.lim, lm.action, lm.breaches, rec.counts[2],
                                         lm.first_breach_id)
        # re-anchor the marked state from scratch (no drift of the running sums)
        _desk_anchor_nb(desk, t)
        mk.state[1] = 0


@njit(cache=True, nogil=True)
def desk_cancel_nb(desk, orders, k):
    """A cancel (at the order's ``ts_cancel``) takes what is left of a working order off the venue."""
    st = orders[k]["status"]
    if st != S_NEW and st != S_PARTIALLY_FILLED:
        return
    rec = desk.records
    leaves = orders[k]["qty"] - orders[k]["filled_qty"]
    px = orders[k]["limit_price"] if orders[k]["order_type"] == 1 else orders[k]["ref_price"]
    order_release_nb(desk.controls, desk.positions, orders[k]["client"], orders[k]["book"], orders[k]["instrument"],
                     orders[k]["side"], leaves, px, rec.order_fx[k], True)
    ts = orders[k]["ts_cancel"]
    orders[k]["status"] = S_CANCELLED
    orders[k]["ts_done"] = ts
    rec.counts[1] = _event_nb(rec.events, rec.counts[1], orders[k]["order_id"], ts, E_CANCELLED, R_NONE, leaves,
                              np.nan, orders[k]["filled_qty"], 0)


@njit(cache=True, nogil=True)
def desk_arrival_nb(desk, orders, k):
    """An order arrives: every pre-trade control; accepted, it works until fills, a cancel or expiry."""
    rec = desk.records
    ts = orders[k]["ts"]
    client = orders[k]["client"]
    trader = orders[k]["trader"]
    b = orders[k]["book"]
    i = orders[k]["instrument"]
    side = orders[k]["side"]
    qty = orders[k]["qty"]
    is_limit = orders[k]["order_type"] == 1
    replace_reason = R_NONE
    if orders[k]["origin"] == O_REPLACE:  # the market-access controls first, then the replace's own
        replace_reason, qty = replace_qty_nb(orders, k)
        orders[k]["qty"] = qty
    reason = order_controls_nb(desk.controls, desk.positions, ts, client, trader, b, i, side, qty, is_limit,
                               orders[k]["limit_price"], orders[k]["ref_price"], rec.order_fx[k])
    if reason == R_NONE:
        reason = replace_reason
    if reason != R_NONE:
        orders[k]["status"] = S_REJECTED
        orders[k]["reject_reason"] = reason
        orders[k]["ts_done"] = ts
        rec.counts[1] = _event_nb(rec.events, rec.counts[1], orders[k]["order_id"], ts, E_REJECTED, reason, qty,
                                  np.nan, 0, 0)
        return
    order_accept_nb(desk.controls, desk.positions, ts, client, trader, b, i, side, qty, is_limit,
                    orders[k]["limit_price"], orders[k]["ref_price"], rec.order_fx[k], True)
    orders[k]["status"] = S_NEW
    rec.counts[1] = _event_nb(rec.events, rec.counts[1], orders[k]["order_id"], ts, E_ACCEPTED, R_NONE, qty, np.nan,
                              0, qty)


@njit(cache=True, nogil=True)
def desk_fill_nb(desk, orders, execs, exec_row, x):
    """Execution ``x`` of order ``exec_row[x]``: post-trade, marks, VaR tails and limits, fill and
    event records. Executions of orders that are not working are discarded. Returns 1 when the
    FIFO lot pool is full (nothing changed), else 0."""
    k = exec_row[x]
    st = orders[k]["status"]
    if st != S_NEW and st != S_PARTIALLY_FILLED:
        return 0  # the order was rejected (or is done): the venue never saw it
    qty = orders[k]["qty"]
    q = min(execs[x]["qty"], qty - orders[k]["filled_qty"])  # never fill more than the order
    if q <= 0:
        return 0
    rec = desk.records
    ps = desk.positions
    b = orders[k]["book"]
    i = orders[k]["instrument"]
    side = orders[k]["side"]
    price = execs[x]["price"]
    ts = execs[x]["ts"]
    if not fill_post_trade_nb(ps, b, i, side, q, price, execs[x]["fee"], True):
        return 1
    if desk.risk_on:
        mk = desk.marks
        t_cur = mk.state[0]
        _mark_value_nb(b, i, ps.pos, ps.avg, ps.realized, ps.fees, mk.mid[i, t_cur],
                       mk.fx[mk.inst_ccy[i], t_cur] * mk.multiplier[i], mk.fx[mk.inst_ccy[i], t_cur], mk.mv, mk.val,
                       mk.tp, mk.gross, mk.mx, mk.mx_i)
        mk.state[1] = 1
        lim = desk.limits.lim
        rec.counts[2], _, _ = fill_risk_nb(desk.tails, desk.limits, desk.controls.book_state, b, i, side * q, ts,
                                           lim[P_BOOK_VAR] > 0.0, lim[P_DESK_VAR] > 0.0, rec.counts[2])
    nf = rec.counts[0]
    fills = rec.fills
    fills[nf]["fill_id"] = rec.first_fill_id + nf
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
    rec.counts[0] = nf + 1
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
        rec.counts[1] = _event_nb(rec.events, rec.counts[1], orders[k]["order_id"], ts, E_FILLED, R_NONE, q, price,
                                  cum, 0)
    else:
        orders[k]["status"] = S_PARTIALLY_FILLED
        rec.counts[1] = _event_nb(rec.events, rec.counts[1], orders[k]["order_id"], ts, E_PARTIALLY_FILLED, R_NONE, q,
                                  price, cum, qty - cum)
    return 0


@njit(cache=True, nogil=True)
def desk_event_nb(desk, orders, execs, exec_row, kind, ref):
    """One desk event (``EV_*`` ``kind``; ``ref`` an order row, an ``execs`` row or a snapshot index),
    after the price updates up to its time. Returns 1 when the FIFO lot pool is full, else 0."""
    if desk.risk_on:
        ets = execs[ref]["ts"] if kind == EV_FILL else desk.records.snap_ts[ref] if kind == EV_SNAPSHOT else \
            orders[ref]["ts_cancel"] if kind == EV_CANCEL else orders[ref]["ts"]
        desk_advance_nb(desk, ets)
    if kind == EV_SNAPSHOT:
        desk_snapshot_nb(desk, ref)
    elif kind == EV_CANCEL:
        desk_cancel_nb(desk, orders, ref)
    elif kind == EV_ARRIVAL:
        desk_arrival_nb(desk, orders, ref)
    else:
        return desk_fill_nb(desk, orders, execs, exec_row, ref)
    return 0


@njit(cache=True, nogil=True)
def desk_finish_nb(desk, orders):
    """Close the session: day orders still working expire at ``close_ts``."""
    rec = desk.records
    close_ts = rec.close_ts
    for k in range(orders.shape[0]):
        st = orders[k]["status"]
        if st == S_NEW or st == S_PARTIALLY_FILLED:
            leaves = orders[k]["qty"] - orders[k]["filled_qty"]
            order_release_nb(desk.controls, desk.positions, orders[k]["client"], orders[k]["book"],
                             orders[k]["instrument"], orders[k]["side"], leaves, 0.0, 0.0, False)
            orders[k]["status"] = S_EXPIRED
            orders[k]["ts_done"] = close_ts
            rec.counts[1] = _event_nb(rec.events, rec.counts[1], orders[k]["order_id"], close_ts, E_EXPIRED, R_NONE,
                                      leaves, np.nan, orders[k]["filled_qty"], 0)


@njit(cache=True, nogil=True)
def desk_loop_nb(ev_kind, ev_ref, orders, execs, exec_row, desk, begin, finish):
    """Process arrivals, venue executions, cancels and snapshots in time order: the desk's real-time loop.

    On arrival an order goes through every pre-trade control (:func:`order_controls_nb`);
    an accepted order works (its quantity counts against the position limits, its notional
    against the client's credit) until executions fill it, in one or several parts, a cancel
    takes what is left off the venue, or it expires at the close. Executions of rejected
    orders are discarded. Each fill updates one book x instrument incrementally
    (:func:`fill_post_trade_nb`: average-cost or FIFO), and, with ``desk.risk_on``, adds the
    fill's scenario P&L to its book's and the desk's vectors in O(scenarios) and checks the VaR
    limits (:func:`fill_risk_nb`, the very functions :class:`~tradeflow.middle.RiskEngine`
    runs). A snapshot re-marks the scenario P&L at the grid's quotes, writes P&L and risk rows
    and checks every limit.

    With risk every step of the quote grid is also a price update, run before the events at or
    after its time (:func:`desk_advance_nb`): the books are marked to market at the moved
    quotes and FX rates and the limits that move with marks (gross exposure, drawdown,
    concentration) are checked then, so a breach between snapshots is caught at its time.

    ``ev_ref`` is an order row for arrivals and cancels, an ``execs`` row for executions and a
    snapshot index for snapshots; ``exec_row`` maps each execution to its order row. Writes the
    orders' status fields and ``desk.records`` in place (``desk.records.counts`` = fills,
    events, breaches written) and carries every bundle's state over to the next call. The loop
    can be fed in pieces: ``begin`` marks the first piece (the scenario P&L is marked at the
    open) and ``finish`` the last (working orders expire at the close); the session loop calls
    :func:`desk_event_nb` itself.

    Returns
    -------
    status : int ; 1 = FIFO pool full
    """
    if begin:
        desk_begin_nb(desk)
    for e in range(ev_kind.shape[0]):
        if desk_event_nb(desk, orders, execs, exec_row, ev_kind[e], ev_ref[e]) != 0:
            return 1
    if finish:
        desk_finish_nb(desk, orders)
    return 0
