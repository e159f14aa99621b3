"""The desk loop (numba): arrivals, venue executions, cancels and snapshots in time order.

Every step goes through the shared per-order and per-fill functions (``_pretrade``, ``_order_state``,
``_fills``, ``_marks``, ``_revalue``, ``_limits``) that RiskEngine also calls.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tradeflow.core.jit import event_njit
from tradeflow.middle._codes import (
    E_ACCEPTED,
    E_CANCELLED,
    E_EXPIRED,
    E_FILLED,
    E_PARTIALLY_FILLED,
    E_REJECTED,
    EV_ARRIVAL,
    EV_CANCEL,
    EV_FILL,
    EV_SNAPSHOT,
    O_REPLACE,
    P_BOOK_VAR,
    P_DESK_VAR,
    R_NONE,
)
from tradeflow.middle._fills import fill_post_trade_nb
from tradeflow.middle._limits import check_mark_limits_nb
from tradeflow.middle._marks import _mark_value_nb, anchor_marks_nb, pnl_snapshot_nb, price_update_nb
from tradeflow.middle._order_state import (
    is_working_nb,
    order_cancel_nb,
    order_event_nb,
    order_expire_nb,
    order_fill_nb,
    order_open_nb,
    replace_qty_nb,
)
from tradeflow.middle._pretrade import order_accept_nb, order_controls_nb
from tradeflow.middle._revalue import fill_risk_nb, rebase_risk_nb, risk_snapshot_nb


@event_njit
def _desk_rebase_nb(desk, ts, t):
    rv = desk.revalue
    mk = desk.marks
    tl = desk.tails
    rebase_risk_nb(ts, t, mk.mid, mk.fx, mk.inst_ccy, desk.positions.pos, rv.asset_class, rv.underlying,
                   rv.multiplier, rv.strike, rv.expiry_ns, rv.opt_vol, rv.rate, rv.div_yield, rv.call_put, rv.returns,
                   rv.fx_returns, tl.unit_pnl, tl.weight, tl.spnl, tl.desk_spnl, tl.tail_idx, tl.tail_loss, rv.work)


@event_njit
def _desk_anchor_nb(desk, t):
    ps = desk.positions
    mk = desk.marks
    anchor_marks_nb(t, ps.pos, ps.avg, ps.realized, ps.fees, mk.mid, mk.fx, mk.inst_ccy, mk.multiplier, mk.mv, mk.val,
                    mk.tp, mk.gross, mk.mx, mk.mx_i)


@event_njit
def _desk_mark_limits_nb(desk, ts):
    lm = desk.limits
    mk = desk.marks
    cnt = desk.records.counts
    cnt[2] = check_mark_limits_nb(ts, mk.tp, mk.gross, mk.mx, lm.peak, lm.lim, lm.limit_state, lm.action,
                                  desk.controls.book_state, lm.breaches, cnt[2], lm.first_breach_id)


@event_njit
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


@event_njit
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


@event_njit
def desk_snapshot_nb(desk, k):
    """Snapshot ``k``: P&L rows, and with risk the scenario P&L re-marked, risk rows, every limit."""
    rec = desk.records
    ps = desk.positions
    mk = desk.marks
    ts = rec.snap_ts[k]
    t = rec.snap_step[k]
    pnl_snapshot_nb(rec.pnl, k, ts, t, ps.pos, ps.avg, ps.realized, ps.fees, mk.inst_ccy, mk.mid, mk.fx, mk.multiplier)
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


@event_njit
def desk_cancel_nb(desk, orders, k):
    """A cancel (at the order's ``ts_cancel``) takes what is left of a working order off the venue."""
    if not is_working_nb(orders[k]["status"]):
        return
    rec = desk.records
    px = orders[k]["limit_price"] if orders[k]["order_type"] == 1 else orders[k]["ref_price"]
    leaves = order_cancel_nb(desk.controls, desk.positions, orders, k, px, rec.order_fx[k])
    ts = orders[k]["ts_cancel"]
    orders[k]["ts_done"] = ts
    rec.counts[1] = order_event_nb(rec.events, rec.counts[1], orders[k]["order_id"], ts, E_CANCELLED, R_NONE, leaves,
                              np.nan, orders[k]["filled_qty"], 0)


@event_njit
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
        order_open_nb(orders, k, reason)
        orders[k]["reject_reason"] = reason
        orders[k]["ts_done"] = ts
        rec.counts[1] = order_event_nb(rec.events, rec.counts[1], orders[k]["order_id"], ts, E_REJECTED, reason, qty,
                                  np.nan, 0, 0)
        return
    order_accept_nb(desk.controls, desk.positions, ts, client, trader, b, i, side, qty, is_limit,
                    orders[k]["limit_price"], orders[k]["ref_price"], rec.order_fx[k], True)
    order_open_nb(orders, k, R_NONE)
    rec.counts[1] = order_event_nb(rec.events, rec.counts[1], orders[k]["order_id"], ts, E_ACCEPTED, R_NONE, qty,
                                   np.nan, 0, qty)


@event_njit(inline="always")
def desk_fill_nb(desk, orders, execs, exec_row, x):
    """Execution ``x`` of order ``exec_row[x]``: post-trade, marks, VaR tails and limits, fill and
    event records. Executions of orders that are not working are discarded. Returns 1 when the
    FIFO lot pool is full (nothing changed), else 0.

    Inlined: it only hands :func:`desk_fill_parts_nb` the bundles a fill reads, so a caller holding
    the desk pays no whole-desk call for it."""
    return desk_fill_parts_nb(desk.risk_on, desk.records, desk.positions, desk.marks, desk.limits, desk.tails,
                              desk.controls.book_state, orders, execs, exec_row, x)


@event_njit
def desk_fill_parts_nb(risk_on, rec, ps, mk, lm, tl, book_state, orders, execs, exec_row, x):
    """:func:`desk_fill_nb` on the bundles a fill reads (44 of the desk's 65 arrays).

    numba passes a bundle to a compiled function as every array's pointer, sizes and strides: the
    whole desk is about 500 arguments a call, which the desk loop paid on every event (replayed
    quote day: passing these bundles instead of the desk 85 -> 77 ms; the dispatch in the loop
    itself, 77 -> 50 ms)."""
    k = exec_row[x]
    if not is_working_nb(orders[k]["status"]):
        return 0  # the order was rejected (or is done): the venue never saw it
    qty = orders[k]["qty"]
    q = min(execs[x]["qty"], qty - orders[k]["filled_qty"])  # never fill more than the order
    if q <= 0:
        return 0
    b = orders[k]["book"]
    i = orders[k]["instrument"]
    side = orders[k]["side"]
    price = execs[x]["price"]
    ts = execs[x]["ts"]
    if not fill_post_trade_nb(ps, b, i, side, q, price, execs[x]["fee"], True):
        return 1
    if risk_on:
        t_cur = mk.state[0]
        _mark_value_nb(b, i, ps.pos, ps.avg, ps.realized, ps.fees, mk.mid[i, t_cur],
                       mk.fx[mk.inst_ccy[i], t_cur] * mk.multiplier[i], mk.fx[mk.inst_ccy[i], t_cur], mk.mv, mk.val,
                       mk.tp, mk.gross, mk.mx, mk.mx_i)
        mk.state[1] = 1
        lim = lm.lim
        rec.counts[2], _, _ = fill_risk_nb(tl, lm, book_state, b, i, side * q, ts,
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
    if done == 0:
        orders[k]["avg_fill_price"] = price
    else:
        orders[k]["avg_fill_price"] = (orders[k]["avg_fill_price"] * done + price * q) / (done + q)
    cum = order_fill_nb(orders, k, q)
    if cum == qty:
        orders[k]["ts_done"] = ts
        rec.counts[1] = order_event_nb(rec.events, rec.counts[1], orders[k]["order_id"], ts, E_FILLED, R_NONE, q, price,
                                  cum, 0)
    else:
        rec.counts[1] = order_event_nb(rec.events, rec.counts[1], orders[k]["order_id"], ts, E_PARTIALLY_FILLED,
                                       R_NONE, q, price, cum, qty - cum)
    return 0


@event_njit
def _desk_event_ts_nb(kind, ref, orders, execs, snap_ts):
    """The time of a desk event (``EV_*`` ``kind``, ``ref`` as in :func:`desk_event_nb`): an execution's,
    a snapshot's, a cancel's ``ts_cancel`` or an arrival's ``ts``."""
    if kind == EV_FILL:
        return execs[ref]["ts"]
    if kind == EV_SNAPSHOT:
        return snap_ts[ref]
    if kind == EV_CANCEL:
        return orders[ref]["ts_cancel"]
    return orders[ref]["ts"]


@event_njit(inline="always")
def desk_order_event_nb(desk, orders, kind, ref, ts):
    """A desk event other than a fill (``EV_SNAPSHOT``, ``EV_CANCEL`` or ``EV_ARRIVAL``, ``ref`` as in
    :func:`desk_event_nb`) at time ``ts``, after the price updates up to it.

    Inlined where it is called (the loops' dispatch): as a call it passed the whole desk, about 500
    arguments (numba passes a bundle as every array's pointer, sizes and strides), on every event;
    what it calls takes the desk too, but those calls LLVM can inline. The session loop's book day
    took 10-15% less time in its loop without the call (replayed, records identical).
    """
    if desk.risk_on:
        desk_advance_nb(desk, ts)
    if kind == EV_SNAPSHOT:
        desk_snapshot_nb(desk, ref)
    elif kind == EV_CANCEL:
        desk_cancel_nb(desk, orders, ref)
    else:
        desk_arrival_nb(desk, orders, ref)


@event_njit
def desk_event_nb(desk, orders, execs, exec_row, kind, ref):
    """One desk event (``EV_*`` ``kind``; ``ref`` an order row, an ``execs`` row or a snapshot index),
    after the price updates up to its time. Returns 1 when the FIFO lot pool is full, else 0.

    The loops dispatch themselves (:func:`desk_order_event_nb` and :func:`desk_fill_nb` inlined);
    this whole-desk call serves the strategies' paths of the session loop."""
    ts = _desk_event_ts_nb(kind, ref, orders, execs, desk.records.snap_ts)
    if kind != EV_FILL:
        desk_order_event_nb(desk, orders, kind, ref, ts)
        return 0
    if desk.risk_on:
        desk_advance_nb(desk, ts)
    return desk_fill_nb(desk, orders, execs, exec_row, ref)


@event_njit
def desk_finish_nb(desk, orders):
    """Close the session: day orders still working expire at ``close_ts``."""
    rec = desk.records
    close_ts = rec.close_ts
    for k in range(orders.shape[0]):
        if is_working_nb(orders[k]["status"]):
            leaves = order_expire_nb(desk.controls, desk.positions, orders, k)
            orders[k]["ts_done"] = close_ts
            rec.counts[1] = order_event_nb(rec.events, rec.counts[1], orders[k]["order_id"], close_ts, E_EXPIRED,
                                           R_NONE, leaves, np.nan, orders[k]["filled_qty"], 0)


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
    # desk_event_nb's dispatch, written out here: a call of desk_event_nb passed the whole desk (about
    # 500 arguments) on every event, and numba's inline="always" of it made the loop twice as slow.
    # (desk_order_event_nb, inlined, is what the session loop uses; here it made the quote day slower.)
    risk_on = desk.risk_on
    rec = desk.records
    ps = desk.positions
    mk = desk.marks
    lm = desk.limits
    tl = desk.tails
    book_state = desk.controls.book_state
    for e in range(ev_kind.shape[0]):
        kind = ev_kind[e]
        ref = ev_ref[e]
        if risk_on:
            desk_advance_nb(desk, _desk_event_ts_nb(kind, ref, orders, execs, rec.snap_ts))
        if kind == EV_SNAPSHOT:
            desk_snapshot_nb(desk, ref)
        elif kind == EV_CANCEL:
            desk_cancel_nb(desk, orders, ref)
        elif kind == EV_ARRIVAL:
            desk_arrival_nb(desk, orders, ref)
        elif desk_fill_parts_nb(risk_on, rec, ps, mk, lm, tl, book_state, orders, execs, exec_row, ref) != 0:
            return 1
    if finish:
        desk_finish_nb(desk, orders)
    return 0
