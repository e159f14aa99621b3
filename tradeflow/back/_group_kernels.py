"""Lookup and grouping kernels (numba) for reconciliation and netting: sortedness, counts of sorted
ids, occurrences, key packing and netting groups.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tradeflow.core.search import lower_bound_nb


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
