"""The Dask worker plugin that warms numba on each worker (imported only when Dask is used)."""

from __future__ import annotations

from distributed.diagnostics.plugin import WorkerPlugin

from tradeflow.parallel._worker import warm_worker


class WarmupPlugin(WorkerPlugin):
    """Compiles or loads tradeflow's kernels once per worker, before its first run.

    Registered under one name, so registering it again (a second ``run_many``) replaces it
    instead of stacking copies; workers that join later run it when they start.
    """

    idempotent = True

    def setup(self, worker) -> None:  # noqa: D102 - WorkerPlugin API
        warm_worker()
