"""Parametric, Monte Carlo and component VaR against independent computations; backtests against textbooks."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from tradeflow import TradeflowWarning
from tradeflow.middle.backtest import christoffersen, kupiec_pof, traffic_light, var_backtest
from tradeflow.middle.instruments import NS_PER_YEAR, instrument_risk
from tradeflow.middle.var import (
    component_var,
    delta_gamma_var,
    delta_normal_var,
    ewma_covariance,
    historical_var_es,
    monte_carlo_var,
    var_es,
)


def test_ewma_covariance_matches_the_recursion():
    r = np.random.default_rng(1).normal(0, 0.01, (3, 400))
    lam = 0.94
    s = np.zeros((3, 3))
    total = 0.0
    for t in range(r.shape[1]):  # RiskMetrics recursion, normalised for the finite window
        s = lam * s + np.outer(r[:, t], r[:, t])
        total = lam * total + 1.0
    np.testing.assert_allclose(ewma_covariance(r, lam), s / total, rtol=1e-10)
    with pytest.raises(ValueError, match="'lam'"):
        ewma_covariance(r, 1.5)


def test_delta_normal_var_is_z_sigma():
    cov = np.array([[0.0004, 0.0001], [0.0001, 0.0009]])
    d = np.array([1e6, -5e5])
    sigma = np.sqrt(d @ cov @ d)
    assert delta_normal_var(d, cov, level=0.99) == pytest.approx(stats.norm.ppf(0.99) * sigma)
    assert delta_normal_var(d, cov, level=0.99, horizon_days=10) == pytest.approx(
        stats.norm.ppf(0.99) * sigma * np.sqrt(10))


def test_delta_gamma_var_reduces_to_delta_normal_and_matches_simulation():
    cov = np.array([[0.0004, 0.0001], [0.0001, 0.0009]])
    d = np.array([1e6, -5e5])
    assert delta_gamma_var(d, np.zeros(2), cov) == pytest.approx(delta_normal_var(d, cov))
    g = np.array([-4e7, -2e7])  # short gamma: fatter left tail than delta-normal
    rng = np.random.default_rng(0)
    r = rng.multivariate_normal(np.zeros(2), cov, 400_000)
    pnl = r @ d + 0.5 * np.einsum("ij,j,ij->i", r, g, r)
    sim = -np.quantile(pnl, 0.01)
    dg = delta_gamma_var(d, g, cov, level=0.99)
    assert dg > delta_normal_var(d, cov)
    assert dg == pytest.approx(sim, rel=0.03)


def test_monte_carlo_var_linear_book_matches_delta_normal_and_revalues_options():
    table = pd.DataFrame({"symbol": ["AAA", "AAA_C"], "asset_class": ["equity", "option"], "currency_id": [0, 0],
                          "multiplier": [1.0, 100.0], "volatility": [0.3, np.nan], "underlying": [0, 0],
                          "strike": [np.nan, 100.0], "expiry": [0, NS_PER_YEAR // 2], "call_put": ["", "C"]})
    inst = instrument_risk(table, risk_free_rate=0.0)
    cov = np.array([[0.02**2, 0.0], [0.0, 0.0]])
    marks = np.array([100.0, 1.0])
    lin = monte_carlo_var(np.array([[1_000, 0]]), inst, marks, np.ones(2), cov, np.random.default_rng(0), ts=0,
                          n_paths=200_000, var_level=0.99)
    assert lin.loc[0, "var"] == pytest.approx(delta_normal_var(np.array([1e5, 0.0]), cov), rel=0.03)
    # a long call loses less than delta x move on the way down (convexity): below its delta-normal VaR
    opt = monte_carlo_var(np.array([[0, 10]]), inst, marks, np.ones(2), cov, np.random.default_rng(0), ts=0,
                          n_paths=200_000, var_level=0.99)
    from tradeflow.middle.greeks import bsm_greeks
    g = bsm_greeks(100.0, 100.0, 0.5, 0.3, 0.0).iloc[0]
    dn = delta_normal_var(np.array([10 * 100 * g["delta"] * 100.0, 0.0]), cov)
    assert 0 < opt.loc[0, "var"] < dn
    assert opt.loc["desk", "var"] == opt.loc[0, "var"]


@given(st.integers(0, 2**31), st.integers(2, 5))
def test_component_var_sums_to_desk_var(seed, n_books):
    m = np.random.default_rng(seed).normal(0, 1, (n_books, 250))
    c = component_var(m, level=0.99)
    desk = m.sum(axis=0)
    assert c["component"].sum() == pytest.approx(var_es(desk, 0.99, 0.99)[0])
    for b in range(n_books):
        assert c.loc[b, "standalone"] == pytest.approx(np.quantile(-m[b], 0.99, method="inverted_cdf"))
        assert c.loc[b, "incremental"] == pytest.approx(var_es(desk, 0.99, 0.99)[0] -
                                                        var_es(desk - m[b], 0.99, 0.99)[0])


def test_historical_var_es_rows_and_horizon():
    m = np.random.default_rng(3).normal(0, 1, (2, 500))
    df = historical_var_es(pd.DataFrame(m, index=["x", "y"]), var_level=0.99, es_level=0.975, horizon_days=10)
    assert list(df.index) == ["x", "y"]
    v, e = var_es(m[1], 0.99, 0.975)
    assert df.loc["y", "var"] == pytest.approx(v * np.sqrt(10)) and df.loc["y", "es"] == pytest.approx(e * np.sqrt(10))
    assert df.loc["x", "var"] == pytest.approx(np.sqrt(10) * np.quantile(-m[0], 0.99, method="inverted_cdf"))


@given(st.integers(0, 30), st.integers(30, 500), st.sampled_from([0.95, 0.99]))
def test_kupiec_matches_textbook(x, n, level):
    x = min(x, n)
    p = 1 - level
    phat = x / n
    num = (n - x) * np.log(1 - p) + (x * np.log(p) if x else 0.0)
    den = ((n - x) * np.log(1 - phat) if x < n else 0.0) + (x * np.log(phat) if x else 0.0)
    lr = -2 * (num - den)
    got_lr, got_p = kupiec_pof(x, n, level)
    assert got_lr == pytest.approx(lr, rel=1e-9, abs=1e-9)
    assert got_p == pytest.approx(stats.chi2.sf(lr, 1), rel=1e-9, abs=1e-12)


@given(st.lists(st.booleans(), min_size=2, max_size=300))
def test_christoffersen_matches_textbook(hits):
    h = np.array(hits)
    pairs = list(zip(h[:-1], h[1:], strict=True))
    n = {(a, b): sum(1 for p in pairs if p == (a, b)) for a in (False, True) for b in (False, True)}
    n00, n01, n10, n11 = n[(False, False)], n[(False, True)], n[(True, False)], n[(True, True)]

    def ll(k, m, p):  # k failures, m successes
        return (k * np.log(p) if k else 0.0) + (m * np.log(1 - p) if m else 0.0)

    pi0 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi1 = n11 / (n10 + n11) if n10 + n11 else 0.0
    pi = (n01 + n11) / len(pairs)
    lr = -2 * (ll(n01 + n11, n00 + n10, pi) - ll(n01, n00, pi0) - ll(n11, n10, pi1))
    got, pv = christoffersen(h)
    assert got == pytest.approx(max(lr, 0.0), abs=1e-9)
    assert pv == pytest.approx(stats.chi2.sf(max(lr, 0.0), 1), abs=1e-12)


def test_basel_traffic_light_for_250_days_at_99():
    zones = [traffic_light(x, 250, 0.99) for x in range(15)]
    assert zones == ["green"] * 5 + ["yellow"] * 5 + ["red"] * 5
    with pytest.warns(TradeflowWarning, match="3 days"):  # a questionable request: answered, with a warning
        assert traffic_light(0, 3, 0.99) == "green" and traffic_light(2, 3, 0.99) == "red"


def test_var_backtest_counts_exceptions_and_combines_tests():
    rng = np.random.default_rng(0)
    pnl = rng.normal(0, 1, 250)
    var = np.full(250, stats.norm.ppf(0.99))
    r = var_backtest(pnl, var, level=0.99)
    hits = -pnl > var
    assert r.exceptions == hits.sum() and r.n_days == 250 and r.expected == pytest.approx(2.5)
    assert r.conditional_coverage_lr == pytest.approx(r.kupiec_lr + r.independence_lr)
    assert r.conditional_coverage_pvalue == pytest.approx(stats.chi2.sf(r.conditional_coverage_lr, 2))
    assert r.zone == traffic_light(r.exceptions)
    clustered = var_backtest(np.r_[np.zeros(240), -10 * np.ones(10)], np.ones(250))
    assert clustered.zone == "red" and clustered.independence_pvalue < 0.01
    with pytest.raises(ValueError, match="same non-zero length"):
        var_backtest(np.zeros(3), np.zeros(2))
