"""The one Black-Scholes-Merton (tradeflow.core.pricing) against QuantLib, Greek by Greek, in documented units.

QuantLib's ``AnalyticEuropeanEngine`` on a ``BlackScholesMertonProcess`` (flat rate, dividend
yield and volatility, ACT/365) is the reference: prices and delta, gamma, vega (per 1.00 of
vol), theta (per year) and rho (per 1.00 of rate), including zero volatility, deep in/out of
the money and dividends. QuantLib treats an option at its expiry date as expired (worth 0), so
zero time is checked against its ``BlackCalculator`` with zero standard deviation instead.
QuantLib's zero-standard-deviation branch gives an out-of-the-money *put* a call's delta, theta
and rho while pricing it at 0 (a function that is 0 nearby has no such derivative): zero-vol
puts are checked against QuantLib at a volatility of 1e-10, the limit the formulas define.
"""

import itertools

import numpy as np
import pytest

from tradeflow.back import black_scholes_greeks
from tradeflow.core.pricing import bsm_greeks, bsm_price
from tradeflow.market.options import black_scholes
from tradeflow.middle import bsm_greeks as middle_bsm_greeks

ql = pytest.importorskip("QuantLib")

TODAY = ql.Date(15, 6, 2026)
DC = ql.Actual365Fixed()


def ql_option(s, k, days, vol, r, q, call):
    """Price and Greeks (raw units) from QuantLib for an option expiring ``days`` calendar days from today."""
    ql.Settings.instance().evaluationDate = TODAY
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(s)),
        ql.YieldTermStructureHandle(ql.FlatForward(TODAY, q, DC)),
        ql.YieldTermStructureHandle(ql.FlatForward(TODAY, r, DC)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(TODAY, ql.NullCalendar(), vol, DC)))
    option = ql.VanillaOption(ql.PlainVanillaPayoff(ql.Option.Call if call else ql.Option.Put, k),
                              ql.EuropeanExercise(TODAY + days))
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    return np.array([option.NPV(), option.delta(), option.gamma(), option.vega(), option.theta(), option.rho()])


SPOTS = [20.0, 80.0, 97.0, 100.0, 104.0, 125.0, 400.0]  # deep OTM/ITM both ways around a strike of 100
DAYS = [1, 30, 365, 1_500]
VOLS = [0.0, 0.05, 0.25, 0.9]
RATES = [0.0, 0.05, -0.005]
DIVS = [0.0, 0.03]


def _cases():
    for s, days, vol, r, q, call in itertools.product(SPOTS, DAYS, VOLS, RATES, DIVS, (True, False)):
        t = days / 365.0
        if vol == 0.0 and abs(s * np.exp(-q * t) - 100.0 * np.exp(-r * t)) < 1e-6:
            continue  # at the money forward with no vol: the kink, no derivative to compare
        yield s, days, vol, r, q, call


def test_prices_and_greeks_match_quantlib_everywhere():
    cases = list(_cases())
    s, days, vol, r, q, call = (np.array(c) for c in zip(*cases, strict=True))
    ours = bsm_greeks(s, 100.0, days / 365.0, vol, r, q, np.where(call, 1, -1)).to_numpy()
    ref = np.array([ql_option(c[0], 100.0, c[1], c[2] if (c[2] > 0 or c[5]) else 1e-10, *c[3:]) for c in cases])
    scale = np.array([100.0, 1.0, 0.1, 100.0, 100.0, 1000.0])  # typical size of each column
    bad = ~np.isclose(ours, ref, rtol=1e-9, atol=1e-10 * scale)
    assert not bad.any(), [(cases[i], ours[i], ref[i]) for i in np.flatnonzero(bad.any(axis=1))[:5]]
    # the prices agree too through the price-only entry point and the market's option pricer
    np.testing.assert_allclose(bsm_price(s, 100.0, days / 365.0, vol, r, q, np.where(call, 1, -1)), ref[:, 0],
                               rtol=1e-9, atol=1e-8)


def test_documented_units_vega_per_point_theta_per_day_rho_per_point():
    ref = ql_option(104.0, 100.0, 90, 0.3, 0.04, 0.01, True)
    g = bsm_greeks(104.0, 100.0, 90 / 365.0, 0.3, 0.04, 0.01, "C", vega_unit="point", theta_unit="day",
                   rho_unit="point").iloc[0]
    np.testing.assert_allclose([g["vega"], g["theta"], g["rho"]], [ref[3] / 100.0, ref[4] / 365.0, ref[5] / 100.0],
                               rtol=1e-10)
    assert g.name == 0 and middle_bsm_greeks is bsm_greeks  # the middle office re-exports the one implementation


@pytest.mark.parametrize(("s", "call"), [(130.0, True), (70.0, False)])  # in the money
@pytest.mark.parametrize(("r", "q"), [(0.05, 0.0), (0.05, 0.03), (0.0, 0.04), (0.02, 0.02)])
def test_zero_volatility_in_the_money_theta_has_quantlibs_sign(s, call, r, q):
    ref = ql_option(s, 100.0, 365, 0.0, r, q, call)
    ours = middle_bsm_greeks(s, 100.0, 1.0, 0.0, r, q, 1 if call else -1).to_numpy()[0]  # the public name
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)
    assert ref[0] > 0 and np.sign(ours[4]) == np.sign(ref[4]) != 0


@pytest.mark.parametrize("call", [True, False])
@pytest.mark.parametrize("s", [60.0, 99.0, 101.0, 180.0])
def test_zero_time_is_intrinsic_as_quantlibs_black_calculator(s, call):
    # forward = spot, no standard deviation, no discounting; puts by parity from the call (QuantLib's
    # zero-deviation put takes the call's delta, see the module docstring)
    bc = ql.BlackCalculator(ql.PlainVanillaPayoff(ql.Option.Call, 100.0), s, 0.0, 1.0)
    ref = np.array([bc.value(), bc.delta(s), bc.gamma(s), bc.vega(0.0), bc.theta(s, 0.0), bc.rho(0.0)])
    if not call:
        ref[:2] -= [s - 100.0, 1.0]
    for vol in (0.0, 0.3):
        ours = bsm_greeks(s, 100.0, 0.0, vol, 0.05, 0.02, 1 if call else -1).to_numpy()[0]
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)


def test_the_market_and_the_back_office_price_with_the_same_implementation():
    spot = np.array([80.0, 100.0, 125.0])
    t = np.array([182.0, 91.0, 0.0]) / 365.0
    for call in (True, False):
        ref = np.array([ql_option(x, 100.0, int(round(d * 365)), 0.25, 0.0, 0.0, call)
                        if d > 0 else [max((x - 100.0) if call else (100.0 - x), 0.0)] + [0.0] * 5
                        for x, d in zip(spot, t, strict=True)])
        np.testing.assert_allclose(black_scholes(spot, 100.0, t, 0.25, call), ref[:, 0], rtol=1e-10, atol=1e-12)
        live = t > 0
        greeks = black_scholes_greeks(spot[live], 100.0, t[live], 0.25, np.full(live.sum(), call))
        np.testing.assert_allclose(np.column_stack(greeks), ref[live][:, 1:5], rtol=1e-10, atol=1e-12)
