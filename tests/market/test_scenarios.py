"""Scenario returns: drawn from the market's correlated model, or a user's history validated."""

import numpy as np
import pandas as pd
import pytest

from tradeflow.config import InstrumentConfig, MarketConfig
from tradeflow.market.paths import TRADING_DAYS_PER_YEAR
from tradeflow.market.scenarios import scenarios_from_frame, simulate_scenarios


def test_simulated_scenarios_follow_the_configured_vols_and_correlation():
    cfg = MarketConfig(instruments=(InstrumentConfig(symbol="A", volatility=0.2),
                                    InstrumentConfig(symbol="B", volatility=0.4)), correlation=0.6)
    r = simulate_scenarios(cfg, np.random.default_rng(0), 100_000)
    assert r.shape == (2, 100_000)
    logr = np.log1p(r)
    np.testing.assert_allclose(logr.std(axis=1) * np.sqrt(TRADING_DAYS_PER_YEAR), [0.2, 0.4], rtol=0.01)
    assert np.corrcoef(logr)[0, 1] == pytest.approx(0.6, abs=0.01)
    again = simulate_scenarios(cfg, np.random.default_rng(0), 100_000)
    np.testing.assert_array_equal(r, again)
    with pytest.raises(ValueError, match="'n_scenarios'"):
        simulate_scenarios(cfg, np.random.default_rng(0), 0)


def test_user_scenarios_are_aligned_and_validated():
    df = pd.DataFrame({"B": [0.01, -0.02], "A": [0.0, 0.03], "X": [9.0, 9.0]})
    out = scenarios_from_frame(df, ["A", "B", "OPT"], optional=("OPT",))
    np.testing.assert_array_equal(out, [[0.0, 0.03], [0.01, -0.02], [0.0, 0.0]])
    with pytest.raises(ValueError, match="no column"):
        scenarios_from_frame(df, ["A", "C"])
    with pytest.raises(ValueError, match="> -1"):
        scenarios_from_frame(pd.DataFrame({"A": [0.1, -1.0]}), ["A"])
    with pytest.raises(ValueError, match="no rows"):
        scenarios_from_frame(pd.DataFrame({"A": []}), ["A"])
