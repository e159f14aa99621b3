"""The back office's tables of a run: settlement, ledger, confirmations, statements, faults, breaks, explain."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from tradeflow.results._frames import dates_or_nat
from tradeflow.results._office import OfficeView
from tradeflow.schema import (
    FAULT_BREAK_KIND,
    AccountKind,
    BreakKind,
    FaultKind,
    TxnType,
    enum_labels,
    optional_labels,
    records_to_frame,
    table,
)

__all__ = ["BackTables"]

_BACK_DATES = ("trade_date", "settle_date", "as_of", "settled_date", "resolved_date", "our_settle_date",
               "their_settle_date", "value_date")


def _small_unique(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` for int64 keys; without a sort when their range is small."""
    if keys.size == 0:
        return keys, np.zeros(0, np.int64)
    lo, hi = int(keys.min()), int(keys.max())
    if hi - lo > 4 * keys.size + 1024:
        return np.unique(keys, return_inverse=True)
    present = np.zeros(hi - lo + 1, bool)
    present[keys - lo] = True
    rank = np.cumsum(present) - 1
    return np.flatnonzero(present) + lo, rank[keys - lo]


class BackTables(OfficeView):
    """``result.back``: booking, confirmation, settlement, the ledger and reconciliation."""

    office = "back"

    def _back(self, name: str) -> pd.DataFrame:
        r = self._result
        rec = r.records[name]
        df = records_to_frame(rec, enum_fields={k: v for k, v in table(name).enums.items()
                                                if k not in table(name).nullable}, date_fields=())
        for col in df.columns:
            if col in _BACK_DATES:
                df[col] = dates_or_nat(rec[col])
            elif col in ("ts", "ts_booked"):
                df[col] = pd.to_datetime(rec[col], unit="ns", utc=True)
        if "instrument" in df:
            df["instrument"] = r._symbols_or_none(rec["instrument"])
        if "currency" in df:
            df["currency"] = r._currencies_or_none(rec["currency"])
        return df

    @cached_property
    def settlements(self) -> pd.DataFrame:
        """Settlement instructions: ``fill_id, settle_date, status`` and the cash and securities legs."""
        r = self._result
        df = r._frame("settlements")
        df["currency"] = r._currencies(self.records["settlements"]["currency"])
        if "settled_date" in df:
            df["settled_date"] = dates_or_nat(self.records["settlements"]["settled_date"])
        return df

    @cached_property
    def ledger(self) -> pd.DataFrame:
        """Ledger postings: ``txn_id, account, asset, amount`` (cash in minor units)."""
        r = self._result
        rec = self.records["ledger"]
        df = records_to_frame(rec, table="ledger")
        symbols = np.asarray(r.market.instruments["symbol"], dtype=object)
        ccys = np.asarray(r.market.currencies, dtype=object)
        # labels are built once per distinct account / asset (a few hundred), not per posting
        cash = rec["asset_is_cash"].astype(np.int64)
        uniq, inv = _small_unique(rec["asset"].astype(np.int64) * 2 + cash)
        names = np.where(uniq % 2 == 1, ccys[np.where(uniq % 2 == 1, uniq // 2, 0)],
                         symbols[np.where(uniq % 2 == 1, 0, uniq // 2)]).astype(object)
        cats, at = np.unique(names.astype(str), return_inverse=True)  # sorted, as pd.Categorical(values) orders them
        df["asset"] = pd.Categorical.from_codes(at[inv] if inv.size else np.zeros(0, np.int64), categories=cats)
        n_kinds = len(AccountKind)
        kind = rec["account_kind"].astype(np.int64)
        uniq, inv = _small_unique(rec["owner"].astype(np.int64) * n_kinds + kind)
        kind_names = np.array([k.name for k in AccountKind], dtype=object)
        cpty = np.isin(uniq % n_kinds, [AccountKind.CPTY_CASH, AccountKind.CPTY_SECURITIES])
        labels = [f"{kind_names[k]}:{'cpty' if c else 'book'}{o}"
                  for k, c, o in zip((uniq % n_kinds).tolist(), cpty.tolist(), (uniq // n_kinds).tolist(), strict=True)]
        df["account"] = pd.array(labels, dtype="str").take(inv) if inv.size else pd.array([], dtype="str")
        cols = ["posting_id", "txn_id", "fill_id", "ts", "account", "account_kind", "owner", "asset",
                "asset_is_cash", "amount"]
        if "txn_type" in rec.dtype.names:
            df["txn_type"] = enum_labels(rec["txn_type"], TxnType)
            df["value_date"] = dates_or_nat(rec["value_date"])
            cols += ["txn_type", "value_date", "instruction_id"]
        return df[cols]

    @cached_property
    def breaks(self) -> pd.DataFrame:
        """Reconciliation breaks: ``kind, fill_id`` and both offices' values."""
        r = self._result
        rec = self.records["breaks"]
        df = records_to_frame(rec, enum_fields={"kind": BreakKind})
        df["instrument"] = r._symbols_or_none(rec["instrument"], always_object=True)
        df["currency"] = r._currencies_or_none(rec["currency"])
        if "account_kind" in df:
            df["account_kind"] = optional_labels(rec["account_kind"], AccountKind)
            df["first_seen"] = pd.to_datetime(rec["first_seen"], unit="D")
        return df

    @cached_property
    def confirmations(self) -> pd.DataFrame:
        """One confirmation per fill: our terms, the counterparty's answer and when both sides agreed."""
        return self._back("confirmations")

    @cached_property
    def bookings(self) -> pd.DataFrame:
        """The back office's bookings of the fills (faults injected on the way show here)."""
        return self._back("bookings")

    @cached_property
    def obligations(self) -> pd.DataFrame:
        """What settles: one row per instruction (gross) or per netted group, with its final state."""
        return self._back("obligations")

    @cached_property
    def settlement_history(self) -> pd.DataFrame:
        """Status of every open obligation at every day's end (settled / partially settled / pending / failed),
        with what settled that day, the fail's reason and age, and the penalty charged."""
        r = self._result
        df = self._back("settlement_events")
        ob = self.records["obligations"]
        o = ob[self.records["settlement_events"]["obligation_id"] - (ob["obligation_id"][0] if len(ob) else 0)]
        df.insert(2, "book", o["book"])
        df.insert(3, "counterparty", o["counterparty"])
        df.insert(4, "instrument", r._symbols(o["instrument"]))
        df.insert(5, "currency", r._currencies(o["currency"]))
        return df

    @cached_property
    def statements(self) -> pd.DataFrame:
        """Custodian (securities) and nostro (cash) statement lines per book per day."""
        return self._back("statements")

    @cached_property
    def faults(self) -> pd.DataFrame:
        """Faults the run injected between front and back office, and the break kind each should raise."""
        df = self._back("faults")
        kinds = self.records["faults"]["kind"]
        df["account_kind"] = optional_labels(self.records["faults"]["account_kind"], AccountKind)
        df["expected_break"] = pd.Categorical([FAULT_BREAK_KIND[FaultKind(k)].name for k in kinds],
                                              categories=[k.name for k in BreakKind])
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
        r = self._result
        day = None if as_of is None else int(np.datetime64(as_of, "D").astype(np.int64))
        tb = trial_balance(self.records["ledger"], as_of_date=day, by_account=True)
        symbols = np.asarray(r.market.instruments["symbol"], dtype=object)
        ccys = np.asarray(r.market.currencies, dtype=object)
        cash = tb["asset_is_cash"].to_numpy()
        tb["asset"] = np.where(cash, ccys[np.where(cash, tb["asset"], 0)], symbols[np.where(cash, 0, tb["asset"])])
        tb["account_kind"] = enum_labels(tb["account_kind"].to_numpy(), AccountKind)
        return tb[["account_kind", "owner", "asset", "asset_is_cash", "debit", "credit", "amount"]]
