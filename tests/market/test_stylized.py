"""The nine stylized facts hold on the default desk-day, on three seeds of two market configurations
(the default large caps; a large-tick variant), and fail when the mechanism behind each is turned off.

The seeds and controls run the market, the client flow and the venue's books without the desk
(:func:`tradeflow.front.venue.run_venue`, every order sent): four US large caps and 40,000 orders
a day, about 3 s each. Statistics whose one-day sampling error is of the order of their value
(clustering at 30 minutes, the sign ACF's exponent) are checked on the mean over the three seeds.
"""

import numpy as np
import pandas as pd
import pytest

import tradeflow
from tradeflow import SimulationConfig
from tradeflow.front import generate_flow
from tradeflow.front.venue import run_venue
from tradeflow.market import simulate_market
from tradeflow.market.stylized import (
    hill_tail_index,
    hurst_aggregated_variance,
    impact_loglog_slope,
    market_facts,
    metaorder_ids,
    metaorder_impact,
    pooled_autocorrelation,
    stylized_facts,
)

US = [("AAPL", 230.0, 0.25, "XNAS"), ("MSFT", 420.0, 0.22, "XNAS"), ("JPM", 210.0, 0.20, "XNYS"),
      ("XOM", 115.0, 0.24, "XNYS")]
SEEDS = (0, 1, 2)
LARGE_TICK = {"tick_size": 0.05}


def market_day(seed: int, *, tick: dict | None = None, **sections) -> pd.DataFrame:
    """One venue day's facts (indexed by statistic)."""
    data = {"market": {"instruments": [dict(symbol=s, price=p, volatility=v, mic=m, **(tick or {}))
                                       for s, p, v, m in US]},
            "flow": {"orders_per_day": 40_000}}
    for k, v in sections.items():
        data.setdefault(k, {}).update(v)
    cfg = SimulationConfig.from_dict(data)
    rm, rf, rx = (np.random.default_rng(c) for c in np.random.SeedSequence(seed).spawn(3))
    mk = simulate_market(cfg.market, rm)
    orders, _ = generate_flow(cfg.flow, mk, rf)
    out = run_venue(orders, mk, cfg.execution, np.full(mk.n_instruments, 100.0), rx)
    return market_facts(mk, out.orders, out.executions, out.quotes).set_index("statistic")


@pytest.fixture(scope="module")
def days():
    return {(name, seed): market_day(seed, tick=tick) for name, tick in (("default", None), ("large_tick", LARGE_TICK))
            for seed in SEEDS}


# one statistic per row of the nine facts that a single day measures well enough
PER_DAY = ["excess_kurtosis_1min", "hill_tail_index_1min", "autocorr_lag1", "mean_abs_autocorr_lag2_10",
           "autocorr_10s_lag1_minus_fair", "abs_autocorr_lag1",
           "hurst_signs", "sign_autocorr_lag100", "count_variance_to_mean_1min", "first_30min_volume_to_midday",
           "last_30min_volume_to_midday", "size_tail_exponent", "min_spread_ticks", "median_spread_ticks"]
# noisier on one day of four instruments (30-minute volatilities from 30 returns, GARCH-driven
# clustering, 2,000 metaorders): the mean over the seeds must lie in the literature's range
ON_MEAN = ["autocorr_10s_lag1", "abs_autocorr_deseasonalized_lag30", "sign_acf_exponent",
           "first_30min_volatility_to_midday", "last_30min_volatility_to_midday", "first_30min_spread_to_midday",
           "impact_size_loglog_slope", "impact_sqrt_prefactor"]


@pytest.mark.slow
@pytest.mark.parametrize("config", ["default", "large_tick"])
@pytest.mark.parametrize("seed", SEEDS)
def test_facts_hold_on_each_seed(days, config, seed):
    f = days[(config, seed)]
    failed = f.loc[PER_DAY][~f.loc[PER_DAY, "holds"]]
    assert failed.empty, failed[["value", "low", "high"]]


@pytest.mark.slow
@pytest.mark.parametrize("config", ["default", "large_tick"])
@pytest.mark.parametrize("stat", ON_MEAN)
def test_noisy_facts_hold_on_the_mean_over_seeds(days, config, stat):
    if stat == "first_30min_spread_to_midday" and config == "large_tick":
        pytest.skip("a large-tick instrument's spread is one tick all day: no opening widening to see")
    rows = [days[(config, s)].loc[stat] for s in SEEDS]
    value = float(np.mean([r["value"] for r in rows]))
    lo, hi = rows[0]["low"], rows[0]["high"]
    assert (np.isnan(lo) or value >= lo) and (np.isnan(hi) or value <= hi), (stat, value, lo, hi)


@pytest.mark.slow
def test_large_tick_sits_at_one_tick(days):
    for s in SEEDS:
        small, large = days[("default", s)], days[("large_tick", s)]
        assert large.loc["median_spread_ticks", "value"] == 1.0
        assert large.loc["one_tick_share", "value"] > max(0.7, small.loc["one_tick_share", "value"])


CONTROLS = {
    # mechanism off -> the statistics of its fact that must fail
    "side_persistence": ({"flow": {"side_persistence": False}}, ["hurst_signs", "sign_autocorr_lag100"]),
    "garch": ({"market": {"garch": False}}, ["abs_autocorr_deseasonalized_lag30"]),
    "heavy_tails": ({"market": {"return_dof": 0.0, "jumps": False}}, ["excess_kurtosis_1min"]),
    "profile": ({"market": {"intraday_profile": False}},
                ["first_30min_volume_to_midday", "last_30min_volume_to_midday", "first_30min_volatility_to_midday"]),
    "impact": ({"execution": {"impact": False}}, ["impact_sqrt_prefactor"]),
    "market_makers": ({"execution": {"book_quote_lots": 0, "book_shape": "linear"}}, ["median_spread_ticks"]),
    "clustered_arrivals": ({"flow": {"arrivals": "poisson"}}, ["count_variance_to_mean_1min"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("control", list(CONTROLS))
def test_facts_fail_without_their_mechanism(control):
    sections, stats = CONTROLS[control]
    f = market_day(0, **sections)
    for stat in stats:
        assert not f.loc[stat, "holds"], (control, f.loc[stat])


def test_default_desk_day_facts(default_run, desk_days):
    """The README's table: the default desk-day (ten large caps, 100,000 orders, the desk's
    pre-trade checks) holds every statistic of the nine facts on each of seeds 0, 1 and 2, with
    few position-limit rejects."""
    for seed, f in desk_days.items():
        assert set(PER_DAY + ON_MEAN) <= set(f.index), seed
        assert f["holds"].dtype == bool and len(f) == len(set(f.index)), seed
        failed = f[~f["holds"]]
        assert failed.empty, (seed, failed[["value", "low", "high"]])
        assert (f["source"].str.len() > 0).all(), seed
    orders = default_run.records["orders"]
    assert np.mean(orders["reject_reason"] == 4) < 0.05  # MAX_POSITION: metaorders do not pile into the limits


@pytest.fixture(scope="module")
def desk_days(default_run):
    """The default desk-day's facts on seeds 0 (the session's default run), 1 and 2: one simulation each."""
    out = {0: default_run.stylized_facts().set_index("statistic")}
    for seed in (1, 2):
        out[seed] = tradeflow.simulate(seed=seed).stylized_facts().set_index("statistic")
    return out


def test_default_desk_day_mid_does_not_lag_the_fair_price(desk_days):
    """Issue 13: on each seed the book adds no autocorrelation to the fair price's 10-second returns and 1-minute
    returns are uncorrelated at lags 2-10; one day's raw 10-second ACF, mostly the fair price's own sampling noise
    (0.075 on seed 0's fair price alone), is in the literature's range on the mean over the seeds."""
    for seed, f in desk_days.items():
        for stat in ("autocorr_10s_lag1_minus_fair", "mean_abs_autocorr_lag2_10", "autocorr_lag1"):
            assert f.loc[stat, "holds"], (seed, f.loc[stat])
    mean = np.mean([f.loc["autocorr_10s_lag1", "value"] for f in desk_days.values()])
    assert -0.15 <= mean <= 0.02, mean


@pytest.mark.slow
def test_mid_lags_the_fair_price_without_reanchoring(days):
    """The control: without re-anchoring (stale background quotes on the side the fair price left, makers'
    quotes left behind) the mid lags the fair price: the book adds positive autocorrelation (seed 1)."""
    on = days[("default", 1)]
    off = market_day(1, execution={"book_reanchor": False})
    assert on.loc["autocorr_10s_lag1_minus_fair", "holds"]
    assert not off.loc["autocorr_10s_lag1_minus_fair", "holds"], off.loc["autocorr_10s_lag1_minus_fair"]


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
