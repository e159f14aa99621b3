"""Money is qty x price x multiplier everywhere, fees are money already, and the collar's boundary.

Hand-computed references: an option of multiplier 100 is worth 100x its quoted price in the
pre-trade notional and client credit checks and in the venue's fee; fees are never scaled
by the multiplier again in the P&L, risk or drawdown; the P&L change of each day with options
equals that day's explain (less settlement penalties, which only the back office charges).
"""

import numpy as np
import pandas as pd
import pytest

import tradeflow
from tests.conftest import small_config
from tradeflow import RiskEngine
from tradeflow.config import PreTradeConfig
from tradeflow.schema import RejectReason

OPTIONS = [{"symbol": "AAPL_C230", "underlying": "AAPL", "strike": 230.0, "expiry": "2026-12-18",
            "multiplier": 100.0},
           {"symbol": "SAP_P220", "underlying": "SAP", "strike": 220.0, "expiry": "2027-03-19", "kind": "put",
            "multiplier": 100.0, "volatility": 0.3}]


def _engine(**pretrade):
    inst = pd.DataFrame({"symbol": ["LIN", "OPT"], "currency": ["USD", "USD"], "multiplier": [1.0, 100.0]})
    return RiskEngine(inst, marks=[50.0, 50.0], scenarios=np.zeros((2, 10)), n_books=1, n_clients=2,
                      pretrade=PreTradeConfig(**pretrade))


def _order(sym, qty, limit, ref=50.0, client=0, ts=0):
    return pd.DataFrame({"ts": [ts], "book": [0], "instrument": [sym], "side": [1], "qty": [qty],
                         "ref_price": [ref], "limit_price": [limit], "client": [client]})


def test_pretrade_notional_uses_the_multiplier():
    # 10 contracts x 50 x 100 = 50,000 > 20,000 (the linear line is 500, far inside)
    eng = _engine(max_order_notional=20_000.0)
    assert eng.check_orders(_order("LIN", 10, 50.0))["reason"].iloc[0] == RejectReason.NONE.name
    out = eng.check_orders(_order("OPT", 10, 50.0, ts=1))
    assert out["reason"].iloc[0] == RejectReason.MAX_ORDER_NOTIONAL.name
    # 3 contracts: 15,000, inside
    assert eng.check_orders(_order("OPT", 3, 50.0, ts=2))["reason"].iloc[0] == RejectReason.NONE.name


def test_client_credit_uses_the_multiplier():
    eng = _engine(client_credit_limit=30_000.0, max_order_notional=1e9)
    assert eng.check_orders(_order("OPT", 5, 50.0, client=1))["reason"].iloc[0] == RejectReason.NONE.name  # 25,000
    # 2 more contracts are 10,000: 35,000 > 30,000
    out = eng.check_orders(_order("OPT", 2, 50.0, client=1, ts=1))
    assert out["reason"].iloc[0] == RejectReason.CREDIT_LIMIT.name


@pytest.mark.parametrize(("limit", "ref", "bps", "accepted"), [
    (105.0, 100.0, 500.0, True), (95.0, 100.0, 500.0, True), (1.05, 1.0, 500.0, True),
    (98.5, 100.0, 150.0, True), (7.0007, 7.0, 1.0, True), (105.01, 100.0, 500.0, False),
    (94.99, 100.0, 500.0, False), (1.0501, 1.0, 500.0, False)])
def test_an_order_exactly_at_the_collar_is_accepted(limit, ref, bps, accepted):
    eng = _engine(price_collar_bps=bps)
    reason = eng.check_orders(_order("LIN", 1, limit, ref=ref))["reason"].iloc[0]
    assert (reason == RejectReason.NONE.name) == accepted, reason
    if not accepted:
        assert reason == RejectReason.PRICE_COLLAR.name


@pytest.fixture(scope="module")
def option_run():
    return tradeflow.simulate(small_config(800, days=3, market={"options": OPTIONS}), seed=3)


def test_venue_fees_are_bps_of_qty_price_multiplier(option_run):
    r = option_run
    f = r.records["fills"]
    mult = r.instruments["multiplier"].to_numpy(np.float64)[f["instrument"]]
    assert (mult == 100.0).sum() > 10
    ex = r.config.execution
    money = f["qty"] * f["price"] * mult * 1e-4
    lo, hi = money * min(ex.maker_fee_bps, ex.taker_fee_bps), money * max(ex.maker_fee_bps, ex.taker_fee_bps)
    # rounded to the cent
    assert ((f["fee"] >= lo - 0.005 - 1e-9) & (f["fee"] <= hi + 0.005 + 1e-9)).all()
    opt = mult == 100.0
    assert (f["fee"][opt] > 0).any()


def test_pnl_change_of_an_options_day_equals_its_explain(option_run):
    r = option_run
    pnl = pd.DataFrame(r.records["pnl"])
    ex = pd.DataFrame(r.records["explain"])
    day = pnl["ts"] // 86_400_000_000_000
    close = pnl.groupby([day, "book"])["total_pnl"].last().unstack()
    change = close.diff().fillna(close)
    explain = ex.pivot(index="trade_date", columns="book", values="total_pnl")
    penalties = ex.pivot(index="trade_date", columns="book", values="penalties")
    assert np.array_equal(change.index.to_numpy(), explain.index.to_numpy())
    np.testing.assert_allclose(change.to_numpy(), (explain - penalties).to_numpy(), rtol=0, atol=1e-5)
    # fees in the P&L are the fills' fees (money), at FX 1 for USD books of USD instruments
    fees = pnl.groupby("book")["fees"].last()
    f = r.records["fills"]
    ccy = r.instruments["currency_id"].to_numpy()[f["instrument"]]
    fx_close = r.market.fx[:, -1]
    by_book = np.bincount(f["book"], weights=f["fee"] * fx_close[ccy], minlength=len(fees))
    np.testing.assert_allclose(fees.to_numpy(), by_book, rtol=1e-9, atol=1e-6)


def test_risk_and_drawdown_carry_fees_once(option_run):
    r = option_run
    risk = pd.DataFrame(r.records["risk"])
    pnl = pd.DataFrame(r.records["pnl"])
    books = risk[risk["book"] >= 0].reset_index(drop=True)
    np.testing.assert_allclose(books["total_pnl"].to_numpy(), pnl["total_pnl"].to_numpy(), rtol=0, atol=1e-6)
