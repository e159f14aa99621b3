"""Drive the desk with the user's own prices: a DataFrame of timestamps x instruments."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["validate_user_prices", "prices_on_grid"]


# Prices are held as whole ticks in int64 downstream; above 2**53 ticks a float no longer holds every tick.
MAX_PRICE_TICKS = 2.0**53


def validate_user_prices(prices: pd.DataFrame, symbols: Sequence[str], *,
                         tick_sizes: Sequence[float] | None = None) -> pd.DataFrame:
    """Check a user price table and return it with a UTC index and only ``symbols`` columns.

    Parameters
    ----------
    prices : DataFrame
        Index: timestamps (a ``DatetimeIndex``, or values ``pandas.to_datetime`` parses; naive
        times are taken as UTC), strictly increasing, no NaT. Columns: at least every symbol in
        ``symbols``. Values: numbers, finite, positive.
    symbols : sequence of str
    tick_sizes : sequence of float, optional
        The instruments' tick sizes, in ``symbols`` order: every price must be at least one
        tick and at most ``2**53`` ticks.

    Raises
    ------
    TypeError
        ``prices`` is not a DataFrame.
    ValueError
        Naming the problem, its column and time: a missing symbol, an unparseable, missing (NaT),
        unsorted or duplicated timestamp, a non-numeric cell, a NaN/inf, a non-positive price, a
        price below one tick or above 2**53 ticks.
    """
    if not isinstance(prices, pd.DataFrame):
        raise TypeError(f"The 'prices' parameter must be a DataFrame of timestamps x instruments. "
                        f"Got {type(prices).__name__} instead.")
    index = prices.index
    if not isinstance(index, pd.DatetimeIndex):
        kind = pd.api.types.infer_dtype(index, skipna=True) if len(index) else "empty"
        if kind not in ("string", "datetime", "datetime64", "date"):
            raise ValueError("The 'prices' parameter must have a DatetimeIndex (timestamps x instruments). "
                             f"Got a {type(index).__name__} of {index.dtype} instead.")
        parsed = pd.to_datetime(pd.Series(index, dtype=object), errors="coerce", utc=True, format="mixed")
        bad = parsed.isna().to_numpy() & pd.notna(pd.Series(index, dtype=object)).to_numpy()
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise ValueError(f"The 'prices' parameter has an unparseable timestamp at row {r}: {index[r]!r}.")
        index = pd.DatetimeIndex(parsed)
    missing = [s for s in symbols if s not in prices.columns]
    if missing:
        raise ValueError(f"The 'prices' parameter lacks columns for instruments {missing}.")
    if len(prices) == 0:
        raise ValueError("The 'prices' parameter has no rows.")
    if index.hasnans:
        r = int(np.flatnonzero(index.isna())[0])
        raise ValueError(f"The 'prices' parameter has a missing timestamp (NaT) at row {r}.")
    idx = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    idx = idx.as_unit("ns")
    if not idx.is_monotonic_increasing:
        pos = int(np.flatnonzero(np.diff(idx.asi8) < 0)[0]) + 1
        raise ValueError(f"The 'prices' parameter must be sorted by time: row {pos} ({idx[pos]}) comes "
                         f"before the row above it.")
    if idx.has_duplicates:
        raise ValueError(f"The 'prices' parameter has duplicate timestamps, e.g. {idx[idx.duplicated()][0]}.")
    out = prices.loc[:, list(symbols)]
    for c, col in enumerate(out.columns):  # numbers only: a string cell is named, never parsed or dropped
        kind = out.dtypes.iloc[c].kind
        if kind not in "iuf":
            raw = out.iloc[:, c]
            num = pd.to_numeric(raw, errors="coerce")
            wrong = (num.isna() & raw.notna()).to_numpy() | raw.map(lambda v: isinstance(v, bool | str)).to_numpy()
            if kind == "b" or wrong.any():
                r = int(np.flatnonzero(wrong)[0]) if wrong.any() else 0
                raise ValueError(f"The 'prices' parameter must hold numbers: column {col!r} at {idx[r]} holds "
                                 f"{raw.iloc[r]!r}.")
    out = out.astype(np.float64)
    out.index = idx
    values = out.to_numpy()
    checks = [(~np.isfinite(values), "finite (no NaN or inf)"), (values <= 0, "positive")]
    if tick_sizes is not None:
        tick = np.asarray(tick_sizes, dtype=np.float64)[None, :]
        with np.errstate(invalid="ignore", over="ignore"):
            checks += [(values < tick * (1 - 1e-9), "at least one tick"),
                       (values / tick > MAX_PRICE_TICKS, "at most 2**53 ticks (an int64 tick count held exactly)")]
    for bad, what in checks:
        if bad.any():
            r, c = np.argwhere(bad)[0]
            extra = f" (tick size {tick_sizes[c]!r})" if tick_sizes is not None and "tick" in what else ""
            raise ValueError(f"The 'prices' parameter must be {what}: column {out.columns[c]!r} at {idx[r]} "
                             f"holds {float(values[r, c])!r}{extra}.")
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
    # C order, as the simulated mids: a Fortran-ordered array is another type to numba, and would compile
    # the whole desk loop again (about 40 s) for a run with the user's prices
    return np.ascontiguousarray(prices.to_numpy(np.float64)[pos].T)
