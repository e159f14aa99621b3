"""The Parquet run store: identical round trip, atomic writes."""

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


def test_interrupted_write_leaves_the_previous_store(two_day_run, tmp_path, monkeypatch):
    path = tmp_path / "run"
    two_day_run.to_parquet(path)
    other = tradeflow.simulate(small_config(500), seed=1)
    import pyarrow.parquet as pq
    real, calls = pq.write_table, []

    def crash(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt("power cut")  # mid-write, after some files landed
        return real(*args, **kwargs)

    monkeypatch.setattr(pq, "write_table", crash)
    with pytest.raises(KeyboardInterrupt):
        other.to_parquet(path)
    monkeypatch.undo()
    back = RunResult.from_parquet(path)  # still the first run, whole
    pd.testing.assert_frame_equal(back.fills, two_day_run.fills)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary left behind


def test_a_half_written_directory_does_not_load(tmp_path):
    half = tmp_path / "half"
    (half / "records").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="not a tradeflow run store"):
        RunResult.from_parquet(half)
