"""Venue-local wall-clock time for analysts: int64 ns UTC stays the record.

``local_time`` adds a column to a frame (``result.front.fills.pipe(tradeflow.local_time)``); it never
changes the UTC timestamps. Time zones come from ``exchange_calendars`` (the venue's calendar ``tz``),
so they agree with the sessions the run traded; a MIC without a calendar (``XOFF``) is UTC.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from tradeflow.market.clock.trading import has_exchange_calendar

__all__ = ["local_time", "venue_timezone"]


@lru_cache(maxsize=256)
def venue_timezone(mic: str) -> str:
    """IANA time zone of the venue ``mic`` (``"UTC"`` for a MIC ``exchange_calendars`` does not publish).

    Examples
    --------
    >>> venue_timezone("XETR"), venue_timezone("XNYS"), venue_timezone("XOFF")
    ('Europe/Berlin', 'America/New_York', 'UTC')
    """
    if not has_exchange_calendar(mic):
        return "UTC"
    import exchange_calendars as xcals

    return str(xcals.get_calendar(mic).tz)


def _utc(values) -> pd.DatetimeIndex:
    s = pd.Series(values)
    if pd.api.types.is_integer_dtype(s.dtype):
        return pd.DatetimeIndex(pd.to_datetime(s.to_numpy(np.int64), unit="ns", utc=True))
    idx = pd.DatetimeIndex(s)
    return idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")


def local_time(frame: pd.DataFrame, *, ts: str = "ts", venue: str = "venue", tz: str | None = None,
               name: str | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with the local wall-clock time of column ``ts``.

    Parameters
    ----------
    frame : DataFrame
        With a ``ts`` column of UTC times (tz-aware datetimes or int64 ns since the epoch).
    ts : str, default="ts"
    venue : str, default="venue"
        Column of MICs; each row is shown in its own venue's time zone. Not needed with ``tz``.
    tz : str, optional
        One IANA time zone for every row: the new column is tz-aware in that zone.
    name : str, optional
        Name of the new column, default ``f"{ts}_local"``. Without ``tz`` the column holds naive
        local wall-clock times (rows may be in different zones) and a ``{name}_tz`` column names
        each row's zone.

    Returns
    -------
    DataFrame

    Raises
    ------
    ValueError
        If ``ts`` (or ``venue`` without ``tz``) is not a column of ``frame``.

    Examples
    --------
    >>> df = pd.DataFrame({"ts": [1_795_593_600_000_000_000], "venue": ["XETR"]})  # 2026-11-25 08:00 UTC
    >>> str(local_time(df)["ts_local"][0])
    '2026-11-25 09:00:00'
    """
    if ts not in frame:
        raise ValueError(f"The 'ts' parameter of local_time names no column of the frame. Got {ts!r}.")
    name = f"{ts}_local" if name is None else name
    out = frame.copy()
    utc = _utc(frame[ts])
    if tz is not None:
        out[name] = utc.tz_convert(tz)
        return out
    if venue not in frame:
        raise ValueError(f"The 'venue' parameter of local_time names no column of the frame (give tz= for "
                         f"one zone). Got {venue!r}.")
    mics = pd.Series(frame[venue]).astype(str).to_numpy()
    wall = np.empty(len(frame), "datetime64[ns]")
    zone = np.empty(len(frame), object)
    for mic in pd.unique(mics):
        k = mics == mic
        z = venue_timezone(str(mic))
        wall[k] = utc[k].tz_convert(z).tz_localize(None).to_numpy()
        zone[k] = z
    out[name] = wall
    out[f"{name}_tz"] = pd.Categorical(zone)
    return out
