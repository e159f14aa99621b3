"""Drive the desk with the user's own prices: a DataFrame of timestamps x instruments."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["validate_user_prices", "prices_on_grid"]


def validate_user_prices(prices: pd.DataFrame, symbols: Sequence[str]) -> pd.DataFrame:
    """Check a user price table and return it with a UTC index and only ``symbols`` columns.

    Parameters
    ----------
    prices : DataFrame
        Index: timestamps (a ``DatetimeIndex``; naive times are taken as UTC), strictly
        increasing. Columns: at least every symbol in ``symbols``. Values: finite, positive.

    Raises
    ------
    ValueError
        Naming the problem: not a DataFrame, a missing symbol, an unsorted or duplicated
        index, a NaN/inf or a non-positive price (with its column and time).
    """
    if not isinstance(prices, pd.DataFrame):
        raise ValueError(f"The 'prices' parameter must be a DataFrame of timestamps x instruments. "
                         f"Got {type(prices).__name__} instead.")
    if not isinstance(prices.index, pd.DatetimeIndex):
        raise ValueError("The 'prices' parameter must have a DatetimeIndex (timestamps x instruments).")
    missing = [s for s in symbols if s not in prices.columns]
    if missing:
        raise ValueError(f"The 'prices' parameter lacks columns for instruments {missing}.")
    if len(prices) == 0:
        raise ValueError("The 'prices' parameter has no rows.")
    idx = prices.index.tz_localize("UTC") if prices.index.tz is None else prices.index.tz_convert("UTC")
    idx = idx.as_unit("ns")
    if not idx.is_monotonic_increasing:
        pos = int(np.flatnonzero(np.diff(idx.asi8) < 0)[0]) + 1
        raise ValueError(f"The 'prices' parameter must be sorted by time: row {pos} ({idx[pos]}) comes "
                         f"before the row above it.")
    if idx.has_duplicates:
        raise ValueError(f"The 'prices' parameter has duplicate timestamps, e.g. {idx[idx.duplicated()][0]}.")
    out = prices.loc[:, list(symbols)].astype(np.float64)
    out.index = idx
    values = out.to_numpy()
    for bad, what in ((~np.isfinite(values), "finite (no NaN or inf)"), (values <= 0, "positive")):
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise ValueError(f"The 'prices' parameter must be {what}: column {out.columns[c]!r} at {idx[r]} "
                             f"holds {values[r, c]!r}.")
    return out


def prices_on_grid(prices: pd.DataFrame, times: np.ndarray) -> np.ndarray:
    """The last price at or before each grid time (the first one before the first observation).

    Returns
    -------
    float64 ndarray of shape (n_columns, len(times)).

    Raises
    ------
    ValueError
        If no observation falls within the grid's span.
    """
    ts = prices.index.asi8
    inside = (ts >= times[0]) & (ts <= times[-1])
    if not inside.any():
        raise ValueError(f"The 'prices' parameter has no prices between {pd.Timestamp(times[0], tz='UTC')} and "
                         f"{pd.Timestamp(times[-1], tz='UTC')} (a simulated session).")
    pos = np.searchsorted(ts, times, side="right") - 1
    pos = np.where(pos < 0, np.flatnonzero(inside)[0], pos)
    return prices.to_numpy().T[:, pos]
