"""End-to-end invariants of a desk-day, over seeds and small configs."""

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

import tradeflow
from tests.conftest import small_config
from tradeflow.back import trial_balance
from tradeflow.market import SettlementCalendar
from tradeflow.schema import OrderStatus

configs = st.builds(
    lambda orders, books, mkt, max_pos, fee, days: small_config(
        orders, flow={"n_books": books, "n_traders": max(books, 4), "market_order_share": mkt},
        pretrade={"max_position_qty": max_pos}, execution={"taker_fee_bps": fee}, days=days),
    orders=st.integers(1, 3_000), books=st.integers(1, 5), mkt=st.floats(0.0, 1.0),
    max_pos=st.integers(100, 50_000), fee=st.sampled_from([0.0, 0.3, 2.5]), days=st.integers(1, 3),
)


def check_invariants(r):
    rec = r.records
    orders, fills, ledger, settlements = rec["orders"], rec["fills"], rec["ledger"], rec["settlements"]
    # every order ends in a terminal status; only filled orders have fills, each exactly one
    assert np.isin(orders["status"], [int(s) for s in OrderStatus.terminal()]).all()
    filled_qty = np.zeros(len(orders), np.int64)
    np.add.at(filled_qty, fills["order_id"], fills["qty"])
    np.testing.assert_array_equal(filled_qty, orders["filled_qty"])
    assert (orders["filled_qty"][orders["status"] == OrderStatus.FILLED] == orders["qty"][
        orders["status"] == OrderStatus.FILLED]).all()
    assert (orders["filled_qty"][orders["status"] == OrderStatus.REJECTED] == 0).all()
    # no order fills beyond its quantity; limit orders never fill through their limit
    np.testing.assert_array_equal(orders["order_id"], np.arange(len(orders)))
    assert (filled_qty <= orders["qty"]).all()
    o = orders[fills["order_id"]]
    lim = o["order_type"] == 1
    assert (fills["side"][lim] * (fills["price"][lim] - o["limit_price"][lim]) <= 1e-12).all()
    # position = signed sum of fills, per book x instrument
    df = pd.DataFrame({"book": fills["book"], "instrument": fills["instrument"],
                       "q": fills["side"].astype(np.int64) * fills["qty"]})
    expected = df.groupby(["book", "instrument"])["q"].sum()
    pos = rec["positions"]
    assert (pos["trade_date"] == int(r.trade_dates[-1].astype(np.int64))).all()
    got = pd.Series(pos["qty"], index=pd.MultiIndex.from_arrays([pos["book"], pos["instrument"]]))
    for key, q in expected.items():
        assert got[key] == q
    assert got.drop(expected.index, errors="ignore").eq(0).all()
    # every ledger transaction balances per asset; and so does the whole ledger
    per_txn = pd.DataFrame({k: ledger[k] for k in ("txn_id", "asset_is_cash", "asset", "amount")}) \
        .groupby(["txn_id", "asset_is_cash", "asset"])["amount"].sum()
    assert (per_txn == 0).all()
    assert (trial_balance(ledger)["amount"] == 0).all()
    # every fill has exactly one settlement instruction and its ledger transaction
    assert np.array_equal(np.sort(settlements["fill_id"]), np.sort(fills["fill_id"]))
    trade_txns = ledger[ledger["txn_type"] == 0]
    assert np.array_equal(np.unique(trade_txns["fill_id"]), np.sort(fills["fill_id"]))
    # settlement dates are business days after the trade date; due ones have settled, or failed (in part)
    # and are aged; without fails (zero fail rates, a clean street) every due one has settled
    assert (settlements["settle_date"] > settlements["trade_date"]).all()
    last = int(r.trade_dates[-1].astype(np.int64))
    due = settlements["settle_date"] <= last
    assert (settlements["status"][~due] == 0).all()
    unsettled = due & (settlements["status"] != 1)
    # (4: bought in after the CSDR extension period, a terminal outcome of a fail)
    assert np.isin(settlements["status"][unsettled], [2, 3, 4]).all()
    assert (settlements["fail_days"][unsettled] > 0).all()
    if r.config.settlement.default_fail_rate == 0 and not any(r.config.settlement.fail_rates.values()):
        np.testing.assert_array_equal(settlements["status"] == 1, due)
    cal = SettlementCalendar(r.market.currencies, extra=r.config.market.holidays)
    for cid, ccy in enumerate(r.market.currencies):
        days = settlements["settle_date"][settlements["currency"] == cid].astype("datetime64[D]")
        assert cal.is_business_day(days, [ccy]).all()
    # front-office P&L equals back-office P&L to the cent: no breaks at all on a clean run
    assert len(rec["breaks"]) == 0, r.breaks
    # one risk row per book and one for the desk at every P&L snapshot; limit events are numbered in order
    n_books = r.config.flow.n_books
    assert len(rec["risk"]) == len(rec["pnl"]) // n_books * (n_books + 1)
    np.testing.assert_array_equal(rec["breaches"]["breach_id"], np.arange(len(rec["breaches"])))
    br = rec["breaches"]
    assert (br["value"][br["level"] == 2] >= br["threshold"][br["level"] == 2]).all()
    # a book only trades reducing-only after a breach switched it
    ro = orders[orders["reject_reason"] == 11]
    acted = br[br["action"] >= 1]
    for o in ro:
        assert ((acted["ts"] <= o["ts"]) & ((acted["book"] == o["book"]) | (acted["book"] == -1))).any()


@given(cfg=configs, seed=st.integers(0, 2**31 - 1))
def test_desk_day_invariants(cfg, seed):
    check_invariants(tradeflow.simulate(cfg, seed=seed))


@given(seed=st.integers(0, 2**31 - 1), days=st.integers(1, 3))
def test_invariants_without_fails(seed, days):
    check_invariants(tradeflow.simulate(small_config(
        800, days=days, settlement={"fail_rates": {}, "default_fail_rate": 0.0}), seed=seed))


def test_default_day_invariants(default_run):
    check_invariants(default_run)
    assert 90_000 < len(default_run.records["orders"]) < 110_000


def test_back_office_pnl_matches_front_office_to_the_cent(default_run):
    r = default_run
    fo = r.positions.groupby("currency", observed=True)["total_pnl"].sum()
    led = r.ledger
    cash = led[led["account"].str.startswith("CASH:")].groupby("asset", observed=True)["amount"].sum()
    marks = r.market.mid[:, -1]
    pos = r.positions
    mv = (pos["qty"] * marks[r.instruments.set_index("symbol").loc[pos["instrument"].astype(str),
                                                                 "instrument"].to_numpy()])
    bo = (cash / 100.0).add(mv.groupby(pos["currency"].to_numpy()).sum(), fill_value=0)
    for ccy in fo.index:
        assert abs(fo[ccy] - bo[ccy]) < 0.005


def test_same_seed_same_frames_different_seed_different_fills():
    cfg = small_config(2_000)
    a, b, c = tradeflow.simulate(cfg, seed=5), tradeflow.simulate(cfg, seed=5), tradeflow.simulate(cfg, seed=6)
    for name in ("orders", "fills", "positions", "pnl", "settlements", "ledger", "breaks"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.fills[["ts", "price", "qty"]].equals(c.fills[["ts", "price", "qty"]])


def test_streams_are_independent_per_component():
    """Changing the fee (execution settings) must not move the market or the flow."""
    a = tradeflow.simulate(small_config(1_000), seed=3)
    b = tradeflow.simulate(small_config(1_000, execution={"taker_fee_bps": 9.0}), seed=3)
    np.testing.assert_array_equal(a.market.mid, b.market.mid)
    np.testing.assert_array_equal(a.records["orders"]["qty"], b.records["orders"]["qty"])
    assert not np.array_equal(a.records["fills"]["fee"], b.records["fills"]["fee"])


def test_rejects_carry_reasons_and_are_counted(small_run):
    orders = small_run.orders
    rejected = orders[orders["status"] == "REJECTED"]
    assert len(rejected) > 0
    assert (rejected["reject_reason"] != "NONE").all()
    assert (orders.loc[orders["status"] != "REJECTED", "reject_reason"] == "NONE").all()
    counts = small_run.summary_tables()["rejects_by_reason"]
    assert counts.sum() == len(rejected)
    assert counts.to_dict() == rejected["reject_reason"].value_counts()[lambda s: s > 0].to_dict()


def test_seed_validation():
    import pytest
    with pytest.raises(ValueError, match="'seed'"):
        tradeflow.simulate(small_config(10), seed=-1)
