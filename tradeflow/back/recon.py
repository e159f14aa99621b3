"""Reconciliation: front office against back office and the street, every difference a classified break.

Differences are traced to their root cause first: a trade booked wrong is one trade-level
break (``QTY_MISMATCH``, ``WRONG_BOOK`` ...), and the position and P&L differences it
causes are *explained* by it, so aggregate breaks (``POSITION_MISMATCH``,
``PNL_MISMATCH``) are raised only for what no trade-level break explains.
"""

from __future__ import annotations

import numpy as np

from tradeflow.back import _kernels
from tradeflow.back.confirmations import unmatched_on
from tradeflow.back.settlement import to_minor
from tradeflow.schema import BREAK_DT, NS_PER_DAY, AccountKind, BreakKind, ConfirmationStatus, TxnType

__all__ = ["reconcile"]


def _breaks(kind: BreakKind, n: int, **cols) -> np.ndarray:
    out = np.zeros(n, dtype=BREAK_DT)
    out["kind"] = kind
    for f in ("fill_id", "book", "instrument", "currency", "counterparty", "account_kind"):
        out[f] = -1
    for k, v in cols.items():
        out[k] = v
    out["difference"] = out["front_value"] - out["back_value"]
    return out


def _occurrences(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """How many times each of ``keys`` occurs in ``values``."""
    if values.size and np.all(values[1:] >= values[:-1]):  # ids usually arrive in order: no sort needed
        return np.searchsorted(values, keys, side="right") - np.searchsorted(values, keys, side="left")
    ids, counts = np.unique(values, return_counts=True)
    out = np.zeros(keys.shape[0], np.int64)
    if ids.size:
        p = np.minimum(np.searchsorted(ids, keys), ids.size - 1)
        hit = ids[p] == keys
        out[hit] = counts[p[hit]]
    return out


def _trade_breaks(fills: np.ndarray, bookings: np.ndarray, fill_fx_rate: np.ndarray, cutoff_ns: int,
                  minor_scale_inst: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Bookings vs fills, field by field; returns the breaks and the fill ids they involve."""
    out = []
    fid = fills["fill_id"]
    n_book = _occurrences(fid, bookings["fill_id"])
    common = dict(fill_id=fid, book=fills["book"], instrument=fills["instrument"],
                  counterparty=fills["counterparty"])
    for kind, mask in ((BreakKind.MISSING_BOOKING, n_book == 0), (BreakKind.DUPLICATE_BOOKING, n_book > 1)):
        if np.any(mask):
            out.append(_breaks(kind, int(mask.sum()), **{k: v[mask] for k, v in common.items()},
                               front_value=1.0, back_value=n_book[mask].astype(float)))
    unknown = ~np.isin(bookings["fill_id"], fid)
    if np.any(unknown):
        b = bookings[unknown]
        out.append(_breaks(BreakKind.UNKNOWN_BOOKING, b.shape[0], fill_id=b["fill_id"], book=b["book"],
                           instrument=b["instrument"], counterparty=b["counterparty"], front_value=0.0,
                           back_value=1.0))
    # one booking each: compare the fields
    one = np.flatnonzero(n_book == 1)
    order = np.argsort(bookings["fill_id"], kind="stable")
    pos = order[np.searchsorted(bookings["fill_id"][order], fid[one])] if one.size else np.zeros(0, np.int64)
    f, b = fills[one], bookings[pos]
    scale = minor_scale_inst[f["instrument"]]
    trade_date = f["ts"] // NS_PER_DAY
    checks = (
        (BreakKind.WRONG_BOOK, f["book"] != b["book"], f["book"], b["book"]),
        (BreakKind.QTY_MISMATCH, f["qty"] != b["qty"], f["qty"], b["qty"]),
        (BreakKind.PRICE_MISMATCH, f["price"] != b["price"], f["price"], b["price"]),
        (BreakKind.FEE_MISMATCH, to_minor(f["fee"], scale) != to_minor(b["fee"], scale), f["fee"], b["fee"]),
        (BreakKind.FX_RATE_MISMATCH, fill_fx_rate[one] != b["fx_rate"], fill_fx_rate[one], b["fx_rate"]),
        (BreakKind.LATE_BOOKING, b["ts_booked"] > trade_date * NS_PER_DAY + cutoff_ns,
         (trade_date * NS_PER_DAY + cutoff_ns).astype(float), b["ts_booked"].astype(float)),
    )
    for kind, m, front, back in checks:
        if np.any(m):
            out.append(_breaks(kind, int(m.sum()), fill_id=f["fill_id"][m], book=f["book"][m],
                               instrument=f["instrument"][m], counterparty=f["counterparty"][m],
                               front_value=np.asarray(front, float)[m], back_value=np.asarray(back, float)[m]))
    involved = np.unique(np.concatenate([x["fill_id"] for x in out])) if out else np.zeros(0, np.int64)
    return out, involved


def _contributions(recs: np.ndarray, n_books: int, n_inst: int, n_ccy: int, instrument_ccy: np.ndarray,
                   minor_scale_ccy: np.ndarray, marks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position (book x instrument) and ledger-style P&L (book x currency) of fills or bookings."""
    inst = recs["instrument"]
    ccy = instrument_ccy[inst]
    scale = minor_scale_ccy[ccy]
    s = recs["side"].astype(np.int64)
    pos = np.zeros((n_books, n_inst), np.int64)
    np.add.at(pos, (recs["book"], inst), s * recs["qty"])
    cash = -s * to_minor(recs["qty"] * recs["price"], scale) - to_minor(recs["fee"], scale)
    pnl = np.zeros((n_books, n_ccy))
    np.add.at(pnl, (recs["book"], ccy), cash / scale + s * recs["qty"] * marks[inst])
    return pos, pnl


def reconcile(fills: np.ndarray, positions: np.ndarray, ledger: np.ndarray, settlements: np.ndarray,
              *, n_books: int, instrument_ccy: np.ndarray, minor_scale_ccy: np.ndarray,
              marks: np.ndarray, tolerance_minor: float = 0.5, as_of: int = 0,
              bookings: np.ndarray | None = None, fill_fx_rate: np.ndarray | None = None,
              booking_cutoff_ns: int = 22 * 3600 * 10**9, statements: np.ndarray | None = None,
              confirmations: np.ndarray | None = None) -> np.ndarray:
    """Find and classify every difference between what the front office, the back office and the street hold.

    Checks, in order:

    * with ``bookings``: each fill is booked exactly once (``MISSING_BOOKING`` /
      ``DUPLICATE_BOOKING``; a booking of no fill is ``UNKNOWN_BOOKING``) with the fill's
      book, quantity, price, fee and the market FX rate (``WRONG_BOOK``, ``QTY_MISMATCH``,
      ``PRICE_MISMATCH``, ``FEE_MISMATCH``, ``FX_RATE_MISMATCH``), before the cut-off
      (``LATE_BOOKING``);
    * each booking (or, without bookings, each fill) has exactly one trade-date ledger
      transaction (``MISSING_BOOKING`` / ``DUPLICATE_BOOKING`` / ``UNKNOWN_BOOKING``);
    * each transaction sums to zero per asset (``UNBALANCED_TXN``);
    * each fill has exactly one settlement instruction (``MISSING_SETTLEMENT``);
    * front-office positions equal the ledger's securities balances (``POSITION_MISMATCH``)
      and front-office P&L per book and currency the ledger's cash plus securities at the
      closing marks, penalties aside (``PNL_MISMATCH``), after the trade-level breaks above
      are taken out (they explain their own differences);
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
    # field-wise masks: copying whole aligned records is several times slower than a few columns
    is_trade = ledger["txn_type"] == TxnType.TRADE

    involved = np.zeros(0, np.int64)
    if bookings is not None:
        if fill_fx_rate is None or np.shape(fill_fx_rate) != (fills.shape[0],):
            raise ValueError("The 'fill_fx_rate' parameter of reconcile must have one rate per fill when "
                             f"bookings are given. Got {None if fill_fx_rate is None else np.shape(fill_fx_rate)}.")
        tb, involved = _trade_breaks(fills, bookings, np.asarray(fill_fx_rate, np.float64), booking_cutoff_ns,
                                     minor_scale_inst)
        out += tb
    reference = fills if bookings is None else bookings

    # bookings in the ledger: exactly one trade-date transaction per reference record
    trade_txn = ledger["txn_id"][is_trade]
    if np.all(trade_txn[1:] >= trade_txn[:-1]):  # the usual case: no sort needed
        first = np.flatnonzero(np.r_[True, trade_txn[1:] != trade_txn[:-1]]) if trade_txn.size else trade_txn
    else:
        first = np.unique(trade_txn, return_index=True)[1]
    booked_fill = ledger["fill_id"][is_trade][first]
    known = np.isin(booked_fill, reference["fill_id"])
    if np.any(~known):
        out.append(_breaks(BreakKind.UNKNOWN_BOOKING, int((~known).sum()), fill_id=booked_fill[~known],
                           front_value=0.0, back_value=1.0))
    ref_ids, ref_count = np.unique(reference["fill_id"], return_counts=True)
    txn_count = _occurrences(ref_ids, booked_fill)
    ref_first = np.unique(reference["fill_id"], return_index=True)[1]
    for kind, mask in ((BreakKind.MISSING_BOOKING, txn_count < ref_count),
                       (BreakKind.DUPLICATE_BOOKING, txn_count > ref_count)):
        if np.any(mask):
            r = reference[ref_first[mask]]
            out.append(_breaks(kind, int(mask.sum()), fill_id=ref_ids[mask], book=r["book"],
                               instrument=r["instrument"], counterparty=r["counterparty"],
                               front_value=ref_count[mask].astype(float), back_value=txn_count[mask].astype(float)))

    # every transaction balances per asset
    txn = ledger["txn_id"]
    grouped = ledger if np.all(txn[1:] >= txn[:-1]) else ledger[np.argsort(txn, kind="stable")]
    bad_txn = np.empty(ledger.shape[0], np.int64)
    bad_amount = np.empty(ledger.shape[0], np.int64)
    nbad = _kernels.unbalanced_txns_nb(grouped, bad_txn, bad_amount)
    if nbad:
        all_txn, all_first = np.unique(txn, return_index=True)
        fid = ledger["fill_id"][all_first][np.searchsorted(all_txn, bad_txn[:nbad])]
        out.append(_breaks(BreakKind.UNBALANCED_TXN, nbad, fill_id=fid, front_value=0.0,
                           back_value=bad_amount[:nbad].astype(float)))

    # one settlement instruction per fill
    s_count = _occurrences(fill_ids, settlements["fill_id"])
    bad = s_count != 1
    if np.any(bad):
        out.append(_breaks(BreakKind.MISSING_SETTLEMENT, int(bad.sum()), fill_id=fill_ids[bad],
                           book=fills["book"][bad], instrument=fills["instrument"][bad],
                           counterparty=fills["counterparty"][bad], front_value=1.0,
                           back_value=s_count[bad].astype(float)))

    # what the trade-level breaks explain: the broken records' own contributions
    explained_pos = np.zeros((n_books, n_inst), np.int64)
    explained_pnl = np.zeros((n_books, n_ccy))
    if involved.size:
        args = (n_books, n_inst, n_ccy, instrument_ccy, minor_scale_ccy, marks)
        bp, bpnl = _contributions(bookings[np.isin(bookings["fill_id"], involved)], *args)
        fp, fpnl = _contributions(fills[np.isin(fill_ids, involved)], *args)
        explained_pos, explained_pnl = bp - fp, bpnl - fpnl

    # positions: front office vs ledger securities balances, per book x instrument
    bo_pos = np.zeros((n_books, n_inst), np.int64)
    bo_cash = np.zeros((n_books, n_ccy), np.int64)
    outside = _kernels.trade_balances_nb(ledger, bo_pos, bo_cash)
    if outside:
        raise ValueError(f"The 'ledger' parameter of reconcile has {outside} trade postings whose book or asset is "
                         f"outside n_books={n_books}, {n_inst} instruments, {n_ccy} currencies.")
    fo_pos = np.zeros((n_books, n_inst), np.int64)
    fo_pos[positions["book"], positions["instrument"]] = positions["qty"]
    b, i = np.nonzero(fo_pos != bo_pos - explained_pos)
    if b.size:
        out.append(_breaks(BreakKind.POSITION_MISMATCH, b.size, book=b, instrument=i,
                           account_kind=AccountKind.SECURITIES, front_value=fo_pos[b, i].astype(float),
                           back_value=bo_pos[b, i].astype(float)))

    # P&L per book x currency: FO realized + unrealized - fees vs ledger cash + securities at the marks
    fo_pnl = np.zeros((n_books, n_ccy))
    np.add.at(fo_pnl, (positions["book"], instrument_ccy[positions["instrument"]]),
              positions["realized_pnl"] + positions["unrealized_pnl"] - positions["fees"])
    bo_pnl = bo_cash / minor_scale_ccy[None, :]
    np.add.at(bo_pnl, (np.repeat(np.arange(n_books), n_inst), np.tile(instrument_ccy, n_books)),
              (bo_pos * marks[None, :]).ravel())
    tol = tolerance_minor / minor_scale_ccy[None, :]
    b, c = np.nonzero(np.abs(fo_pnl - (bo_pnl - explained_pnl)) >= tol)
    if b.size:
        out.append(_breaks(BreakKind.PNL_MISMATCH, b.size, book=b, currency=c, account_kind=AccountKind.CASH,
                           front_value=fo_pnl[b, c], back_value=bo_pnl[b, c]))

    if confirmations is not None:
        cf = confirmations[unmatched_on(confirmations, as_of)]
        if cf.shape[0]:
            st = cf["status"]
            front = np.where(st == ConfirmationStatus.PRICE_DIFFERS, cf["our_price"],
                             np.where(st == ConfirmationStatus.SETTLE_DATE_DIFFERS, cf["our_settle_date"],
                                      cf["our_qty"]).astype(float))
            back = np.where(st == ConfirmationStatus.PRICE_DIFFERS, cf["their_price"],
                            np.where(st == ConfirmationStatus.SETTLE_DATE_DIFFERS, cf["their_settle_date"],
                                     cf["their_qty"]).astype(float))
            back = np.where(st == ConfirmationStatus.NO_ANSWER, np.nan, back)
            pos = np.searchsorted(fill_ids, cf["fill_id"])
            out.append(_breaks(BreakKind.CONFIRMATION_UNMATCHED, cf.shape[0], fill_id=cf["fill_id"],
                               book=fills["book"][pos], instrument=fills["instrument"][pos],
                               counterparty=cf["counterparty"], front_value=front, back_value=back))

    if statements is not None and statements.shape[0]:
        out += _statement_breaks(statements, ledger, as_of, instrument_ccy)

    breaks = np.concatenate(out) if out else np.zeros(0, dtype=BREAK_DT)
    breaks["break_id"] = np.arange(breaks.shape[0])
    breaks["as_of"] = as_of
    breaks["first_seen"] = as_of
    return breaks


def _statement_breaks(statements: np.ndarray, ledger: np.ndarray, as_of: int,
                      instrument_ccy: np.ndarray) -> list[np.ndarray]:
    out = []
    upto = ledger["value_date"] <= as_of
    for kind, mismatch in ((AccountKind.CUSTODY, BreakKind.CUSTODY_MISMATCH),
                           (AccountKind.NOSTRO, BreakKind.NOSTRO_MISMATCH)):
        st = statements[statements["account_kind"] == kind]
        if not st.shape[0]:
            continue
        n_books, n_asset = int(st["book"].max()) + 1, int(st["asset"].max()) + 1
        m = upto & (ledger["account_kind"] == kind)
        own, ast, amt = ledger["owner"][m], ledger["asset"][m], ledger["amount"][m]
        held = np.zeros((n_books, n_asset), np.int64)
        ok = (own < n_books) & (ast < n_asset)
        np.add.at(held, (own[ok], ast[ok]), -amt[ok])  # location accounts carry minus the holding
        bo = held[st["book"], st["asset"]]
        inconsistent = st["closing"] != st["opening"] + st["movements"]
        differs = ~inconsistent & (st["closing"] != bo)
        is_cust = kind == AccountKind.CUSTODY
        for k, m in ((BreakKind.STATEMENT_ERROR, inconsistent), (mismatch, differs)):
            if np.any(m):
                s = st[m]
                out.append(_breaks(k, s.shape[0], book=s["book"],
                                   instrument=s["asset"] if is_cust else -1,
                                   currency=s["asset"] if not is_cust else -1, account_kind=kind,
                                   front_value=bo[m].astype(float), back_value=s["closing"].astype(float)))
    return out
