"""FX in historical VaR: foreign positions revalued in their currency, then converted at the scenario's rate."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import tradeflow
from tests.middle.test_risk_kernels import reference_var_es
from tradeflow.config import MarketConfig
from tradeflow.market.scenarios import simulate_fx_scenarios, simulate_scenarios
from tradeflow.middle import RiskEngine, RiskSetup
from tradeflow.middle import _risk_kernels as rk
from tradeflow.middle.instruments import NS_PER_YEAR, instrument_risk
from tradeflow.sim import STREAMS


def scipy_bsm(s, k, t, vol, r, q, cp):
    """Black-Scholes-Merton from scipy's normal CDF (independent of the kernels)."""
    d1 = (np.log(s / k) + (r - q + 0.5 * vol**2) * t) / (vol * np.sqrt(t))
    d2 = d1 - vol * np.sqrt(t)
    return cp * (s * np.exp(-q * t) * stats.norm.cdf(cp * d1) - k * np.exp(-r * t) * stats.norm.cdf(cp * d2))


TABLE = pd.DataFrame({"symbol": ["US", "EU", "EU2", "EU_C"], "asset_class": ["equity", "equity", "equity", "option"],
                      "currency": ["USD", "EUR", "EUR", "EUR"], "currency_id": [0, 1, 1, 1],
                      "multiplier": [1.0, 1.0, 1.0, 100.0],
                      "volatility": [0.2, 0.3, 0.3, 0.25], "underlying": ["", "", "", "EU"],
                      "strike": [np.nan, np.nan, np.nan, 52.0], "expiry": [0, 0, 0, NS_PER_YEAR // 2],
                      "call_put": ["", "", "", "C"]})
MARKS = np.array([100.0, 50.0, 50.0, 3.0])
FX_EUR = 1.1


@given(st.integers(0, 2**31), st.lists(st.integers(-500, 500), min_size=4, max_size=4))
def test_unit_scenario_pnl_with_fx_matches_an_independent_numpy_revaluation(seed, qty):
    rng = np.random.default_rng(seed)
    n = 50
    inst = instrument_risk(TABLE, risk_free_rate=0.03, dividend_yield=0.01)
    ret = rng.normal(0, 0.03, (4, n))
    fxr = np.vstack([np.zeros(n), rng.normal(0, 0.01, n)])
    unit = np.empty((4, n))
    rk.unit_scenario_pnl_nb(inst.asset_class, inst.underlying, inst.multiplier, inst.strike, inst.expiry_years(0),
                            inst.vol, inst.rate, inst.div_yield, inst.call_put, MARKS, ret, inst.currency_id, fxr,
                            1.0 / 365.0, 0.0, unit)
    fx = np.array([1.0, FX_EUR, FX_EUR, FX_EUR])
    f = fxr[[0, 1, 1, 1]]
    pnl = np.zeros(n)
    for i in range(3):  # linear: qty * multiplier * S * fx * ((1 + r)(1 + f) - 1)
        pnl += qty[i] * MARKS[i] * fx[i] * ((1 + ret[i]) * (1 + f[i]) - 1)
    t = 0.5 * 365 / 365
    v0 = scipy_bsm(MARKS[1], 52.0, t, 0.25, 0.03, 0.01, 1)
    v1 = scipy_bsm(MARKS[1] * (1 + ret[1]), 52.0, t - 1 / 365, 0.25, 0.03, 0.01, 1)
    pnl += qty[3] * 100.0 * FX_EUR * (v1 * (1 + f[3]) - v0)  # revalued in EUR, then converted
    np.testing.assert_allclose((np.array(qty) * fx) @ unit, pnl, rtol=1e-9, atol=1e-6)
    # with FX held (zero FX returns) a USD instrument's unit P&L is exactly multiplier * S * r
    rk.unit_row_nb(0, inst.asset_class, inst.underlying, inst.multiplier, inst.strike, inst.expiry_years(0),
                   inst.vol, inst.rate, inst.div_yield, inst.call_put, MARKS, ret, inst.currency_id,
                   np.zeros((2, n)), 1.0 / 365.0, 0.0, unit[0])
    np.testing.assert_array_equal(unit[0], MARKS[0] * ret[0])


def _engine(ret, fxr=None, n_books=3):
    return RiskEngine(TABLE.iloc[:3], marks=MARKS[:3], scenarios=ret, n_books=n_books, fx={"EUR": FX_EUR},
                      fx_scenarios=fxr)


def _fill(eng, book, sym, qty):
    eng.on_fills(pd.DataFrame({"ts": [0], "book": [book], "instrument": [sym], "side": [int(np.sign(qty))],
                               "qty": [abs(qty)], "price": [MARKS[["US", "EU", "EU2"].index(sym)]]}))


def test_a_pure_fx_exposure_and_a_hedged_one():
    rng = np.random.default_rng(7)
    n = 500
    f = rng.normal(0, 0.01, n)
    fxr = np.vstack([np.zeros(n), f])
    eng = _engine(np.zeros((3, n)), fxr)  # the equities never move: all risk is FX
    _fill(eng, 0, "US", 1_000)  # a USD position: no FX risk
    _fill(eng, 1, "EU", 1_000)  # an EUR position: FX risk only
    v = eng.var()
    assert v.loc[0, "var_1d"] == 0.0
    rv, re = reference_var_es(1_000 * 50.0 * FX_EUR * f, 0.99, 0.975)
    assert v.loc[1, "var_1d"] == pytest.approx(rv, rel=1e-12) and rv > 0
    assert v.loc[1, "es_1d"] == pytest.approx(re, rel=1e-12)
    # EU and EU2 move together: long one and short the same value of the other is flat in EUR and in
    # the equity move, so it has no risk at all; the long leg alone has equity and FX risk
    ret = np.zeros((3, n))
    ret[1] = ret[2] = rng.normal(0, 0.02, n)
    eng = _engine(ret, fxr)
    _fill(eng, 0, "EU", 1_000)
    _fill(eng, 0, "EU2", -1_000)
    _fill(eng, 1, "EU", 1_000)
    v = eng.var()
    assert v.loc[0, "var_1d"] == 0.0 and v.loc[0, "es_1d"] == 0.0
    assert v.loc[1, "var_1d"] == pytest.approx(
        reference_var_es(1_000 * 50.0 * FX_EUR * ((1 + ret[1]) * (1 + f) - 1), 0.99, 0.975)[0], rel=1e-9)
    # user scenarios without FX rows: FX held at its current rate, the EUR position has no FX risk
    held = _engine(np.zeros((3, n)))
    _fill(held, 1, "EU", 1_000)
    assert held.var().loc[1, "var_1d"] == 0.0


@given(st.integers(0, 2**31), st.lists(st.tuples(st.integers(0, 1), st.sampled_from(["US", "EU", "EU2"]),
                                                 st.integers(-2_000, 2_000).filter(bool)), min_size=1, max_size=20))
def test_engine_var_with_fx_equals_numpy_quantile_of_an_independent_pnl(seed, fills):
    rng = np.random.default_rng(seed)
    n = 250
    ret = rng.normal(0, 0.02, (3, n))
    f = rng.normal(0, 0.008, n)
    frame = pd.DataFrame(ret.T, columns=["US", "EU", "EU2"])
    # the FX history as a user would have it: EURUSD, the dollar value of one euro
    eng = RiskEngine(TABLE.iloc[:3], marks=MARKS[:3], scenarios=frame, n_books=2, fx={"EUR": FX_EUR},
                     fx_scenarios=pd.DataFrame({"EURUSD": f}))
    pos = np.zeros((2, 3))
    for b, sym, q in fills:
        _fill(eng, b, sym, q)
        pos[b, ["US", "EU", "EU2"].index(sym)] += q
    fx = np.array([1.0, FX_EUR, FX_EUR])
    fr = np.vstack([np.zeros(n), f, f])
    pnl = (pos * MARKS[:3] * fx) @ ((1 + ret) * (1 + fr) - 1)
    np.testing.assert_allclose(eng.book_scenario_pnl, pnl, rtol=1e-9, atol=1e-6)
    got = eng.var()
    for b in range(2):
        rv, re = reference_var_es(pnl[b], 0.99, 0.975)
        assert got.loc[b, "var_1d"] == pytest.approx(rv, rel=1e-9, abs=1e-6)
        assert got.loc[b, "es_1d"] == pytest.approx(re, rel=1e-9, abs=1e-6)
    rv, _ = reference_var_es(pnl.sum(axis=0), 0.99, 0.975)
    assert got.loc["desk", "var_1d"] == pytest.approx(rv, rel=1e-9, abs=1e-6)


def test_engine_fx_scenarios_validate():
    ret = np.zeros((3, 30))
    with pytest.raises(ValueError, match="'fx_scenarios'"):
        _engine(ret, np.zeros((3, 30)))
    with pytest.raises(ValueError, match="'fx_scenarios'"):
        _engine(ret, np.vstack([np.full(30, 0.01), np.zeros(30)]))  # the base currency cannot move
    with pytest.raises(ValueError, match="no column for currency"):
        _engine(ret, pd.DataFrame({"GBP": np.zeros(30)}))
    with pytest.raises(ValueError, match="one row per scenario"):
        _engine(ret, pd.DataFrame({"EUR": np.zeros(29)}))
    inverted = _engine(ret, pd.DataFrame({"USDEUR": np.full(30, 0.25)}))  # USD per EUR falls 20%
    np.testing.assert_allclose(inverted._fx_returns[1], -0.2)


def test_risk_setup_validates_fx_returns():
    cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": 200}})
    market = tradeflow.market.simulate_market(cfg.market, np.random.default_rng(0))
    ret = simulate_scenarios(cfg.market, np.random.default_rng(1), 30)
    with pytest.raises(ValueError, match="FX scenario returns must have shape"):
        RiskSetup.from_market(market, ret, cfg.risk, cfg.limits, fx_returns=np.zeros((1, 30)))
    with pytest.raises(ValueError, match="must be zero"):
        RiskSetup.from_market(market, ret, cfg.risk, cfg.limits, fx_returns=np.full((2, 30), 0.01))
    with pytest.raises(ValueError, match="> -1"):
        RiskSetup.from_market(market, ret, cfg.risk, cfg.limits, fx_returns=np.vstack([np.zeros(30), -np.ones(30)]))


def test_simulate_var_includes_fx_risk_of_foreign_books():
    """Each risk row's VaR is the numpy quantile of the book's P&L rebuilt from its fills, the day's
    scenarios (drawn as simulate draws them) and ((1 + r)(1 + f) - 1) at the snapshot's marks and FX."""
    cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": 3_000}, "pnl_interval_seconds": 3_600,
                                                "risk": {"n_scenarios": 250}})
    seed = 5
    r = tradeflow.simulate(cfg, seed=seed)
    child = np.random.SeedSequence(seed).spawn(len(STREAMS))[STREAMS.index("scenarios")]
    rng = np.random.default_rng(child)
    ret = simulate_scenarios(cfg.market, rng, 250)
    fxr = simulate_fx_scenarios(cfg.market, rng, 250)
    m = r.market
    ccy = m.instruments["currency_id"].to_numpy()
    assert set(ccy) == {0, 1}  # USD and EUR names
    fills, risk = r.records["fills"], r.records["risk"]
    checked = 0
    for row in risk[risk["book"] >= 0]:
        b, ts = int(row["book"]), int(row["ts"])
        t = int(m.step_of(np.array([ts]))[0])
        mine = fills[(fills["book"] == b) & (fills["ts"] <= ts)]
        pos = np.zeros(len(ccy))
        np.add.at(pos, mine["instrument"], mine["side"] * mine["qty"])
        pnl = (pos * m.mid[:, t] * m.fx[ccy, t]) @ ((1 + ret) * (1 + fxr[ccy]) - 1)
        rv, re = reference_var_es(pnl, cfg.risk.var_level, cfg.risk.es_level)
        assert row["var_1d"] == pytest.approx(rv, rel=1e-9, abs=1e-6)
        assert row["es_1d"] == pytest.approx(re, rel=1e-9, abs=1e-6)
        checked += 1
    assert checked == len(risk[risk["book"] >= 0]) > 0


def test_fx_returns_of_inverse_pairs():
    cfg = MarketConfig(base_currency="USD", fx_rates=(tradeflow.config.FxRateConfig(pair="EURUSD", rate=1.1,
                                                                                      volatility=0.1),))
    f = simulate_fx_scenarios(cfg, np.random.default_rng(3), 200_000)
    assert np.all(f[0] == 0.0)
    assert np.log1p(f[1]).std() * math.sqrt(252) == pytest.approx(0.1, rel=0.01)
    # the inverse quote: JPY in a JPY-priced market is worth 1 / USDJPY dollars
    jp = MarketConfig(instruments=(tradeflow.config.InstrumentConfig(symbol="T", currency="JPY"),),
                      fx_rates=(tradeflow.config.FxRateConfig(pair="USDJPY", rate=150.0, volatility=0.1),),
                      holidays={})
    g = simulate_fx_scenarios(jp, np.random.default_rng(3), 200_000)
    z = np.random.default_rng(3).standard_normal((1, 200_000))[0]
    np.testing.assert_allclose(np.log1p(g[1]), 0.5 * 0.01 / 252 - 0.1 * np.sqrt(1 / 252) * z, rtol=1e-9, atol=1e-12)
