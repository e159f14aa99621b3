"""What users should know goes to logging.getLogger("tradeflow"); questionable requests warn."""

from __future__ import annotations

import logging
import warnings

import pytest

import tradeflow
from tests.conftest import small_config
from tradeflow.middle.backtest import traffic_light


def test_session_rerun_after_a_buffer_overflow_is_logged(monkeypatch, caplog):
    from tradeflow import session

    cfg = small_config(1_500)
    want = tradeflow.simulate(cfg, seed=3)
    monkeypatch.setattr(session, "_EXEC_ROOM_PER_ORDER", 0)  # room for 64 executions: the session must rerun
    with caplog.at_level(logging.INFO, logger="tradeflow"):
        got = tradeflow.simulate(cfg, seed=3)
    reruns = [r for r in caplog.records if r.name == "tradeflow.session" and "rerun" in r.getMessage()]
    assert reruns and reruns[0].levelno == logging.INFO
    assert (got.records["fills"] == want.records["fills"]).all()  # the rerun changes nothing but the time


def test_short_traffic_light_warns_and_long_one_does_not():
    with pytest.warns(tradeflow.TradeflowWarning, match="20 days"):
        traffic_light(1, 20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert traffic_light(1, 250) == "green"


def test_library_logger_is_silent_by_default():
    assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("tradeflow").handlers)
