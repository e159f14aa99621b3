"""The desk loop against a plain-Python desk that processes the same events."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import small_config
from tradeflow.front import candidate_fills, generate_orders
from tradeflow.market import simulate_market
from tradeflow.middle import run_desk
from tradeflow.schema import NS_PER_DAY, OrderStatus, RejectReason


def reference_desk(orders, cand, order_fx, limits, n_books, n_inst):
    """Events in (ts, fills-before-arrivals, order id) order; dicts instead of arrays."""
    events = [(orders["ts"][k], 1, k) for k in range(len(orders))]
    events += [(cand.ts[k], 0, k) for k in range(len(orders)) if not cand.taker[k] and cand.ts[k] >= 0]
    events.sort()
    pos = {}
    working = {}
    status = {}
    reason = {}
    fills = []
    for _, kind, k in events:
        o = orders[k]
        key = (int(o["book"]), int(o["instrument"]))
        side = int(o["side"])
        if kind == 1:
            p = pos.get(key, 0)
            w = working.get(key + (side,), 0)
            qty = int(o["qty"])
            is_limit = o["order_type"] == 1
            r = RejectReason.NONE
            if is_limit and abs(o["limit_price"] / o["ref_price"] - 1) * 1e4 > limits.price_collar_bps:
                r = RejectReason.PRICE_COLLAR
            elif qty > limits.max_order_qty:
                r = RejectReason.MAX_ORDER_QTY
            elif qty * (o["limit_price"] if is_limit else o["ref_price"]) * order_fx[k] > limits.max_order_notional:
                r = RejectReason.MAX_ORDER_NOTIONAL
            elif abs(p + side * (w + qty)) > limits.max_position_qty:
                r = RejectReason.MAX_POSITION
            reason[k] = r
            if r != RejectReason.NONE:
                status[k] = OrderStatus.REJECTED
                continue
            if cand.taker[k]:
                pos[key] = p + side * qty
                status[k] = OrderStatus.FILLED
                fills.append(k)
            else:
                working[key + (side,)] = w + qty
                status[k] = OrderStatus.NEW
        elif status[k] == OrderStatus.NEW:
            working[key + (side,)] -= int(o["qty"])
            pos[key] = pos.get(key, 0) + side * int(o["qty"])
            status[k] = OrderStatus.FILLED
            fills.append(k)
    final = [status[k] if status[k] != OrderStatus.NEW else OrderStatus.EXPIRED for k in range(len(orders))]
    return np.array(final), np.array([reason[k] for k in range(len(orders))]), fills, pos


@given(seed=st.integers(0, 10_000), max_pos=st.integers(500, 20_000), collar=st.sampled_from([20.0, 500.0]))
def test_desk_loop_matches_reference(seed, max_pos, collar):
    cfg = small_config(800, pretrade={"max_position_qty": max_pos, "price_collar_bps": collar,
                                      "max_order_qty": 5_000},
                       flow={"fat_finger_rate": 0.05})
    rng = np.random.default_rng(seed)
    market = simulate_market(cfg.market, rng)
    orders = generate_orders(cfg.flow, market, rng)
    scale = np.full(market.n_instruments, 100.0)
    cand = candidate_fills(orders, market, cfg.execution, scale)
    close = int(market.trade_date.astype(np.int64)) * NS_PER_DAY + cfg.market.session_close_ns
    out = run_desk(orders, cand, market, cfg.pretrade, n_books=cfg.flow.n_books, close_ts=close,
                   pnl_interval_s=600)
    inst_ccy = market.instruments["currency_id"].to_numpy()
    order_fx = market.fx[inst_ccy[orders["instrument"]], market.step_of(orders["ts"])]
    status, reason, fills, pos = reference_desk(orders, cand, order_fx, cfg.pretrade, cfg.flow.n_books,
                                                market.n_instruments)
    np.testing.assert_array_equal(out.orders["status"], status)
    np.testing.assert_array_equal(out.orders["reject_reason"], reason)
    np.testing.assert_array_equal(out.fills["order_id"], fills)
    for (b, i), q in pos.items():
        row = out.positions[(out.positions["book"] == b) & (out.positions["instrument"] == i)]
        assert row["qty"][0] == q
    # nobody breaches the position limit, even counting working orders
    assert np.abs(out.positions["qty"]).max(initial=0) <= max_pos


def test_run_desk_validates_inputs():
    cfg = small_config(100)
    rng = np.random.default_rng(0)
    market = simulate_market(cfg.market, rng)
    orders = generate_orders(cfg.flow, market, rng)
    cand = candidate_fills(orders, market, cfg.execution, np.full(market.n_instruments, 100.0))
    bad = orders.copy()
    bad["book"][0] = 99
    with pytest.raises(ValueError, match="'book'"):
        run_desk(bad, cand, market, cfg.pretrade, n_books=cfg.flow.n_books, close_ts=0, pnl_interval_s=600)
    bad = orders[::-1].copy()
    with pytest.raises(ValueError, match="sorted by 'ts'"):
        run_desk(bad, cand, market, cfg.pretrade, n_books=cfg.flow.n_books, close_ts=0, pnl_interval_s=600)
