"""Risk kernels against slow, obvious references: VaR/ES, scenario P&L, FIFO, Black-Scholes-Merton."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from tests.middle.test_kernels import reference_average_cost
from tradeflow.middle import _risk_kernels as rk
from tradeflow.middle import nb as k
from tradeflow.middle.greeks import bsm_greeks, bsm_price
from tradeflow.middle.var import var_es
from tradeflow.schema import BreachLevel, LimitKind, RejectReason, TradingState


def test_new_kernel_constants_match_schema_enums():
    for name, member in RejectReason.__members__.items():
        assert getattr(k, "R_" + name) == member
    for name, member in TradingState.__members__.items():
        assert getattr(k, "T_" + name) == member
    for name, member in LimitKind.__members__.items():
        assert getattr(k, "K_" + name) == member
    for name, member in BreachLevel.__members__.items():
        assert getattr(k, "B_" + name) == member
    assert k.N_LIMIT_KINDS == len(LimitKind)


def test_es_averages_the_tail_beyond_var_on_losses_1_to_1000():
    pnl = -np.arange(1.0, 1001.0)
    rng = np.random.default_rng(0)
    v, e = var_es(rng.permutation(pnl), 0.99, 0.99)
    assert v == 990.0
    assert e == pytest.approx(np.mean(np.arange(991.0, 1001.0)))  # 995.5, not the average of the other side
    v, e = var_es(pnl, 0.99, 0.975)
    assert v == 990.0 and e == pytest.approx(np.mean(np.arange(976.0, 1001.0)))


def reference_var_es(pnl, a, b):
    losses = np.sort(-np.asarray(pnl))
    n = len(losses)
    var = np.quantile(losses, a, method="inverted_cdf")
    kb = n - math.ceil(n * b - 1e-9)
    es = losses[n - kb:].mean() if kb > 0 else np.quantile(losses, b, method="inverted_cdf")
    return var, es


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=400), st.sampled_from([0.5, 0.9, 0.95, 0.975, 0.99]),
       st.sampled_from([0.9, 0.975, 0.99, 0.999]))
def test_var_es_matches_numpy_quantile(pnl, a, b):
    v, e = var_es(np.array(pnl), a, b)
    rv, re = reference_var_es(pnl, a, b)
    assert v == pytest.approx(rv, rel=1e-12, abs=1e-9)
    assert e == pytest.approx(re, rel=1e-9, abs=1e-6)


@given(st.integers(1, 5), st.integers(1, 4), st.integers(5, 60), st.integers(0, 2**31),
       st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3), st.sampled_from([1, -1]), st.integers(1, 500)),
                min_size=1, max_size=40))
def test_incremental_scenario_pnl_equals_recompute(n_books, n_inst, n_scen, seed, fills):
    rng = np.random.default_rng(seed)
    unit = rng.normal(size=(n_inst, n_scen))
    fx = rng.uniform(0.5, 2.0, n_inst)
    pos = np.zeros((n_books, n_inst), np.int64)
    spnl = np.zeros((n_books, n_scen))
    for b, i, side, q in fills:
        b, i = b % n_books, i % n_inst
        pos[b, i] += side * q
        rk.add_to_scenario_pnl_nb(spnl[b], side * q * fx[i], unit[i])
    ref = np.zeros_like(spnl)
    rk.book_scenario_pnl_nb(pos, fx, unit, ref)
    np.testing.assert_allclose(spnl, ref, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(ref, (pos * fx) @ unit, rtol=1e-9, atol=1e-6)


def reference_fifo(fills):
    lots, realized = [], 0.0  # lots: [signed qty, price], oldest first
    for side, qty, price in fills:
        left = qty
        while left and lots and (lots[0][0] > 0) != (side > 0):
            c = min(left, abs(lots[0][0]))
            realized += c * (price - lots[0][1]) * (1 if lots[0][0] > 0 else -1)
            lots[0][0] -= c * (1 if lots[0][0] > 0 else -1)
            left -= c
            if lots[0][0] == 0:
                lots.pop(0)
        if left:
            lots.append([side * left, price])
    return realized, lots


fifo_fills = st.lists(st.tuples(st.sampled_from([1, -1]), st.integers(1, 300), st.floats(1.0, 200.0)),
                      min_size=1, max_size=50)


@given(fifo_fills, st.floats(1.0, 200.0))
def test_fifo_matches_reference_and_keeps_total_pnl(fills, mark):
    shape = (2, 2)
    pos = np.zeros(shape, np.int64)
    avg, realized, fees = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    n = np.zeros(shape, np.int64)
    cap = len(fills) + 1
    lot_qty, lot_px, lot_next = np.zeros(cap, np.int64), np.zeros(cap), np.full(cap, -1, np.int64)
    head, tail, top = np.full(shape, -1, np.int64), np.full(shape, -1, np.int64), np.zeros(1, np.int64)
    p2, a2, r2, f2, n2 = pos.copy(), avg.copy(), realized.copy(), fees.copy(), n.copy()
    for side, qty, price in fills:
        assert k.apply_fill_any_nb(pos, avg, realized, fees, n, 1, 0, side, qty, price, 0.0, True, lot_qty, lot_px,
                                   lot_next, head, tail, top)
        k.apply_fill_any_nb(p2, a2, r2, f2, n2, 1, 0, side, qty, price, 0.0, False, lot_qty, lot_px, lot_next, head,
                            tail, top)
    ref_realized, lots = reference_fifo(fills)
    assert realized[1, 0] == pytest.approx(ref_realized, rel=1e-9, abs=1e-6)
    assert pos[1, 0] == sum(q for q, _ in lots) == p2[1, 0]
    if lots:
        assert avg[1, 0] == pytest.approx(sum(q * p for q, p in lots) / pos[1, 0], rel=1e-9, abs=1e-6)
    # FIFO and average cost split P&L differently but agree on the total
    fifo_total = realized[1, 0] + pos[1, 0] * (mark - avg[1, 0])
    avg_total = r2[1, 0] + p2[1, 0] * (mark - a2[1, 0])
    assert fifo_total == pytest.approx(avg_total, rel=1e-9, abs=1e-5)


def test_fifo_pool_full_changes_nothing():
    shape = (1, 1)
    lot_qty, lot_px, lot_next = np.zeros(1, np.int64), np.zeros(1), np.full(1, -1, np.int64)
    head, tail, top = np.full(shape, -1, np.int64), np.full(shape, -1, np.int64), np.zeros(1, np.int64)
    assert rk.fifo_fill_nb(lot_qty, lot_px, lot_next, head, tail, top, 0, 0, 1, 10, 5.0) == 0.0
    r = rk.fifo_fill_nb(lot_qty, lot_px, lot_next, head, tail, top, 0, 0, 1, 10, 6.0)
    assert np.isnan(r) and top[0] == 1 and lot_qty[0] == 10


def closed_form(s, k_, t, v, r, q, cp):
    d1 = (np.log(s / k_) + (r - q + v * v / 2) * t) / (v * np.sqrt(t))
    d2 = d1 - v * np.sqrt(t)
    n = stats.norm
    if cp > 0:
        price = s * np.exp(-q * t) * n.cdf(d1) - k_ * np.exp(-r * t) * n.cdf(d2)
        delta = np.exp(-q * t) * n.cdf(d1)
        theta = (-s * np.exp(-q * t) * n.pdf(d1) * v / (2 * np.sqrt(t)) - r * k_ * np.exp(-r * t) * n.cdf(d2)
                 + q * s * np.exp(-q * t) * n.cdf(d1))
        rho = k_ * t * np.exp(-r * t) * n.cdf(d2)
    else:
        price = k_ * np.exp(-r * t) * n.cdf(-d2) - s * np.exp(-q * t) * n.cdf(-d1)
        delta = -np.exp(-q * t) * n.cdf(-d1)
        theta = (-s * np.exp(-q * t) * n.pdf(d1) * v / (2 * np.sqrt(t)) + r * k_ * np.exp(-r * t) * n.cdf(-d2)
                 - q * s * np.exp(-q * t) * n.cdf(-d1))
        rho = -k_ * t * np.exp(-r * t) * n.cdf(-d2)
    gamma = np.exp(-q * t) * n.pdf(d1) / (s * v * np.sqrt(t))
    vega = s * np.exp(-q * t) * n.pdf(d1) * np.sqrt(t)
    return price, delta, gamma, vega, theta, rho


options = st.tuples(st.floats(20.0, 300.0), st.floats(20.0, 300.0), st.floats(0.05, 3.0), st.floats(0.05, 0.9),
                    st.floats(-0.02, 0.1), st.floats(0.0, 0.06), st.sampled_from([1, -1]))


@given(options)
def test_bsm_greeks_match_closed_form_with_scipy(o):
    g = bsm_greeks(*o).iloc[0]
    ref = closed_form(*o)
    for name, r in zip(["price", "delta", "gamma", "vega", "theta", "rho"], ref, strict=True):
        assert g[name] == pytest.approx(r, rel=1e-7, abs=1e-9), name


@given(options)
def test_bsm_greeks_match_finite_differences(o):
    s, k_, t, v, r, q, cp = o
    g = bsm_greeks(*o).iloc[0]

    def p(**kw):
        args = {"spot": s, "strike": k_, "expiry_years": t, "vol": v, "rate": r, "dividend_yield": q, "call_put": cp}
        args.update(kw)
        return float(bsm_price(**args))

    hs, hv, ht, hr = s * 1e-4, 1e-5, 1e-5, 1e-5
    assert g["delta"] == pytest.approx((p(spot=s + hs) - p(spot=s - hs)) / (2 * hs), rel=1e-5, abs=1e-6)
    assert g["gamma"] == pytest.approx((p(spot=s + hs) - 2 * p() + p(spot=s - hs)) / hs**2, rel=1e-3, abs=1e-5)
    assert g["vega"] == pytest.approx((p(vol=v + hv) - p(vol=v - hv)) / (2 * hv), rel=1e-5, abs=1e-5)
    # theta is the change with calendar time passing: minus the derivative in time to expiry
    assert g["theta"] == pytest.approx(-(p(expiry_years=t + ht) - p(expiry_years=t - ht)) / (2 * ht), rel=1e-4,
                                       abs=1e-4)
    assert g["rho"] == pytest.approx((p(rate=r + hr) - p(rate=r - hr)) / (2 * hr), rel=1e-5, abs=1e-5)


@given(options)
def test_put_call_parity(o):
    s, k_, t, v, r, q, _ = o
    c = float(bsm_price(s, k_, t, v, r, q, 1))
    p = float(bsm_price(s, k_, t, v, r, q, -1))
    assert c - p == pytest.approx(s * np.exp(-q * t) - k_ * np.exp(-r * t), rel=1e-9, abs=1e-8)


def test_greek_units_are_explicit():
    raw = bsm_greeks(100.0, 100.0, 0.5, 0.2, 0.03)
    pts = bsm_greeks(100.0, 100.0, 0.5, 0.2, 0.03, vega_unit="point", theta_unit="day", rho_unit="point")
    assert pts["vega"][0] == pytest.approx(raw["vega"][0] / 100)
    assert pts["theta"][0] == pytest.approx(raw["theta"][0] / 365)
    assert pts["rho"][0] == pytest.approx(raw["rho"][0] / 100)
    assert pts.attrs["units"] == {"vega": "point", "theta": "day", "rho": "point"}
    assert bsm_greeks([90.0, 110.0], 100.0, 1.0, 0.2, call_put=["C", "put"]).shape == (2, 6)
    with pytest.raises(ValueError, match="'vega_unit'"):
        bsm_greeks(100.0, 100.0, 1.0, 0.2, vega_unit="pct")
    with pytest.raises(ValueError, match="'spot'"):
        bsm_greeks(-1.0, 100.0, 1.0, 0.2)
    with pytest.raises(ValueError, match="'call_put'"):
        bsm_greeks(100.0, 100.0, 1.0, 0.2, call_put="X")


def test_expired_and_zero_vol_options_are_intrinsic():
    assert float(bsm_price(110.0, 100.0, 0.0, 0.2, call_put=1)) == pytest.approx(10.0)
    assert float(bsm_price(110.0, 100.0, -0.1, 0.2, call_put=-1)) == 0.0
    g = bsm_greeks(110.0, 100.0, 0.0, 0.2).iloc[0]
    assert g["delta"] == 1.0 and g["gamma"] == 0.0 and g["vega"] == 0.0
    # zero volatility: discounted forward intrinsic
    assert float(bsm_price(100.0, 90.0, 1.0, 0.0, 0.05)) == pytest.approx(100.0 - 90.0 * np.exp(-0.05))


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3), st.sampled_from([1, -1]), st.integers(1, 500),
                          st.floats(1.0, 300.0)), min_size=1, max_size=80))
def test_post_trade_matches_a_from_scratch_recompute(rows):
    from tradeflow.middle.positions import post_trade
    b, i, s, q, p = (np.array(c) for c in zip(*rows, strict=True))
    out = post_trade(b, i, s, q, p, n_books=3, n_instruments=4)
    pos, last = np.zeros((3, 4), np.int64), np.zeros(4)
    for j, (bb, ii, ss, qq, pp) in enumerate(rows):
        pos[bb, ii] += ss * qq
        last[ii] = pp
        value = pos[bb] * last
        assert out["position"][j] == pos[bb, ii]
        assert out["gross_exposure"][j] == pytest.approx(np.abs(value).sum(), rel=1e-9, abs=1e-6)
        assert out["net_exposure"][j] == pytest.approx(value.sum(), rel=1e-9, abs=1e-6)
    # realized P&L per book x instrument equals the average-cost reference of its own fills
    for bb in range(3):
        for ii in range(4):
            mine = [(ss, qq, pp, 0.0) for (b2, i2, ss, qq, pp) in rows if (b2, i2) == (bb, ii)]
            if mine:
                last_row = max(j for j, r in enumerate(rows) if (r[0], r[1]) == (bb, ii))
                ref = reference_average_cost(mine)
                assert out["realized_pnl"][last_row] == pytest.approx(ref[2], rel=1e-9, abs=1e-6)
                assert out["unrealized_pnl"][last_row] == pytest.approx(ref[0] * (rows[last_row][4] - ref[1]),
                                                                        rel=1e-9, abs=1e-5)


def test_post_trade_validates():
    from tradeflow.middle.positions import post_trade
    with pytest.raises(ValueError, match="'qty'"):
        post_trade([0], [0], [1], [0], [1.0])
    with pytest.raises(ValueError, match="'book'"):
        post_trade([3], [0], [1], [1], [1.0], n_books=2)
    with pytest.raises(ValueError, match="'side'"):
        post_trade([0], [0], [2], [1], [1.0])


def _tail_start(n, width, seed):
    """``width`` distinct scenario indices, anywhere: the tail update must not depend on a good start."""
    return np.random.default_rng(seed).permutation(n)[:width].astype(np.int64)


@given(st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=300), st.lists(st.floats(-50.0, 50.0), min_size=1,
       max_size=12), st.integers(0, 2**31), st.sampled_from([0.5, 0.9, 0.99]), st.sampled_from([0.975, 0.999]),
       st.booleans(), st.sampled_from([0, 1, 2]))
def test_incremental_tail_equals_add_then_var_es(vec, weights, seed, a, b, ties, slack):
    """After each update the tail gives exactly var_es of the updated vector, and holds the m largest losses."""
    rng = np.random.default_rng(seed)
    v = np.array(vec)
    n = v.shape[0]
    # integer rows with zeros make ties and scenarios that do not move
    row = rng.integers(-3, 4, n).astype(float) if ties else rng.normal(size=n)
    v = np.round(v) if ties else v
    m = rk.tail_len_nb(n, a, b)
    width = [m, min(m + 3, n), rk.tail_width_nb(n, a, b)][slack]  # no slack, some, the engine's
    idx, loss = _tail_start(n, width, seed), np.zeros(width)
    fused = v.copy()
    ref = v.copy()
    for w in weights:
        w = float(np.round(w)) if ties else w
        got = rk.add_and_var_es_nb(fused, w, row, a, b, idx, loss)
        ref = ref + w * row
        np.testing.assert_array_equal(fused, ref)
        assert got == var_es(ref, a, b)
        rv, re = reference_var_es(ref, a, b)
        assert got[0] == rv and got[1] == pytest.approx(re, rel=1e-12, abs=1e-9)
        assert len(set(idx.tolist())) == width
        np.testing.assert_array_equal(loss, -ref[idx])  # the tracked scenarios' current losses
        assert np.all(np.diff(loss) <= 0)
        np.testing.assert_array_equal(loss[:m], np.sort(-ref)[::-1][:m])  # the top m exactly


@given(st.integers(1, 400), st.integers(0, 2**31), st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1,
       max_size=8))
def test_fused_book_and_desk_tails_equal_separate_updates(n, seed, flags):
    rng = np.random.default_rng(seed)
    book, desk = rng.normal(size=n) * 100, rng.normal(size=n) * 300
    m, width = rk.tail_len_nb(n, 0.99, 0.975), rk.tail_width_nb(n, 0.99, 0.975)
    bi, bl, di, dl = _tail_start(n, width, seed), np.zeros(width), _tail_start(n, width, seed + 1), np.zeros(width)
    rb, rd = book.copy(), desk.copy()
    rbi, rbl, rdi, rdl = bi.copy(), np.zeros(width), di.copy(), np.zeros(width)
    for book_tail, desk_tail in flags:
        row, w = rng.normal(size=n), float(rng.normal() * 10)
        rk.add2_tail_nb(book, desk, w, row, m, bi, bl, di, dl, book_tail, desk_tail)
        if book_tail:
            rk.add_tail_nb(rb, w, row, m, rbi, rbl)
            np.testing.assert_array_equal(bl, rbl)
        else:
            rk.add_to_scenario_pnl_nb(rb, w, row)
        if desk_tail:
            rk.add_tail_nb(rd, w, row, m, rdi, rdl)
            np.testing.assert_array_equal(dl, rdl)
        else:
            rk.add_to_scenario_pnl_nb(rd, w, row)
        np.testing.assert_array_equal(book, rb)
        np.testing.assert_array_equal(desk, rd)


def test_tail_fast_path_keeps_the_scenarios_and_slow_path_finds_a_newcomer():
    vec = -np.arange(100.0)  # losses 0..99: the tail is scenarios 99, 98, ...
    m = rk.tail_len_nb(100, 0.9, 0.95)
    width = rk.tail_width_nb(100, 0.9, 0.95)
    assert (m, width) == (11, 13)  # m and a quarter more, at least 2
    idx, loss = np.arange(width, dtype=np.int64), np.zeros(width)
    rk.tail_select_nb(vec, idx, loss)
    np.testing.assert_array_equal(idx, np.arange(99, 99 - width, -1))
    row = np.zeros(100)
    row[99] = 1.0  # the worst scenario improves a little: same scenarios, new order
    assert rk.add_tail_nb(vec, 1.5, row, m, idx, loss)
    assert loss[0] == 98.0 and loss[1] == 97.5
    row[:] = 0.0
    row[87] = -1.0  # scenario 87 (tracked, the last of the slack) climbs into the top m: still the fast path
    assert rk.add_tail_nb(vec, 15.0, row, m, idx, loss)
    assert 87 in idx[:m] and loss[list(idx).index(87)] == 102.0
    np.testing.assert_array_equal(loss[:m], np.sort(-vec)[::-1][:m])
    row[87] = 0.0
    row[0] = -1.0  # scenario 0 (untracked) becomes the worst: it must enter the tail
    assert not rk.add_tail_nb(vec, 500.0, row, m, idx, loss)
    assert idx[0] == 0 and loss[0] == 500.0
    np.testing.assert_array_equal(loss, np.sort(-vec)[::-1][:width])  # the rescan refills all tracked places
    assert rk.add_and_var_es_nb(vec, 0.0, row, 0.9, 0.95, idx, loss) == var_es(vec, 0.9, 0.95)


