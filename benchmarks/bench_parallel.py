"""Runs per second of run_many: sequential, a local process pool and a Dask LocalCluster, beside a
plain loop of simulate(); and what one Dask task costs when the run itself is tiny."""

from __future__ import annotations

import os

import tradeflow
from benchmarks._harness import Bench, register
from tradeflow.parallel import run_seeds, summarize

WORKERS = 2  # the machine's cores; the speed-up to expect is at most this


def _loop(cfg: tradeflow.SimulationConfig, n_runs: int, seed: int) -> list[dict]:
    """What a quant writes without run_many: one run after another, keeping only the summary."""
    return [summarize(tradeflow.simulate(cfg, seed=s)) for s in run_seeds(seed, n_runs)]


def _spin(n: int) -> int:
    s = 0
    for i in range(n):
        s += i
    return s


def _cpu_parallelism(seconds: float = 1.0) -> float:
    """How many cores this machine gives us right now: a pure-CPU loop once alone, then once per
    worker at the same time. 2.0 on two idle cores; less when other work shares them (the ceiling
    of any speed-up measured beside it)."""
    import concurrent.futures as cf
    import multiprocessing as mp
    import time

    n = 1_000_000
    t = time.perf_counter()
    _spin(n)
    n = max(int(n * seconds / (time.perf_counter() - t)), n)
    with cf.ProcessPoolExecutor(WORKERS, mp_context=mp.get_context("spawn")) as pool:
        list(pool.map(_spin, [1000] * WORKERS))  # started
        t = time.perf_counter()
        _spin(n)
        alone = time.perf_counter() - t
        t = time.perf_counter()
        list(pool.map(_spin, [n] * WORKERS))
        together = time.perf_counter() - t
    return WORKERS * alone / together


def _local_cluster():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=40)
    return cluster, Client(cluster)


@register("parallel.run_many", unit="runs")
def run_many_throughput(b: Bench) -> None:
    # full: the default 100k-order desk over two business days (more than a second per run); the smoke: a
    # thin desk-day on a one-minute grid (its cost is the process pool's start, which is what it checks)
    orders = b.size(quick=1_000, full=100_000)
    days = b.size(quick=1, full=2)
    n_runs = b.size(quick=2, full=8)
    repeats = b.size(quick=1, full=2)
    thin = {"market": {"step_seconds": 60.0}, "execution": {"book_events_per_second": 0.5}} if b.quick else {}
    cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": orders}, "days": days, **thin})
    b.param(orders_per_day=orders, days=days, n_runs=n_runs, workers=WORKERS, cpu_count=os.cpu_count(),
            load_average_before=os.getloadavg(),
            cpu_parallelism_before=None if b.quick else _cpu_parallelism())
    tradeflow.warmup()
    run_seconds: dict[str, float] = {}

    def many(executor):
        out = tradeflow.run_many(cfg, n_runs=n_runs, seed=0, executor=executor, n_workers=WORKERS, progress=False)
        assert (out["status"] == "ok").all(), out["error"].dropna().tolist()
        # seconds one run took inside its worker: if this grows with the workers, the cores were busy
        name = executor if isinstance(executor, str) else "dask"
        run_seconds[name] = float(out["elapsed_s"].mean())
        return out

    b.baseline("plain loop of simulate() + summarize()", lambda: _loop(cfg, n_runs, 0), n=n_runs, repeats=repeats)
    b.target("run_many sequential", lambda: many("sequential"), n=n_runs, repeats=repeats)
    # each call starts its own pool: the runs happen in child processes (no cold call, no tracemalloc call)
    b.target(f"run_many process pool ({WORKERS} workers)", lambda: many("processes"), n=n_runs, repeats=repeats,
             fresh_process=True)
    if b.quick:  # a LocalCluster's start-up alone would use up the smoke's minute; tests cover Dask
        b.param(dask="skipped in --quick")
        return
    cluster, client = _local_cluster()
    try:
        b.target(f"run_many Dask LocalCluster ({WORKERS} worker processes)", lambda: many(client), n=n_runs,
                 repeats=repeats)
    finally:
        client.close()
        cluster.close()
    b.param(mean_seconds_per_run_in_worker=run_seconds, load_average_after=os.getloadavg(),
            cpu_parallelism_after=_cpu_parallelism())  # full mode only: quick returned above


def _noop(x: int) -> int:
    return x


@register("parallel.dask_task_overhead", unit="tasks")
def dask_task_overhead(b: Bench) -> None:
    """Tiny runs, where the scheduling is most of the cost: Dask's per-task floor and run_many's on top."""
    n_tasks = b.size(quick=50, full=400)
    repeats = b.size(quick=1, full=3)
    # a few milliseconds of work: 100 orders on a one-minute quote grid
    # (the quote venue: the book's background flow would be most of a tiny day's work)
    cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": 100}, "market": {"step_seconds": 60},
                                                "execution": {"venue": "quote"}, "pnl_interval_seconds": 3600})
    b.param(n_tasks=n_tasks, orders_per_day=100, step_seconds=60, venue="quote", workers=WORKERS)
    tradeflow.warmup()
    b.baseline("plain loop of tiny simulate() + summarize()", lambda: _loop(cfg, n_tasks, 0), n=n_tasks,
               repeats=repeats)
    b.target("run_many sequential, tiny runs", lambda: tradeflow.run_many(
        cfg, n_runs=n_tasks, executor="sequential", progress=False), n=n_tasks, repeats=repeats)
    if b.quick:  # see run_many_throughput: no cluster in the smoke
        b.param(dask="skipped in --quick")
        return
    cluster, client = _local_cluster()
    try:
        # the floor: a no-op task submitted, run and gathered (one future per task, as run_many does)
        floor = b.target("Dask client.map(no-op) + gather", lambda: client.gather(client.map(
            _noop, range(n_tasks), pure=False)), n=n_tasks, repeats=repeats)
        dask = b.target("run_many on Dask, tiny runs", lambda: tradeflow.run_many(
            cfg, n_runs=n_tasks, executor=client, progress=False), n=n_tasks, repeats=repeats)
        b.param(dask_noop_ms_per_task=1e3 * floor["warm_median_s"] / n_tasks,
                dask_run_many_ms_per_tiny_run=1e3 * dask["warm_median_s"] / n_tasks)
    finally:
        client.close()
        cluster.close()
