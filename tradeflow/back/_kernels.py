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
def book_fills_nb(fills, principal, fee, ccy, out):
    """Trade-date postings of each fill, written transaction by transaction into ``out``.

    ``principal`` and ``fee`` are int64 minor units; returns the number of postings.
    """
    n = 0
    for k in range(fills.shape[0]):
        s = np.int64(fills[k]["side"])
        fid = fills[k]["fill_id"]
        ts = fills[k]["ts"]
        b = fills[k]["book"]
        c = fills[k]["counterparty"]
        i = fills[k]["instrument"]
        q = fills[k]["qty"]
        n = _post_nb(out, n, k, fid, ts, A_SECURITIES, b, False, i, s * q)
        n = _post_nb(out, n, k, fid, ts, A_CPTY_SECURITIES, c, False, i, -s * q)
        n = _post_nb(out, n, k, fid, ts, A_CASH, b, True, ccy[k], -s * principal[k])
        n = _post_nb(out, n, k, fid, ts, A_CPTY_CASH, c, True, ccy[k], s * principal[k])
        if fee[k] != 0:
            n = _post_nb(out, n, k, fid, ts, A_CASH, b, True, ccy[k], -fee[k])
            n = _post_nb(out, n, k, fid, ts, A_FEES, b, True, ccy[k], fee[k])
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
