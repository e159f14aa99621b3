"""Stylized facts hold with the realism features on and fail with them off (pooling >= 2,000 returns)."""

import numpy as np
import pandas as pd
import pytest

import tradeflow
from tradeflow.market.stylized import hill_tail_index, hurst_aggregated_variance, pooled_autocorrelation

OFF = {"market": {"garch": False, "jumps": False, "intraday_profile": False},
       "flow": {"arrivals": "poisson", "side_persistence": False, "round_lot_share": 0.0}}


@pytest.fixture(scope="module")
def facts_on(default_run):
    return default_run.stylized_facts().set_index("statistic")


@pytest.fixture(scope="module")
def facts_off():
    return tradeflow.simulate(tradeflow.SimulationConfig.from_dict(OFF), seed=0).stylized_facts().set_index(
        "statistic")


def test_enough_data_is_pooled(default_run):
    assert len(default_run.records["orders"]) > 10_000
    assert (default_run.market.n_steps // 60 - 1) * default_run.market.n_instruments >= 2_000


@pytest.mark.parametrize("stat", [
    "excess_kurtosis_1min", "excess_kurtosis_1min_minus_30min", "hill_tail_index_1min", "autocorr_lag1",
    "mean_abs_autocorr_lag2_10", "abs_autocorr_lag1", "abs_autocorr_lag10", "hurst_signs",
    "count_variance_to_mean_1min", "first_30min_volume_to_midday", "last_30min_volume_to_midday",
    "size_tail_exponent", "round_lot_share", "min_spread_ticks"])
def test_fact_holds_with_features_on(facts_on, stat):
    assert facts_on.loc[stat, "holds"], facts_on.loc[stat]


@pytest.mark.parametrize("stat", [
    "excess_kurtosis_1min", "abs_autocorr_lag1", "hurst_signs", "count_variance_to_mean_1min",
    "first_30min_volume_to_midday", "round_lot_share"])
def test_fact_fails_with_features_off(facts_off, stat):
    assert not facts_off.loc[stat, "holds"], facts_off.loc[stat]


def test_no_autocorrelation_either_way(facts_off):
    assert facts_off.loc["autocorr_lag1", "holds"] and facts_off.loc["min_spread_ticks", "holds"]


def test_estimators_against_known_processes():
    rng = np.random.default_rng(0)
    pareto = (1 - rng.random(200_000)) ** (-1 / 3.0)
    assert abs(hill_tail_index(pareto, tail=0.05) - 3.0) < 0.15
    iid = rng.choice([-1.0, 1.0], 100_000)
    assert abs(hurst_aggregated_variance([iid]) - 0.5) < 0.05
    ar = np.zeros(50_000)
    e = rng.standard_normal(50_000)
    for t in range(1, ar.size):
        ar[t] = 0.5 * ar[t - 1] + e[t]
    acf = pooled_autocorrelation([ar[:25_000], ar[25_000:]], 3)
    np.testing.assert_allclose(acf, [0.5, 0.25, 0.125], atol=0.03)
    assert pd.Series(ar).autocorr(1) == pytest.approx(acf[0], abs=1e-3)
