"""Settlement instructions: one per fill, due T + the instrument's lag in business days."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.market.calendar import BusinessCalendar
from tradeflow.schema import SETTLEMENT_DT, SettlementStatus

__all__ = ["settlement_instructions", "settle_as_of", "to_minor"]


def to_minor(amount: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Round currency amounts to int64 minor units (``scale`` = 10 ** minor digits)."""
    return np.rint(np.asarray(amount, np.float64) * scale).astype(np.int64)


def settlement_instructions(fills: np.ndarray, instruments: pd.DataFrame, currencies: tuple[str, ...],
                            calendar: BusinessCalendar, trade_date: np.datetime64,
                            minor_scale: np.ndarray, *, first_instruction_id: int = 0) -> np.ndarray:
    """Delivery-versus-payment instructions for a day's fills.

    The settlement date is the trade date plus the instrument's lag in business days
    of its currency's calendar (weekends and holidays skipped). At the end of the trade
    date an instruction is ``SETTLED`` only if it was due that day (T+0), else ``PENDING``.

    Parameters
    ----------
    fills : ndarray of FILL_DT
    instruments : DataFrame
        The instrument table (``settlement_lag``, ``currency``, ``currency_id``).
    currencies : tuple of str
    calendar : BusinessCalendar
    trade_date : numpy.datetime64
    minor_scale : float64 ndarray of shape (n_instruments,)
    first_instruction_id : int, default=0

    Returns
    -------
    ndarray of SETTLEMENT_DT, one per fill in fill order.
    """
    n = fills.shape[0]
    out = np.zeros(n, dtype=SETTLEMENT_DT)
    inst = fills["instrument"]
    lag = instruments["settlement_lag"].to_numpy(np.int64)
    ccy_id = instruments["currency_id"].to_numpy(np.int32)
    # one settlement date per instrument: its lag on its currency's calendar
    settle_by_inst = np.array(
        [calendar.add_business_days(trade_date, int(lag[i]), [currencies[ccy_id[i]]]).astype(np.int64)
         for i in range(len(instruments))], dtype=np.int64,
    )
    td = np.int64(trade_date.astype("datetime64[D]").astype(np.int64))
    out["instruction_id"] = first_instruction_id + np.arange(n)
    out["fill_id"] = fills["fill_id"]
    out["book"] = fills["book"]
    out["instrument"] = inst
    out["counterparty"] = fills["counterparty"]
    out["currency"] = ccy_id[inst]
    out["side"] = fills["side"]
    out["trade_date"] = td
    out["settle_date"] = settle_by_inst[inst] if n else np.zeros(0, np.int64)
    out["qty"] = fills["qty"]
    out["cash_amount"] = fills["side"] * to_minor(fills["qty"] * fills["price"], minor_scale[inst])
    settle_as_of(out, td)
    return out


def settle_as_of(instructions: np.ndarray, as_of: int) -> None:
    """Mark instructions due on or before ``as_of`` (days since epoch) settled, in place.

    Settlement here never fails: every due instruction settles on its date.
    """
    due = instructions["settle_date"] <= as_of
    instructions["status"] = np.where(due, SettlementStatus.SETTLED, SettlementStatus.PENDING)
