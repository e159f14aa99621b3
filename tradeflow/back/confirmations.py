"""Trade confirmation: each trade is confirmed with its counterparty, who answers with their version."""

from __future__ import annotations

import numpy as np

from tradeflow.back import nb as _kernels
from tradeflow.config import ConfirmationConfig
from tradeflow.market.calendar import BusinessCalendar
from tradeflow.schema import CONFIRMATION_DT, FILL_DT, ConfirmationStatus

__all__ = ["confirm_trades", "unmatched_on"]


def confirm_trades(fills: np.ndarray, settle_dates: np.ndarray, trade_date: np.datetime64,
                   cfg: ConfirmationConfig, rng: np.random.Generator, *, tick_size: np.ndarray,
                   calendar: BusinessCalendar, currencies: list[str], first_confirmation_id: int = 0) -> np.ndarray:
    """Send a confirmation per fill and simulate the counterparty's answer.

    A counterparty answers with our terms (``MATCHED``), or with a different price (1-5
    ticks off), quantity (1-10% off, at least one unit), settlement date (one business day
    later), or not at all, at the rates of ``cfg``. A disagreement is resolved
    ``cfg.resolution_days`` business days later (a missing answer one day after that).

    Parameters
    ----------
    fills : ndarray of FILL_DT
    settle_dates : int64 ndarray of shape (n_fills,)
        Our settlement date of each fill (days since epoch).
    trade_date : numpy.datetime64
    cfg : ConfirmationConfig
    rng : numpy.random.Generator
        The confirmation stream; four uniforms are drawn per fill whatever the rates.
    tick_size : float64 ndarray of shape (n_instruments,)
    calendar : BusinessCalendar
    currencies : list of str
        The calendar(s) counted for resolution days (the base currency's).
    first_confirmation_id : int, default=0

    Returns
    -------
    ndarray of CONFIRMATION_DT, one per fill.
    """
    n = fills.shape[0]
    u = rng.random((n, 4))
    cum = np.cumsum(cfg.rates())
    answer = np.searchsorted(cum, u[:, 0], side="right") + 1  # 1..4 = a mismatch kind, 5 = matched
    status = np.where(answer <= 4, answer, ConfirmationStatus.MATCHED).astype(np.int8)
    td = np.datetime64(trade_date, "D")
    out = np.zeros(n, dtype=CONFIRMATION_DT)
    # one row pass writes our terms, theirs equal to ours and the trade date as resolution; then their
    # different terms and later resolutions, computed for those rows only
    _kernels.confirmations_nb(np.ascontiguousarray(fills, FILL_DT), status,
                              np.ascontiguousarray(settle_dates, np.int64), np.int64(td.astype(np.int64)),
                              np.int64(first_confirmation_id), out)
    rows = np.flatnonzero(status == ConfirmationStatus.PRICE_DIFFERS)
    ticks = 1 + np.floor(u[rows, 1] * 5)
    sign = np.where(u[rows, 2] < 0.5, -1.0, 1.0)
    tick = tick_size[fills["instrument"][rows]]
    price = fills["price"][rows]
    their_price = price + sign * ticks * tick
    out["their_price"][rows] = np.where(their_price > 0, their_price, price + ticks * tick)
    rows = np.flatnonzero(status == ConfirmationStatus.QTY_DIFFERS)
    sign = np.where(u[rows, 2] < 0.5, -1, 1)
    qty = fills["qty"][rows]
    dq = np.maximum(1, np.floor(qty * (0.01 + 0.09 * u[rows, 3]))).astype(np.int64)
    out["their_qty"][rows] = np.where(qty - sign * dq > 0, qty - sign * dq, qty + dq)
    sdd = np.flatnonzero(status == ConfirmationStatus.SETTLE_DATE_DIFFERS)  # business days counted only for these
    out["their_settle_date"][sdd] = calendar.add_business_days(settle_dates[sdd].astype("datetime64[D]"), 1,
                                                               currencies).astype(np.int64)
    out["their_qty"][status == ConfirmationStatus.NO_ANSWER] = -1
    out["their_price"][status == ConfirmationStatus.NO_ANSWER] = np.nan
    out["their_settle_date"][status == ConfirmationStatus.NO_ANSWER] = -1
    days = np.where(status == ConfirmationStatus.MATCHED, 0,
                    cfg.resolution_days + (status == ConfirmationStatus.NO_ANSWER))
    # a matched confirmation is agreed on the trade date itself, even one that is a holiday of the calendar
    # (a trade on a venue open when the base currency's market is closed, e.g. Xetra on 4 July)
    later = np.flatnonzero(days)
    out["resolved_date"][later] = calendar.add_business_days(np.full(later.shape[0], td), days[later],
                                                             currencies).astype(np.int64)
    return out


def unmatched_on(confirmations: np.ndarray, as_of: int) -> np.ndarray:
    """Mask of confirmations still unmatched at the end of ``as_of`` (a break until resolved)."""
    return (confirmations["trade_date"] <= as_of) & (confirmations["resolved_date"] > as_of)
