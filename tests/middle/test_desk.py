"""The desk loop against a plain-Python desk that processes the same events."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import small_config
from tradeflow.front import execute_orders, generate_orders
from tradeflow.market import simulate_market
from tradeflow.middle import DeskState, run_desk
from tradeflow.schema import EXECUTION_DT, NS_PER_DAY, EventKind, Liquidity, OrderOrigin, OrderStatus, RejectReason


def reference_desk(orders, execs, order_fx, limits):
    """Arrivals before executions at equal times; dicts instead of arrays; partial fills allowed.

    Implements every pre-trade control in its documented order: throttle, collar, order
    quantity, notional, net position, gross position, client credit, duplicates; then a
    cancel/replace's own check (the original must be working; the replacement stands for
    what the original has left).
    """
    row = {int(o): k for k, o in enumerate(orders["order_id"])}
    events = [(orders["ts"][k], 0, k) for k in range(len(orders))]
    events += [(execs["ts"][x], 1, x) for x in range(len(execs))]
    cancels = [k for k in range(len(orders)) if orders["ts_cancel"][k] >= 0]
    events += [(orders["ts_cancel"][k], 2, k) for k in cancels]
    events.sort()
    pos, working, status, reason, filled, fills = {}, {}, {}, {}, {}, []
    credit, sent, last, qty_of = {}, {}, {}, {}
    for _, kind, ref in events:
        k = ref if kind != 1 else row[int(execs["order_id"][ref])]
        o = orders[k]
        key = (int(o["book"]), int(o["instrument"]))
        side, qty = int(o["side"]), qty_of.get(k, int(o["qty"]))
        is_limit = o["order_type"] == 1
        px = o["limit_price"] if is_limit else o["ref_price"]
        client, trader = int(o["client"]), int(o["trader"])
        if kind == 2:
            if status[k] in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED):
                working[key + (side,)] -= qty - filled[k]
                credit[client] -= (qty - filled[k]) * px * order_fx[k]
                status[k] = OrderStatus.CANCELLED
            continue
        if kind == 0:
            ts = int(o["ts"])
            replace_r = RejectReason.NONE
            if o["origin"] == OrderOrigin.REPLACE:
                orig = row.get(int(o["parent_id"]))
                if orig is None or orig >= k or status[orig] == OrderStatus.REJECTED:
                    replace_r = RejectReason.UNKNOWN_ORDER
                elif status[orig] == OrderStatus.FILLED:
                    replace_r = RejectReason.TOO_LATE_TO_REPLACE
                else:
                    qty = qty_of[k] = min(qty, qty_of.get(orig, int(orders["qty"][orig])) - filled[orig])
            p = pos.get(key, 0)
            w = working.get(key + (side,), 0)
            w_other = working.get(key + (-side,), 0)
            recent = [t for t in sent.get(trader, []) if ts - t < 1_000_000_000]
            dup_key = (client, key[1], side)
            prev = last.get(dup_key)
            if len(recent) >= limits.max_orders_per_second:
                r = RejectReason.THROTTLE
            elif is_limit and abs(o["limit_price"] / o["ref_price"] - 1) * 1e4 > limits.price_collar_bps:
                r = RejectReason.PRICE_COLLAR
            elif qty > limits.max_order_qty:
                r = RejectReason.MAX_ORDER_QTY
            elif qty * px * order_fx[k] > limits.max_order_notional:
                r = RejectReason.MAX_ORDER_NOTIONAL
            elif abs(p + side * (w + qty)) > limits.max_position_qty:
                r = RejectReason.MAX_POSITION
            elif abs(p) + w + w_other + qty > limits.max_gross_position_qty:
                r = RejectReason.MAX_GROSS_POSITION
            elif credit.get(client, 0.0) + qty * px * order_fx[k] > limits.client_credit_limit:
                r = RejectReason.CREDIT_LIMIT
            elif prev is not None and ts - prev[0] < limits.duplicate_window_s * 1e9 and prev[1:] == (
                    qty, o["limit_price"] if is_limit else -1.0):
                r = RejectReason.DUPLICATE_ORDER
            else:
                r = replace_r
            reason[k] = r
            status[k] = OrderStatus.REJECTED if r else OrderStatus.NEW
            filled[k] = 0
            if not r:
                working[key + (side,)] = w + qty
                credit[client] = credit.get(client, 0.0) + qty * px * order_fx[k]
                sent[trader] = recent + [ts]
                last[dup_key] = (ts, qty, o["limit_price"] if is_limit else -1.0)
        elif status[k] in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED):
            q = min(int(execs["qty"][ref]), qty - filled[k])
            if q <= 0:
                continue
            working[key + (side,)] -= q
            pos[key] = pos.get(key, 0) + side * q
            filled[k] += q
            status[k] = OrderStatus.FILLED if filled[k] == qty else OrderStatus.PARTIALLY_FILLED
            fills.append((int(o["order_id"]), q))
    final = [OrderStatus.EXPIRED if status[k] in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED) else status[k]
             for k in range(len(orders))]
    return np.array(final), np.array([reason[k] for k in range(len(orders))]), fills, pos, filled


def _session(cfg, seed):
    rng = np.random.default_rng(seed)
    market = simulate_market(cfg.market, rng)
    orders = generate_orders(cfg.flow, market, rng, first_order_id=1_000)
    close = int(market.trade_date.astype(np.int64)) * NS_PER_DAY + cfg.market.session_close_ns
    return market, orders, close


@given(seed=st.integers(0, 10_000), max_pos=st.integers(500, 20_000), collar=st.sampled_from([20.0, 500.0]),
       split=st.booleans(), gross=st.sampled_from([1_000, 150_000]), credit=st.sampled_from([3e6, 5e9]),
       rate=st.sampled_from([1, 50]), dup=st.sampled_from([0.0, 1.0, 600.0]), cancel=st.booleans())
def test_desk_loop_matches_reference(seed, max_pos, collar, split, gross, credit, rate, dup, cancel):
    cfg = small_config(800, pretrade={"max_position_qty": max_pos, "price_collar_bps": collar,
                                      "max_order_qty": 5_000, "max_gross_position_qty": gross,
                                      "client_credit_limit": credit, "max_orders_per_second": rate,
                                      "duplicate_window_s": dup},
                       flow={"fat_finger_rate": 0.05})
    market, orders, close = _session(cfg, seed)
    if cancel:  # some clients cancel what is left a minute later; the credit they used is released
        orders["ts_cancel"][::3] = orders["ts"][::3] + 60 * 1_000_000_000
    if dup:  # resend some orders a moment later: the duplicate check must catch them
        copies = orders[::7].copy()
        copies["ts"] += 1
        copies["ts_cancel"] = -1
        orders = np.concatenate([orders, copies])
        orders = orders[np.argsort(orders["ts"], kind="stable")]
        orders["order_id"] = np.arange(len(orders)) + 1_000
    execs = execute_orders(orders, market, cfg.execution, np.full(market.n_instruments, 100.0))
    if split:  # the venue may fill in parts, and over-report: the loop must cap at the order size
        a, b = execs.copy(), execs.copy()
        a["qty"] = np.maximum(execs["qty"] // 3, 1)
        b["ts"] += 1
        execs = np.concatenate([a, b])
        execs = execs[np.lexsort((execs["order_id"], execs["ts"]))]
    out = run_desk(orders, execs, market, cfg.pretrade, DeskState.flat(cfg.flow.n_books, market.n_instruments),
                   close_ts=close, pnl_interval_s=600)
    inst_ccy = market.instruments["currency_id"].to_numpy()
    order_fx = market.fx[inst_ccy[orders["instrument"]], market.step_of(orders["ts"])]
    status, reason, fills, pos, filled = reference_desk(orders, execs, order_fx, cfg.pretrade)
    np.testing.assert_array_equal(out.orders["status"], status)
    np.testing.assert_array_equal(out.orders["reject_reason"], reason)
    assert list(zip(out.fills["order_id"].tolist(), out.fills["qty"].tolist(), strict=True)) == fills
    np.testing.assert_array_equal(out.orders["filled_qty"], [filled[k] for k in range(len(orders))])
    for (b, i), q in pos.items():
        row = out.positions[(out.positions["book"] == b) & (out.positions["instrument"] == i)]
        assert row["qty"][0] == q
    assert np.abs(out.positions["qty"]).max(initial=0) <= max_pos


def test_partial_fills_follow_fix_semantics():
    cfg = small_config(50, flow={"market_order_share": 1.0, "fat_finger_rate": 0.0})
    market, orders, close = _session(cfg, 3)
    o = orders[:1].copy()
    o["qty"] = 100
    execs = np.zeros(3, dtype=EXECUTION_DT)
    execs["order_id"] = o["order_id"][0]
    execs["ts"] = o["ts"][0] + np.array([0, 10, 20])
    execs["qty"] = [30, 50, 40]  # 120 reported: only 20 of the last may fill
    execs["price"] = [10.0, 11.0, 12.0]
    execs["liquidity"] = Liquidity.TAKER
    state = DeskState.flat(cfg.flow.n_books, market.n_instruments)
    out = run_desk(o, execs, market, cfg.pretrade, state, close_ts=close, pnl_interval_s=600)
    assert out.fills["qty"].tolist() == [30, 50, 20]
    assert out.orders["status"][0] == OrderStatus.FILLED
    assert out.orders["avg_fill_price"][0] == pytest.approx((30 * 10 + 50 * 11 + 20 * 12) / 100)
    ev = out.events
    assert ev["kind"].tolist() == [EventKind.ACCEPTED, EventKind.PARTIALLY_FILLED, EventKind.PARTIALLY_FILLED,
                                   EventKind.FILLED]
    fills_ev = ev[ev["kind"] != EventKind.ACCEPTED]
    assert (fills_ev["cum_qty"] + fills_ev["leaves_qty"] == 100).all()  # OrderQty = CumQty + LeavesQty
    assert state.pos.sum() == 100 * o["side"][0]
    # a partly filled order expires at the close with its leaves
    out = run_desk(o, execs[:1], market, cfg.pretrade, DeskState.flat(cfg.flow.n_books, market.n_instruments),
                   close_ts=close, pnl_interval_s=600)
    assert out.orders["status"][0] == OrderStatus.EXPIRED and out.orders["filled_qty"][0] == 30
    assert out.events["kind"][-1] == EventKind.EXPIRED and out.events["qty"][-1] == 70


def test_state_carries_over_between_sessions():
    cfg = small_config(400)
    market, orders, close = _session(cfg, 5)
    execs = execute_orders(orders, market, cfg.execution, np.full(market.n_instruments, 100.0))
    state = DeskState.flat(cfg.flow.n_books, market.n_instruments)
    half = len(orders) // 2
    first = run_desk(orders[:half], execs[np.isin(execs["order_id"], orders["order_id"][:half])], market,
                     cfg.pretrade, state, close_ts=close, pnl_interval_s=600)
    second = run_desk(orders[half:], execs[np.isin(execs["order_id"], orders["order_id"][half:])], market,
                      cfg.pretrade, state, close_ts=close, pnl_interval_s=600)
    assert second.fills["fill_id"][0] == len(first.fills)  # fill ids run on
    signed = np.concatenate([first.fills, second.fills])
    total = np.zeros_like(state.pos)
    np.add.at(total, (signed["book"], signed["instrument"]), signed["side"] * signed["qty"])
    np.testing.assert_array_equal(state.pos, total)


def test_run_desk_validates_inputs():
    cfg = small_config(100)
    market, orders, close = _session(cfg, 0)
    execs = execute_orders(orders, market, cfg.execution, np.full(market.n_instruments, 100.0))
    flat = DeskState.flat(cfg.flow.n_books, market.n_instruments)
    bad = orders.copy()
    bad["book"][0] = 99
    with pytest.raises(ValueError, match="'book'"):
        run_desk(bad, execs, market, cfg.pretrade, flat, close_ts=close, pnl_interval_s=600)
    with pytest.raises(ValueError, match="sorted by 'ts'"):
        run_desk(orders[::-1].copy(), execs, market, cfg.pretrade, flat, close_ts=close, pnl_interval_s=600)
    ghost = execs.copy()
    ghost["order_id"][0] = 10**9
    with pytest.raises(ValueError, match="'order_id'"):
        run_desk(orders, ghost, market, cfg.pretrade, flat, close_ts=close, pnl_interval_s=600)


def test_cancel_ends_a_working_order_and_keeps_its_fills():
    cfg = small_config(50, flow={"market_order_share": 1.0, "fat_finger_rate": 0.0})
    market, orders, close = _session(cfg, 4)
    o = orders[:2].copy()
    o["qty"] = 100
    o["ts_cancel"] = [o["ts"][0] + 15, o["ts"][1]]  # cancel mid-way; IOC-style cancel at arrival
    execs = np.zeros(3, dtype=EXECUTION_DT)
    execs["order_id"] = [o["order_id"][0], o["order_id"][0], o["order_id"][1]]
    execs["ts"] = [o["ts"][0] + 10, o["ts"][0] + 20, o["ts"][1]]
    execs["qty"] = [40, 60, 25]
    execs["price"] = 10.0
    execs = execs[np.argsort(execs["ts"], kind="stable")]
    state = DeskState.flat(cfg.flow.n_books, market.n_instruments)
    out = run_desk(o, execs, market, cfg.pretrade, state, close_ts=close, pnl_interval_s=600)
    assert out.orders["status"].tolist() == [OrderStatus.CANCELLED] * 2
    assert out.orders["filled_qty"].tolist() == [40, 25]  # the fill after the cancel never happens
    cancel_ev = out.events[out.events["kind"] == EventKind.CANCELLED]
    assert cancel_ev["qty"].tolist() == [60, 75]  # leaves at the cancel, in time order
    bad = o.copy()
    bad["ts_cancel"][0] = bad["ts"][0] - 1
    with pytest.raises(ValueError, match="'ts_cancel'"):
        run_desk(bad, execs, market, cfg.pretrade, DeskState.flat(cfg.flow.n_books, market.n_instruments),
                 close_ts=close, pnl_interval_s=600)


@given(first=st.integers(0, 10**6), n=st.integers(0, 30), gaps=st.booleans(), data=st.data())
def test_exec_rows_finds_each_executions_order(first, n, gaps, data):
    # the reference: a binary search of the orders' ids (consecutive ids take an offset instead); an id
    # that is not an order's is an error either way
    from tradeflow.middle.desk import _exec_rows
    from tradeflow.schema import ORDER_DT

    step = np.array(data.draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)), np.int64) if gaps \
        else np.ones(n, np.int64)
    orders = np.zeros(n, ORDER_DT)
    orders["order_id"] = first + np.cumsum(step) - (step[0] if n else 0)
    rows = np.array(data.draw(st.lists(st.integers(0, n - 1), max_size=20)) if n else [], np.int64)
    execs = np.zeros(rows.size, EXECUTION_DT)
    execs["order_id"] = orders["order_id"][rows]
    np.testing.assert_array_equal(_exec_rows(orders, execs), rows)
    ghost = data.draw(st.sampled_from([first - 1, first + 4 * n + 1] + ([first + 1] if gaps and n > 1
                                                                         and step[1] > 1 else [])))
    if rows.size:
        execs["order_id"][data.draw(st.integers(0, rows.size - 1))] = ghost
        with pytest.raises(ValueError, match="'order_id'"):
            _exec_rows(orders, execs)


def _same_records(a, b):
    # field by field (NaN limit prices equal; a record's padding bytes are not data)
    return a.dtype == b.dtype and a.shape == b.shape and all(
        np.array_equal(a[f], b[f], equal_nan=a.dtype[f].kind == "f") for f in a.dtype.names)


def test_run_desk_can_take_over_the_orders():
    # copy=False writes the statuses into the caller's orders and gives the same outcome as a copy
    cfg = small_config(300)
    market, orders, close = _session(cfg, 3)
    execs = execute_orders(orders, market, cfg.execution, np.full(market.n_instruments, 100.0))
    flat = (DeskState.flat(cfg.flow.n_books, market.n_instruments) for _ in range(2))
    kept = orders.copy()
    a = run_desk(orders, execs, market, cfg.pretrade, next(flat), close_ts=close, pnl_interval_s=600)
    assert _same_records(orders, kept)  # the default leaves them alone
    b = run_desk(orders, execs, market, cfg.pretrade, next(flat), close_ts=close, pnl_interval_s=600, copy=False)
    assert np.shares_memory(b.orders, orders)
    assert (orders["status"] != kept["status"]).any()
    for name in ("orders", "fills", "events", "pnl", "positions"):
        assert _same_records(getattr(a, name), getattr(b, name)), name
    with pytest.raises(ValueError, match="C-contiguous, writeable"):
        run_desk(kept[::2], execs, market, cfg.pretrade,
                 DeskState.flat(cfg.flow.n_books, market.n_instruments), close_ts=close, pnl_interval_s=600,
                 copy=False)


def test_outcome_records_are_their_buffers_shrunk_in_place_or_a_copy_when_held():
    # the outcome takes the first n rows of each record buffer: the buffer itself, shrunk (no copy), when
    # nothing else holds it; a copy when something does (a view here). The same rows either way.
    from tradeflow.core.records import take_head
    from tradeflow.middle.desk import DeskRun

    def run_of(buf):
        return DeskRun(orders=None, snap_ts=None, desk=None, fills=buf, events=None, pnl=None, risk_rows=None,
                        breaches=None, multiplier=None)

    rows = np.zeros(5_000, dtype=EXECUTION_DT)
    rows["order_id"] = np.arange(5_000)
    free = run_of(rows.copy())
    ident = id(free.fills)
    got = take_head(free, "fills", 1_200)
    assert id(got) == ident and got.shape == (1_200,) and free.fills is None
    np.testing.assert_array_equal(got["order_id"], np.arange(1_200))
    held = run_of(rows.copy())
    view = held.fills[:10]
    got = take_head(held, "fills", 1_200)
    assert not np.shares_memory(got, view) and got.shape == (1_200,)
    np.testing.assert_array_equal(got["order_id"], np.arange(1_200))
    assert view.shape == (10,) and view["order_id"][9] == 9  # the holder's rows are untouched
    assert take_head(run_of(rows.copy()), "fills", 0).shape == (0,)
