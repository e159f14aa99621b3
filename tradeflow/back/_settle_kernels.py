"""Settlement kernels (numba): instructions from fills, obligation keys, one settlement day with fails,
partials, penalties and buy-ins.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tradeflow.back._codes import (
    F_LACK_OF_SECURITIES,
    F_LATE_MATCHING,
    F_NONE,
    S_BOUGHT_IN,
    S_FAILED,
    S_PARTIALLY_SETTLED,
    S_PENDING,
    S_SETTLED,
)
from tradeflow.core.jit import event_njit


@njit(cache=True, nogil=True)
def instructions_nb(fills, settle_by_inst, ccy_of_inst, cash, first_id, trade_date, out):
    """Settlement instructions of ``fills`` into ``out`` (SETTLEMENT_DT), every field written, one pass."""
    for k in range(fills.shape[0]):
        i = fills[k]["instrument"]
        sd = settle_by_inst[i]
        due = sd <= trade_date
        out[k]["instruction_id"] = first_id + k
        out[k]["fill_id"] = fills[k]["fill_id"]
        out[k]["book"] = fills[k]["book"]
        out[k]["instrument"] = i
        out[k]["counterparty"] = fills[k]["counterparty"]
        out[k]["currency"] = ccy_of_inst[i]
        out[k]["side"] = fills[k]["side"]
        out[k]["status"] = S_SETTLED if due else S_PENDING
        out[k]["trade_date"] = trade_date
        out[k]["settle_date"] = sd
        out[k]["qty"] = fills[k]["qty"]
        out[k]["cash_amount"] = cash[k]
        out[k]["obligation_id"] = -1
        out[k]["fail_reason"] = F_NONE
        out[k]["fail_days"] = 0
        out[k]["settled_date"] = sd if due else -1


@njit(cache=True, nogil=True)
def _obligation_key_nb(rec, j):
    if j == 0:
        return np.int64(rec["book"])
    if j == 1:
        return np.int64(rec["counterparty"])
    if j == 2:
        return np.int64(rec["instrument"])
    if j == 3:
        return rec["settle_date"]
    return rec["trade_date"]


@njit(cache=True, nogil=True)
def obligation_keys_nb(ins, out):
    """The ``net_all`` key (book, counterparty, instrument, settle date, trade date) of each instruction (SETTLEMENT_DT
    records) packed into one int64, mixed radix over each field's range. Returns False when too wide to pack."""
    n = ins.shape[0]
    lo = np.zeros(5, np.int64)
    hi = np.zeros(5, np.int64)
    for j in range(5):
        if n:
            lo[j] = _obligation_key_nb(ins[0], j)
            hi[j] = lo[j]
    for k in range(n):
        for j in range(5):
            v = _obligation_key_nb(ins[k], j)
            if v < lo[j]:
                lo[j] = v
            if v > hi[j]:
                hi[j] = v
    width = hi - lo + 1
    span = np.int64(1)
    for j in range(5):
        if width[j] <= 0 or width[j] > (np.int64(1) << 62) // span:
            return False
        span *= width[j]
    for k in range(n):
        v = np.int64(0)
        mul = np.int64(1)
        for j in range(5):
            v += (_obligation_key_nb(ins[k], j) - lo[j]) * mul
            mul *= width[j]
        out[k] = v
    return True


@njit(cache=True, nogil=True)
def settle_day_nb(ob, as_of, fail_rate, cum_weights, partial_ok, partial_share, unmatched, penalty_bps,
                  close_price, minor_scale, draws, holding, borrow, buy_in_after, buy_in_price, ev):
    """One day of settlement over every obligation, in place; one event per obligation open at the start.

    Receipts (``qty`` > 0) are attempted first, then deliveries and cash-only obligations,
    each in obligation order, so that what a book receives today can be delivered on today.
    ``cum_weights`` are the cumulative cause weights (lack of securities, on hold, late
    matching) of a fail drawn at ``fail_rate``; a drawn lack of securities is the
    counterparty's on a receipt (it may deliver part, ``partial_share``); on a delivery by the
    book (or a cash-only obligation) the cause is drawn among the others, renormalised (none
    when lack of securities has all the weight), so the drawn fails hit ``fail_rate`` of the
    due obligations on both sides. The book's own lack of securities is decided by its custody: a delivery
    settles only up to ``holding[book, instrument] + borrow[instrument]`` (``borrow`` < 0:
    unlimited), the rest fails (partially settled when ``partial_ok``). ``holding`` is
    updated by what settles. An obligation whose securities are still not delivered after
    the attempt, with more than ``buy_in_after[k]`` (>= 0) days failed, is bought in at
    ``buy_in_price[k]`` per unit (see ``_buy_in_nb``). Writes events into ``ev``
    (SETTLEMENT_EVENT_DT) in obligation order and returns their count.
    """
    n = ob.shape[0]
    slot = np.full(n, -1, np.int64)
    is_receipt = np.zeros(n, np.bool_)
    m = 0
    for k in range(n):
        if ob[k]["status"] == S_SETTLED or ob[k]["status"] == S_BOUGHT_IN or ob[k]["trade_date"] > as_of:
            continue
        slot[k] = m
        is_receipt[k] = ob[k]["qty"] - ob[k]["settled_qty"] > 0
        m += 1
    for phase in range(2):
        for k in range(n):
            receipt = is_receipt[k]
            if slot[k] < 0 or receipt != (phase == 0):
                continue
            _attempt_nb(ob, k, slot[k], receipt, as_of, fail_rate, cum_weights, partial_ok, partial_share, unmatched,
                        penalty_bps, close_price, minor_scale, draws, holding, borrow, buy_in_after, buy_in_price, ev)
    return m


# per obligation, with 16 arrays: compiled without reference counts (each call counted every array twice)
@event_njit
def _attempt_nb(ob, k, e, receipt, as_of, fail_rate, cum_weights, partial_ok, partial_share, unmatched, penalty_bps,
                close_price, minor_scale, draws, holding, borrow, buy_in_after, buy_in_price, ev):
    open_q = ob[k]["qty"] - ob[k]["settled_qty"]
    open_c = ob[k]["cash"] - ob[k]["settled_cash"]
    b = ob[k]["book"]
    i = ob[k]["instrument"]
    q = np.int64(0)
    c = np.int64(0)
    pen = np.int64(0)
    reason = F_NONE
    status = S_PENDING
    if ob[k]["settle_date"] <= as_of:
        status = S_SETTLED
        if unmatched[k]:
            status = S_FAILED
            reason = F_LATE_MATCHING
        elif draws[k, 0] < fail_rate[k] and (receipt or cum_weights[0] < 1.0):
            # the cause: on a receipt any; on the book's delivery (or cash only) the street's causes
            # other than lack of securities, renormalised, so that every drawn fail fails and the
            # fail rate at the intended settlement date is the configured one on both sides
            u = draws[k, 1] if receipt else cum_weights[0] + draws[k, 1] * (1.0 - cum_weights[0])
            cause = 1
            for w in range(cum_weights.shape[0] - 1):
                if u >= cum_weights[w]:
                    cause += 1
            status = S_FAILED
            reason = cause
            abs_q = abs(open_q)
            if reason == F_LACK_OF_SECURITIES and partial_ok and draws[k, 2] < partial_share and abs_q >= 2:
                part = 1 + np.int64(np.floor(draws[k, 3] * (abs_q - 1)))
                q = part
                c = (open_c * part) // abs_q
                status = S_PARTIALLY_SETTLED
        if status == S_SETTLED:
            q = open_q
            c = open_c
            if open_q < 0 and borrow[i] >= 0:
                avail = holding[b, i] + borrow[i]
                if avail < -open_q:
                    reason = F_LACK_OF_SECURITIES
                    status = S_FAILED
                    q = np.int64(0)
                    c = np.int64(0)
                    if partial_ok and avail > 0:
                        q = -avail
                        c = (open_c * avail) // (-open_q)
                        status = S_PARTIALLY_SETTLED
    failed = status == S_FAILED or status == S_PARTIALLY_SETTLED
    cost = np.int64(0)
    comp = np.int64(0)
    if failed and open_q != q and buy_in_after[k] >= 0 and ob[k]["fail_days"] + 1 > buy_in_after[k]:
        # still failed after the extension period: a mandatory buy-in closes the whole open obligation today
        status = S_BOUGHT_IN
        reason = F_NONE
        failed = False
        cost, comp, q, c = _buy_in_nb(open_q, open_c, buy_in_price[k], minor_scale[k])
        ob[k]["buy_in_cost"] = cost
        ob[k]["buy_in_compensation"] = comp
    holding[b, i] += q
    left_q = open_q - q
    left_c = open_c - c
    if failed:
        # the failing party is the one delivering: securities if any are still due, else cash
        if left_q != 0:
            value = abs(left_q) * close_price[k]
            book_fails = left_q < 0
        else:
            value = abs(left_c) / minor_scale[k]
            book_fails = left_c > 0
        pen = np.int64(np.rint(value * penalty_bps[k] * 1e-4 * minor_scale[k]))
        if not book_fails:
            pen = -pen
        ob[k]["fail_reason"] = reason
        ob[k]["fail_days"] += 1
    ob[k]["status"] = status
    ob[k]["settled_qty"] += q
    ob[k]["settled_cash"] += c
    ob[k]["penalties"] += pen
    ob[k]["settled_date"] = as_of if status == S_SETTLED or status == S_BOUGHT_IN else -1
    ev[e]["as_of"] = as_of
    ev[e]["obligation_id"] = ob[k]["obligation_id"]
    ev[e]["status"] = status
    ev[e]["fail_reason"] = reason
    ev[e]["qty_settled"] = q
    ev[e]["cash_settled"] = c
    ev[e]["qty_open"] = left_q
    ev[e]["fail_days"] = ob[k]["fail_days"]
    ev[e]["penalty"] = pen
    ev[e]["buy_in_cost"] = cost
    ev[e]["buy_in_compensation"] = comp


@event_njit
def _buy_in_nb(open_q, open_c, unit_price, minor_scale):
    """A buy-in of an obligation with ``open_q`` securities (> 0: due to the book) and ``open_c`` cash (> 0: the
    book pays) still open, at ``unit_price`` per unit (the day's price plus the premium, times the multiplier).

    The receiving side buys the securities at the buy-in price ``B``; the failing side pays
    it the price difference ``max(B - agreed, 0)`` (CSDR: a cheaper buy-in is not refunded).
    Returns ``(cost, compensation, qty_moved, cash_moved)`` from the book's side: ``cost`` is
    what the book paid the buy-in agent (> 0 only when the book received, i.e. bought in),
    ``compensation`` the price difference paid (> 0) or received (< 0) by the book, and the
    securities and cash that moved through custody and the nostro (the agent's delivery
    against ``cost``; nothing moves when the book was the failing deliverer).
    """
    value = np.int64(np.rint(abs(open_q) * unit_price * minor_scale))
    diff = value - abs(open_c)
    if diff < 0:
        diff = np.int64(0)
    if open_q > 0:  # the counterparty failed to deliver: the book bought in, the counterparty pays the difference
        return value, -diff, open_q, value
    return np.int64(0), diff, np.int64(0), np.int64(0)  # the book failed: it pays the difference, nothing moves


@njit(cache=True, nogil=True)
def obligations_nb(ins, rep, count, qty, cash, first_id, out):
    """Obligations (OBLIGATION_DT, ``out`` zeroed) of instruction groups, row by row: group ``g`` takes the keys
    of its first instruction ``rep[g]`` and the group's ``count``, ``qty`` and ``cash``; pending, not settled."""
    for g in range(out.shape[0]):
        r = rep[g]
        out[g]["obligation_id"] = first_id + g
        out[g]["book"] = ins[r]["book"]
        out[g]["counterparty"] = ins[r]["counterparty"]
        out[g]["instrument"] = ins[r]["instrument"]
        out[g]["currency"] = ins[r]["currency"]
        out[g]["trade_date"] = ins[r]["trade_date"]
        out[g]["settle_date"] = ins[r]["settle_date"]
        out[g]["n_instructions"] = count[g]
        out[g]["qty"] = qty[g]
        out[g]["cash"] = cash[g]
        out[g]["status"] = S_PENDING
        out[g]["settled_date"] = -1


@njit(cache=True, nogil=True)
def instruction_states_nb(instructions, rows, obligations, out_open):
    """Each instruction at ``rows`` takes its obligation's status, fail reason, fail days and settled date
    (``obligations`` indexed by obligation id); the rows still open (neither settled nor bought in) go to
    ``out_open``. Returns how many."""
    m = 0
    for j in range(rows.shape[0]):
        k = rows[j]
        o = instructions[k]["obligation_id"]
        st = obligations[o]["status"]
        instructions[k]["status"] = st
        instructions[k]["fail_reason"] = obligations[o]["fail_reason"]
        instructions[k]["fail_days"] = obligations[o]["fail_days"]
        instructions[k]["settled_date"] = obligations[o]["settled_date"]
        if st != S_SETTLED and st != S_BOUGHT_IN:
            out_open[m] = k
            m += 1
    return m


@njit(cache=True, nogil=True)
def settled_moves_nb(events, obligations, first_id, sec_move, cash_move):
    """What a day's settlement ``events`` moved: securities received per book x instrument into ``sec_move`` and
    cash received (minus ``cash_settled``) per book x currency into ``cash_move``; ``obligations`` indexed by
    obligation id less ``first_id``. Returns how many events point outside (left out; the caller raises)."""
    bad = 0
    for e in range(events.shape[0]):
        o = events[e]["obligation_id"] - first_id
        if o < 0 or o >= obligations.shape[0]:
            bad += 1
            continue
        b = obligations[o]["book"]
        i = obligations[o]["instrument"]
        c = obligations[o]["currency"]
        if b < 0 or b >= sec_move.shape[0] or i < 0 or i >= sec_move.shape[1] or c < 0 or c >= cash_move.shape[1]:
            bad += 1
            continue
        sec_move[b, i] += events[e]["qty_settled"]
        cash_move[b, c] -= events[e]["cash_settled"]
    return bad
