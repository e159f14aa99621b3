"""``run_many``: many independent runs, each with its own child of one SeedSequence."""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing as mp
import os
import pickle
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tradeflow.config import SimulationConfig
from tradeflow.parallel._backends import (
    DaskBackend,
    FuturesBackend,
    SequentialBackend,
    available_cores,
    import_distributed,
    is_dask_client,
)
from tradeflow.parallel._manifest import Manifest
from tradeflow.parallel._worker import Task, error_text, seed_columns
from tradeflow.parallel.metrics import METRICS, Metric

_log = logging.getLogger(__name__)

__all__ = ["run_many", "run_seed", "run_seeds", "EXECUTORS"]

EXECUTORS = ("sequential", "processes", "dask")

# Columns every summary has, in this order, before the metrics.
_LEAD = ("seed_entropy", "seed_spawn_key", "status", "error", "attempts")
_TAIL = ("elapsed_s", "worker", "store", "traceback")
_CHUNK = 4096  # rows kept as dicts before they are packed into a columnar frame


def _fail(name: str, what: str, value: object) -> None:
    raise ValueError(f"The {name!r} parameter of run_many must be {what}. Got {value!r} instead.")


def _is_count(v: object) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


# --------------------------------------------------------------------------- seeds
def _root(seed: int | np.random.SeedSequence | None) -> np.random.SeedSequence:
    if seed is None:
        return np.random.SeedSequence(0)
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if not _is_count(seed) or seed < 0:
        _fail("seed", "a non-negative int or a numpy.random.SeedSequence", seed)
    return np.random.SeedSequence(int(seed))


def run_seed(seed: int | np.random.SeedSequence | None, run: int) -> np.random.SeedSequence:
    """The seed of run ``run`` in a batch rooted at ``seed``: rerun it alone with it.

    It is the ``run``-th child of ``seed`` (``SeedSequence(entropy, spawn_key=(..., run))``),
    computed directly, so it does not depend on how many children ``seed`` spawned before.

    Examples
    --------
    >>> import tradeflow
    >>> from tradeflow.parallel import run_seed
    >>> cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": 2_000}})
    >>> summary = tradeflow.run_many(cfg, n_runs=3, seed=7, executor="sequential", progress=False)
    >>> again = tradeflow.simulate(cfg, seed=run_seed(7, 2))
    >>> bool(len(again.records["fills"]) == summary.loc[2, "n_fills"])
    True
    """
    if not _is_count(run) or run < 0:
        raise ValueError(f"The 'run' parameter of run_seed must be a non-negative int. Got {run!r} instead.")
    root = _root(seed)
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, int(run)), pool_size=root.pool_size)


def run_seeds(seed: int | np.random.SeedSequence | None, n_runs: int) -> Iterator[np.random.SeedSequence]:
    """The seeds of runs ``0 .. n_runs-1`` rooted at ``seed`` (lazily: a million runs cost nothing up front)."""
    root = _root(seed)
    return (run_seed(root, k) for k in range(n_runs))


def _as_seed(value: object, i: int) -> np.random.SeedSequence:
    if isinstance(value, np.random.SeedSequence):
        return value
    if _is_count(value) and value >= 0:
        return np.random.SeedSequence(int(value))  # what simulate(seed=int) uses: the same run
    _fail("seeds", f"a sequence of non-negative ints or SeedSequences (entry {i} is not)", value)
    raise AssertionError  # unreachable


# --------------------------------------------------------------------------- configs
def _config_source(config: Any, n: int) -> tuple[bool, Any]:
    """(per_run, configs): a single config, or one per run."""
    if config is None or isinstance(config, SimulationConfig | Mapping):
        return False, config
    if isinstance(config, Sequence) and not isinstance(config, str | bytes):
        if len(config) != n:
            _fail("config", f"a SimulationConfig, a dict, or a sequence of one per run ({n})",
                  f"a sequence of {len(config)}")
        for i, c in enumerate(config):
            if c is not None and not isinstance(c, SimulationConfig | Mapping):
                _fail("config", f"a sequence of SimulationConfig or dict (entry {i} is not)", c)
        return True, config
    _fail("config", "a SimulationConfig, a dict, or a sequence of one per run", config)
    raise AssertionError  # unreachable


def _override_source(overrides: Any, n: int) -> Mapping[int, Mapping] | Sequence | None:
    if overrides is None:
        return None
    if isinstance(overrides, Mapping):
        for k, v in overrides.items():
            if not _is_count(k) or not 0 <= k < n:
                _fail("overrides", f"keyed by run index in [0, {n})", k)
            if not isinstance(v, Mapping):
                _fail("overrides", f"a mapping of run index to dict (run {k} is not a dict)", v)
        return overrides
    if isinstance(overrides, Sequence) and not isinstance(overrides, str | bytes):
        if len(overrides) != n:
            _fail("overrides", f"a sequence of one dict (or None) per run ({n})", f"a sequence of {len(overrides)}")
        for i, v in enumerate(overrides):
            if v is not None and not isinstance(v, Mapping):
                _fail("overrides", f"a sequence of dict or None (entry {i} is not)", v)
        return overrides
    _fail("overrides", "a mapping of run index to dict, or a sequence of one dict per run", overrides)
    raise AssertionError  # unreachable


# --------------------------------------------------------------------------- progress
class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str, refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, progress: bool | None, executor_name: str):
    if progress is False:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is the optional "progress" extra: run without a bar
        return _NoBar()
    # disable=None hides the bar when the output is not a terminal (CI logs); True forces it on
    return tqdm(total=total, unit="run", desc=f"tradeflow runs ({executor_name})",
                disable=None if progress is None else False)


# --------------------------------------------------------------------------- the summary
class _Rows:
    """Rows arrive in completion order; they are packed into columnar chunks as they come, so a
    million-run summary costs a few hundred bytes per run, and sorted into run order at the end."""

    def __init__(self, manifest: Manifest | None = None) -> None:
        self._manifest = manifest
        self._rows: list[dict[str, Any]] = []
        self._chunks: list[pd.DataFrame] = []
        self._columns: dict[str, tuple[int, int]] = {}  # column -> (first run that has it, its place there)
        self._counts: set[str] = set()
        self._not_counts: set[str] = set()
        self.n_failed = 0
        self.n_rows = 0

    def add(self, row: dict[str, Any], *, log: bool = True) -> None:
        if log and self._manifest is not None:
            self._manifest.write(row)
        run = row["run"]
        for pos, (k, v) in enumerate(row.items()):
            # column order follows run order, not the order runs happened to finish in
            self._columns[k] = min(self._columns.get(k, (run, pos)), (run, pos))
            if v is None:
                continue
            (self._counts if _is_count(v) else self._not_counts).add(k)
        self.n_failed += row["status"] != "ok"
        self.n_rows += 1
        self._rows.append(row)
        if len(self._rows) >= _CHUNK:
            self._pack()

    def _pack(self) -> None:
        if self._rows:
            self._chunks.append(pd.DataFrame.from_records(self._rows))
            self._rows = []

    def frame(self) -> pd.DataFrame:
        self._pack()
        df = pd.concat(self._chunks, ignore_index=True) if self._chunks else pd.DataFrame({"run": []})
        lead = [c for c in _LEAD if c in self._columns]
        tail = [c for c in _TAIL if c in self._columns]
        metrics = sorted((c for c in self._columns if c not in (*_LEAD, *_TAIL, "run")), key=self._columns.get)
        df = df.reindex(columns=["run", *lead, *metrics, *tail])
        for c in self._counts - self._not_counts - {"run", "seed_entropy"}:
            df[c] = df[c].astype("Int64")  # counts stay integers even where a failed run has none
        if "seed_entropy" in df and all(_is_count(v) and -2**63 <= v < 2**63 for v in df["seed_entropy"]):
            df["seed_entropy"] = df["seed_entropy"].astype(np.int64)  # else 128-bit entropy: Python ints
        df["run"] = df["run"].astype(np.int64)
        if "attempts" in df:
            df["attempts"] = df["attempts"].astype(np.int64)
        return df.sort_values("run", kind="stable").set_index("run")


# --------------------------------------------------------------------------- executors
def _backend(executor: Any, n_workers: int | None, n_runs: int, mp_context: Any, warm: bool):
    if n_workers is not None and (not _is_count(n_workers) or n_workers <= 0):
        _fail("n_workers", "a positive int or None", n_workers)
    if executor is None:
        cores = available_cores()
        executor = "processes" if cores > 1 and n_runs > 1 else "sequential"
    if isinstance(executor, str):
        if executor not in EXECUTORS:
            _fail("executor", f"one of {list(EXECUTORS)}, a dask.distributed.Client or a concurrent.futures.Executor",
                  executor)
        if executor == "sequential":
            return SequentialBackend()
        if executor == "processes":
            workers = n_workers or min(available_cores(), n_runs)
            return FuturesBackend(n_workers=workers, mp_context=mp_context, warm=warm)
        distributed = import_distributed()
        try:
            client = distributed.get_client()
        except ValueError as exc:
            raise ValueError("The 'executor' parameter of run_many is 'dask' but no dask.distributed.Client is "
                             "running; create one (Client('tcp://scheduler:8786')) or pass it as executor.") from exc
        return DaskBackend(client, warm=warm)
    if is_dask_client(executor):
        return DaskBackend(executor, warm=warm)
    if isinstance(executor, cf.Executor):
        return FuturesBackend(executor, n_workers=n_workers or 1, warm=warm)
    _fail("executor", f"one of {list(EXECUTORS)}, a dask.distributed.Client or a concurrent.futures.Executor",
          executor)
    raise AssertionError  # unreachable


def _lost_row(task: Task, exc: BaseException) -> dict[str, Any]:
    return {"run": task.run, **seed_columns(task.seed), "status": "failed", "error": error_text(exc),
            "attempts": task.attempt}


# --------------------------------------------------------------------------- run_many
def run_many(
    config: SimulationConfig | Mapping[str, Any] | Sequence[SimulationConfig | Mapping[str, Any]] | None = None,
    n_runs: int | None = None,
    seeds: Sequence[int | np.random.SeedSequence] | None = None,
    executor: str | Any | None = None,
    *,
    seed: int | np.random.SeedSequence | None = None,
    overrides: Mapping[int, Mapping[str, Any]] | Sequence[Mapping[str, Any] | None] | None = None,
    n_workers: int | None = None,
    store: str | os.PathLike | None = None,
    resume: bool = False,
    metrics: Sequence[Metric] | None = None,
    retries: int = 2,
    max_in_flight: int | None = None,
    progress: bool | None = None,
    mp_context: str | mp.context.BaseContext | None = None,
    warm: bool = True,
    strategy: Any = None,
    chunk_size: int | None = None,
) -> pd.DataFrame:
    """Simulate many independent runs and return one summary row per run.

    Run ``k`` is ``tradeflow.simulate(config_k, seed=seed_k)``: its own desk-day (or
    ``config.days`` business days) with its own random streams. With ``n_runs``, ``seed_k``
    is the ``k``-th child of one ``numpy.random.SeedSequence`` (:func:`run_seed` rebuilds it);
    with ``seeds``, it is the ``k``-th seed given. The numbers depend only on the config and the
    seed, never on the executor or the number of workers.

    Parameters
    ----------
    config : SimulationConfig, dict, or sequence of them, optional
        The run's config (default ``SimulationConfig()``), or one per run for a batch of
        scenarios. Dicts are parsed with ``SimulationConfig.from_dict`` inside the run, so a
        bad scenario fails its own run only.
    n_runs : int, optional
        Number of runs, seeded by children of ``seed``. Give ``n_runs`` or ``seeds``, not both.
    seeds : sequence of int or SeedSequence, optional
        One seed per run (an int ``s`` gives the same run as ``simulate(seed=s)``).
    executor : {"sequential", "processes", "dask"}, dask.distributed.Client or concurrent.futures.Executor, optional
        Where runs execute. ``None``: a local process pool when more than one core is available
        (and more than one run), else sequential. ``"dask"`` uses the current Dask client; pass a
        ``Client`` (``Client("tcp://scheduler:8786")`` or a ``LocalCluster``'s) to pick one.
    seed : int or SeedSequence, optional
        Root of the runs' seeds when ``n_runs`` is given; ``None`` means 0, so a batch is
        reproducible by default (pass ``numpy.random.SeedSequence()`` for fresh entropy).
    overrides : mapping of run index to dict, or sequence of dict or None, optional
        Per-run changes merged into that run's config (``{3: {"flow": {"n_books": 5}}}``).
    n_workers : int, optional
        Size of the local process pool (default: the available cores, at most ``n_runs``).
    store : str or path-like, optional
        A runs dataset (see :mod:`tradeflow.dataset`, :func:`tradeflow.open_runs`): a local path
        or an fsspec URL (``s3://bucket/study``) every worker can write. Each worker writes its
        run's tables there and commits the run (its ``runs`` row, last); the driver writes the
        summary to ``_summary.parquet`` at the end. Nothing but summary rows comes back to this
        process, so its memory does not grow with the runs' size.
    resume : bool, default=False
        With ``store``: keep the runs the dataset has committed (same seeds) and run only the
        others, e.g. after an interrupted study; each run ends up stored exactly once. Without
        it, a ``store`` that already holds runs is refused. The configs are trusted to be the same.
    metrics : sequence of Metric, optional
        The summary's metrics (default :data:`tradeflow.parallel.METRICS`). For a process pool the
        functions must be picklable (module-level, not lambdas).
    retries : int, default=2
        Times a run is resubmitted after its worker was lost (a dead process, a killed Dask
        worker, out of memory or disk) while it ran alone. Runs lost together (a process pool
        breaks as a whole) are first rerun one at a time, free, so a run that kills its worker
        identifies itself and the others complete. An error raised by the run itself (a
        ``ValueError`` from its config, say) is deterministic: it is reported, not retried.
    max_in_flight : int, optional
        Chunks of runs (see ``chunk_size``) submitted but not yet collected (default: twice the
        workers for a process pool, ``max(8 x workers, 32)`` on Dask). Bounds memory. Given
        without ``chunk_size``, each chunk is one run, so it bounds the runs in flight exactly.
    progress : bool, optional
        Show a progress bar over runs (tqdm, the ``progress`` extra). ``None``: only on a terminal.
    mp_context : str or multiprocessing context, optional
        Start method of the local pool (default ``"forkserver"`` on Linux, else ``"spawn"``).
    warm : bool, default=True
        Compile (or load) the numba kernels in every worker before its first run.
    strategy : tradeflow.strategies.Strategy, optional
        The desk's strategy in every run (``simulate(..., strategy=...)``); each run gets its
        own copy, so runs stay independent and the numbers do not depend on the executor.
    chunk_size : int, optional
        Runs a worker takes per task, run one after the other. ``None``: one run per task at first,
        then as many as fill about half a second (from the runs' own times, at most 32, and no
        more than keeps every worker busy to the end), so short desk-days do not pay the
        scheduler's round trip (a few ms of the driver's and the workers' time) each. The numbers
        never depend on it; a lost worker costs its chunk a rerun of each run alone.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``run`` (in run order), with ``seed_entropy`` and ``seed_spawn_key`` (the run's
        seed is ``SeedSequence(seed_entropy, spawn_key=seed_spawn_key)``), ``status`` (``"ok"`` or
        ``"failed"``), ``error``, ``attempts``, the metrics (orders, rejects, fills, desk P&L at
        the close, settlements, breaks, ...), then ``elapsed_s``, ``worker`` and ``store``.
        Failed runs keep their row, with the metrics missing.

    Raises
    ------
    ValueError
        A bad argument, named (``n_runs`` and ``seeds`` both or neither given, ``n_runs <= 0``,
        an unknown executor, ...).
    ImportError
        ``executor="dask"`` without dask.distributed installed.

    Examples
    --------
    >>> import tradeflow
    >>> cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": 2_000}})
    >>> summary = tradeflow.run_many(cfg, n_runs=4, seed=1, executor="sequential", progress=False)
    >>> summary[["status", "n_orders", "total_pnl"]].shape
    (4, 3)

    On a Dask cluster (the workers need the same tradeflow installed)::

        from dask.distributed import Client
        summary = tradeflow.run_many(cfg, n_runs=10_000, executor=Client("tcp://scheduler:8786"))
    """
    # ---- arguments, all checked before anything starts
    if (n_runs is None) == (seeds is None):
        _fail("n_runs", "given, or 'seeds' given, but not both" if n_runs is not None else
              "given (or pass 'seeds')", n_runs)
    if n_runs is not None:
        if not _is_count(n_runs) or n_runs <= 0:
            _fail("n_runs", "a positive int", n_runs)
        n = int(n_runs)
        seed_iter: Iterator[np.random.SeedSequence] = run_seeds(seed, n)
    else:
        if seed is not None:
            _fail("seed", "None when 'seeds' are given (each run has its own seed)", seed)
        if isinstance(seeds, np.ndarray) and seeds.ndim == 1:
            seeds = seeds.tolist()
        if isinstance(seeds, str | bytes) or not isinstance(seeds, Sequence) or len(seeds) == 0:
            _fail("seeds", "a non-empty sequence of ints or SeedSequences", seeds)
        seed_list = [_as_seed(s, i) for i, s in enumerate(seeds)]
        n = len(seed_list)
        seed_iter = iter(seed_list)
    per_run_config, configs = _config_source(config, n)
    override_src = _override_source(overrides, n)
    if not _is_count(retries) or retries < 0:
        _fail("retries", "a non-negative int", retries)
    if max_in_flight is not None and (not _is_count(max_in_flight) or max_in_flight <= 0):
        _fail("max_in_flight", "a positive int or None", max_in_flight)
    if chunk_size is not None and (not _is_count(chunk_size) or chunk_size <= 0):
        _fail("chunk_size", "a positive int or None", chunk_size)
    if metrics is not None:
        metrics = tuple(metrics)
        for i, m in enumerate(metrics):
            if not isinstance(m, Metric):
                _fail("metrics", f"a sequence of Metric (entry {i} is not)", m)
        if metrics == METRICS:
            metrics = None
    if resume not in (True, False):
        _fail("resume", "a bool", resume)
    store_dir = None  # where the workers write: a runs dataset (tradeflow.dataset), local path or fsspec URL
    if store is not None:
        from tradeflow.parallel.batch_store import prepare_store
        store_dir = prepare_store(store)
    if resume and store_dir is None:
        _fail("resume", "False unless 'store' is given (a batch resumes from its run store)", resume)

    backend = _backend(executor, n_workers, n, mp_context, warm)
    if metrics is not None and not isinstance(backend, SequentialBackend | DaskBackend):
        try:
            pickle.dumps(metrics)
        except Exception as exc:  # noqa: BLE001
            backend.close(cancel=True)
            raise ValueError(f"The 'metrics' parameter of run_many must be picklable to run in a process pool "
                             f"(module-level functions, not lambdas). Got {error_text(exc)}.") from exc
    slots = max_in_flight or backend.slots

    manifest = None if store_dir is None else Manifest(store_dir, resume=resume)
    rows = _Rows(manifest)
    bar = _progress_bar(n, progress, backend.name)

    def tasks() -> Iterator[Task]:
        for k, s in enumerate(seed_iter):
            override = None
            if override_src is not None:
                override = override_src.get(k) if isinstance(override_src, Mapping) else override_src[k]
            task = Task(run=k, seed=s, config=configs[k] if per_run_config else configs, override=override,
                        store=store_dir, metrics=metrics, strategy=strategy)
            done = None if manifest is None else manifest.reusable(task)
            if done is not None:  # resumed: finished in an earlier call
                rows.add(done, log=False)
                bar.update(1)
                continue
            yield task

    # ---- the driver: bounded submission, rows streamed back as runs finish
    fresh = tasks()
    again: deque[Task] = deque()  # runs whose worker was lost go first
    in_flight: dict[Any, tuple[Task, ...]] = {}
    sizer = _ChunkSizer(chunk_size, backend, fixed=max_in_flight is not None)
    index_parts: list[bytes] = []  # each committed run's runs row, for the study's index
    try:
        while True:
            while len(in_flight) < slots and not any(c[0].isolate for c in in_flight.values()):
                if again and again[0].isolate and in_flight:
                    break  # a suspect runs alone, once the runs in flight are done
                if again:
                    chunk: tuple[Task, ...] = (again.popleft(),)
                else:
                    # sized by the runs not yet handed out: near the end, queued chunks already hold the rest
                    queued = sum(len(c) for c in in_flight.values())
                    chunk = tuple(t for _, t in zip(range(sizer.size(n - rows.n_rows - queued)), fresh, strict=False))
                if not chunk:
                    break
                try:
                    in_flight[backend.submit(chunk)] = chunk
                except Exception as exc:  # noqa: BLE001 - an executor that cannot take work: report, go on
                    for task in chunk:
                        _collect(rows, bar, _lost_row(task, exc), task, retries, again)
            if not in_flight:
                break
            for fut in backend.wait(in_flight):
                chunk = in_flight.pop(fut)
                try:
                    got = backend.outcome(fut)
                except Exception as exc:  # noqa: BLE001 - the worker, not the run: lost process, killed worker
                    got = [{**_lost_row(task, exc), "_retry": True} for task in chunk]
                for task, row in zip(chunk, got, strict=True):
                    part = row.pop("_runs_row", None)
                    if part is not None:
                        index_parts.append(part)
                    sizer.saw(row)
                    _collect(rows, bar, row, task, retries, again)
    except BaseException:
        for fut in in_flight:
            fut.cancel()
        backend.close(cancel=True)
        raise
    finally:
        bar.close()
        if manifest is not None:
            manifest.close()
    backend.close()

    summary = rows.frame()
    if store_dir is not None:
        from tradeflow.parallel.batch_store import write_summary
        write_summary(summary, store_dir)
        if (summary["status"] == "ok").any():  # one file for every run's row: open_runs reads it, not a file a run
            from tradeflow.dataset import open_runs
            from tradeflow.dataset.layout import write_runs_index
            n_ok = int((summary["status"] == "ok").sum())
            if manifest is not None and not manifest.done and len(index_parts) == n_ok:
                write_runs_index(store_dir, index_parts)  # the rows the workers committed, sent back: no re-read
            else:  # a resumed study: its earlier runs' rows come from the dataset
                open_runs(store_dir).write_index()
    return summary


class _ChunkSizer:
    """How many runs the next task takes: ``chunk_size`` if given, else about ``TARGET_S`` of work by the
    runs' mean time so far, capped so that every worker still has a task of its own to the end."""

    TARGET_S = 1.0
    MAX = 32

    def __init__(self, chunk_size: int | None, backend: Any, *, fixed: bool) -> None:
        self._given = chunk_size
        self._adapt = chunk_size is None and not fixed and not isinstance(backend, SequentialBackend)
        self._workers = max(int(getattr(backend, "n_workers", 1)), 1)
        self._n = 0
        self._time = 0.0

    def saw(self, row: dict[str, Any]) -> None:
        t = row.get("elapsed_s")
        if row.get("status") == "ok" and isinstance(t, float) and t > 0:
            self._n += 1
            self._time += t

    def size(self, left: int) -> int:
        """Runs for the next task, ``left`` runs of the study not yet handed to a worker (resumed ones have
        their rows; the chunks in flight hold theirs)."""
        if self._given is not None:
            return self._given
        if not self._adapt or self._n == 0:
            return 1
        by_time = int(self.TARGET_S / (self._time / self._n))
        by_balance = left // (4 * self._workers)
        return max(1, min(by_time, by_balance, self.MAX))


def _collect(rows: _Rows, bar: Any, row: dict[str, Any], task: Task, retries: int, again: deque) -> None:
    # A lost worker takes every run it (or its pool) held. Which one killed it is unknown, so each
    # is rerun alone first, without using a retry; a run lost while alone is charged a retry.
    if row.pop("_retry", False) and (not task.isolate or task.losses < retries):
        _log.warning("run %d lost its worker (%s); rerunning it%s", task.run, row.get("error", "?"),
                     " (a retry)" if task.isolate else " alone")
        again.append(task.retried(alone=task.isolate))
        return
    rows.add(row)
    bar.update(1)
    if rows.n_failed:
        bar.set_postfix_str(f"{rows.n_failed} failed", refresh=False)

