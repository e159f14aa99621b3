"""The result of a run: record arrays underneath, readable DataFrames on top, and a summary."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradeflow.config import SimulationConfig
from tradeflow.market.paths import MarketData
from tradeflow.schema import (
    ENUM_FIELDS,
    FAULT_BREAK_KIND,
    AccountKind,
    BreakKind,
    ConfirmationStatus,
    EventKind,
    FailReason,
    FaultKind,
    OrderStatus,
    RejectReason,
    SettlementStatus,
    TxnType,
    enum_labels,
    records_to_frame,
)

__all__ = ["RunResult"]


class RunResult:
    """Everything a desk-day produced.

    The record arrays (``result.records["fills"]`` …) are what the kernels wrote; the
    properties below are readable DataFrames built from them on first access, with
    instrument symbols, currency codes and enum labels instead of codes.

    Attributes
    ----------
    config : SimulationConfig
    seed : int
    market : MarketData
    records : dict of str to ndarray
        ``orders``, ``events``, ``fills``, ``positions`` (at the last close),
        ``eod_positions`` (every day's close), ``pnl``, ``settlements``, ``ledger`` and
        ``breaks`` record arrays.
    trade_dates : datetime64[D] ndarray
        The business days the run covered.
    timings : dict of str to float
        Seconds spent in each stage of the run.
    """

    def __init__(self, *, config: SimulationConfig, seed: int, market: MarketData,
                 records: dict[str, np.ndarray], timings: dict[str, float] | None = None,
                 trade_dates: np.ndarray | None = None) -> None:
        self.config = config
        self.trade_dates = np.atleast_1d(market.trade_date if trade_dates is None else trade_dates)
        self.seed = seed
        self.market = market
        self.records = records
        self.timings = dict(timings or {})

    def __repr__(self) -> str:
        r = self.records
        return (f"<RunResult trade_dates={self.trade_dates[0]}..{self.trade_dates[-1]} seed={self.seed} "
                f"orders={len(r['orders'])} fills={len(r['fills'])} breaks={len(r['breaks'])}>")

    # ----------------------------------------------------------------- helpers
    @property
    def instruments(self) -> pd.DataFrame:
        """The instrument table."""
        return self.market.instruments

    @property
    def base_currency(self) -> str:
        return self.config.market.base_currency

    def _symbols(self, ids: np.ndarray) -> pd.Categorical:
        symbols = list(self.market.instruments["symbol"])
        return pd.Categorical.from_codes(np.asarray(ids, np.int64), categories=symbols)

    def _currencies(self, ids: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(np.asarray(ids, np.int64), categories=list(self.market.currencies))

    def _frame(self, name: str, **enum_overrides) -> pd.DataFrame:
        df = records_to_frame(self.records[name], enum_fields={**ENUM_FIELDS, **enum_overrides})
        if "instrument" in df:
            df["instrument"] = self._symbols(df["instrument"].to_numpy())
        return df

    # ----------------------------------------------------------------- tables
    @cached_property
    def orders(self) -> pd.DataFrame:
        """Every client order with its final status and reject reason."""
        return self._frame("orders")

    @cached_property
    def order_events(self) -> pd.DataFrame:
        """Order lifecycle events (accepted, rejected, filled, expired) in time order."""
        return self._frame("events", kind=EventKind)

    @cached_property
    def fills(self) -> pd.DataFrame:
        """Executions: ``fill_id, order_id, ts, book, instrument, side, qty, price, fee`` and more."""
        df = self._frame("fills")
        ccy = self.market.instruments["currency_id"].to_numpy()[self.records["fills"]["instrument"]]
        df["currency"] = self._currencies(ccy)
        return df

    @cached_property
    def positions(self) -> pd.DataFrame:
        """Positions at the last close per book and instrument that traded, in the instrument's currency."""
        return self._positions("positions")

    @cached_property
    def eod_positions(self) -> pd.DataFrame:
        """Positions at every day's close (``trade_date`` column), cumulative P&L since the run began."""
        return self._positions("eod_positions")

    def _positions(self, name: str) -> pd.DataFrame:
        rec = self.records[name]
        rec = rec[rec["n_fills"] > 0]
        df = records_to_frame(rec)
        df["instrument"] = self._symbols(rec["instrument"])
        df["currency"] = self._currencies(self.market.instruments["currency_id"].to_numpy()[rec["instrument"]])
        df["total_pnl"] = df["realized_pnl"] + df["unrealized_pnl"] - df["fees"]
        return df.reset_index(drop=True)

    @cached_property
    def pnl(self) -> pd.DataFrame:
        """P&L and exposure snapshots per book in the base currency, indexed by UTC time."""
        df = records_to_frame(self.records["pnl"])
        return df.set_index("ts")

    @cached_property
    def settlements(self) -> pd.DataFrame:
        """Settlement instructions: ``fill_id, settle_date, status`` and the cash and securities legs."""
        df = self._frame("settlements", status=SettlementStatus)
        df["currency"] = self._currencies(self.records["settlements"]["currency"])
        if "settled_date" in df:
            df["settled_date"] = _dates_or_nat(self.records["settlements"]["settled_date"])
        return df

    @cached_property
    def ledger(self) -> pd.DataFrame:
        """Ledger postings: ``txn_id, account, asset, amount`` (cash in minor units)."""
        rec = self.records["ledger"]
        df = records_to_frame(rec)
        symbols = np.asarray(self.market.instruments["symbol"], dtype=object)
        ccys = np.asarray(self.market.currencies, dtype=object)
        asset = np.where(rec["asset_is_cash"], ccys[np.where(rec["asset_is_cash"], rec["asset"], 0)],
                         symbols[np.where(rec["asset_is_cash"], 0, rec["asset"])])
        owner_prefix = np.where(np.isin(rec["account_kind"], [AccountKind.CPTY_CASH, AccountKind.CPTY_SECURITIES]),
                                "cpty", "book")
        kind_names = np.array([k.name for k in AccountKind], dtype=object)
        df["account"] = (kind_names[rec["account_kind"]] + ":" + owner_prefix.astype(object)
                         + rec["owner"].astype(str).astype(object))
        df["asset"] = pd.Categorical(asset)
        cols = ["posting_id", "txn_id", "fill_id", "ts", "account", "account_kind", "owner", "asset",
                "asset_is_cash", "amount"]
        if "txn_type" in rec.dtype.names:
            df["txn_type"] = enum_labels(rec["txn_type"], TxnType)
            df["value_date"] = _dates_or_nat(rec["value_date"])
            cols += ["txn_type", "value_date", "instruction_id"]
        return df[cols]

    @cached_property
    def breaks(self) -> pd.DataFrame:
        """Reconciliation breaks: ``kind, fill_id`` and both offices' values."""
        rec = self.records["breaks"]
        df = records_to_frame(rec, enum_fields={"kind": BreakKind})
        symbols = np.asarray(self.market.instruments["symbol"], dtype=object)
        df["instrument"] = np.where(rec["instrument"] >= 0, symbols[np.maximum(rec["instrument"], 0)], None)
        ccys = np.asarray(self.market.currencies, dtype=object)
        df["currency"] = np.where(rec["currency"] >= 0, ccys[np.maximum(rec["currency"], 0)], None)
        if "account_kind" in df:
            df["account_kind"] = _optional_labels(rec["account_kind"], AccountKind)
            df["first_seen"] = pd.to_datetime(rec["first_seen"], unit="D")
        return df

    # ----------------------------------------------------------------- back office
    def _back(self, name: str, **enums) -> pd.DataFrame:
        rec = self.records[name]
        df = records_to_frame(rec, enum_fields=enums, date_fields=())
        for col in df.columns:
            if col in ("trade_date", "settle_date", "as_of", "settled_date", "resolved_date", "our_settle_date",
                       "their_settle_date", "value_date"):
                df[col] = _dates_or_nat(rec[col])
            elif col in ("ts", "ts_booked"):
                df[col] = pd.to_datetime(rec[col], unit="ns", utc=True)
        if "instrument" in df:
            df["instrument"] = self._symbols(rec["instrument"]) if (rec["instrument"] >= 0).all() else \
                np.where(rec["instrument"] >= 0, np.asarray(self.market.instruments["symbol"], dtype=object)[
                    np.maximum(rec["instrument"], 0)], None)
        if "currency" in df:
            df["currency"] = np.where(rec["currency"] >= 0, np.asarray(self.market.currencies, dtype=object)[
                np.maximum(rec["currency"], 0)], None)
        return df

    @cached_property
    def confirmations(self) -> pd.DataFrame:
        """One confirmation per fill: our terms, the counterparty's answer and when both sides agreed."""
        return self._back("confirmations", status=ConfirmationStatus)

    @cached_property
    def bookings(self) -> pd.DataFrame:
        """The back office's bookings of the fills (faults injected on the way show here)."""
        return self._back("bookings", side=ENUM_FIELDS["side"])

    @cached_property
    def obligations(self) -> pd.DataFrame:
        """What settles: one row per instruction (gross) or per netted group, with its final state."""
        return self._back("obligations", status=SettlementStatus, fail_reason=FailReason)

    @cached_property
    def settlement_history(self) -> pd.DataFrame:
        """Status of every open obligation at every day's end (settled / partially settled / pending / failed),
        with what settled that day, the fail's reason and age, and the penalty charged."""
        df = self._back("settlement_events", status=SettlementStatus, fail_reason=FailReason)
        ob = self.records["obligations"]
        o = ob[self.records["settlement_events"]["obligation_id"] - (ob["obligation_id"][0] if len(ob) else 0)]
        df.insert(2, "book", o["book"])
        df.insert(3, "counterparty", o["counterparty"])
        df.insert(4, "instrument", self._symbols(o["instrument"]))
        df.insert(5, "currency", self._currencies(o["currency"]))
        return df

    @cached_property
    def statements(self) -> pd.DataFrame:
        """Custodian (securities) and nostro (cash) statement lines per book per day."""
        return self._back("statements", account_kind=AccountKind)

    @cached_property
    def faults(self) -> pd.DataFrame:
        """Faults the run injected between front and back office, and the break kind each should raise."""
        df = self._back("faults", kind=FaultKind)
        df["account_kind"] = _optional_labels(self.records["faults"]["account_kind"], AccountKind)
        df["expected_break"] = pd.Categorical([FAULT_BREAK_KIND[FaultKind(k)].name for k in self.records["faults"]
                                               ["kind"]], categories=[k.name for k in BreakKind])
        return df

    def fault_detection(self) -> dict[str, float | int]:
        """Precision and recall of the run's breaks against the faults it injected."""
        from tradeflow.back.faults import fault_detection
        return fault_detection(self.records["faults"], self.records["breaks"])

    @cached_property
    def explain(self) -> pd.DataFrame:
        """Daily P&L explain per book (base currency): new trades, market move, fees, penalties, FX, residual."""
        return self._back("explain")

    @cached_property
    def trial_balance(self) -> pd.DataFrame:
        """Every ledger account's balance (``debit`` / ``credit``) at the end of the run.

        See :meth:`trial_balance_as_of` for any other day.
        """
        return self.trial_balance_as_of()

    def trial_balance_as_of(self, as_of=None) -> pd.DataFrame:
        """Every ledger account's balance (``debit`` / ``credit``) at the end of ``as_of`` (default: the last day).

        Each asset's balances sum to zero when the books balance.
        """
        from tradeflow.back.ledger import trial_balance
        day = None if as_of is None else int(np.datetime64(as_of, "D").astype(np.int64))
        tb = trial_balance(self.records["ledger"], as_of_date=day, by_account=True)
        symbols = np.asarray(self.market.instruments["symbol"], dtype=object)
        ccys = np.asarray(self.market.currencies, dtype=object)
        cash = tb["asset_is_cash"].to_numpy()
        tb["asset"] = np.where(cash, ccys[np.where(cash, tb["asset"], 0)], symbols[np.where(cash, 0, tb["asset"])])
        tb["account_kind"] = enum_labels(tb["account_kind"].to_numpy(), AccountKind)
        return tb[["account_kind", "owner", "asset", "asset_is_cash", "debit", "credit", "amount"]]

    def prices(self, field: str = "mid") -> pd.DataFrame:
        """Simulated quotes (``mid``, ``bid`` or ``ask``), one column per symbol."""
        return self.market.prices_frame(field)

    # ----------------------------------------------------------------- summary
    def summary_tables(self) -> dict[str, pd.DataFrame | pd.Series]:
        """The summary as tables: orders by status, rejects by reason, P&L by book,
        settlements by status, breaks by kind."""
        def count(codes: np.ndarray, enum) -> pd.Series:
            s = pd.Series(enum_labels(codes, enum)).value_counts(sort=False)
            return s.rename("count")

        rec = self.records
        orders = rec["orders"]
        rejected = orders[orders["status"] == OrderStatus.REJECTED]
        reasons = count(rejected["reject_reason"], RejectReason).drop("NONE", errors="ignore")
        last = rec["pnl"][rec["pnl"]["ts"] == rec["pnl"]["ts"].max()] if len(rec["pnl"]) else rec["pnl"]
        pnl = pd.DataFrame({c: last[c] for c in ("book", "realized_pnl", "unrealized_pnl", "fees", "total_pnl",
                                                 "gross_exposure")}).set_index("book")
        if len(pnl):
            pnl.loc["desk"] = pnl.sum()
        return {
            "orders_by_status": count(orders["status"], OrderStatus),
            "rejects_by_reason": reasons[reasons > 0],
            "pnl_by_book": pnl,
            "settlements_by_status": count(rec["settlements"]["status"], SettlementStatus),
            "breaks_by_kind": count(rec["breaks"]["kind"], BreakKind),
            **self._back_summary(count),
        }

    def _back_summary(self, count) -> dict[str, pd.DataFrame | pd.Series]:
        rec = self.records
        if "settlement_events" not in rec:
            return {}
        ev = rec["settlement_events"]
        fails = ev[np.isin(ev["status"], [SettlementStatus.FAILED, SettlementStatus.PARTIALLY_SETTLED])]
        return {
            "confirmations_by_status": count(rec["confirmations"]["status"], ConfirmationStatus),
            "fails_by_reason": count(fails["fail_reason"], FailReason).drop("NONE", errors="ignore"),
            "faults_by_kind": count(rec["faults"]["kind"], FaultKind),
        }

    def summary(self) -> str:
        """A short text report of the run."""
        t = self.summary_tables()
        rec = self.records
        lines = [
            f"tradeflow desk {_dates(self.trade_dates)}  seed={self.seed}  "
            f"instruments={self.market.n_instruments}  books={self.config.flow.n_books}",
            f"orders {len(rec['orders']):,}   fills {len(rec['fills']):,}   "
            f"ledger postings {len(rec['ledger']):,}   breaks {len(rec['breaks']):,}",
            "",
            "Orders by status",
            _indent(t["orders_by_status"].to_string()),
            "",
            "Rejects by reason",
            _indent(t["rejects_by_reason"].to_string() if len(t["rejects_by_reason"]) else "none"),
            "",
            f"P&L by book ({self.base_currency}, at the close)",
            _indent(t["pnl_by_book"].to_string(float_format=lambda v: f"{v:,.2f}")),
            "",
            "Settlements by status",
            _indent(t["settlements_by_status"].to_string()),
            "",
            "Breaks by kind",
            _indent(_nonzero(t["breaks_by_kind"])),
        ]
        if "settlement_events" in rec:
            ev, ob = rec["settlement_events"], rec["obligations"]
            due = ev[ev["status"] != SettlementStatus.PENDING]
            failed = np.isin(due["status"], [SettlementStatus.FAILED, SettlementStatus.PARTIALLY_SETTLED])
            lines += [
                "",
                f"Back office: {len(ob):,} obligations ({self.config.settlement.netting})   settlement attempts "
                f"{len(due):,}   failed {failed.mean() if len(due) else 0.0:.1%}   oldest fail "
                f"{int(ev['fail_days'].max()) if len(ev) else 0} days   penalties (minor units, + paid) "
                f"{int(ob['penalties'].sum()):,}",
                f"Confirmations unmatched at first answer {int((rec['confirmations']['status'] != 0).sum()):,}"
                f"   faults injected {len(rec['faults']):,}" + (
                    "   found: precision {precision:.2f} recall {recall:.2f}".format(**self.fault_detection())
                    if len(rec["faults"]) else ""),
                "Fails by reason",
                _indent(_nonzero(t["fails_by_reason"]) if len(t["fails_by_reason"]) else "none"),
            ]
        if self.timings:
            lines += ["", "Timings (s): " + ", ".join(f"{k} {v:.3f}" for k, v in self.timings.items())]
        return "\n".join(lines)

    # ----------------------------------------------------------------- persistence
    def to_parquet(self, path) -> Path:
        """Write the run to a Parquet run store (atomically); see :mod:`tradeflow.store`."""
        from tradeflow.store import write_run
        return write_run(self, path)

    @classmethod
    def from_parquet(cls, path) -> RunResult:
        """Load a run written by :meth:`to_parquet`; its DataFrames equal the original's."""
        from tradeflow.store import read_run
        return read_run(path)

    def to_dict(self) -> dict[str, Any]:
        """Headline numbers of the run, for logs and comparisons."""
        t = self.summary_tables()
        pnl = t["pnl_by_book"]
        return {
            "seed": self.seed,
            "orders": int(len(self.records["orders"])),
            "fills": int(len(self.records["fills"])),
            "rejects": int(t["rejects_by_reason"].sum()),
            "breaks": int(len(self.records["breaks"])),
            "desk_pnl": float(pnl.loc["desk", "total_pnl"]) if len(pnl) else 0.0,
        }


def _dates_or_nat(days: np.ndarray) -> pd.Series:
    """Days since epoch as dates; -1 (not yet) as NaT."""
    d = np.asarray(days, np.int64)
    return pd.Series(pd.to_datetime(np.where(d >= 0, d, 0), unit="D")).where(d >= 0).reset_index(drop=True)


def _optional_labels(codes: np.ndarray, enum) -> pd.Categorical:
    """Enum labels where ``codes`` >= 0, missing where -1."""
    codes = np.asarray(codes, np.int64)
    labels = np.asarray(enum_labels(np.where(codes >= 0, codes, int(list(enum)[0])), enum), dtype=object)
    return pd.Categorical(np.where(codes >= 0, labels, None), categories=[m.name for m in enum])


def _dates(days: np.ndarray) -> str:
    return str(days[0]) if len(days) == 1 else f"{days[0]}..{days[-1]} ({len(days)} business days)"


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _nonzero(s: pd.Series) -> str:
    s = s[s > 0]
    return s.to_string() if len(s) else "none"
