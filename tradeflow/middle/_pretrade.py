"""Pre-trade controls (numba): per-order limits, market-access controls and their session state.

``order_controls_nb`` / ``order_accept_nb`` / ``order_release_nb`` read the :class:`Controls` and
:class:`Positions` bundles; the desk loop and RiskEngine both call them.
"""

from __future__ import annotations

from tradeflow.core.jit import event_njit
from tradeflow.middle._codes import (
    COLLAR_RTOL,
    R_BOOK_HALTED,
    R_CREDIT_LIMIT,
    R_DUPLICATE_ORDER,
    R_INVALID_PRICE,
    R_INVALID_QTY,
    R_KILL_SWITCH,
    R_MAX_GROSS_POSITION,
    R_MAX_ORDER_NOTIONAL,
    R_MAX_ORDER_QTY,
    R_MAX_POSITION,
    R_NONE,
    R_PRICE_COLLAR,
    R_REDUCING_ONLY,
    R_THROTTLE,
    T_HALTED,
    T_REDUCING_ONLY,
)


@event_njit
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


@event_njit
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


@event_njit
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


@event_njit
def order_controls_nb(ctl, ps, ts, client, trader, b, i, side, qty, is_limit, limit_price, ref_price, fx_to_base):
    """Every pre-trade control on one order against the bundles (:func:`pretrade_controls_nb`)."""
    return pretrade_controls_nb(ts, client, trader, b, i, side, qty, is_limit, limit_price, ref_price, fx_to_base,
                                ps.pos[b, i], ps.working_buy[b, i], ps.working_sell[b, i], ctl.collar_bps,
                                ctl.max_order_qty, ctl.max_order_notional, ctl.max_position[i], ctl.max_gross,
                                ctl.credit_limit, ctl.dup_window_ns, ctl.book_state, ctl.kill, ctl.credit_used,
                                ctl.thr_ring, ctl.thr_head, ctl.dup_ts, ctl.dup_qty, ctl.dup_px)


@event_njit
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


@event_njit
def order_release_nb(ctl, ps, client, b, i, side, leaves, px, fx_to_base, release_credit):
    """What is left of a working order stops working (a cancel or expiry); a cancel also gives
    the unfilled notional back to the client's credit (``release_credit``)."""
    if side > 0:
        ps.working_buy[b, i] -= leaves
    else:
        ps.working_sell[b, i] -= leaves
    if release_credit:
        ctl.credit_used[client] -= leaves * px * fx_to_base
