"""The book venue end to end: every client order ends terminal, no fill breaks a limit or the quantity."""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tradeflow
from tests.conftest import small_config
from tests.test_invariants import check_invariants
from tradeflow.config import ExecutionConfig
from tradeflow.front import generate_orders, run_venue
from tradeflow.market import simulate_market
from tradeflow.schema import Liquidity, OrderType, TimeInForce

FLOW = {"cancel_rate": 0.3, "replace_rate": 0.05, "ioc_share": 0.1, "fok_share": 0.05}


@settings(max_examples=10)
@given(seed=st.integers(0, 2**31 - 1), orders=st.integers(1, 4_000), mkt=st.floats(0.0, 1.0),
       shape=st.sampled_from(["linear", "flat"]))
def test_venue_runs_keep_every_invariant(seed, orders, mkt, shape):
    cfg = small_config(orders, flow={**FLOW, "market_order_share": mkt}, execution={"book_shape": shape})
    check_invariants(tradeflow.simulate(cfg, seed=seed))


def test_venue_executions_respect_orders():
    cfg = small_config(6_000, flow=FLOW)
    rng = np.random.default_rng(9)
    market = simulate_market(cfg.market, rng)
    orders = generate_orders(cfg.flow, market, rng)
    out = run_venue(orders, market, cfg.execution, np.full(market.n_instruments, 100.0), np.random.default_rng(1))
    o, x = out.orders, out.executions
    assert np.all(np.diff(x["ts"]) >= 0)
    row = x["order_id"] - o["order_id"][0]
    filled = np.bincount(row, weights=x["qty"], minlength=o.size)
    assert np.all(filled <= o["qty"])
    lim = o["order_type"][row] == OrderType.LIMIT
    assert np.all(o["side"][row][lim] * (x["price"][lim] - o["limit_price"][row][lim]) <= 1e-9)
    fok = o["tif"] == TimeInForce.FOK
    assert np.all((filled[fok] == 0) | (filled[fok] == o["qty"][fok]))
    # immediate orders end at their arrival at the venue: fills no later than that, latency >= 250us
    imm = (o["order_type"] == OrderType.MARKET) | (o["tif"] != TimeInForce.DAY)
    assert np.all(o["ts_cancel"][imm] - o["ts"][imm] >= 250_000)
    assert np.all(x["ts"][imm[row]] == o["ts_cancel"][row][imm[row]])
    # a maker fill never happens at the order's own arrival for immediate orders
    assert np.all(x["liquidity"][imm[row]] == Liquidity.TAKER)
    q = out.quotes
    both = np.isfinite(q["bid"]) & np.isfinite(q["ask"])
    tick = market.instruments["tick_size"].to_numpy()[q["instrument"]]
    assert np.all(q["ask"][both] - q["bid"][both] >= tick[both] - 1e-9)
    # quoted through each venue's session (none outside it: the book is shut)
    inst = q["instrument"]
    live = (q["ts"] >= market.session_open[inst]) & (q["ts"] < market.session_close[inst])
    assert live.mean() > 0.3 and both[live].mean() > 0.99
    # the book tracks the fair price plus the client flow's transient impact within a few depths
    mid = 0.5 * (q["bid"] + q["ask"])
    step = np.searchsorted(market.times, q["ts"])
    fair = market.mid[q["instrument"], step]
    anchor = fair + out.impact[q["instrument"], step]
    assert np.nanmedian(np.abs(mid - anchor) / tick) < cfg.execution.book_depth_ticks
    # (while the venue is open: the impact is zero while it is shut)
    assert np.nanmedian(np.abs(out.impact[q["instrument"], step][live]) / tick[live]) > 1
    off = run_venue(orders, market, replace(cfg.execution, impact=False), np.full(market.n_instruments, 100.0),
                    np.random.default_rng(1))
    assert np.all(off.impact == 0)
    q0 = off.quotes
    assert np.nanmedian(np.abs(0.5 * (q0["bid"] + q0["ask"]) - fair) / tick) < cfg.execution.book_depth_ticks


def test_impact_pushes_prices_with_client_flow():
    # buys raise the book above the fair price on average, sells lower it: the impact follows the flow's sign
    cfg = small_config(6_000)
    rng = np.random.default_rng(4)
    market = simulate_market(cfg.market, rng)
    orders = generate_orders(cfg.flow, market, rng)
    out = run_venue(orders, market, cfg.execution, np.full(market.n_instruments, 100.0), np.random.default_rng(2))
    x = out.executions[out.executions["liquidity"] == Liquidity.TAKER]
    o = out.orders[x["order_id"] - out.orders["order_id"][0]]
    step = np.minimum(np.searchsorted(market.times, x["ts"], side="right"), market.n_steps - 1)
    after = out.impact[o["instrument"], step]
    before = out.impact[o["instrument"], np.maximum(step - 2, 0)]
    assert np.mean(o["side"] * (after - before)) > 0


@pytest.mark.parametrize("field,value", [("impact", 1), ("impact_coefficient", -1.0),
                                         ("impact_decay_exponent", 1.0), ("impact_decay_exponent", 0.0),
                                         ("impact_timescale_seconds", 0.0)])
def test_impact_config_is_validated(field, value):
    with pytest.raises(ValueError, match=field):
        ExecutionConfig(**{field: value})

def test_quote_venue_still_available():
    r = tradeflow.simulate(small_config(2_000, execution={"venue": "quote"}), seed=2)
    check_invariants(r)
    assert r.records["quotes"].size == 0 and len(r.records["executions"]) > 0


def test_the_books_draw_into_one_scratch_buffer_the_same_flow():
    """venue_setup draws every book's flow into one reused buffer: each book's events are background_flow's,
    whether the buffer grows (a longer session next) or is larger than the book needs."""
    from tradeflow.front.venue import _background_flow, background_flow

    cfg = ExecutionConfig(venue="book", book_events_per_second=3.0)
    scratch: dict[str, np.ndarray] = {}
    for seed, n_steps in ((0, 400), (1, 900), (2, 150)):  # grows, then larger than needed
        times = 10**12 + np.arange(n_steps, dtype=np.int64) * 1_000_000_000
        fair = 10_000 + np.cumsum(np.random.default_rng(seed).normal(0, 2, n_steps))
        kw = {"fair_ticks": fair, "times": times, "profile": np.ones(n_steps), "cfg": cfg, "lo": 9_000}
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        want, got = background_flow(a, **kw, time_order=False), _background_flow(b, **kw, time_order=False,
                                                                                   scratch=scratch)
        assert a.bit_generator.state == b.bit_generator.state
        for f, x in want.items():
            np.testing.assert_array_equal(got[f], x, err_msg=f)


@given(kind=st.lists(st.integers(0, 5), max_size=40), seed=st.integers(0, 2**16))
def test_kind_volume_is_the_masked_sum(kind, seed):
    from tradeflow.front._kernels import kind_volume_nb

    kind = np.array(kind, np.int8)
    qty = np.random.default_rng(seed).integers(0, 10**9, kind.shape[0])
    for k in range(6):
        assert kind_volume_nb(kind, qty, np.int8(k)) == int(qty[kind == k].sum())
