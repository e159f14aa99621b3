"""Arrivals, clients and order generation."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    # pooled over seeds: variance/mean of 1-min counts across 3 x 390 minutes
    prof = np.ones(390)

    def counts(t):
        return np.bincount((t // 60).astype(int), minlength=390)

    h = [hawkes_arrivals(np.random.default_rng(s), expected=50_000, profile=prof, step_s=60.0, branching=0.7,
                         decay_s=30.0) for s in range(3)]
    p = [poisson_arrivals(np.random.default_rng(s), expected=50_000, profile=prof, step_s=60.0) for s in range(3)]
    ch, cp = np.concatenate([counts(t) for t in h]), np.concatenate([counts(t) for t in p])
    assert ch.var() / ch.mean() > 2.0 and 0.8 < cp.var() / cp.mean() < 1.25
    for t in h:
        assert np.all(np.diff(t) >= 0) and t.max() < 390 * 60


def test_hawkes_follows_the_profile():
    prof = np.r_[np.full(50, 3.0), np.ones(50)]
    ts = [hawkes_arrivals(np.random.default_rng(s), expected=20_000, profile=prof, step_s=1.0, branching=0.5,
                          decay_s=0.5) for s in range(3)]
    first, second = sum((t < 50).sum() for t in ts), sum((t >= 50).sum() for t in ts)
    assert 2.6 < first / second < 3.4


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


def _metaorder_ids_reference(rng, client, n_clients, *, tail, max_len):
    # the docstring's definition, client by client (the form metaorder_ids had before its kernel)
    out = np.empty(client.shape[0], np.int64)
    base = 0
    for c in range(n_clients):
        rows = np.flatnonzero(client == c)
        if rows.size == 0:
            continue
        lengths = np.minimum(np.floor((1.0 - rng.random(rows.size)) ** (-1.0 / tail)), max_len).astype(np.int64)
        ids = np.searchsorted(np.cumsum(np.maximum(lengths, 1)), np.arange(rows.size), side="right")
        out[rows] = base + ids
        base += int(ids[-1]) + 1
    return out


@settings(max_examples=60, deadline=None)
@given(n_clients=st.integers(1, 6), n=st.integers(1, 400), seed=st.integers(0, 2**32 - 1),
       tail=st.floats(1.05, 3.0), max_len=st.integers(1, 50))
def test_metaorder_ids_match_the_per_client_reference(n_clients, n, seed, tail, max_len):
    client = np.random.default_rng(seed).integers(0, n_clients, n)  # some clients may send nothing
    got = metaorder_ids(np.random.default_rng(seed + 1), client, n_clients, tail=tail, max_len=max_len)
    want = _metaorder_ids_reference(np.random.default_rng(seed + 1), client, n_clients, tail=tail, max_len=max_len)
    np.testing.assert_array_equal(got, want)


def test_power_law_sizes_have_the_configured_tail_and_round_lots():
    cfg = FlowConfig(size_tail=1.6, round_lot_share=0.0)
    xmin = cfg.median_qty / 2 ** (1 / 1.6)
    for seeds in [(0, 1), (2, 3)]:  # two pooled samples: each must recover the tail
        s = np.concatenate([order_sizes(np.random.default_rng(k), cfg, 100_000) for k in seeds])
        mle = s.size / np.log(s / xmin).sum()  # the Pareto MLE of the tail exponent (sd ~ 1.6 / sqrt(n) = 0.004)
        assert abs(mle - 1.6) < 0.02
        assert abs(np.median(s) - cfg.median_qty) < 0.02 * cfg.median_qty
    lots = np.concatenate([order_sizes(np.random.default_rng(k), FlowConfig(round_lot_share=0.4), 50_000)
                           for k in (0, 1)])
    assert 0.38 < np.mean(lots % 100 == 0) < 0.43


@pytest.mark.parametrize("persist", [True, False])
def test_metaorders_give_order_signs_long_memory(persist):
    from tradeflow.market.stylized import hurst_aggregated_variance

    # Hurst exponent of aggressive order signs, pooled over two seeds (>= 10k market orders)
    cfg = small_config(20_000, flow={"side_persistence": persist})
    signs = []
    for seed in (0, 1):
        rng = np.random.default_rng(seed)
        o = generate_orders(cfg.flow, simulate_market(cfg.market, rng), rng)
        signs.append(o["side"][o["order_type"] == OrderType.MARKET].astype(np.float64))
    assert sum(s.size for s in signs) >= 10_000
    hurst = hurst_aggregated_variance(signs)
    if persist:  # metaorder tail 1.5: (3 - 1.5) / 2 = 0.75
        assert 0.6 <= hurst <= 0.85
    else:
        assert abs(hurst - 0.5) < 0.08


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


def _limit_pressure(run, days=10):
    """Per day: share of orders refused by a position limit, and mean |position| at the close."""
    from tradeflow.schema import NS_PER_DAY, RejectReason

    o = run.records["orders"]
    day = o["ts"] // NS_PER_DAY
    blocked = np.isin(o["reject_reason"], [RejectReason.MAX_POSITION, RejectReason.MAX_GROSS_POSITION])
    dates = np.unique(day)
    assert dates.size == days
    eod = run.records["eod_positions"]
    return (np.array([blocked[day == d].mean() for d in dates]), np.array([blocked[day == d].sum() for d in dates]),
            np.array([(day == d).sum() for d in dates]),
            np.array([np.abs(eod["qty"][eod["trade_date"] == d]).mean() for d in dates]))


@pytest.mark.slow
def test_carried_positions_keep_a_multi_day_desk_inside_its_limits(monkeypatch):
    import tradeflow
    import tradeflow.sim

    cfg = small_config(3_000, days=10, pretrade={"max_position_qty": 15_000})
    _, hit, n, pos = _limit_pressure(tradeflow.simulate(cfg, seed=0, progress=False))
    last = hit[-3:].sum() / n[-3:].sum()
    # the lean continues from the carried positions: no build-up of closing inventory over the days
    # (seeds 0-2: last-3-days mean |position| 1.05-1.16x day 1's)
    assert pos[-3:].mean() <= 1.25 * pos[0]

    # the same run with every session leaning from flat books (the flow before the carry)
    flat = tradeflow.sim.generate_flow
    monkeypatch.setattr(tradeflow.sim, "generate_flow", lambda *a, positions=None, **k: flat(*a, **k))
    _, hit_flat, n_flat, pos_flat = _limit_pressure(tradeflow.simulate(cfg, seed=0, progress=False))
    np.testing.assert_array_equal(hit_flat[0], hit[0])  # day 1 starts flat either way
    last_flat = hit_flat[-3:].sum() / n_flat[-3:].sum()
    # inventory random-walks from day to day (seeds 0-2: 2.7-3.3x day 1's, 2.6-2.9x the carried run's).
    # Since metaorder lengths follow a power law (P(L >= l) ~ l^-alpha), a day's position-limit rejects come
    # mostly from single long metaorders within the day, so the day-to-day build-up shows in the closing
    # inventory; the rejects only have to be fewer with the carry (seeds 0-2: 0.3-5.0% vs 0.7-6.3%).
    assert pos_flat[-3:].mean() >= 2 * pos_flat[0] and pos_flat[-3:].mean() >= 2 * pos[-3:].mean()
    assert last_flat > last


def test_flow_leans_against_carried_positions():
    from tradeflow.front import generate_flow

    cfg = small_config(4_000)
    market = simulate_market(cfg.market, np.random.default_rng(1))
    n_books, n_inst = cfg.flow.n_books, market.n_instruments
    flat, _ = generate_flow(cfg.flow, market, np.random.default_rng(2))
    zeros, _ = generate_flow(cfg.flow, market, np.random.default_rng(2), positions=np.zeros((n_books, n_inst)))
    for f in flat.dtype.names:  # None means flat books
        np.testing.assert_array_equal(zeros[f], flat[f])
    carried = np.zeros((n_books, n_inst), np.int64)
    carried[0, :] = 1_000_000  # book 0 long everything, far beyond the target: every metaorder sells
    carried[1, :] = -1_000_000
    o, _ = generate_flow(cfg.flow, market, np.random.default_rng(2), positions=carried)
    for f in ("ts", "instrument", "client", "book", "qty"):
        np.testing.assert_array_equal(o[f], flat[f])  # only sides move
    assert np.all(o["side"][o["book"] == 0] == -1) and np.all(o["side"][o["book"] == 1] == 1)
    rest = o["book"] >= 2
    np.testing.assert_array_equal(o["side"][rest], flat["side"][rest])  # other books unaffected
    assert np.mean(flat["side"][o["book"] == 0] == -1) < 0.75


@pytest.mark.parametrize("bad", [np.zeros((3, 10)), np.zeros(40), np.full((4, 10), np.nan),
                                 np.zeros((4, 10), dtype=object)])
def test_carried_positions_are_validated(bad):
    from tradeflow.front import generate_flow

    cfg = small_config(500)
    market = simulate_market(cfg.market, np.random.default_rng(1))
    with pytest.raises(ValueError, match="'positions' parameter of generate_flow"):
        generate_flow(cfg.flow, market, np.random.default_rng(2), positions=bad)


def test_instruments_have_validated_listing_venues():
    from tradeflow.config import HOME_MIC, InstrumentConfig, MarketConfig, OptionConfig

    cfg = MarketConfig()
    mic = {i.symbol: i.mic for i in cfg.instruments}
    assert mic["AAPL"] == "XNAS" and mic["JPM"] == "XNYS" and mic["SAP"] == "XETR" and mic["TTE"] == "XPAR"
    assert cfg.venues == tuple(dict.fromkeys(mic.values()))
    assert InstrumentConfig(symbol="X").mic == HOME_MIC["USD"] == "XNYS"
    assert InstrumentConfig(symbol="X", currency="EUR").mic == "XETR"
    assert InstrumentConfig(symbol="X", currency="ZAR").mic == "XOFF"  # no home market known: off-exchange
    for bad in ("xnys", "XNY", "XNYSE", "", 7, "XN-S"):
        with pytest.raises(ValueError, match="'mic' parameter of InstrumentConfig.*ISO 10383"):
            InstrumentConfig(symbol="X", mic=bad)
    with pytest.raises(ValueError, match="'mic' parameter of OptionConfig"):
        OptionConfig(symbol="C", underlying="AAPL", strike=200.0, expiry="2026-12-18", mic="cboe")
    opts = (OptionConfig(symbol="AAPL_C", underlying="AAPL", strike=200.0, expiry="2026-12-18"),
            OptionConfig(symbol="SAP_C", underlying="SAP", strike=200.0, expiry="2026-12-18", mic="XEUR"))
    with_opts = MarketConfig(options=opts)
    assert with_opts.mics[-2:] == ("XNAS", "XEUR")  # an option trades where its underlying does unless told
    assert with_opts.venues[-1] == "XEUR"


def test_orders_carry_their_instruments_venue_and_frames_show_the_mic():
    import tradeflow

    cfg = small_config(2_000, flow={"algo_share": 0.2, "replace_rate": 0.2})
    run = tradeflow.simulate(cfg, seed=3, progress=False)
    o = run.records["orders"]
    inst = run.instruments
    venue_id = inst["venue_id"].to_numpy()
    np.testing.assert_array_equal(o["venue"], venue_id[o["instrument"]])
    assert np.unique(o["venue"]).size == len(cfg.market.venues) > 1
    assert run.venues == cfg.market.venues
    frame = run.orders
    assert isinstance(frame["venue"].dtype, pd.CategoricalDtype)
    mic = dict(zip(inst["symbol"], inst["mic"], strict=True))
    np.testing.assert_array_equal(frame["venue"].astype(str), frame["instrument"].astype(str).map(mic))
    fills = run.fills
    assert fills["venue"].astype(str).tolist() == fills["instrument"].astype(str).map(mic).tolist()
    # every kind of order (client, replace, algo child) carries it
    kinds = {int(x) for x in np.unique(o["origin"])}
    assert {int(OrderOrigin.CLIENT), int(OrderOrigin.REPLACE), int(OrderOrigin.ALGO_CHILD)} <= kinds


def test_run_venues_round_trip_through_the_store(tmp_path):
    pytest.importorskip("pyarrow")
    import tradeflow
    from tradeflow.store import read_run, write_run

    run = tradeflow.simulate(small_config(500), seed=1, progress=False)
    write_run(run, tmp_path / "run")
    back = read_run(tmp_path / "run")
    assert back.venues == run.venues
    pd.testing.assert_series_equal(back.orders["venue"], run.orders["venue"])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), fat_rate=st.sampled_from([0.0, 0.05, 0.5]),
       shares=st.sampled_from([(0.0, 0.0), (0.1, 0.05), (0.4, 0.3)]), scalar_last=st.booleans())
def test_client_order_records_are_the_numpy_expressions(seed, n, fat_rate, shares, scalar_last):
    # the records the flow built with numpy (written out as generate_flow had them), from the same draws
    from tradeflow.front import _kernels
    from tradeflow.schema import ORDER_DT

    rng = np.random.default_rng(seed)
    n_inst, n_steps, n_cl = 3, 50, 4
    inst_lot, inst_tick = rng.choice(np.array([1, 10, 100]), n_inst), rng.choice(np.array([0.01, 0.05, 0.5]), n_inst)
    mid = rng.uniform(1.0, 300.0, (n_inst, n_steps))
    ts = np.sort(rng.integers(0, 10**12, n))
    instrument = rng.integers(0, n_inst, n).astype(np.int32)
    client = rng.integers(0, n_cl, n).astype(np.int32)
    trader, book, cpty = (rng.integers(0, 5, n).astype(np.int32) for _ in range(3))
    side = rng.choice(np.array([1, -1], np.int8), n)
    is_market = rng.random(n) < 0.3
    raw = rng.pareto(1.5, n) * 300 + 1
    step = rng.integers(0, n_steps, n)
    cancel_rate = rng.uniform(0, 0.6, n_cl)
    off_draw = rng.normal(5, 10, n)
    u_fat, u_fat_size, u_tif, u_cancel = rng.random((4, n))
    after_draw = rng.exponential(30.0, n)
    last = np.int64(5 * 10**11) if scalar_last else rng.integers(0, 10**12, n)
    ioc, fok = shares
    replace_rate = 0.2
    # numpy
    qty = np.maximum(np.rint(raw / inst_lot[instrument]).astype(np.int64), 1) * inst_lot[instrument]
    ref, tick = mid[instrument, step], inst_tick[instrument]
    offset = off_draw * 1e-4
    fat = u_fat < fat_rate
    fat_size = fat & (u_fat_size < 0.5)
    qty = np.where(fat_size, qty * 100, qty)
    offset = np.where(fat & ~fat_size, -0.10, offset)
    x = ref * (1.0 - side * offset)
    limit = np.maximum(np.where(side > 0, np.floor(x / tick + 1e-9), np.ceil(x / tick - 1e-9)), 1.0) * tick
    tif = np.where(u_tif < ioc, TimeInForce.IOC, np.where(u_tif < ioc + fok, TimeInForce.FOK, TimeInForce.DAY))
    tif = np.where(is_market, TimeInForce.DAY, tif).astype(np.int8)
    day_limit = ~is_market & (tif == TimeInForce.DAY)
    cancelled = day_limit & (u_cancel < cancel_rate[client])
    replaced = day_limit & ~cancelled & (u_cancel < cancel_rate[client] + replace_rate)
    t_cancel = ts + np.floor(np.maximum(after_draw, 1e-3) * 1e9).astype(np.int64)
    ends = (cancelled | replaced) & (t_cancel < last)
    # the kernel
    out = np.zeros(n, ORDER_DT)
    got_replaced = np.empty(n, bool)
    codes = np.array([OrderType.MARKET, OrderType.LIMIT, TimeInForce.DAY, TimeInForce.IOC, TimeInForce.FOK,
                      OrderOrigin.CLIENT], np.int64)
    _kernels.client_order_records_nb(ts, instrument, client, trader, book, cpty, side, is_market, raw, step, mid,
                                     inst_lot, inst_tick, cancel_rate, off_draw, u_fat, u_fat_size, u_tif, u_cancel,
                                     after_draw, np.broadcast_to(np.asarray(last, np.int64), (n,)), fat_rate, ioc, fok,
                                     replace_rate, codes, out, got_replaced)
    np.testing.assert_array_equal(got_replaced, replaced & ends)
    want = {"order_id": np.arange(n), "parent_id": np.full(n, -1), "ts_cancel": np.where(ends, t_cancel, -1),
            "ts": ts, "instrument": instrument, "client": client, "trader": trader, "book": book,
            "counterparty": cpty, "side": side, "order_type": np.where(is_market, OrderType.MARKET, OrderType.LIMIT),
            "tif": tif, "qty": qty, "limit_price": np.where(is_market, np.nan, limit), "ref_price": ref,
            "origin": np.full(n, OrderOrigin.CLIENT)}
    for f, v in want.items():
        np.testing.assert_array_equal(out[f], v, err_msg=f)


def test_metaorder_ids_refuse_client_ids_out_of_range():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"'client' must be ids in \[0, 3\); got 0..3"):
        metaorder_ids(rng, np.array([0, 3, 1]), 3, tail=1.5, max_len=10)
    with pytest.raises(ValueError, match="'client' must be ids"):
        metaorder_ids(rng, np.array([-1, 0]), 3, tail=1.5, max_len=10)
