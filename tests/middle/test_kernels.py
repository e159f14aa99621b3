"""Middle-office kernels against slow, obvious references."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeflow.middle import nb as k
from tradeflow.schema import EventKind, Liquidity, OrderStatus, RejectReason


def test_kernel_constants_match_schema_enums():
    for name, member in RejectReason.__members__.items():
        const = getattr(k, "R_" + name, None)
        if const is not None:
            assert const == member
    for name, member in OrderStatus.__members__.items():
        if hasattr(k, "S_" + name):
            assert getattr(k, "S_" + name) == member
    for name, member in EventKind.__members__.items():
        if hasattr(k, "E_" + name):
            assert getattr(k, "E_" + name) == member
    assert (k.L_MAKER, k.L_TAKER) == (Liquidity.MAKER, Liquidity.TAKER)


def reference_average_cost(fills):
    """The textbook average-cost book, one fill at a time, in plain Python."""
    pos, avg, realized, fees = 0, 0.0, 0.0, 0.0
    for side, qty, price, fee in fills:
        fees += fee
        if pos == 0 or (pos > 0) == (side > 0):
            avg = (avg * abs(pos) + price * qty) / (abs(pos) + qty)
            pos += side * qty
            continue
        closing = min(qty, abs(pos))
        realized += closing * (price - avg) * (1 if pos > 0 else -1)
        pos += side * qty
        if pos == 0:
            avg = 0.0
        elif closing < qty:  # flipped: the remainder opened at this price
            avg = price
    return pos, avg, realized, fees


fill_strategy = st.lists(
    st.tuples(st.sampled_from([1, -1]), st.integers(1, 1_000), st.floats(1.0, 500.0), st.floats(0.0, 5.0)),
    min_size=1, max_size=60,
)


def _assert_select_same_bits(fills, state):
    """The branch-free update leaves the same bits as apply_fill_nb after the same fills."""
    got = [np.zeros_like(a) for a in state]
    for side, qty, price, fee in fills:
        k.apply_fill_select_nb(*got, 1, 2, side, qty, price, fee)
    for a, b in zip(got, state, strict=True):
        assert a.tobytes() == b.tobytes()


@given(fill_strategy)
def test_apply_fill_matches_reference(fills):
    shape = (2, 3)
    pos = np.zeros(shape, np.int64)
    avg, realized, fees = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    n = np.zeros(shape, np.int64)
    for side, qty, price, fee in fills:
        k.apply_fill_nb(pos, avg, realized, fees, n, 1, 2, side, qty, price, fee)
    _assert_select_same_bits(fills, (pos, avg, realized, fees, n))
    ref = reference_average_cost(fills)
    # the same operations in the same order: equal bit for bit
    assert pos[1, 2] == ref[0]
    assert avg[1, 2].tobytes() == np.float64(ref[1]).tobytes()
    assert realized[1, 2].tobytes() == np.float64(ref[2]).tobytes()
    assert fees[1, 2].tobytes() == np.float64(ref[3]).tobytes()
    assert n[1, 2] == len(fills)
    # untouched cells stay flat: a fill touches one book x instrument
    assert pos.sum() == pos[1, 2] and n.sum() == len(fills)


def test_apply_fill_is_exact_on_closes_flips_and_many_cells():
    """Two-sided flow over many cells (closes to flat, flips, exact round trips): every cell equals
    the plain-Python reference of its own fills bit for bit."""
    rng = np.random.default_rng(7)
    n, shape = 20_000, (3, 4)
    book, inst = rng.integers(0, 3, n), rng.integers(0, 4, n)
    side = rng.choice(np.array([1, -1]), n)
    qty = rng.choice(np.array([1, 2, 3, 5]), n)  # small lots: positions cross zero and close flat often
    price = np.round(rng.uniform(1.0, 500.0, n), 2)
    fee = rng.uniform(0.0, 2.0, n)
    pos = np.zeros(shape, np.int64)
    avg, realized, fees = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    cnt = np.zeros(shape, np.int64)
    sel = [np.zeros_like(a) for a in (pos, avg, realized, fees, cnt)]
    for j in range(n):
        k.apply_fill_nb(pos, avg, realized, fees, cnt, book[j], inst[j], side[j], qty[j], price[j], fee[j])
        k.apply_fill_select_nb(*sel, book[j], inst[j], side[j], qty[j], price[j], fee[j])
    for a, b in zip(sel, (pos, avg, realized, fees, cnt), strict=True):
        assert a.tobytes() == b.tobytes()  # the branch-free update: the same bits
    flats = 0
    for b in range(shape[0]):
        for i in range(shape[1]):
            m = (book == b) & (inst == i)
            cell = list(zip(side[m].tolist(), qty[m].tolist(), price[m].tolist(), fee[m].tolist(), strict=True))
            ref = reference_average_cost(cell)
            assert pos[b, i] == ref[0] and cnt[b, i] == len(cell)
            for got, want in zip((avg[b, i], realized[b, i], fees[b, i]), ref[1:], strict=True):
                assert got.tobytes() == np.float64(want).tobytes()
            run = np.cumsum(side[m] * qty[m])
            flats += int(np.count_nonzero(run == 0))
    assert flats > 20  # the flow did close positions flat (and so flipped through zero)
    assert not (np.signbit(realized) & (realized == 0)).any()  # no -0.0 P&L (the selection relies on it)


@given(fill_strategy, st.floats(1.0, 500.0))
def test_total_pnl_equals_cash_plus_marked_position(fills, mark):
    """Average-cost P&L is an accounting identity: realized + unrealized - fees = cash + pos * mark."""
    pos, avg, realized, fees = reference_average_cost(fills)
    shape = (1, 1)
    p = np.zeros(shape, np.int64)
    a, r, f = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    n = np.zeros(shape, np.int64)
    for side, qty, price, fee in fills:
        k.apply_fill_nb(p, a, r, f, n, 0, 0, side, qty, price, fee)
    cash = -sum(s * q * px for s, q, px, _ in fills) - sum(fe for *_, fe in fills)
    total = r[0, 0] + p[0, 0] * (mark - a[0, 0]) - f[0, 0]
    assert total == pytest.approx(cash + p[0, 0] * mark, rel=1e-9, abs=1e-6)


def reference_pretrade(qty, side, is_limit, limit, ref, fx, position, working, collar, max_qty, max_notional,
                       max_pos):
    if qty <= 0:
        return RejectReason.INVALID_QTY
    if not ref > 0 or (is_limit and not limit > 0):
        return RejectReason.INVALID_PRICE
    if is_limit and abs(limit - ref) / ref * 1e4 > collar:
        return RejectReason.PRICE_COLLAR
    if qty > max_qty:
        return RejectReason.MAX_ORDER_QTY
    if qty * (limit if is_limit else ref) * fx > max_notional:
        return RejectReason.MAX_ORDER_NOTIONAL
    if abs(position + side * (working + qty)) > max_pos:
        return RejectReason.MAX_POSITION
    return RejectReason.NONE


@given(
    qty=st.integers(-10, 100_000), side=st.sampled_from([1, -1]), is_limit=st.booleans(),
    limit=st.one_of(st.floats(0.5, 200.0), st.just(float("nan")), st.just(0.0)),
    ref=st.floats(50.0, 150.0), fx=st.floats(0.5, 2.0), position=st.integers(-50_000, 50_000),
    working=st.integers(0, 20_000),
)
def test_pretrade_check_matches_reference(qty, side, is_limit, limit, ref, fx, position, working):
    args = (qty, side, is_limit, limit, ref, fx, position, working, 500.0, 40_000, 3_000_000.0, 60_000)
    assert k.pretrade_check_nb(*args) == reference_pretrade(*args)
