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
    ALGO_PARENT_DT,
    ENUM_FIELDS,
    FAULT_BREAK_KIND,
    NS_PER_DAY,
    AccountKind,
    BreachLevel,
    BreakKind,
    ConfirmationStatus,
    EventKind,
    FailReason,
    FaultKind,
    OrderStatus,
    RejectReason,
    SettlementStatus,
    TradingState,
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
        The seed (for a ``SeedSequence`` seed, its entropy).
    seed_spawn_key : tuple of int
        The ``SeedSequence`` spawn key when the run was seeded with a spawned child (as
        ``run_many`` does); ``SeedSequence(seed, spawn_key=seed_spawn_key)`` reruns it.
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
                 trade_dates: np.ndarray | None = None, seed_spawn_key: tuple[int, ...] = ()) -> None:
        self.config = config
        self.trade_dates = np.atleast_1d(market.trade_date if trade_dates is None else trade_dates)
        self.seed = seed
        self.seed_spawn_key = tuple(int(k) for k in seed_spawn_key)
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

    @property
    def venues(self) -> tuple[str, ...]:
        """The run's venues (MICs) in venue-id order: an order's ``venue`` code indexes this."""
        inst = self.market.instruments
        if "mic" not in inst:
            return ()
        ids = inst["venue_id"].to_numpy(np.int64)
        out = np.empty(int(ids.max()) + 1 if ids.size else 0, dtype=object)
        out[ids] = inst["mic"].to_numpy(object)
        return tuple(out)

    def _venues(self, ids: np.ndarray) -> pd.Categorical | np.ndarray:
        """Venue ids as a categorical of MICs (ids unchanged for a run stored without instrument MICs)."""
        venues = self.venues
        if not venues:
            return np.asarray(ids)
        return pd.Categorical.from_codes(np.asarray(ids, np.int64), categories=list(venues))

    def _frame(self, name: str, **enum_overrides) -> pd.DataFrame:
        df = records_to_frame(self.records[name], enum_fields={**ENUM_FIELDS, **enum_overrides})
        if "instrument" in df:
            df["instrument"] = self._symbols(df["instrument"].to_numpy())
        if "venue" in df:
            df["venue"] = self._venues(df["venue"].to_numpy())
        return df

    # ----------------------------------------------------------------- tables
    @cached_property
    def orders(self) -> pd.DataFrame:
        """Every client order with its final status and reject reason."""
        return self._frame("orders")

    @cached_property
    def parents(self) -> pd.DataFrame:
        """Algo parent orders (TWAP/VWAP) with fills and status derived from their child orders.

        Children are the ``orders`` rows with ``origin == "ALGO_CHILD"`` and this ``parent_id``.
        """
        rec = self.records.get("parents")
        if rec is None:
            rec = np.zeros(0, ALGO_PARENT_DT)
        df = records_to_frame(rec, ts_fields=("ts", "ts_end", "ts_done"))
        df["instrument"] = self._symbols(rec["instrument"])
        return df

    def fix_messages(self, *, sender: str = "TRADEFLOW", target: str = "VENUE") -> list[str]:
        """The run's orders and order events as FIX 4.4 messages (see :func:`tradeflow.front.fix.fix_messages`).

        NewOrderSingle (35=D) or OrderCancelReplaceRequest (35=G) per order and an ExecutionReport
        (35=8) per lifecycle event, SOH-delimited, in time order; algo children carry their parent
        as SecondaryClOrdID (526); orders name their venue's MIC as ExDestination (100), fills as
        LastMkt (30).
        """
        from tradeflow.front.fix import fix_messages

        symbols = list(self.market.instruments["symbol"])
        ccys = list(self._currencies(self.market.instruments["currency_id"].to_numpy()))
        return fix_messages(self.records["orders"], self.records["events"], symbols, ccys,
                            venues=self.venues or None, sender=sender, target=target)

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
        if "venue_id" in self.market.instruments:  # a fill executes where its order went: the listing venue
            venue_id = self.market.instruments["venue_id"].to_numpy()
            df["venue"] = self._venues(venue_id[self.records["fills"]["instrument"]])
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

    # ----------------------------------------------------------------- front office
    @cached_property
    def quotes(self) -> pd.DataFrame:
        """Top of each instrument's venue book on the quote grid (book venue only; empty otherwise)."""
        return self._frame("quotes") if "quotes" in self.records else pd.DataFrame()

    @cached_property
    def executions(self) -> pd.DataFrame:
        """What the venue did with every client order as if sent (rejected orders' executions included)."""
        return self._frame("executions") if "executions" in self.records else pd.DataFrame()

    def stylized_facts(self) -> pd.DataFrame:
        """The stylized facts of this run's market and order flow (:func:`tradeflow.market.stylized.market_facts`).

        Prices are the venue book's mids (the fair price with the quote venue); aggressive
        orders are those with a taker execution. Impact is measured on metaorders (algo
        parents, and each client's runs of same-instrument, same-side orders; see
        :func:`tradeflow.market.stylized.metaorder_impact`): the signed mid move from just
        before a metaorder's first aggressive execution to just after its last, in units of
        daily volatility, against the quantity it took in units of daily volume, pooled over
        instruments and days (no row with the quote venue, which has no impact).
        """
        from tradeflow.market.stylized import market_facts

        return market_facts(self.market, self.records["orders"], self.records.get("executions"),
                            self.records.get("quotes"))

    def _metaorder_impact(self, adjusted: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Metaorder sizes (/ daily volume) and impacts (/ daily volatility) on the venue book's mids."""
        from tradeflow.market.stylized import run_metaorder_impact

        return run_metaorder_impact(self.market, self.records["orders"], self.records["executions"],
                                    self.records["quotes"], adjusted=adjusted)

    @cached_property
    def risk(self) -> pd.DataFrame:
        """Risk snapshots per book (``book`` -1 is the desk): historical VaR/ES 1-day and 10-day,
        exposures, total P&L, drawdown, concentration and trading state; UTC time index, base currency."""
        rec = self.records.get("risk")
        if rec is None:
            from tradeflow.schema import RISK_DT
            rec = np.zeros(0, RISK_DT)
        return records_to_frame(rec).set_index("ts")

    @cached_property
    def breaches(self) -> pd.DataFrame:
        """Limit events: ``ts, book (-1 = desk), limit, level (WARNING/BREACH/CLEARED), value, threshold``
        and the trading state a breach switched the book to (``action``, empty when none)."""
        rec = self.records.get("breaches")
        if rec is None:
            from tradeflow.schema import BREACH_DT
            rec = np.zeros(0, BREACH_DT)
        df = records_to_frame(rec)
        names = np.array([s.name for s in TradingState] + [""], dtype=object)
        df["action"] = pd.Categorical(names[np.where(rec["action"] >= 0, rec["action"], len(names) - 1)])
        return df

    def var_backtest(self, book: int | None = None):
        """Backtest the 1-day historical VaR over the run's days (needs at least two days).

        Each day's realized P&L (change of total P&L from the previous close, base currency)
        is compared with the VaR the risk engine reported at the previous close.

        Parameters
        ----------
        book : int, optional
            A book; the whole desk when omitted.

        Returns
        -------
        tradeflow.middle.backtest.BacktestResult
        """
        from tradeflow.middle.backtest import var_backtest

        risk = self.records.get("risk")
        if risk is None or len(self.trade_dates) < 2:
            raise ValueError("a VaR backtest needs risk records over at least two days")
        rows = risk[risk["book"] == (-1 if book is None else int(book))]
        day = rows["ts"] // NS_PER_DAY
        close = np.flatnonzero(np.r_[day[1:] != day[:-1], True])  # the last snapshot of each day
        total = rows["total_pnl"][close]
        var = rows["var_1d"][close]
        return var_backtest(np.diff(total), var[:-1], level=self.config.risk.var_level)
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
            **self._risk_tables(),
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
            "obligations_by_status": count(rec["obligations"]["status"], SettlementStatus),
        }

    def _risk_tables(self) -> dict[str, pd.DataFrame]:
        risk = self.records.get("risk")
        breaches = self.records.get("breaches")
        out: dict[str, pd.DataFrame] = {}
        if risk is not None and len(risk):
            last = risk[risk["ts"] == risk["ts"].max()]
            df = pd.DataFrame({c: last[c] for c in ("book", "var_1d", "es_1d", "var_10d", "gross_exposure",
                                                    "drawdown")})
            df["book"] = np.where(last["book"] < 0, "desk", last["book"].astype(str))
            peak = pd.Series(risk["var_1d"]).groupby(risk["book"]).max()
            df["max_var_1d"] = peak.reindex(last["book"]).to_numpy()
            out["risk_by_book"] = df.set_index("book")
        if breaches is not None:
            b = breaches[breaches["level"] != BreachLevel.CLEARED]
            frame = records_to_frame(b)
            out["breaches_by_limit"] = (frame.groupby(["limit", "level"], observed=True).size().rename("count")
                                        .reset_index())
        return out

    def summary(self) -> str:
        """A short text report of the run."""
        t = self.summary_tables()
        rec = self.records
        lines = [
            f"tradeflow desk {_dates(self.trade_dates)}  seed={self.seed}"
            f"{'/' + '.'.join(map(str, self.seed_spawn_key)) if self.seed_spawn_key else ''}  "
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
        if "risk_by_book" in t:
            rc = self.config.risk
            lines += ["", f"Risk at the close ({self.base_currency}; historical VaR {rc.var_level:.1%}, "
                      f"ES {rc.es_level:.1%}, {rc.horizon_days}-day by sqrt-time)",
                      _indent(t["risk_by_book"].to_string(float_format=lambda v: f"{v:,.0f}"))]
        if "risk_by_book" in t and len(self.trade_dates) >= 2:
            bt = self.var_backtest()
            lines += ["", f"VaR backtest (desk, {bt.n_days} days): {bt.exceptions} exceptions "
                      f"(expected {bt.expected:.2f}), Kupiec p={bt.kupiec_pvalue:.3f}, "
                      f"Christoffersen cc p={bt.conditional_coverage_pvalue:.3f}, Basel zone {bt.zone}"]
        if "breaches_by_limit" in t:
            bl = t["breaches_by_limit"]
            lines += ["", "Limit warnings and breaches",
                      _indent(bl.to_string(index=False) if len(bl) else "none")]
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
            bought = ob[ob["status"] == SettlementStatus.BOUGHT_IN] if "buy_in_cost" in ob.dtype.names else ob[:0]
            if len(bought):
                lines += [f"Mandatory buy-ins {len(bought):,}   price differences (minor units, + paid) "
                          f"{int(bought['buy_in_compensation'].sum()):,}"]
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

    # ----------------------------------------------------------------- plots (tradeflow/plotting.py)
    # Each draws on ``ax`` (a new figure when None) and returns the axes; matplotlib is
    # imported on first use: pip install "tradeflow[plot]".
    def plot_pnl(self, *, value: str = "total_pnl", ax=None, desk: bool = True):
        """P&L (or exposure: ``value="gross_exposure"``) per book through the run, with the desk total."""
        from tradeflow.plotting import plot_pnl
        return plot_pnl(self.pnl, value=value, ax=ax, desk=desk, currency=self.base_currency)

    def plot_positions(self, *, ax=None, book: int | None = None, instruments=None):
        """Net position per instrument through the run (the desk, or one ``book``)."""
        from tradeflow.plotting import plot_positions
        return plot_positions(self.fills, ax=ax, book=book, instruments=instruments)

    def plot_prices(self, instrument: str | None = None, *, ax=None, fills: bool = True, quotes: bool = True):
        """One instrument's mid and bid/ask with the desk's fills; default: the most traded instrument."""
        from tradeflow.plotting import plot_prices
        f = self.fills
        if instrument is None:
            instrument = (str(f["instrument"].value_counts().index[0]) if len(f)
                          else str(self.instruments["symbol"].iloc[0]))
        if instrument not in set(self.instruments["symbol"]):
            raise ValueError(f"The 'instrument' parameter of plot_prices must be one of "
                             f"{list(self.instruments['symbol'])}. Got {instrument!r} instead.")
        mid = self.prices("mid")[instrument]
        bid, ask = (self.prices("bid")[instrument], self.prices("ask")[instrument]) if quotes else (None, None)
        return plot_prices(mid, bid=bid, ask=ask, fills=f[f["instrument"] == instrument] if fills else None, ax=ax)

    def plot_orders(self, *, freq: str = "30min", ax=None):
        """Order flow: client orders per ``freq`` interval, stacked by final status."""
        from tradeflow.plotting import plot_orders
        return plot_orders(self.orders, freq=freq, ax=ax)

    def plot_settlements(self, *, value: str = "count", ax=None):
        """Settlement instructions by settlement date, stacked by status (as of the end of the run)."""
        from tradeflow.plotting import plot_settlements
        return plot_settlements(self.settlements, value=value, ax=ax)

    def plot_breaks(self, *, ax=None, stack: str | None = None, latest: bool = True):
        """Reconciliation breaks by kind, stacked by age (the last reconciliation's open breaks) or by date."""
        from tradeflow.plotting import plot_breaks
        return plot_breaks(self.breaks, ax=ax, stack=stack, latest=latest)

    def plot_risk(self, *, value: str = "var_1d", es: bool = False, books=None, ax=None):
        """VaR (or ``value``: ``es_1d``, ``var_10d``, ``drawdown`` …) per book and desk through the run,
        with the book and desk limits as lines (VaR and drawdown; ``es=True`` adds the ES dashed)."""
        from tradeflow.plotting import plot_risk
        lim = self.config.limits
        limits = {"var_1d": (lim.book_var, lim.desk_var), "drawdown": (lim.book_drawdown, lim.desk_drawdown),
                  "gross_exposure": (lim.book_gross_exposure, lim.desk_gross_exposure)}.get(value, (None, None))
        drawn = set(self.risk["book"]) if books is None else set(books)
        book_limit = limits[0] if drawn - {-1} else None
        desk_limit = limits[1] if -1 in drawn else None
        return plot_risk(self.risk, value=value, es=es, books=books, book_limit=book_limit, desk_limit=desk_limit,
                         ax=ax, currency=self.base_currency)

    def plot_breaches(self, *, ax=None, limits=None):
        """Limit warnings, breaches and clearances over time at their utilisation (value / limit)."""
        from tradeflow.plotting import plot_breaches
        return plot_breaches(self.breaches, ax=ax, limits=limits, warning_fraction=self.config.limits.warning_fraction)

    def plot_settlement_history(self, *, ax=None):
        """Open obligations at each day's end, stacked by status."""
        from tradeflow.plotting import plot_settlement_history
        return plot_settlement_history(self.settlement_history, ax=ax)

    def plot_fails(self, *, ax=None):
        """Failed obligations at each day's end, stacked by fail reason."""
        from tradeflow.plotting import plot_fails
        return plot_fails(self.settlement_history, ax=ax)

    def plot_penalties(self, *, ax=None):
        """Cumulative settlement penalties per currency over the days (minor units, >0 paid)."""
        from tradeflow.plotting import plot_penalties
        return plot_penalties(self.settlement_history, ax=ax)

    def plot_explain(self, *, book: int | None = None, ax=None):
        """Daily P&L explain of one book (default: the desk): components stacked, total as a marker."""
        from tradeflow.plotting import plot_explain
        return plot_explain(self.explain, book=book, ax=ax, currency=self.base_currency)


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
