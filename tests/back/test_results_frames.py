"""The back office's DataFrames on RunResult, its summary lines, and the Parquet round trip."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tradeflow
from tests.conftest import small_config
from tradeflow.results import RunResult

BACK_TABLES = ("confirmations", "bookings", "obligations", "settlement_history", "statements", "faults", "explain",
               "trial_balance", "breaks", "ledger", "settlements")


@pytest.fixture(scope="module")
def run():
    cfg = small_config(1_000, days=3, faults={"price_keyed_wrong": 0.02, "statement_error": 0.03},
                       confirmation={"no_answer_rate": 0.03}, settlement={"netting": "net_all"})
    return tradeflow.simulate(cfg, seed=17)


def test_frames_have_labels_and_dates(run):
    h = run.settlement_history
    assert set(h["status"].cat.categories) == {"PENDING", "SETTLED", "PARTIALLY_SETTLED", "FAILED", "BOUGHT_IN"}
    assert len(h) == len(run.records["settlement_events"]) and h["as_of"].dtype.kind == "M"
    assert set(h["instrument"].astype(str)) <= set(run.instruments["symbol"])
    c = run.confirmations
    assert (c.loc[c["status"] == "NO_ANSWER", "their_settle_date"].isna()).all()
    f = run.faults
    assert (f.loc[f["kind"] == "PRICE_KEYED_WRONG", "expected_break"] == "PRICE_MISMATCH").all()
    assert (f.loc[f["kind"] == "STATEMENT_ERROR", "account_kind"].isin(["CUSTODY", "NOSTRO"])).all()
    tb = run.trial_balance
    assert (tb.groupby(["asset_is_cash", "asset"])["amount"].sum() == 0).all()
    assert (tb["debit"] - tb["credit"] == tb["amount"]).all()
    first = run.trial_balance_as_of(run.trade_dates[0])
    assert len(first) <= len(tb) and (first.groupby("asset")["amount"].sum() == 0).all()
    assert set(run.ledger["txn_type"].astype(str)) >= {"TRADE", "SETTLEMENT"}
    b = run.breaks
    assert {"PRICE_MISMATCH", "CONFIRMATION_UNMATCHED"} <= set(b["kind"].astype(str))
    assert (b["age_days"] >= 0).all()
    old = b[b["kind"] == "PRICE_MISMATCH"].groupby("fill_id")["age_days"].max()
    assert old.max() >= 1  # a break that is not fixed ages


def test_summary_has_back_office_lines(run):
    text = run.summary()
    assert "Back office:" in text and "Fails by reason" in text and "faults injected" in text
    t = run.summary_tables()
    assert t["faults_by_kind"].sum() == len(run.records["faults"])
    assert t["confirmations_by_status"].sum() == len(run.records["fills"])


def test_back_office_records_round_trip(run, tmp_path):
    pytest.importorskip("pyarrow")
    back = RunResult.from_parquet(run.to_parquet(tmp_path / "run"))
    for name in BACK_TABLES:
        pd.testing.assert_frame_equal(getattr(run, name), getattr(back, name), obj=name)
    for name in ("obligations", "settlement_events", "faults"):
        assert back.records[name].dtype == run.records[name].dtype
        np.testing.assert_array_equal(back.records[name]["obligation_id" if name != "faults" else "fault_id"],
                                      run.records[name]["obligation_id" if name != "faults" else "fault_id"])


@given(keys=hnp.arrays(np.int64, st.integers(0, 50), elements=st.integers(-20, 20)), wide=st.booleans())
def test_small_unique_matches_numpy(keys, wide):
    from tradeflow.results.back import _small_unique

    if wide and keys.size:
        keys[0] = 10**12  # a wide range: the sort
    uniq, inv = _small_unique(keys)
    exp_uniq, exp_inv = np.unique(keys, return_inverse=True)
    np.testing.assert_array_equal(uniq, exp_uniq)
    np.testing.assert_array_equal(inv, exp_inv)
