"""Numba kernels of the back office: ledger posting and per-transaction balance checks."""

from __future__ import annotations

import numpy as np
from numba import njit

# AccountKind values (asserted equal to schema.AccountKind in the tests)
A_SECURITIES = 0
A_CASH = 1
A_CPTY_SECURITIES = 2
A_CPTY_CASH = 3
A_FEES = 4
NS_PER_DAY = 86_400 * 1_000_000_000
A_CUSTODY = 5
A_NOSTRO = 6
A_PENALTIES = 7
# TxnType.TRADE (asserted equal to schema.TxnType in the tests)
T_TRADE = 0


@njit(cache=True, nogil=True)
def _post_nb(out, n, txn, fill_id, ts, kind, owner, is_cash, asset, amount, value_date):
    out[n]["posting_id"] = n
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
def book_fills_nb(fills, principal, fee, ccy, first_txn_id, first_posting_id, value_date, out):
    """Trade-date postings of each fill, written transaction by transaction into ``out``.

    ``principal`` and ``fee`` are int64 minor units; ``value_date`` < 0 takes each fill's
    own date. Returns the number of postings.
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
        vd = value_date if value_date >= 0 else ts // NS_PER_DAY
        n = _post_nb(out, n, k, fid, ts, A_SECURITIES, b, False, i, s * q, vd)
        n = _post_nb(out, n, k, fid, ts, A_CPTY_SECURITIES, c, False, i, -s * q, vd)
        n = _post_nb(out, n, k, fid, ts, A_CASH, b, True, ccy[j], -s * principal[j], vd)
        n = _post_nb(out, n, k, fid, ts, A_CPTY_CASH, c, True, ccy[j], s * principal[j], vd)
        if fee[j] != 0:
            n = _post_nb(out, n, k, fid, ts, A_CASH, b, True, ccy[j], -fee[j], vd)
            n = _post_nb(out, n, k, fid, ts, A_FEES, b, True, ccy[j], fee[j], vd)
    for p in range(n):
        out[p]["posting_id"] = first_posting_id + p
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


# SettlementStatus and FailReason values (asserted equal to the schema in the tests)
S_PENDING = 0
S_SETTLED = 1
S_PARTIALLY_SETTLED = 2
S_FAILED = 3
F_NONE = 0
F_LACK_OF_SECURITIES = 1
F_LATE_MATCHING = 3


@njit(cache=True, nogil=True)
def settle_day_nb(ob, as_of, fail_rate, cum_weights, partial_ok, partial_share, unmatched, penalty_bps,
                  close_price, minor_scale, draws, ev):
    """One day of settlement over every obligation, in place; one event per obligation open at the start.

    ``cum_weights`` are the cumulative cause weights (lack of securities, on hold, late
    matching). Writes events into ``ev`` (SETTLEMENT_EVENT_DT) and returns their count.
    """
    m = 0
    for k in range(ob.shape[0]):
        if ob[k]["status"] == S_SETTLED or ob[k]["trade_date"] > as_of:
            continue
        open_q = ob[k]["qty"] - ob[k]["settled_qty"]
        open_c = ob[k]["cash"] - ob[k]["settled_cash"]
        q = np.int64(0)
        c = np.int64(0)
        pen = np.int64(0)
        reason = F_NONE
        status = S_PENDING
        if ob[k]["settle_date"] <= as_of:
            if unmatched[k]:
                status = S_FAILED
                reason = F_LATE_MATCHING
            elif draws[k, 0] < fail_rate[k]:
                status = S_FAILED
                reason = 1
                for w in range(cum_weights.shape[0] - 1):
                    if draws[k, 1] >= cum_weights[w]:
                        reason += 1
                abs_q = abs(open_q)
                if reason == F_LACK_OF_SECURITIES and partial_ok and draws[k, 2] < partial_share and abs_q >= 2:
                    part = 1 + np.int64(np.floor(draws[k, 3] * (abs_q - 1)))
                    q = part if open_q > 0 else -part
                    c = (open_c * part) // abs_q
                    status = S_PARTIALLY_SETTLED
            else:
                status = S_SETTLED
                q = open_q
                c = open_c
        failed = status == S_FAILED or status == S_PARTIALLY_SETTLED
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
        ob[k]["settled_date"] = as_of if status == S_SETTLED else -1
        ev[m]["as_of"] = as_of
        ev[m]["obligation_id"] = ob[k]["obligation_id"]
        ev[m]["status"] = status
        ev[m]["fail_reason"] = reason
        ev[m]["qty_settled"] = q
        ev[m]["cash_settled"] = c
        ev[m]["qty_open"] = left_q
        ev[m]["fail_days"] = ob[k]["fail_days"]
        ev[m]["penalty"] = pen
        m += 1
    return m
