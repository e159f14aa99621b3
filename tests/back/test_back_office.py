"""Settlement dates, the ledger, and a reconciliation that finds every tampering."""

import numpy as np
import pytest

from tradeflow.back import balances, book_fills, reconcile, settlement_instructions, trial_balance
from tradeflow.back import nb as bk
from tradeflow.market import BusinessCalendar, SettlementCalendar
from tradeflow.schema import AccountKind, BreakKind, SettlementStatus


def test_kernel_account_constants_match_schema():
    assert (bk.A_SECURITIES, bk.A_CASH, bk.A_CPTY_SECURITIES, bk.A_CPTY_CASH, bk.A_FEES) == (
        AccountKind.SECURITIES, AccountKind.CASH, AccountKind.CPTY_SECURITIES, AccountKind.CPTY_CASH,
        AccountKind.FEES)


@pytest.mark.parametrize(
    ("trade_date", "lag", "ccys", "expected"),
    [
        ("2026-11-25", 1, ["USD"], "2026-11-27"),  # Wednesday + T+1 skips Thanksgiving
        ("2026-11-25", 2, ["EUR"], "2026-11-27"),  # TARGET is open on US Thanksgiving
        ("2026-11-25", 2, ["EUR", "USD"], "2026-11-30"),  # both currencies open: skip holiday + weekend
        ("2026-11-27", 1, ["USD"], "2026-11-30"),  # Friday + T+1 is Monday
        ("2026-12-24", 1, ["EUR"], "2026-12-28"),  # Christmas and Boxing Day, then the weekend
    ],
)
def test_settlement_dates_skip_weekends_and_holidays(trade_date, lag, ccys, expected):
    cal = BusinessCalendar({"USD": ["2026-11-26", "2026-12-25"], "EUR": ["2026-12-25", "2026-12-26"]})
    assert str(cal.add_business_days(trade_date, lag, ccys)) == expected


def test_instructions_follow_the_instrument_lag(small_run):
    r = small_run
    s = r.records["settlements"]
    # no instrument overrides its market's cycle: USD T+1 (from 2024-05-28), EUR T+2 (until 2027-10-08)
    assert (r.instruments["settlement_lag"] == -1).all()
    cal = SettlementCalendar(r.market.currencies, extra=r.config.market.holidays)
    for cid, ccy in enumerate(r.market.currencies):
        m = s["currency"] == cid
        if not m.any():
            continue
        lag = {"USD": 1, "EUR": 2}[ccy]
        exp = cal.add_business_days(np.full(m.sum(), r.market.trade_date), lag, [ccy]).astype(np.int64)
        np.testing.assert_array_equal(s["settle_date"][m], exp)
    assert (s["status"] == SettlementStatus.PENDING).all()
    # cash leg: the book pays for buys, receives for sells, in exact cents
    np.testing.assert_array_equal(np.sign(s["cash_amount"]), s["side"])


def test_ledger_balances_and_trial_balance_is_zero(small_run):
    ledger = small_run.records["ledger"]
    assert (trial_balance(ledger)["amount"] == 0).all()
    bal = balances(ledger)
    fees = bal[bal["account_kind"] == AccountKind.FEES]["amount"].sum()
    fills = small_run.records["fills"]
    assert fees == np.rint(fills["fee"] * 100).astype(np.int64).sum()
    # balances as of mid-session hold only the postings so far
    mid_ts = int(np.median(ledger["ts"]))
    partial = balances(ledger, as_of_ts=mid_ts)
    sec = partial[partial["account_kind"] == AccountKind.SECURITIES]["amount"].abs().sum()
    assert 0 < sec <= bal[bal["account_kind"] == AccountKind.SECURITIES]["amount"].abs().sum() + \
        np.abs(fills["qty"]).sum()


def _recon(r, fills=None, positions=None, ledger=None, settlements=None):
    rec = r.records
    ccy_scale = np.array([100.0] * len(r.market.currencies))
    return reconcile(
        rec["fills"] if fills is None else fills, rec["positions"] if positions is None else positions,
        rec["ledger"] if ledger is None else ledger, rec["settlements"] if settlements is None else settlements,
        n_books=r.config.flow.n_books, instrument_ccy=r.instruments["currency_id"].to_numpy(),
        minor_scale_ccy=ccy_scale, marks=r.market.mid[:, -1],
    )


def test_clean_run_reconciles(small_run):
    assert len(_recon(small_run)) == 0


def test_recon_finds_a_missing_booking(small_run):
    led = small_run.records["ledger"]
    victim = led["txn_id"][len(led) // 2]
    breaks = _recon(small_run, ledger=led[led["txn_id"] != victim])
    # one break, at its root cause: the position and P&L differences are the missing transaction's
    assert breaks["kind"].tolist() == [BreakKind.MISSING_BOOKING] and breaks["fill_id"].tolist() == [victim]


def test_recon_finds_a_duplicate_booking(small_run):
    led = small_run.records["ledger"]
    dup = led[led["txn_id"] == 7].copy()
    dup["txn_id"] = led["txn_id"].max() + 1
    breaks = _recon(small_run, ledger=np.concatenate([led, dup]))
    assert breaks["kind"].tolist() == [BreakKind.DUPLICATE_BOOKING] and breaks["fill_id"].tolist() == [7]


def test_recon_finds_an_unbalanced_transaction_and_a_price_keyed_wrong(small_run):
    led = small_run.records["ledger"].copy()
    rows = np.flatnonzero((led["txn_id"] == 3) & (led["account_kind"] == AccountKind.CASH))
    led["amount"][rows[0]] += 1  # one cent off on the book's side only
    breaks = _recon(small_run, ledger=led)
    # one break at the root cause (the cent it leaves in the P&L is that transaction's)
    assert breaks["kind"].tolist() == [BreakKind.UNBALANCED_TXN]
    assert breaks["fill_id"].tolist() == [led["fill_id"][rows[0]]]


def test_recon_finds_position_and_settlement_breaks(small_run):
    pos = small_run.records["positions"].copy()
    traded = np.flatnonzero(pos["n_fills"] > 0)[0]
    pos["qty"][traded] += 10
    breaks = _recon(small_run, positions=pos)
    pm = breaks[breaks["kind"] == BreakKind.POSITION_MISMATCH]
    assert len(pm) == 1 and pm["difference"][0] == 10
    st = small_run.records["settlements"]
    breaks = _recon(small_run, settlements=st[1:])
    assert breaks["fill_id"][breaks["kind"] == BreakKind.MISSING_SETTLEMENT].tolist() == [st["fill_id"][0]]


def test_a_balanced_posting_of_the_wrong_quantity_is_one_break_naming_the_fill(small_run):
    led = small_run.records["ledger"].copy()
    txn = led["txn_id"] == 5
    sec = txn & np.isin(led["account_kind"], [AccountKind.SECURITIES, AccountKind.CPTY_SECURITIES])
    assert sec.sum() == 2
    led["amount"][sec] += np.sign(led["amount"][sec]) * 3  # both legs: the transaction still balances
    breaks = _recon(small_run, ledger=led)
    assert breaks["kind"].tolist() == [BreakKind.QTY_MISMATCH]
    assert breaks["fill_id"].tolist() == [led["fill_id"][txn][0]]
    assert abs(breaks["difference"][0]) == 3


def test_unknown_booking_is_flagged(small_run):
    led = small_run.records["ledger"]
    ghost = led[led["txn_id"] == 0].copy()
    ghost["txn_id"] = 10**9
    ghost["fill_id"] = 10**9
    breaks = _recon(small_run, ledger=np.concatenate([led, ghost]))
    assert breaks["fill_id"][breaks["kind"] == BreakKind.UNKNOWN_BOOKING].tolist() == [10**9]


def test_book_fills_is_exact_in_cents():
    from tradeflow.schema import FILL_DT
    fills = np.zeros(2, dtype=FILL_DT)
    fills["fill_id"] = [0, 1]
    fills["instrument"] = [0, 1]
    fills["side"] = [1, -1]
    fills["qty"] = [3, 7]
    fills["price"] = [0.1 + 0.2, 1234.57]  # 0.30000000000000004 must post as 90 cents
    fills["fee"] = [0.01, 0.0]
    led = book_fills(fills, np.array([0, 1]), np.array([100.0, 1.0]))
    cash0 = led[(led["txn_id"] == 0) & (led["account_kind"] == AccountKind.CASH)]["amount"]
    assert sorted(cash0.tolist()) == [-90, -1]
    cash1 = led[(led["txn_id"] == 1) & (led["account_kind"] == AccountKind.CASH)]["amount"]
    assert cash1.tolist() == [8642]  # JPY-like currency with no minor unit; no fee posting
    assert len(led) == 6 + 4


def test_settlement_instructions_are_one_per_fill_in_order(small_run):
    r = small_run
    s = settlement_instructions(r.records["fills"], r.instruments, r.market.currencies,
                                SettlementCalendar(r.market.currencies), r.market.trade_date,
                                np.full(r.market.n_instruments, 100.0))
    np.testing.assert_array_equal(s["fill_id"], r.records["fills"]["fill_id"])
