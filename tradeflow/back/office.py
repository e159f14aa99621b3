"""The back office of a run: one object that books, confirms, settles and reconciles day after day."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tradeflow.back import nb as _kernels
from tradeflow.back.confirmations import confirm_trades
from tradeflow.back.custodian import Custodian
from tradeflow.back.explain import OptionTerms, explain_day
from tradeflow.back.faults import book_trades, corrupt_statements
from tradeflow.back.ledger import book_fills, post_buy_ins, post_penalties, post_settlements
from tradeflow.back.netting import fold_into_open, net_obligations
from tradeflow.back.recon import Reconciler, reconcile
from tradeflow.back.settlement import N_SETTLEMENT_DRAWS, settle_day, settlement_instructions
from tradeflow.config import SimulationConfig
from tradeflow.core.records import RecordLog, as_bytes, concat_records, count_distinct, take_records
from tradeflow.core.time import NS_PER_DAY
from tradeflow.market.calendar import BusinessCalendar, SettlementCycles
from tradeflow.market.paths import MarketData
from tradeflow.schema import (
    BOOKING_DT,
    CONFIRMATION_DT,
    FILL_DT,
    LEDGER_DT,
    OBLIGATION_DT,
    SETTLEMENT_DT,
    TABLES,
    SettlementStatus,
)

__all__ = ["BackOffice", "BACK_OFFICE_RECORDS"]

# Record kinds the back office adds to a run, with their dtypes (from the data model's registry).
BACK_OFFICE_RECORDS = {name: t.dtype for name, t in TABLES.items() if t.office == "back"}


# terminal statuses: the settlement run attempts an obligation until it is in one of them
_CLOSED = np.array([SettlementStatus.SETTLED, SettlementStatus.BOUGHT_IN], np.int8)
# the tables written into record logs (sized for the run) as the days go; the others gather a part a day
_LOGGED = ("ledger", "bookings", "confirmations", "settlements", "obligations", "settlement_events")


class BackOffice:
    """Books, confirms, settles and reconciles a run's fills one business day at a time.

    Each day (:meth:`process_day`): the day's fills reach the back office as bookings
    (with any configured faults), are confirmed with their counterparties, become
    settlement instructions and (netted) obligations and are posted to the ledger at
    trade date; then every open obligation is attempted (settle / partial / fail,
    penalties), settlements post to the ledger, the custodian and nostro send their
    statements, and the end-of-day reconciliation and P&L explain run.

    Parameters
    ----------
    config : SimulationConfig
    market : MarketData
        Any session of the run (for the instrument table and currencies).
    calendar : BusinessCalendar
    rngs : dict of str to numpy.random.Generator
        The ``settlement``, ``custodian``, ``confirmation`` and ``faults`` streams.

    Notes
    -----
    The end-of-day reconciliation is incremental (:class:`~tradeflow.back.recon.Reconciler`):
    a day costs O(that day's activity), not O(the run so far). Setting the class attribute
    ``incremental_recon = False`` re-runs :func:`~tradeflow.back.recon.reconcile` over the
    whole run each day instead (same breaks; for checking).
    """

    incremental_recon: bool = True

    def __init__(self, config: SimulationConfig, market: MarketData, calendar: BusinessCalendar,
                 rngs: dict[str, np.random.Generator]) -> None:
        self.cfg = config
        self.calendar = calendar
        self.cycles = SettlementCycles(config.settlement.cycles)
        self.rngs = rngs
        self.instruments = market.instruments
        self.currencies = tuple(market.currencies)
        self.n_books = config.flow.n_books
        self.n_inst = len(self.instruments)
        self.ccy_scale = np.array([10.0 ** config.back.minor_units[c] for c in self.currencies])
        self.inst_ccy = self.instruments["currency_id"].to_numpy(np.int64)
        self.inst_scale = self.ccy_scale[self.inst_ccy]
        self.tick = self.instruments["tick_size"].to_numpy(np.float64)
        # contract multipliers: cash is qty x price x multiplier everywhere in the back office (fees as given)
        self.inst_mult = (self.instruments["multiplier"].to_numpy(np.float64) if "multiplier" in self.instruments
                          else np.ones(self.n_inst))
        scfg = config.settlement
        asset_class = self.instruments["asset_class"].to_numpy(object)
        self.inst_penalty_bps = np.array([
            float(scfg.penalty_bps.get(asset_class[i], 0.0)) if self.currencies[self.inst_ccy[i]] in
            scfg.penalty_currencies else 0.0 for i in range(self.n_inst)])
        self.ccy_fail_rate = np.array([scfg.fail_rates.get(c, scfg.default_fail_rate) for c in self.currencies])
        self.borrow = scfg.borrow_units(list(self.instruments["symbol"]))
        # CSDR mandatory buy-in: the extension period of each instrument in its market (-1: never bought in)
        self.inst_buy_in_after = np.array([
            int(scfg.buy_in_extension_days.get(asset_class[i], -1)) if self.currencies[self.inst_ccy[i]] in
            scfg.buy_in_currencies else -1 for i in range(self.n_inst)], np.int64)
        self.custodian = Custodian(self.n_books, self.n_inst, len(self.currencies))
        self.parts: dict[str, list[np.ndarray]] = {k: [] for k in BACK_OFFICE_RECORDS if k not in _LOGGED}
        days = config.days
        # matched_on: the day all of an obligation's trades are agreed with the counterparty
        self.logs = {name: RecordLog(dt, expected_appends=days * (2 if name == "ledger" else 1)) for name, dt in (
            ("ledger", LEDGER_DT), ("bookings", BOOKING_DT), ("confirmations", CONFIRMATION_DT), ("fills", FILL_DT),
            ("fx", np.dtype(np.float64)), ("settlements", SETTLEMENT_DT), ("obligations", OBLIGATION_DT),
            ("fill_of", np.dtype(np.int64)), ("matched_on", np.dtype(np.int64)),
            ("settlement_events", BACK_OFFICE_RECORDS["settlement_events"]))}
        self.n_txn = self.n_post = self.n_booking = self.n_confirm = 0
        self._open_breaks: dict[tuple, int] = {}
        self._open_obl = np.zeros(0, np.int64)  # obligations (and instructions) not settled yet
        self._open_instr = np.zeros(0, np.int64)
        self.reconciler = Reconciler(n_books=self.n_books, instrument_ccy=self.inst_ccy, minor_scale_ccy=self.ccy_scale,
                                     tolerance_minor=config.back.pnl_tolerance_minor,
                                     booking_cutoff_ns=config.back.booking_cutoff_ns, multiplier=self.inst_mult)
        self._prev: tuple | None = None
        # the option rows of the instrument table, read once (a pandas take per day allocated a frame)
        self._options = OptionTerms.from_table(self.instruments, prev_close_ns=0, close_ns=0,
                                               session_close_ns=config.market.session_close_ns)

    # ---------------------------------------------------------------- one day
    def process_day(self, day: np.datetime64, fills: np.ndarray, positions: np.ndarray, market: MarketData) -> None:
        """Run the back office for ``day`` on its ``fills`` and the front office's closing ``positions``."""
        cfg = self.cfg
        d = int(np.datetime64(day, "D").astype(np.int64))
        inst = fills["instrument"]
        fill_fx = market.fx[self.inst_ccy[inst], market.step_of(fills["ts"])] if fills.shape[0] else np.zeros(0)
        start = {k: self.logs[k].n for k in ("ledger", "settlements", "confirmations")}
        self.logs["fills"].append(fills)
        self.logs["fx"].append(fill_fx, take=True)

        # bookings (faults injected here) and their trade-date postings
        bookings, faults = book_trades(
            fills, fill_fx, cfg.faults, self.rngs["faults"], as_of=d, n_books=self.n_books,
            cutoff_ts=d * NS_PER_DAY + cfg.back.booking_cutoff_ns, tick_size=self.tick,
            minor_scale=self.inst_scale, instrument_ccy=self.inst_ccy, first_booking_id=self.n_booking)
        self.n_booking += bookings.shape[0]
        self.logs["bookings"].append(bookings, take=True)
        self.parts["faults"].append(faults)
        trade_ledger = book_fills(bookings, self.inst_ccy, self.inst_scale, first_txn_id=self.n_txn,
                                  first_posting_id=self.n_post, value_date=d, multiplier=self.inst_mult)
        self._post(trade_ledger, bookings.shape[0])

        # instructions, confirmations, obligations
        instr = settlement_instructions(fills, self.instruments, self.currencies, self.calendar, day,
                                        self.inst_scale, first_instruction_id=self.logs["settlements"].n,
                                        cycles=self.cycles)
        conf = confirm_trades(fills, instr["settle_date"], day, cfg.confirmation, self.rngs["confirmation"],
                              tick_size=self.tick, calendar=self.calendar,
                              currencies=[cfg.market.base_currency], first_confirmation_id=self.n_confirm)
        self.n_confirm += conf.shape[0]
        self.logs["confirmations"].append(conf, take=True)
        first_obl = self.logs["obligations"].n
        obl, obl_of = net_obligations(instr, cfg.settlement.netting, first_obligation_id=first_obl)
        if cfg.settlement.netting == "net_all" and self._open_obl.size:  # net with earlier trade dates' obligations
            ob_open, obl, obl_of, folded = fold_into_open(self.logs["obligations"].view[self._open_obl], obl, obl_of,
                                                          as_of=d)
            if folded.size:
                self.logs["obligations"].view[self._open_obl] = ob_open
                self.logs["fill_of"].view[ob_open["obligation_id"][folded]] = -1
        instr["obligation_id"] = obl_of
        new = obl_of >= first_obl
        fill_of = np.full(obl.shape[0], -1, np.int64)
        fill_of[obl_of[new] - first_obl] = fills["fill_id"][new]
        fill_of[obl["n_instructions"] != 1] = -1
        matched = np.full(obl.shape[0], d, np.int64)
        np.maximum.at(matched, obl_of[new] - first_obl, conf["resolved_date"][new])
        if not new.all():
            np.maximum.at(self.logs["matched_on"].view, obl_of[~new], conf["resolved_date"][~new])
        for name, rec in (("settlements", instr), ("obligations", obl), ("fill_of", fill_of), ("matched_on", matched)):
            self.logs[name].append(rec, take=True)

        # the settlement run: only obligations still open are attempted (O(open), not O(run so far))
        ob_all = self.logs["obligations"].view
        fill_of_obligation = self.logs["fill_of"].view
        self._open_obl = np.r_[self._open_obl, np.arange(first_obl, ob_all.shape[0])]
        self._open_instr = np.r_[self._open_instr, np.arange(self.logs["settlements"].n - instr.shape[0],
                                                             self.logs["settlements"].n)]
        # each market settles on its own CSD's business days: obligations of a closed CSD wait (no attempt,
        # no fail day, no penalty, no buy-in clock)
        csd_open = np.array([bool(self.calendar.is_business_day(day, [c])) for c in self.currencies])
        open_all = self._open_obl
        attempt = open_all[csd_open[ob_all["currency"][open_all]]]
        # usually a run of consecutive obligations (all of them on a run's first day): settle a view in place
        in_place = attempt.size > 0 and bool(np.all(np.diff(attempt) == 1))
        # whole records as bytes (a structured fancy index copies field by field: 14 ms a day from day 3 on)
        ob = ob_all[attempt[0]:attempt[-1] + 1] if in_place else take_records(ob_all, attempt)
        scfg = cfg.settlement
        rate = self.ccy_fail_rate[ob["currency"]]
        for cpty, r in scfg.counterparty_fail_rates.items():
            rate = np.where(ob["counterparty"] == cpty, r, rate)
        marks = market.mid[:, -1]
        events = settle_day(ob, d, fail_rate=rate, cause_weights=scfg.fail_cause_weights(),
                            partial_settlement=scfg.partial_settlement, partial_share=scfg.partial_share,
                            unmatched=self.logs["matched_on"].view[attempt] > d,
                            penalty_bps=self.inst_penalty_bps[ob["instrument"]],
                            close_price=(marks * self.inst_mult)[ob["instrument"]],
                            minor_scale=self.ccy_scale[ob["currency"]],
                            draws=self.rngs["settlement"].random((ob.shape[0], N_SETTLEMENT_DRAWS)),
                            holdings=self.custodian.securities.copy(), borrow=self.borrow,
                            buy_in_after=self.inst_buy_in_after[ob["instrument"]],
                            buy_in_price=(marks * self.inst_mult * (1.0 + scfg.buy_in_premium_bps * 1e-4))[
                                ob["instrument"]])
        if not in_place:
            as_bytes(ob_all)[attempt] = as_bytes(ob)  # back into the log, whole records (23 ms field by field)
        ob = ob_all
        self._open_obl = open_all[~np.isin(ob_all["status"][open_all], _CLOSED)]
        self.logs["settlement_events"].append(events, take=True)
        settle_ledger = post_settlements(events, ob, fill_of_obligation, net_cash=scfg.netting == "net_cash",
                                         as_of=d, first_txn_id=self.n_txn, first_posting_id=self.n_post)
        self._post(settle_ledger, count_distinct(settle_ledger["txn_id"]))
        pen_ledger = post_penalties(events, ob, fill_of_obligation, as_of=d, first_txn_id=self.n_txn,
                                    first_posting_id=self.n_post)
        self._post(pen_ledger, pen_ledger.shape[0] // 2)
        buy_in_ledger = post_buy_ins(events, ob, fill_of_obligation, as_of=d, first_txn_id=self.n_txn,
                                     first_posting_id=self.n_post)
        self._post(buy_in_ledger, count_distinct(buy_in_ledger["txn_id"]))
        # open instructions take their obligation's state (every open obligation has an event today)
        instructions = self.logs["settlements"].view
        still_open = np.empty(self._open_instr.shape[0], np.int64)
        n_open = _kernels.instruction_states_nb(instructions, self._open_instr, ob, still_open)
        self._open_instr = still_open[:n_open]

        # the street's statements (errors injected here)
        statements = self.custodian.statement(events, ob, d)
        self.parts["faults"].append(corrupt_statements(statements, cfg.faults.statement_error, self.rngs["custodian"]))
        self.parts["statements"].append(statements)

        # end-of-day reconciliation and explain
        if self.incremental_recon:
            breaks = self.reconciler.day(
                as_of=d, fills=fills, bookings=bookings, fill_fx_rate=fill_fx,
                ledger=self.logs["ledger"].view[start["ledger"]:], settlements=instructions[start["settlements"]:],
                positions=positions, marks=marks,
                confirmations=self.logs["confirmations"].view[start["confirmations"]:], statements=statements)
        else:
            breaks = reconcile(self.logs["fills"].view, positions, self.logs["ledger"].view, instructions,
                               n_books=self.n_books, instrument_ccy=self.inst_ccy, minor_scale_ccy=self.ccy_scale,
                               marks=marks, tolerance_minor=cfg.back.pnl_tolerance_minor, as_of=d,
                               bookings=self.logs["bookings"].view, fill_fx_rate=self.logs["fx"].view,
                               booking_cutoff_ns=cfg.back.booking_cutoff_ns, statements=statements,
                               confirmations=self.logs["confirmations"].view, multiplier=self.inst_mult)
        self._age(breaks, d)
        self.parts["breaks"].append(breaks)
        self._explain(d, fills, positions, market, events)

    def _post(self, ledger: np.ndarray, n_txn: int) -> None:
        self.logs["ledger"].append(ledger, take=True)
        self.n_txn += n_txn
        self.n_post += ledger.shape[0]

    def _age(self, breaks: np.ndarray, d: int) -> None:
        """First-seen date and age of each break, in business days of its market's settlement (CSD)
        calendar: the break's currency, else its instrument's, else the base currency's."""
        keys = list(zip(breaks["kind"].tolist(), breaks["fill_id"].tolist(), breaks["book"].tolist(),
                        breaks["instrument"].tolist(), breaks["currency"].tolist(), breaks["counterparty"].tolist(),
                        breaks["account_kind"].tolist(), strict=True))
        first = np.array([self._open_breaks.get(k, d) for k in keys], np.int64)
        breaks["first_seen"] = first
        ccy = np.asarray(breaks["currency"], np.int64)
        inst = np.asarray(breaks["instrument"], np.int64)
        base = self.currencies.index(self.cfg.market.base_currency) if self.cfg.market.base_currency in \
            self.currencies else -1
        ccy = np.where(ccy >= 0, ccy, np.where(inst >= 0, self.inst_ccy[np.maximum(inst, 0)], base))
        age = np.zeros(first.shape, np.int64)
        start = first.astype("datetime64[D]")
        end = np.full(first.shape, d).astype("datetime64[D]")
        for c in np.unique(ccy):
            k = ccy == c
            hol = self.calendar.holidays([self.currencies[c] if c >= 0 else self.cfg.market.base_currency])
            age[k] = np.busday_count(start[k], end[k], holidays=hol)
        breaks["age_days"] = age
        self._open_breaks = dict(zip(keys, first.tolist(), strict=True))  # a break not seen today is resolved

    def _explain(self, d: int, fills: np.ndarray, positions: np.ndarray, market: MarketData,
                 events: np.ndarray) -> None:
        shape = (self.n_books, self.n_inst)
        qty = np.zeros(shape, np.int64)
        qty[positions["book"], positions["instrument"]] = positions["qty"]
        local = np.zeros(shape)
        local[positions["book"], positions["instrument"]] = (positions["realized_pnl"] + positions["unrealized_pnl"]
                                                             - positions["fees"])
        if self._prev is None:
            self._prev = (np.zeros(shape, np.int64), market.mid[:, 0], market.fx[:, 0], np.zeros(shape),
                          int(market.times[0]))
        prev_qty, prev_marks, prev_fx, prev_local, prev_close = self._prev
        close = int(market.times[-1])
        options = replace(self._options, prev_close_ns=prev_close, close_ns=close)
        charged = np.flatnonzero(events["penalty"])  # adding the others' 0.0 changes no sum
        o = self.logs["obligations"].view[events["obligation_id"][charged]]
        pen = np.zeros((self.n_books, len(self.currencies)))
        np.add.at(pen, (o["book"], o["currency"]), events["penalty"][charged] / self.ccy_scale[o["currency"]])
        self.parts["explain"].append(explain_day(
            trade_date=d, fills=fills, prev_qty=prev_qty, prev_marks=prev_marks, marks=market.mid[:, -1],
            prev_fx=prev_fx, fx=market.fx[:, -1], prev_local_pnl=prev_local, local_pnl=local, penalties=pen,
            instrument_ccy=self.inst_ccy, multiplier=self.inst_mult, options=options))
        self._prev = (qty, market.mid[:, -1], market.fx[:, -1], local, close)

    # ---------------------------------------------------------------- results
    def records(self) -> dict[str, np.ndarray]:
        """Every back-office record array of the run so far (ids renumbered where they are per day)."""
        out = {k: self.logs[k].final() if k in _LOGGED else concat_records(self.parts[k], dt)
               for k, dt in BACK_OFFICE_RECORDS.items()}
        out["faults"]["fault_id"] = np.arange(out["faults"].shape[0])
        out["breaks"]["break_id"] = np.arange(out["breaks"].shape[0])
        return out
