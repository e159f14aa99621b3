"""Numba kernels of the back office: ledger posting and per-transaction balance checks."""

from __future__ import annotations

import numpy as np
from numba import njit

from tradeflow.core.search import find_sorted_nb, lower_bound_nb
from tradeflow.schema import NS_PER_DAY, AccountKind, FailReason, SettlementStatus, TxnType

# enum codes from the data model (numba freezes module-level ints at compile time)
A_SECURITIES = int(AccountKind.SECURITIES)
A_CASH = int(AccountKind.CASH)
A_CPTY_SECURITIES = int(AccountKind.CPTY_SECURITIES)
A_CPTY_CASH = int(AccountKind.CPTY_CASH)
A_FEES = int(AccountKind.FEES)
A_CUSTODY = int(AccountKind.CUSTODY)
A_NOSTRO = int(AccountKind.NOSTRO)
A_PENALTIES = int(AccountKind.PENALTIES)
T_TRADE = int(TxnType.TRADE)


@njit(cache=True, nogil=True)
def _post_nb(out, n, txn, fill_id, ts, kind, owner, is_cash, asset, amount, value_date, first_posting_id):
    out[n]["posting_id"] = first_posting_id + n
    out[n]["txn_type"] = T_TRADE
    out[n]["value_date"] = value_date
    out[n]["instruction_id"] = -1
    out[n]["txn_id"] = txn
    out[n]["fill_id"] = fill_id
    out[n]["ts"] = ts
    out[n]["account_kind"] = kind
    out[n]["owner"] = owner
    out[n]["asset_is_cash"] = is_cash
    out[n]["asset"] = asset
    out[n]["amount"] = amount
    return n + 1


@njit(cache=True, nogil=True)
def book_fills_nb(fills, multiplier, minor_scale, inst_ccy, first_txn_id, first_posting_id, value_date, out):
    """Trade-date postings of each fill, written transaction by transaction into ``out``.

    Per instrument: ``multiplier``, ``minor_scale`` (10 ** minor digits) and currency id;
    the principal ``qty x price x multiplier`` and the fee are rounded to int64 minor
    units here (as ``to_minor`` does). ``value_date`` < 0 takes each fill's own date.
    Returns the number of postings.
    """
    n = 0
    for j in range(fills.shape[0]):
        k = first_txn_id + j
        s = np.int64(fills[j]["side"])
        fid = fills[j]["fill_id"]
        ts = fills[j]["ts"]
        b = fills[j]["book"]
        c = fills[j]["counterparty"]
        i = fills[j]["instrument"]
        q = fills[j]["qty"]
        sc = minor_scale[i]
        p = np.int64(np.rint(np.float64(q) * fills[j]["price"] * multiplier[i] * sc))
        f = np.int64(np.rint(fills[j]["fee"] * sc))
        cy = inst_ccy[i]
        vd = value_date if value_date >= 0 else ts // NS_PER_DAY
        p0 = first_posting_id
        n = _post_nb(out, n, k, fid, ts, A_SECURITIES, b, False, i, s * q, vd, p0)
        n = _post_nb(out, n, k, fid, ts, A_CPTY_SECURITIES, c, False, i, -s * q, vd, p0)
        n = _post_nb(out, n, k, fid, ts, A_CASH, b, True, cy, -s * p, vd, p0)
        n = _post_nb(out, n, k, fid, ts, A_CPTY_CASH, c, True, cy, s * p, vd, p0)
        if f != 0:
            n = _post_nb(out, n, k, fid, ts, A_CASH, b, True, cy, -f, vd, p0)
            n = _post_nb(out, n, k, fid, ts, A_FEES, b, True, cy, f, vd, p0)
    return n


@njit(cache=True, nogil=True)
def unbalanced_txns_nb(ledger, out_txn, out_amount):
    """Transactions whose postings do not sum to zero for some asset.

    Postings (LEDGER_DT records) must be grouped by ``txn_id`` (contiguous). For each
    offending (transaction, asset) writes the transaction and the residual; returns the count.
    """
    n = ledger.shape[0]
    nbad = 0
    start = 0
    while start < n:
        t = ledger[start]["txn_id"]
        if start and t < ledger[start - 1]["txn_id"]:
            return -1  # not in txn order: the caller sorts and calls again
        end = start
        while end < n and ledger[end]["txn_id"] == t:
            end += 1
        # a transaction has a handful of postings: quadratic in it is cheaper than hashing
        for p in range(start, end):
            cp = ledger[p]["asset_is_cash"]
            ap = ledger[p]["asset"]
            first = True
            for q in range(start, p):
                if ledger[q]["asset_is_cash"] == cp and ledger[q]["asset"] == ap:
                    first = False
                    break
            if not first:
                continue
            total = np.int64(0)
            for q in range(p, end):
                if ledger[q]["asset_is_cash"] == cp and ledger[q]["asset"] == ap:
                    total += ledger[q]["amount"]
            if total != 0:
                out_txn[nbad] = t
                out_amount[nbad] = total
                nbad += 1
        start = end
    return nbad


@njit(cache=True, nogil=True)
def asset_totals_nb(ledger, out_sec, out_cash, n_sec, n_cash):
    """Sum of every posting per asset (securities by instrument, cash by currency), exact in int64.

    ``n_sec`` / ``n_cash`` count the postings per asset. Returns the number of postings
    whose asset id is outside the output arrays (they are not summed; the caller raises).
    """
    bad = 0
    for p in range(ledger.shape[0]):
        a = ledger[p]["asset"]
        if ledger[p]["asset_is_cash"]:
            if a < 0 or a >= out_cash.shape[0]:
                bad += 1
                continue
            out_cash[a] += ledger[p]["amount"]
            n_cash[a] += 1
        else:
            if a < 0 or a >= out_sec.shape[0]:
                bad += 1
                continue
            out_sec[a] += ledger[p]["amount"]
            n_sec[a] += 1
    return bad


@njit(cache=True, nogil=True)
def trade_balances_nb(ledger, out_pos, out_cash):
    """Trade-date ``SECURITIES`` (book x instrument) and ``CASH`` (book x currency) balances, one pass.

    Penalty and settlement postings are left out (front-office P&L knows neither).
    Returns the number of such postings whose owner or asset is outside the outputs.
    """
    bad = 0
    for p in range(ledger.shape[0]):
        if ledger[p]["txn_type"] != T_TRADE:
            continue
        k = ledger[p]["account_kind"]
        o = ledger[p]["owner"]
        a = ledger[p]["asset"]
        cash = ledger[p]["asset_is_cash"]
        if k == A_SECURITIES and not cash:
            if o < 0 or o >= out_pos.shape[0] or a < 0 or a >= out_pos.shape[1]:
                bad += 1
                continue
            out_pos[o, a] += ledger[p]["amount"]
        elif k == A_CASH and cash:
            if o < 0 or o >= out_cash.shape[0] or a < 0 or a >= out_cash.shape[1]:
                bad += 1
                continue
            out_cash[o, a] += ledger[p]["amount"]
    return bad


# SettlementStatus and FailReason codes from the data model
S_PENDING = int(SettlementStatus.PENDING)
S_SETTLED = int(SettlementStatus.SETTLED)
S_PARTIALLY_SETTLED = int(SettlementStatus.PARTIALLY_SETTLED)
S_FAILED = int(SettlementStatus.FAILED)
S_BOUGHT_IN = int(SettlementStatus.BOUGHT_IN)
F_NONE = int(FailReason.NONE)
F_LACK_OF_SECURITIES = int(FailReason.LACK_OF_SECURITIES)
F_LATE_MATCHING = int(FailReason.LATE_MATCHING)


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


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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


# ------------------------------------------------------------------ lookups and grouping (reconciliation, netting)
@njit(cache=True, nogil=True)
def is_sorted_nb(a):
    """Whether ``a`` is non-decreasing."""
    for k in range(1, a.shape[0]):
        if a[k] < a[k - 1]:
            return False
    return True


@njit(cache=True, nogil=True)
def sorted_counts_nb(values, out_ids, out_first, out_count):
    """Distinct values of a non-decreasing ``values`` with their first position and count; returns how many."""
    m = 0
    for k in range(values.shape[0]):
        if m == 0 or values[k] != out_ids[m - 1]:
            out_ids[m] = values[k]
            out_first[m] = k
            out_count[m] = 0
            m += 1
        out_count[m - 1] += 1
    return m


@njit(cache=True, nogil=True)
def occurrences_nb(keys, values_sorted, out):
    """How many times each of ``keys`` occurs in the non-decreasing ``values_sorted`` (merge walk when the keys
    are sorted too, else binary search)."""
    n = values_sorted.shape[0]
    if is_sorted_nb(keys):
        p = 0
        for k in range(keys.shape[0]):
            x = keys[k]
            while p < n and values_sorted[p] < x:
                p += 1
            c = 0
            q = p
            while q < n and values_sorted[q] == x:
                c += 1
                q += 1
            out[k] = c
        return
    for k in range(keys.shape[0]):
        x = keys[k]
        lo = lower_bound_nb(values_sorted, x)
        c = 0
        while lo < n and values_sorted[lo] == x:
            c += 1
            lo += 1
        out[k] = c


@njit(cache=True, nogil=True)
def trade_txn_counts_nb(ledger, ref_ids, out_count, out_unknown):
    """Trade-date transactions per reference fill id (``ref_ids`` sorted, distinct), in one pass over ``ledger``.

    A transaction is counted at its first posting. Fill ids of transactions not in
    ``ref_ids`` go to ``out_unknown``. Returns the number of unknown ones, or -1 when the
    trade transactions' ids are not non-decreasing (the caller falls back).
    """
    n_unknown = 0
    prev = np.int64(-1)
    have = False
    last = np.int64(-1)
    for p in range(ledger.shape[0]):
        if ledger[p]["txn_type"] != T_TRADE:
            continue
        t = ledger[p]["txn_id"]
        if have and t == prev:
            continue
        if have and t < prev:
            return -1
        have = True
        prev = t
        f = ledger[p]["fill_id"]
        if last + 1 < ref_ids.shape[0] and ref_ids[last + 1] == f:  # fills usually booked in id order
            pos = last + 1
        else:
            pos = find_sorted_nb(ref_ids, f)
        if pos >= 0:
            last = pos
        if pos >= 0:
            out_count[pos] += 1
        else:
            out_unknown[n_unknown] = f
            n_unknown += 1
    return n_unknown


@njit(cache=True, nogil=True)
def pack_keys_nb(keys, out):
    """Pack the columns of ``keys`` (int64, shape (n, k)) into one int64 per row, mixed radix over each column's
    range. Returns False when the ranges are too wide to pack (the caller falls back)."""
    n, nk = keys.shape
    span = np.int64(1)
    lo = np.zeros(nk, np.int64)
    width = np.zeros(nk, np.int64)
    for j in range(nk):
        a = keys[0, j] if n else 0
        b = a
        for k in range(n):
            v = keys[k, j]
            if v < a:
                a = v
            if v > b:
                b = v
        lo[j] = a
        width[j] = b - a + 1
        if width[j] <= 0 or width[j] > (np.int64(1) << 62) // span:
            return False
        span *= width[j]
    for k in range(n):
        v = np.int64(0)
        mul = np.int64(1)
        for j in range(nk):
            v += (keys[k, j] - lo[j]) * mul
            mul *= width[j]
        out[k] = v
    return True


@njit(cache=True, nogil=True)
def net_groups_nb(codes, signed_qty, cash, out_first, out_n, out_qty, out_cash, out_group):
    """Groups numbered in order of their first row from factorized ``codes``: first row, size, sums.

    ``out_group[k]`` is row ``k``'s group. Returns the number of groups.
    """
    n_codes = 0
    for k in range(codes.shape[0]):
        if codes[k] + 1 > n_codes:
            n_codes = codes[k] + 1
    group_of_code = np.full(n_codes, -1, np.int64)
    m = 0
    for k in range(codes.shape[0]):
        c = codes[k]
        g = group_of_code[c]
        if g < 0:
            g = m
            group_of_code[c] = g
            out_first[g] = k
            out_n[g] = 0
            out_qty[g] = 0
            out_cash[g] = 0
            m += 1
        out_group[k] = g
        out_n[g] += 1
        out_qty[g] += signed_qty[k]
        out_cash[g] += cash[k]
    return m


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
def ledger_stats_nb(ledger):
    """(largest asset id, smallest asset id, txn ids non-decreasing?) of ``ledger`` in one pass."""
    hi = np.int64(-1)
    lo = np.int64(0)
    ordered = True
    for p in range(ledger.shape[0]):
        a = np.int64(ledger[p]["asset"])
        if a > hi:
            hi = a
        if a < lo:
            lo = a
        if p and ledger[p]["txn_id"] < ledger[p - 1]["txn_id"]:
            ordered = False
    return hi, lo, ordered


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
