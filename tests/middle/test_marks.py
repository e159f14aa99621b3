"""Mark to market at every price update in the desk loop, against a slow pure-Python desk.

The reference re-values every book from scratch (cash + position x mark, converted at the FX
rate of the moment) at every step of the quote grid and at every snapshot, and records each
change of level of the limits that move with the marks: gross exposure, drawdown, concentration.
"""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeflow.config import InstrumentConfig, LimitsConfig, MarketConfig, PreTradeConfig, RiskConfig
from tradeflow.market import simulate_market
from tradeflow.middle import DeskState, RiskSetup, run_desk
from tradeflow.middle.desk import _snapshot_times
from tradeflow.schema import EXECUTION_DT, ORDER_DT, BreachLevel, LimitKind

LOOSE = PreTradeConfig(max_order_qty=10**9, max_order_notional=1e15, max_position_qty=10**9,
                       max_gross_position_qty=10**9, client_credit_limit=1e18, max_orders_per_second=100_000,
                       duplicate_window_s=0.0)
SNAP_S = 300.0


def _market(mid: np.ndarray, fx_eur: np.ndarray):
    """A 20-minute session of two instruments (AAA in USD, BBB in EUR) on a 1 s grid, quotes as given."""
    cfg = MarketConfig(instruments=(InstrumentConfig(symbol="AAA", price=100.0),
                                    InstrumentConfig(symbol="BBB", currency="EUR", price=50.0)),
                       session_open="14:30", session_close="14:50", venue_sessions=False, garch=False, jumps=False)
    m = simulate_market(cfg, np.random.default_rng(0))
    assert m.n_steps == mid.shape[1] == fx_eur.shape[0]
    return replace(m, mid=mid, bid=mid, ask=mid, fx=np.vstack([np.ones_like(fx_eur), fx_eur]))


def _orders(market, trades):
    """Market orders filled at once: ``trades`` are (step, second offset, book, instrument, side, qty, price, fee)."""
    n = len(trades)
    orders = np.zeros(n, ORDER_DT)
    execs = np.zeros(n, EXECUTION_DT)
    trades = sorted(trades, key=lambda x: (x[0], x[1]))
    for k, (step, off, book, inst, side, qty, price, fee) in enumerate(trades):
        ts = int(market.times[step]) + int(off * 1e9)
        o = orders[k]
        o["order_id"], o["parent_id"], o["ts"], o["ts_cancel"] = k, -1, ts, -1
        o["instrument"], o["book"], o["side"], o["qty"] = inst, book, side, qty
        o["limit_price"], o["ref_price"] = np.nan, market.mid[inst, step]
        execs[k]["order_id"], execs[k]["ts"], execs[k]["qty"] = k, ts, qty
        execs[k]["price"], execs[k]["fee"] = price, fee
    return orders, execs


def _run(market, orders, execs, limits, n_books):
    setup = RiskSetup.from_market(market, np.zeros((2, 20)), RiskConfig(n_scenarios=20), limits)
    close = int(market.times[-1]) + 1_000_000_000
    out = run_desk(orders, execs, market, LOOSE, DeskState.flat(n_books, 2), close_ts=close, pnl_interval_s=SNAP_S,
                   risk=setup)
    return out, close


def reference_mark_breaches(market, orders, execs, limits, n_books, close_ts):
    """Every limit that moves with the marks, checked from scratch at every grid step and snapshot."""
    fills = sorted((int(execs["ts"][k]), int(orders["book"][k]), int(orders["instrument"][k]),
                    int(orders["side"][k]), int(execs["qty"][k]), float(execs["price"][k]), float(execs["fee"][k]))
                   for k in range(len(orders)))
    ccy = market.instruments["currency_id"].to_numpy()
    snaps = _snapshot_times(market, close_ts, SNAP_S)
    # a grid step's price update runs before the events at its time; a snapshot after them
    checks = [(int(t), 0, s) for s, t in enumerate(market.times)]
    checks += [(int(t), 1, int(market.step_of(np.array([t]))[0])) for t in snaps]
    checks.sort()
    level, peak, events = {}, [0.0] * (n_books + 1), []
    for ts, is_snap, step in checks:
        done = [f for f in fills if (f[0] <= ts if is_snap else f[0] < ts)]
        cash = np.zeros((n_books, 2))
        pos = np.zeros((n_books, 2))
        fee = np.zeros((n_books, 2))
        for _, b, i, side, q, px, fe in done:
            pos[b, i] += side * q
            cash[b, i] -= side * q * px
            fee[b, i] += fe
        fx = market.fx[ccy, step]
        mark = market.mid[:, step]
        total = ((cash + pos * mark - fee) * fx).sum(axis=1)
        mv = pos * mark * fx
        gross = np.abs(mv).sum(axis=1)
        rows = []
        for b in range(n_books):
            if limits.concentration_basis == "gross_limit" and limits.book_gross_exposure > 0:
                conc = np.abs(mv[b]).max() / limits.book_gross_exposure  # single name against the book's limit
            else:
                conc = (np.abs(mv[b]).max() / gross[b] if gross[b] > 0 and gross[b] >= limits.concentration_min_gross
                        else 0)
            rows.append((b, b, total[b], [(LimitKind.GROSS_EXPOSURE, gross[b], limits.book_gross_exposure),
                                          (LimitKind.DRAWDOWN, None, limits.book_drawdown),
                                          (LimitKind.CONCENTRATION, conc, limits.book_concentration)]))
        rows.append((n_books, -1, total.sum(), [(LimitKind.GROSS_EXPOSURE, gross.sum(), limits.desk_gross_exposure),
                                                (LimitKind.DRAWDOWN, None, limits.desk_drawdown)]))
        for row, book, tot, checks_ in rows:
            peak[row] = max(peak[row], tot)
            for kind, value, thr in checks_:
                value = peak[row] - tot if value is None else value
                lvl = (BreachLevel.CLEARED if thr <= 0 or value < limits.warning_fraction * thr
                       else BreachLevel.WARNING if value < thr else BreachLevel.BREACH)
                if lvl != level.get((row, kind), BreachLevel.CLEARED):
                    level[(row, kind)] = lvl
                    events.append((ts, book, int(kind), int(lvl), value))
    return events


def _events(breaches):
    return [(int(r["ts"]), int(r["book"]), int(r["limit"]), int(r["level"]), float(r["value"])) for r in breaches]


def _same(got, ref):
    assert [e[:4] for e in got] == [e[:4] for e in ref]
    for g, r in zip(got, ref, strict=True):
        assert g[4] == pytest.approx(r[4], rel=1e-9, abs=1e-6)


def test_a_drawdown_between_snapshots_is_caught_at_its_time():
    n = 1200
    aaa = np.full(n, 100.0)
    aaa[350:420] = np.linspace(100.0, 95.0, 70)  # a dip between the 300 s and 600 s snapshots...
    aaa[420:480] = np.linspace(95.0, 100.0, 60)  # ...that recovers before the next one
    aaa[480:] = 100.0
    market = _market(np.vstack([aaa, np.full(n, 50.0)]), np.full(n, 1.08))
    orders, execs = _orders(market, [(10, 0.5, 0, 0, 1, 10_000, 100.0, 0.0)])
    limits = LimitsConfig(book_var=0.0, desk_var=0.0, book_drawdown=40_000.0, desk_drawdown=0.0,
                          breach_action="none")
    out, close = _run(market, orders, execs, limits, 1)
    got = _events(out.breaches)
    ref = reference_mark_breaches(market, orders, execs, limits, 1, close)
    _same(got, ref)
    dd = [e for e in got if e[2] == LimitKind.DRAWDOWN]
    # warning at 32,000 (AAA at 96.80), breach at 40,000 (96.00), cleared on the way back (above 96.80)
    assert [e[3] for e in dd] == [BreachLevel.WARNING, BreachLevel.BREACH, BreachLevel.WARNING, BreachLevel.CLEARED]
    steps = [int(np.searchsorted(market.times, e[0])) for e in dd]
    assert aaa[steps[0]] <= 96.8 < aaa[steps[0] - 1] and aaa[steps[1]] <= 96.0 < aaa[steps[1] - 1]
    assert aaa[steps[3]] > 96.8 >= aaa[steps[3] - 1]
    # no snapshot saw it: every one of these events falls strictly between two snapshot times
    snaps = _snapshot_times(market, close, SNAP_S)
    assert all(snaps[0] < e[0] < snaps[1] for e in dd)
    assert out.risk["drawdown"].max() == 0.0  # the snapshots' own drawdowns: back at the peak each time


def test_a_breach_acts_at_once_between_snapshots():
    n = 1200
    aaa = np.full(n, 100.0)
    aaa[100:] = 90.0  # a 10% drop at 100 s: the book's drawdown breaches long before the first snapshot
    market = _market(np.vstack([aaa, np.full(n, 50.0)]), np.full(n, 1.08))
    trades = [(10, 0.0, 0, 0, 1, 10_000, 100.0, 0.0), (150, 0.0, 0, 0, 1, 100, 90.0, 0.0),
              (160, 0.0, 0, 0, -1, 100, 90.0, 0.0)]
    orders, execs = _orders(market, trades)
    out, _ = _run(market, orders, execs, LimitsConfig(book_var=0.0, desk_var=0.0, book_drawdown=50_000.0,
                                                      breach_action="reducing_only"), 1)
    dd = out.breaches[out.breaches["limit"] == LimitKind.DRAWDOWN]
    assert dd["ts"][dd["level"] == BreachLevel.BREACH][0] == market.times[100]
    # the book went reducing-only at 100 s: the buy at 150 s is rejected, the sell at 160 s goes through
    assert out.orders["reject_reason"].tolist() == [0, 11, 0]


@given(st.integers(0, 2**31), st.integers(1, 3), st.integers(1, 12), st.sampled_from([0.0, 5e5]),
       st.sampled_from(["gross_limit", "gross"]), st.sampled_from([0.6543, 0.2345]))
def test_mark_limits_match_a_from_scratch_desk_at_every_price_update(seed, n_books, n_trades, min_gross, basis,
                                                                      conc_limit):
    rng = np.random.default_rng(seed)
    n = 1200
    # quotes on a tick grid that sit still for stretches (not every instrument moves at every step)
    moves = rng.normal(0, 0.05, (2, n)) * (rng.random((2, n)) < 0.3)
    mid = np.round(np.array([[100.0], [50.0]]) * np.exp(np.cumsum(moves * 0.02, axis=1)), 2)
    fx = np.round(1.08 * np.exp(np.cumsum(rng.normal(0, 0.002, n) * (rng.random(n) < 0.1))), 5)
    market = _market(mid, fx)
    trades = [(int(rng.integers(0, n - 1)), float(rng.choice([0.0, 0.25])), int(rng.integers(0, n_books)),
               int(rng.integers(0, 2)), int(rng.choice([1, -1])), int(rng.integers(1, 20_000)),
               float(np.round(rng.uniform(40, 110), 2)), float(rng.choice([0.0, 1.5]))) for _ in range(n_trades)]
    orders, execs = _orders(market, trades)
    limits = LimitsConfig(book_var=0.0, desk_var=0.0, book_gross_exposure=1.23457e6, desk_gross_exposure=2.34567e6,
                          book_drawdown=1234.567, desk_drawdown=2345.678, book_concentration=conc_limit,
                          concentration_basis=basis, concentration_min_gross=min_gross, breach_action="none")
    out, close = _run(market, orders, execs, limits, n_books)
    ref = reference_mark_breaches(market, orders, execs, limits, n_books, close)
    _same(_events(out.breaches), ref)
