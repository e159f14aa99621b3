"""Intraday strategies inside the compiled session loop: numba callbacks, the Python cadence, the
Avellaneda-Stoikov market maker. Their orders go through every office exactly like a client's."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

import tradeflow
from tests.conftest import small_config
from tests.market.test_lunch_breaks import ASIA, FX
from tests.test_invariants import check_invariants
from tests.test_strategies import OPTIONS, _same_records, fo_equals_bo
from tradeflow.market.paths import SESSION_MARGIN_NS
from tradeflow.middle.greeks import position_greeks
from tradeflow.middle.instruments import instrument_risk
from tradeflow.schema import OrderOrigin, OrderStatus, OrderType, RejectReason
from tradeflow.strategies import (
    AS_LOG_COLUMNS,
    SE_STEP,
    SE_TIMER,
    NumbaStrategy,
    avellaneda_stoikov,
    delta_hedger,
    python_strategy,
    risk_reducer,
    send_nb,
    var_nb,
)


@njit
def _test_strategy(ctx, state, kind, t, ref):
    """One compilation for the tests' strategies; ``state[0]`` the mode.
    0: count its calls and the bids it saw, send nothing.
    1: at its first timer call with instruments 0-2 open, one order too large, one limit through the collar, one fine.
    2: on each step, one unit of every instrument (counting those refused in state[2])."""
    mode = state[0]
    if mode == 0:
        state[1] += 1
        state[2] += ctx.bid[0] if ctx.bid[0] == ctx.bid[0] else 0.0
    elif mode == 1:
        if kind == SE_TIMER and state[1] == 0 and ctx.is_open[0] and ctx.is_open[1] and ctx.is_open[2]:
            state[1] = 1
            send_nb(ctx, 0, 1, 60_000, np.nan)  # max_order_qty is 50,000
            send_nb(ctx, 1, -1, 100, 0.5 * ctx.bid[1])  # far through the collar
            send_nb(ctx, 2, 1, 100, np.nan)
    elif kind == SE_STEP:
        for i in range(ctx.bid.shape[0]):
            if send_nb(ctx, i, 1, 1, np.nan) < 0:
                state[2] += 1


@pytest.fixture(scope="module")
def mm_run(strategy_cfg):
    mm = avellaneda_stoikov(instrument=0, gamma=2e-4, kappa=20.0, sigma=0.02, qty=100, tick=0.01,
                            max_inventory=3_000, every=10)
    return mm, tradeflow.simulate(strategy_cfg, seed=7, strategy=mm)


def test_a_numba_strategy_that_sends_nothing_leaves_every_record_bit_identical(strategy_cfg, strategy_plain):
    s = NumbaStrategy(_test_strategy, np.zeros(3), every=1, client_fills=True, timer_s=60.0)
    _same_records(strategy_plain, tradeflow.simulate(strategy_cfg, seed=7, strategy=s))
    assert s.state[1] > 2 * 390 and s.state[2] > 0  # it was called on every step, fill and tick, and saw quotes


def test_numba_strategy_orders_pass_the_same_controls_with_the_same_reasons(strategy_cfg):
    s = NumbaStrategy(_test_strategy, np.array([1.0, 0.0, 0.0]), every=0, timer_s=30.0, book=2)
    r = tradeflow.simulate(strategy_cfg, seed=7, strategy=s)
    check_invariants(r)
    o = r.records["orders"]
    d = o[o["origin"] == OrderOrigin.DESK]
    assert len(d) == 3  # state carries over: one day only
    assert d["reject_reason"].tolist() == [RejectReason.MAX_ORDER_QTY, RejectReason.PRICE_COLLAR, 0]
    assert (d["status"][:2] == OrderStatus.REJECTED).all() and (d["book"] == 2).all()
    assert (d["client"] == strategy_cfg.flow.n_clients).all() and (d["trader"] == strategy_cfg.flow.n_traders).all()
    assert (np.diff(o["ts"]) >= 0).all() and (np.diff(o["order_id"]) == 1).all()  # numbered in time order
    f = r.records["fills"]
    mine = f[f["order_id"] == d["order_id"][2]]
    assert mine["qty"].sum() == 100 and (mine["book"] == 2).all() and (mine["liquidity"] == 1).all()


def test_the_market_maker_quotes_follow_avellaneda_stoikov(mm_run):
    mm, r = mm_run
    par, log, st = mm.state
    log = log[: int(st[4])]
    assert len(log) > 50
    t, s, q, tau, res, spread, bid, ask = log.T
    gamma, kappa, sigma, tick = 2e-4, 20.0, 0.02, 0.01
    # the paper's eqs. (29)-(30), written out again here
    np.testing.assert_allclose(res, s - q * gamma * sigma**2 * tau, rtol=0, atol=1e-9)
    np.testing.assert_allclose(spread, gamma * sigma**2 * tau + 2 / gamma * np.log(1 + gamma / kappa), rtol=1e-12)
    np.testing.assert_array_less(bid - 1e-9, res - spread / 2 + 1e-9)
    np.testing.assert_array_less(res + spread / 2 - 1e-9, ask + 1e-9)
    np.testing.assert_allclose(bid / tick, np.round(bid / tick), atol=1e-6)  # on the tick grid
    np.testing.assert_allclose(ask / tick, np.round(ask / tick), atol=1e-6)
    nz = q != 0
    assert nz.any() and (np.sign(res - s)[nz] == -np.sign(q[nz])).all()  # long: quotes shade down
    # its orders are these quotes: limit orders at the logged prices
    o = r.records["orders"]
    d = o[o["origin"] == OrderOrigin.DESK]
    assert (d["order_type"] == OrderType.LIMIT).all()
    quoted = set(np.round(np.concatenate([bid, ask]), 6).tolist())
    assert set(np.round(d["limit_price"], 6).tolist()) <= quoted
    assert st[5] > 0  # it was told of its fills
    # q is its own inventory: its fills before each decision, signed
    f = r.records["fills"]
    mine = f[np.isin(f["order_id"], d["order_id"])]
    day0 = t < r.market.times[0] + 86_400 * 10**9  # the state carries over: day 1 ends its inventory of day 0
    inv = np.array([np.sum(mine["side"][mine["ts"] < x] * mine["qty"][mine["ts"] < x]) for x in t[day0]])
    np.testing.assert_array_equal(q[day0], inv)


def test_every_invariant_holds_with_the_market_maker(mm_run):
    mm, r = mm_run
    check_invariants(r)
    fo_equals_bo(tradeflow.simulate(small_config(1_500), seed=7, strategy=avellaneda_stoikov(
        instrument=0, gamma=2e-4, kappa=20.0, sigma=0.02, qty=100, tick=0.01, max_inventory=3_000, every=10)))
    assert r.summary_frame() is not None if hasattr(r, "summary_frame") else True
    assert len(r.breaks) == 0
    f = r.records["fills"]
    o = r.records["orders"]
    desk_ids = o["order_id"][o["origin"] == OrderOrigin.DESK]
    mine = f[np.isin(f["order_id"], desk_ids)]
    assert len(mine) > 0 and (mine["liquidity"] == 0).any()  # it made liquidity
    # the venue's tape names the same orders (session rows renumbered like the records)
    tape = r.trades
    on_tape = np.r_[tape["taker_order_id"], tape["maker_order_id"]]
    assert np.isin(np.unique(mine["order_id"]), on_tape).all()
    assert np.isin(on_tape[on_tape >= 0], o["order_id"]).all()


def test_python_strategy_at_a_coarse_cadence(strategy_cfg):
    seen = []

    def every_hour(ctx, state, t):
        seen.append((int(t), int(ctx.pos[0, 0])))
        if state["sent"] < 0 and ctx.is_open[0]:  # once, when its venue is open
            state["sent"] = send_nb(ctx, 0, 1, 100, np.nan)

    s = python_strategy(every_hour, every_s=3600.0, state={"sent": -1})
    r = tradeflow.simulate(small_config(1_500), seed=7, strategy=s)
    check_invariants(r)
    hour, times = 3600 * 10**9, r.market.times
    ts = np.array([t for t, _ in seen])
    step = times[1] - times[0]
    assert ts[0] == times[0] + hour and ts[-1] <= times[-1] + step and (np.diff(ts) == hour).all()  # to the close
    assert len(ts) >= (times[-1] - times[0]) // hour - 1  # every hour of the desk-day
    assert s.py_state["sent"] == 0
    o = r.records["orders"]
    assert (o["origin"] == OrderOrigin.DESK).sum() == 1


def test_no_strategy_order_outside_its_venues_session():
    # Tokyo and Hong Kong break for lunch, Nasdaq does not (the universe of tests/market/test_lunch_breaks.py)
    c = small_config(1_000, market={"venue_sessions": True, "trade_date": "2025-03-05", "instruments": ASIA,
                                    "fx_rates": FX, "correlation": 0.2},
                     back={"minor_units": {"USD": 2, "JPY": 0, "HKD": 2}})

    s = NumbaStrategy(_test_strategy, np.array([2.0, 0.0, 0.0]), every=30)
    r = tradeflow.simulate(c, seed=3, strategy=s)
    check_invariants(r)
    m = r.market
    o = r.records["orders"]
    d = o[o["origin"] == OrderOrigin.DESK]
    assert len(d) > 0 and s.state[2] > 0  # some refused: venues closed
    i = d["instrument"]
    assert (d["ts"] >= m.session_open[i]).all() and (d["ts"] < m.session_close[i]).all()
    # nor in its venue's lunch break (from the margin before it: an order sent then would reach it in the break)
    has = m.break_start >= 0
    assert has.sum() == 2
    in_break = has[i] & (d["ts"] >= m.break_start[i] - SESSION_MARGIN_NS) & (d["ts"] < m.break_end[i])
    assert not in_break.any()
    brk = np.flatnonzero(has)
    assert np.isin(d["instrument"], brk).any()  # it did trade them outside the break


def test_bad_strategies_are_refused_clearly():
    with pytest.raises(TypeError, match="on_event"):
        NumbaStrategy(lambda *a: None)
    with pytest.raises(ValueError, match="gamma"):
        avellaneda_stoikov(gamma=-1.0, kappa=1.0, sigma=0.1, qty=1, tick=0.01)
    with pytest.raises(ValueError, match="venue"):
        tradeflow.simulate(small_config(100, execution={"venue": "quote"}), seed=0,
                           strategy=NumbaStrategy(_test_strategy, np.zeros(3)))
    assert AS_LOG_COLUMNS[4] == "r"


def test_the_readme_example_runs(tmp_path):
    """The README's strategy, run over 2 short desk-days instead of 100 full ones."""
    import re
    from pathlib import Path

    text = Path(__file__).resolve().parents[1].joinpath("README.md").read_text()
    code = re.search(r"## Your own strategy in the loop.*?```python\n(.*?)```", text, re.S).group(1)
    assert "n_runs=100" in code
    code = code.replace('{"flow": {"orders_per_day": 5_000}}',
                        '{"flow": {"orders_per_day": 500}, "execution": {"book_events_per_second": 2.0}}')
    code = code.replace("n_runs=100", 'n_runs=2, executor="sequential"').replace("print(", "_shown = (")
    ns = {}
    exec(compile(code, "README.md", "exec"), ns)
    rows = ns["rows"]
    assert len(rows) == 2 and (rows["n_breaks"] == 0).all() and (rows["desk_orders_units"] > 0).all()


# --- risk in the view, the delta hedger and the risk reducer (one loop compilation: the market maker's state type)

def _position_at(fills, book, n_inst, t):
    """Each instrument's position of ``book`` from its fills before ``t`` (the books start flat)."""
    f = fills[(fills["book"] == book) & (fills["ts"] < t)]
    return np.bincount(f["instrument"], weights=f["side"] * f["qty"], minlength=n_inst).astype(np.int64)


def _as_sent(sent, slot):
    """Each log row's latest 'sent' row of the same slot (slots restart each session)."""
    last, out = {}, np.zeros(len(slot), np.int64)
    for j, (is_sent, s) in enumerate(zip(sent, slot, strict=True)):
        if is_sent:
            last[s] = j
        out[j] = last.get(s, j)
    return out


@pytest.fixture(scope="module")
def hedge_run():
    h = delta_hedger(underlyings=(0, 6), band=300.0, book=1, every=5, max_child=5_000)
    return h, tradeflow.simulate(small_config(1_500, market={"options": OPTIONS}), seed=3, strategy=h)


def test_the_delta_hedger_sees_the_books_delta_and_keeps_it_inside_its_band(hedge_run):
    h, r = hedge_run
    check_invariants(r)
    fo_equals_bo(r)
    assert len(r.breaks) == 0
    par, log, st = h.state
    log = log[: int(st[0])]
    t, ev, u, d, q, slot = log.T
    sent, done = ev == 1, ev == 2
    assert sent.sum() >= 3 and (ev != 3).all()  # it hedged, and no hedge broke a control
    # what it saw: the book's delta per underlying, the position_greeks reference (pandas, vectorized Black-Scholes)
    m = r.market
    inst = instrument_risk(m.instruments)
    fills = r.records["fills"]
    for k in np.flatnonzero(sent):
        g = int(np.argmin(np.abs(m.times - t[k])))
        pos = _position_at(fills, 1, m.n_instruments, m.times[g])
        ref = position_greeks(pos[None, :], inst, m.mid[:, g], np.ones(m.n_instruments), int(m.times[g]))
        on_u = inst.underlying[ref["instrument"].to_numpy()] == u[k]
        np.testing.assert_allclose(d[k], ref["delta"].to_numpy()[on_u].sum(), rtol=1e-9, atol=1e-6)
    # each hedge is the gap to the target, rounded to units of the underlying, capped at max_child
    np.testing.assert_array_equal(q[sent], np.clip(np.round(-d[sent]), -5_000, 5_000))
    assert (np.abs(d[sent]) > 300.0).all()
    # once a hedge is done (filled in full), the delta is back inside the band, short of the cap
    o = r.records["orders"]
    desk = o[o["origin"] == OrderOrigin.DESK]
    assert len(desk) == sent.sum() and (desk["instrument"] <= 6).all()
    q_sent = q[_as_sent(sent, slot)]
    full = done & (q == np.abs(q_sent))
    uncapped = full & (np.abs(q_sent) < 5_000)
    assert uncapped.sum() >= 3
    assert (np.abs(d[uncapped]) <= 300.0).all()


def test_the_risk_reducer_works_the_inventory_down_on_its_schedule(strategy_cfg):
    # SAP (Xetra trades both days; Nasdaq is shut on the second, Thanksgiving 2026)
    rr = risk_reducer(instrument=6, book=0, slices=6, start_s=1_800.0, end_s=1_800.0, every=1)
    r = tradeflow.simulate(strategy_cfg, seed=7, strategy=rr)
    check_invariants(r)
    fo_equals_bo(r)
    assert len(r.breaks) == 0
    par, log, st = rr.state
    log = log[: int(st[0])]
    t, ev, k, pos, q, slot = log.T
    sent, done = ev == 1, ev == 2
    assert sent.sum() == 12 and (ev != 3).all()
    # the position it saw is the book's (clients' fills and its own, both days), and each slice is the
    # TWAP share of it: what is left over the slices left
    fills = r.records["fills"]
    for j in np.flatnonzero(sent):
        assert pos[j] == _position_at(fills, 0, r.market.n_instruments, t[j])[6]
    np.testing.assert_array_equal(q[sent], -np.round(pos[sent] / (6 - k[sent])))
    # a slice that fills in full (a market order: the book may be thinner) leaves (slices left - 1) / (slices
    # left) of the inventory; the last one, none
    row = _as_sent(sent, slot)
    full = done & (q == np.abs(q[row]))
    before = pos[row]
    assert full.sum() >= 8
    np.testing.assert_allclose(pos[full], before[full] * (5 - k[full]) / (6 - k[full]), atol=0.5)
    assert (pos[full & (k == 5)] == 0).all() and (full & (k == 5)).any()  # flat after a day's last slice
    # each day's six slices, in order, at the first step at or after their times: evenly spread
    days = t[sent] // (86_400 * 10**9)
    assert len(np.unique(days)) == 2
    for day in np.unique(days):
        ks, ts = k[sent][days == day], t[sent][days == day]
        assert ks.tolist() == list(range(6))
        np.testing.assert_allclose(np.diff(ts), np.diff(ts)[0], atol=60e9)  # within a grid step


def test_the_view_has_the_desks_var(strategy_cfg):
    """The VaR and ES a strategy reads are the risk engine's: just after each P&L snapshot, its risk rows."""
    seen = []

    def after_each_snapshot(ctx, state, t):
        seen.append((int(t), *[x for b in (0, 1, -1) for x in var_nb(ctx, b)]))

    # its timer ticks 1 ns after each P&L snapshot's time (k ns after the k-th: the timer adds its period)
    s = python_strategy(after_each_snapshot, every_s=600.000000001)
    r = tradeflow.simulate(strategy_cfg, seed=7, strategy=s)
    risk = r.records["risk"]
    snaps = np.unique(risk["ts"])
    n = 0
    for t, *v in seen:
        last = snaps[np.searchsorted(snaps, t) - 1]
        if not 0 < t - last < 1_000:
            continue
        at = risk[risk["ts"] == last]
        for b, (var, es) in zip((0, 1, -1), np.reshape(v, (3, 2)), strict=True):
            row = at[at["book"] == b]
            assert var == row["var_1d"][0] and es == row["es_1d"][0]
            n += 1
    assert n >= 3 * 30 and any(v[0] > 0 for _, *v in seen)


def test_the_market_maker_leaves_the_book_before_a_lunch_break_and_the_close():
    c = small_config(1_000, market={"venue_sessions": True, "trade_date": "2025-03-05", "instruments": ASIA,
                                    "fx_rates": FX, "correlation": 0.2},
                     back={"minor_units": {"USD": 2, "JPY": 0, "HKD": 2}})
    mm = avellaneda_stoikov(instrument=1, gamma=1e-3, kappa=5.0, sigma=0.05, qty=100, tick=0.2, every=7)
    r = tradeflow.simulate(c, seed=3, strategy=mm)
    check_invariants(r)
    m = r.market
    o = r.records["orders"]
    d = o[o["origin"] == OrderOrigin.DESK]
    assert len(d) > 10 and (d["instrument"] == 1).all()
    b0, b1, close = m.break_start[1], m.break_end[1], m.session_close[1]
    assert b0 >= 0
    # no quote rests in the book across the break's start or the close: each is done before, or sent after
    rests_over = (d["ts"] < b0) & (d["ts_done"] >= b0)
    assert not rests_over.any()
    assert (d["ts_done"] < close).all() and not (d["status"] == OrderStatus.EXPIRED).any()
    assert ((d["ts"] >= b1) & (d["ts"] < close)).any() and (d["ts"] < b0).any()  # it quoted both sides of the break
