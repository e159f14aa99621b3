"""A local Dask cluster set up for desk-day studies, and the worker tuning every cluster gets.

A desk-day is ~0.1-1 s of single-threaded CPU (numba kernels and numpy, holding the GIL), so
Dask's defaults, written for many small tasks on threads, cost a study a large share of its CPU
on a small machine. Measured on 2 cores with 100-order desk-days (``/work`` notes of issue 18):

- ``MALLOC_TRIM_THRESHOLD_=65536``, which Dask's nanny sets in every worker's environment,
  also switches off glibc's dynamic mmap threshold: every array above 128 kB is then a fresh
  ``mmap`` (and page faults) instead of heap memory. A run cost 209 ms of CPU with it against
  175 ms without. :func:`local_cluster` starts its workers without it (glibc's defaults, as in a
  plain Python process: 1,000-run study 118.9 -> 113.0 ms a run on 2 workers, 2026-12-05); on other
  clusters :func:`tune_worker_malloc` raises the mmap threshold back to 32 MiB in the worker
  (trimming stays on, so an idle worker still returns memory to the system).
- The nannies and the scheduler of a ``LocalCluster`` live in the client's process and poll
  the workers on timers (memory every 100 ms, system monitor every 500 ms, the worker's
  statistical profiler every 10 ms): ~20 ms of CPU per second-long run, on the same cores.
  :data:`STUDY_DASK_CONFIG` slows those timers down and turns off the profiler and the GIL monitor.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from typing import Any

__all__ = ["STUDY_DASK_CONFIG", "local_cluster", "tune_worker_malloc"]

MMAP_THRESHOLD = 32 * 2**20  # bytes: arrays below this come from the heap, as under glibc's dynamic default
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)

# Dask settings for a cluster that runs desk-days: few long CPU-bound tasks, one thread each.
STUDY_DASK_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,  # sampling a run's deep stack every 10 ms
    "distributed.admin.system-monitor.gil.enabled": False,  # polls the GIL every 1 ms where gilknocker exists
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",  # the nanny's poll of its worker's RSS
}
# set in Dask's workers' environment by the nanny; a study cluster's workers run with glibc's defaults instead
_STUDY_UNSET_ENV = ("MALLOC_TRIM_THRESHOLD_",)


def tune_worker_malloc() -> bool:
    """Give back glibc's heap to a worker whose environment sets a malloc trim threshold.

    Setting ``MALLOC_TRIM_THRESHOLD_`` (as Dask's nanny does) fixes glibc's mmap threshold at
    128 kB, so a run's many medium-sized numpy arrays are each mapped and faulted in afresh.
    This sets the mmap threshold to 32 MiB in this process, unless the environment sets
    ``MALLOC_MMAP_THRESHOLD_`` itself or the C library is not glibc.

    Returns
    -------
    bool
        Whether the threshold was changed.
    """
    if not sys.platform.startswith("linux") or "MALLOC_TRIM_THRESHOLD_" not in os.environ \
            or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl, or no libc to load: nothing to tune
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def local_cluster(n_workers: int | None = None, **cluster_kwargs: Any):
    """A ``dask.distributed.Client`` on a ``LocalCluster`` set up for desk-day studies.

    One single-threaded worker process per core (a run holds the GIL), no dashboard,
    :data:`STUDY_DASK_CONFIG`, and workers without Dask's ``MALLOC_TRIM_THRESHOLD_`` (glibc's own
    malloc settings, as in a sequential run: 5% less CPU a small desk-day). The client owns its
    cluster: ``client.close()`` (or leaving a ``with`` block) shuts the workers down.

    Parameters
    ----------
    n_workers : int, optional
        Worker processes; default: the cores this process may use.
    **cluster_kwargs
        Passed on to ``Client`` and its ``LocalCluster`` (they override the defaults above);
        ``set_as_default=False`` keeps it from becoming Dask's default client.

    Returns
    -------
    distributed.Client

    Examples
    --------
    >>> from tradeflow.parallel import local_cluster  # doctest: +SKIP
    >>> with local_cluster(2) as client:  # doctest: +SKIP
    ...     summary = tradeflow.run_many(cfg, n_runs=1_000, executor=client, store="study/")
    """
    import dask

    from tradeflow.parallel._backends import available_cores, import_distributed

    distributed = import_distributed()
    if n_workers is not None and (not isinstance(n_workers, int) or isinstance(n_workers, bool) or n_workers <= 0):
        raise ValueError(f"The 'n_workers' parameter of local_cluster must be a positive int. "
                         f"Got {n_workers!r} instead.")
    kwargs: dict[str, Any] = {"n_workers": n_workers or available_cores(), "threads_per_worker": 1,
                              "processes": True, "dashboard_address": None, "silence_logs": 40}
    kwargs.update(cluster_kwargs)
    # the nannies read their workers' environment and config when created: set for the cluster's making.
    # A Client given LocalCluster arguments owns its cluster: client.close() shuts the workers down.
    env = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
           if k not in _STUDY_UNSET_ENV}
    with dask.config.set({**STUDY_DASK_CONFIG, "distributed.nanny.pre-spawn-environ": env}):
        return distributed.Client(**kwargs)
