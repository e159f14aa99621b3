"""Matrix products summed in one fixed order: the same bits on every machine, thread count and alignment.

``numpy.matmul`` hands float products to BLAS (OpenBLAS in numpy's wheels), whose kernels split
the work by the number of threads and block it by the machine: the same seed gave a market one
unit in the last place apart with ``OPENBLAS_NUM_THREADS=1`` (a Dask worker's default) and with
two threads (a 2-core driver), and everything downstream (P&L, VaR) followed. A simulation's
random draws go through :func:`ordered_matmul` instead: each element is the sum over ``k`` of
``a[i, k] * b[k, j]`` in increasing ``k``, multiply then add (no fused multiply-add), which a
scalar loop, numba's vectorized loop and numpy's elementwise operations all compute alike.

LAPACK's factorizations move with the thread count too, from about 100 instruments on (measured:
``eigh`` of a 100 x 100 and ``cholesky`` of a 200 x 200 correlation matrix differ in the last places
between one and two OpenBLAS threads). :func:`cholesky` and :func:`eigh` run them on one BLAS thread
(threadpoolctl), so a universe of any size gives the same bits on a worker and on a driver.

>>> import numpy as np
>>> a, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.5], [0.25, 2.0]])
>>> ordered_matmul(a, b).tolist()
[[1.5, 4.5], [4.0, 9.5]]
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from numba import njit

__all__ = ["ordered_matmul", "cholesky", "eigh", "one_blas_thread"]


@njit(cache=True, nogil=True)
def _ordered_matmul_nb(a, b, out):
    """``out = a @ b``, each row of ``out`` accumulated over ``k`` in order (vectorized along the row)."""
    n, k = a.shape
    m = b.shape[1]
    for i in range(n):
        for j in range(m):
            out[i, j] = 0.0
        for p in range(k):
            x = a[i, p]
            for j in range(m):
                out[i, j] += x * b[p, j]


def ordered_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for 2-D float arrays, summed in increasing ``k`` whatever the machine.

    Parameters
    ----------
    a : array_like of shape (n, k)
    b : array_like of shape (k, m)

    Returns
    -------
    float64 ndarray of shape (n, m)

    Raises
    ------
    ValueError
        When either is not 2-D or the inner dimensions differ.
    """
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"ordered_matmul takes 2-D arrays. Got shapes {a.shape} and {b.shape}.")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"ordered_matmul: inner dimensions differ: {a.shape} @ {b.shape}.")
    out = np.empty((a.shape[0], b.shape[1]))
    _ordered_matmul_nb(a, b, out)
    return out


_CONTROLLER: list = []  # this process's threadpoolctl controller, made on first use


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block's BLAS and LAPACK calls on one thread (the BLAS libraries loaded when first called,
    numpy's among them, which is the one ``numpy.linalg`` calls).

    Their blocked algorithms split the work by thread count, and the result's last bits follow the
    split; on one thread they are the same whatever ``OPENBLAS_NUM_THREADS`` says. The limit is
    process-wide while the block runs (threadpoolctl), and the previous limits come back after it.
    The controller is made once: making one scans every loaded library (about 1-3 ms, paid twice a
    simulated day before).
    """
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController  # imported on first use, as scipy

        _CONTROLLER.append(ThreadpoolController())
    with _CONTROLLER[0].limit(limits=1, user_api="blas"):
        yield


def cholesky(a: np.ndarray) -> np.ndarray:
    """``numpy.linalg.cholesky`` on one BLAS thread: the same bits whatever the thread count.

    Raises ``numpy.linalg.LinAlgError`` when ``a`` is not positive definite, as numpy's.
    """
    with one_blas_thread():
        return np.linalg.cholesky(np.asarray(a, dtype=np.float64))


def eigh(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``numpy.linalg.eigh`` (eigenvalues ascending, eigenvectors as columns) on one BLAS thread."""
    with one_blas_thread():
        w, v = np.linalg.eigh(np.asarray(a, dtype=np.float64))
    return w, v
