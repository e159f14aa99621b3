"""Stress tests against hand revaluation."""

import numpy as np
import pandas as pd
import pytest

from tradeflow.middle import HISTORICAL_SCENARIOS, Shock, bsm_price, instrument_risk, stress_test
from tradeflow.middle.instruments import NS_PER_YEAR

TABLE = pd.DataFrame({"symbol": ["US", "EU", "US_C"], "asset_class": ["equity", "equity", "option"],
                      "currency_id": [0, 1, 0], "multiplier": [1.0, 1.0, 100.0], "volatility": [0.2, 0.2, 0.3],
                      "underlying": [0, 1, 0], "strike": [np.nan, np.nan, 100.0],
                      "expiry": [0, 0, NS_PER_YEAR], "call_put": ["", "", "C"]})


def test_linear_and_fx_shocks_per_book():
    inst = instrument_risk(TABLE, risk_free_rate=0.01)
    pos = np.array([[1_000, 0, 0], [0, 500, 0]])
    marks = np.array([100.0, 50.0, 8.0])
    fx = np.array([1.0, 1.1])
    out = stress_test(pos, inst, marks, fx, ["USD", "EUR"], ts=0,
                      shocks=[Shock(name="eq", equity=-0.2), Shock(name="fx", fx={"EUR": -0.1}),
                              Shock(name="both", equity={"EU": 0.1}, fx={"EUR": 0.1})],
                      symbols=list(TABLE["symbol"]))
    assert out.loc["eq", 0] == pytest.approx(-0.2 * 100_000)
    assert out.loc["eq", 1] == pytest.approx(-0.2 * 500 * 50 * 1.1)
    assert out.loc["fx", 0] == 0.0 and out.loc["fx", 1] == pytest.approx(500 * 50 * 1.1 * -0.1)
    assert out.loc["both", 1] == pytest.approx(500 * 50 * (1.1 * 1.1 * 1.1 - 1.1))
    assert (out["desk"] == out[0] + out[1]).all()


def test_options_are_fully_revalued_under_vol_and_spot_shocks():
    inst = instrument_risk(TABLE, risk_free_rate=0.01)
    pos = np.array([[0, 0, 10]])
    marks = np.array([100.0, 50.0, 8.0])
    out = stress_test(pos, inst, marks, np.array([1.0, 1.1]), ["USD", "EUR"], ts=0,
                      shocks=[Shock(name="vol", vol_points=10.0), "2020-03-16 COVID"])
    base = bsm_price(100.0, 100.0, 1.0, 0.3, 0.01)
    assert out.loc["vol", 0] == pytest.approx(1_000 * (bsm_price(100.0, 100.0, 1.0, 0.4, 0.01) - base))
    covid = HISTORICAL_SCENARIOS["2020-03-16 COVID"]
    shocked = bsm_price(100.0 * (1 + covid.equity), 100.0, 1.0, 0.3 + covid.vol_points / 100, 0.01)
    assert out.loc["2020-03-16 COVID", 0] == pytest.approx(1_000 * (shocked - base))
    with pytest.raises(ValueError, match="unknown historical scenario"):
        stress_test(pos, inst, marks, np.array([1.0, 1.1]), ["USD", "EUR"], ts=0, shocks=["nope"])
    default = stress_test(pos, inst, marks, np.array([1.0, 1.1]), ["USD", "EUR"], ts=0)
    assert "equity -20%" in default.index and "1987-10-19 Black Monday" in default.index


def test_option_columns_are_read_under_their_usual_names():
    alt = pd.DataFrame({"symbol": ["U", "U_C", "U_P"], "asset_class": ["equity", "option", "option"],
                        "underlying_symbol": ["", "U", "U"], "strike_price": [np.nan, 90.0, 110.0],
                        "expiry_date": [pd.NaT, pd.Timestamp("2027-01-15"), pd.Timestamp("2027-01-15", tz="UTC")],
                        "is_call": [False, True, False], "implied_vol": [np.nan, 0.2, 0.3], "volatility": [0.25] * 3})
    inst = instrument_risk(alt)
    assert inst.is_option.tolist() == [False, True, True]
    assert inst.underlying.tolist() == [0, 0, 0] and inst.strike[1:].tolist() == [90.0, 110.0]
    assert inst.call_put[1:].tolist() == [1.0, -1.0] and inst.vol[1:].tolist() == [0.2, 0.3]
    assert inst.expiry_ns[1] == pd.Timestamp("2027-01-15", tz="UTC").value == inst.expiry_ns[2]
    with pytest.raises(ValueError, match="'strike'"):
        instrument_risk(alt.drop(columns=["strike_price"]))
    with pytest.raises(ValueError, match="underlying"):
        instrument_risk(alt.assign(underlying_symbol=["", "U_P", "U"]))
