"""Fault injection on the path from front to back office, recorded so reconciliation can be scored."""

from __future__ import annotations

import numpy as np

from tradeflow.back import nb as _kernels
from tradeflow.config import FaultConfig
from tradeflow.schema import (
    BOOKING_DT,
    FAULT_BREAK_KIND,
    FAULT_DT,
    FILL_DT,
    NS_PER_SECOND,
    AccountKind,
    BreakKind,
    FaultKind,
)

__all__ = ["book_trades", "corrupt_statements", "fault_detection", "N_FAULT_DRAWS"]

N_FAULT_DRAWS = 3  # uniforms per fill: which fault, its size, its direction


def _faults(n: int) -> np.ndarray:
    out = np.zeros(n, dtype=FAULT_DT)
    out["fill_id"] = -1
    out["book"] = -1
    out["instrument"] = -1
    out["currency"] = -1
    out["account_kind"] = -1
    return out


def book_trades(fills: np.ndarray, fx_rate: np.ndarray, cfg: FaultConfig, rng: np.random.Generator, *,
                as_of: int, n_books: int, cutoff_ts: int, tick_size: np.ndarray, minor_scale: np.ndarray,
                instrument_ccy: np.ndarray, first_booking_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The back office's bookings of a day's fills, with faults injected at ``cfg``'s rates.

    A clean booking copies the fill straight through (booked at the trade time, at the
    market FX rate). A fill gets at most one fault: it is not booked, booked twice, its
    quantity keyed x10, its price keyed 1-5 ticks off, booked to another book (needs two
    books or more; otherwise left clean), its fee 1-100 minor units off, its FX rate 0.5-5%
    off, or booked 1 s to 2 h after the cut-off.

    Parameters
    ----------
    fills : ndarray of FILL_DT
    fx_rate : float64 ndarray of shape (n_fills,)
        The market's rate (base-currency value of one unit of the fill's currency) at the fill.
    cfg : FaultConfig
    rng : numpy.random.Generator
        The faults stream; ``N_FAULT_DRAWS`` uniforms per fill whatever the rates.
    as_of : int
        The trade date (days since epoch).
    n_books : int
    cutoff_ts : int
        The booking cut-off of the trade date (ns since epoch).
    tick_size, minor_scale : float64 ndarray of shape (n_instruments,)
    instrument_ccy : int ndarray of shape (n_instruments,)
    first_booking_id : int, default=0

    Returns
    -------
    bookings : ndarray of BOOKING_DT
    faults : ndarray of FAULT_DT (``fault_id`` local: the caller renumbers)
    """
    n = fills.shape[0]
    u = rng.random((n, N_FAULT_DRAWS))
    cum = np.cumsum(cfg.trade_rates())
    kind = np.searchsorted(cum, u[:, 0], side="right")  # == len(cum): no fault
    if n_books < 2:
        kind[kind == FaultKind.WRONG_BOOK] = len(cum)
    b = np.zeros(n, dtype=BOOKING_DT)  # clean bookings, one row pass; the faults below rewrite their rows
    _kernels.bookings_nb(np.ascontiguousarray(fills, FILL_DT), np.ascontiguousarray(fx_rate, np.float64),
                         np.int64(first_booking_id), b)
    inst = fills["instrument"]
    true = np.zeros(n)
    bad = np.zeros(n)
    hit = kind < len(cum)
    if hit.any():  # a clean day (the default rates are 0) computes no wrong values
        sign = np.where(u[:, 2] < 0.5, -1, 1)
        m = kind == FaultKind.QTY_KEYED_WRONG
        true[m], b["qty"][m] = fills["qty"][m], fills["qty"][m] * 10
        bad[m] = b["qty"][m]
        m = kind == FaultKind.PRICE_KEYED_WRONG
        off = (1 + np.floor(u[:, 1] * 5)) * tick_size[inst]
        wrong = np.where(fills["price"] + sign * off > 0, fills["price"] + sign * off, fills["price"] + off)
        true[m], b["price"][m], bad[m] = fills["price"][m], wrong[m], wrong[m]
        m = kind == FaultKind.WRONG_BOOK
        other = (fills["book"] + 1 + np.floor(u[:, 1] * max(n_books - 1, 1)).astype(np.int64)) % max(n_books, 1)
        true[m], b["book"][m], bad[m] = fills["book"][m], other[m], other[m]
        m = kind == FaultKind.FEE_MISMATCH
        fee_off = (1 + np.floor(u[:, 1] * 100)) / minor_scale[inst]
        wrong_fee = np.where(fills["fee"] + sign * fee_off >= 0, fills["fee"] + sign * fee_off, fills["fee"] + fee_off)
        wrong_fee = np.rint(wrong_fee * minor_scale[inst]) / minor_scale[inst]
        true[m], b["fee"][m], bad[m] = fills["fee"][m], wrong_fee[m], wrong_fee[m]
        m = kind == FaultKind.WRONG_FX_RATE
        wrong_fx = fx_rate * (1.0 + sign * (0.005 + 0.045 * u[:, 1]))
        true[m], b["fx_rate"][m], bad[m] = fx_rate[m], wrong_fx[m], wrong_fx[m]
        m = kind == FaultKind.LATE_BOOKING
        late = cutoff_ts + (1 + np.floor(u[:, 1] * 7200)).astype(np.int64) * NS_PER_SECOND
        true[m], b["ts_booked"][m], bad[m] = fills["ts"][m], late[m], late[m]

    keep = kind != FaultKind.MISSING_TRADE
    dup = kind == FaultKind.DUPLICATE_BOOKING
    true[dup], bad[dup] = 1.0, 2.0
    true[kind == FaultKind.MISSING_TRADE] = 1.0
    # duplicates follow their original, so bookings stay in trade order
    reps = keep.astype(np.int64) + dup
    if hit.any():
        bookings = np.repeat(b, reps)
        bookings["booking_id"] = first_booking_id + np.arange(bookings.shape[0])
    else:
        bookings = b  # ids written by the kernel

    faults = _faults(int(hit.sum()))
    faults["as_of"] = as_of
    faults["kind"] = kind[hit]
    faults["fill_id"] = fills["fill_id"][hit]
    faults["book"] = fills["book"][hit]
    faults["instrument"] = inst[hit]
    faults["currency"] = instrument_ccy[inst[hit]]
    faults["true_value"] = true[hit]
    faults["injected_value"] = bad[hit]
    return bookings, faults


def corrupt_statements(statements: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Key a wrong closing balance into statement lines at ``rate``, in place; returns the faults.

    The error is 1-100 units (custody) or 1-10,000 minor units (nostro), either way.
    """
    n = statements.shape[0]
    u = rng.random((n, 3))
    hit = u[:, 0] < rate
    size = np.where(statements["account_kind"] == AccountKind.CUSTODY, 1 + np.floor(u[:, 1] * 100),
                    1 + np.floor(u[:, 1] * 10_000)).astype(np.int64)
    err = np.where(u[:, 2] < 0.5, -size, size)
    faults = _faults(int(hit.sum()))
    s = statements[hit]
    faults["as_of"] = s["as_of"]
    faults["kind"] = FaultKind.STATEMENT_ERROR
    faults["book"] = s["book"]
    is_cust = s["account_kind"] == AccountKind.CUSTODY
    faults["instrument"] = np.where(is_cust, s["asset"], -1)
    faults["currency"] = np.where(is_cust, -1, s["asset"])
    faults["account_kind"] = s["account_kind"]
    faults["true_value"] = s["closing"]
    faults["injected_value"] = s["closing"] + err[hit]
    statements["closing"][hit] += err[hit]
    return faults


def fault_detection(faults: np.ndarray, breaks: np.ndarray) -> dict[str, float | int]:
    """Score a reconciliation against what was injected: precision and recall of the breaks.

    A fault is found when a break of the kind it must raise (``FAULT_BREAK_KIND``) names its
    fill (trade faults) or its statement line and day (statement errors). Breaks of
    confirmations are the street's disagreements, not faults, and are left out. A break
    re-reported on later days counts once.

    Returns
    -------
    dict
        ``precision``, ``recall`` (1.0 when there is nothing to find or report),
        ``injected``, ``reported``, ``matched``.
    """
    def key(kind, fill_id, as_of, book, account_kind, instrument, currency):
        if kind == BreakKind.STATEMENT_ERROR:
            return (int(kind), int(as_of), int(book), int(account_kind), int(instrument), int(currency))
        return (int(kind), int(fill_id))

    injected = {key(FAULT_BREAK_KIND[FaultKind(int(f["kind"]))], f["fill_id"], f["as_of"], f["book"],
                    f["account_kind"], f["instrument"], f["currency"]) for f in faults}
    b = breaks[breaks["kind"] != BreakKind.CONFIRMATION_UNMATCHED]
    reported = {key(x["kind"], x["fill_id"], x["as_of"], x["book"], x["account_kind"], x["instrument"],
                    x["currency"]) for x in b}
    matched = len(injected & reported)
    return {"precision": matched / len(reported) if reported else 1.0,
            "recall": matched / len(injected) if injected else 1.0,
            "injected": len(injected), "reported": len(reported), "matched": matched}
