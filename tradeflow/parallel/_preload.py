"""Imported once by the forkserver of tradeflow's process pool: its workers are forked warm.

The forkserver is a single-threaded process, so forking it after numba has loaded the
kernels is safe; every pool worker then starts with tradeflow imported and compiled instead
of paying the import and the numba cache load itself.
"""

try:
    from tradeflow.parallel._worker import warm_worker

    warm_worker()
except Exception:  # noqa: BLE001 - never break the forkserver: workers then warm themselves
    pass
