"""What runs in a worker: one task = one run, in and out as small picklable objects.

Everything here is module-level and import-safe, so it works under ``spawn`` and
``forkserver`` process pools and on Dask workers (functions pickle by reference).
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from tradeflow.config import SimulationConfig

# Failures inside a run that come from the machine, not from the run's config and seed: a
# rerun (elsewhere) may succeed. Everything else a run raises is deterministic (same config,
# same seed, same error), so it is reported and not retried.
ENVIRONMENT_ERRORS: tuple[type[BaseException], ...] = (MemoryError, OSError)


@dataclass(frozen=True, slots=True)
class Task:
    """One run: its index, its seed, its config (or a dict parsed in the worker) and where to store it."""

    run: int
    seed: np.random.SeedSequence
    config: SimulationConfig | Mapping[str, Any] | None
    override: Mapping[str, Any] | None = None
    store: str | None = None
    metrics: tuple | None = None  # None: the default METRICS (not pickled per task)
    attempt: int = 1
    isolate: bool = False  # rerun alone: its worker was lost while it ran beside others
    losses: int = 0  # workers lost while this run ran alone: those are its own doing
    strategy: Any = None  # the desk's strategy (tradeflow.strategies); each run simulates with its own copy

    def retried(self, *, alone: bool) -> Task:
        return replace(self, attempt=self.attempt + 1, isolate=True, losses=self.losses + alone)


def seed_columns(seed: np.random.SeedSequence) -> dict[str, Any]:
    """The seed identity of a run: ``SeedSequence(seed_entropy, spawn_key=seed_spawn_key)`` rebuilds it."""
    entropy = seed.entropy
    if isinstance(entropy, int | np.integer):
        entropy = int(entropy)
    else:  # a sequence of ints
        entropy = tuple(int(e) for e in entropy)
    return {"seed_entropy": entropy, "seed_spawn_key": tuple(int(k) for k in seed.spawn_key)}


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def resolve_config(config: SimulationConfig | Mapping[str, Any] | None,
                   override: Mapping[str, Any] | None) -> SimulationConfig:
    """The run's validated config: ``config`` (a dict is parsed), with ``override`` merged in."""
    if config is None:
        cfg = SimulationConfig()
    elif isinstance(config, SimulationConfig):
        cfg = config
    else:
        cfg = SimulationConfig.from_dict(dict(config))
    if override:
        cfg = SimulationConfig.from_dict(_merge(cfg.to_dict(), override))
    return cfg


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def execute(task: Task) -> dict[str, Any]:
    """Run one task and return its summary row; errors are caught into the row, never raised.

    The full result lives only inside this call: it is summarised, written to the run store
    if asked, and dropped, so a worker holds at most one run at a time.
    """
    from tradeflow.parallel.metrics import METRICS, summarize
    from tradeflow.sim import simulate

    t0 = time.perf_counter()
    row: dict[str, Any] = {"run": task.run, **seed_columns(task.seed), "status": "ok", "error": None,
                           "attempts": task.attempt}
    try:
        cfg = resolve_config(task.config, task.override)
        if task.strategy is None:
            result = simulate(cfg, seed=task.seed)
        else:
            import copy
            result = simulate(cfg, seed=task.seed, strategy=copy.deepcopy(task.strategy))
        row.update(summarize(result, METRICS if task.metrics is None else task.metrics))
        if task.store is not None:  # the worker writes its run into the study's dataset and commits it
            from tradeflow.parallel.batch_store import commit_run
            commit_run(result, task.store, task.run, row, started=t0)
        del result
    except Exception as exc:  # noqa: BLE001 - reported in the row: one bad run never sinks the batch
        row.update(status="failed", error=error_text(exc),
                   traceback="".join(traceback.format_exception(exc, limit=-4)))
        if isinstance(exc, ENVIRONMENT_ERRORS):
            row["_retry"] = True
    row.setdefault("elapsed_s", time.perf_counter() - t0)  # set already where the run was stored with it
    row.setdefault("worker", worker_name())
    return row


def execute_many(tasks: tuple[Task, ...]) -> list[dict[str, Any]]:
    """Run a chunk of tasks one after the other (one scheduler round trip for all); one row each."""
    return [execute(task) for task in tasks]


def warm_worker() -> None:
    """Set the worker's malloc up for runs, then compile (or load from numba's on-disk cache) every kernel."""
    from tradeflow.parallel.cluster import tune_worker_malloc
    from tradeflow.sim import warmup
    tune_worker_malloc()
    warmup()


def worker_versions() -> dict[str, str]:
    """Versions that decide a run's numbers; every worker must match the client."""
    import numba

    import tradeflow
    return {"tradeflow": tradeflow.__version__, "numpy": np.__version__, "numba": numba.__version__}
