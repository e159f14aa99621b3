"""The Parquet run store: identical round trip, atomic writes."""

import os

import numpy as np
import pandas as pd
import pytest

import tradeflow
from tests.conftest import small_config
from tradeflow.results import RunResult

pytest.importorskip("pyarrow")

TABLES = ("orders", "order_events", "fills", "positions", "eod_positions", "pnl", "settlements", "ledger",
          "breaks")


@pytest.fixture(scope="module")
def two_day_run():
    return tradeflow.simulate(small_config(1_500, days=2), seed=9)


def test_round_trip_gives_identical_frames(two_day_run, tmp_path):
    path = two_day_run.to_parquet(tmp_path / "run")
    back = RunResult.from_parquet(path)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(two_day_run, name), getattr(back, name), obj=name)
    assert back.config == two_day_run.config and back.seed == two_day_run.seed
    np.testing.assert_array_equal(back.trade_dates, two_day_run.trade_dates)
    pd.testing.assert_frame_equal(back.prices("ask"), two_day_run.prices("ask"))
    assert back.summary() == two_day_run.summary()
    # every record kind, including ones added after the store was written, round-trips exactly
    assert back.records.keys() == two_day_run.records.keys()
    for name, rec in two_day_run.records.items():
        assert back.records[name].dtype == rec.dtype, name
        for f in rec.dtype.names:
            np.testing.assert_array_equal(back.records[name][f], rec[f], err_msg=f"{name}.{f}")


def _n_parquet_files(result):
    return len(result.records) + 3  # one per record kind, plus instruments, quotes and FX of the market


@pytest.mark.parametrize("crash_at", [1, 4, "last"])
def test_interrupted_write_leaves_the_previous_store(two_day_run, tmp_path, monkeypatch, crash_at):
    path = tmp_path / "run"
    two_day_run.to_parquet(path)
    other = tradeflow.simulate(small_config(500), seed=1)
    if crash_at == "last":
        crash_at = _n_parquet_files(other)
    import pyarrow.parquet as pq
    real, calls = pq.write_table, []

    def crash(*args, **kwargs):
        calls.append(1)
        if len(calls) == crash_at:
            raise KeyboardInterrupt("power cut")  # mid-write, after some files landed
        return real(*args, **kwargs)

    monkeypatch.setattr(pq, "write_table", crash)
    with pytest.raises(KeyboardInterrupt):
        other.to_parquet(path)
    monkeypatch.undo()
    assert len(calls) == crash_at
    back = RunResult.from_parquet(path)  # still the first run, whole
    pd.testing.assert_frame_equal(back.fills, two_day_run.fills)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary left behind


def test_a_store_has_one_parquet_file_per_table(two_day_run, tmp_path):
    # the parametrization above covers the first, a middle and the last Parquet file
    path = two_day_run.to_parquet(tmp_path / "run")
    assert len(list(path.rglob("*.parquet"))) == _n_parquet_files(two_day_run)


def test_crash_while_writing_meta_leaves_no_store(two_day_run, tmp_path, monkeypatch):
    from tradeflow import store

    def crash(path, data):
        raise OSError("disk full")

    monkeypatch.setattr(store, "_write_bytes", crash)
    with pytest.raises(OSError, match="disk full"):
        two_day_run.to_parquet(tmp_path / "run")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(FileNotFoundError):
        RunResult.from_parquet(tmp_path / "run")


def test_failure_between_the_renames_puts_the_previous_store_back(two_day_run, tmp_path, monkeypatch):
    from tradeflow import store
    path = tmp_path / "run"
    two_day_run.to_parquet(path)
    real = os.replace

    def replace(src, dst):
        if ".tmp-" in str(src):  # the new store's rename into place
            raise OSError("rename failed")
        return real(src, dst)

    monkeypatch.setattr(store.os, "replace", replace)
    with pytest.raises(OSError, match="rename failed"):
        tradeflow.simulate(small_config(500), seed=1).to_parquet(path)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(RunResult.from_parquet(path).orders, two_day_run.orders)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_refuses_to_replace_something_that_is_not_a_store(two_day_run, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "thesis.txt").write_text("irreplaceable")
    with pytest.raises(FileExistsError, match="not a tradeflow run store"):
        two_day_run.to_parquet(docs)
    assert (docs / "thesis.txt").read_text() == "irreplaceable"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert RunResult.from_parquet(two_day_run.to_parquet(empty)).seed == two_day_run.seed


def test_metadata_records_config_seed_version_and_rows(two_day_run, tmp_path):
    from tradeflow.store import FORMAT_VERSION, read_meta
    meta = read_meta(two_day_run.to_parquet(tmp_path / "run"))
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["tradeflow_version"] == tradeflow.__version__
    assert meta["seed"] == 9 and meta["config"] == two_day_run.config.to_dict()
    assert meta["rows"] == {k: len(v) for k, v in two_day_run.records.items()}


def test_a_missing_or_truncated_table_does_not_load(two_day_run, tmp_path):
    import pyarrow.parquet as pq
    path = two_day_run.to_parquet(tmp_path / "run")
    fills = path / "records" / "fills.parquet"
    table = pq.read_table(fills)
    pq.write_table(table.slice(0, table.num_rows // 2), fills)
    with pytest.raises(ValueError, match="damaged.*fills"):
        RunResult.from_parquet(path)
    fills.unlink()
    with pytest.raises(FileNotFoundError, match="incomplete.*fills"):
        RunResult.from_parquet(path)


def test_newer_format_is_refused(two_day_run, tmp_path):
    import json
    path = two_day_run.to_parquet(tmp_path / "run")
    meta = json.loads((path / "meta.json").read_text())
    meta["format_version"] = 99
    (path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="format 99 is newer"):
        RunResult.from_parquet(path)


def test_a_half_written_directory_does_not_load(tmp_path):
    half = tmp_path / "half"
    (half / "records").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="not a tradeflow run store"):
        RunResult.from_parquet(half)


def test_a_record_kind_the_reader_does_not_name_round_trips_exactly(two_day_run, tmp_path):
    """Records other rooms add (risk snapshots, breaches …) come back with their exact layout."""
    from tradeflow.schema import FILL_DT
    risk_dt = np.dtype([("ts", np.int64), ("book", np.int32), ("flag", np.int8), ("var_99", np.float64)], align=True)
    risk = np.zeros(5, dtype=risk_dt)
    risk["ts"], risk["book"], risk["flag"], risk["var_99"] = np.arange(5), [0, 1, 2, 3, 0], 1, np.linspace(1, 2, 5)
    records = {**two_day_run.records, "risk_snapshots": risk, "fills_copy": two_day_run.records["fills"]}
    extra = RunResult(config=two_day_run.config, seed=two_day_run.seed, market=two_day_run.market,
                      records=records, trade_dates=two_day_run.trade_dates)
    back = RunResult.from_parquet(extra.to_parquet(tmp_path / "run"))
    got = back.records["risk_snapshots"]
    assert got.dtype == risk_dt and got.dtype.itemsize == risk_dt.itemsize
    np.testing.assert_array_equal(got, risk)
    assert back.records["fills_copy"].dtype is FILL_DT  # recognised as the schema's own (aligned) dtype


def test_a_spawned_seed_is_recorded_and_reruns(tmp_path):
    child = np.random.SeedSequence(123).spawn(3)[2]
    r = tradeflow.simulate(small_config(300), seed=child)
    assert (r.seed, r.seed_spawn_key) == (123, (2,))
    assert "seed=123/2" in r.summary().splitlines()[0]
    again = tradeflow.simulate(small_config(300), seed=np.random.SeedSequence(r.seed, spawn_key=r.seed_spawn_key))
    pd.testing.assert_frame_equal(again.fills, r.fills)
    back = RunResult.from_parquet(r.to_parquet(tmp_path / "run"))
    assert back.seed_spawn_key == (2,)
