"""The stateful pre-trade controls and the limit levels, kernel by kernel, against plain Python."""

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from tradeflow.middle import _risk_kernels as rk
from tradeflow.middle import nb as k
from tradeflow.middle.greeks import bsm_price
from tradeflow.schema import BREACH_DT, BreachLevel, RejectReason, TradingState

SECOND = 1_000_000_000


def reference_controls(o, s, lim):
    """Every control in the documented order, with plain Python values."""
    if o["qty"] <= 0:
        return RejectReason.INVALID_QTY
    if not o["ref"] > 0 or (o["is_limit"] and not o["limit"] > 0):
        return RejectReason.INVALID_PRICE
    if s["kill"]:
        return RejectReason.KILL_SWITCH
    if s["state"] == TradingState.HALTED:
        return RejectReason.BOOK_HALTED
    if len([t for t in s["sent"] if o["ts"] - t < SECOND]) >= lim["rate"]:
        return RejectReason.THROTTLE
    px = o["limit"] if o["is_limit"] else o["ref"]
    working = s["wb"] if o["side"] > 0 else s["ws"]
    if o["is_limit"] and abs(o["limit"] - o["ref"]) > (lim["collar"] * 1e-4 + 1e-9) * o["ref"]:  # beyond it only
        return RejectReason.PRICE_COLLAR
    if o["qty"] > lim["max_qty"]:
        return RejectReason.MAX_ORDER_QTY
    if o["qty"] * px > lim["max_notional"]:
        return RejectReason.MAX_ORDER_NOTIONAL
    if abs(s["pos"] + o["side"] * (working + o["qty"])) > lim["max_pos"]:
        return RejectReason.MAX_POSITION
    if abs(s["pos"]) + s["wb"] + s["ws"] + o["qty"] > lim["max_gross"]:
        return RejectReason.MAX_GROSS_POSITION
    if s["state"] == TradingState.REDUCING_ONLY and (
            s["pos"] == 0 or (s["pos"] > 0) == (o["side"] > 0) or working + o["qty"] > abs(s["pos"])):
        return RejectReason.REDUCING_ONLY
    if s["credit"] + o["qty"] * px > lim["credit"]:
        return RejectReason.CREDIT_LIMIT
    last = s["last"]
    if last is not None and o["ts"] - last[0] < lim["dup_ns"] and last[1:] == (
            o["qty"], o["limit"] if o["is_limit"] else -1.0):
        return RejectReason.DUPLICATE_ORDER
    return RejectReason.NONE


@given(qty=st.integers(-5, 3_000), side=st.sampled_from([1, -1]), is_limit=st.booleans(),
       limit=st.sampled_from([99.0, 100.0, 101.0, 130.0, 0.0]), pos=st.integers(-2_000, 2_000),
       wb=st.integers(0, 1_000), ws=st.integers(0, 1_000), state=st.sampled_from(list(TradingState)),
       kill=st.booleans(), n_sent=st.integers(0, 4), credit=st.floats(0, 300_000.0),
       dup=st.one_of(st.none(), st.tuples(st.integers(0, 2 * SECOND), st.sampled_from([10, 500]),
                                          st.sampled_from([-1.0, 100.0, 101.0]))))
def test_pretrade_controls_match_reference(qty, side, is_limit, limit, pos, wb, ws, state, kill, n_sent, credit, dup):
    ts = 3 * SECOND
    lim = {"rate": 3, "collar": 200.0, "max_qty": 2_500, "max_notional": 200_000.0, "max_pos": 2_500,
           "max_gross": 4_000, "credit": 400_000.0, "dup_ns": SECOND}
    sent = [ts - SECOND // 2 * j for j in range(n_sent)]
    ring = np.full((1, lim["rate"]), -1, np.int64)
    head = np.zeros(1, np.int64)
    for t in reversed(sent):  # oldest first, as the kernel would have recorded them
        ring[0, head[0]] = t
        head[0] = (head[0] + 1) % lim["rate"]
    dup_ts = np.full((1, 1, 2), -1, np.int64)
    dup_qty = np.zeros((1, 1, 2), np.int64)
    dup_px = np.zeros((1, 1, 2))
    last = None
    if dup is not None:
        sd = 0 if side > 0 else 1
        dup_ts[0, 0, sd], dup_qty[0, 0, sd], dup_px[0, 0, sd] = ts - dup[0], dup[1], dup[2]
        last = (ts - dup[0], dup[1], dup[2])
    got = k.pretrade_controls_nb(ts, 0, 0, 0, 0, side, qty, is_limit, limit, 100.0, 1.0, pos, wb, ws, lim["collar"],
                                 lim["max_qty"], lim["max_notional"], lim["max_pos"], lim["max_gross"], lim["credit"],
                                 lim["dup_ns"], np.array([state], np.int8), np.array([int(kill)], np.int8),
                                 np.array([credit]), ring, head, dup_ts, dup_qty, dup_px)
    o = {"ts": ts, "qty": qty, "side": side, "is_limit": is_limit, "limit": limit, "ref": 100.0}
    s = {"kill": kill, "state": state, "sent": sent, "pos": pos, "wb": wb, "ws": ws, "credit": credit, "last": last}
    assert got == reference_controls(o, s, lim)


@given(st.lists(st.floats(0.0, 200.0), min_size=1, max_size=40), st.floats(10.0, 100.0), st.floats(0.1, 1.0),
       st.sampled_from([0, 1, 2]))
def test_limit_events_are_the_changes_of_level(values, threshold, warn, action):
    state = np.zeros((2, 4), np.int8)
    books = np.zeros(1, np.int8)
    out = np.zeros(len(values), dtype=BREACH_DT)
    nb = 0
    for t, v in enumerate(values):
        nb = k.check_limit_nb(state, 0, 2, v, threshold, warn, t, 0, action, books, out, nb, 100)
    levels = [BreachLevel.BREACH if v >= threshold else BreachLevel.WARNING if v >= warn * threshold
              else BreachLevel.CLEARED for v in values]
    changes = [(t, lv) for t, lv in enumerate(levels) if lv != ([BreachLevel.CLEARED] + levels)[t]]
    assert [(int(r["ts"]), int(r["level"])) for r in out[:nb]] == changes
    assert (out["breach_id"][:nb] == 100 + np.arange(nb)).all()
    assert books[0] == (action if BreachLevel.BREACH in levels else 0)


@given(st.integers(0, 2**31), st.floats(0.0, 0.5), st.floats(0.0, 0.1))
def test_unit_scenario_pnl_matches_python_revaluation(seed, horizon, vol_shift):
    table = pd.DataFrame({"symbol": ["S", "C", "P"], "asset_class": ["equity", "option", "option"],
                          "multiplier": [1.0, 100.0, 10.0], "volatility": [0.2, 0.3, 0.25], "underlying": [0, 0, 0],
                          "strike": [np.nan, 95.0, 105.0], "expiry": [0, 10**16, 3 * 10**16],
                          "call_put": ["", "C", "P"]})
    from tradeflow.middle.instruments import instrument_risk
    inst = instrument_risk(table, risk_free_rate=0.02, dividend_yield=0.01)
    rng = np.random.default_rng(seed)
    ret = rng.normal(0, 0.05, (3, 7))
    marks = np.array([100.0, 8.0, 6.0])
    ty = inst.expiry_years(0)
    out = np.empty((3, 7))
    rk.unit_scenario_pnl_nb(inst.asset_class, inst.underlying, inst.multiplier, inst.strike, ty, inst.vol, inst.rate,
                            inst.div_yield, inst.call_put, marks, ret, inst.currency_id, np.zeros((1, 7)), horizon,
                            vol_shift, out)
    np.testing.assert_allclose(out[0], 100.0 * ret[0])
    for i, cp in ((1, 1), (2, -1)):
        v0 = bsm_price(100.0, table["strike"][i], ty[i], table["volatility"][i], 0.02, 0.01, cp)
        v1 = bsm_price(100.0 * (1 + ret[0]), table["strike"][i], ty[i] - horizon, table["volatility"][i] + vol_shift,
                       0.02, 0.01, cp)
        np.testing.assert_allclose(out[i], table["multiplier"][i] * (v1 - v0), rtol=1e-10, atol=1e-10)
