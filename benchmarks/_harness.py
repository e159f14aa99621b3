"""A small benchmark harness: every figure beside a baseline measured in the same run.

A benchmark is a function registered with :func:`register`; it receives a :class:`Bench`
and calls ``b.target(...)`` for tradeflow's implementation and ``b.baseline(...)`` for each
reference implementation of the same work (pandas, a plain Python loop, …). The harness
times the first call of the target (cold: includes numba compilation or cache load) and the
median of warm repeats, and reports throughput and the ratio of the target's throughput to
each baseline's.

Example
-------
>>> @register("middle.example", unit="fills")
... def example(b):
...     n = b.size(quick=10_000, full=1_000_000)
...     data = make(n)
...     b.target("tradeflow kernel", lambda: kernel(data), n=n)
...     b.baseline("pandas groupby", lambda: pandas_version(data), n=n)
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Bench", "REGISTRY", "register", "run_benchmark"]

REGISTRY: dict[str, tuple[Callable[[Bench], None], str]] = {}


def register(name: str, *, unit: str) -> Callable[[Callable[[Bench], None]], Callable[[Bench], None]]:
    """Register a benchmark under a dotted ``name`` (``room.what``); ``unit`` names what is counted."""
    def deco(fn: Callable[[Bench], None]) -> Callable[[Bench], None]:
        if name in REGISTRY:
            raise ValueError(f"benchmark {name!r} registered twice")
        REGISTRY[name] = (fn, unit)
        return fn
    return deco


def _time(fn: Callable[[], Any]) -> float:
    return _time_call(fn)[0]


_CPU: list[float] = []  # CPU seconds of the process during the last timed calls (see _time_call)
_SYS: list[float] = []  # of which in the kernel (page faults of fresh memory, mostly): see _system_s


def _system_s() -> float:
    """The process's system (kernel) CPU seconds so far: ``getrusage`` (microseconds) where there is
    one, else ``os.times`` (clock ticks)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return os.times().system
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


def _time_call(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall time of one call, garbage collected before and paused during it (as ``timeit`` does)."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        t = time.perf_counter()
        c = time.process_time()
        k = _system_s()
        out = fn()
        elapsed = time.perf_counter() - t
        _CPU.append(time.process_time() - c)
        _SYS.append(_system_s() - k)
    finally:
        if was_enabled:
            gc.enable()
    return elapsed, out


def _peak_rss_mb() -> float | None:
    """The process's peak resident set so far (MB), or None where ``resource`` is missing."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _memory(fn: Callable[[], Any]) -> dict[str, Any]:
    """One more (untimed) call under ``tracemalloc``: the peak of memory allocated through Python's and
    numpy's allocators during the call (numba's own arrays too), and the process's peak RSS after it."""
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {"tracemalloc_peak_mb": peak / 2**20, "peak_rss_mb": _peak_rss_mb()}


@dataclass
class Bench:
    """Handed to each benchmark; collects its measurements."""

    name: str
    unit: str
    quick: bool
    repeats: int
    measurements: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def size(self, *, quick: int, full: int) -> int:
        """The problem size for this mode."""
        return quick if self.quick else full

    def param(self, **kwargs: Any) -> None:
        """Record parameters of the run (sizes, shapes) in the JSON."""
        self.params.update(kwargs)

    def _measure(self, role: str, label: str, fn: Callable[[], Any], n: int | Callable[[Any], int],
                 repeats: int | None, warm_up: bool, fresh_process: bool = False) -> dict[str, Any]:
        repeats = self.repeats if repeats is None else repeats
        if callable(n):  # the count comes from the first call's return value (e.g. orders a run made)
            cold, first = _time_call(fn)
            n = n(first)
            if not warm_up:
                cold = None
        else:
            cold = _time(fn) if warm_up else None
        _CPU.clear()
        _SYS.clear()
        warm = [_time(fn) for _ in range(max(repeats, 1))]
        med = statistics.median(warm)
        m = {"role": role, "label": label, "n": int(n), "cold_s": cold, "warm_median_s": med,
             "warm_min_s": min(warm), "repeats": len(warm), "throughput_per_s": n / med if med > 0 else None,
             # the process's CPU time per warm call: on a shared, oversubscribed machine it is what the
             # wall time would be with a core to itself (single-threaded work)
             "warm_median_cpu_s": statistics.median(_CPU) if _CPU else None,
             # the kernel's share (zeroing and mapping fresh pages): it moves with the machine's memory
             # state far more than the user time does (0.01-0.5 s a book day on one VM)
             "warm_median_sys_s": statistics.median(_SYS) if _SYS else None}
        if fresh_process:  # the work ran in child processes: this process's memory says nothing of it
            m.update({"tracemalloc_peak_mb": None, "peak_rss_mb": None})
        else:
            m.update(_memory(fn) if role == "target" else {"peak_rss_mb": _peak_rss_mb()})
        self.measurements.append(m)
        return m

    def target(self, label: str, fn: Callable[[], Any], *, n: int | Callable[[Any], int],
               repeats: int | None = None, fresh_process: bool = False) -> dict[str, Any]:
        """Time tradeflow's implementation: the first call is reported as cold, then warm repeats.

        ``cold_s`` is the first call in this process: numba compiles, or loads its on-disk cache,
        unless an earlier benchmark already did. ``n`` is the number of ``unit`` the call processes,
        or a function of the first call's return value that gives it (the first call is then also
        the cold one, so nothing runs twice).

        ``fresh_process``: ``fn`` runs its work in new processes (start-up, a day's peak RSS), so each
        call is alike: no cold call first, and no call under ``tracemalloc`` after (this process's
        memory says nothing of a child's); the memory fields are None.
        """
        return self._measure("target", label, fn, n, repeats, warm_up=not fresh_process, fresh_process=fresh_process)

    def baseline(self, label: str, fn: Callable[[], Any], *, n: int | Callable[[Any], int],
                 repeats: int | None = None, warm_up: bool = True) -> dict[str, Any]:
        """Time a reference implementation of the same work (``n`` may be smaller for slow loops)."""
        return self._measure("baseline", label, fn, n, repeats, warm_up=warm_up)

    def result(self) -> dict[str, Any]:
        targets = [m for m in self.measurements if m["role"] == "target"]
        baselines = [m for m in self.measurements if m["role"] == "baseline"]
        ratios = {}
        for t in targets:
            for b in baselines:
                if t["throughput_per_s"] and b["throughput_per_s"]:
                    ratios[f"{t['label']} / {b['label']}"] = t["throughput_per_s"] / b["throughput_per_s"]
        return {"name": self.name, "unit": self.unit, "quick": self.quick, "params": self.params,
                "measurements": self.measurements, "speedup_vs_baseline": ratios}


def run_benchmark(name: str, *, quick: bool, repeats: int | None = None) -> dict[str, Any]:
    """Run one registered benchmark and return its JSON-ready result."""
    fn, unit = REGISTRY[name]
    b = Bench(name=name, unit=unit, quick=quick, repeats=repeats if repeats is not None else (3 if quick else 7))
    fn(b)
    return b.result()
