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
A_CUSTODY = 5
A_NOSTRO = 6
A_PENALTIES = 7


@njit(cache=True, nogil=True)
def _post_nb(out, n, txn, fill_id, ts, kind, owner, is_cash, asset, amount):
    out[n]["posting_id"] = n
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
def book_fills_nb(fills, principal, fee, ccy, first_txn_id, first_posting_id, out):
    """Trade-date postings of each fill, written transaction by transaction into ``out``.

    ``principal`` and ``fee`` are int64 minor units; returns the number of postings.
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
        n = _post_nb(out, n, k, fid, ts, A_SECURITIES, b, False, i, s * q)
        n = _post_nb(out, n, k, fid, ts, A_CPTY_SECURITIES, c, False, i, -s * q)
        n = _post_nb(out, n, k, fid, ts, A_CASH, b, True, ccy[j], -s * principal[j])
        n = _post_nb(out, n, k, fid, ts, A_CPTY_CASH, c, True, ccy[j], s * principal[j])
        if fee[j] != 0:
            n = _post_nb(out, n, k, fid, ts, A_CASH, b, True, ccy[j], -fee[j])
            n = _post_nb(out, n, k, fid, ts, A_FEES, b, True, ccy[j], fee[j])
    for p in range(n):
        out[p]["posting_id"] = first_posting_id + p
    return n


@njit(cache=True, nogil=True)
def unbalanced_txns_nb(txn_id, is_cash, asset, amount, out_txn, out_amount):
    """Transactions whose postings do not sum to zero for some asset.

    Postings must be grouped by ``txn_id`` (contiguous). For each offending
    (transaction, asset) writes the transaction and the residual; returns the count.
    """
    n = txn_id.shape[0]
    nbad = 0
    start = 0
    while start < n:
        end = start
        while end < n and txn_id[end] == txn_id[start]:
            end += 1
        # a transaction has a handful of postings: quadratic in it is cheaper than hashing
        for p in range(start, end):
            first = True
            for q in range(start, p):
                if is_cash[q] == is_cash[p] and asset[q] == asset[p]:
                    first = False
                    break
            if not first:
                continue
            total = np.int64(0)
            for q in range(p, end):
                if is_cash[q] == is_cash[p] and asset[q] == asset[p]:
                    total += amount[q]
            if total != 0:
                out_txn[nbad] = txn_id[p]
                out_amount[nbad] = total
                nbad += 1
        start = end
    return nbad
