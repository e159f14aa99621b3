"""Where runs execute: in this process, in a local process pool, or on a Dask cluster.

Each backend offers the same four verbs to the driver in :mod:`tradeflow.parallel.runner`:
``submit(tasks) -> future`` (a chunk of one or more runs, run one after the other by one worker),
``wait(futures) -> done``, ``outcome(future) -> rows`` (one per task; raises if the worker was lost)
and ``close()``. A backend never holds more than the futures the driver
keeps in flight.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import signal
import sys
import time
import uuid
from collections.abc import Iterable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from tradeflow.parallel._worker import Task, execute_many, warm_worker, worker_versions

DASK_HINT = 'Running on Dask needs dask.distributed: pip install "tradeflow[dask]"'


def available_cores() -> int:
    """Cores this process may run on (the affinity mask where the OS has one)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


class SequentialBackend:
    """Runs each task in this process when it is submitted."""

    name = "sequential"
    n_workers = 1
    slots = 1

    def submit(self, tasks: tuple[Task, ...]) -> cf.Future:
        fut: cf.Future = cf.Future()
        fut.set_result(execute_many(tasks))
        return fut

    def wait(self, futures: Iterable[cf.Future]) -> set:
        return set(futures)

    def outcome(self, fut: cf.Future) -> list[dict[str, Any]]:
        return fut.result()

    def close(self, *, cancel: bool = False) -> None:
        pass


_PRELOAD = "tradeflow.parallel._preload"


def _default_mp_context(warm: bool = True) -> mp.context.BaseContext:
    # fork would copy a parent that may hold threads (a Dask client, tqdm's monitor, BLAS) into
    # the children; forkserver (Linux) and spawn start from a clean, single-threaded process.
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    # The forkserver imports and warms tradeflow once; pool workers are forked from it warm.
    # (Takes effect when the forkserver starts; keeps whatever the application preloads too.)
    from multiprocessing import forkserver

    current = list(getattr(getattr(forkserver, "_forkserver", None), "_preload_modules", None) or ["__main__"])
    if warm and _PRELOAD not in current:
        ctx.set_forkserver_preload([*current, _PRELOAD])
    return ctx


def check_main_importable(ctx: mp.context.BaseContext) -> None:
    """Refuse a process pool whose workers could not start: spawn and forkserver workers re-import
    the main module from its file, and a script read from stdin (``python - < script.py``,
    ``__file__ == '<stdin>'``) has none, so every worker would die on start (a bare
    ``BrokenProcessPool``).

    Raises
    ------
    ValueError
        Saying why and what to do.
    """
    method = ctx.get_start_method()
    if method == "fork":
        return
    main = sys.modules.get("__main__")
    if main is None or getattr(getattr(main, "__spec__", None), "name", None):
        return  # `python -m pkg.mod`: workers import it by name
    main_path = getattr(main, "__file__", None)
    if main_path is None:
        return  # an interactive session, `python -c`, Jupyter: workers skip the main module
    from multiprocessing import process
    full = os.path.join(process.ORIGINAL_DIR or os.getcwd(), main_path)
    if not os.path.isfile(full):
        raise ValueError(
            f"The 'executor' parameter of run_many is a process pool, whose workers ({method} start method) "
            f"re-import this program's main module from its file, but the main module comes from "
            f"{main_path!r}, which is not a file (a script read from stdin?): every worker would die on start. "
            f"Save the script to a file and run it (with an `if __name__ == \"__main__\":` guard), or pass "
            f"executor=\"sequential\", or mp_context=\"fork\" (Linux, no threads running).")


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def describe_lost_workers(processes: dict) -> str:
    """``"worker pid 123 exited with code -9 (killed by SIGKILL)"`` for the workers of a broken pool.

    The pool terminates its surviving workers (SIGTERM) once one dies, so a worker that ended
    any other way is named first.
    """
    deadline = time.monotonic() + 1.0
    codes = {}
    for pid, proc in list(processes.items()):
        code = proc.exitcode
        while code is None and time.monotonic() < deadline:
            time.sleep(0.01)
            code = proc.exitcode
        if code is not None:
            codes[pid] = code
    if not codes:
        return "no worker exit code could be read"
    culprits = {pid: c for pid, c in codes.items() if c != -signal.SIGTERM} or codes
    parts = []
    for pid, c in sorted(culprits.items()):
        why = f"killed by {_signal_name(c)}" if c < 0 else ("a clean exit" if c == 0 else "an error exit")
        if c == -signal.SIGKILL:
            why += ": often the kernel's out-of-memory killer or a user's kill -9"
        parts.append(f"worker pid {pid} exited with code {c} ({why})")
    return "; ".join(parts)


class FuturesBackend:
    """A ``concurrent.futures`` executor: tradeflow's own process pool, or one the caller passes.

    A pool whose worker died (``BrokenProcessPool``) is replaced by a new one when tradeflow owns
    it; the driver resubmits the runs that were in flight.
    """

    def __init__(self, executor: cf.Executor | None = None, *, n_workers: int = 1,
                 mp_context: mp.context.BaseContext | str | None = None, warm: bool = True) -> None:
        self._owned = executor is None
        self.n_workers = n_workers if executor is None else getattr(executor, "_max_workers", n_workers)
        self.slots = 2 * self.n_workers  # one running, one queued per worker: no idle gap, bounded memory
        self.name = "processes" if executor is None else type(executor).__name__
        if isinstance(mp_context, str):
            mp_context = mp.get_context(mp_context)
        self._ctx = mp_context or _default_mp_context(warm)
        self._warm = warm
        self._generation = 0
        self._future_generation: dict[cf.Future, int] = {}
        self._workers: dict[int, dict] = {}  # generation -> {pid: Process}: their exit codes explain a broken pool
        if executor is None or isinstance(executor, cf.ProcessPoolExecutor):
            check_main_importable(getattr(executor, "_mp_context", None) or self._ctx)
        if executor is None:
            if warm and self._ctx.get_start_method() != "forkserver":
                warm_worker()  # the parent compiles once and fills numba's disk cache; workers then load it
            executor = self._new_pool()
        self._executor = executor

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(max_workers=self.n_workers, mp_context=self._ctx,
                                      initializer=warm_worker if self._warm else None)

    def submit(self, tasks: tuple[Task, ...]) -> cf.Future:
        try:
            fut = self._executor.submit(execute_many, tasks)
        except BrokenProcessPool:
            if not self._owned:
                raise
            self._restart()
            fut = self._executor.submit(execute_many, tasks)
        self._future_generation[fut] = self._generation
        self._workers.setdefault(self._generation, {}).update(getattr(self._executor, "_processes", None) or {})
        return fut

    def _restart(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._generation += 1
        self._executor = self._new_pool()

    def wait(self, futures: Iterable[cf.Future]) -> set:
        done, _ = cf.wait(list(futures), return_when=cf.FIRST_COMPLETED)
        return done

    def outcome(self, fut: cf.Future) -> list[dict[str, Any]]:
        generation = self._future_generation.pop(fut, self._generation)
        try:
            return fut.result()
        except BrokenProcessPool as exc:
            detail = describe_lost_workers(self._workers.get(generation, {}))
            # the first casualty of a dead pool replaces it; its siblings from the same pool do not
            if self._owned and generation == self._generation:
                self._restart()
            raise BrokenProcessPool(f"{exc} {detail}.") from exc

    def close(self, *, cancel: bool = False) -> None:
        if self._owned:
            self._executor.shutdown(wait=not cancel, cancel_futures=cancel)


class DaskBackend:
    """A ``dask.distributed.Client``: tasks go to its scheduler, results stream back as they finish.

    The workers must run the same tradeflow (and numpy, numba) as this process, or the same
    seeds would not give the same numbers; this is checked once when the backend starts. A
    worker plugin warms numba on every worker, including workers that join later.
    """

    name = "dask"

    def __init__(self, client: Any, *, warm: bool = True, check_versions: bool = True) -> None:
        distributed = import_distributed()
        if getattr(client, "asynchronous", False):
            raise ValueError("The 'executor' parameter of run_many must be a synchronous dask.distributed.Client. "
                             "Got an asynchronous client instead.")
        self._distributed = distributed
        self._client = client
        self._batch = uuid.uuid4().hex[:12]
        if check_versions:
            self._check_versions()
        if warm:
            from tradeflow.parallel._dask_plugin import WarmupPlugin
            client.register_plugin(WarmupPlugin(), name="tradeflow-warmup")
        # on this client's event loop: the client need not be Dask's default one (set_as_default=False)
        self._completed = distributed.as_completed(with_results=True, raise_errors=False, loop=client.loop)
        self._results: dict[Any, Any] = {}
        self.n_workers = max(sum(client.nthreads().values()), 1)
        # Enough queued on the scheduler to hide a round trip per chunk (a row is a few kB; the full
        # results never leave the workers), few enough that a million runs are not one graph.
        self.slots = max(8 * self.n_workers, 32)

    def _check_versions(self) -> None:
        here = worker_versions()
        try:
            there = self._client.run(worker_versions)
        except Exception as exc:  # noqa: BLE001 - most often: tradeflow is not installed on the workers
            raise RuntimeError(
                f"Could not check tradeflow on the Dask workers ({type(exc).__name__}: {exc}). Install the same "
                f"tradeflow version on every worker (tradeflow=={here['tradeflow']}).") from exc
        bad = {addr: v for addr, v in there.items() if v != here}
        if bad:
            raise RuntimeError(f"Dask workers run different versions than this client ({here}): {bad}. Install the "
                               f"same tradeflow, numpy and numba on every worker so seeds give the same numbers.")

    def submit(self, tasks: tuple[Task, ...]) -> Any:
        first = tasks[0]  # a run is in one chunk at a time: its first run and attempt name the chunk
        fut = self._client.submit(execute_many, tasks, pure=False,
                                  key=f"tradeflow-run-{self._batch}-{first.run}-{first.attempt}-{len(tasks)}")
        self._completed.add(fut)
        return fut

    def wait(self, futures: Iterable[Any]) -> set:
        # One as_completed queue for the whole batch: the client's event loop fetches each row as
        # its run finishes and pushes it here, instead of a blocking round trip per future.
        done = set()
        for fut, value in self._completed.next_batch(block=True):
            self._results[fut] = value
            done.add(fut)
        return done

    def outcome(self, fut: Any) -> list[dict[str, Any]]:
        value = self._results.pop(fut)
        fut.release()  # the scheduler forgets the row as soon as we have it
        # the worker's failure (execute() itself never raises): a lost or killed worker, a cancel
        if fut.status == "error" and isinstance(value, tuple) and len(value) == 3:
            raise value[1].with_traceback(value[2])
        if isinstance(value, BaseException):
            raise value
        return value

    def close(self, *, cancel: bool = False) -> None:
        pass  # the caller owns the client


def import_distributed():
    """``dask.distributed``, or an ImportError with the install hint."""
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(DASK_HINT) from exc
    return distributed


def is_dask_client(obj: Any) -> bool:
    cls = type(obj)
    return cls.__name__ == "Client" and cls.__module__.startswith("distributed")
