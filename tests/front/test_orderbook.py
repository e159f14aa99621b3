"""The numba order book against a slow, obvious pure-Python book."""

import math
from collections import deque

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeflow.front import _kernels
from tradeflow.front.impact import TransientImpact, power_law_kernel, transient_impact
from tradeflow.front.orderbook import BookEvent, run_book
from tradeflow.schema import Liquidity


def test_kernel_constants_match_enums():
    assert _kernels.LIQ_MAKER == Liquidity.MAKER and _kernels.LIQ_TAKER == Liquidity.TAKER


def reference_book(bg, cl, n_levels, n_rows, snap_ts, live_capacity, snap_fair=None, impact=None):
    """Price-time priority with Python lists: levels of FIFO deques of [slot, qty, ref].

    ``impact`` (a TransientImpact): client takes push a sum of exponentials, decayed at each
    snapshot; background limits and the pull threshold shift by its rounded value."""
    levels = {}  # level -> deque of [slot, qty, ref, side]
    where = {}  # slot -> level
    live = []  # background slots, swap-removed exactly like the kernel
    client_slot = {}
    execs, arrival = [], np.full(n_rows, np.nan)
    snaps, volume, trades = [], 0, 0
    events = [(bg["ts"][k], 0, k) for k in range(len(bg["ts"]))] + [(cl["ts"][k], 1, k) for k in range(len(cl["ts"]))]
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    next_slot = 0
    snap_i = 0
    z = [] if impact is None else [0.0] * len(impact.weights)
    imp, off, imps = 0.0, 0, []

    def side_levels(side):
        return sorted(lv for lv, q in levels.items() if q and q[0][3] == side)

    def best(side):
        lv = side_levels(side)
        return (lv[-1] if side > 0 else lv[0]) if lv else None

    def drop_live(slot):
        k = live.index(slot)
        live[k] = live[-1]
        live.pop()

    def pull(f):
        # documented: every background bid above f and ask below f goes, whatever queues with it; bids
        # from the best down and asks from the best up, FIFO in a level (the live list's removal order)
        for side in (1, -1):
            for lv in sorted(levels, reverse=side > 0):
                q = levels[lv]
                for o in [o for o in q if o[2] < 0 and o[3] == side and (lv > f if side > 0 else lv < f)]:
                    q.remove(o)
                    if o[0] in live:
                        drop_live(o[0])

    def decay(s_i):
        nonlocal imp, off
        if s_i > 0 and z:
            dt = float(snap_ts[s_i] - snap_ts[s_i - 1])
            z[:] = [v * math.exp(-r * dt) for v, r in zip(z, impact.rates, strict=True)]
            imp = sum(z)
            off = math.floor(imp + 0.5)
        imps.append(imp)

    for ts, src, k in events:
        while snap_i < len(snap_ts) and snap_ts[snap_i] <= ts:
            decay(snap_i)
            b, a = best(1), best(-1)  # recorded before the pull (documented: makers requote at once)
            snaps.append((-1 if b is None else b, -1 if a is None else a,
                          0 if b is None else sum(o[1] for o in levels[b]),
                          0 if a is None else sum(o[1] for o in levels[a]), volume, trades))
            if snap_fair is not None and not np.isnan(snap_fair[snap_i]):
                pull(snap_fair[snap_i] + off)
            snap_i += 1
        s = bg if src == 0 else cl
        kind, side, price, qty = int(s["kind"][k]), int(s["side"][k]), int(s["price"][k]), int(s["qty"][k])
        ref = -1 if src == 0 else int(s["ref"][k])
        if src == 0:
            price = min(max(price + off, 0), n_levels - 1)
        if kind in (BookEvent.CANCEL, BookEvent.BG_CANCEL):
            if kind == BookEvent.CANCEL:
                slot = client_slot.pop(ref, None)
                if slot is None:
                    continue
            else:
                pick = int(s["u"][k] * live_capacity)
                if pick >= len(live):
                    continue
                slot = live[pick]
                drop_live(slot)
            q = levels[where[slot]]
            q.remove(next(o for o in q if o[0] == slot))
            continue
        if ref >= 0:
            b, a = best(1), best(-1)
            arrival[ref] = np.nan if b is None or a is None else (a + b) / 2
        if kind == BookEvent.MARKET:
            price = n_levels - 1 if side > 0 else 0
        opp = -side
        crosses = [lv for lv in side_levels(opp) if (lv <= price if side > 0 else lv >= price)]
        crosses = crosses if side > 0 else crosses[::-1]
        if kind == BookEvent.FOK and sum(o[1] for lv in crosses for o in levels[lv]) < qty:
            continue
        qty0 = qty
        for lv in crosses:
            q = levels[lv]
            while q and qty > 0:
                o = q[0]
                f = min(qty, o[1])
                qty -= f
                o[1] -= f
                volume += f
                trades += 1
                if ref >= 0:
                    execs.append((ref, ts, f, lv, 1))
                if o[2] >= 0:
                    execs.append((o[2], ts, f, lv, 0))
                if o[1] == 0:
                    q.popleft()
                    if o[2] >= 0:
                        client_slot.pop(o[2])
                    elif o[0] in live:
                        drop_live(o[0])
            if qty == 0:
                break
        if ref >= 0 and qty < qty0 and z:
            x = side * impact.scale * (qty0 - qty) ** impact.exponent
            z[:] = [v + w * x for v, w in zip(z, impact.weights, strict=True)]
            imp = sum(z)
            off = math.floor(imp + 0.5)
        if qty > 0 and kind == BookEvent.LIMIT:
            levels.setdefault(price, deque()).append([next_slot, qty, ref, side])
            where[next_slot] = price
            if ref >= 0:
                client_slot[ref] = next_slot
            elif len(live) < live_capacity:
                live.append(next_slot)
            next_slot += 1
    while snap_i < len(snap_ts):  # makers pull at every snapshot, after the last event too
        decay(snap_i)
        b, a = best(1), best(-1)  # recorded before the pull (documented: makers requote at once)
        snaps.append((-1 if b is None else b, -1 if a is None else a,
                      0 if b is None else sum(o[1] for o in levels[b]),
                      0 if a is None else sum(o[1] for o in levels[a]), volume, trades))
        if snap_fair is not None and not np.isnan(snap_fair[snap_i]):
            pull(snap_fair[snap_i] + off)
        snap_i += 1
    return execs, arrival, snaps, volume, trades, imps


def random_streams(rng, n_bg, n_cl, n_levels, n_rows):
    bg_ts = np.sort(rng.integers(0, 1000, n_bg))
    bg_kind = rng.choice([BookEvent.LIMIT, BookEvent.LIMIT, BookEvent.MARKET, BookEvent.BG_CANCEL], n_bg)
    bg = {"ts": bg_ts, "kind": bg_kind, "side": rng.choice([-1, 1], n_bg),
          "price": rng.integers(0, n_levels, n_bg), "qty": rng.integers(1, 6, n_bg), "u": rng.random(n_bg)}
    # client rows: one order each, some with a later cancel
    row_ts = rng.integers(0, 1000, n_rows)
    row_kind = rng.choice([BookEvent.LIMIT, BookEvent.IOC, BookEvent.FOK, BookEvent.MARKET], n_rows)
    ts = list(row_ts)
    kind = list(row_kind)
    ref = list(range(n_rows))
    side = list(rng.choice([-1, 1], n_rows))
    price = list(rng.integers(0, n_levels, n_rows))
    qty = list(rng.integers(1, 12, n_rows))
    for r in np.flatnonzero(rng.random(n_rows) < 0.4):
        ts.append(row_ts[r] + rng.integers(0, 200))
        kind.append(BookEvent.CANCEL)
        ref.append(r)
        side.append(0)
        price.append(0)
        qty.append(0)
    order = np.lexsort((np.array(kind) == BookEvent.CANCEL, np.array(ts)))
    cl = {"ts": np.array(ts)[order], "kind": np.array(kind)[order], "side": np.array(side)[order],
          "price": np.array(price)[order], "qty": np.array(qty)[order], "ref": np.array(ref)[order]}
    return bg, cl


@given(seed=st.integers(0, 2**32 - 1), n_bg=st.integers(0, 300), n_rows=st.integers(1, 60),
       n_levels=st.integers(1, 12), live_capacity=st.integers(1, 80), impact_scale=st.sampled_from([None, 0.3, 2.0]))
def test_book_matches_reference(seed, n_bg, n_rows, n_levels, live_capacity, impact_scale):
    rng = np.random.default_rng(seed)
    bg, cl = random_streams(rng, n_bg, 0, n_levels, n_rows)
    snap_ts = np.arange(0, 1100, 50)
    snap_fair = np.where(rng.random(snap_ts.size) < 0.3, np.nan, rng.random(snap_ts.size) * n_levels)
    impact = None if impact_scale is None else TransientImpact(
        scale=impact_scale, exponent=0.5, weights=np.array([0.7, 0.3]), rates=np.array([0.02, 0.002]))
    got = run_book(background=bg, client=cl, n_levels=n_levels, n_client_rows=n_rows, snap_ts=snap_ts,
                   live_capacity=live_capacity, snap_fair=snap_fair, impact=impact)
    execs, arrival, snaps, volume, trades, imps = reference_book(bg, cl, n_levels, n_rows, snap_ts, live_capacity,
                                                                 snap_fair, impact)
    np.testing.assert_allclose(got.impact, imps, rtol=1e-12, atol=1e-12)
    got_execs = list(zip(got.exec_ref, got.exec_ts, got.exec_qty, got.exec_level, got.exec_liquidity, strict=True))
    assert [tuple(int(v) for v in e) for e in got_execs] == [tuple(int(v) for v in e) for e in execs]
    np.testing.assert_array_equal(got.arrival_mid, arrival)
    snaps = np.array(snaps)
    np.testing.assert_array_equal(got.bid, snaps[:, 0])
    np.testing.assert_array_equal(got.ask, snaps[:, 1])
    np.testing.assert_array_equal(got.bid_qty, snaps[:, 2])
    np.testing.assert_array_equal(got.ask_qty, snaps[:, 3])
    cum_v = np.append(snaps[:, 4], volume)
    np.testing.assert_array_equal(got.volume, np.diff(cum_v))
    np.testing.assert_array_equal(got.trades, np.diff(np.append(snaps[:, 5], trades)))
    # the book never crosses, and client fills respect quantities and limits
    both = (got.bid >= 0) & (got.ask >= 0)
    assert (got.bid[both] < got.ask[both]).all()
    filled = np.bincount(got.exec_ref, weights=got.exec_qty, minlength=n_rows)
    first = {}
    for k in range(len(cl["ts"])):
        if cl["kind"][k] != BookEvent.CANCEL:
            first[int(cl["ref"][k])] = k
    for r, k in first.items():
        assert filled[r] <= cl["qty"][k]
        mine = got.exec_ref == r
        if cl["kind"][k] != BookEvent.MARKET:
            assert (cl["side"][k] * (got.exec_level[mine] - cl["price"][k]) <= 0).all()
        if cl["kind"][k] == BookEvent.FOK:
            assert filled[r] in (0, cl["qty"][k])


def test_price_time_priority_and_walking_the_book():
    # two resting sells at level 5 (A first), one at 6; a buy market for 4 takes A, B, then 6
    bg = {k: np.array([], dtype=np.int64) for k in ("ts", "kind", "side", "price", "qty")} | {"u": np.array([])}
    cl = {"ts": np.array([0, 1, 2, 3]), "kind": np.array([0, 0, 0, BookEvent.MARKET]),
          "side": np.array([-1, -1, -1, 1]), "price": np.array([5, 6, 5, 0]), "qty": np.array([2, 5, 1, 4]),
          "ref": np.array([0, 1, 2, 3])}
    r = run_book(background=bg, client=cl, n_levels=10, n_client_rows=4, snap_ts=np.array([3, 4]),
                 live_capacity=4)
    taker = r.exec_liquidity == Liquidity.TAKER
    assert list(r.exec_level[taker]) == [5, 5, 6] and list(r.exec_qty[taker]) == [2, 1, 1]
    assert list(r.exec_ref[~taker]) == [0, 2, 1]
    assert list(r.ask) == [5, 6] and list(r.ask_qty) == [3, 4]
    assert r.arrival_mid[3] != r.arrival_mid[3]  # NaN: no bid when the market order arrived


@pytest.mark.parametrize("field,bad,match", [("price", 99, "price"), ("side", 0, "side"), ("qty", 0, "qty")])
def test_bad_events_raise(field, bad, match):
    bg = {k: np.array([], dtype=np.int64) for k in ("ts", "kind", "side", "price", "qty")} | {"u": np.array([])}
    cl = {"ts": np.array([0]), "kind": np.array([0]), "side": np.array([1]), "price": np.array([3]),
          "qty": np.array([1]), "ref": np.array([0])}
    cl[field] = np.array([bad])
    with pytest.raises(ValueError, match=match):
        run_book(background=bg, client=cl, n_levels=10, n_client_rows=1, snap_ts=np.array([0]), live_capacity=1)
    cl2 = dict(cl, ts=np.array([0]), price=np.array([3]), side=np.array([1]), qty=np.array([1]))
    cl2["ts"] = np.array([5])
    bad_order = {k: np.concatenate([v, v]) for k, v in cl2.items()}
    bad_order["ts"] = np.array([5, 1])
    with pytest.raises(ValueError, match="sorted"):
        run_book(background=bg, client=bad_order, n_levels=10, n_client_rows=1, snap_ts=np.array([0]),
                 live_capacity=1)


def test_transient_impact_moves_the_book_and_decays():
    # a book quoted around level 50 by background flow; one client buy takes 400 shares at t = 1 s
    rng = np.random.default_rng(3)
    n, n_levels = 4_000, 100
    ts = np.sort(rng.integers(0, 60_000_000_000, n))
    side = rng.choice([-1, 1], n)
    dist = rng.integers(1, 6, n)
    bg = {"ts": ts, "kind": np.full(n, BookEvent.LIMIT), "side": side, "price": 50 - side * dist,
          "qty": np.full(n, 100), "u": rng.random(n)}
    cl = {"ts": np.array([1_000_000_000]), "kind": np.array([BookEvent.MARKET]), "side": np.array([1]),
          "price": np.array([0]), "qty": np.array([400]), "ref": np.array([0])}
    snap_ts = np.arange(0, 60, dtype=np.int64) * 1_000_000_000
    fair = np.full(snap_ts.size, 50.0)
    w, r = power_law_kernel(0.5, 1.0, 60.0)
    prop = TransientImpact(scale=1.0, exponent=0.5, weights=w, rates=r)
    on = run_book(background=bg, client=cl, n_levels=n_levels, n_client_rows=1, snap_ts=snap_ts,
                  live_capacity=n, snap_fair=fair, impact=prop)
    off = run_book(background=bg, client=cl, n_levels=n_levels, n_client_rows=1, snap_ts=snap_ts,
                   live_capacity=n, snap_fair=fair)
    # the state jumps by sqrt(400) = 20 levels, then follows (1 + t)^-1/2 on the snapshot grid
    t = (snap_ts[2:] - 1_000_000_000) / 1e9
    np.testing.assert_allclose(on.impact[2:], 20.0 * (1 + t) ** -0.5, rtol=0.02)
    assert np.all(on.impact[:2] == 0) and np.all(off.impact == 0)
    mid_on = (on.bid + on.ask) / 2.0
    mid_off = (off.bid + off.ask) / 2.0
    assert mid_on[3] - 50 > 8 and abs(mid_off[10] - 50) < 4  # the anchor moved; without impact the book recovers
    assert mid_on[5] > mid_on[-1] > 50 - 1  # and decays back toward the fair price
    np.testing.assert_array_equal(on.bid[:2], off.bid[:2])


def test_transient_impact_calibration():
    p = transient_impact(coefficient=1.5, beta=0.5, t0_seconds=1.0, horizon_seconds=23_400.0,
                         daily_volatility_ticks=300.0, daily_volume=4e6)
    # one order of 1% of the day's volume moves the anchor by Y * sigma * sqrt(0.01)
    assert p.scale * (0.01 * 4e6) ** p.exponent * p.weights.sum() == pytest.approx(1.5 * 300 * 0.1, rel=0.01)
    assert transient_impact(coefficient=1.0, beta=0.5, t0_seconds=1.0, horizon_seconds=10.0,
                            daily_volatility_ticks=0.0, daily_volume=1e6).scale == 0.0
    with pytest.raises(ValueError, match="beta"):
        power_law_kernel(1.0, 1.0, 10.0)


def test_fair_price_pull_reaches_behind_client_orders():
    """Issue 12: the pull takes every stale background quote, not only those before the first client level."""
    # bids: a client bid at 7 ahead of a background bid there, a background bid at 6, one at 3 (not stale)
    # asks (after the first snapshot): a client ask at 8 ahead of a background ask there, one at 9, one at 11
    bg = {"ts": np.array([1, 2, 3, 12, 13, 14]), "kind": np.zeros(6, np.int8), "side": np.array([1, 1, 1, -1, -1, -1]),
          "price": np.array([7, 6, 3, 8, 9, 11]), "qty": np.full(6, 100), "u": np.zeros(6)}
    cl = {"ts": np.array([0, 11]), "kind": np.zeros(2, np.int8), "side": np.array([1, -1]),
          "price": np.array([7, 8]), "qty": np.array([10, 20]), "ref": np.array([0, 1])}
    snap_ts, fair = np.array([10, 20, 30]), np.array([5.5, 10.5, np.nan])
    r = run_book(background=bg, client=cl, n_levels=12, n_client_rows=2, snap_ts=snap_ts, live_capacity=8,
                 snap_fair=fair)
    # each snapshot records the book before its pull: at fair 5.5 the background bids at 7 (behind the
    # client's) and 6 go, the client's 10 stay
    assert (r.bid[0], r.bid_qty[0], r.bid[1], r.bid_qty[1]) == (7, 110, 7, 10)
    # at fair 10.5 the background asks at 8 (behind the client's) and 9 go, the client's 20 stay
    assert (r.ask[1], r.ask_qty[1], r.ask[2], r.ask_qty[2]) == (8, 120, 8, 20)
    ref = reference_book(bg, cl, 12, 2, snap_ts, 8, fair)
    assert [s[:4] for s in ref[2]] == [(7, -1, 110, 0), (7, 8, 10, 120), (7, 8, 10, 20)]
    # the old rule (stop at the first client level) would have left 110 at the bid and 120 at the ask


@pytest.mark.parametrize("reanchor", [True, False])
def test_reanchoring_pull_takes_the_side_the_fair_price_left(reanchor):
    """Issue 13: with ``reanchor`` a fair price that fell by ``d`` levels also takes the background bids less than
    ``d`` behind it (placed ``d`` further behind the old one), and one that rose the asks; client orders stay."""
    bg = {"ts": np.array([1, 2, 3, 21, 22]), "kind": np.zeros(5, np.int8), "side": np.array([1, 1, 1, -1, -1]),
          "price": np.array([9, 8, 5, 12, 15]), "qty": np.full(5, 100), "u": np.zeros(5)}
    cl = {"ts": np.array([0]), "kind": np.zeros(1, np.int8), "side": np.array([1]), "price": np.array([8]),
          "qty": np.array([10]), "ref": np.array([0])}
    snap_ts, fair = np.array([10, 20, 30, 40]), np.array([10.5, 8.5, 10.5, np.nan])
    r = run_book(background=bg, client=cl, n_levels=20, n_client_rows=1, snap_ts=snap_ts, live_capacity=8,
                 snap_fair=fair, reanchor=reanchor)
    assert (r.bid[1], r.bid_qty[1]) == (9, 100)  # recorded before the pull at 8.5
    if reanchor:
        # fell 10.5 -> 8.5: bids above 8.5 - 2 go (the background 9 and 8; the client's 10 at 8 stays, 5 stays);
        # rose 8.5 -> 10.5: asks below 10.5 + 2 go (12; 15 stays)
        assert (r.bid[2], r.bid_qty[2], r.ask[2], r.ask[3], r.ask_qty[3]) == (8, 10, 12, 15, 100)
    else:  # only what the fair price ran through: the bid at 9
        assert (r.bid[2], r.bid_qty[2], r.ask[2], r.ask[3], r.ask_qty[3]) == (8, 110, 12, 12, 100)
