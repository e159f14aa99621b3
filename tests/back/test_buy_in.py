"""CSDR mandatory buy-in: a delivery still failed after the extension period is bought in, the failing side
pays the price difference, the ledger balances and the obligation ends BOUGHT_IN."""

import numpy as np
import pandas as pd
import pytest

import tradeflow
from tests.back.test_run_properties import check_conservation, check_status_history
from tests.conftest import small_config
from tradeflow.back import _settle_kernels, book_fills, settle_day, trial_balance
from tradeflow.back import nb as bk
from tradeflow.back.ledger import post_buy_ins, post_settlements
from tradeflow.config import SettlementConfig
from tradeflow.schema import FILL_DT, OBLIGATION_DT, AccountKind, SettlementStatus, TxnType


def _one(side, qty, price):
    f = np.zeros(1, dtype=FILL_DT)
    f["side"], f["qty"], f["price"], f["fee"], f["book"], f["counterparty"] = side, qty, price, 1.25, 0, 3
    ob = np.zeros(1, dtype=OBLIGATION_DT)
    ob["counterparty"], ob["qty"] = 3, side * qty
    ob["cash"] = side * round(qty * price * 100)
    ob["settle_date"], ob["settled_date"] = 10, -1
    return f, ob


def _run_days(ob, days, *, after=2, close=101.0, premium_bps=50.0, u0=0.0):
    evs = []
    for d in days:
        evs.append(settle_day(ob, d, fail_rate=np.ones(1), cause_weights=np.array([0.0, 1.0, 0.0]),
                              partial_settlement=True, partial_share=0.0, unmatched=np.zeros(1, bool),
                              penalty_bps=np.ones(1), close_price=np.array([close]), minor_scale=np.array([100.0]),
                              draws=np.full((1, 4), u0), holdings=np.zeros((1, 1), np.int64),
                              borrow=np.array([-1]), buy_in_after=np.array([after]),
                              buy_in_price=np.array([close * (1 + premium_bps * 1e-4)])))
    return evs


def _ledger(f, ob, evs):
    led = [book_fills(f, np.zeros(1, int), np.full(1, 100.0), value_date=9)]
    for d, ev in zip(range(10, 10 + len(evs)), evs, strict=True):
        led.append(post_settlements(ev, ob, np.zeros(1, np.int64), net_cash=False, as_of=d, first_txn_id=1 + d,
                                    first_posting_id=0))
        led.append(post_buy_ins(ev, ob, np.zeros(1, np.int64), as_of=d, first_txn_id=100 + d, first_posting_id=0))
    return np.concatenate(led)


def _balance(led, kind, cash):
    m = (led["account_kind"] == kind) & (led["asset_is_cash"] == cash)
    return int(led["amount"][m].sum())


def test_the_failing_book_pays_the_price_difference():
    # the book sold 100 at 100.00 and never delivers; after the extension (2 days failed) the buyer buys in at
    # 101.00 + 50 bp = 101.505: the book pays 100 x 1.505 = 150.50 EUR
    f, ob = _one(-1, 100, 100.0)
    evs = _run_days(ob, [10, 11, 12])
    assert [int(e["status"][0]) for e in evs] == [SettlementStatus.FAILED, SettlementStatus.FAILED,
                                                   SettlementStatus.BOUGHT_IN]
    last = evs[-1][0]
    assert last["buy_in_compensation"] == 15_050 and last["buy_in_cost"] == 0
    assert last["qty_settled"] == 0 and last["cash_settled"] == 0 and last["penalty"] == 0
    assert ob["status"][0] == SettlementStatus.BOUGHT_IN and ob["settled_date"][0] == 12
    assert ob["buy_in_compensation"][0] == 15_050 and ob["fail_days"][0] == 2
    # penalties before the buy-in: 1 bp of 100 x 101.00 a day, paid by the book
    assert [int(e["penalty"][0]) for e in evs[:2]] == [101, 101]
    # bought in: never attempted again
    assert len(_run_days(ob, [13])[0]) == 0
    led = _ledger(f, ob, evs)
    per_txn = pd.DataFrame({k: led[k] for k in ("txn_id", "asset_is_cash", "asset", "amount")}).groupby(
        ["txn_id", "asset_is_cash", "asset"])["amount"].sum()
    assert (per_txn == 0).all() and (trial_balance(led)["amount"] == 0).all()
    # the trade is closed: nothing due with the counterparty, no position, the book is down the difference + fee
    assert _balance(led, AccountKind.CPTY_SECURITIES, False) == 0 and _balance(led, AccountKind.CPTY_CASH, True) == 0
    assert _balance(led, AccountKind.SECURITIES, False) == 0
    assert _balance(led, AccountKind.CASH, True) == -15_050 - 125
    assert _balance(led, AccountKind.BUY_IN, True) == 15_050
    assert _balance(led, AccountKind.CUSTODY, False) == 0 and _balance(led, AccountKind.NOSTRO, True) == 0
    assert (led["txn_type"][led["account_kind"] == AccountKind.BUY_IN] == TxnType.BUY_IN).all()


@pytest.mark.parametrize("close,difference", [(101.0, 15_050), (98.0, 0)])
def test_the_book_buys_in_from_a_failing_counterparty(close, difference):
    # the book bought 100 at 100.00; the seller fails; the book buys in at close + 50 bp and the seller pays any
    # excess over the agreed 10,000.00 (a cheaper buy-in is not refunded: the book keeps the saving)
    f, ob = _one(1, 100, 100.0)
    evs = _run_days(ob, [10, 11, 12], close=close)
    last = evs[-1][0]
    cost = round(100 * close * 1.005 * 100)
    assert last["status"] == SettlementStatus.BOUGHT_IN
    assert (last["buy_in_cost"], last["buy_in_compensation"]) == (cost, -difference)
    assert (last["qty_settled"], last["cash_settled"]) == (100, cost)  # the agent delivers against the cost
    led = _ledger(f, ob, evs)
    assert (trial_balance(led)["amount"] == 0).all()
    assert _balance(led, AccountKind.CPTY_SECURITIES, False) == 0 and _balance(led, AccountKind.CPTY_CASH, True) == 0
    assert _balance(led, AccountKind.SECURITIES, False) == 100 and _balance(led, AccountKind.CUSTODY, False) == -100
    assert _balance(led, AccountKind.NOSTRO, True) == cost
    # the book paid the agreed price when the buy-in was dearer (the seller made up the rest), else the buy-in cost
    assert _balance(led, AccountKind.CASH, True) == -min(cost, 1_000_000) - 125
    assert _balance(led, AccountKind.BUY_IN, True) == -difference


def test_a_partial_delivery_is_bought_in_for_the_rest():
    f, ob = _one(-1, 100, 100.0)
    ob["settled_qty"], ob["settled_cash"], ob["status"], ob["fail_days"] = -40, -400_000, 2, 2
    ev = _run_days(ob, [12], close=100.0, premium_bps=0.0)[0]
    assert ev["status"][0] == SettlementStatus.BOUGHT_IN
    assert ev["buy_in_compensation"][0] == 0  # 60 bought in at 100.00: no difference


def test_buy_in_kernel_against_the_hand_rule():
    for open_q, open_c, px in ((-7, -700, 1.2), (7, 700, 1.2), (7, 700, 0.9), (-7, -700, 0.5)):
        value = round(abs(open_q) * px * 100)
        diff = max(value - abs(open_c), 0)
        got = _settle_kernels._buy_in_nb(open_q, open_c, px, 100.0)
        exp = (value, -diff, open_q, value) if open_q > 0 else (0, diff, 0, 0)
        assert tuple(int(x) for x in got) == exp


def test_runs_buy_in_after_the_extension_and_conserve():
    cfg = small_config(600, days=8, settlement={"fail_rates": {"EUR": 0.6, "USD": 0.3},
                                                "buy_in_currencies": ("EUR", "USD"),
                                                "buy_in_extension_days": {"equity": 3}})
    r = tradeflow.simulate(cfg, seed=4)
    ob, ev = r.records["obligations"], r.records["settlement_events"]
    bought = ob["status"] == SettlementStatus.BOUGHT_IN
    assert bought.sum() >= 3
    # bought in the day after the 3-day extension ran out, and not before
    assert (ob["fail_days"][bought] == 3).all()
    be = ev[ev["status"] == SettlementStatus.BOUGHT_IN]
    np.testing.assert_array_equal(np.sort(be["obligation_id"]), np.flatnonzero(bought))  # once each
    np.testing.assert_array_equal(ob["settled_date"][be["obligation_id"]], be["as_of"])
    assert (ev["fail_days"][np.isin(ev["status"], [2, 3])] <= 3).all()
    # no breaks; ledger, custody, nostro and the clearing accounts conserve; the history is complete
    assert len(r.records["breaks"]) == 0, r.breaks
    check_conservation(r)
    check_status_history(r)
    led = r.records["ledger"]
    assert led["amount"][led["account_kind"] == AccountKind.BUY_IN].sum() == ob["buy_in_compensation"].sum()
    assert "Mandatory buy-ins" in r.summary()
    assert r.summary_tables()["obligations_by_status"]["BOUGHT_IN"] == bought.sum()
    assert (r.settlements["status"].astype(str) == "BOUGHT_IN").sum() == bought[
        r.records["settlements"]["obligation_id"]].sum()
    # the price difference by hand from the day's close
    close_idx = np.searchsorted(r.market.times // 86_400_000_000_000, be["as_of"], side="right") - 1
    o = ob[be["obligation_id"]]
    unit = r.market.mid[o["instrument"], close_idx] * 1.005
    open_q = o["qty"] - (o["settled_qty"] - be["qty_settled"])
    open_c = o["cash"] - (o["settled_cash"] - be["cash_settled"])
    value = np.rint(np.abs(open_q) * unit * 100).astype(np.int64)
    diff = np.maximum(value - np.abs(open_c), 0)
    np.testing.assert_array_equal(be["buy_in_compensation"], np.where(open_q > 0, -diff, diff))


def test_no_buy_in_outside_the_buy_in_markets():
    cfg = small_config(400, days=7, settlement={"fail_rates": {"EUR": 0.6, "USD": 0.6}, "buy_in_currencies": ()})
    r = tradeflow.simulate(cfg, seed=1)
    assert not (r.records["obligations"]["status"] == SettlementStatus.BOUGHT_IN).any()
    assert (r.records["settlement_events"]["fail_days"] > 4).any()


@pytest.mark.parametrize("bad", [{"buy_in_extension_days": {"equity": -1}}, {"buy_in_premium_bps": -5.0},
                                 {"buy_in_premium_bps": "50"}])
def test_buy_in_config_is_validated(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        SettlementConfig(**bad)


def test_kernel_status_constant_matches_schema():
    assert bk.S_BOUGHT_IN == SettlementStatus.BOUGHT_IN
