"""The price paths' kernels give the bits of the numpy expressions they replace (written out here from
the docstrings, as simulate_market computed them before the kernels)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeflow.market._path_kernels import (
    JUMPS_NONE,
    JUMPS_PLAIN,
    JUMPS_SESSION,
    garch_recursion_nb,
    log_paths_nb,
    quotes_nb,
)
from tradeflow.market.models import garch_block_variance, garch_scale


def _numpy_log_paths(drift, vol, dt, base_scale, base_var, g, t, block, z, jump, comp, jump_mode, on):
    n = z.shape[1]
    scale, variance = base_scale, base_var
    dt = dt[:, None]
    if g is not None:
        gs = np.repeat(g, block, axis=1)[:, :n]
        scale, variance = scale * gs, variance * gs**2
    if t is not None:
        ts = np.repeat(t, block, axis=1)[:, :n]
        scale, variance = scale * ts, variance * ts**2
    incr = (drift[:, None] - 0.5 * vol[:, None] ** 2 * variance) * dt + vol[:, None] * np.sqrt(dt) * scale * z
    if jump_mode == JUMPS_PLAIN:
        incr = incr + jump - comp[:, None]
    elif jump_mode == JUMPS_SESSION:
        incr = incr + (jump - comp[:, None]) * on
    if on is not None:
        incr = incr * on
    return np.concatenate([np.zeros((z.shape[0], 1)), np.cumsum(incr, axis=1)], axis=1)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_inst=st.integers(1, 4), n=st.integers(1, 300), block=st.integers(1, 40),
       garch=st.booleans(), student=st.booleans(), jump_mode=st.sampled_from([JUMPS_NONE, JUMPS_PLAIN, JUMPS_SESSION]),
       session=st.booleans())
def test_log_paths_are_the_numpy_expressions_bit_for_bit(seed, n_inst, n, block, garch, student, jump_mode, session):
    rng = np.random.default_rng(seed)
    n_blocks = -(-n // block)
    drift, vol = rng.normal(0, 0.1, n_inst), rng.uniform(0.05, 0.8, n_inst)
    dt = rng.uniform(1e-9, 1e-6, n_inst)
    prof = rng.uniform(0.2, 3.0, (n_inst, n))
    base_scale, base_var = np.sqrt(prof), prof
    g = np.sqrt(rng.uniform(0.3, 3.0, (n_inst, n_blocks))) if garch else None
    t = np.sqrt(rng.uniform(0.3, 3.0, (n_inst, n_blocks))) if student else None
    z = rng.standard_normal((n_inst, n))
    jump = np.where(rng.random((n_inst, n)) < 0.05, rng.normal(0, 0.01, (n_inst, n)), 0.0)
    comp = rng.uniform(0, 1e-4, n_inst)
    on = rng.random((n_inst, n)) < 0.8 if (session or jump_mode == JUMPS_SESSION) else None
    want = _numpy_log_paths(drift, vol, dt, base_scale, base_var, g, t, block, z, jump, comp, jump_mode, on)
    got = np.empty((n_inst, n + 1))
    none = np.zeros((0, 0))
    log_paths_nb(drift, vol, dt, base_scale, base_var, none if g is None else g, none if t is None else t, block,
                 z, jump if jump_mode != JUMPS_NONE else none, comp, jump_mode,
                 np.zeros((0, 0), np.bool_) if on is None else on, got)
    assert got.tobytes() == want.tobytes()


def test_log_paths_read_broadcast_views():
    # the profile without venue sessions is one row for every instrument: a stride-0 view, not a copy
    rng = np.random.default_rng(3)
    row = rng.uniform(0.5, 2.0, 50)
    z = rng.standard_normal((3, 50))
    args = (np.zeros(3), np.full(3, 0.3), np.full(3, 1e-7))
    got = np.empty((3, 51))
    none = np.zeros((0, 0))
    log_paths_nb(*args, np.broadcast_to(np.sqrt(row), z.shape), np.broadcast_to(row, z.shape), none, none, 1, z,
                 none, np.zeros(3), JUMPS_NONE, np.zeros((0, 0), np.bool_), got)
    want = _numpy_log_paths(*args, np.sqrt(row)[None, :], row[None, :], None, None, 1, z, None, np.zeros(3),
                            JUMPS_NONE, None)
    assert got.tobytes() == want.tobytes()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_inst=st.integers(1, 4), n=st.integers(1, 200))
def test_quotes_are_the_numpy_expressions_bit_for_bit(seed, n_inst, n):
    rng = np.random.default_rng(seed)
    tick = rng.choice(np.array([0.0001, 0.01, 0.05, 0.5]), n_inst)
    spread_bps = rng.uniform(0.0, 80.0, n_inst)
    mid = rng.uniform(0.0, 500.0, (n_inst, n))
    mid[rng.random((n_inst, n)) < 0.02] = np.nan  # a missing user price stays missing
    half = np.maximum(mid * spread_bps[:, None] * 0.5e-4, tick[:, None] * 0.5)
    bid_t = np.floor((mid - half) / tick[:, None] + 1e-9)
    ask_t = np.ceil((mid + half) / tick[:, None] - 1e-9)
    ask_t = np.maximum(ask_t, bid_t + 1.0)
    bid_t = np.maximum(bid_t, 1.0)
    ask_t = np.maximum(ask_t, bid_t + 1.0)
    bid, ask = np.empty_like(mid), np.empty_like(mid)
    quotes_nb(mid, tick, spread_bps, bid, ask)
    assert bid.tobytes() == (bid_t * tick[:, None]).tobytes()
    assert ask.tobytes() == (ask_t * tick[:, None]).tobytes()


def test_garch_recursion_is_the_row_loop_and_scale_repeats_it():
    rng = np.random.default_rng(5)
    z = rng.standard_normal((4, 1_000))
    h0 = rng.uniform(0.5, 2.0, 4)
    h, h_next = garch_block_variance(z, block=60, alpha=0.08, beta=0.9, h0=h0)
    # the recursion as numpy rows, block by block
    n_blocks = -(-1_000 // 60)
    zz = np.pad(z, ((0, 0), (0, n_blocks * 60 - 1_000)))
    counts = np.full(n_blocks, 60.0)
    counts[-1] = 1_000 - 60 * (n_blocks - 1)
    xi = zz.reshape(4, n_blocks, 60).sum(axis=2) / np.sqrt(counts)
    hm, want = h0.copy(), np.empty((4, n_blocks))
    for m in range(n_blocks):
        want[:, m] = hm
        hm = (1.0 - 0.08 - 0.9) + 0.08 * hm * xi[:, m] ** 2 + 0.9 * hm
    assert h.tobytes() == want.tobytes() and h_next.tobytes() == hm.tobytes()
    scale, nxt = garch_scale(z, block=60, alpha=0.08, beta=0.9, h0=h0)
    assert scale.shape == z.shape and nxt.tobytes() == hm.tobytes()
    assert np.array_equal(scale[:, ::60], np.sqrt(want))
    out = np.empty((1, 2))
    garch_recursion_nb(np.ones((1, 2)), np.ones(1), 0.5, 0.25, 0.25, out)
    assert out.tolist() == [[1.0, 1.0]]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_inst=st.integers(1, 4), n=st.integers(2, 200), breaks=st.booleans())
def test_session_clock_is_the_numpy_expressions(seed, n_inst, n, breaks):
    from tradeflow.market._path_kernels import session_clock_nb

    rng = np.random.default_rng(seed)
    step_ns = int(rng.integers(1, 10**9))
    times = 10**15 + step_ns * np.arange(n, dtype=np.int64)
    span = n * step_ns
    open_ns = np.where(rng.random(n_inst) < 0.2, -1, 10**15 + rng.integers(-span // 4, span, n_inst))
    close_ns = open_ns + rng.integers(1, span, n_inst)
    start_b = open_ns + rng.integers(0, span // 2 + 1, n_inst)
    bs_in = np.where(rng.random(n_inst) < 0.6, start_b, -1) if breaks else np.full(n_inst, -1)
    be_in = bs_in + rng.integers(-5, span // 3 + 1, n_inst)  # some breaks empty or reversed: none
    # the numpy expressions _instrument_sessions used
    start = times[:-1]
    on = (start[None, :] >= open_ns[:, None]) & (start[None, :] < close_ns[:, None]) & (open_ns[:, None] >= 0)
    has = (bs_in >= 0) & (be_in > bs_in)
    bs = np.where(has, bs_in, 0)[:, None]
    blen = np.where(has, be_in - bs_in, 0)
    on &= ~((start[None, :] >= bs) & (start[None, :] < bs + blen[:, None]))
    length = np.maximum(close_ns - open_ns - blen, 1).astype(np.float64)
    mid_t = times[None, :] + 0.5 * step_ns
    frac = np.clip((mid_t - open_ns[:, None] - np.clip(mid_t - bs, 0, blen[:, None])) / length[:, None], 0.0, 1.0)
    got_on = np.empty((n_inst, n - 1), bool)
    got_frac = np.empty((n_inst, n))
    session_clock_nb(times, 0.5 * step_ns, open_ns, close_ns, bs[:, 0].copy(), blen, length, got_on, got_frac)
    np.testing.assert_array_equal(got_on, on)
    assert got_frac.tobytes() == frac.tobytes()
