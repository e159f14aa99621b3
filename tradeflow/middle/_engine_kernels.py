"""Numba kernels of the streaming RiskEngine: validated micro-batches of orders, fills and prices.

They call the very functions the desk loop calls (pre-trade controls, order-state transitions,
post-trade, VaR tails and limits: ``order_controls_nb``, ``order_fill_nb``, ``fill_post_trade_nb``,
``fill_risk_nb``), adding only
the validation a stream from outside needs: every bad record gets a reason code, none is dropped.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tradeflow.core.jit import event_njit
from tradeflow.middle._codes import (
    P_DESK_VAR,
    R_INVALID_PRICE,
    R_INVALID_QTY,
    R_NONE,
    R_TS_BACKWARDS,
    R_UNKNOWN_BOOK,
    R_UNKNOWN_CLIENT,
    R_UNKNOWN_INSTRUMENT,
    R_UNKNOWN_ORDER,
    R_UNKNOWN_TRADER,
)
from tradeflow.middle._fills import apply_fill_select_nb, fill_post_trade_arrays_nb, fill_working_nb
from tradeflow.middle._order_state import is_working_nb, order_cancel_nb, order_expire_nb, order_fill_nb, order_open_nb
from tradeflow.middle._pretrade import order_accept_nb, order_controls_nb
from tradeflow.middle._revalue import add_scenario_pnl_nb, fill_risk_arrays_nb
from tradeflow.middle._risk_kernels import unit_row_nb


class OrderBatch(NamedTuple):
    """A validated batch of orders for :func:`check_orders_nb` (one array per field, same length);
    ``row`` is each order's row in the engine's order table, -1 when it is not tracked."""

    ts: np.ndarray
    client: np.ndarray
    trader: np.ndarray
    book: np.ndarray
    inst: np.ndarray
    side: np.ndarray
    qty: np.ndarray
    is_limit: np.ndarray
    limit_price: np.ndarray
    ref_price: np.ndarray
    fx: np.ndarray
    row: np.ndarray


class FillBatch(NamedTuple):
    """A batch of fills for :func:`apply_fills_nb` (one array per field, same length); ``row`` is the
    filled order's row in the engine's order table, -1 for an external fill, -2 for an unknown id."""

    ts: np.ndarray
    book: np.ndarray
    inst: np.ndarray
    side: np.ndarray
    qty: np.ndarray
    price: np.ndarray
    fee: np.ndarray
    row: np.ndarray


@event_njit
def check_orders_nb(ob, ctl, ps, last_ts, otab, out_reason):
    """Pre-trade controls over a batch of orders ``ob`` (:class:`OrderBatch`); accepted orders count
    against the session state (``ctl``, :class:`~tradeflow.middle.nb.Controls`; ``ps``,
    :class:`~tradeflow.middle.nb.Positions`), through the functions the desk loop calls.

    ``last_ts[0]`` is the time of the last order seen; an order before it is TS_BACKWARDS.
    ``out_reason`` may come preset (non-zero: the wrapper already refused the record, e.g. a
    reused order id). An order with ``ob.row[j] >= 0`` is tracked in the order table ``otab``: once
    accepted it works (its quantity counts in the working quantities as in the desk loop) until
    fills, a cancel or expiry release it. Returns the number accepted.
    """
    n_books, n_inst = ps.pos.shape
    n_ok = 0
    for j in range(ob.ts.shape[0]):
        b = ob.book[j]
        i = ob.inst[j]
        c = ob.client[j]
        t = ob.trader[j]
        ts = ob.ts[j]
        side = ob.side[j]
        if ts < last_ts[0]:
            r = R_TS_BACKWARDS
        elif out_reason[j] != R_NONE:
            r = out_reason[j]
        elif i < 0 or i >= n_inst:
            r = R_UNKNOWN_INSTRUMENT
        elif b < 0 or b >= n_books:
            r = R_UNKNOWN_BOOK
        elif c < 0 or c >= ctl.credit_used.shape[0]:
            r = R_UNKNOWN_CLIENT
        elif t < 0 or t >= ctl.thr_head.shape[0]:
            r = R_UNKNOWN_TRADER
        elif abs(side) != 1:  # see apply_fills_nb
            r = R_INVALID_QTY
        else:
            r = order_controls_nb(ctl, ps, ts, c, t, b, i, side, ob.qty[j], ob.is_limit[j], ob.limit_price[j],
                                  ob.ref_price[j], ob.fx[j])
        out_reason[j] = r
        k = ob.row[j]
        if k >= 0:
            order_open_nb(otab, k, r)
        if r == R_TS_BACKWARDS:
            continue
        last_ts[0] = ts
        if r == R_NONE:
            order_accept_nb(ctl, ps, ts, c, t, b, i, side, ob.qty[j], ob.is_limit[j], ob.limit_price[j],
                            ob.ref_price[j], ob.fx[j], k >= 0)
            n_ok += 1
            if k >= 0:  # a tracked order works until fills, a cancel or expiry release it
                otab[k]["book"] = b
                otab[k]["instrument"] = i
                otab[k]["side"] = side
                otab[k]["qty"] = ob.qty[j]
                otab[k]["filled_qty"] = 0
                otab[k]["price"] = ob.limit_price[j] if ob.is_limit[j] else ob.ref_price[j]
                otab[k]["fx"] = ob.fx[j]
                otab[k]["client"] = c
    return n_ok


@event_njit
def cancel_orders_nb(ts, row, otab, ctl, ps, last_ts, out_reason):
    """Cancel working orders (what is left of them): release their working quantity and the
    credit of the unfilled part, as the desk loop's cancel does (:func:`order_release_nb`).
    ``row[j] < 0`` or an order no longer working is UNKNOWN_ORDER. Returns the number cancelled."""
    n_ok = 0
    for j in range(ts.shape[0]):
        k = row[j]
        if ts[j] < last_ts[0]:
            out_reason[j] = R_TS_BACKWARDS
            continue
        last_ts[0] = ts[j]
        if k < 0 or not is_working_nb(otab[k]["status"]):
            out_reason[j] = R_UNKNOWN_ORDER
            continue
        out_reason[j] = R_NONE
        order_cancel_nb(ctl, ps, otab, k, otab[k]["price"], otab[k]["fx"])
        n_ok += 1
    return n_ok


@event_njit
def expire_orders_nb(otab, n_rows, ctl, ps):
    """Expire every working order (the session closed): release its working quantity. The credit
    stays used until the session counters reset, as in the desk loop. Returns the number expired."""
    n = 0
    for k in range(n_rows):
        if is_working_nb(otab[k]["status"]):
            order_expire_nb(ctl, ps, otab, k)
            n += 1
    return n


@event_njit
def apply_fills_nb(fb, ps, tl, lm, book_state, with_var, last_ts, otab, out_reason, out_var, out_es):
    """Post-trade update over a batch of fills ``fb`` (:class:`FillBatch`): position, P&L, scenario
    P&L, VaR/ES and VaR limits, through the per-fill functions the desk loop calls
    (:func:`~tradeflow.middle.nb.fill_post_trade_nb`, :func:`~tradeflow.middle.nb.fill_risk_nb`).

    Each valid fill costs O(1) for the position and O(scenarios) for the book's and desk's
    scenario P&L (and its VaR/ES when ``with_var``: the tails in ``tl`` carry from fill to fill).
    A fill of a tracked order (``fb.row[j] >= 0``, -1 for an external fill, -2 for an id the
    engine never saw) must match the working order's book, instrument and side (else
    UNKNOWN_ORDER) and not exceed what is left of it (else INVALID_QTY); it reduces the order's
    working quantity as in the desk loop. Returns ``(n_applied, n_breaches, status)``; status 1
    means the FIFO lot pool is full at record ``n_applied`` (the caller grows it and resumes).
    """
    n_books, n_inst = ps.pos.shape
    desk_tail = with_var and lm.lim[P_DESK_VAR] > 0.0
    nb = 0
    # every bundle's arrays read once per batch (each read costs a reference count: not per fill)
    pos, avg, realized, fees, n_fills, wbuy, wsell, fifo, lq, lp, ln, lh, lt, ltop = ps
    unit, weight, spnl, desk_spnl, tidx, tloss, var_level, es_level = tl
    lim, action, limit_state, _, breaches, first_breach_id = lm
    f_ts, f_book, f_inst, f_side, f_qty, f_price, f_fee, f_row = fb
    for j in range(f_ts.shape[0]):
        b = f_book[j]
        i = f_inst[j]
        side = f_side[j]
        qty = f_qty[j]
        price = f_price[j]
        ts = f_ts[j]
        k = f_row[j]
        if ts < last_ts[0]:
            r = R_TS_BACKWARDS
        elif i < 0 or i >= n_inst:
            r = R_UNKNOWN_INSTRUMENT
        elif b < 0 or b >= n_books:
            r = R_UNKNOWN_BOOK
        elif qty <= 0 or abs(side) != 1:
            # abs: LLVM threads 'side != 1 and side != -1' into a copy of the fill's code per side, a
            # branch mispredicted on two-sided flow (1M fills, no VaR: 16.2 -> 11.1 ms in the kernel)
            r = R_INVALID_QTY
        elif not (price > 0.0) or not np.isfinite(price) or not np.isfinite(f_fee[j]):
            r = R_INVALID_PRICE
        elif k < -1 or (k >= 0 and (not is_working_nb(otab[k]["status"])
                                    or otab[k]["book"] != b or otab[k]["instrument"] != i or otab[k]["side"] != side)):
            r = R_UNKNOWN_ORDER
        elif k >= 0 and qty > otab[k]["qty"] - otab[k]["filled_qty"]:
            r = R_INVALID_QTY  # an overfill: more than the order has left
        else:
            r = R_NONE
        out_reason[j] = r
        if r != R_NONE:
            out_var[j] = np.nan
            out_es[j] = np.nan
            continue
        if with_var or fifo:
            # constant flags: a runtime flag would keep each callee's every branch (and ~20 array arguments) live
            if not fill_post_trade_arrays_nb(pos, avg, realized, fees, n_fills, wbuy, wsell, fifo, lq, lp, ln, lh,
                                             lt, ltop, b, i, side, qty, price, f_fee[j], False):
                return j, nb, 1
        else:  # average cost without the tails: the branch-free update (same bits; see apply_fill_select_nb)
            apply_fill_select_nb(pos, avg, realized, fees, n_fills, b, i, side, qty, price, f_fee[j])
        last_ts[0] = ts
        if k >= 0:
            fill_working_nb(wbuy, wsell, b, i, side, qty)
            order_fill_nb(otab, k, qty)
        if with_var:
            nb, v, e = fill_risk_arrays_nb(unit, weight, spnl, desk_spnl, tidx, tloss, var_level, es_level, lim,
                                           action, limit_state, breaches, first_breach_id, book_state, b, i,
                                           side * qty, ts, True, desk_tail, nb)
            out_var[j] = v
            out_es[j] = e
        else:
            add_scenario_pnl_nb(unit, weight, spnl, desk_spnl, b, i, side * qty)
            out_var[j] = np.nan
            out_es[j] = np.nan
    return f_ts.shape[0], nb, 0


@event_njit
def apply_prices_nb(ts, inst, price, marks, last_ts, touched, out_reason):
    """Validate a batch of price updates and write the new marks; flags the touched instruments."""
    n_inst = marks.shape[0]
    n_ok = 0
    for j in range(ts.shape[0]):
        i = inst[j]
        if ts[j] < last_ts[0]:
            out_reason[j] = R_TS_BACKWARDS
        elif i < 0 or i >= n_inst:
            out_reason[j] = R_UNKNOWN_INSTRUMENT
        elif not (price[j] > 0.0) or not np.isfinite(price[j]):
            out_reason[j] = R_INVALID_PRICE
        else:
            out_reason[j] = R_NONE
            marks[i] = price[j]
            touched[i] = True
            last_ts[0] = ts[j]
            n_ok += 1
    return n_ok


@event_njit
def remark_nb(touched, asset_class, underlying, multiplier, strike, expiry_years, opt_vol, rate, div_yield, call_put,
              marks, returns, inst_ccy, fx_returns, pos, fx_inst, unit_pnl, spnl, desk_spnl, row):
    """Re-mark the unit scenario P&L of touched instruments (and options on them) and shift the book
    vectors by the change: O(books x scenarios) per touched instrument, never a full recompute."""
    n_books, n_inst = pos.shape
    n_scen = unit_pnl.shape[1]
    for i in range(n_inst):
        if not (touched[i] or (asset_class[i] == 1 and touched[underlying[i]])):
            continue
        unit_row_nb(i, asset_class, underlying, multiplier, strike, expiry_years, opt_vol, rate, div_yield, call_put,
                    marks, returns, inst_ccy, fx_returns, 1.0 / 365.0, 0.0, row)
        for b in range(n_books):
            p = pos[b, i]
            if p == 0:
                continue
            w = p * fx_inst[i]
            for s in range(n_scen):
                d = w * (row[s] - unit_pnl[i, s])
                spnl[b, s] += d
                desk_spnl[s] += d
        for s in range(n_scen):
            unit_pnl[i, s] = row[s]



@event_njit
def post_trade_nb(book, inst, side, qty, price, fee, pos, avg, realized, fees, n_fills, last_px, gross, net,
                  out_pos, out_realized, out_unrealized, out_gross, out_net):
    """Post-trade state after every fill (average cost), O(books) per fill.

    For each fill: the book x instrument's position, realized P&L and unrealized P&L marked at
    the fill price, and the book's gross and net exposure with every instrument marked at its
    last traded price (a fill re-marks its instrument in every book that holds it).

    The state arrays are **instrument-major**, shape (n_instruments, n_books), so re-marking an
    instrument across books reads one contiguous row. Inputs are assumed validated (the public
    wrapper does it).
    """
    n_books = pos.shape[1]
    # The average-cost update of apply_fill_nb inlined on locals (same operations, bit for bit):
    # one load and one store per state cell, and no data-dependent branch around the re-mark,
    # about twice as fast as calling apply_fill_nb (benchmarks/bench_middle.py).
    for j in range(book.shape[0]):
        b = book[j]
        i = inst[j]
        px = price[j]
        s = side[j]
        q = qty[j]
        dp = px - last_px[i]
        last_px[i] = px
        for bb in range(n_books):  # re-mark instrument i in every book (prices are positive)
            pp = pos[i, bb]
            gross[bb] += abs(pp) * dp
            net[bb] += pp * dp
        p0 = pos[i, b]
        a = avg[i, b]
        r = realized[i, b]
        p1 = p0 + s * q
        if p0 == 0 or (p0 > 0) == (s > 0):
            ap = abs(p0)
            a = (a * ap + px * q) / (ap + q)
        else:  # closes (part of) the position at the old average; a flip opens the rest at px
            if p0 > 0:
                r += min(q, p0) * (px - a)
            else:
                r += min(q, -p0) * (a - px)
            if p1 == 0:
                a = 0.0
            elif (p1 > 0) != (p0 > 0):
                a = px
        pos[i, b] = p1
        avg[i, b] = a
        realized[i, b] = r
        fees[i, b] += fee[j]
        n_fills[i, b] += 1
        g = gross[b] + (abs(p1) - abs(p0)) * px
        nt = net[b] + (p1 - p0) * px
        gross[b] = g
        net[b] = nt
        out_pos[j] = p1
        out_realized[j] = r
        out_unrealized[j] = p1 * (px - a)
        out_gross[j] = g
        out_net[j] = nt
