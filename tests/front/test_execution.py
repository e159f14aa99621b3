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


@given(seed=st.integers(0, 2**32 - 1), n_steps=st.integers(1, 400), block=st.sampled_from([1, 3, 8, 64]))
def test_candidate_fills_match_brute_force(seed, n_steps, block):
    rng = np.random.default_rng(seed)
    n_inst, n = 3, 50
    mid = 100 + np.cumsum(rng.integers(-2, 3, size=(n_inst, n_steps)), axis=1).astype(float)
    bid, ask = mid - 1, mid + 1
    step = rng.integers(0, n_steps, n)
    inst = rng.integers(0, n_inst, n)
    side = rng.choice([-1, 1], n)
    is_limit = rng.random(n) < 0.7
    limit = mid[inst, step] + rng.integers(-6, 7, n)
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
