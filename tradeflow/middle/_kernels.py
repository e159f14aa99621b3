"""Numba kernels of the middle office: pre-trade checks, post-trade updates, the desk loop.

Enum values are repeated here as module constants because numba compiles them as
literals; ``tests/middle/test_kernels.py`` asserts they equal the ``schema`` enums.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# RejectReason
R_NONE = 0
R_PRICE_COLLAR = 1
R_MAX_ORDER_QTY = 2
R_MAX_ORDER_NOTIONAL = 3
R_MAX_POSITION = 4
R_INVALID_QTY = 5
R_INVALID_PRICE = 6
# OrderStatus
S_NEW = 0
S_FILLED = 2
S_EXPIRED = 4
S_REJECTED = 5
# EventKind
E_ACCEPTED = 0
E_REJECTED = 1
E_FILLED = 2
E_EXPIRED = 5
# Liquidity
L_MAKER = 0
L_TAKER = 1
# desk-loop event kinds, in the order they run at equal timestamps
EV_FILL = 0
EV_ARRIVAL = 1
EV_SNAPSHOT = 2


@njit(cache=True, nogil=True)
def pretrade_check_nb(qty, side, is_limit, limit_price, ref_price, fx_to_base, position, working_same_side,
                      collar_bps, max_order_qty, max_order_notional, max_position):
    """Reason code for one order (0 = accept). Checks run cheapest and most certain first.

    ``working_same_side`` is the book's open quantity on the order's side, so the
    position check uses the worst case if every working order fills.
    """
    if qty <= 0:
        return R_INVALID_QTY
    if not (ref_price > 0.0) or (is_limit and not (limit_price > 0.0)):
        return R_INVALID_PRICE
    if is_limit and abs(limit_price / ref_price - 1.0) * 1e4 > collar_bps:
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
def _snapshot_nb(out, k, ts, t, pos, avg, realized, fees, inst_ccy, mid, fx):
    n_books, n_inst = pos.shape
    for b in range(n_books):
        r = 0.0
        u = 0.0
        f = 0.0
        gross = 0.0
        net = 0.0
        for i in range(n_inst):
            rate = fx[inst_ccy[i], t]
            m = mid[i, t]
            r += realized[b, i] * rate
            f += fees[b, i] * rate
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
def desk_loop_nb(ev_kind, ev_ref, orders, fill_ts, fill_price, fill_taker, fill_fee,
                 order_fx, inst_ccy, collar_bps, max_order_qty, max_order_notional, max_position,
                 snap_ts, snap_step, mid, fx, close_ts,
                 pos, avg, realized, fees, n_fills, working_buy, working_sell,
                 fills, events, pnl):
    """Process orders, resting fills and P&L snapshots in time order.

    On arrival an order is checked; if accepted and marketable it fills at once,
    otherwise it works until its resting fill (or expires at the close). Fills update
    the book's position and P&L incrementally. Writes ``orders`` status fields,
    ``fills``, ``events`` and ``pnl`` in place.

    Returns
    -------
    (n_fills_written, n_events_written)
    """
    nf = 0
    ne = 0
    for e in range(ev_kind.shape[0]):
        kind = ev_kind[e]
        k = ev_ref[e]
        if kind == EV_SNAPSHOT:
            _snapshot_nb(pnl, k, snap_ts[k], snap_step[k], pos, avg, realized, fees, inst_ccy, mid, fx)
            continue
        b = orders[k]["book"]
        i = orders[k]["instrument"]
        side = orders[k]["side"]
        qty = orders[k]["qty"]
        if kind == EV_ARRIVAL:
            is_limit = orders[k]["order_type"] == 1
            working = working_buy[b, i] if side > 0 else working_sell[b, i]
            reason = pretrade_check_nb(qty, side, is_limit, orders[k]["limit_price"], orders[k]["ref_price"],
                                       order_fx[k], pos[b, i], working, collar_bps, max_order_qty,
                                       max_order_notional, max_position[i])
            ts = orders[k]["ts"]
            if reason != R_NONE:
                orders[k]["status"] = S_REJECTED
                orders[k]["reject_reason"] = reason
                orders[k]["ts_done"] = ts
                ne = _event_nb(events, ne, k, ts, E_REJECTED, reason, qty, np.nan, 0, 0)
                continue
            ne = _event_nb(events, ne, k, ts, E_ACCEPTED, R_NONE, qty, np.nan, 0, qty)
            if fill_ts[k] != ts or fill_ts[k] < 0:
                # rests on the venue: count it against the position limit until it fills or expires
                if side > 0:
                    working_buy[b, i] += qty
                else:
                    working_sell[b, i] += qty
                continue
        elif orders[k]["status"] != S_NEW:
            continue  # a resting fill of an order that was rejected
        else:
            if side > 0:
                working_buy[b, i] -= qty
            else:
                working_sell[b, i] -= qty
        # the fill, immediate or resting
        ts = fill_ts[k]
        price = fill_price[k]
        apply_fill_nb(pos, avg, realized, fees, n_fills, b, i, side, qty, price, fill_fee[k])
        fills[nf]["fill_id"] = nf
        fills[nf]["order_id"] = k
        fills[nf]["ts"] = ts
        fills[nf]["book"] = b
        fills[nf]["instrument"] = i
        fills[nf]["counterparty"] = orders[k]["counterparty"]
        fills[nf]["side"] = side
        fills[nf]["liquidity"] = L_TAKER if fill_taker[k] else L_MAKER
        fills[nf]["qty"] = qty
        fills[nf]["price"] = price
        fills[nf]["fee"] = fill_fee[k]
        nf += 1
        orders[k]["status"] = S_FILLED
        orders[k]["filled_qty"] = qty
        orders[k]["avg_fill_price"] = price
        orders[k]["ts_done"] = ts
        ne = _event_nb(events, ne, k, ts, E_FILLED, R_NONE, qty, price, qty, 0)
    # day orders still working at the close expire
    for k in range(orders.shape[0]):
        if orders[k]["status"] == S_NEW:
            b = orders[k]["book"]
            i = orders[k]["instrument"]
            if orders[k]["side"] > 0:
                working_buy[b, i] -= orders[k]["qty"]
            else:
                working_sell[b, i] -= orders[k]["qty"]
            orders[k]["status"] = S_EXPIRED
            orders[k]["ts_done"] = close_ts
            ne = _event_nb(events, ne, k, close_ts, E_EXPIRED, R_NONE, orders[k]["qty"], np.nan, 0, 0)
    return nf, ne
