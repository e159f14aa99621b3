"""Arrivals, clients and order generation."""

import numpy as np
import pytest

from tests.conftest import small_config
from tradeflow.config import FlowConfig
from tradeflow.front import generate_orders
from tradeflow.front.clients import metaorder_ids, order_sizes
from tradeflow.front.hawkes import hawkes_arrivals, poisson_arrivals
from tradeflow.market import simulate_market
from tradeflow.schema import OrderOrigin, OrderType, TimeInForce


@pytest.mark.parametrize("branching", [0.0, 0.5, 0.8])
def test_hawkes_mean_count_matches_stationary_mean(branching):
    # E[N] = mu T / (1 - n); average over seeds, tolerance from the sample spread
    counts = [hawkes_arrivals(np.random.default_rng(s), expected=2_000, profile=np.ones(100), step_s=36.0,
                              branching=branching, decay_s=5.0).size for s in range(30)]
    assert abs(np.mean(counts) - 2_000) < 4 * np.std(counts) / np.sqrt(30) + 20


def test_hawkes_clusters_poisson_does_not():
    prof = np.ones(390)
    def dispersion(t):
        c = np.bincount((t // 60).astype(int), minlength=390)
        return c.var() / c.mean()
    h = hawkes_arrivals(np.random.default_rng(0), expected=50_000, profile=prof, step_s=60.0, branching=0.7,
                        decay_s=30.0)
    p = poisson_arrivals(np.random.default_rng(0), expected=50_000, profile=prof, step_s=60.0)
    assert dispersion(h) > 2.0 and 0.7 < dispersion(p) < 1.4
    assert np.all(np.diff(h) >= 0) and h.max() < 390 * 60


def test_hawkes_follows_the_profile():
    prof = np.r_[np.full(50, 3.0), np.ones(50)]
    t = hawkes_arrivals(np.random.default_rng(2), expected=20_000, profile=prof, step_s=1.0, branching=0.5,
                        decay_s=0.5)
    first, second = (t < 50).sum(), (t >= 50).sum()
    assert 2.4 < first / second < 3.6


@pytest.mark.parametrize("n", [1.0, 1.5])
def test_branching_ratio_at_or_above_one_raises(n):
    with pytest.raises(ValueError, match="hawkes_branching"):
        FlowConfig(hawkes_branching=n)
    with pytest.raises(ValueError, match="hawkes_branching"):
        hawkes_arrivals(np.random.default_rng(0), expected=10, profile=np.ones(3), step_s=1.0, branching=n,
                        decay_s=1.0)


def test_metaorders_are_consecutive_runs_per_client():
    rng = np.random.default_rng(0)
    client = rng.integers(0, 3, 5_000)
    meta = metaorder_ids(rng, client, 3, tail=1.5, max_len=40)
    for m in np.unique(meta):
        rows = np.flatnonzero(meta == m)
        assert np.unique(client[rows]).size == 1 and rows.size <= 40
        # consecutive among the client's own orders
        own = np.flatnonzero(client == client[rows[0]])
        pos = np.searchsorted(own, rows)
        assert np.all(np.diff(pos) == 1)


def test_power_law_sizes_have_the_configured_tail_and_round_lots():
    cfg = FlowConfig(size_tail=1.6, round_lot_share=0.0)
    s = order_sizes(np.random.default_rng(0), cfg, 200_000)
    xmin = cfg.median_qty / 2 ** (1 / 1.6)
    mle = s.size / np.log(s / xmin).sum()  # the Pareto MLE of the tail exponent
    assert abs(mle - 1.6) < 0.03
    assert abs(np.median(s) - cfg.median_qty) < 0.02 * cfg.median_qty
    lots = order_sizes(np.random.default_rng(0), FlowConfig(round_lot_share=0.4), 100_000)
    assert 0.38 < np.mean(lots % 100 == 0) < 0.43


def test_orders_with_cancels_replaces_and_tifs_are_consistent():
    cfg = small_config(5_000, flow={"cancel_rate": 0.3, "replace_rate": 0.1, "ioc_share": 0.1, "fok_share": 0.05})
    rng = np.random.default_rng(4)
    market = simulate_market(cfg.market, rng)
    o = generate_orders(cfg.flow, market, rng, first_order_id=7)
    assert np.all(np.diff(o["ts"]) >= 0)
    np.testing.assert_array_equal(o["order_id"], 7 + np.arange(o.size))
    kids = o[o["origin"] == OrderOrigin.REPLACE]
    assert kids.size > 0
    parents = o[kids["parent_id"] - 7]
    # a replacement arrives when its parent is cancelled, same client/side/instrument/qty
    np.testing.assert_array_equal(parents["ts_cancel"], kids["ts"])
    for f in ("client", "side", "instrument", "qty", "book"):
        np.testing.assert_array_equal(parents[f], kids[f])
    ends = o["ts_cancel"] >= 0
    assert np.all(o["ts_cancel"][ends] >= o["ts"][ends])
    assert np.all(o["tif"][o["order_type"] == OrderType.MARKET] == TimeInForce.DAY)
    assert {TimeInForce.IOC, TimeInForce.FOK} <= set(o["tif"].tolist())
