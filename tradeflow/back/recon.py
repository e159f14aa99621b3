"""Reconciliation: front office against back office, every difference a classified break."""

from __future__ import annotations

import numpy as np

from tradeflow.back import _kernels
from tradeflow.schema import BREAK_DT, AccountKind, BreakKind

__all__ = ["reconcile"]


def _breaks(kind: BreakKind, n: int, **cols) -> np.ndarray:
    out = np.zeros(n, dtype=BREAK_DT)
    out["kind"] = kind
    out["fill_id"] = -1
    out["book"] = -1
    out["instrument"] = -1
    out["currency"] = -1
    for k, v in cols.items():
        out[k] = v
    out["difference"] = out["front_value"] - out["back_value"]
    return out


def _occurrences(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """How many times each of ``keys`` occurs in ``values``."""
    ids, counts = np.unique(values, return_counts=True)
    out = np.zeros(keys.shape[0], np.int64)
    if ids.size:
        p = np.minimum(np.searchsorted(ids, keys), ids.size - 1)
        hit = ids[p] == keys
        out[hit] = counts[p[hit]]
    return out


def reconcile(fills: np.ndarray, positions: np.ndarray, ledger: np.ndarray, settlements: np.ndarray,
              *, n_books: int, instrument_ccy: np.ndarray, minor_scale_ccy: np.ndarray,
              marks: np.ndarray, tolerance_minor: float = 0.5, as_of: int = 0) -> np.ndarray:
    """Find and classify every difference between what the front office and the back office hold.

    Checks, in order: each fill is booked in exactly one ledger transaction
    (``MISSING_BOOKING`` / ``DUPLICATE_BOOKING``) and each transaction matches a fill
    (``UNKNOWN_BOOKING``); each transaction sums to zero per asset (``UNBALANCED_TXN``);
    each fill has exactly one settlement instruction (``MISSING_SETTLEMENT``); front-office
    positions equal the ledger's securities balances (``POSITION_MISMATCH``); front-office
    P&L per book and currency equals the P&L derived from the ledger, cash plus securities
    at the closing marks (``PNL_MISMATCH``).

    Parameters
    ----------
    fills : FILL_DT records
    positions : POSITION_DT records (the front office's view)
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

    Returns
    -------
    ndarray of BREAK_DT; empty on a clean run.
    """
    out = []
    fill_ids = fills["fill_id"]
    n_inst = marks.shape[0]

    # bookings: exactly one transaction per fill
    txn_ids, first = np.unique(ledger["txn_id"], return_index=True)
    booked_fill = ledger["fill_id"][first]
    known = np.isin(booked_fill, fill_ids)
    if np.any(~known):
        out.append(_breaks(BreakKind.UNKNOWN_BOOKING, int((~known).sum()), fill_id=booked_fill[~known]))
    count_of = _occurrences(fill_ids, booked_fill)
    for kind, mask in ((BreakKind.MISSING_BOOKING, count_of == 0), (BreakKind.DUPLICATE_BOOKING, count_of > 1)):
        if np.any(mask):
            out.append(_breaks(kind, int(mask.sum()), fill_id=fill_ids[mask], book=fills["book"][mask],
                               instrument=fills["instrument"][mask], front_value=1.0,
                               back_value=count_of[mask].astype(float)))

    # every transaction balances per asset
    grouped = ledger if np.all(np.diff(ledger["txn_id"]) >= 0) else ledger[np.argsort(ledger["txn_id"], kind="stable")]
    bad_txn = np.empty(grouped.shape[0], np.int64)
    bad_amount = np.empty(grouped.shape[0], np.int64)
    nbad = _kernels.unbalanced_txns_nb(grouped["txn_id"], grouped["asset_is_cash"], grouped["asset"],
                                       grouped["amount"], bad_txn, bad_amount)
    if nbad:
        fid = ledger["fill_id"][first][np.searchsorted(txn_ids, bad_txn[:nbad])]
        out.append(_breaks(BreakKind.UNBALANCED_TXN, nbad, fill_id=fid, front_value=0.0,
                           back_value=bad_amount[:nbad].astype(float)))

    # one settlement instruction per fill
    s_count = _occurrences(fill_ids, settlements["fill_id"])
    bad = s_count != 1
    if np.any(bad):
        out.append(_breaks(BreakKind.MISSING_SETTLEMENT, int(bad.sum()), fill_id=fill_ids[bad],
                           book=fills["book"][bad], instrument=fills["instrument"][bad], front_value=1.0,
                           back_value=s_count[bad].astype(float)))

    # positions: front office vs ledger securities balances, per book x instrument
    sec = ledger[(ledger["account_kind"] == AccountKind.SECURITIES) & ~ledger["asset_is_cash"]]
    bo_pos = np.zeros((n_books, n_inst), np.int64)
    np.add.at(bo_pos, (sec["owner"], sec["asset"]), sec["amount"])
    fo_pos = np.zeros((n_books, n_inst), np.int64)
    fo_pos[positions["book"], positions["instrument"]] = positions["qty"]
    b, i = np.nonzero(fo_pos != bo_pos)
    if b.size:
        out.append(_breaks(BreakKind.POSITION_MISMATCH, b.size, book=b, instrument=i,
                           front_value=fo_pos[b, i].astype(float), back_value=bo_pos[b, i].astype(float)))

    # P&L per book x currency: FO realized + unrealized - fees vs ledger cash + securities at the marks
    n_ccy = minor_scale_ccy.shape[0]
    fo_pnl = np.zeros((n_books, n_ccy))
    np.add.at(fo_pnl, (positions["book"], instrument_ccy[positions["instrument"]]),
              positions["realized_pnl"] + positions["unrealized_pnl"] - positions["fees"])
    cash = ledger[(ledger["account_kind"] == AccountKind.CASH) & ledger["asset_is_cash"]]
    bo_cash = np.zeros((n_books, n_ccy), np.int64)
    np.add.at(bo_cash, (cash["owner"], cash["asset"]), cash["amount"])
    bo_pnl = bo_cash / minor_scale_ccy[None, :]
    np.add.at(bo_pnl, (np.repeat(np.arange(n_books), n_inst), np.tile(instrument_ccy, n_books)),
              (bo_pos * marks[None, :]).ravel())
    tol = tolerance_minor / minor_scale_ccy[None, :]
    b, c = np.nonzero(np.abs(fo_pnl - bo_pnl) >= tol)
    if b.size:
        out.append(_breaks(BreakKind.PNL_MISMATCH, b.size, book=b, currency=c, front_value=fo_pnl[b, c],
                           back_value=bo_pnl[b, c]))

    breaks = np.concatenate(out) if out else np.zeros(0, dtype=BREAK_DT)
    breaks["break_id"] = np.arange(breaks.shape[0])
    breaks["as_of"] = as_of
    return breaks
