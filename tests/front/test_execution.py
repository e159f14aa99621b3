"""The fill model against a brute-force scan."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tradeflow.front import _kernels as k


def reference_fill(t, i, side, is_limit, limit, bid, ask):
    buy = side > 0
    touch = ask[i, t] if buy else bid[i, t]
    if not is_limit or (buy and limit >= touch) or (not buy and limit <= touch):
        return t, touch, True
    for j in range(t + 1, ask.shape[1]):
        if (buy and ask[i, j] < limit) or (not buy and bid[i, j] > limit):
            return j, limit, False
    return -1, np.nan, False


@given(seed=st.integers(0, 2**32 - 1), n_steps=st.one_of(st.integers(1, 400), st.integers(4_000, 9_000)),
       block=st.sampled_from([1, 2, 3, 8, 64]), far=st.sampled_from([6, 60, 400]))
def test_candidate_fills_match_brute_force(seed, n_steps, block, far):
    # ``far``: limits up to that far from the mid, so that resting orders fill late or never and the
    # search runs through the index's blocks and superblocks
    rng = np.random.default_rng(seed)
    n_inst, n = 3, 50
    mid = 100 + np.cumsum(rng.integers(-2, 3, size=(n_inst, n_steps)), axis=1).astype(float)
    bid, ask = mid - 1, mid + 1
    step = rng.integers(0, n_steps, n)
    inst = rng.integers(0, n_inst, n)
    side = rng.choice([-1, 1], n)
    is_limit = rng.random(n) < 0.7
    limit = mid[inst, step] + rng.integers(-far, far + 1, n)
    max_bid, min_ask = k.block_extrema_nb(bid, ask, block)
    out_step, out_price, out_taker = np.empty(n, np.int64), np.empty(n), np.empty(n, bool)
    k.candidate_fills_nb(step, inst, side, is_limit, limit, bid, ask, max_bid, min_ask, block,
                         out_step, out_price, out_taker)
    for o in range(n):
        ref = reference_fill(step[o], inst[o], side[o], is_limit[o], limit[o], bid, ask)
        assert out_step[o] == ref[0]
        assert out_taker[o] == ref[2]
        if ref[0] >= 0:
            assert out_price[o] == ref[1]
            if is_limit[o]:  # a limit buy never fills above its limit, a sell never below
                assert side[o] * (out_price[o] - limit[o]) <= 0


def _executions_by_numpy(orders, market, cfg, minor_scale):
    # the fill model's records written column by column in numpy (the kernel writes them per order)
    from tradeflow.schema import EXECUTION_DT, Liquidity, OrderType

    n = orders.shape[0]
    step = np.clip(np.searchsorted(market.times, orders["ts"], side="right") - 1, 0, market.n_steps - 1)
    out_step, price, taker = np.empty(n, np.int64), np.empty(n), np.empty(n, bool)
    max_bid, min_ask = k.block_extrema_nb(market.bid, market.ask, k.BLOCK)
    k.candidate_fills_nb(step, orders["instrument"].astype(np.int64), orders["side"].astype(np.int64),
                         orders["order_type"] == OrderType.LIMIT, orders["limit_price"].astype(np.float64),
                         market.bid, market.ask, max_bid, min_ask, k.BLOCK, out_step, price, taker)
    hit = np.flatnonzero(out_step >= 0)
    execs = np.zeros(hit.size, dtype=EXECUTION_DT)
    execs["order_id"] = orders["order_id"][hit]
    execs["ts"] = np.where(taker[hit], orders["ts"][hit], market.times[out_step[hit]])
    execs["qty"] = orders["qty"][hit]
    execs["price"] = price[hit]
    execs["liquidity"] = np.where(taker[hit], Liquidity.TAKER, Liquidity.MAKER)
    bps = np.where(taker[hit], cfg.taker_fee_bps, cfg.maker_fee_bps)
    scale = minor_scale[orders["instrument"][hit]]
    mult = market.instruments["multiplier"].to_numpy(np.float64)[orders["instrument"][hit]]
    execs["fee"] = np.rint(execs["qty"] * execs["price"] * mult * bps * 1e-4 * scale) / scale
    return execs[np.lexsort((execs["order_id"], execs["ts"]))]


@given(seed=st.integers(0, 10_000), shuffle=st.booleans(),
       fees=st.sampled_from([(0.2, 0.1), (3, 1), (0.0, 0.0), (1.7, 0.35)]))
def test_execute_orders_matches_the_records_built_in_numpy(seed, shuffle, fees):
    # in (ts, order_id) order, bit for bit, whether the orders come in id order (the merged sort) or not
    from tests.conftest import small_config
    from tradeflow.front import execute_orders, generate_orders
    from tradeflow.market import simulate_market

    cfg = small_config(400, execution={"taker_fee_bps": fees[0], "maker_fee_bps": fees[1]})
    rng = np.random.default_rng(seed)
    market = simulate_market(cfg.market, rng)
    orders = generate_orders(cfg.flow, market, rng)
    if shuffle:
        orders = orders[rng.permutation(orders.shape[0])]
    scale = 10.0 ** rng.integers(0, 3, market.n_instruments)
    got = execute_orders(orders, market, cfg.execution, scale)
    want = _executions_by_numpy(orders, market, cfg.execution, scale)
    assert got.shape == want.shape and got.shape[0] > 0
    for f in want.dtype.names:
        np.testing.assert_array_equal(got[f], want[f], err_msg=f)
