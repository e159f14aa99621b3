"""Binary search kernels every office shares (numba; usable from other kernels and from Python).

>>> import numpy as np
>>> ids = np.array([3, 5, 5, 9])
>>> int(lower_bound_nb(ids, 5)), int(lower_bound_nb(ids, 6)), int(lower_bound_nb(ids, 10))
(1, 3, 4)
>>> int(find_sorted_nb(ids, 9)), int(find_sorted_nb(ids, 4))
(3, -1)
"""

from __future__ import annotations

from numba import njit

__all__ = ["lower_bound_nb", "find_sorted_nb"]


@njit(cache=True, nogil=True)
def lower_bound_nb(values, x):
    """The first position ``i`` with ``values[i] >= x`` in the non-decreasing ``values`` (``len`` if none).

    Same as ``numpy.searchsorted(values, x, side="left")``, inside a kernel.
    """
    lo = 0
    hi = values.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if values[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def find_sorted_nb(values, x):
    """Position of ``x`` in the non-decreasing ``values`` (its first occurrence), or -1."""
    i = lower_bound_nb(values, x)
    if i < values.shape[0] and values[i] == x:
        return i
    return -1
