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


def test_fx_scenarios_follow_the_pair_vols_and_leave_instrument_scenarios_alone():
    from tradeflow.config import FxRateConfig
    from tradeflow.market.scenarios import simulate_fx_scenarios
    cfg = MarketConfig(instruments=(InstrumentConfig(symbol="A"), InstrumentConfig(symbol="E", currency="EUR"),
                                    InstrumentConfig(symbol="G", currency="GBP")),
                       fx_rates=(FxRateConfig(pair="EURUSD", rate=1.1, volatility=0.08),
                                 FxRateConfig(pair="USDGBP", rate=0.8, volatility=0.12)))
    rng = np.random.default_rng(4)
    r = simulate_scenarios(cfg, rng, 100_000)
    f = simulate_fx_scenarios(cfg, rng, 100_000)
    assert f.shape == (3, 100_000) and cfg.currencies == ("USD", "EUR", "GBP")
    assert np.all(f[0] == 0.0)
    logf = np.log1p(f)
    np.testing.assert_allclose(logf[1:].std(axis=1) * np.sqrt(TRADING_DAYS_PER_YEAR), [0.08, 0.12], rtol=0.01)
    # EURUSD is the dollar value of a euro (mean -sigma^2/2 dt); a pound is worth 1 / USDGBP (+sigma^2/2 dt)
    dt = 1 / TRADING_DAYS_PER_YEAR
    assert logf[1].mean() == pytest.approx(-0.5 * 0.08**2 * dt, abs=4 * 0.08 * np.sqrt(dt / 100_000))
    assert logf[2].mean() == pytest.approx(0.5 * 0.12**2 * dt, abs=4 * 0.12 * np.sqrt(dt / 100_000))
    assert abs(np.corrcoef(logf[1:])[0, 1]) < 0.02  # independent pairs, as the market simulates them
    # drawing FX after the instruments does not move the instruments' scenarios
    np.testing.assert_array_equal(r, simulate_scenarios(cfg, np.random.default_rng(4), 100_000))
    with pytest.raises(ValueError, match="'n_scenarios'"):
        simulate_fx_scenarios(cfg, rng, 0)


def test_user_fx_scenarios_by_currency_or_pair():
    from tradeflow.market.scenarios import fx_scenarios_from_frame
    df = pd.DataFrame({"EUR": [0.01, -0.02], "USDJPY": [0.25, -0.2], "X": [9.0, 9.0]})
    out = fx_scenarios_from_frame(df, ["USD", "EUR", "JPY"])
    np.testing.assert_allclose(out, [[0.0, 0.0], [0.01, -0.02], [-0.2, 0.25]])
    np.testing.assert_array_equal(fx_scenarios_from_frame(pd.DataFrame({"EURUSD": [0.03]}), ["USD", "EUR"]),
                                  [[0.0], [0.03]])
    with pytest.raises(ValueError, match=r"no column for currency\(ies\) \['JPY'\]"):
        fx_scenarios_from_frame(df[["EUR"]], ["USD", "EUR", "JPY"])
    with pytest.raises(ValueError, match="one row per scenario"):
        fx_scenarios_from_frame(df, ["USD", "EUR"], n_scenarios=3)
    with pytest.raises(ValueError, match="> -1"):
        fx_scenarios_from_frame(pd.DataFrame({"EUR": [0.1, -1.0]}), ["USD", "EUR"])
    with pytest.raises(ValueError, match="DataFrame"):
        fx_scenarios_from_frame(np.zeros((2, 2)), ["USD", "EUR"])
