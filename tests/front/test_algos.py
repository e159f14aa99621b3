"""TWAP/VWAP parents: slicing, children, derived parent status, and the id namespace."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tradeflow
from tests.conftest import small_config
from tradeflow.front import generate_flow, parent_fills
from tradeflow.front.algos import slice_schedule
from tradeflow.market import simulate_market
from tradeflow.market.profile import intraday_profile, volume_curve
from tradeflow.schema import ALGO_PARENT_DT, AlgoKind, OrderOrigin, OrderStatus, OrderType

ALGO = {"algo_share": 0.2, "algo_slices": 6}


@pytest.fixture(scope="module")
def algo_run():
    return tradeflow.simulate(small_config(4_000, flow=ALGO), seed=5, progress=False)


def _flow(seed=3, **flow):
    cfg = small_config(4_000, flow={**ALGO, **flow})
    rng = np.random.default_rng(seed)
    market = simulate_market(cfg.market, rng)
    orders, parents = generate_flow(cfg.flow, market, rng, first_order_id=11, first_parent_id=4)
    return cfg, market, orders, parents


def test_children_sum_to_parent_and_stay_in_window():
    cfg, market, orders, parents = _flow()
    assert parents.size > 50 and {AlgoKind.TWAP, AlgoKind.VWAP} <= set(parents["algo"].tolist())
    np.testing.assert_array_equal(parents["parent_id"], 4 + np.arange(parents.size))
    kids = orders[orders["origin"] == OrderOrigin.ALGO_CHILD]
    pos = np.searchsorted(parents["parent_id"], kids["parent_id"])
    np.testing.assert_array_equal(parents["parent_id"][pos], kids["parent_id"])
    np.testing.assert_array_equal(np.bincount(pos, weights=kids["qty"], minlength=parents.size), parents["qty"])
    assert np.all(kids["ts"] >= parents["ts"][pos]) and np.all(kids["ts"] <= parents["ts_end"][pos])
    live = kids["ts_cancel"] >= 0
    assert np.all(kids["ts_cancel"][live] <= parents["ts_end"][pos][live])
    assert np.all(kids["ts_cancel"][live] > kids["ts"][live])
    for f in ("instrument", "client", "book", "side", "order_type", "counterparty"):
        np.testing.assert_array_equal(kids[f], parents[f][pos])
    lot = market.instruments["lot_size"].to_numpy()[kids["instrument"]]
    assert np.all(kids["qty"] % lot == 0) and np.all(kids["qty"] > 0)
    assert np.all(np.bincount(pos, minlength=parents.size) <= cfg.flow.algo_slices)
    # order ids stay dense and sorted by time; replaces still point at order ids
    np.testing.assert_array_equal(orders["order_id"], 11 + np.arange(orders.size))
    assert np.all(np.diff(orders["ts"]) >= 0)
    rep = orders[orders["origin"] == OrderOrigin.REPLACE]
    assert rep.size > 0
    np.testing.assert_array_equal(orders["ts_cancel"][rep["parent_id"] - 11], rep["ts"])
    assert np.all(orders["parent_id"][orders["origin"] == OrderOrigin.CLIENT] == -1)


def test_algo_share_zero_keeps_the_plain_flow():
    _, _, o0, p0 = _flow(algo_share=0.0)
    assert p0.size == 0 and np.all(o0["origin"] != OrderOrigin.ALGO_CHILD)


def _reference_schedule(p, n, times, profile, lot):
    """Obvious per-parent loop: cumulative target curve, rounded to lots."""
    edges = [int(p["ts"]) + int(np.floor((int(p["ts_end"]) - int(p["ts"])) * k / n)) for k in range(n)]
    edges.append(int(p["ts_end"]))
    if p["algo"] == AlgoKind.VWAP:
        step = times[1] - times[0]
        vol = []
        for e in edges:  # volume traded by time e, step by step
            v = 0.0
            for i, t in enumerate(times):
                v += profile[i] * min(max(e - t, 0), step) / step
            vol.append(v)
        cum = [(v - vol[0]) / (vol[-1] - vol[0]) if vol[-1] > vol[0] else k / n for k, v in enumerate(vol)]
    else:
        cum = [k / n for k in range(n + 1)]
    lots = int(p["qty"]) // lot
    target = [0] + [int(np.rint(c * lots)) for c in cum[1:-1]] + [lots]
    target = list(np.maximum.accumulate(target))
    return edges, [(target[k + 1] - target[k]) * lot for k in range(n)]


@given(st.integers(1, 8), st.integers(1, 500), st.integers(0, 380), st.integers(1, 120), st.booleans(),
       st.sampled_from([1, 10, 100]))
def test_slice_schedule_matches_reference(n, lots, start_min, dur_min, vwap, lot):
    times = np.arange(391, dtype=np.int64) * 60_000_000_000
    profile = intraday_profile(np.linspace(0, 1, 391))
    p = np.zeros(1, dtype=ALGO_PARENT_DT)
    p["ts"] = start_min * 60_000_000_000 + 7
    p["ts_end"] = min(start_min + dur_min, 390) * 60_000_000_000
    p["ts_end"] = max(p["ts_end"][0], p["ts"][0])
    p["qty"] = lots * lot
    p["algo"] = AlgoKind.VWAP if vwap else AlgoKind.TWAP
    starts, qty = slice_schedule(p, n, times, profile, np.array([lot]))
    edges, ref = _reference_schedule(p[0], n, times, profile, lot)
    np.testing.assert_array_equal(starts[0], edges)
    np.testing.assert_allclose(qty[0], ref, atol=lot)  # rounding at exact .5 ties may differ by one lot
    assert qty.sum() == lots * lot and np.all(qty >= 0)


def test_vwap_schedule_follows_the_profile():
    # a whole-session VWAP parent: slice shares = the profile's volume over each slice
    times = np.arange(390, dtype=np.int64) * 60_000_000_000
    profile = intraday_profile((np.arange(390) + 0.5) / 390)
    p = np.zeros(2, dtype=ALGO_PARENT_DT)
    p["ts_end"] = 390 * 60_000_000_000
    p["qty"] = 1_000_000
    p["algo"] = [AlgoKind.VWAP, AlgoKind.TWAP]
    _, qty = slice_schedule(p, 13, times, profile, np.array([1, 1]))
    want = profile.reshape(13, 30).sum(axis=1) / profile.sum()
    np.testing.assert_allclose(qty[0] / 1_000_000, want, atol=2e-6)
    assert qty[0][0] > 1.3 * qty[0][6] and qty[0][-1] > 1.3 * qty[0][6]  # U-shape
    np.testing.assert_allclose(qty[1], 1_000_000 / 13, atol=1)
    assert volume_curve(times, profile, np.array([0, 195 * 60_000_000_000, 10**15])).tolist()[::2] == [0.0, 1.0]


def test_slice_schedule_rejects_bad_input():
    p = np.zeros(1, dtype=ALGO_PARENT_DT)
    p["qty"] = 150
    with pytest.raises(ValueError, match="lot"):
        slice_schedule(p, 3, np.arange(3), np.ones(3), np.array([100]))
    with pytest.raises(ValueError, match="n_slices"):
        slice_schedule(p, 0, np.arange(3), np.ones(3), np.array([50]))
    with pytest.raises(ValueError, match="profile"):
        volume_curve(np.arange(3), -np.ones(3), np.arange(2))


def test_run_children_terminal_and_parent_status_derived(algo_run):
    o = algo_run.records["orders"]
    parents = algo_run.records["parents"]
    assert parents.size > 50
    kids = o[o["origin"] == OrderOrigin.ALGO_CHILD]
    assert np.all(kids["status"] >= OrderStatus.FILLED)
    pos = np.searchsorted(parents["parent_id"], kids["parent_id"])
    filled = np.bincount(pos, weights=kids["filled_qty"], minlength=parents.size)
    np.testing.assert_array_equal(parents["filled_qty"], filled)
    assert np.all(parents["filled_qty"] <= parents["qty"])
    np.testing.assert_array_equal(parents["n_children"], np.bincount(pos, minlength=parents.size))
    full = parents["filled_qty"] == parents["qty"]
    assert np.all(parents["status"][full] == OrderStatus.FILLED)
    assert set(parents["status"][~full].tolist()) <= {OrderStatus.EXPIRED, OrderStatus.REJECTED}
    assert full.any() and (~full).any()
    # market parents' avg price is their children's VWAP
    got = parents["filled_qty"] > 0
    px = np.where(kids["filled_qty"] > 0, kids["avg_fill_price"], 0.0)
    vwap = np.bincount(pos, weights=kids["filled_qty"] * px, minlength=parents.size)[got] / filled[got]
    np.testing.assert_allclose(parents["avg_fill_price"][got], vwap)
    lim = (parents["order_type"] == OrderType.LIMIT) & got
    buy = parents["side"] > 0
    assert np.all(parents["avg_fill_price"][lim & buy] <= parents["limit_price"][lim & buy] + 1e-9)
    assert np.all(parents["avg_fill_price"][lim & ~buy] >= parents["limit_price"][lim & ~buy] - 1e-9)
    frame = algo_run.parents
    assert len(frame) == parents.size and set(frame["algo"].cat.categories) == {"TWAP", "VWAP"}


def test_parent_status_cases():
    p = np.zeros(3, dtype=ALGO_PARENT_DT)
    p["parent_id"] = [0, 1, 2]
    p["qty"] = 100
    p["ts_end"] = 50
    o = np.zeros(4, dtype=tradeflow.schema.ORDER_DT)
    o["origin"] = OrderOrigin.ALGO_CHILD
    o["parent_id"] = [0, 0, 1, 2]
    o["filled_qty"] = [60, 40, 30, 0]
    o["avg_fill_price"] = [10.0, 11.0, 9.0, np.nan]
    o["status"] = [OrderStatus.FILLED, OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED]
    o["ts_done"] = [5, 20, 30, 1]
    out = parent_fills(p, o)
    assert out["status"].tolist() == [OrderStatus.FILLED, OrderStatus.EXPIRED, OrderStatus.REJECTED]
    assert out["avg_fill_price"][0] == pytest.approx(10.4) and np.isnan(out["avg_fill_price"][2])
    assert out["ts_done"].tolist() == [20, 50, 50]
    o["parent_id"][3] = 9
    with pytest.raises(ValueError, match="parent_id 9"):
        parent_fills(p, o)


def test_algo_config_validation():
    for bad in ({"algo_share": 1.5}, {"algo_slices": 0}, {"algo_size_multiplier": 0.5},
                {"algo_duration_minutes": -1.0}, {"vwap_share": -0.1}):
        name = next(iter(bad))
        with pytest.raises(ValueError, match=name):
            tradeflow.FlowConfig(**bad)
