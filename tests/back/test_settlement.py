"""The settlement run against a slow reference, netting against pandas, and penalties by hand."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tradeflow.back import net_obligations, settle_day
from tradeflow.back.settlement import N_SETTLEMENT_DRAWS
from tradeflow.schema import OBLIGATION_DT, SETTLEMENT_DT, FailReason, SettlementStatus


def _reference_settle(obl, as_of, rate, weights, partial_ok, share, unmatched, bps, close, scale, u, holding=None,
                      borrow=None):
    """One obligation at a time, the rules written out plainly: receipts first, then deliveries."""
    events = {}
    holding = {} if holding is None else holding
    open_ = [k for k in range(len(obl))
             if obl[k]["status"] != SettlementStatus.SETTLED and obl[k]["trade_date"] <= as_of]
    receipts = [k for k in open_ if obl[k]["qty"] - obl[k]["settled_qty"] > 0]
    for k in receipts + [k for k in open_ if k not in receipts]:
        o = obl[k]
        key = (int(o["book"]), int(o["instrument"]))
        open_q = int(o["qty"] - o["settled_qty"])
        open_c = int(o["cash"] - o["settled_cash"])
        q = c = pen = 0
        reason = FailReason.NONE
        cum = np.cumsum(weights)
        # a receipt's cause is any; a delivery's (or cash only) any but lack of securities, renormalised
        v = u[k, 1] if open_q > 0 else cum[0] + u[k, 1] * (1.0 - cum[0])
        cause = FailReason(1 + sum(v >= x for x in cum[:-1]))
        if o["settle_date"] > as_of:
            status = SettlementStatus.PENDING
        elif unmatched[k]:
            status, reason = SettlementStatus.FAILED, FailReason.LATE_MATCHING
        elif u[k, 0] < rate[k] and (open_q > 0 or cum[0] < 1.0):
            reason, status = cause, SettlementStatus.FAILED
            if reason == FailReason.LACK_OF_SECURITIES and partial_ok and u[k, 2] < share and abs(open_q) >= 2:
                q = 1 + int(np.floor(u[k, 3] * (abs(open_q) - 1)))  # the counterparty delivers part
                c = (open_c * q) // abs(open_q)
                status = SettlementStatus.PARTIALLY_SETTLED
        else:
            status, q, c = SettlementStatus.SETTLED, open_q, open_c
            lend = -1 if borrow is None else int(borrow[key[1]])
            available = holding.get(key, 0) + lend
            if open_q < 0 and lend >= 0 and available < -open_q:  # the book is short of securities
                status, reason, q, c = SettlementStatus.FAILED, FailReason.LACK_OF_SECURITIES, 0, 0
                if partial_ok and available > 0:
                    q, c = -available, (open_c * available) // -open_q
                    status = SettlementStatus.PARTIALLY_SETTLED
        holding[key] = holding.get(key, 0) + q
        failed = status in (SettlementStatus.FAILED, SettlementStatus.PARTIALLY_SETTLED)
        if failed:
            left_q, left_c = open_q - q, open_c - c
            if left_q != 0:
                value, book_fails = abs(left_q) * close[k], left_q < 0
            else:
                value, book_fails = abs(left_c) / scale[k], left_c > 0
            pen = int(np.rint(value * bps[k] * 1e-4 * scale[k]))
            pen = pen if book_fails else -pen
        events[k] = (int(o["obligation_id"]), int(status), int(reason), q, c, pen)
    return [events[k] for k in sorted(events)]


@st.composite
def obligation_sets(draw):
    n = draw(st.integers(1, 30))
    obl = np.zeros(n, dtype=OBLIGATION_DT)
    obl["obligation_id"] = np.arange(n)
    obl["trade_date"] = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 3)))
    obl["settle_date"] = obl["trade_date"] + draw(hnp.arrays(np.int64, n, elements=st.integers(0, 3)))
    obl["qty"] = draw(hnp.arrays(np.int64, n, elements=st.integers(-500, 500)))
    noise = draw(hnp.arrays(np.int64, n, elements=st.integers(-99, 99)))
    obl["cash"] = obl["qty"] * draw(st.integers(1, 20_000)) + noise
    obl["status"] = draw(hnp.arrays(np.int8, n, elements=st.sampled_from([0, 2, 3])))
    obl["settled_date"] = -1
    return obl


@given(obl=obligation_sets(), as_of=st.integers(0, 6), rate=st.floats(0, 1), share=st.floats(0, 1),
       partial_ok=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_settle_day_matches_the_reference(obl, as_of, rate, share, partial_ok, seed):
    rng = np.random.default_rng(seed)
    n = len(obl)
    u = rng.random((n, N_SETTLEMENT_DRAWS))
    unmatched = rng.random(n) < 0.2
    bps = np.where(rng.random(n) < 0.5, 1.0, 0.0)
    close = rng.uniform(1, 500, n)
    scale = np.full(n, 100.0)
    weights = np.array([0.6, 0.25, 0.15])
    before = obl.copy()
    expected = _reference_settle(before, as_of, np.full(n, rate), weights, partial_ok, share, unmatched, bps,
                                 close, scale, u)
    ev = settle_day(obl, as_of, fail_rate=np.full(n, rate), cause_weights=weights, partial_settlement=partial_ok,
                    partial_share=share, unmatched=unmatched, penalty_bps=bps, close_price=close, minor_scale=scale,
                    draws=u)
    got = list(zip(ev["obligation_id"].tolist(), ev["status"].tolist(), ev["fail_reason"].tolist(),
                   ev["qty_settled"].tolist(), ev["cash_settled"].tolist(), ev["penalty"].tolist(), strict=True))
    assert got == expected
    # the obligations moved by exactly the events; nothing settles beyond what is owed
    moved = np.zeros(n, np.int64)
    moved[ev["obligation_id"]] = ev["qty_settled"]
    np.testing.assert_array_equal(obl["settled_qty"], before["settled_qty"] + moved)
    assert (np.abs(obl["settled_qty"]) <= np.abs(obl["qty"]) + np.abs(before["settled_qty"])).all()
    np.testing.assert_array_equal(ev["qty_open"], (obl["qty"] - obl["settled_qty"])[ev["obligation_id"]])
    done = obl["status"] == SettlementStatus.SETTLED
    np.testing.assert_array_equal(obl["settled_qty"][done & (before["status"] != 1)],
                                  obl["qty"][done & (before["status"] != 1)])


def test_kernel_status_constants_match_schema():
    from tradeflow.back import nb as bk
    assert (bk.S_PENDING, bk.S_SETTLED, bk.S_PARTIALLY_SETTLED, bk.S_FAILED, bk.S_BOUGHT_IN) == tuple(
        SettlementStatus)
    assert (bk.F_NONE, bk.F_LACK_OF_SECURITIES, bk.F_LATE_MATCHING) == (
        FailReason.NONE, FailReason.LACK_OF_SECURITIES, FailReason.LATE_MATCHING)


def test_settle_day_validates_shapes():
    obl = np.zeros(3, dtype=OBLIGATION_DT)
    ok = dict(fail_rate=np.zeros(3), cause_weights=np.array([1.0, 0, 0]), partial_settlement=True, partial_share=0.5,
              unmatched=np.zeros(3, bool), penalty_bps=np.zeros(3), close_price=np.ones(3), minor_scale=np.ones(3),
              draws=np.zeros((3, N_SETTLEMENT_DRAWS)))
    with pytest.raises(ValueError, match="'fail_rate'"):
        settle_day(obl, 0, **{**ok, "fail_rate": np.zeros(2)})
    with pytest.raises(ValueError, match="'draws'"):
        settle_day(obl, 0, **{**ok, "draws": np.zeros((3, 1))})
    with pytest.raises(ValueError, match="'obligations'"):
        settle_day(np.zeros(3, dtype=SETTLEMENT_DT), 0, **ok)


def test_penalty_is_one_bp_of_the_unsettled_value_paid_by_the_deliverer():
    obl = np.zeros(2, dtype=OBLIGATION_DT)
    obl["obligation_id"] = [0, 1]
    obl["qty"] = [-300, 300]  # we deliver 300; we receive 300
    obl["cash"] = [-3_000_000, 3_000_000]
    ev = settle_day(obl, 0, fail_rate=np.ones(2), cause_weights=np.array([0.0, 1.0, 0.0]), partial_settlement=True,
                    partial_share=1.0, unmatched=np.zeros(2, bool), penalty_bps=np.ones(2),
                    close_price=np.array([101.0, 101.0]), minor_scale=np.full(2, 100.0), draws=np.zeros((2, 4)))
    # 300 x 101 = 30,300 EUR; 1 bp = 3.03 EUR = 303 cents: paid when we fail to deliver, received otherwise
    assert ev["penalty"].tolist() == [303, -303]
    assert ev["status"].tolist() == [SettlementStatus.FAILED] * 2
    assert ev["fail_reason"].tolist() == [FailReason.ON_HOLD] * 2
    assert obl["fail_days"].tolist() == [1, 1]
    # recycled the next day: they settle and stop accruing
    ev2 = settle_day(obl, 1, fail_rate=np.zeros(2), cause_weights=np.array([0.0, 1.0, 0.0]), partial_settlement=True,
                     partial_share=1.0, unmatched=np.zeros(2, bool), penalty_bps=np.ones(2),
                     close_price=np.array([101.0, 101.0]), minor_scale=np.full(2, 100.0), draws=np.zeros((2, 4)))
    assert ev2["status"].tolist() == [SettlementStatus.SETTLED] * 2 and ev2["penalty"].tolist() == [0, 0]
    assert obl["settled_date"].tolist() == [1, 1] and obl["fail_days"].tolist() == [1, 1]
    assert len(settle_day(obl, 2, fail_rate=np.zeros(2), cause_weights=np.array([1.0, 0, 0]),
                          partial_settlement=True, partial_share=1.0, unmatched=np.zeros(2, bool),
                          penalty_bps=np.ones(2), close_price=np.ones(2), minor_scale=np.ones(2),
                          draws=np.zeros((2, 4)))) == 0


@st.composite
def instruction_sets(draw):
    n = draw(st.integers(0, 60))
    ins = np.zeros(n, dtype=SETTLEMENT_DT)
    ins["instruction_id"] = np.arange(n)
    for f, hi in (("book", 2), ("counterparty", 2), ("instrument", 2), ("currency", 1)):
        ins[f] = draw(hnp.arrays(np.int32, n, elements=st.integers(0, hi)))
    ins["side"] = draw(hnp.arrays(np.int8, n, elements=st.sampled_from([-1, 1])))
    ins["trade_date"] = 10
    ins["settle_date"] = 10 + draw(hnp.arrays(np.int64, n, elements=st.integers(1, 2)))
    ins["qty"] = draw(hnp.arrays(np.int64, n, elements=st.integers(1, 1000)))
    ins["cash_amount"] = ins["side"] * ins["qty"] * draw(st.integers(1, 50_000))
    return ins


@given(ins=instruction_sets(), model=st.sampled_from(["gross", "net_cash", "net_all"]))
def test_netting_matches_a_pandas_groupby(ins, model):
    obl, of = net_obligations(ins, model, first_obligation_id=7)
    assert of.shape == (len(ins),) and (np.isin(of, obl["obligation_id"])).all()
    assert obl["obligation_id"].tolist() == list(range(7, 7 + len(obl)))
    df = pd.DataFrame({k: ins[k] for k in ("book", "counterparty", "instrument", "settle_date")})
    df["q"] = ins["side"].astype(np.int64) * ins["qty"]
    df["c"] = ins["cash_amount"]
    if model == "net_all":
        exp = df.groupby(["book", "counterparty", "instrument", "settle_date"])[["q", "c"]].sum()
        got = pd.DataFrame({k: obl[k] for k in ("book", "counterparty", "instrument", "settle_date", "qty", "cash")}) \
            .set_index(["book", "counterparty", "instrument", "settle_date"]).sort_index()
        assert len(obl) == len(exp)
        np.testing.assert_array_equal(got["qty"].to_numpy(), exp["q"].to_numpy())
        np.testing.assert_array_equal(got["cash"].to_numpy(), exp["c"].to_numpy())
    else:
        np.testing.assert_array_equal(obl["qty"], df["q"].to_numpy())
        np.testing.assert_array_equal(obl["cash"], df["c"].to_numpy())
    # each instruction sits in an obligation with its own keys; nothing is lost in the netting
    o = obl[of - 7]
    for f in ("book", "counterparty", "instrument", "settle_date"):
        np.testing.assert_array_equal(o[f], ins[f])
    assert obl["qty"].sum() == df["q"].sum() and obl["cash"].sum() == df["c"].sum()
    assert obl["n_instructions"].sum() == len(ins)


def test_netting_rejects_unknown_models():
    with pytest.raises(ValueError, match="'model'"):
        net_obligations(np.zeros(0, dtype=SETTLEMENT_DT), "net_everything")
