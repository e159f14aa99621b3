"""P&L explain of options against Black-Scholes repricing; fault injection and statements field by field."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import norm

from tradeflow.back import (
    book_trades,
    corrupt_statements,
    explain_greeks,
    net_obligations,
    post_settlements,
    settle_day,
)
from tradeflow.back import nb as bk
from tradeflow.config import FaultConfig
from tradeflow.schema import (
    FILL_DT,
    NS_PER_DAY,
    SETTLEMENT_DT,
    STATEMENT_DT,
    AccountKind,
    FaultKind,
)


def bs(s, k, t, r, vol, call=True):
    """Black-Scholes price and Greeks (vega per unit vol, theta per year), closed form."""
    d1 = (np.log(s / k) + (r + 0.5 * vol**2) * t) / (vol * np.sqrt(t))
    d2 = d1 - vol * np.sqrt(t)
    if call:
        price = s * norm.cdf(d1) - k * np.exp(-r * t) * norm.cdf(d2)
        delta = norm.cdf(d1)
        theta = -s * norm.pdf(d1) * vol / (2 * np.sqrt(t)) - r * k * np.exp(-r * t) * norm.cdf(d2)
    else:
        price = k * np.exp(-r * t) * norm.cdf(-d2) - s * norm.cdf(-d1)
        delta = norm.cdf(d1) - 1
        theta = -s * norm.pdf(d1) * vol / (2 * np.sqrt(t)) + r * k * np.exp(-r * t) * norm.cdf(-d2)
    gamma = norm.pdf(d1) / (s * vol * np.sqrt(t))
    vega = s * norm.pdf(d1) * np.sqrt(t)
    return price, delta, gamma, vega, theta


def test_kernel_account_constants_match_schema():
    assert (bk.A_CUSTODY, bk.A_NOSTRO, bk.A_PENALTIES) == (AccountKind.CUSTODY, AccountKind.NOSTRO,
                                                          AccountKind.PENALTIES)


@given(s=st.floats(50, 150), moneyness=st.floats(0.85, 1.15), t=st.floats(0.25, 2.0), vol=st.floats(0.15, 0.6),
       call=st.booleans(), qty=st.integers(-100, 100).filter(bool))
def test_option_explain_leaves_a_small_higher_order_residual(s, moneyness, t, vol, call, qty):
    r, dt, k = 0.03, 1 / 252, s * moneyness
    dS, dvol = 0.01 * s, 0.005
    p0, delta, gamma, vega, theta = bs(s, k, t, r, vol, call)
    p1 = bs(s + dS, k, t - dt, r, vol + dvol, call)[0]
    actual = qty * (p1 - p0)
    parts = explain_greeks(delta=qty * delta, gamma=qty * gamma, vega=qty * vega, theta=qty * theta, d_spot=dS,
                           d_vol=dvol, dt=dt, actual_pnl=actual)
    assert parts["explained"] + parts["residual"] == pytest.approx(actual)
    # the residual is what the Taylor expansion leaves: small against the size of the move ...
    scale = abs(qty) * (abs(delta) * dS + vega * dvol + abs(theta) * dt) + 1e-12
    assert abs(parts["residual"]) < 0.1 * scale
    # ... and of higher order than the explained terms: relative to them it vanishes as the moves shrink
    # (what remains are cross terms - vanna, volga, charm - that are not in the explain)
    h = 1 / 16
    p_small = bs(s + h * dS, k, t - h * dt, r, vol + h * dvol, call)[0]
    small = explain_greeks(delta=qty * delta, gamma=qty * gamma, vega=qty * vega, theta=qty * theta,
                           d_spot=h * dS, d_vol=h * dvol, dt=h * dt, actual_pnl=qty * (p_small - p0))
    assert abs(small["residual"]) < 0.02 * h * scale


def test_linear_explain_has_no_residual():
    parts = explain_greeks(delta=np.array([100.0, -50.0]), gamma=0.0, vega=0.0, theta=0.0, d_spot=np.array([1.5, 2]),
                           d_vol=0.0, dt=0.0, actual_pnl=np.array([150.0, -100.0]))
    np.testing.assert_allclose(parts["residual"], 0.0)


def _fills(n, rng):
    f = np.zeros(n, dtype=FILL_DT)
    f["fill_id"] = np.arange(n)
    f["ts"] = 20_000 * NS_PER_DAY + rng.integers(14 * 3600, 21 * 3600, n) * 10**9
    f["book"] = rng.integers(0, 3, n)
    f["instrument"] = rng.integers(0, 2, n)
    f["counterparty"] = rng.integers(0, 4, n)
    f["side"] = rng.choice([-1, 1], n)
    f["qty"] = rng.integers(1, 1000, n)
    f["price"] = np.round(rng.uniform(10, 500, n), 2)
    f["fee"] = np.round(rng.uniform(0, 5, n), 2)
    return f


@pytest.mark.parametrize("kind", list(FaultKind)[:-1])
def test_each_fault_changes_exactly_what_it_says(kind):
    rng = np.random.default_rng(0)
    fills = _fills(400, rng)
    name = kind.name.lower().replace("missing_trade", "missing_trade")
    cfg = FaultConfig(**{name: 0.2})
    fx = np.full(400, 1.1)
    bookings, faults = book_trades(fills, fx, cfg, np.random.default_rng(1), as_of=20_000, n_books=3,
                                   cutoff_ts=20_000 * NS_PER_DAY + 22 * 3600 * 10**9, tick_size=np.full(2, 0.01),
                                   minor_scale=np.full(2, 100.0), instrument_ccy=np.array([0, 1]))
    assert 40 < len(faults) < 130 and (faults["kind"] == kind).all()
    hit = np.isin(fills["fill_id"], faults["fill_id"])
    fields = ("book", "qty", "price", "fee", "fx_rate", "ts_booked")
    changed = {FaultKind.WRONG_BOOK: "book", FaultKind.QTY_KEYED_WRONG: "qty", FaultKind.PRICE_KEYED_WRONG: "price",
               FaultKind.FEE_MISMATCH: "fee", FaultKind.WRONG_FX_RATE: "fx_rate", FaultKind.LATE_BOOKING: "ts_booked"}
    count = np.bincount(bookings["fill_id"], minlength=400)
    if kind == FaultKind.MISSING_TRADE:
        assert (count[hit] == 0).all() and (count[~hit] == 1).all()
        return
    if kind == FaultKind.DUPLICATE_BOOKING:
        assert (count[hit] == 2).all() and (count[~hit] == 1).all()
        return
    assert (count == 1).all()
    true = {"fx_rate": fx, "ts_booked": fills["ts"], **{f: fills[f] for f in fields if f in fills.dtype.names}}
    for f in fields:
        differs = bookings[f] != true[f]
        if f == changed[kind]:
            np.testing.assert_array_equal(differs, hit)
        else:
            assert not differs.any(), f
    if kind == FaultKind.LATE_BOOKING:
        assert (bookings["ts_booked"][hit] > 20_000 * NS_PER_DAY + 22 * 3600 * 10**9).all()


def test_statement_errors_make_lines_inconsistent():
    st_ = np.zeros(200, dtype=STATEMENT_DT)
    st_["account_kind"] = np.where(np.arange(200) < 100, AccountKind.CUSTODY, AccountKind.NOSTRO)
    st_["opening"] = np.arange(200)
    st_["movements"] = 5
    st_["closing"] = st_["opening"] + 5
    faults = corrupt_statements(st_, 0.3, np.random.default_rng(3))
    bad = st_["closing"] != st_["opening"] + st_["movements"]
    assert bad.sum() == len(faults) > 20
    np.testing.assert_array_equal(faults["injected_value"], st_["closing"][bad])


def test_net_cash_posts_one_cash_leg_per_counterparty_and_balances():
    ins = np.zeros(6, dtype=SETTLEMENT_DT)
    ins["instruction_id"] = np.arange(6)
    ins["counterparty"] = [0, 0, 0, 1, 1, 0]
    ins["instrument"] = [0, 1, 0, 0, 1, 1]
    ins["side"] = [1, -1, 1, -1, 1, 1]
    ins["qty"] = [10, 20, 30, 40, 50, 60]
    ins["cash_amount"] = ins["side"] * ins["qty"] * 1000
    ins["settle_date"] = 5
    obl, _ = net_obligations(ins, "net_cash")
    ev = settle_day(obl, 5, fail_rate=np.zeros(6), cause_weights=np.array([1.0, 0, 0]), partial_settlement=False,
                    partial_share=0.0, unmatched=np.zeros(6, bool), penalty_bps=np.zeros(6), close_price=np.ones(6),
                    minor_scale=np.full(6, 100.0), draws=np.zeros((6, 4)))
    led = post_settlements(ev, obl, np.arange(6), net_cash=True, as_of=5, first_txn_id=0, first_posting_id=0)
    nostro = led[led["account_kind"] == AccountKind.NOSTRO]
    assert sorted(nostro["amount"].tolist()) == sorted([(10 - 20 + 30 + 60) * 1000, (-40 + 50) * 1000])
    assert len(np.unique(led["txn_id"])) == 2
    for t in np.unique(led["txn_id"]):
        x = led[led["txn_id"] == t]
        for cash in (True, False):
            for a in np.unique(x["asset"]):
                assert x["amount"][(x["asset_is_cash"] == cash) & (x["asset"] == a)].sum() == 0
    gross = post_settlements(ev, obl, np.arange(6), net_cash=False, as_of=5, first_txn_id=0, first_posting_id=0)
    assert len(np.unique(gross["txn_id"])) == 6 and len(gross) == 24
