"""Lack-of-securities fails caused by custody (holding + borrow), receipts settling before deliveries."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tradeflow
from tests.back.test_run_properties import check_conservation, check_status_history
from tests.back.test_settlement import _reference_settle
from tests.conftest import small_config
from tradeflow.back import net_obligations, settle_day
from tradeflow.back.settlement import N_SETTLEMENT_DRAWS
from tradeflow.config import SettlementConfig
from tradeflow.schema import OBLIGATION_DT, SETTLEMENT_DT, FailReason, SettlementStatus

LACK = FailReason.LACK_OF_SECURITIES


def _settle(obl, as_of, *, holdings, borrow, rate=0.0, weights=(0.6, 0.25, 0.15), partial=True, share=0.5, u=None):
    n = len(obl)
    return settle_day(obl, as_of, fail_rate=np.full(n, rate), cause_weights=np.array(weights),
                      partial_settlement=partial, partial_share=share, unmatched=np.zeros(n, bool),
                      penalty_bps=np.ones(n), close_price=np.full(n, 10.0), minor_scale=np.full(n, 100.0),
                      draws=np.zeros((n, N_SETTLEMENT_DRAWS)) if u is None else u, holdings=holdings, borrow=borrow)


@st.composite
def custody_days(draw):
    n = draw(st.integers(1, 30))
    obl = np.zeros(n, dtype=OBLIGATION_DT)
    obl["obligation_id"] = np.arange(n)
    obl["book"] = draw(hnp.arrays(np.int32, n, elements=st.integers(0, 1)))
    obl["instrument"] = draw(hnp.arrays(np.int32, n, elements=st.integers(0, 2)))
    obl["settle_date"] = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 2)))
    obl["qty"] = draw(hnp.arrays(np.int64, n, elements=st.integers(-300, 300)))
    obl["cash"] = obl["qty"] * draw(st.integers(1, 5_000))
    obl["status"] = draw(hnp.arrays(np.int8, n, elements=st.sampled_from([0, 3])))
    obl["settled_date"] = -1
    holdings = draw(hnp.arrays(np.int64, (2, 3), elements=st.integers(-100, 400)))
    borrow = draw(hnp.arrays(np.int64, 3, elements=st.sampled_from([-1, 0, 50, 200])))
    holdings = np.maximum(holdings, -np.where(borrow < 0, 100, borrow)[None, :])  # never beyond borrow already
    return obl, holdings, borrow


@given(day=custody_days(), rate=st.floats(0, 1), partial=st.booleans(), share=st.floats(0, 1),
       seed=st.integers(0, 2**32 - 1))
def test_settle_day_with_custody_matches_the_reference(day, rate, partial, share, seed):
    obl, holdings, borrow = day
    rng = np.random.default_rng(seed)
    n = len(obl)
    u = rng.random((n, N_SETTLEMENT_DRAWS))
    weights = np.array([0.5, 0.3, 0.2])
    before, start = obl.copy(), holdings.copy()
    held = {(b, i): int(holdings[b, i]) for b in range(2) for i in range(3)}
    expected = _reference_settle(before, 1, np.full(n, rate), weights, partial, share, np.zeros(n, bool), np.ones(n),
                                 np.full(n, 10.0), np.full(n, 100.0), u, holding=held, borrow=borrow)
    ev = settle_day(obl, 1, fail_rate=np.full(n, rate), cause_weights=weights, partial_settlement=partial,
                    partial_share=share, unmatched=np.zeros(n, bool), penalty_bps=np.ones(n),
                    close_price=np.full(n, 10.0), minor_scale=np.full(n, 100.0), draws=u, holdings=holdings,
                    borrow=borrow)
    got = list(zip(ev["obligation_id"].tolist(), ev["status"].tolist(), ev["fail_reason"].tolist(),
                   ev["qty_settled"].tolist(), ev["cash_settled"].tolist(), ev["penalty"].tolist(), strict=True))
    assert got == expected
    np.testing.assert_array_equal(holdings, np.array([[held[(b, i)] for i in range(3)] for b in range(2)]))
    # custody moved by exactly what settled
    moved = np.zeros_like(start)
    o = before[ev["obligation_id"]]
    np.add.at(moved, (o["book"], o["instrument"]), ev["qty_settled"])
    np.testing.assert_array_equal(holdings, start + moved)
    # a delivery never settles more than holding + borrowable: receipts come first and deliveries only take,
    # so custody never ends below what can be borrowed (unless it started there)
    lend = np.where(borrow < 0, np.iinfo(np.int64).max // 4, borrow)[None, :]
    assert (holdings >= np.minimum(start, -lend)).all()
    # the book's delivery fails for lack of securities only when custody + borrow cannot cover it
    delivering = (ev["qty_open"] + ev["qty_settled"] < 0) & (ev["fail_reason"] == LACK)
    if delivering.any():
        oo = o[delivering]
        assert (borrow[oo["instrument"]] >= 0).all()
        short = holdings[oo["book"], oo["instrument"]] + borrow[oo["instrument"]]
        assert (short < -(ev["qty_open"] + ev["qty_settled"])[delivering]).all()


def test_a_short_sale_beyond_borrow_fails_for_lack_of_securities():
    obl = np.zeros(3, dtype=OBLIGATION_DT)
    obl["obligation_id"] = [0, 1, 2]
    obl["instrument"] = [0, 0, 1]
    obl["qty"] = [-200, 60, -10]  # deliver 200 of instrument 0; receive 60 of it; deliver 10 of instrument 1
    obl["cash"] = [-20_000, 6_000, -1_000]
    obl["settled_date"] = -1
    # holds 40, receives 60 first (= 100), can borrow 50: 150 of 200 settle, 50 fail for lack of securities
    holdings = np.array([[40, 10]], np.int64)
    ev = _settle(obl, 0, holdings=holdings, borrow=np.array([50, 0]))
    assert ev["status"].tolist() == [SettlementStatus.PARTIALLY_SETTLED, SettlementStatus.SETTLED,
                                     SettlementStatus.SETTLED]
    assert ev["fail_reason"].tolist() == [LACK, 0, 0]
    assert ev["qty_settled"].tolist() == [-150, 60, -10] and ev["qty_open"].tolist() == [-50, 0, 0]
    assert ev["cash_settled"][0] == -20_000 * 150 // 200
    assert holdings.tolist() == [[-50, 0]]
    # the penalty is the deliverer's (the book's): 1 bp of 50 x 10.00
    assert ev["penalty"][0] == round(50 * 10.0 * 1e-4 * 100)
    # without partial settlement the whole delivery fails; the next day nothing more can be borrowed
    obl2 = obl.copy()
    obl2["status"], obl2["settled_qty"], obl2["settled_cash"] = 0, 0, 0
    h2 = np.array([[40, 10]], np.int64)
    ev2 = _settle(obl2, 0, holdings=h2, borrow=np.array([50, 0]), partial=False)
    assert ev2["status"][0] == SettlementStatus.FAILED and ev2["fail_reason"][0] == LACK and ev2["qty_settled"][0] == 0
    assert h2.tolist() == [[100, 0]]
    ev3 = _settle(obl, 1, holdings=holdings, borrow=np.array([50, 0]))
    assert ev3["status"].tolist() == [SettlementStatus.FAILED] and ev3["fail_reason"].tolist() == [LACK]
    # once securities arrive the recycled delivery settles
    holdings[0, 0] += 50
    ev4 = _settle(obl, 2, holdings=holdings, borrow=np.array([50, 0]))
    assert ev4["status"].tolist() == [SettlementStatus.SETTLED] and obl["settled_qty"][0] == -200


def test_a_failed_receipt_chains_into_a_failed_delivery():
    # bought 100 from counterparty 0, sold them on to counterparty 1: counterparty 0 fails (on hold), so the book
    # cannot deliver to counterparty 1 -- a fail chain, its cause the book's missing securities
    obl = np.zeros(2, dtype=OBLIGATION_DT)
    obl["obligation_id"], obl["counterparty"] = [0, 1], [0, 1]
    obl["qty"], obl["cash"], obl["settled_date"] = [100, -100], [1_000, -1_000], -1
    u = np.zeros((2, N_SETTLEMENT_DRAWS))
    u[1, 0] = 0.9  # the fail draw hits the receipt only
    ev = _settle(obl, 0, holdings=np.zeros((1, 1), np.int64), borrow=np.array([0]), rate=0.5,
                 weights=(0.0, 1.0, 0.0), u=u)
    assert ev["fail_reason"].tolist() == [FailReason.ON_HOLD, LACK]
    # with unlimited borrow the delivery settles (borrowed)
    obl["status"], obl["fail_days"] = 0, 0
    ev = _settle(obl, 0, holdings=np.zeros((1, 1), np.int64), borrow=np.array([-1]), rate=0.5,
                 weights=(0.0, 1.0, 0.0), u=u)
    assert ev["status"].tolist() == [SettlementStatus.FAILED, SettlementStatus.SETTLED]


def test_a_drawn_lack_of_securities_never_hits_the_books_own_delivery():
    obl = np.zeros(2, dtype=OBLIGATION_DT)
    obl["obligation_id"], obl["qty"], obl["cash"], obl["settled_date"] = [0, 1], [50, -50], [500, -500], -1
    ev = _settle(obl, 0, holdings=np.zeros((1, 1), np.int64), borrow=np.array([-1]), rate=1.0, weights=(1, 0, 0),
                 share=0.0)
    # the receipt: the counterparty lacks the securities; the delivery: the book has enough (borrowed), it settles
    assert ev["fail_reason"].tolist() == [LACK, 0]
    assert ev["status"].tolist() == [SettlementStatus.FAILED, SettlementStatus.SETTLED]


def test_settle_day_validates_holdings_and_borrow():
    obl = np.zeros(2, dtype=OBLIGATION_DT)
    obl["book"] = [0, 3]
    with pytest.raises(ValueError, match="'obligations'.*outside 'holdings'"):
        _settle(obl, 0, holdings=np.zeros((2, 1), np.int64), borrow=np.array([0]))
    with pytest.raises(ValueError, match="'holdings'"):
        _settle(obl, 0, holdings=np.zeros((4, 1)), borrow=np.array([0]))
    with pytest.raises(ValueError, match="'borrow'"):
        _settle(obl, 0, holdings=np.zeros((4, 1), np.int64), borrow=np.array([0, 1]))


def _long_only_days(rng, n_days, lag, model):
    """Trades of two books in two instruments that only ever sell what the book holds (trade date)."""
    held = np.zeros((2, 2), np.int64)
    days = []
    for d in range(n_days):
        ins = np.zeros(12, dtype=SETTLEMENT_DT)
        for j in range(12):
            b, i = rng.integers(0, 2), rng.integers(0, 2)
            sell = held[b, i] > 0 and rng.random() < 0.5
            q = int(rng.integers(1, held[b, i] + 1)) if sell else int(rng.integers(1, 100))
            side = -1 if sell else 1
            held[b, i] += side * q
            for f, v in (("instruction_id", j), ("fill_id", j), ("book", b), ("instrument", i),
                         ("counterparty", rng.integers(0, 3)), ("side", side), ("trade_date", d),
                         ("settle_date", d + lag[i]), ("qty", q), ("cash_amount", side * q * 1000)):
                ins[f][j] = v
        days.append(net_obligations(ins, model)[0])
    return days


@settings(max_examples=15)
@given(seed=st.integers(0, 2**32 - 1), model=st.sampled_from(["gross", "net_all"]), partial=st.booleans(),
       lag_eu=st.integers(1, 2))
def test_books_that_only_sell_what_they_hold_never_lack_securities(seed, model, partial, lag_eu):
    rng = np.random.default_rng(seed)
    days = _long_only_days(rng, 5, np.array([1, lag_eu]), model)
    holdings = np.zeros((2, 2), np.int64)
    obl = np.zeros(0, dtype=OBLIGATION_DT)
    for d, new in enumerate(days):
        new["obligation_id"] = len(obl) + np.arange(len(new))
        obl = np.concatenate([obl, new])
        ev = _settle(obl, d, holdings=holdings, borrow=np.zeros(2, np.int64), partial=partial)
        # no counterparty fails, no borrowing: every due delivery settles from custody
        assert (ev["fail_reason"] == FailReason.NONE).all()
        assert (holdings >= 0).all()
    # and a book that sells one unit more than it holds fails for lack of securities
    assert (_settle(obl, 9, holdings=holdings, borrow=np.zeros(2, np.int64))["fail_reason"] == 0).all()
    extra = obl[-1:].copy()
    extra["obligation_id"], extra["settle_date"], extra["status"] = len(obl), 10, 0
    extra["qty"], extra["cash"], extra["settled_qty"], extra["settled_cash"] = -(holdings[extra["book"][0],
                                                                                      extra["instrument"][0]] + 1), \
        -1, 0, 0
    ev = _settle(np.concatenate([obl, extra]), 10, holdings=holdings, borrow=np.zeros(2, np.int64), partial=False)
    assert ev["fail_reason"][-1] == LACK


def _custody_replay(r):
    """End-of-day custody per (day, book, instrument) from the settlement history."""
    ev, ob = r.records["settlement_events"], r.records["obligations"]
    o = ob[ev["obligation_id"]]
    df = pd.DataFrame({"d": ev["as_of"], "b": o["book"], "i": o["instrument"], "q": ev["qty_settled"]})
    moved = df.groupby(["b", "i", "d"])["q"].sum()
    return moved.groupby(level=[0, 1]).cumsum()


@pytest.mark.parametrize("partial", [True, False])
def test_a_run_without_borrow_fails_short_sales_for_lack_of_securities(partial):
    cfg = small_config(1_000, days=4, settlement={"borrow_availability": 0, "borrow_availability_by_symbol":
                                                  {"AAPL": 500}, "default_fail_rate": 0.0, "fail_rates": {},
                                                  "partial_settlement": partial})
    r = tradeflow.simulate(cfg, seed=2)
    ev, ob = r.records["settlement_events"], r.records["obligations"]
    o = ob[ev["obligation_id"]]
    lack = ev["fail_reason"] == LACK
    assert lack.any()
    open_before = ev["qty_open"] + ev["qty_settled"]
    assert (open_before[lack] < 0).all()  # only the book's own deliveries lack securities here
    # custody never goes beyond what can be borrowed
    borrow = cfg.settlement.borrow_units(list(r.instruments["symbol"]))
    end = _custody_replay(r)
    i = end.index.get_level_values(1).to_numpy()
    assert (end.to_numpy() >= -borrow[i]).all()
    # each fail for lack of securities was short at its attempt: custody + borrow at the end of that day
    # (deliveries only take after the receipts) is less than what it had to deliver
    key = pd.MultiIndex.from_arrays([o["book"][lack], o["instrument"][lack], ev["as_of"][lack]])
    end_then = end.reindex(key).fillna(0).to_numpy()  # no movement that day and none before: zero
    assert (end_then + borrow[o["instrument"][lack]] < -open_before[lack]).all()
    if partial:
        assert (ev["status"][lack] == SettlementStatus.PARTIALLY_SETTLED).any()
    else:
        assert (ev["status"][lack] == SettlementStatus.FAILED).all()
    assert len(r.records["breaks"]) == 0
    check_conservation(r)
    check_status_history(r)


def test_default_runs_borrow_freely_and_keep_the_street_fails():
    r = tradeflow.simulate(small_config(1_000, days=3), seed=5)
    ev = r.records["settlement_events"]
    lack = ev["fail_reason"] == LACK
    # unlimited borrow: only counterparties (receipts) lack securities
    assert ((ev["qty_open"] + ev["qty_settled"])[lack] > 0).all()
    assert SettlementConfig().borrow_units(["A", "B"]).tolist() == [-1, -1]
    assert SettlementConfig(borrow_availability=7, borrow_availability_by_symbol={"B": 0}).borrow_units(
        ["A", "B"]).tolist() == [7, 0]


@pytest.mark.parametrize("bad", [{"borrow_availability": -1}, {"borrow_availability": 1.5},
                                 {"borrow_availability_by_symbol": {"AAPL": -3}}])
def test_borrow_config_is_validated(bad):
    name = next(iter(bad))
    with pytest.raises(ValueError, match=name):
        SettlementConfig(**bad)


def test_borrow_by_symbol_must_name_an_instrument():
    with pytest.raises(ValueError, match="borrow_availability_by_symbol.*'NOPE'"):
        small_config(10, settlement={"borrow_availability_by_symbol": {"NOPE": 1}})
