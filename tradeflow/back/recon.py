"""Reconciliation: front office against back office and the street, every difference a classified break.

Differences are traced to their root cause first: a trade booked wrong is one trade-level
break (``QTY_MISMATCH``, ``WRONG_BOOK`` ...), and the position and P&L differences it
causes are *explained* by it, so aggregate breaks (``POSITION_MISMATCH``,
``PNL_MISMATCH``) are raised only for what no trade-level break explains.
"""

from __future__ import annotations

import numpy as np

from tradeflow.back import nb as _kernels
from tradeflow.back._recon_breaks import (
    _aggregate_breaks,
    _confirmation_breaks,
    _contributions,
    _ledger_booking_breaks,
    _multiplier,
    _posting_breaks,
    _settlement_breaks,
    _statement_breaks,
    _statement_breaks_held,
    _trade_balances,
    _trade_balances_outside,
    _trade_breaks,
    _unbalanced_breaks,
)
from tradeflow.back.confirmations import unmatched_on
from tradeflow.back.settlement import to_minor
from tradeflow.schema import BREAK_DT, CONFIRMATION_DT, AccountKind, BreakKind

__all__ = ["reconcile", "Reconciler"]


def reconcile(fills: np.ndarray, positions: np.ndarray, ledger: np.ndarray, settlements: np.ndarray,
              *, n_books: int, instrument_ccy: np.ndarray, minor_scale_ccy: np.ndarray,
              marks: np.ndarray, tolerance_minor: float = 0.5, as_of: int = 0,
              bookings: np.ndarray | None = None, fill_fx_rate: np.ndarray | None = None,
              booking_cutoff_ns: int = 22 * 3600 * 10**9, statements: np.ndarray | None = None,
              confirmations: np.ndarray | None = None, multiplier: np.ndarray | None = None) -> np.ndarray:
    """Find and classify every difference between what the front office, the back office and the street hold.

    Checks, in order:

    * with ``bookings``: each fill is booked exactly once (``MISSING_BOOKING`` /
      ``DUPLICATE_BOOKING``; a booking of no fill is ``UNKNOWN_BOOKING``) with the fill's
      book, quantity, price, fee and the market FX rate (``WRONG_BOOK``, ``QTY_MISMATCH``,
      ``PRICE_MISMATCH``, ``FEE_MISMATCH``, ``FX_RATE_MISMATCH``), before the cut-off
      (``LATE_BOOKING``);
    * each booking (or, without bookings, each fill) has exactly one trade-date ledger
      transaction (``MISSING_BOOKING`` / ``DUPLICATE_BOOKING`` / ``UNKNOWN_BOOKING``) whose
      book-side postings are those of booking it (else one ``QTY_MISMATCH``, or
      ``PRICE_MISMATCH`` when only the cash differs, naming the fill);
    * each transaction sums to zero per asset (``UNBALANCED_TXN``);
    * each fill has exactly one settlement instruction (``MISSING_SETTLEMENT``);
    * front-office positions equal the ledger's securities balances (``POSITION_MISMATCH``)
      and front-office P&L per book and currency the ledger's cash plus securities at the
      closing marks, penalties aside (``PNL_MISMATCH``), after the trade-level breaks above
      are taken out (they explain their own differences: a missing, duplicated or mis-posted
      ledger transaction is one break, at its root cause, not also a position or P&L break);
    * with ``confirmations``: confirmations still unmatched (``CONFIRMATION_UNMATCHED``);
    * with ``statements``: a statement line whose closing is not opening + movements is a
      ``STATEMENT_ERROR``; otherwise a closing that differs from the ledger's location
      account is a ``CUSTODY_MISMATCH`` / ``NOSTRO_MISMATCH``.

    Parameters
    ----------
    fills : FILL_DT records (every fill so far)
    positions : POSITION_DT records (the front office's view at the close)
    ledger : LEDGER_DT records
    settlements : SETTLEMENT_DT records
    n_books : int
    instrument_ccy : int ndarray of shape (n_instruments,)
    minor_scale_ccy : float64 ndarray of shape (n_currencies,)
        10 ** minor digits per currency id.
    marks : float64 ndarray of shape (n_instruments,)
        Closing marks used by both offices.
    tolerance_minor : float, default=0.5
        P&L differences under this many minor units are float rounding, not breaks.
    as_of : int, default=0
        The end of day reconciled (days since epoch), stamped on each break.
    bookings : BOOKING_DT records, optional
        The back office's bookings of ``fills``.
    fill_fx_rate : float64 ndarray of shape (n_fills,), optional
        The market FX rate at each fill (required with ``bookings``).
    booking_cutoff_ns : int, default=22:00 UTC
        Time of day by which a trade must be booked.
    statements : STATEMENT_DT records of ``as_of``, optional
    confirmations : CONFIRMATION_DT records, optional
    multiplier : float64 ndarray of shape (n_instruments,), optional
        Contract multipliers (default 1): cash is ``qty x price x multiplier`` and a
        position is worth ``qty x mark x multiplier``, as in the ledger and the front office.

    Returns
    -------
    ndarray of BREAK_DT; empty on a clean run.
    """
    out: list[np.ndarray] = []
    fill_ids = fills["fill_id"]
    n_inst = marks.shape[0]
    n_ccy = minor_scale_ccy.shape[0]
    instrument_ccy = np.asarray(instrument_ccy, np.int64)
    minor_scale_inst = minor_scale_ccy[instrument_ccy]
    multiplier = _multiplier(multiplier, n_inst)
    involved = np.zeros(0, np.int64)
    if bookings is not None:
        if fill_fx_rate is None or np.shape(fill_fx_rate) != (fills.shape[0],):
            raise ValueError("The 'fill_fx_rate' parameter of reconcile must have one rate per fill when "
                             f"bookings are given. Got {None if fill_fx_rate is None else np.shape(fill_fx_rate)}.")
        tb, involved = _trade_breaks(fills, bookings, np.asarray(fill_fx_rate, np.float64), booking_cutoff_ns,
                                     minor_scale_inst)
        out += tb
    reference = fills if bookings is None else bookings

    lb = _ledger_booking_breaks(reference, ledger)
    ub = _unbalanced_breaks(ledger)
    pb, d_pos, d_cash = _posting_breaks(reference, ledger, lb + ub, n_books=n_books, instrument_ccy=instrument_ccy,
                                        minor_scale_inst=minor_scale_inst, multiplier=multiplier, n_inst=n_inst,
                                        n_ccy=n_ccy)
    out += lb + pb + ub
    out += _settlement_breaks(fills, settlements)

    # what the trade-level breaks explain: the broken records' own contributions, and the ledger's
    # differences from the bookings (missing, duplicated or mis-posted transactions)
    explained_pos = d_pos.copy()
    explained_pnl = d_cash / minor_scale_ccy[None, :]
    np.add.at(explained_pnl, (np.repeat(np.arange(n_books), n_inst), np.tile(instrument_ccy, n_books)),
              (d_pos * (marks * multiplier)[None, :]).ravel())
    if involved.size:
        args = (n_books, n_inst, n_ccy, instrument_ccy, minor_scale_ccy, marks, multiplier)
        bp, bpnl = _contributions(bookings[np.isin(bookings["fill_id"], involved)], *args)
        fp, fpnl = _contributions(fills[np.isin(fill_ids, involved)], *args)
        explained_pos, explained_pnl = explained_pos + bp - fp, explained_pnl + bpnl - fpnl

    bo_pos = np.zeros((n_books, n_inst), np.int64)
    bo_cash = np.zeros((n_books, n_ccy), np.int64)
    _trade_balances(ledger, bo_pos, bo_cash)
    out += _aggregate_breaks(positions, bo_pos, bo_cash, explained_pos, explained_pnl, instrument_ccy=instrument_ccy,
                             minor_scale_ccy=minor_scale_ccy, marks=marks * multiplier,
                             tolerance_minor=tolerance_minor)

    if confirmations is not None:
        cf = confirmations[unmatched_on(confirmations, as_of)]
        pos = np.searchsorted(fill_ids, cf["fill_id"])
        out += _confirmation_breaks(cf, fills["book"][pos], fills["instrument"][pos])

    if statements is not None and statements.shape[0]:
        out += _statement_breaks(statements, ledger, as_of, instrument_ccy)

    breaks = np.concatenate(out) if out else np.zeros(0, dtype=BREAK_DT)
    breaks["break_id"] = np.arange(breaks.shape[0])
    breaks["as_of"] = as_of
    breaks["first_seen"] = as_of
    return breaks


# the sections of breaks that never resolve, each with its kinds in the order reconcile reports them
_SECTION_ORDER = (
    (BreakKind.MISSING_BOOKING, BreakKind.DUPLICATE_BOOKING, BreakKind.UNKNOWN_BOOKING, BreakKind.WRONG_BOOK,
     BreakKind.QTY_MISMATCH, BreakKind.PRICE_MISMATCH, BreakKind.FEE_MISMATCH, BreakKind.FX_RATE_MISMATCH,
     BreakKind.LATE_BOOKING),
    (BreakKind.UNKNOWN_BOOKING, BreakKind.MISSING_BOOKING, BreakKind.DUPLICATE_BOOKING, BreakKind.QTY_MISMATCH,
     BreakKind.PRICE_MISMATCH),
    (BreakKind.UNBALANCED_TXN,),
    (BreakKind.MISSING_SETTLEMENT,),
)


class Reconciler:
    """End-of-day reconciliation of a run, incremental: each day costs O(that day's activity).

    Gives the same breaks as :func:`reconcile` over the whole run so far, but checks only
    the day's new fills, bookings, instructions and ledger postings. Trade-level breaks
    (bookings vs fills, ledger transactions, instructions) never resolve once a day is
    booked, so they are carried forward and re-reported each day; what they explain,
    the ledger's trade-date balances and the location (custody, nostro) holdings are kept
    as running int64 sums; confirmations are kept only while unmatched.

    It relies on how the back office books: a day's ledger postings, instructions and
    bookings refer to that day's fills, and a transaction does not span days.

    Parameters
    ----------
    n_books : int
    instrument_ccy : int ndarray of shape (n_instruments,)
    minor_scale_ccy : float64 ndarray of shape (n_currencies,)
    tolerance_minor : float, default=0.5
    booking_cutoff_ns : int, default=22:00 UTC
    multiplier : float64 ndarray of shape (n_instruments,), optional
        Contract multipliers (default 1).
    """

    def __init__(self, *, n_books: int, instrument_ccy: np.ndarray, minor_scale_ccy: np.ndarray,
                 tolerance_minor: float = 0.5, booking_cutoff_ns: int = 22 * 3600 * 10**9,
                 multiplier: np.ndarray | None = None) -> None:
        self.instrument_ccy = np.asarray(instrument_ccy, np.int64)
        self.multiplier = _multiplier(multiplier, self.instrument_ccy.shape[0])
        self.minor_scale_ccy = np.asarray(minor_scale_ccy, np.float64)
        self.minor_scale_inst = self.minor_scale_ccy[self.instrument_ccy]
        self.tolerance_minor = tolerance_minor
        self.cutoff_ns = booking_cutoff_ns
        n_inst, n_ccy = self.instrument_ccy.shape[0], self.minor_scale_ccy.shape[0]
        self.bo_pos = np.zeros((n_books, n_inst), np.int64)
        self.bo_cash = np.zeros((n_books, n_ccy), np.int64)
        self.explained_pos = np.zeros((n_books, n_inst), np.int64)
        self.explained_cash = np.zeros((n_books, n_ccy), np.int64)
        self.held = {AccountKind.CUSTODY: np.zeros((n_books, n_inst), np.int64),
                     AccountKind.NOSTRO: np.zeros((n_books, n_ccy), np.int64)}
        self.sections = [np.zeros(0, dtype=BREAK_DT) for _ in _SECTION_ORDER]
        self.open_confirmations = np.zeros(0, dtype=CONFIRMATION_DT)
        self.open_conf_book = np.zeros(0, np.int64)
        self.open_conf_inst = np.zeros(0, np.int64)

    def _explain(self, recs: np.ndarray, sign: int) -> None:
        inst = recs["instrument"]
        scale = self.minor_scale_inst[inst]
        s = recs["side"].astype(np.int64)
        np.add.at(self.explained_pos, (recs["book"], inst), sign * s * recs["qty"])
        cash = -s * to_minor(recs["qty"] * recs["price"] * self.multiplier[inst], scale) - to_minor(recs["fee"], scale)
        np.add.at(self.explained_cash, (recs["book"], self.instrument_ccy[inst]), sign * cash)

    def day(self, *, as_of: int, fills: np.ndarray, bookings: np.ndarray, fill_fx_rate: np.ndarray,
            ledger: np.ndarray, settlements: np.ndarray, positions: np.ndarray, marks: np.ndarray,
            confirmations: np.ndarray, statements: np.ndarray | None = None) -> np.ndarray:
        """Reconcile the end of ``as_of`` given that day's new records; returns every open break.

        Parameters
        ----------
        as_of : int
        fills, bookings : the day's FILL_DT / BOOKING_DT records
        fill_fx_rate : float64 ndarray of shape (n_fills,)
        ledger : LEDGER_DT postings made during the day
        settlements : SETTLEMENT_DT instructions created during the day
        positions : POSITION_DT records (the front office's view at the close)
        marks : float64 ndarray of shape (n_instruments,)
        confirmations : CONFIRMATION_DT records created during the day
        statements : STATEMENT_DT records of ``as_of``, optional
        """
        if np.shape(fill_fx_rate) != (fills.shape[0],):
            raise ValueError("The 'fill_fx_rate' parameter of Reconciler.day must have one rate per fill. "
                             f"Got {np.shape(fill_fx_rate)} for {fills.shape[0]} fills.")
        trade, involved = _trade_breaks(fills, bookings, np.asarray(fill_fx_rate, np.float64), self.cutoff_ns,
                                        self.minor_scale_inst)
        lb = _ledger_booking_breaks(bookings, ledger)
        ub = _unbalanced_breaks(ledger)
        n_books = self.bo_pos.shape[0]
        pb, d_pos, d_cash = _posting_breaks(bookings, ledger, lb + ub, n_books=n_books,
                                            instrument_ccy=self.instrument_ccy,
                                            minor_scale_inst=self.minor_scale_inst, multiplier=self.multiplier,
                                            n_inst=self.bo_pos.shape[1], n_ccy=self.bo_cash.shape[1])
        self.explained_pos += d_pos
        self.explained_cash += d_cash
        new = (trade, lb + pb, ub, _settlement_breaks(fills, settlements))
        for i, (order, parts) in enumerate(zip(_SECTION_ORDER, new, strict=True)):
            if parts:  # carried first then today's, in reconcile's order of kinds: fills stay in trade order
                merged = np.concatenate([self.sections[i], *parts])
                rank = np.full(int(max(BreakKind)) + 1, len(order), np.int64)
                rank[np.array(order, np.int64)] = np.arange(len(order))
                self.sections[i] = merged[np.argsort(rank[merged["kind"]], kind="stable")]
        if involved.size:
            self._explain(bookings[np.isin(bookings["fill_id"], involved)], 1)
            self._explain(fills[np.isin(fills["fill_id"], involved)], -1)
        # trade-date balances and location holdings in one pass over the day's ledger
        outside = _kernels.day_balances_nb(np.ascontiguousarray(ledger), np.int64(as_of), self.bo_pos, self.bo_cash,
                                           self.held[AccountKind.CUSTODY], self.held[AccountKind.NOSTRO])
        if outside:
            _trade_balances_outside(outside, self.bo_pos, self.bo_cash)

        n_books = self.bo_pos.shape[0]
        marks = marks * self.multiplier  # the value of one unit
        explained_pnl = self.explained_cash / self.minor_scale_ccy[None, :]
        np.add.at(explained_pnl, (np.repeat(np.arange(n_books), self.instrument_ccy.shape[0]),
                                  np.tile(self.instrument_ccy, n_books)), (self.explained_pos * marks[None, :]).ravel())
        out = [x.copy() for x in self.sections]
        out += _aggregate_breaks(positions, self.bo_pos, self.bo_cash, self.explained_pos, explained_pnl,
                                 instrument_ccy=self.instrument_ccy, minor_scale_ccy=self.minor_scale_ccy,
                                 marks=marks, tolerance_minor=self.tolerance_minor)

        # confirmations: only those not yet matched are kept (a break while unmatched; resolved ones never are)
        confirmations = confirmations[confirmations["resolved_date"] > as_of]
        pos = np.searchsorted(fills["fill_id"], confirmations["fill_id"])
        pos = np.minimum(pos, max(fills.shape[0] - 1, 0))
        cf = np.concatenate([self.open_confirmations, confirmations])
        book = np.r_[self.open_conf_book, fills["book"][pos] if fills.shape[0] else np.zeros(0, np.int64)]
        inst = np.r_[self.open_conf_inst, fills["instrument"][pos] if fills.shape[0] else np.zeros(0, np.int64)]
        m = unmatched_on(cf, as_of)
        out += _confirmation_breaks(cf[m], book[m], inst[m])
        keep = cf["resolved_date"] > as_of
        self.open_confirmations, self.open_conf_book, self.open_conf_inst = cf[keep], book[keep], inst[keep]

        if statements is not None and statements.shape[0]:
            out += _statement_breaks_held(statements, self.held)
        breaks = np.concatenate(out)
        breaks["break_id"] = np.arange(breaks.shape[0])
        breaks["as_of"] = as_of
        breaks["first_seen"] = as_of
        return breaks
