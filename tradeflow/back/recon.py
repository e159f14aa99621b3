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
from tradeflow.back.ledger import book_fills
from tradeflow.back.settlement import to_minor
from tradeflow.schema import BREAK_DT, CONFIRMATION_DT, NS_PER_DAY, AccountKind, BreakKind, ConfirmationStatus, TxnType

__all__ = ["reconcile", "Reconciler"]


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
    values = np.ascontiguousarray(values, np.int64)
    if _kernels.is_sorted_nb(values):  # ids usually arrive in order: no sort needed
        out = np.empty(keys.shape[0], np.int64)
        _kernels.occurrences_nb(np.ascontiguousarray(keys, np.int64), values, out)
        return out
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
                   minor_scale_ccy: np.ndarray, marks: np.ndarray,
                   multiplier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position (book x instrument) and ledger-style P&L (book x currency) of fills or bookings.

    Cash is ``qty x price x multiplier`` (fees as given), securities are valued at ``marks x multiplier``.
    """
    inst = recs["instrument"]
    ccy = instrument_ccy[inst]
    scale = minor_scale_ccy[ccy]
    s = recs["side"].astype(np.int64)
    pos = np.zeros((n_books, n_inst), np.int64)
    np.add.at(pos, (recs["book"], inst), s * recs["qty"])
    cash = -s * to_minor(recs["qty"] * recs["price"] * multiplier[inst], scale) - to_minor(recs["fee"], scale)
    pnl = np.zeros((n_books, n_ccy))
    np.add.at(pnl, (recs["book"], ccy), cash / scale + s * recs["qty"] * marks[inst] * multiplier[inst])
    return pos, pnl


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


def _multiplier(multiplier: np.ndarray | None, n_inst: int) -> np.ndarray:
    if multiplier is None:
        return np.ones(n_inst)
    m = np.asarray(multiplier, np.float64)
    if m.shape != (n_inst,) or not np.all(np.isfinite(m) & (m > 0)):
        raise ValueError(f"The 'multiplier' parameter of reconcile must be finite positive floats of shape "
                         f"({n_inst},). Got {multiplier!r} instead.")
    return m


def _sorted_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct ``values`` (sorted) with the first position and the count of each."""
    v = np.ascontiguousarray(values, np.int64)
    if not _kernels.is_sorted_nb(v):
        return np.unique(v, return_index=True, return_counts=True)
    ids, first, count = (np.empty(v.shape[0], np.int64) for _ in range(3))
    m = _kernels.sorted_counts_nb(v, ids, first, count)
    return ids[:m], first[:m], count[:m]


def _ledger_booking_breaks(reference: np.ndarray, ledger: np.ndarray) -> list[np.ndarray]:
    """Exactly one trade-date ledger transaction per reference record (booking, or fill)."""
    out = []
    ref_ids, ref_first, ref_count = _sorted_counts(reference["fill_id"])
    txn_count = np.zeros(ref_ids.shape[0], np.int64)
    unknown = np.empty(ledger.shape[0], np.int64)
    n_unknown = _kernels.trade_txn_counts_nb(ledger, ref_ids, txn_count, unknown)  # one pass, no copies
    if n_unknown >= 0:
        unknown = unknown[:n_unknown]
    else:  # trade transactions out of id order: group them by sorting
        is_trade = ledger["txn_type"] == TxnType.TRADE
        first = np.unique(ledger["txn_id"][is_trade], return_index=True)[1]
        booked_fill = ledger["fill_id"][is_trade][first]
        unknown = booked_fill[~np.isin(booked_fill, ref_ids)]
        txn_count = _occurrences(ref_ids, booked_fill)
    if unknown.size:
        out.append(_breaks(BreakKind.UNKNOWN_BOOKING, unknown.shape[0], fill_id=unknown,
                           front_value=0.0, back_value=1.0))
    for kind, mask in ((BreakKind.MISSING_BOOKING, txn_count < ref_count),
                       (BreakKind.DUPLICATE_BOOKING, txn_count > ref_count)):
        if np.any(mask):
            r = reference[ref_first[mask]]
            out.append(_breaks(kind, int(mask.sum()), fill_id=ref_ids[mask], book=r["book"],
                               instrument=r["instrument"], counterparty=r["counterparty"],
                               front_value=ref_count[mask].astype(float), back_value=txn_count[mask].astype(float)))
    return out


def _trade_postings(ledger: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The book-side trade postings (securities, cash) as rows ``(fill_id, is_cash, book, asset)`` and amounts."""
    sec = (ledger["account_kind"] == AccountKind.SECURITIES) & ~ledger["asset_is_cash"].astype(bool)
    cash = (ledger["account_kind"] == AccountKind.CASH) & ledger["asset_is_cash"].astype(bool)
    m = (ledger["txn_type"] == TxnType.TRADE) & (sec | cash)
    p = ledger[m]
    keys = np.stack([p["fill_id"].astype(np.int64), cash[m].astype(np.int64), p["owner"].astype(np.int64),
                     p["asset"].astype(np.int64)], axis=1)
    return keys, p["amount"].astype(np.int64)


def _posting_breaks(reference: np.ndarray, ledger: np.ndarray, ledger_breaks: list[np.ndarray], *,
                    n_books: int, instrument_ccy: np.ndarray, minor_scale_inst: np.ndarray, multiplier: np.ndarray,
                    n_inst: int, n_ccy: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The ledger's trade postings against what booking the reference records posts, fill by fill.

    Every difference is explained at its root cause: a fill whose ledger transaction is
    missing, duplicated, unknown or unbalanced already has its break (``ledger_breaks``); a fill booked
    once whose book-side postings differ (a balanced posting of the wrong quantity, or cash)
    is one ``QTY_MISMATCH`` (securities differ) or ``PRICE_MISMATCH`` (cash only) naming it.
    Returns those breaks and the differences they explain: securities (book x instrument)
    and cash in minor units (book x currency), ledger less reference.
    """
    expected = book_fills(reference, instrument_ccy, minor_scale_inst, multiplier=multiplier)
    k_act, a_act = _trade_postings(ledger)
    k_exp, a_exp = _trade_postings(expected)
    keys = np.concatenate([k_act, k_exp])
    diff_pos = np.zeros((n_books, n_inst), np.int64)
    diff_cash = np.zeros((n_books, n_ccy), np.int64)
    if keys.shape[0] == 0:
        return [], diff_pos, diff_cash
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    d = np.zeros(uniq.shape[0], np.int64)
    np.add.at(d, inv.ravel(), np.r_[a_act, -a_exp])
    nz = d != 0
    k, d = uniq[nz], d[nz]
    ok = (k[:, 2] >= 0) & (k[:, 2] < n_books) & (k[:, 3] >= 0)
    sec, cash = ok & (k[:, 1] == 0) & (k[:, 3] < n_inst), ok & (k[:, 1] == 1) & (k[:, 3] < n_ccy)
    np.add.at(diff_pos, (k[sec, 2], k[sec, 3]), d[sec])
    np.add.at(diff_cash, (k[cash, 2], k[cash, 3]), d[cash])
    # one break per fill booked the right number of times whose postings still differ
    named = np.concatenate([b["fill_id"] for b in ledger_breaks]) if ledger_breaks else np.zeros(0, np.int64)
    fids = np.unique(k[:, 0])
    fids = fids[np.isin(fids, reference["fill_id"]) & ~np.isin(fids, named)]
    if fids.size == 0:
        return [], diff_pos, diff_cash
    order = np.argsort(reference["fill_id"], kind="stable")
    r = reference[order[np.searchsorted(reference["fill_id"][order], fids)]]
    qty_diff = np.zeros(fids.shape[0], np.int64)
    at = np.searchsorted(fids, k[:, 0])
    hit = (at < fids.shape[0]) & (fids[np.minimum(at, fids.shape[0] - 1)] == k[:, 0]) & (k[:, 1] == 0)
    np.add.at(qty_diff, at[hit], np.abs(d[hit]))
    out = []
    for kind, m in ((BreakKind.QTY_MISMATCH, qty_diff != 0), (BreakKind.PRICE_MISMATCH, qty_diff == 0)):
        if np.any(m):
            s = r["side"][m].astype(np.int64)
            ledger_qty = s * r["qty"][m] + np.array([
                _diff_for(k, d, f, int(b), int(i)) for f, b, i in zip(fids[m], r["book"][m], r["instrument"][m],
                                                                      strict=True)], np.int64)
            out.append(_breaks(kind, int(m.sum()), fill_id=fids[m], book=r["book"][m], instrument=r["instrument"][m],
                               counterparty=r["counterparty"][m], front_value=(s * r["qty"][m]).astype(float),
                               back_value=ledger_qty.astype(float)))
    return out, diff_pos, diff_cash


def _diff_for(keys: np.ndarray, diffs: np.ndarray, fill_id: int, book: int, instrument: int) -> int:
    """The ledger-less-reference securities difference of one fill on its book's account."""
    m = (keys[:, 0] == fill_id) & (keys[:, 1] == 0) & (keys[:, 2] == book) & (keys[:, 3] == instrument)
    return int(diffs[m].sum())


def _unbalanced_breaks(ledger: np.ndarray) -> list[np.ndarray]:
    """Every transaction sums to zero per asset."""
    out = []
    txn = ledger["txn_id"]
    bad_txn = np.empty(ledger.shape[0], np.int64)
    bad_amount = np.empty(ledger.shape[0], np.int64)
    nbad = _kernels.unbalanced_txns_nb(ledger, bad_txn, bad_amount)  # -1: not in txn order
    if nbad < 0:
        nbad = _kernels.unbalanced_txns_nb(ledger[np.argsort(txn, kind="stable")], bad_txn, bad_amount)
    if nbad:
        all_txn, all_first = np.unique(txn, return_index=True)
        fid = ledger["fill_id"][all_first][np.searchsorted(all_txn, bad_txn[:nbad])]
        out.append(_breaks(BreakKind.UNBALANCED_TXN, nbad, fill_id=fid, front_value=0.0,
                           back_value=bad_amount[:nbad].astype(float)))
    return out


def _settlement_breaks(fills: np.ndarray, settlements: np.ndarray) -> list[np.ndarray]:
    """One settlement instruction per fill."""
    out = []
    fill_ids = fills["fill_id"]
    s_count = _occurrences(fill_ids, settlements["fill_id"])
    bad = s_count != 1
    if np.any(bad):
        out.append(_breaks(BreakKind.MISSING_SETTLEMENT, int(bad.sum()), fill_id=fill_ids[bad],
                           book=fills["book"][bad], instrument=fills["instrument"][bad],
                           counterparty=fills["counterparty"][bad], front_value=1.0,
                           back_value=s_count[bad].astype(float)))
    return out


def _trade_balances(ledger: np.ndarray, bo_pos: np.ndarray, bo_cash: np.ndarray) -> None:
    """Add the ledger's trade-date securities and cash balances to ``bo_pos`` / ``bo_cash``."""
    outside = _kernels.trade_balances_nb(ledger, bo_pos, bo_cash)
    if outside:
        raise ValueError(f"The 'ledger' parameter of reconcile has {outside} trade postings whose book or asset is "
                         f"outside n_books={bo_pos.shape[0]}, {bo_pos.shape[1]} instruments, "
                         f"{bo_cash.shape[1]} currencies.")


def _aggregate_breaks(positions: np.ndarray, bo_pos: np.ndarray, bo_cash: np.ndarray, explained_pos: np.ndarray,
                      explained_pnl: np.ndarray, *, instrument_ccy: np.ndarray, minor_scale_ccy: np.ndarray,
                      marks: np.ndarray, tolerance_minor: float) -> list[np.ndarray]:
    """Positions and P&L, front office vs ledger, less what the trade-level breaks explain.

    ``marks`` are the value of one unit of each instrument (closing mark x multiplier).
    """
    out = []
    n_books, n_inst = bo_pos.shape
    n_ccy = bo_cash.shape[1]
    # positions: front office vs ledger securities balances, per book x instrument
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
    return out


def _confirmation_breaks(cf: np.ndarray, book: np.ndarray, instrument: np.ndarray) -> list[np.ndarray]:
    """A break per confirmation still unmatched (``cf``), with its fill's ``book`` and ``instrument``."""
    out = []
    if cf.shape[0]:
            st = cf["status"]
            front = np.where(st == ConfirmationStatus.PRICE_DIFFERS, cf["our_price"],
                             np.where(st == ConfirmationStatus.SETTLE_DATE_DIFFERS, cf["our_settle_date"],
                                      cf["our_qty"]).astype(float))
            back = np.where(st == ConfirmationStatus.PRICE_DIFFERS, cf["their_price"],
                            np.where(st == ConfirmationStatus.SETTLE_DATE_DIFFERS, cf["their_settle_date"],
                                     cf["their_qty"]).astype(float))
            back = np.where(st == ConfirmationStatus.NO_ANSWER, np.nan, back)
            out.append(_breaks(BreakKind.CONFIRMATION_UNMATCHED, cf.shape[0], fill_id=cf["fill_id"],
                               book=book, instrument=instrument,
                               counterparty=cf["counterparty"], front_value=front, back_value=back))
    return out


def _statement_breaks(statements: np.ndarray, ledger: np.ndarray, as_of: int,
                      instrument_ccy: np.ndarray) -> list[np.ndarray]:
    held = {}
    for kind in (AccountKind.CUSTODY, AccountKind.NOSTRO):
        st = statements[statements["account_kind"] == kind]
        if st.shape[0]:
            held[kind] = np.zeros((int(st["book"].max()) + 1, int(st["asset"].max()) + 1), np.int64)
            _add_location(held[kind], ledger[ledger["value_date"] <= as_of], kind)
    return _statement_breaks_held(statements, held)


def _add_location(held: np.ndarray, ledger: np.ndarray, kind: AccountKind) -> None:
    """Add the holdings the ``kind`` location postings of ``ledger`` record (minus their amounts) to ``held``."""
    m = ledger["account_kind"] == kind
    own, ast, amt = ledger["owner"][m], ledger["asset"][m], ledger["amount"][m]
    ok = (own < held.shape[0]) & (ast < held.shape[1])
    np.add.at(held, (own[ok], ast[ok]), -amt[ok])  # location accounts carry minus the holding


def _statement_breaks_held(statements: np.ndarray, held: dict) -> list[np.ndarray]:
    out = []
    for kind, mismatch in ((AccountKind.CUSTODY, BreakKind.CUSTODY_MISMATCH),
                           (AccountKind.NOSTRO, BreakKind.NOSTRO_MISMATCH)):
        st = statements[statements["account_kind"] == kind]
        if not st.shape[0]:
            continue
        h = held[kind]
        inside = (st["book"] < h.shape[0]) & (st["asset"] < h.shape[1])
        bo = np.where(inside, h[np.minimum(st["book"], h.shape[0] - 1), np.minimum(st["asset"], h.shape[1] - 1)], 0)
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
        _trade_balances(ledger, self.bo_pos, self.bo_cash)
        for kind, h in self.held.items():
            _add_location(h, ledger[ledger["value_date"] <= as_of], kind)

        n_books = self.bo_pos.shape[0]
        marks = marks * self.multiplier  # the value of one unit
        explained_pnl = self.explained_cash / self.minor_scale_ccy[None, :]
        np.add.at(explained_pnl, (np.repeat(np.arange(n_books), self.instrument_ccy.shape[0]),
                                  np.tile(self.instrument_ccy, n_books)), (self.explained_pos * marks[None, :]).ravel())
        out = [x.copy() for x in self.sections]
        out += _aggregate_breaks(positions, self.bo_pos, self.bo_cash, self.explained_pos, explained_pnl,
                                 instrument_ccy=self.instrument_ccy, minor_scale_ccy=self.minor_scale_ccy,
                                 marks=marks, tolerance_minor=self.tolerance_minor)

        # confirmations: only those not yet matched are kept
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
