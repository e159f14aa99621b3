"""Back office over whole runs: conservation, status history, breaks found and classified, explain."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tradeflow
from tests.conftest import csd_open, small_config
from tradeflow.back import balances, trial_balance
from tradeflow.schema import (
    FAULT_BREAK_KIND,
    AccountKind,
    BreakKind,
    FailReason,
    FaultKind,
    SettlementStatus,
    TxnType,
)

FAULT_FIELDS = ("missing_trade", "duplicate_booking", "qty_keyed_wrong", "price_keyed_wrong", "wrong_book",
                "fee_mismatch", "wrong_fx_rate", "late_booking", "statement_error")


def _key(kind, fill_id, as_of, book, account_kind, instrument, currency):
    if kind == BreakKind.STATEMENT_ERROR:
        return (int(kind), int(as_of), int(book), int(account_kind), int(instrument), int(currency))
    return (int(kind), int(fill_id))


def score(r) -> tuple[float, float, set, set]:
    """Precision and recall of the breaks against the faults the run injected."""
    f = r.records["faults"]
    injected = {_key(FAULT_BREAK_KIND[FaultKind(k)], fid, a, b, ak, i, c) for k, fid, a, b, ak, i, c in zip(
        f["kind"], f["fill_id"], f["as_of"], f["book"], f["account_kind"], f["instrument"], f["currency"],
        strict=True)}
    b = r.records["breaks"]
    b = b[b["kind"] != BreakKind.CONFIRMATION_UNMATCHED]
    found = {_key(k, fid, a, bk, ak, i, c) for k, fid, a, bk, ak, i, c in zip(
        b["kind"], b["fill_id"], b["as_of"], b["book"], b["account_kind"], b["instrument"], b["currency"],
        strict=True)}
    hit = len(found & injected)
    precision = hit / len(found) if found else 1.0
    recall = hit / len(injected) if injected else 1.0
    return precision, recall, found, injected


def check_conservation(r) -> None:
    rec = r.records
    ledger, obl = rec["ledger"], rec["obligations"]
    # every transaction balances per asset, so the whole ledger does, on every day
    per_txn = pd.DataFrame({k: ledger[k] for k in ("txn_id", "asset_is_cash", "asset", "amount")}) \
        .groupby(["txn_id", "asset_is_cash", "asset"])["amount"].sum()
    assert (per_txn == 0).all()
    for d in r.trade_dates.astype(np.int64):
        assert (trial_balance(ledger, as_of_date=int(d))["amount"] == 0).all()
    bal = balances(ledger)

    def account(kind, owner_col, asset_col, recs, values, is_cash):
        got = bal[(bal["account_kind"] == kind) & (bal["asset_is_cash"] == is_cash)].set_index(
            ["owner", "asset"])["amount"]
        exp = pd.DataFrame({"owner": recs[owner_col], "asset": recs[asset_col], "v": values}).groupby(
            ["owner", "asset"])["v"].sum()
        both = pd.concat([got.rename("got"), exp.rename("exp")], axis=1).fillna(0)
        np.testing.assert_array_equal(both["got"].to_numpy(), both["exp"].to_numpy())

    # location accounts hold minus what settled; clearing accounts what is still open
    account(AccountKind.CUSTODY, "book", "instrument", obl, -obl["settled_qty"], False)
    account(AccountKind.NOSTRO, "book", "currency", obl, obl["settled_cash"], True)
    # (a buy-in closes what was left open)
    bought = obl["status"] == SettlementStatus.BOUGHT_IN
    account(AccountKind.CPTY_SECURITIES, "counterparty", "instrument", obl,
            np.where(bought, 0, -(obl["qty"] - obl["settled_qty"])), False)
    account(AccountKind.PENALTIES, "book", "currency", obl, obl["penalties"], True)
    account(AccountKind.BUY_IN, "book", "currency", obl, obl["buy_in_compensation"], True)
    # clearing cash: the open cash of the open obligations (faults book other amounts than the fills settle)
    if len(rec["faults"]) == 0:
        account(AccountKind.CPTY_CASH, "counterparty", "currency", obl,
                np.where(bought, 0, obl["cash"] - obl["settled_cash"]), True)
    # the custodian's last statement equals the ledger's location accounts
    st_ = rec["statements"]
    last = st_[st_["as_of"] == st_["as_of"].max()]
    for kind in (AccountKind.CUSTODY, AccountKind.NOSTRO):
        s = last[last["account_kind"] == kind]
        b = bal[bal["account_kind"] == kind].set_index(["owner", "asset"])["amount"]
        held = np.array([-b.get((bk, a), 0) for bk, a in zip(s["book"], s["asset"], strict=True)])
        if not r.config.faults.statement_error:
            np.testing.assert_array_equal(s["closing"], held)


def check_status_history(r) -> None:
    rec = r.records
    ev, obl, ins = rec["settlement_events"], rec["obligations"], rec["settlements"]
    days = r.trade_dates.astype(np.int64)
    assert np.isin(ev["status"], [int(s) for s in SettlementStatus]).all()
    df = pd.DataFrame({"o": ev["obligation_id"], "d": ev["as_of"], "s": ev["status"], "q": ev["qty_settled"]})
    assert not df.duplicated(["o", "d"]).any()  # at most one status per obligation per day
    g = df.groupby("o")
    first, last, n = g["d"].min(), g["d"].max(), g["d"].size()
    # every obligation has one status every business day from its trade date until it settles: none lost
    assert set(g.groups) == set(obl["obligation_id"].tolist())
    np.testing.assert_array_equal(first.to_numpy(), obl["trade_date"][first.index])
    # ... counted on the run days its market's CSD is open (QuantLib): a run day may be another market's
    # only (Thanksgiving trades and settles the EU names while the Fed is closed), so an open obligation's
    # last status is on its market's last CSD day of the run
    ccy = obl["currency"][last.index]
    open_until = np.full(len(last), days[-1], np.int64)
    csd = {}
    for cid, c in enumerate(r.market.currencies):
        csd[cid] = days[csd_open(c, days.astype("datetime64[D]"))]
        if len(csd[cid]):
            open_until[ccy == cid] = csd[cid][-1]
    end = np.where(obl["settled_date"][last.index] >= 0, obl["settled_date"][last.index], open_until)
    np.testing.assert_array_equal(last.to_numpy(), end)
    expect = np.zeros(len(last), np.int64)
    for cid in csd:
        k = ccy == cid
        csd_days = csd[cid]
        expect[k] = (np.searchsorted(csd_days, end[k], side="right")
                     - np.searchsorted(csd_days, first.to_numpy()[k]))
    np.testing.assert_array_equal(n.to_numpy(), expect)
    # the last status is the obligation's; SETTLED only ever as the last; what settled adds up
    last_status = df.sort_values("d").groupby("o")["s"].last()
    np.testing.assert_array_equal(last_status.to_numpy(), obl["status"][last_status.index])
    not_last = df[df["d"] < df["o"].map(last)]
    assert (~np.isin(not_last["s"], [SettlementStatus.SETTLED, SettlementStatus.BOUGHT_IN])).all()
    np.testing.assert_array_equal(g["q"].sum().to_numpy(), obl["settled_qty"][g["q"].sum().index])
    # each trade (instruction) is exactly one of settled / partially settled / pending / failed, as its obligation
    np.testing.assert_array_equal(ins["status"], obl["status"][ins["obligation_id"]])
    assert np.isin(ins["status"], [int(s) for s in SettlementStatus]).all()
    assert len(np.unique(ins["fill_id"])) == len(rec["fills"])
    # statuses follow the dates: pending until due, failed ones carry a reason and an age
    o = obl[ev["obligation_id"]]
    assert ((ev["status"] == SettlementStatus.PENDING) == (o["settle_date"] > ev["as_of"])).all()
    failed = np.isin(ev["status"], [SettlementStatus.FAILED, SettlementStatus.PARTIALLY_SETTLED])
    assert (ev["fail_reason"][failed] != FailReason.NONE).all() and (ev["fail_days"][failed] >= 1).all()
    assert (ev["penalty"][~failed] == 0).all()


fault_rates = st.fixed_dictionaries({f: st.sampled_from([0.0, 0.0, 0.01, 0.05, 0.1]) for f in FAULT_FIELDS})


@given(seed=st.integers(0, 2**31 - 1), rates=fault_rates, days=st.integers(1, 3),
       netting=st.sampled_from(["gross", "net_cash", "net_all"]), books=st.integers(1, 4),
       street=st.sampled_from([0.0, 0.02]))
@settings(max_examples=30)
def test_every_injected_fault_is_found_and_classified(seed, rates, days, netting, books, street):
    # the street's own disagreements (confirmations) and fails must not blur the classification
    cfg = small_config(400, days=days, faults=rates, settlement={"netting": netting},
                       flow={"n_books": books, "n_traders": 4},
                       confirmation={"price_mismatch_rate": street, "no_answer_rate": street})
    r = tradeflow.simulate(cfg, seed=seed)
    precision, recall, found, injected = score(r)
    assert precision == 1.0, sorted(found - injected)[:5]
    assert recall == 1.0, sorted(injected - found)[:5]
    det = r.fault_detection()
    assert (det["precision"], det["recall"], det["injected"], det["reported"]) == (1.0, 1.0, len(injected), len(found))
    check_status_history(r)
    b = r.records["breaks"]
    assert (b["age_days"] >= 0).all() and (b["first_seen"] <= b["as_of"]).all()
    assert (b["difference"][~np.isnan(b["difference"])] == (b["front_value"] - b["back_value"])[
        ~np.isnan(b["difference"])]).all()


@given(seed=st.integers(0, 2**31 - 1), days=st.integers(1, 4), netting=st.sampled_from(["gross", "net_cash",
                                                                                         "net_all"]),
       fail=st.sampled_from([0.0, 0.05, 0.5]), partial=st.booleans())
def test_clean_runs_have_no_breaks_and_conserve_cash_and_securities(seed, days, netting, fail, partial):
    cfg = small_config(400, days=days, settlement={"netting": netting, "default_fail_rate": fail,
                                                   "fail_rates": {"EUR": min(1.0, 2 * fail)},
                                                   "partial_settlement": partial})
    r = tradeflow.simulate(cfg, seed=seed)
    assert len(r.records["breaks"]) == 0, r.breaks
    assert len(r.records["faults"]) == 0
    check_conservation(r)
    check_status_history(r)


def test_a_long_run_with_fails_ages_recycles_and_penalises():
    cfg = small_config(1_500, days=6, settlement={"fail_rates": {"EUR": 0.3, "USD": 0.2}})
    r = tradeflow.simulate(cfg, seed=4)
    check_conservation(r)
    check_status_history(r)
    ev, obl = r.records["settlement_events"], r.records["obligations"]
    assert (ev["status"] == SettlementStatus.PARTIALLY_SETTLED).any()
    assert (ev["fail_days"] >= 2).any()  # a fail recycled and failed again
    recycled = np.unique(ev["obligation_id"][ev["status"] == SettlementStatus.FAILED])
    assert (obl["status"][recycled] == SettlementStatus.SETTLED).any()  # ... and some recycled ones settled
    # penalties only in the CSDR market (EUR), booked in the ledger
    eur = r.market.currencies.index("EUR")
    assert (obl["penalties"][obl["currency"] != eur] == 0).all()
    assert (obl["penalties"][obl["currency"] == eur] != 0).any()
    led = r.records["ledger"]
    assert led["amount"][(led["txn_type"] == TxnType.PENALTY) & (led["account_kind"] == AccountKind.PENALTIES)].sum() \
        == obl["penalties"].sum()
    assert len(r.records["breaks"]) == 0
    # P&L explain: the residual is float noise and the daily totals add up to the final P&L
    ex = r.records["explain"]
    assert np.abs(ex["residual"]).max() < 1e-6
    parts = ex["new_trade_pnl"] + ex["market_move_pnl"] + ex["fees"] + ex["penalties"] + ex["fx_translation"]
    np.testing.assert_allclose(parts + ex["residual"], ex["total_pnl"], rtol=0, atol=1e-9)
    pos = r.records["positions"]
    fx = r.market.fx[:, -1][r.instruments["currency_id"].to_numpy()[pos["instrument"]]]
    final = ((pos["realized_pnl"] + pos["unrealized_pnl"] - pos["fees"]) * fx)
    # penalties convert at the close of the day they were charged
    day_of = r.market.times // 86_400_000_000_000
    close_idx = np.searchsorted(day_of, ev["as_of"], side="right") - 1
    o = obl[ev["obligation_id"]]
    pen = ev["penalty"] / 100.0 * r.market.fx[o["currency"], close_idx]
    for book in range(r.config.flow.n_books):
        expected = final[pos["book"] == book].sum() - pen[o["book"] == book].sum()
        assert abs(ex["total_pnl"][ex["book"] == book].sum() - expected) < 1e-6 * max(1.0, abs(expected))


def test_unmatched_confirmations_are_breaks_until_resolved_and_fail_late_matching():
    cfg = small_config(800, days=4, confirmation={"price_mismatch_rate": 0.05, "qty_mismatch_rate": 0.05,
                                                  "settle_date_mismatch_rate": 0.05, "no_answer_rate": 0.05,
                                                  "resolution_days": 1},
                       settlement={"fail_rates": {}, "default_fail_rate": 0.0})
    r = tradeflow.simulate(cfg, seed=9)
    conf, b = r.records["confirmations"], r.records["breaks"]
    assert (conf["status"] != 0).mean() > 0.1
    cb = b[b["kind"] == BreakKind.CONFIRMATION_UNMATCHED]
    exp = {(int(f), int(d))
           for f, td, rd in zip(conf["fill_id"], conf["trade_date"], conf["resolved_date"], strict=True)
           for d in r.trade_dates.astype(np.int64) if td <= d < rd}
    assert {(int(f), int(d)) for f, d in zip(cb["fill_id"], cb["as_of"], strict=True)} == exp
    assert (b["kind"] == BreakKind.CONFIRMATION_UNMATCHED).all()  # nothing else breaks
    # no answer takes a day longer; their values are recorded where they answered
    na = conf["status"] == 4
    assert (conf["their_qty"][na] == -1).all()
    qd = conf["status"] == 2
    assert (conf["their_qty"][qd] != conf["our_qty"][qd]).all()
    # a due instruction whose confirmation is still open fails for late matching (the only fails here)
    ev = r.records["settlement_events"]
    failed = ev["status"] == SettlementStatus.FAILED
    assert failed.any() and (ev["fail_reason"][failed] == FailReason.LATE_MATCHING).all()
    check_status_history(r)


def test_same_seed_same_back_office():
    cfg = small_config(500, days=3, faults={"qty_keyed_wrong": 0.05, "statement_error": 0.05},
                       confirmation={"no_answer_rate": 0.05})
    a, b = tradeflow.simulate(cfg, seed=21), tradeflow.simulate(cfg, seed=21)
    for k in ("settlements", "obligations", "settlement_events", "ledger", "breaks", "faults", "confirmations",
              "statements", "explain", "bookings"):
        for f in a.records[k].dtype.names:  # field by field: aligned records have padding bytes
            np.testing.assert_array_equal(a.records[k][f], b.records[k][f], err_msg=f"{k}.{f}")


@settings(max_examples=4)
@given(seed=st.integers(0, 2**31 - 1), rate=st.sampled_from([0.0, 0.02, 0.1]),
       netting=st.sampled_from(["gross", "net_cash", "net_all"]))
def test_incremental_reconciliation_equals_the_full_one(seed, rate, netting):
    # each day's breaks (and their ages) from the incremental reconciler equal a full re-run over the run so far
    from tradeflow.back.office import BackOffice
    cfg = small_config(300, days=4, faults={f: rate for f in FAULT_FIELDS},
                       settlement={"netting": netting, "default_fail_rate": 0.1},
                       confirmation={"price_mismatch_rate": 0.05, "no_answer_rate": 0.05})
    inc = tradeflow.simulate(cfg, seed=seed).records["breaks"]
    with pytest.MonkeyPatch.context() as m:
        m.setattr(BackOffice, "incremental_recon", False)
        full = tradeflow.simulate(cfg, seed=seed).records["breaks"]
    assert len(inc) == len(full)
    exact = [f for f in full.dtype.names if f not in ("front_value", "back_value", "difference")]
    for f in exact:
        np.testing.assert_array_equal(inc[f], full[f], err_msg=f)
    for f in ("front_value", "back_value", "difference"):  # aggregate P&L sums in another order: cents apart at most
        np.testing.assert_allclose(inc[f], full[f], rtol=1e-9, atol=1e-6, err_msg=f)
