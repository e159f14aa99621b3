"""The front office's other kernels against plain-Python references."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tradeflow.front import _kernels as k


def reference_hawkes(rng, mu_step, step_s, horizon, branching, decay):
    mu_max, t, exc, out = max(mu_step), 0.0, 0.0, []
    while True:
        bound = mu_max + exc
        if bound <= 0:
            return out
        w = rng.standard_exponential() / bound
        t += w
        if t >= horizon:
            return out
        exc *= np.exp(-decay * w)
        s = min(int(t / step_s), len(mu_step) - 1)
        if rng.random() * bound <= mu_step[s] + exc:
            out.append(t)
            exc += branching * decay


@given(seed=st.integers(0, 2**32 - 1), n_steps=st.integers(1, 20), branching=st.floats(0.0, 0.95),
       decay=st.floats(0.05, 5.0))
def test_hawkes_kernel_matches_reference(seed, n_steps, branching, decay):
    mu = np.random.default_rng(seed).random(n_steps) * 2
    out = np.empty(100_000)
    n = k.hawkes_times_nb(np.random.default_rng(seed), mu, 3.0, 3.0 * n_steps, branching, decay, out)
    ref = reference_hawkes(np.random.default_rng(seed), list(mu), 3.0, 3.0 * n_steps, branching, decay)
    # Same draws, same events; the times may differ in the last bits: numba's compiled exp and float
    # sums are not guaranteed bit-equal to numpy's (hypothesis found 1-ulp gaps), so a tolerance of
    # 1e-12 relative (1e-12 s absolute near zero), far below any rounding that could change an event.
    assert n == len(ref)
    np.testing.assert_allclose(out[:n], ref, rtol=1e-12, atol=1e-12)


@given(seed=st.integers(0, 2**32 - 1), n_meta=st.integers(1, 200), target=st.floats(1.0, 1e4),
       carried=st.booleans())
def test_lean_sides_matches_reference(seed, n_meta, target, carried):
    rng = np.random.default_rng(seed)
    order = rng.permutation(n_meta)
    book, inst = rng.integers(0, 3, n_meta), rng.integers(0, 4, n_meta)
    qty, u = rng.random(n_meta) * 1000, rng.random(n_meta)
    start = rng.normal(0, 3 * target, (3, 4)) if carried else np.zeros((3, 4))
    got = np.empty(n_meta, np.int64)
    inv_out = start.copy()
    k.lean_sides_nb(order, book, inst, qty, u, target, inv_out, got)
    inv = {(b, i): start[b, i] for b in range(3) for i in range(4)}
    for m in order:
        x = inv[(book[m], inst[m])]
        against = -1 if x > 0 else 1
        side = against if u[m] < 0.5 + 0.5 * min(abs(x) / target, 1.0) else -against
        assert got[m] == side
        inv[(book[m], inst[m])] = x + side * qty[m]
    np.testing.assert_array_equal(inv_out, [[inv[(b, i)] for i in range(4)] for b in range(3)])


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 500), n_steps=st.integers(1, 30),
       shape=st.sampled_from([k.SHAPE_FLAT, k.SHAPE_LINEAR, k.SHAPE_POWER]), depth=st.integers(1, 25))
def test_background_events_match_reference(seed, n, n_steps, shape, depth):
    rng = np.random.default_rng(seed)
    expo, uni = rng.standard_exponential(n + 1), rng.random((5, n))
    times = 1_000 + np.arange(n_steps, dtype=np.int64) * 1_000_000
    profile = rng.random(n_steps) + 0.1
    fair = 500 + rng.normal(0, 3, n_steps)
    out = [np.empty(n, np.int64), np.empty(n, np.int8), np.empty(n, np.int8), np.empty(n, np.int64),
           np.empty(n, np.int64), np.empty(n)]
    scale = rng.random(n_steps) * 3 + 0.05
    k.background_events_nb(expo, uni, times, np.int64(1_000_000), profile, fair, np.int64(depth), shape, scale, 0.6,
                           0.1, 0.4, np.int64(100), 0.5, np.int64(400), *out)
    ts, kind, side, price, qty, u = out
    x = np.cumsum(expo)[:n] / expo.sum()
    cum_hi = np.cumsum(profile / profile.sum())
    assert np.all(np.diff(ts) >= 0) and (n == 0 or (ts[0] >= times[0] and ts[-1] < times[-1] + 1_000_000))
    for j in range(n):
        s = min(int(np.searchsorted(cum_hi, x[j], side="left")), n_steps - 1)
        assert times[s] <= ts[j] <= times[s] + 1_000_000
        r = uni[0, j]
        assert kind[j] == (k.K_MARKET if r < 0.1 else k.K_BG_CANCEL if r < 0.5 else k.K_LIMIT)
        assert side[j] == (1 if uni[1, j] < 0.5 else -1) and u[j] == uni[4, j]
        if kind[j] == k.K_BG_CANCEL:  # picks a resting order by u: no price, no size
            assert price[j] == 0 and qty[j] == 0
            continue
        assert qty[j] == 100 * (1 + int(np.log(1 - uni[3, j]) / np.log(0.5)))
        if kind[j] == k.K_MARKET:  # sweeps the book: no price
            assert price[j] == 0
            continue
        if shape == k.SHAPE_POWER:  # invert the truncated P(x >= d) = (1 + d / scale) ** -0.6 on [0, depth)
            cdf = lambda d, sc=scale[s]: 1 - (1 + d / sc) ** -0.6  # noqa: E731
            xd = scale[s] * ((1 - uni[2, j] * cdf(depth)) ** (-1 / 0.6) - 1)
            assert 0 <= xd <= depth + 1e-9 and abs(cdf(xd) - uni[2, j] * cdf(depth)) < 1e-9
            dist = min(int(xd) + 1, depth)
        else:
            v = np.sqrt(uni[2, j]) if shape == k.SHAPE_LINEAR else uni[2, j]
            dist = min(int(v * depth) + 1, depth)
        want = (np.floor(fair[s]) - dist + 1 if side[j] > 0 else np.ceil(fair[s]) + dist - 1) - 400
        assert price[j] == want


@given(seed=st.integers(0, 2**32 - 1), n_grid=st.integers(0, 60))
def test_requote_events_are_the_numpy_rows(seed, n_grid):
    # the makers' requotes as background_flow wrote them with numpy: a grid time a row of four
    rng = np.random.default_rng(seed)
    times = 10**12 + np.arange(n_grid, dtype=np.int64) * 500_000_000
    lag = rng.integers(1, 1_000, n_grid)
    f = rng.uniform(100.0, 110.0, n_grid)
    on_level = rng.random(n_grid) < 0.2
    f[on_level] = np.floor(f[on_level])  # some exactly on a level: floor == ceil
    width = rng.integers(1, 5, n_grid)
    lo, qty, u = np.int64(90), np.int64(200), rng.random(2 * n_grid)
    want = {n: np.empty((n_grid, 4), dt) for n, dt in (("ts", np.int64), ("kind", np.int8), ("side", np.int8),
                                                         ("price", np.int64), ("qty", np.int64), ("u", np.float64))}
    want["ts"][:] = (times + lag)[:, None]
    want["kind"][:] = np.array([k.K_LIMIT, k.K_LIMIT, k.K_BG_CANCEL, k.K_BG_CANCEL], np.int8)
    want["side"][:] = np.array([1, -1, 1, -1], np.int8)
    want["price"][:, 0] = np.floor(f).astype(np.int64) - width + 1 - lo
    want["price"][:, 1] = np.maximum(np.ceil(f).astype(np.int64), np.floor(f).astype(np.int64) + 1) + width - 1 - lo
    want["price"][:, 2:] = 0
    want["qty"][:] = np.array([1, 1, 0, 0], np.int64) * qty
    want["u"][:, :2] = -1.0
    want["u"][:, 2], want["u"][:, 3] = u[:n_grid], u[n_grid:]
    got = {n: np.empty(4 * n_grid, a.dtype) for n, a in want.items()}
    k.requote_events_nb(times, lag, f, width, lo, qty, u, *got.values())
    for n, a in want.items():
        np.testing.assert_array_equal(got[n], a.ravel(), err_msg=n)


@given(seed=st.integers(0, 2**32 - 1), n0=st.integers(1, 60), n1=st.integers(0, 20), n2=st.integers(0, 20),
       first=st.integers(0, 10**6))
def test_assemble_orders_matches_join_gather_and_field_writes(seed, n0, n1, n2, first):
    # the flow's last step in one kernel against what it replaced: join the day orders, their replacements
    # and the algo children, drop the picked parents' own orders, gather in time order, renumber, and set
    # the venue and the starting state field by field
    from tradeflow.core.records import concat_records, take_records
    from tradeflow.front.flow import _words
    from tradeflow.schema import ORDER_DT, OrderOrigin, OrderStatus, RejectReason

    rng = np.random.default_rng(seed)
    parts = []
    for n, origin, id0 in ((n0, OrderOrigin.CLIENT, 0), (n1, OrderOrigin.REPLACE, n0),
                           (n2, OrderOrigin.ALGO_CHILD, n0 + n1)):
        p = np.zeros(n, ORDER_DT)
        p["order_id"] = id0 + np.arange(n)
        p["ts"] = np.sort(rng.integers(0, 50, n))  # ties across the parts
        p["instrument"] = rng.integers(0, 4, n)
        p["qty"] = rng.integers(1, 1000, n)
        p["limit_price"] = np.where(rng.random(n) < 0.3, np.nan, rng.random(n))
        p["origin"] = origin
        p["parent_id"] = rng.integers(0, n0, n) if origin == OrderOrigin.REPLACE else rng.integers(-1, 9, n)
        parts.append(p)
    venue_of = rng.integers(0, 3, 4).astype(np.int32)
    keep = np.ones(n0 + n1 + n2, bool)
    keep[rng.choice(n0, rng.integers(0, n0), replace=False)] = False  # the parents' own orders
    rows = np.flatnonzero(keep)
    ts_all = np.concatenate([p["ts"] for p in parts])
    order = rows[np.argsort(ts_all[rows], kind="stable")]

    want = concat_records(parts, ORDER_DT)
    want = take_records(want, order)
    new_id = np.full(int(want["order_id"].max()) + 1, -1, np.int64)
    new_id[want["order_id"]] = first + np.arange(want.size)
    rp = want["origin"] == OrderOrigin.REPLACE
    want["parent_id"][rp] = new_id[want["parent_id"][rp]]
    want["order_id"] = first + np.arange(want.size)
    want["venue"] = venue_of[want["instrument"]]
    want["status"] = OrderStatus.NEW
    want["reject_reason"] = RejectReason.NONE
    want["avg_fill_price"] = np.nan
    want["ts_done"] = -1

    got = np.zeros(order.size, ORDER_DT)
    k.assemble_orders_nb(*(_words(p) for p in parts), order, np.int64(first), venue_of, np.int8(OrderOrigin.REPLACE),
                         np.int8(OrderStatus.NEW), np.int8(RejectReason.NONE),
                         np.full(n0 + n1 + n2, -1, np.int64), _words(got), got)
    for f in ORDER_DT.names:
        assert np.array_equal(got[f], want[f], equal_nan=True), f
