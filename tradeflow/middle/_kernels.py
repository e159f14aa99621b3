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
S_PARTIALLY_FILLED = 1
S_FILLED = 2
S_CANCELLED = 3
S_EXPIRED = 4
S_REJECTED = 5
# EventKind
E_ACCEPTED = 0
E_REJECTED = 1
E_FILLED = 2
E_PARTIALLY_FILLED = 3
E_CANCELLED = 4
E_EXPIRED = 5
# Liquidity
L_MAKER = 0
L_TAKER = 1
# desk-loop event kinds, in the order they run at equal timestamps: an order arrives (and is
# checked) before the venue can fill it; snapshots see everything up to and including their time.
EV_ARRIVAL = 0
EV_FILL = 1
EV_CANCEL = 2
EV_SNAPSHOT = 3


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
def desk_loop_nb(ev_kind, ev_ref, orders, execs, exec_row, order_fx, inst_ccy, collar_bps, max_order_qty,
                 max_order_notional, max_position, snap_ts, snap_step, mid, fx, close_ts,
                 pos, avg, realized, fees, n_fills, working_buy, working_sell, first_fill_id,
                 fills, events, pnl):
    """Process arrivals, venue executions and P&L snapshots in time order.

    On arrival an order is checked against the pre-trade limits; an accepted order
    works (its quantity counts against the position limit) until executions fill it,
    in one or several parts, or it expires at ``close_ts``. Executions of rejected
    orders are discarded. Each fill updates one book x instrument incrementally.

    A cancel (at the order's ``ts_cancel``) takes what is left of a working order
    off the venue: the order ends ``CANCELLED``, its fills so far stand.

    ``ev_ref`` is an order row for arrivals and cancels, an ``execs`` row for
    executions and a snapshot index for snapshots; ``exec_row`` maps each execution to its order row.
    Writes the orders' status fields, ``fills``, ``events`` and ``pnl`` in place, and
    carries ``pos``/``avg``/``realized``/``fees``/``n_fills`` over to the next call.

    Returns
    -------
    (n_fills_written, n_events_written)
    """
    nf = 0
    ne = 0
    for e in range(ev_kind.shape[0]):
        kind = ev_kind[e]
        if kind == EV_SNAPSHOT:
            k = ev_ref[e]
            _snapshot_nb(pnl, k, snap_ts[k], snap_step[k], pos, avg, realized, fees, inst_ccy, mid, fx)
            continue
        k = exec_row[ev_ref[e]] if kind == EV_FILL else ev_ref[e]
        b = orders[k]["book"]
        i = orders[k]["instrument"]
        side = orders[k]["side"]
        qty = orders[k]["qty"]
        if kind == EV_CANCEL:
            st = orders[k]["status"]
            if st == S_NEW or st == S_PARTIALLY_FILLED:
                leaves = qty - orders[k]["filled_qty"]
                if side > 0:
                    working_buy[b, i] -= leaves
                else:
                    working_sell[b, i] -= leaves
                ts = orders[k]["ts_cancel"]
                orders[k]["status"] = S_CANCELLED
                orders[k]["ts_done"] = ts
                ne = _event_nb(events, ne, orders[k]["order_id"], ts, E_CANCELLED, R_NONE, leaves, np.nan,
                               orders[k]["filled_qty"], 0)
            continue
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
                ne = _event_nb(events, ne, orders[k]["order_id"], ts, E_REJECTED, reason, qty, np.nan, 0, 0)
                continue
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
        if side > 0:
            working_buy[b, i] -= q
        else:
            working_sell[b, i] -= q
        apply_fill_nb(pos, avg, realized, fees, n_fills, b, i, side, q, price, execs[x]["fee"])
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
    return nf, ne
