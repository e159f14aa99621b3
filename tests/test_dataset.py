"""Many desk-days as one dataset: round trips, resuming a killed study, foreign readers, SQL views, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tradeflow
from tradeflow.config import SimulationConfig
from tradeflow.dataset import TABLES, open_runs, run_frames, write_run
from tradeflow.parallel import read_summary, run_many, run_seed

pa = pytest.importorskip("pyarrow")
pytest.importorskip("fsspec")

ROOT = 1818
REPO = Path(__file__).resolve().parents[1]
# timing, placement and write time differ between executors and attempts; nothing else may
VOLATILE = ["elapsed_s", "worker", "store", "created", "row"]


def tiny(days: int = 1, **extra) -> SimulationConfig:
    """A desk-day of a few hundred orders on a one-minute quote grid, with faults so there are breaks."""
    data = {"flow": {"orders_per_day": 150}, "pnl_interval_seconds": 3600, "days": days,
            # Monday: a two-day run settles day 1's US trades on day 2 (T+1), so it has settlement attempts
            "market": {"step_seconds": 60.0, "trade_date": "2026-11-23"}, "execution": {"book_events_per_second": 0.5},
            "faults": {"qty_keyed_wrong": 0.05, "missing_trade": 0.03, "late_booking": 0.03},
            "settlement": {"default_fail_rate": 0.2}}
    data.update(extra)
    return SimulationConfig.from_dict(data)


@pytest.fixture(scope="module")
def two_day_run():
    return tradeflow.simulate(tiny(days=2), seed=7)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """Four two-day runs written by run_many, sequentially, into a local dataset."""
    path = tmp_path_factory.mktemp("study") / "study"
    summary = run_many(tiny(days=2), n_runs=4, seed=ROOT, executor="sequential", progress=False, store=path)
    return path, summary


# --------------------------------------------------------------------------- round trip
def test_every_table_of_a_run_round_trips_labels_included(tmp_path, two_day_run):
    write_run(two_day_run, tmp_path / "ds", 5)
    ds = open_runs(tmp_path / "ds")
    assert ds.run_ids == [5]
    frames = run_frames(two_day_run)
    assert set(frames) == set(TABLES)  # every table of the run is stored
    assert len(frames["breaks"]) and len(frames["faults"])  # the config injects faults: not only empty tables
    for name, df in frames.items():
        index = TABLES[name][2]
        want = df.set_index(index) if index else df
        pd.testing.assert_frame_equal(ds.run_frame(name, 5), want, obj=name)
    # the properties themselves, not only what run_frames made of them
    pd.testing.assert_frame_equal(ds.run_frame("fills", 5), two_day_run.fills)
    pd.testing.assert_frame_equal(ds.run_frame("pnl", 5), two_day_run.pnl)
    pd.testing.assert_frame_equal(ds.run_frame("breaks", 5), two_day_run.breaks)
    # enum columns are Arrow dictionary columns whose dictionary is every label, in member order
    schema = ds.dataset("settlements").schema
    assert pa.types.is_dictionary(schema.field("status").type)
    assert pa.types.is_dictionary(ds.dataset("orders").schema.field("reject_reason").type)
    table = ds.to_table("settlements")
    from tradeflow.schema import SettlementStatus
    assert table.column("status").chunk(0).dictionary.to_pylist() == [s.name for s in SettlementStatus]
    # quotes of the simulated market in long format: one row per grid time and instrument
    prices = ds.run_frame("prices", 5)
    m = two_day_run.market
    assert len(prices) == m.mid.shape[1] * m.n_instruments
    wide = prices.pivot(index="ts", columns="instrument", values="mid")
    np.testing.assert_array_equal(wide[list(m.instruments["symbol"])].to_numpy(), m.mid[:m.n_instruments].T)
    # the runs table: seed, versions and the config, which rebuilds the run
    runs = ds.runs
    assert runs.loc[5, "tradeflow_version"] == tradeflow.__version__
    assert ds.config(5) == two_day_run.config


def test_filters_are_pushed_down_to_partitions_and_row_groups(study):
    path, summary = study
    ds = open_runs(path)
    import pyarrow.dataset as pads
    assert len(list(ds.dataset("fills").get_fragments(filter=pads.field("run") == 2))) == 1
    buys = ds.frame("fills", filter=[("run", "in", [1, 2]), ("side", "==", "BUY")])
    every = ds.frame("fills")
    want = every[every["run"].isin([1, 2]) & (every["side"] == "BUY")].reset_index(drop=True)
    pd.testing.assert_frame_equal(buys, want)
    assert list(buys.columns[:2]) == ["run", "fill_id"] and set(buys["run"]) == {1, 2}
    assert (every.groupby("run").size() == summary["n_fills"]).all()


# --------------------------------------------------------------------------- SQL
def test_sql_and_ready_views_agree_with_each_run(study):
    pytest.importorskip("duckdb")
    path, summary = study
    ds = open_runs(path)
    got = ds.sql("select run, count(*) as n from fills group by run order by run").set_index("run")["n"]
    assert got.to_dict() == summary["n_fills"].to_dict()
    # daily P&L per book: the explain of each run
    daily = ds.sql("select run, book, sum(pnl) as pnl from daily_pnl group by run, book order by run, book")
    # the book's P&L at the last close (book_pnl) equals the summary's per-book column
    book = ds.sql("select run, book, total_pnl from book_pnl order by run, book")
    for r in book.itertuples():
        assert r.total_pnl == pytest.approx(summary.loc[r.run, f"total_pnl_book{r.book}"], abs=1e-6)
    assert len(daily) == len(book)
    # VaR exceptions as RunResult.var_backtest counts them (desk, day 2 against day 1's close)
    var = ds.sql("select run, count(*) as days, sum(exception::int) as exceptions from var_exceptions "
                 "where book = -1 group by run order by run").set_index("run")
    assert var["days"].to_dict() == summary["var_backtest_days"].to_dict()
    assert var["exceptions"].to_dict() == summary["var_backtest_exceptions"].to_dict()
    # settlement attempts and fails by market and reason add up to the run's totals
    fails = ds.sql("select run, sum(fails) as fails from settlement_fails group by run order by run").set_index("run")
    attempts = ds.sql("select run, sum(a) as attempts from (select distinct run, market, currency, attempts as a "
                      "from settlement_fails) group by run order by run").set_index("run")
    assert fails["fails"].to_dict() == summary["settlement_failed"].to_dict()
    assert attempts["attempts"].to_dict() == summary["settlement_attempts"].to_dict()
    assert summary["settlement_failed"].sum() > 0  # a 20% fail rate: the view has something to count
    reasons = set(ds.sql("select distinct fail_reason from settlement_fails where fails > 0")["fail_reason"])
    assert reasons and reasons <= {"LACK_OF_SECURITIES", "ON_HOLD", "LATE_MATCHING"}
    # breaks by kind equal the summary's per-kind counts
    breaks = ds.sql("select * from breaks_by_kind")
    for r in breaks.itertuples():
        assert r.breaks == summary.loc[r.run, f"breaks_{r.kind.lower()}"]
    assert breaks.groupby("run")["breaks"].sum().to_dict() == summary["n_breaks"][summary["n_breaks"] > 0].to_dict()
    with pytest.raises(TypeError, match="'query' parameter of sql"):
        ds.sql(42)


def test_memory_filesystem_study_with_sql(study):
    """fsspec's memory filesystem stands for an object store: the same writes, reads and SQL."""
    pytest.importorskip("duckdb")
    url = "memory://tradeflow-test/study"
    summary = run_many(tiny(days=2), n_runs=2, seed=ROOT, executor="sequential", progress=False, store=url)
    ds = open_runs(url)
    assert ds.run_ids == [0, 1]
    local = open_runs(study[0])
    for name in ("fills", "risk", "breaks", "runs"):
        mem = ds.frame(name, runs=[0, 1]).drop(columns=VOLATILE, errors="ignore")
        loc = local.frame(name, runs=[0, 1]).drop(columns=VOLATILE, errors="ignore")
        pd.testing.assert_frame_equal(mem, loc, obj=name)
    n = ds.sql("select run, count(*) as n from fills group by run order by run").set_index("run")["n"]
    assert n.to_dict() == summary["n_fills"].to_dict()
    pd.testing.assert_frame_equal(read_summary(url), summary)


# --------------------------------------------------------------------------- foreign readers
def test_duckdb_and_polars_read_labels_without_tradeflow(study):
    pytest.importorskip("duckdb")
    pytest.importorskip("polars")
    path, summary = study
    code = textwrap.dedent(f"""
        import json, sys
        import duckdb, polars as pl
        root = {str(path)!r}
        con = duckdb.connect()
        rows = con.sql(f"select run, side, count(*) from read_parquet('{{root}}/fills/*/part-0.parquet', "
                       f"hive_partitioning = true) group by all order by all").fetchall()
        kinds = con.sql(f"select distinct status from read_parquet('{{root}}/settlements/*/*.parquet', "
                        f"hive_partitioning = true)").fetchall()
        lf = pl.scan_parquet(f"{{root}}/fills/*/part-0.parquet", hive_partitioning=True)
        pol = (lf.group_by(["run", "side"]).agg(pl.len().alias("n")).sort(["run", "side"])
               .with_columns(pl.col("side").cast(pl.String)).collect())
        assert "tradeflow" not in sys.modules
        print(json.dumps({{"duckdb": rows, "status": sorted(k[0] for k in kinds),
                          "polars": pol.rows(), "dtype": str(lf.collect_schema()["side"])}}))
    """)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, env=env,
                         cwd=path.parent, timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    fills = open_runs(path).frame("fills")
    counts = fills.groupby(["run", "side"], observed=True).size()
    want = sorted([int(r), str(s), int(n)] for (r, s), n in counts.items())
    assert sorted(got["duckdb"]) == want
    assert sorted(got["polars"]) == want
    assert set(got["status"]) <= {"PENDING", "SETTLED", "PARTIALLY_SETTLED", "FAILED", "BOUGHT_IN"}
    assert "Categorical" in got["dtype"] or "Enum" in got["dtype"]


# --------------------------------------------------------------------------- resuming a killed study
def test_a_killed_study_resumes_with_each_run_exactly_once(tmp_path):
    store = tmp_path / "study"
    n_runs = 8
    code = textwrap.dedent(f"""
        import tradeflow
        from tests.test_dataset import tiny
        tradeflow.run_many(tiny(), n_runs={n_runs}, seed={ROOT}, executor="sequential", progress=False,
                           store={str(store)!r})
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO), "NUMBA_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    commits = store / "runs"
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if commits.is_dir() and len(list(commits.glob("run=*/part-0.parquet"))) >= 2:
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # no cleanup, no summary: as a lost driver
        proc.wait()
    done_before = open_runs(store).run_ids
    assert len(done_before) >= 2, proc.stderr.read().decode()[-2000:]
    killed = proc.returncode == -signal.SIGKILL
    summary = run_many(tiny(), n_runs=n_runs, seed=ROOT, executor="sequential", progress=False, store=store,
                       resume=True)
    ds = open_runs(store)
    assert ds.run_ids == list(range(n_runs))
    assert (summary["status"] == "ok").all()
    # exactly once: one commit and one file per table per run, and each run's rows counted once
    for table in ("runs", "fills", "orders"):
        assert sorted(p.parent.name for p in (store / table).glob("run=*/*.parquet")) == \
            sorted(f"run={k}" for k in range(n_runs))
    assert not list(store.glob("*/run=*/.part-0.parquet.tmp-*"))  # nothing staged left behind
    counts = ds.frame("fills", columns=["run"]).groupby("run").size()
    assert counts.to_dict() == summary["n_fills"].to_dict()
    once = ds.sql("select run, count(*) as n from runs group by run") if _has_duckdb() else None
    if once is not None:
        assert (once["n"] == 1).all()
    # the runs kept from before the kill were not rerun; the result is the one a fresh run gives
    if killed:
        rows = ds.rows()
        for k in done_before:
            assert summary.loc[k, "elapsed_s"] == rows[k]["elapsed_s"]
    k = n_runs - 1
    pd.testing.assert_frame_equal(ds.run_frame("fills", k), tradeflow.simulate(tiny(), seed=run_seed(ROOT, k)).fills)


def test_the_runs_index_holds_every_committed_run_and_newer_runs_are_read_from_their_files(tmp_path, study):
    path, summary = study
    index = path / "_runs_index.parquet"
    assert index.is_file()  # written when the study ended
    with_index = open_runs(path)
    moved = tmp_path / "index.parquet"
    os.replace(index, moved)
    try:
        without = open_runs(path)  # every run read from its own commit file
    finally:
        os.replace(moved, index)
    pd.testing.assert_frame_equal(with_index.runs, without.runs)
    assert with_index.rows() == without.rows()
    # a run committed after the index was written (a resumed or extended study) is read from its file;
    # a run the index holds but whose commit is gone is not shown
    copy = tmp_path / "copy"
    import shutil
    shutil.copytree(path, copy)
    row = {k: v for k, v in with_index.rows()[0].items() if k != "run"}
    write_run(tradeflow.simulate(tiny(days=2), seed=3), copy, 9, stats={**row, "n_fills": -1})
    shutil.rmtree(copy / "runs" / "run=1")
    ds = open_runs(copy)
    assert ds.run_ids == [0, 2, 3, 9]
    assert ds.rows()[9]["n_fills"] == -1
    pd.testing.assert_frame_equal(ds.runs.loc[[0, 2, 3]], with_index.runs.loc[[0, 2, 3]], check_like=True)
    assert ds.write_index().endswith("_runs_index.parquet")
    assert open_runs(copy).run_ids == [0, 2, 3, 9]


def _has_duckdb() -> bool:
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return False
    return True


def test_a_run_that_died_mid_write_is_invisible_then_rewritten(tmp_path, two_day_run):
    store = tmp_path / "ds"
    write_run(two_day_run, store, 0)
    # run 1 died after some of its tables landed, before its commit
    (store / "fills" / "run=1").mkdir(parents=True)
    (store / "fills" / "run=0" / "part-0.parquet").rename(store / "fills" / "run=1" / "part-0.parquet")
    (store / "orders" / "run=1").mkdir(parents=True)
    (store / "orders" / "run=1" / ".part-0.parquet.tmp-abc123").write_bytes(b"half")
    write_run(two_day_run, store, 0)  # run 0 rewritten in place: still once
    ds = open_runs(store)
    assert ds.run_ids == [0]
    assert set(ds.frame("fills", columns=["run"])["run"]) == {0}  # the uncommitted run is not read
    write_run(two_day_run, store, 1)
    ds = open_runs(store)
    assert ds.run_ids == [0, 1]
    assert not (store / "orders" / "run=1" / ".part-0.parquet.tmp-abc123").exists()
    pd.testing.assert_frame_equal(ds.run_frame("orders", 1), two_day_run.orders)


# --------------------------------------------------------------------------- local vs Dask
def test_dask_workers_write_the_same_dataset_as_sequential(tmp_path, study):
    distributed = pytest.importorskip("distributed")
    path, summary = study
    # worker threads in this process (warm already: worker processes would compile numba's kernels again);
    # the runs still go through the scheduler and the Dask backend, and the workers write the dataset
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        on_dask = run_many(tiny(days=2), n_runs=4, seed=ROOT, executor=client, progress=False,
                           store=tmp_path / "dask", warm=False)
    pd.testing.assert_frame_equal(on_dask.drop(columns=VOLATILE, errors="ignore"),
                                  summary.drop(columns=VOLATILE, errors="ignore"))
    a, b = open_runs(path), open_runs(tmp_path / "dask")
    assert a.tables == b.tables
    for name in a.tables:
        pd.testing.assert_frame_equal(a.frame(name).drop(columns=VOLATILE, errors="ignore"),
                                      b.frame(name).drop(columns=VOLATILE, errors="ignore"), obj=name)
    assert b.runs["store"].tolist() == [f"{tmp_path / 'dask'}/runs/run={k}/part-0.parquet" for k in range(4)]


# --------------------------------------------------------------------------- bad input
def test_bad_paths_foreign_files_and_mixed_versions_are_named(tmp_path, two_day_run):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        open_runs(tmp_path / "nowhere")
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        open_runs(tmp_path / "a_file")
    with pytest.raises(ValueError, match="'store' of run_many must be a directory"):
        run_many(tiny(), n_runs=1, executor="sequential", progress=False, store=tmp_path / "a_file")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.csv").write_text("x")
    with pytest.raises(ValueError, match="not a tradeflow runs dataset"):
        open_runs(tmp_path / "other")
    with pytest.raises(ValueError, match="holds other files"):
        run_many(tiny(), n_runs=1, executor="sequential", progress=False, store=tmp_path / "other")
    with pytest.raises(ValueError, match="'store' parameter of run_many must be a path"):
        run_many(tiny(), n_runs=1, executor="sequential", progress=False, store=42)
    with pytest.raises(ValueError, match="'run' parameter of write_run"):
        write_run(two_day_run, tmp_path / "ds", -1)

    store = tmp_path / "ds"
    write_run(two_day_run, store, 0)
    write_run(two_day_run, store, 1)
    ds = open_runs(store)
    with pytest.raises(ValueError, match="'table' parameter must be one of"):
        ds.frame("fillz")
    with pytest.raises(ValueError, match="'run' parameter must be a committed run"):
        ds.run_frame("fills", 9)
    # foreign files, named
    (store / "fills" / "run=1" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"not part of a tradeflow runs dataset: \['fills/run=1/notes.txt'\]"):
        open_runs(store)
    (store / "fills" / "run=1" / "notes.txt").unlink()
    (store / "scratch").mkdir()
    (store / "scratch" / "x.parquet").write_bytes(b"")
    with pytest.raises(ValueError, match="scratch/x.parquet"):
        open_runs(store)
    (store / "scratch" / "x.parquet").unlink()
    (store / "scratch").rmdir()
    # mixed versions: run 1's commit says another tradeflow wrote it
    import pyarrow.parquet as pq
    commit = store / "runs" / "run=1" / "part-0.parquet"
    t = pq.read_table(commit)
    t = t.set_column(t.schema.get_field_index("tradeflow_version"), "tradeflow_version", pa.array(["0.0.1"]))
    pq.write_table(t, commit)
    with pytest.raises(ValueError, match=r"mixes tradeflow versions \['0.0.1', '[^']+'\]"):
        open_runs(store)
    assert open_runs(store, allow_mixed_versions=True).run_ids == [0, 1]
    # a dataset another tradeflow version created is not written into
    marker = store / "_tradeflow_dataset.json"
    meta = json.loads(marker.read_text())
    marker.write_text(json.dumps({**meta, "tradeflow_version": "0.0.1"}))
    with pytest.raises(ValueError, match="written by tradeflow 0.0.1"):
        run_many(tiny(), n_runs=1, executor="sequential", progress=False, store=store, resume=True)
    marker.write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(ValueError, match="format version 99, newer"):
        open_runs(store)
