"""Options: Black-Scholes against an independent integral, the instrument table, and a desk-day with options."""

import numpy as np
import pytest
from scipy import integrate, stats

import tradeflow
from tests.test_invariants import check_invariants
from tradeflow.config import InstrumentConfig, MarketConfig, OptionConfig
from tradeflow.market import instrument_table, simulate_market
from tradeflow.market.options import black_scholes


@pytest.mark.parametrize("spot,strike,t,vol", [(100, 100, 1.0, 0.2), (90, 110, 0.25, 0.35), (120, 80, 0.05, 0.5)])
@pytest.mark.parametrize("is_call", [True, False])
def test_black_scholes_matches_the_risk_neutral_integral(spot, strike, t, vol, is_call):
    # E[payoff] under a lognormal terminal price with zero rates, by quadrature
    dist = stats.lognorm(s=vol * np.sqrt(t), scale=spot * np.exp(-0.5 * vol**2 * t))
    payoff = (lambda x: max(x - strike, 0.0)) if is_call else (lambda x: max(strike - x, 0.0))
    expected, _ = integrate.quad(lambda x: payoff(x) * dist.pdf(x), 0, dist.ppf(1 - 1e-12), limit=200,
                                 points=[strike])
    assert float(black_scholes(np.array(float(spot)), strike, np.array(t), vol, is_call)) == pytest.approx(
        expected, rel=1e-6, abs=1e-8)


def test_put_call_parity_and_expiry():
    s = np.linspace(50, 150, 11)
    c = black_scholes(s, 100.0, np.full(11, 0.5), 0.3, True)
    p = black_scholes(s, 100.0, np.full(11, 0.5), 0.3, False)
    np.testing.assert_allclose(c - p, s - 100.0, atol=1e-10)
    np.testing.assert_allclose(black_scholes(s, 100.0, np.zeros(11), 0.3, True), np.maximum(s - 100, 0))


def _cfg():
    return MarketConfig(
        instruments=(InstrumentConfig(symbol="A", price=100.0), InstrumentConfig(symbol="B", price=50.0)),
        fx_rates=(), options=(OptionConfig(symbol="A_C100", underlying="A", strike=100.0, expiry="2026-12-18"),
                              OptionConfig(symbol="B_P45", underlying="B", strike=45.0, expiry="2026-12-18",
                                           kind="put", volatility=0.4)))


def test_instrument_table_has_option_columns():
    t = instrument_table(_cfg())
    assert list(t["asset_class"]) == ["equity", "equity", "option", "option"]
    assert list(t["underlying"]) == [-1, -1, 0, 1] and list(t["call_put"]) == ["", "", "C", "P"]
    assert t["strike"].iloc[2] == 100.0 and np.isnan(t["strike"].iloc[0])
    assert t["expiry"].iloc[3] == int(np.datetime64("2026-12-18", "D").astype(np.int64))
    assert t["volatility"].iloc[2] == 0.25 and t["volatility"].iloc[3] == 0.4


def test_option_mids_follow_the_underlying():
    m = simulate_market(_cfg(), np.random.default_rng(0))
    assert m.mid.shape[0] == 4
    expiry_ns = int(np.datetime64("2026-12-18", "D").astype(np.int64)) * 86_400 * 10**9 + _cfg().session_close_ns
    t = (expiry_ns - m.times) / (365 * 86_400 * 1e9)
    np.testing.assert_allclose(m.mid[2], np.maximum(black_scholes(m.mid[0], 100.0, t, 0.25, True), 0.01))


def test_bad_options_raise():
    with pytest.raises(ValueError, match="options"):
        MarketConfig(options=(OptionConfig(symbol="X", underlying="NOPE", strike=1.0, expiry="2026-12-18"),))
    with pytest.raises(ValueError, match="kind"):
        OptionConfig(symbol="X", underlying="AAPL", strike=1.0, expiry="2026-12-18", kind="straddle")


def test_desk_day_with_options_keeps_invariants():
    cfg = tradeflow.SimulationConfig.from_dict({
        "flow": {"orders_per_day": 3_000},
        "market": {"options": [{"symbol": "AAPL_C230", "underlying": "AAPL", "strike": 230.0,
                                "expiry": "2026-12-18"}]}})
    r = tradeflow.simulate(cfg, seed=1)
    check_invariants(r)
    assert (r.orders["instrument"] == "AAPL_C230").sum() > 0
