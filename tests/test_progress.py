"""Progress bars: on when asked (or on a terminal), off otherwise, never changing what is iterated."""

import sys

import pandas as pd
import pytest

import tradeflow
from tests.conftest import small_config
from tradeflow.progress import progress, progress_enabled

tqdm = pytest.importorskip("tqdm")


def test_off_returns_the_iterable_itself(monkeypatch):
    monkeypatch.delenv("TRADEFLOW_PROGRESS", raising=False)
    items = [1, 2, 3]
    assert progress(items, show=False) is items


def test_on_wraps_in_tqdm_and_keeps_the_items(capsys):
    bar = progress(range(5), desc="days", show=True)
    assert isinstance(bar, tqdm.tqdm)
    assert list(bar) == [0, 1, 2, 3, 4]
    assert "days" in capsys.readouterr().err


@pytest.mark.parametrize(("env", "show", "expected"), [
    ("0", None, False), ("off", None, False), ("1", None, True), ("", None, None), ("0", True, True),
    ("1", False, False)])
def test_environment_switch(monkeypatch, env, show, expected):
    monkeypatch.setenv("TRADEFLOW_PROGRESS", env)
    assert progress_enabled(show) is expected


def test_auto_mode_is_silent_when_not_a_terminal(monkeypatch, capsys):
    monkeypatch.delenv("TRADEFLOW_PROGRESS", raising=False)
    assert list(progress(range(3), desc="quiet")) == [0, 1, 2]  # pytest's captured stderr is no tty
    assert "quiet" not in capsys.readouterr().err


def test_without_tqdm_the_iterable_comes_back(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    items = (1, 2)
    assert progress(items, show=True) is items


def test_simulate_shows_days_and_the_bar_changes_nothing(capsys):
    cfg = small_config(800, days=3)
    with_bar = tradeflow.simulate(cfg, seed=2, progress=True)
    assert "desk-days" in capsys.readouterr().err
    without = tradeflow.simulate(cfg, seed=2, progress=False)
    assert "desk-days" not in capsys.readouterr().err
    for name in ("orders", "fills", "pnl", "settlements", "ledger"):
        pd.testing.assert_frame_equal(getattr(with_bar, name), getattr(without, name))


def test_a_non_bool_switch_is_refused():
    with pytest.raises(ValueError, match="'progress' parameter must be True, False or None. Got 'yes'"):
        tradeflow.simulate(small_config(200), seed=0, progress="yes")


def test_no_bar_below_min_items(capsys):
    assert progress([1], show=True, min_items=2) == [1]
    assert list(progress([1, 2], desc="two", show=True, min_items=2)) == [1, 2]
    assert "two" in capsys.readouterr().err
