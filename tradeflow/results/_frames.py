"""Helpers the office views share: codes to labels, days to dates, the generic table view."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tradeflow.schema import optional_labels, records_to_frame, table

if TYPE_CHECKING:
    from tradeflow.results.result import RunResult

# int64 fields of days since the epoch (-1: not yet) and of nanoseconds since the epoch
DATE_FIELDS = ("trade_date", "settle_date", "as_of", "settled_date", "resolved_date", "our_settle_date",
               "their_settle_date", "value_date", "first_seen")
TS_FIELDS = ("ts", "ts_done", "ts_end", "ts_booked", "ts_cancel")


def dates_or_nat(days: np.ndarray) -> pd.Series:
    """Days since epoch as dates; -1 (not yet) as NaT."""
    d = np.asarray(days, np.int64)
    return pd.Series(pd.to_datetime(np.where(d >= 0, d, 0), unit="D")).where(d >= 0).reset_index(drop=True)


__all__ = ["dates_or_nat", "optional_labels", "table_frame", "DATE_FIELDS", "TS_FIELDS"]


def table_frame(result: RunResult, name: str) -> pd.DataFrame:
    """The readable view of any registered record table (see :data:`tradeflow.schema.TABLES`).

    Enum codes become labels (``-1`` missing for nullable fields), times UTC timestamps,
    days dates (``-1``: NaT), instrument ids symbols, currency ids codes and venue ids MICs
    (``-1``: missing). A table a run lacks is an empty frame of the table's columns.
    """
    entry = table(name)
    rec = result.records.get(entry.name)
    if rec is None:
        rec = entry.empty()
    df = records_to_frame(rec, table=entry.name, ts_fields=(), date_fields=())
    for col in df.columns:
        if col in DATE_FIELDS:
            df[col] = dates_or_nat(rec[col])
        elif col in TS_FIELDS and rec.dtype[col] == np.int64:
            df[col] = pd.to_datetime(rec[col], unit="ns", utc=True)
    if "instrument" in df:
        df["instrument"] = result._symbols_or_none(rec["instrument"])
    if "currency" in df:
        df["currency"] = result._currencies_or_none(rec["currency"])
    if "venue" in df:
        df["venue"] = result._venues(rec["venue"])
    return df
