"""run_many: the same numbers whichever executor ran them, failures kept to their own run."""

from __future__ import annotations

import concurrent.futures as cf
import functools
import os
import re
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tradeflow
from tests.conftest import small_config
from tradeflow.parallel import METRICS, Metric, count, read_runs, read_summary, run_many, run_seed, summarize
from tradeflow.results import RunResult
from tradeflow.schema import BreakKind, OrderStatus, SettlementStatus

N_RUNS = 5
ROOT = 20261125
# timing and placement differ between executors; everything else must not
VOLATILE = ["elapsed_s", "worker", "traceback"]
BAD = {"flow": {"orders_per_day": -5}}


def cfg():
    return small_config(1_500)


def numbers(summary: pd.DataFrame) -> pd.DataFrame:
    return summary.drop(columns=[c for c in VOLATILE if c in summary])


@pytest.fixture(scope="module")
def reference():
    """The batch run in this process, one run after another: what every executor must reproduce."""
    return run_many(cfg(), n_runs=N_RUNS, seed=ROOT, executor="sequential", progress=False,
                    overrides={2: BAD})


@pytest.fixture(scope="module")
def dask_client():
    pytest.importorskip("distributed")
    from tradeflow.parallel import local_cluster

    # real worker processes (the config, the task and the rows cross process boundaries)
    with local_cluster(2) as client:
        yield client


def test_the_study_cluster_tunes_its_workers(dask_client):
    import dask

    from tradeflow.parallel.cluster import tune_worker_malloc

    env = dask_client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("MALLOC_MMAP_THRESHOLD_")))
    assert len(env) == 2
    # Dask's nanny sets a trim threshold (which pins glibc's mmap threshold at 128 kB): not in a study's workers
    assert "MALLOC_TRIM_THRESHOLD_" in dask.config.get("distributed.nanny.pre-spawn-environ")
    assert set(env.values()) == {(None, None)}
    assert set(dask_client.run(tune_worker_malloc).values()) == {False}  # nothing to tune there
    assert set(dask_client.run(lambda: dask.config.get("distributed.worker.profile.enabled")).values()) == {False}
    assert set(dask_client.nthreads().values()) == {1}


def test_run_many_on_a_client_that_is_not_the_default(reference):
    pytest.importorskip("distributed")
    from tradeflow.parallel import local_cluster

    with local_cluster(1, processes=False, set_as_default=False) as client:
        out = run_many(cfg(), n_runs=2, seed=ROOT, executor=client, progress=False)
    assert (out["status"] == "ok").all()  # runs 0 and 1: the reference's bad run is run 2
    pd.testing.assert_frame_equal(numbers(out).drop(columns="error"), numbers(reference.iloc[:2]).drop(columns="error"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_worker_with_a_trim_threshold_gets_its_heap_back(monkeypatch):
    from tradeflow.parallel.cluster import tune_worker_malloc

    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    assert tune_worker_malloc() is False  # nothing set: glibc's dynamic default is left alone
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "1048576")
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    assert tune_worker_malloc() is False  # the user chose a threshold: kept
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    assert tune_worker_malloc() is True


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_local_cluster_names_a_bad_worker_count(bad):
    pytest.importorskip("distributed")
    from tradeflow.parallel import local_cluster

    with pytest.raises(ValueError, match=r"'n_workers' parameter of local_cluster .*" + re.escape(repr(bad))):
        local_cluster(bad)


# --------------------------------------------------------------------------- arguments
@pytest.mark.parametrize(("kwargs", "param"), [
    ({}, "n_runs"),                                               # neither n_runs nor seeds
    ({"n_runs": 2, "seeds": [1, 2]}, "n_runs"),                   # both
    ({"n_runs": 0}, "n_runs"),
    ({"n_runs": -3}, "n_runs"),
    ({"n_runs": 2.5}, "n_runs"),
    ({"n_runs": True}, "n_runs"),
    ({"seeds": []}, "seeds"),
    ({"seeds": [1, -1]}, "seeds"),
    ({"seeds": [1], "seed": 3}, "seed"),
    ({"n_runs": 2, "seed": -1}, "seed"),
    ({"n_runs": 2, "executor": "threads"}, "executor"),
    ({"n_runs": 2, "executor": 4}, "executor"),
    ({"n_runs": 2, "n_workers": 0}, "n_workers"),
    ({"n_runs": 2, "retries": -1}, "retries"),
    ({"n_runs": 2, "max_in_flight": 0}, "max_in_flight"),
    ({"n_runs": 2, "overrides": {5: {}}}, "overrides"),
    ({"n_runs": 2, "overrides": [None]}, "overrides"),
    ({"n_runs": 2, "metrics": ["total_pnl"]}, "metrics"),
    ({"n_runs": 2, "config": [None, None, None]}, "config"),
    ({"n_runs": 2, "config": 42}, "config"),
])
def test_bad_arguments_raise_value_error_naming_the_parameter(kwargs, param):
    with pytest.raises(ValueError, match=f"'{param}' parameter of run_many"):
        run_many(**{"executor": "sequential", "progress": False, **kwargs})


def test_unpicklable_metric_for_a_process_pool_is_refused_by_name():
    bad = (Metric("x", lambda r: 1),)
    with pytest.raises(ValueError, match="'metrics' parameter of run_many must be picklable"):
        run_many(cfg(), n_runs=2, executor="processes", n_workers=1, metrics=bad, progress=False, warm=False)


def test_dask_missing_gives_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r'pip install "tradeflow\[dask\]"'):
        run_many(cfg(), n_runs=2, executor="dask", progress=False)


# --------------------------------------------------------------------------- seeds and the summary
def test_every_run_can_be_rerun_alone_from_its_reported_seed(reference):
    assert list(reference.index) == list(range(N_RUNS))
    assert reference["seed_spawn_key"].tolist() == [(k,) for k in range(N_RUNS)]
    assert (reference["seed_entropy"] == ROOT).all()
    for k in (0, 3, 4):
        row = reference.loc[k]
        seed = np.random.SeedSequence(row["seed_entropy"], spawn_key=row["seed_spawn_key"])
        result = tradeflow.simulate(cfg(), seed=seed)
        assert (result.seed, result.seed_spawn_key) == (ROOT, (k,))  # the run knows its own identity
        alone = summarize(result)
        assert {c: row[c] for c in alone} == alone
        # run_seed rebuilds the same child, whatever the root spawned before
        root = np.random.SeedSequence(ROOT)
        root.spawn(7)
        assert run_seed(root, k).generate_state(4).tolist() == seed.generate_state(4).tolist()
    # children are distinct streams: the runs differ
    assert reference["total_pnl"].dropna().nunique() == N_RUNS - 1


def test_explicit_seeds_are_the_runs_simulate_gives():
    summary = run_many(cfg(), seeds=[11, 3], executor="sequential", progress=False)
    for k, s in enumerate([11, 3]):
        assert summary.loc[k, "n_fills"] == len(tradeflow.simulate(cfg(), seed=s).records["fills"])
        assert summary.loc[k, "seed_entropy"] == s and summary.loc[k, "seed_spawn_key"] == ()


def test_summary_row_matches_the_result_tables(small_run):
    row = summarize(small_run)
    t = small_run.summary_tables()
    for status, n in t["orders_by_status"].items():
        assert row[f"orders_{status.lower()}"] == n
    assert row["n_orders"] == len(small_run.orders)
    assert row["n_rejects"] == (small_run.orders["status"] == "REJECTED").sum() == t["rejects_by_reason"].sum()
    for reason, n in t["rejects_by_reason"].items():
        assert row[f"rejects_{reason.lower()}"] == n
    desk = t["pnl_by_book"].loc["desk"]
    for c in ("realized_pnl", "unrealized_pnl", "fees", "total_pnl", "gross_exposure"):
        assert row[c] == pytest.approx(desk[c], rel=1e-12, abs=1e-9)
    for book, v in t["pnl_by_book"]["total_pnl"].drop("desk").items():
        assert row[f"total_pnl_book{book}"] == pytest.approx(v, rel=1e-12, abs=1e-9)
    assert sum(row[f"settlements_{s.name.lower()}"] for s in SettlementStatus) == len(small_run.settlements)
    assert sum(row[f"breaks_{k.name.lower()}"] for k in BreakKind) == row["n_breaks"] == len(small_run.breaks)
    assert row["n_ledger"] == len(small_run.ledger) and row["n_days"] == 1


def test_summary_tolerates_missing_and_counts_new_record_kinds(small_run):
    records = {k: v for k, v in small_run.records.items() if k not in ("breaks", "settlements")}
    records["var_exceptions"] = np.zeros(3, dtype=[("ts", np.int64)])  # a kind this table does not know
    partial = RunResult(config=small_run.config, seed=small_run.seed, market=small_run.market, records=records,
                        trade_dates=small_run.trade_dates)
    row = summarize(partial)
    assert not any(c.startswith(("breaks_", "settlements_")) or c in ("n_breaks", "n_settlements") for c in row)
    assert row["n_var_exceptions"] == 3
    assert row["n_orders"] == len(small_run.records["orders"])
    # extending the table is one entry; its function sees the whole result
    row = summarize(small_run, (*METRICS, Metric("n_positions_held", count("positions"), ("positions",))))
    assert row["n_positions_held"] == len(small_run.records["positions"])
    assert "n_positions" not in row  # the new metric reads positions, so no automatic count too


# --------------------------------------------------------------------------- executors agree
def test_process_pool_gives_the_sequential_numbers(reference):
    pool = run_many(cfg(), n_runs=N_RUNS, seed=ROOT, executor="processes", n_workers=2, progress=False,
                    overrides={2: BAD})
    pd.testing.assert_frame_equal(numbers(pool), numbers(reference))
    assert pool["worker"].nunique() >= 1 and not pool["worker"].str.endswith(f":{os.getpid()}").any()


def test_dask_local_cluster_gives_the_sequential_numbers(reference, dask_client):
    dask = run_many(cfg(), n_runs=N_RUNS, seed=ROOT, executor=dask_client, progress=False, overrides={2: BAD})
    pd.testing.assert_frame_equal(numbers(dask), numbers(reference))
    assert dask["worker"].nunique() == 2  # both workers ran some
    # the current client is picked up by name too, and a second batch does not collide with the first
    again = run_many(cfg(), n_runs=N_RUNS, seed=ROOT, executor="dask", progress=False, overrides={2: BAD})
    pd.testing.assert_frame_equal(numbers(again), numbers(reference))


def test_a_caller_executor_with_bounded_submission_gives_the_same_numbers(reference):
    class Counting(cf.ThreadPoolExecutor):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            self.lock, self.live, self.peak = threading.Lock(), 0, 0

        def submit(self, fn, *args, **kwargs):
            with self.lock:
                self.live += 1
                self.peak = max(self.peak, self.live)
            fut = super().submit(fn, *args, **kwargs)
            fut.add_done_callback(self._done)
            return fut

        def _done(self, fut):
            with self.lock:
                self.live -= 1

    with Counting(max_workers=2) as ex:
        threads = run_many(cfg(), n_runs=N_RUNS, seed=ROOT, executor=ex, max_in_flight=2, progress=False,
                           overrides={2: BAD})
    # the driver never had more than max_in_flight runs outstanding
    assert ex.peak <= 2
    pd.testing.assert_frame_equal(numbers(threads), numbers(reference))


# --------------------------------------------------------------------------- failures
@pytest.mark.parametrize("executor", ["sequential", "processes", "dask"])
def test_a_bad_scenario_in_the_middle_fails_alone(reference, executor, request):
    ex = request.getfixturevalue("dask_client") if executor == "dask" else executor
    # run 2 is cfg() given as a dict: run_many takes either
    as_dict = {"flow": {"orders_per_day": 1_500}, "pnl_interval_seconds": 600,
               "execution": {"book_events_per_second": 2.0}}
    assert tradeflow.SimulationConfig.from_dict(as_dict) == cfg()
    configs = [cfg(), cfg(), as_dict, {"days": 0}, cfg()]
    out = run_many(configs, n_runs=N_RUNS, seed=ROOT, executor=ex, n_workers=2 if executor == "processes" else None,
                   progress=False, overrides={1: BAD})
    assert out["status"].tolist() == ["ok", "failed", "ok", "failed", "ok"]
    assert out.loc[1, "error"].startswith("ValueError: The 'orders_per_day' parameter of FlowConfig")
    assert out.loc[3, "error"].startswith("ValueError: The 'days' parameter of SimulationConfig")
    assert (out.loc[[1, 3], "attempts"] == 1).all()  # the user's error: not retried
    assert out.loc[[1, 3], "seed_spawn_key"].tolist() == [(1,), (3,)]
    assert out.loc[[1, 3], "n_orders"].isna().all()
    # the good runs are the reference's runs, number for number
    ok = [0, 4]  # (run 2 failed in the reference)
    pd.testing.assert_frame_equal(numbers(out).loc[ok], numbers(reference).loc[ok])
    alone = summarize(tradeflow.simulate(cfg(), seed=run_seed(ROOT, 2)))
    assert {c: out.loc[2, c] for c in alone} == alone
    assert out["n_orders"].dtype == "Int64"  # counts stay integers beside a failed run


def _exit_once(marker: str, result) -> int:
    """A metric that kills its worker process the first time it sees the victim run."""
    if result.config.pnl_interval_seconds == 601 and not os.path.exists(marker):
        Path(marker).touch()
        os._exit(3)
    return 0


def test_a_lost_worker_is_retried_and_takes_no_other_run_with_it(tmp_path):
    metrics = (*METRICS, Metric("probe", functools.partial(_exit_once, str(tmp_path / "died"))))
    overrides = {3: {"pnl_interval_seconds": 601}}
    seq = run_many(cfg(), n_runs=N_RUNS, seed=ROOT, executor="sequential", progress=False, overrides=overrides,
                   metrics=METRICS)
    out = run_many(cfg(), n_runs=N_RUNS, seed=ROOT, executor="processes", n_workers=2, progress=False,
                   overrides=overrides, metrics=metrics)
    assert (tmp_path / "died").exists()  # the worker really died once
    assert (out["status"] == "ok").all()
    assert out.loc[3, "attempts"] == 2
    pd.testing.assert_frame_equal(numbers(out).drop(columns=["probe", "attempts"]),
                                  numbers(seq).drop(columns=["attempts"]))


def test_a_worker_lost_on_every_try_is_reported_with_its_seed():
    metrics = (*METRICS, Metric("probe", _exit_always))
    out = run_many(cfg(), n_runs=3, seed=ROOT, executor="processes", n_workers=1, progress=False, retries=1,
                   overrides={1: {"pnl_interval_seconds": 601}}, metrics=metrics)
    # its neighbour in the pool died with it, was rerun alone and completed
    assert out["status"].tolist() == ["ok", "failed", "ok"]
    # lost beside another run (free rerun alone), then alone twice: the retry is used up
    assert out.loc[1, "attempts"] == 3 and "BrokenProcessPool" in out.loc[1, "error"]
    assert out.loc[1, "seed_spawn_key"] == (1,)


def _exit_always(result) -> int:
    if result.config.pnl_interval_seconds == 601:
        os._exit(3)
    return 0


# --------------------------------------------------------------------------- store and progress
def test_full_results_go_to_the_study_dataset(tmp_path):
    pytest.importorskip("pyarrow")
    out = run_many(cfg(), n_runs=3, seed=ROOT, executor="sequential", progress=False, store=tmp_path,
                   overrides={1: BAD})
    assert out.loc[0, "store"] == f"{tmp_path}/runs/run=0/part-0.parquet"
    assert not (tmp_path / "runs" / "run=1").exists()  # the failed run wrote nothing
    assert not (tmp_path / "fills" / "run=1").exists()
    study = tradeflow.open_runs(tmp_path)
    assert study.run_ids == [0, 2]
    again = tradeflow.simulate(cfg(), seed=run_seed(ROOT, 2))
    pd.testing.assert_frame_equal(study.run_frame("fills", 2), again.fills)
    pd.testing.assert_frame_equal(study.run_frame("pnl", 2), again.pnl)
    on_disk = read_summary(tmp_path)
    pd.testing.assert_frame_equal(on_disk, out)
    # one table of every stored run, stacked with a run level
    fills = read_runs(tmp_path, "fills")
    assert sorted(set(fills.index.get_level_values("run"))) == [0, 2]
    assert len(fills.loc[2]) == len(again.fills) == out.loc[2, "n_fills"]
    with pytest.raises(ValueError, match="'table' parameter of read_runs"):
        read_runs(tmp_path, "summary")
    # a second study into the same store is refused, not mixed in
    with pytest.raises(ValueError, match="'store' parameter of run_many .* already holds 2 committed runs"):
        run_many(cfg(), n_runs=3, seed=ROOT, executor="sequential", progress=False, store=tmp_path)


def test_an_interrupted_batch_resumes_from_its_store(tmp_path):
    pytest.importorskip("pyarrow")
    kw = {"n_runs": 4, "seed": ROOT, "executor": "sequential", "progress": False, "store": tmp_path,
          "overrides": {1: BAD}}
    full = run_many(cfg(), **kw)
    # the study "died" while run 3 was being written: its files are there, its commit (runs row) is not
    (tmp_path / "runs" / "run=3" / "part-0.parquet").unlink()
    (tmp_path / "_summary.parquet").unlink()
    assert tradeflow.open_runs(tmp_path).run_ids == [0, 2]
    resumed = run_many(cfg(), **kw, resume=True)
    pd.testing.assert_frame_equal(numbers(resumed), numbers(full))
    assert resumed.loc[0, "elapsed_s"] == full.loc[0, "elapsed_s"]  # kept, not rerun
    assert resumed.loc[3, "elapsed_s"] != full.loc[3, "elapsed_s"]  # rerun
    assert tradeflow.open_runs(tmp_path).run_ids == [0, 2, 3]
    with pytest.raises(ValueError, match="'resume' parameter of run_many"):
        run_many(cfg(), **{**kw, "seed": ROOT + 1}, resume=True)
    with pytest.raises(ValueError, match="'resume' parameter of run_many"):
        run_many(cfg(), n_runs=2, executor="sequential", resume=True)


def test_progress_bar_over_runs_and_none_without_tqdm(monkeypatch, capsys):
    pytest.importorskip("tqdm")
    run_many(cfg(), n_runs=2, seed=1, executor="sequential", progress=True)
    assert "2/2" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    out = run_many(cfg(), n_runs=2, seed=1, executor="sequential", progress=True)
    assert (out["status"] == "ok").all()
    assert "2/2" not in capsys.readouterr().err


def test_one_run_defaults_to_this_process():
    out = run_many(cfg(), n_runs=1, seed=1, progress=False)
    assert out.loc[0, "worker"].endswith(f":{os.getpid()}")


def test_multi_day_runs(reference):
    two = small_config(1_000, days=2)
    out = run_many(two, n_runs=2, seed=ROOT, executor="sequential", progress=False)
    assert (out["n_days"] == 2).all()
    assert out.loc[1, "total_pnl"] == tradeflow.simulate(two, seed=run_seed(ROOT, 1)).to_dict()["desk_pnl"]
    assert OrderStatus.REJECTED.name.lower() in "".join(out.columns)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Port .* is already in use:UserWarning")  # a restarted worker's dashboard
def test_a_dask_worker_lost_mid_run_costs_no_run(tmp_path):
    distributed = pytest.importorskip("distributed")
    metrics = (*METRICS, Metric("probe", functools.partial(_exit_once, str(tmp_path / "died"))))
    overrides = {2: {"pnl_interval_seconds": 601}}
    seq = run_many(cfg(), n_runs=4, seed=ROOT, executor="sequential", progress=False, overrides=overrides)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as client:
        out = run_many(cfg(), n_runs=4, seed=ROOT, executor=client, progress=False, overrides=overrides,
                       metrics=metrics)
    assert (tmp_path / "died").exists()  # a worker process really died, and its nanny started a new one
    assert (out["status"] == "ok").all()
    pd.testing.assert_frame_equal(numbers(out).drop(columns=["probe"]), numbers(seq))


def test_summary_columns_follow_run_order_not_finishing_order():
    from tradeflow.parallel.runner import _Rows

    def row(run, books, status="ok"):
        r = {"run": run, "seed_entropy": 1, "seed_spawn_key": (run,), "status": status, "error": None, "attempts": 1}
        if status == "ok":
            r.update({f"total_pnl_book{b}": 1.5 * b for b in range(books)}, n_breaks=0)
        return {**r, "elapsed_s": 0.1, "worker": "w"}

    made = [row(0, 2), row(1, 4), row(2, 0, "failed")]
    frames = []
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        rows = _Rows()
        for i in order:
            rows.add(made[i])
        frames.append(rows.frame())
    for f in frames[1:]:
        pd.testing.assert_frame_equal(f, frames[0])
    assert list(frames[0].columns[5:]) == ["total_pnl_book0", "total_pnl_book1", "n_breaks", "total_pnl_book2",
                                           "total_pnl_book3", "elapsed_s", "worker"]
    assert frames[0]["n_breaks"].dtype == "Int64" and frames[0]["n_breaks"].isna().tolist() == [False, False, True]


# --------------------------------------------------------------------------- chunks of runs per task
def test_chunked_runs_give_the_sequential_numbers_and_a_lost_worker_costs_no_run(reference, tmp_path):
    """Chunks of 3 runs per task on a pool of 2: same numbers; a worker killed mid-chunk loses the whole
    chunk, whose runs are each rerun alone (the victim is charged its attempt, its chunk mates complete)."""
    metrics = (*METRICS, Metric("probe", functools.partial(_exit_once, str(tmp_path / "died"))))
    overrides = {1: {"pnl_interval_seconds": 601}}
    seq = run_many(cfg(), n_runs=N_RUNS, seed=ROOT, executor="sequential", progress=False, overrides=overrides,
                   metrics=METRICS)
    out = run_many(cfg(), n_runs=N_RUNS, seed=ROOT, executor="processes", n_workers=2, progress=False,
                   overrides=overrides, metrics=metrics, chunk_size=3)
    assert (tmp_path / "died").exists()
    assert (out["status"] == "ok").all()
    assert out.loc[1, "attempts"] == 2
    pd.testing.assert_frame_equal(numbers(out).drop(columns=["probe", "attempts"]),
                                  numbers(seq).drop(columns=["attempts"]))
    chunked = run_many(cfg(), n_runs=N_RUNS, seed=ROOT, executor="processes", n_workers=2, progress=False,
                       chunk_size=2, overrides={2: BAD})
    pd.testing.assert_frame_equal(numbers(chunked), numbers(reference))


def test_chunk_size_follows_the_runs_times_and_keeps_every_worker_busy():
    from tradeflow.parallel._backends import SequentialBackend
    from tradeflow.parallel.runner import _ChunkSizer

    class Pool:
        n_workers = 2

    s = _ChunkSizer(None, Pool(), fixed=False)
    assert s.size(1_000) == 1  # no time seen yet
    for _ in range(10):
        s.saw({"status": "ok", "elapsed_s": 0.1})
    s.saw({"status": "failed", "elapsed_s": 9.0})  # a failed run's time says nothing of the others'
    assert s.size(990) == int(_ChunkSizer.TARGET_S / 0.1)  # about TARGET_S of work per task
    assert s.size(30) == 30 // 8  # 30 runs left for 2 workers: small chunks to the end
    assert _ChunkSizer(7, Pool(), fixed=True).size(10) == 7  # given: always
    fixed = _ChunkSizer(None, Pool(), fixed=True)  # max_in_flight given: one run per task
    fixed.saw({"status": "ok", "elapsed_s": 0.01})
    assert fixed.size(1_000) == 1
    seq = _ChunkSizer(None, SequentialBackend(), fixed=False)
    seq.saw({"status": "ok", "elapsed_s": 0.01})
    assert seq.size(1_000) == 1


def test_the_last_chunks_are_single_runs_so_no_worker_waits_on_a_big_one(monkeypatch):
    from tradeflow.parallel.runner import _ChunkSizer

    monkeypatch.setattr(_ChunkSizer, "TARGET_S", 100.0)  # chunks as big as the balance allows
    # the chunks in flight already hold runs: sized by the runs not yet handed out, the study's tail
    # goes out one run a task, whatever was queued before it
    sizes: list[int] = []

    class Recording(cf.ThreadPoolExecutor):
        def submit(self, fn, tasks, *args, **kwargs):
            sizes.append(len(tasks))
            return super().submit(fn, tasks, *args, **kwargs)

    n = 40
    with Recording(max_workers=2) as pool:
        out = run_many(cfg(), n_runs=n, seed=ROOT, executor=pool, progress=False)
    assert (out["status"] == "ok").all() and sorted(out.index) == list(range(n))
    assert sum(sizes) == n
    assert max(sizes) > 1  # chunks were used
    # each chunk is at most a quarter of a worker's share of the runs not yet handed out when it was cut
    # (counting the study's runs without a row instead overestimates what is left by the queued chunks)
    handed = 0
    for size in sizes:
        assert size <= max(1, (n - handed) // (4 * 2)), (size, handed, sizes)
        handed += size
    assert sizes[-4:] == [1, 1, 1, 1], sizes


def test_the_runs_index_from_the_workers_rows_equals_the_one_read_from_the_files(tmp_path):
    import pyarrow.parquet as pq

    from tradeflow.dataset import open_runs

    path = tmp_path / "study"
    run_many(cfg(), n_runs=3, seed=ROOT, executor="sequential", progress=False, store=path)
    index = path / "_runs_index.parquet"
    from_rows = pq.read_table(index)
    runs_from_rows = open_runs(path).runs
    index.unlink()
    ds = open_runs(path)  # every runs row read from its commit file
    pd.testing.assert_frame_equal(ds.runs, runs_from_rows)
    ds.write_index()
    assert pq.read_table(index).equals(from_rows, check_metadata=True)
