"""A study as one dataset: runs/s of workers writing their runs (Dask, 2 workers) vs sequential, the
driver's memory for 100 vs 1,000 runs, the dataset's size per run, and a DuckDB aggregate over every
run's fills vs loading each run with ``RunResult.from_parquet``.

Full mode is the issue's measurement (1,000 small desk-days); ``--quick`` is a smoke of a few runs."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import tradeflow
from benchmarks._harness import Bench, register

WORKERS = 2

# a small desk-day: a hundred orders on a one-minute grid, a thin book (writing it is a fair share of its cost)
SMALL = {"flow": {"orders_per_day": 100}, "market": {"step_seconds": 60.0}, "pnl_interval_seconds": 3600,
         "execution": {"book_events_per_second": 0.5}}

AGGREGATE = """
    select run, book, count(*) as n_fills, sum(qty * price) as notional,
           sum(case when side = 'SELL' then qty * price else -qty * price end) as cash_flow, sum(fee) as fees
    from fills group by run, book order by run, book
"""

_STUDY: dict[str, object] = {}  # the big study, shared with the SQL benchmark


class _PeakRSS:
    """The driver's resident memory, sampled every 10 ms while a block runs (peak and start, in MB)."""

    def __init__(self) -> None:
        import psutil

        self._proc = psutil.Process()
        self.start = self.peak = 0.0
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss / 2**20)
            self._stop.wait(0.01)

    def __enter__(self) -> _PeakRSS:
        import gc
        gc.collect()
        self.start = self.peak = self._proc.memory_info().rss / 2**20
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss / 2**20)


def _size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def _local_cluster():
    """(cluster, client): tradeflow's study cluster (tradeflow.parallel.local_cluster) of WORKERS processes."""
    from tradeflow.parallel import local_cluster

    client = local_cluster(WORKERS)
    return client.cluster, client


@register("dataset.study", unit="runs")
def study(b: Bench) -> None:
    # TRADEFLOW_BENCH_STUDY_RUNS shrinks the full study on a busy machine (the figure is 1,000)
    n_runs = b.size(quick=3, full=int(os.environ.get("TRADEFLOW_BENCH_STUDY_RUNS", 1_000)))
    small_n = b.size(quick=2, full=max(n_runs // 10, 2))
    cfg = tradeflow.SimulationConfig.from_dict(SMALL)
    root = Path(tempfile.mkdtemp(prefix="tradeflow-bench-dataset-"))
    b.param(n_runs=n_runs, config=SMALL, workers=WORKERS, cpu_count=os.cpu_count(), load_average_before=os.getloadavg())
    tradeflow.warmup()
    k = {"n": 0}

    def store() -> Path:
        k["n"] += 1
        return root / f"study-{k['n']}"

    def many(executor, n: int, path: Path):
        out = tradeflow.run_many(cfg, n_runs=n, seed=0, executor=executor, progress=False, store=path)
        assert (out["status"] == "ok").all(), out["error"].dropna().tolist()
        return out

    # the sequential baseline on the smaller study (runs/s is what compares; it would take as long as the
    # whole rest otherwise), measured right before the Dask runs of the same size
    seq_path = store()
    b.baseline("run_many sequential, store=", lambda: many("sequential", small_n, seq_path), n=small_n, repeats=1,
               warm_up=False)
    b.param(dataset_mb_per_run=_size_mb(seq_path) / small_n,
            files_per_run=sum(1 for p in seq_path.rglob("*.parquet") if "run=" in str(p)) / small_n)
    if b.quick:  # a LocalCluster's start-up alone would use up the smoke's minute; tests cover Dask
        b.param(dask="skipped in --quick")
        _STUDY.update(path=seq_path, n_runs=small_n, root=root)
        return
    # Dask's defaults, same size as the baseline: what tradeflow.parallel.local_cluster's tuning buys
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as plain, Client(plain) as client:
        many(client, WORKERS * 2, store())
        t = time.perf_counter()
        many(client, small_n, store())
        elapsed = time.perf_counter() - t
        b.measurements.append({"role": "baseline", "label": f"run_many, LocalCluster with Dask's defaults "
                               f"({WORKERS} worker processes), store=, {small_n} runs", "n": small_n, "cold_s": None,
                               "warm_median_s": elapsed, "warm_min_s": elapsed, "repeats": 1,
                               "throughput_per_s": small_n / elapsed, "warm_median_cpu_s": None})
    cluster, client = _local_cluster()
    try:
        many(client, WORKERS * 2, store())  # workers started and warm before the clock runs
        rss = {}
        paths = {}
        for n in (small_n, n_runs):
            path = paths[n] = store()
            with _PeakRSS() as mem:
                t = time.perf_counter()
                many(client, n, path)
                elapsed = time.perf_counter() - t
            rss[n] = {"start_mb": mem.start, "peak_mb": mem.peak, "growth_mb": mem.peak - mem.start}
            b.measurements.append({"role": "target", "label": f"run_many Dask local_cluster ({WORKERS} worker "
                                   f"processes), store=, {n} runs", "n": n, "cold_s": None, "warm_median_s": elapsed,
                                   "warm_min_s": elapsed, "repeats": 1, "throughput_per_s": n / elapsed,
                                   "warm_median_cpu_s": None})
        b.param(driver_rss=rss, driver_peak_rss_ratio=rss[n_runs]["peak_mb"] / rss[small_n]["peak_mb"],
                load_average_after=os.getloadavg())
        _STUDY.update(path=paths[n_runs], n_runs=n_runs, root=root)
    finally:
        client.close()


@register("dataset.study_sql", unit="runs")
def sql_over_runs(b: Bench) -> None:
    """P&L per run and book from every run's fills: one DuckDB query vs from_parquet one run at a time."""
    import pandas as pd

    if "path" not in _STUDY:  # run alone (-k dataset.study_sql): make the study first
        study(Bench(name="dataset.study", unit="runs", quick=b.quick, repeats=1))
    path, n_runs = Path(_STUDY["path"]), int(_STUDY["n_runs"])
    n_stores = min(n_runs, b.size(quick=2, full=100))  # the slow path, on a subset: runs/s is what compares
    cfg = tradeflow.SimulationConfig.from_dict(SMALL)
    stores = Path(tempfile.mkdtemp(prefix="tradeflow-bench-runstores-"))
    for k, seed in enumerate(tradeflow.parallel.run_seeds(0, n_stores)):
        tradeflow.simulate(cfg, seed=seed).to_parquet(stores / f"run-{k:05d}")
    b.param(n_runs=n_runs, n_run_stores=n_stores)

    runs = tradeflow.open_runs(path)
    runs.sql("select 1")  # the connection and views made once, outside the clock

    def per_run_stores() -> pd.DataFrame:
        out = []
        for k in range(n_stores):
            f = tradeflow.RunResult.from_parquet(stores / f"run-{k:05d}").fills
            signed = f["qty"] * f["price"] * f["side"].map({"BUY": -1.0, "SELL": 1.0}).astype(float)
            g = f.assign(notional=f["qty"] * f["price"], cash_flow=signed).groupby("book")
            out.append(pd.DataFrame({"n_fills": g.size(), "notional": g["notional"].sum(),
                                     "cash_flow": g["cash_flow"].sum(), "fees": g["fee"].sum()}).assign(run=k))
        return pd.concat(out)

    sql = runs.sql(AGGREGATE)
    ref = per_run_stores().reset_index().set_index(["run", "book"]).sort_index()
    got = sql.set_index(["run", "book"]).loc[ref.index]
    pd.testing.assert_series_equal(got["n_fills"].astype("int64"), ref["n_fills"].astype("int64"), check_names=False)
    assert ((got["cash_flow"] - ref["cash_flow"]).abs() < 1e-6 * (1 + ref["cash_flow"].abs())).all()
    b.baseline("RunResult.from_parquet per run + pandas groupby", per_run_stores, n=n_stores, repeats=1)
    b.target("DuckDB over the dataset (open views)", lambda: runs.sql(AGGREGATE), n=n_runs)
    b.target("open_runs + DuckDB over the dataset", lambda: tradeflow.open_runs(path).sql(AGGREGATE), n=n_runs,
             repeats=1)
    shutil.rmtree(stores, ignore_errors=True)
    shutil.rmtree(_STUDY.pop("root"), ignore_errors=True)
    _STUDY.clear()
