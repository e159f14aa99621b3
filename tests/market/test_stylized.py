"""Stylized facts hold with the realism features on and fail with them off.

Every check pools two desk-days (>= 2,000 one-minute returns, >= 10k aggressive orders, thousands
of metaorders); the heavy-tail checks also hold on three more seeds of a cheaper desk.
"""

import numpy as np
import pandas as pd
import pytest

import tradeflow
from tradeflow.market.stylized import (
    hill_tail_index,
    hurst_aggregated_variance,
    impact_loglog_slope,
    metaorder_ids,
    metaorder_impact,
    pooled_autocorrelation,
    stylized_facts,
)

OFF = {"market": {"garch": False, "jumps": False, "intraday_profile": False},
       "flow": {"arrivals": "poisson", "side_persistence": False, "round_lot_share": 0.0},
       "execution": {"impact": False}}


@pytest.fixture(scope="module")
def run_on():
    return tradeflow.simulate(tradeflow.SimulationConfig.from_dict({"days": 2}), seed=0)


@pytest.fixture(scope="module")
def facts_on(run_on):
    return run_on.stylized_facts().set_index("statistic")


@pytest.fixture(scope="module")
def facts_off():
    cfg = tradeflow.SimulationConfig.from_dict({"days": 2, **OFF})
    return tradeflow.simulate(cfg, seed=0).stylized_facts().set_index("statistic")


@pytest.fixture(scope="module")
def facts_impact_off():
    """Only the transient impact off: the book's mechanical impact is concave but an order of magnitude small."""
    cfg = tradeflow.SimulationConfig.from_dict({"days": 2, "execution": {"impact": False}})
    return tradeflow.simulate(cfg, seed=0).stylized_facts().set_index("statistic")


def test_enough_data_is_pooled(run_on):
    assert len(run_on.records["orders"]) > 10_000
    assert len(run_on.trade_dates) == 2
    assert (run_on.market.n_steps // 60 - 2) * run_on.market.n_instruments >= 2_000
    size, _ = run_on._metaorder_impact()
    assert size.size > 2_000


@pytest.mark.slow
@pytest.mark.parametrize("stat", [
    "excess_kurtosis_1min", "excess_kurtosis_1min_minus_30min", "hill_tail_index_1min", "autocorr_lag1",
    "mean_abs_autocorr_lag2_10", "abs_autocorr_lag1", "abs_autocorr_lag10", "hurst_signs",
    "count_variance_to_mean_1min", "first_30min_volume_to_midday", "last_30min_volume_to_midday",
    "size_tail_exponent", "round_lot_share", "min_spread_ticks", "impact_size_loglog_slope",
    "impact_sqrt_prefactor"])
def test_fact_holds_with_features_on(facts_on, stat):
    assert facts_on.loc[stat, "holds"], facts_on.loc[stat]


@pytest.mark.slow
@pytest.mark.parametrize("stat", [
    "excess_kurtosis_1min", "abs_autocorr_lag1", "hurst_signs", "count_variance_to_mean_1min",
    "first_30min_volume_to_midday", "round_lot_share", "impact_sqrt_prefactor"])
def test_fact_fails_with_features_off(facts_off, stat):
    assert not facts_off.loc[stat, "holds"], facts_off.loc[stat]


@pytest.mark.slow
def test_no_autocorrelation_either_way(facts_off):
    assert facts_off.loc["autocorr_lag1", "holds"] and facts_off.loc["min_spread_ticks", "holds"]


@pytest.mark.slow
def test_square_root_law_needs_the_transient_impact(facts_on, facts_impact_off):
    # with the propagator: I ~ Y sigma sqrt(Q / V), Y of order 1; without it the book alone moves the
    # price by a fraction of that (its V shape makes even this mechanical impact concave)
    assert facts_on.loc["impact_sqrt_prefactor", "value"] > 3 * facts_impact_off.loc["impact_sqrt_prefactor", "value"]
    assert not facts_impact_off.loc["impact_sqrt_prefactor", "holds"]
    assert facts_on.loc["impact_size_loglog_slope", "holds"]
    # the other facts do not depend on it
    for stat in ("excess_kurtosis_1min", "hill_tail_index_1min", "autocorr_lag1", "abs_autocorr_lag1"):
        assert facts_impact_off.loc[stat, "holds"], stat


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_heavy_tails_hold_over_seeds(seed):
    # three cheap days: 11,670 one-minute returns, so the Hill estimate's error is ~0.2
    cfg = tradeflow.SimulationConfig.from_dict({"days": 3, "flow": {"orders_per_day": 10_000},
                                                "pnl_interval_seconds": 600})
    run = tradeflow.simulate(cfg, seed=seed)
    facts = run.stylized_facts().set_index("statistic")
    for stat in ("excess_kurtosis_1min_minus_30min", "hill_tail_index_1min"):
        assert facts.loc[stat, "holds"], (seed, facts.loc[stat])


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


@pytest.mark.parametrize("power", [0.3, 0.5, 1.0])
def test_impact_slope_recovers_a_power_law(power):
    rng = np.random.default_rng(1)
    q = 10 ** rng.uniform(-5, -2, 30_000)
    slope, bins = impact_loglog_slope(q, 2.0 * q ** power + rng.normal(0, 1e-4, q.size))
    assert slope == pytest.approx(power, abs=0.05)
    assert bins["count"].sum() > 0.95 * q.size
    facts = stylized_facts(pd.DataFrame({"A": [1.0, 1.0]}, pd.date_range("2026-11-25", periods=2, tz="UTC")),
                           impact=[(q, 0.8 * np.sqrt(q))]).set_index("statistic")
    assert facts.loc["impact_size_loglog_slope", "value"] == pytest.approx(0.5, abs=0.01)
    assert facts.loc["impact_sqrt_prefactor", "value"] == pytest.approx(0.8, rel=0.02)


def test_metaorders_are_client_runs_and_algo_parents():
    # client 0: buy A, buy A, sell A, buy B; client 1 interleaved: buy A; two children of parent 7
    ts = np.array([0, 1, 2, 3, 4, 5, 6, 7])
    client = np.array([0, 1, 0, 0, 0, 1, 1, 0])
    inst = np.array([0, 0, 0, 0, 1, 0, 0, 1])
    side = np.array([1, 1, 1, -1, 1, 1, -1, 1])
    origin = np.array([0, 0, 0, 0, 0, 2, 2, 0])
    parent = np.array([-1, -1, -1, -1, -1, 7, 7, -1])
    m = metaorder_ids(ts=ts, client=client, instrument=inst, side=side, parent_id=parent, origin=origin)
    assert m[0] == m[2] and m[0] != m[3] and m[3] != m[4] and m[4] == m[7]
    assert m[1] not in (m[0], m[5]) and m[5] == m[6]
    assert sorted(set(m)) == list(range(len(set(m))))
    # two buys of one metaorder move a mid from 100 to 101: impact = log(1.01) / sigma, size = 3 / V
    times = np.arange(0, 240) * 60_000_000_000 + 1_000_000_000 * 86_400 * 20_000
    rng = np.random.default_rng(0)
    mid = 100 * np.exp(np.cumsum(rng.normal(0, 1e-3, (times.size, 2)), axis=0))
    mid[100:, 0] *= 1.01
    vol = np.ones((times.size, 2))
    execs_row = np.array([0, 2])
    execs_ts = times[[50, 99]] + 1
    size, imp = metaorder_impact(meta=np.array([0, 1, 0]), instrument=np.array([0, 0, 0]), side=np.array([1, 1, 1]),
                                 exec_row=execs_row, exec_ts=execs_ts, exec_qty=np.array([1, 2]), times=times,
                                 mid=mid, volume=vol)
    lr = np.diff(np.log(mid[:, 0]))
    sigma = lr.std(ddof=1) * np.sqrt(lr.size)  # one-minute grid: the 1-minute returns are the grid's
    assert size == pytest.approx([3 / times.size])
    assert imp == pytest.approx([np.log(mid[100, 0] / mid[50, 0]) / sigma])
    ref = mid.copy()
    ref[100:, 0] /= 1.01
    _, adj = metaorder_impact(meta=np.array([0, 1, 0]), instrument=np.array([0, 0, 0]), side=np.array([1, 1, 1]),
                              exec_row=execs_row, exec_ts=execs_ts, exec_qty=np.array([1, 2]), times=times,
                              mid=mid, volume=vol, reference=ref)
    assert adj == pytest.approx([np.log(1.01) / sigma])
    one, _ = metaorder_impact(meta=np.array([0, 1, 0]), instrument=np.array([0, 0, 0]), side=np.array([1, 1, 1]),
                              exec_row=execs_row[:1], exec_ts=execs_ts[:1], exec_qty=np.array([1]), times=times,
                              mid=mid, volume=vol)
    assert one.size == 0  # one executed order is not a metaorder
