"""Reconciliation's break finders: each compares one pair of records (fills against bookings, the
ledger's postings, settlements, aggregates, confirmations, custodian statements) and returns its
breaks as ``BREAK_DT`` rows; :mod:`tradeflow.back.recon` runs them in order."""

from __future__ import annotations

import numpy as np

from tradeflow.back import nb as _kernels
from tradeflow.back.ledger import book_fills
from tradeflow.back.settlement import to_minor
from tradeflow.schema import BREAK_DT, NS_PER_DAY, AccountKind, BreakKind, ConfirmationStatus, TxnType


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
    if fid.shape == bookings.shape and np.array_equal(fid, bookings["fill_id"]) and bool(np.all(fid[1:] > fid[:-1])):
        # each fill booked once, in fill order (a day without missing, duplicate or unknown bookings)
        f, b, fx = fills, bookings, fill_fx_rate
    else:
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
        f, b, fx = fills[one], bookings[pos], fill_fx_rate[one]
    scale = minor_scale_inst[f["instrument"]]
    trade_date = f["ts"] // NS_PER_DAY
    checks = (
        (BreakKind.WRONG_BOOK, f["book"] != b["book"], f["book"], b["book"]),
        (BreakKind.QTY_MISMATCH, f["qty"] != b["qty"], f["qty"], b["qty"]),
        (BreakKind.PRICE_MISMATCH, f["price"] != b["price"], f["price"], b["price"]),
        (BreakKind.FEE_MISMATCH, to_minor(f["fee"], scale) != to_minor(b["fee"], scale), f["fee"], b["fee"]),
        (BreakKind.FX_RATE_MISMATCH, fx != b["fx_rate"], fx, b["fx_rate"]),
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
    keys = np.empty((ledger.shape[0], 4), np.int64)
    amount = np.empty(ledger.shape[0], np.int64)
    n = _kernels.trade_postings_nb(np.ascontiguousarray(ledger), keys, amount)
    return keys[:n], amount[:n]


def _unique_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, axis=0, return_inverse=True)`` for int64 rows, through one packed int64 per row
    (mixed radix, the first column most significant, so the rows come out in the same order)."""
    packed = np.empty(keys.shape[0], np.int64)
    if not _kernels.pack_keys_nb(np.ascontiguousarray(keys[:, ::-1]), packed):  # too wide to pack
        uniq, inv = np.unique(keys, axis=0, return_inverse=True)
        return uniq, inv.ravel()
    _, first, inv = np.unique(packed, return_index=True, return_inverse=True)
    return keys[first], inv


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
    diff_pos = np.zeros((n_books, n_inst), np.int64)
    diff_cash = np.zeros((n_books, n_ccy), np.int64)
    reference = np.ascontiguousarray(reference)
    inst = reference["instrument"]
    if (reference.shape[0] == 0 or 0 <= inst.min() and inst.max() < minor_scale_inst.shape[0]) and \
            _kernels.postings_as_booked_nb(np.ascontiguousarray(ledger), reference, multiplier,
                                           np.ascontiguousarray(minor_scale_inst, np.float64),
                                           np.ascontiguousarray(instrument_ccy, np.int64)):
        return [], diff_pos, diff_cash  # posted as booked (a clean day): no key differs
    expected = book_fills(reference, instrument_ccy, minor_scale_inst, multiplier=multiplier)
    k_act, a_act = _trade_postings(ledger)
    k_exp, a_exp = _trade_postings(expected)
    keys = np.concatenate([k_act, k_exp])
    uniq, inv = _unique_rows(keys)
    d = np.zeros(uniq.shape[0], np.int64)
    np.add.at(d, inv, np.r_[a_act, -a_exp])
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
    at = np.minimum(np.searchsorted(fids, k[:, 0]), fids.shape[0] - 1)
    hit = (fids[at] == k[:, 0]) & (k[:, 1] == 0)
    np.add.at(qty_diff, at[hit], np.abs(d[hit]))
    # each fill's securities difference on its own book's account
    own = hit & (k[:, 2] == r["book"][at]) & (k[:, 3] == r["instrument"][at])
    own_diff = np.zeros(fids.shape[0], np.int64)
    np.add.at(own_diff, at[own], d[own])
    out = []
    for kind, m in ((BreakKind.QTY_MISMATCH, qty_diff != 0), (BreakKind.PRICE_MISMATCH, qty_diff == 0)):
        if np.any(m):
            s = r["side"][m].astype(np.int64)
            ledger_qty = s * r["qty"][m] + own_diff[m]
            out.append(_breaks(kind, int(m.sum()), fill_id=fids[m], book=r["book"][m], instrument=r["instrument"][m],
                               counterparty=r["counterparty"][m], front_value=(s * r["qty"][m]).astype(float),
                               back_value=ledger_qty.astype(float)))
    return out, diff_pos, diff_cash


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
        _trade_balances_outside(outside, bo_pos, bo_cash)


def _trade_balances_outside(outside: int, bo_pos: np.ndarray, bo_cash: np.ndarray) -> None:
    """Raise for ``outside`` trade postings whose book or asset is outside the balances."""
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
            _add_location(held[kind], ledger, kind, as_of)
    return _statement_breaks_held(statements, held)


def _add_location(held: np.ndarray, ledger: np.ndarray, kind: AccountKind, as_of: int) -> None:
    """Add the holdings the ``kind`` location postings of ``ledger`` valued by ``as_of`` record (minus their
    amounts) to ``held``."""
    _kernels.location_holdings_nb(np.ascontiguousarray(ledger), np.int64(as_of), np.int8(kind), held)


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
