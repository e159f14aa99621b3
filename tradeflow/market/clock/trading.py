"""Trading days and sessions per venue, from ``exchange_calendars`` (keyed by ISO 10383 MIC).

Each venue trades in its own local session: NYSE 09:30-16:00 America/New_York, Xetra
09:00-17:30 Europe/Berlin, with daylight saving and early closes (NYSE 13:00 the day after
Thanksgiving and on Christmas Eve). Sessions are resolved once per run into int64 ns UTC arrays.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tradeflow.market.clock.settlement import HORIZON

__all__ = ["VenueSessions", "venue_sessions", "has_exchange_calendar", "NS_PER_DAY"]

NS_PER_DAY = 86_400 * 10**9


@lru_cache(maxsize=1)
def _calendar_names() -> frozenset[str]:
    import exchange_calendars as xcals  # ~1 s to import: only when a run resolves its sessions

    return frozenset(xcals.get_calendar_names(include_aliases=True))


def has_exchange_calendar(mic: str) -> bool:
    """Whether ``exchange_calendars`` publishes a calendar for ``mic``."""
    return mic in _calendar_names()


@lru_cache(maxsize=128)
def _schedule(mic: str, y0: int, y1: int) -> tuple[np.ndarray, ...]:
    """(days, open_ns, close_ns, break_start_ns, break_end_ns) of ``mic``'s sessions over years ``y0..y1``
    (-1 where a session has no break)."""
    import exchange_calendars as xcals
    import pandas as pd

    try:
        cal = xcals.get_calendar(mic, start=f"{y0}-01-01", end=f"{y1}-12-31")
    except (ValueError, xcals.errors.CalendarError) as exc:  # e.g. years beyond pandas' ns range
        # the calendar's own errors only: a warning turned into an error (``-W error``) is not "no data"
        raise ValueError(f"The exchange calendar {mic!r} has no data for {y0}-{y1}: {exc}") from exc
    sched = cal.schedule
    days = sched.index.values.astype("datetime64[D]")
    opens = pd.DatetimeIndex(sched["open"]).as_unit("ns").asi8.copy()  # tz-aware: ns since the epoch, UTC
    closes = pd.DatetimeIndex(sched["close"]).as_unit("ns").asi8.copy()
    brk = []
    for col in ("break_start", "break_end"):
        if col in sched:
            idx = pd.DatetimeIndex(sched[col]).as_unit("ns")
            brk.append(np.where(idx.isna(), -1, idx.asi8).astype(np.int64))
        else:
            brk.append(np.full(days.shape, -1, np.int64))
    out = (days, opens, closes, brk[0], brk[1])
    for a in out:
        a.flags.writeable = False
    return out


@dataclass(frozen=True)
class VenueSessions:
    """Sessions of several venues over a range of days, in int64 ns UTC.

    Attributes
    ----------
    venues : tuple of str
        MICs, one row each.
    days : datetime64[D] ndarray of shape (n_days,)
        Every calendar day of the range.
    open_ns, close_ns : int64 ndarray of shape (n_venues, n_days)
        Session open and close (ns since the epoch, UTC); -1 where the venue is closed.
    sources : tuple of str
        Where each venue's sessions come from.
    break_start_ns, break_end_ns : int64 ndarray of shape (n_venues, n_days), optional
        The lunch break inside a session (Tokyo 11:30-12:30, Hong Kong 12:00-13:00 local, from
        ``exchange_calendars``), -1 where there is none: no trading, flow or fills in it.
    """

    venues: tuple[str, ...]
    days: np.ndarray
    open_ns: np.ndarray
    close_ns: np.ndarray
    sources: tuple[str, ...]
    break_start_ns: np.ndarray | None = None
    break_end_ns: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.break_start_ns is None:
            object.__setattr__(self, "break_start_ns", np.full(self.open_ns.shape, -1, np.int64))
            object.__setattr__(self, "break_end_ns", np.full(self.open_ns.shape, -1, np.int64))

    @property
    def is_open(self) -> np.ndarray:
        """bool ndarray of shape (n_venues, n_days): the venue has a session that day."""
        return self.open_ns >= 0

    def trading_days(self, venue: str) -> np.ndarray:
        """The days ``venue`` trades."""
        return self.days[self.is_open[self.venues.index(venue)]]

    def desk_days(self) -> np.ndarray:
        """Days on which at least one venue trades (the desk-day is the union of its venues' sessions)."""
        return self.days[self.is_open.any(axis=0)]

    def day(self, day) -> tuple[np.ndarray, np.ndarray]:
        """(open_ns, close_ns) of every venue on ``day`` (-1 where closed)."""
        k = int((np.datetime64(day, "D") - self.days[0]).astype(np.int64))
        if not 0 <= k < self.days.shape[0]:
            raise ValueError(f"The date {np.datetime64(day, 'D')} is outside these sessions "
                             f"({self.days[0]} to {self.days[-1]}).")
        return self.open_ns[:, k].copy(), self.close_ns[:, k].copy()

    def day_breaks(self, day) -> tuple[np.ndarray, np.ndarray]:
        """(break_start_ns, break_end_ns) of every venue on ``day`` (-1 where no break)."""
        k = int((np.datetime64(day, "D") - self.days[0]).astype(np.int64))
        self.day(day)  # the range check
        return self.break_start_ns[:, k].copy(), self.break_end_ns[:, k].copy()

    def frame(self):
        """Long DataFrame: venue, date, open and close (UTC timestamps) of every session."""
        import pandas as pd

        v, d = np.nonzero(self.is_open)

        def _ts(a):
            return pd.to_datetime(np.where(a >= 0, a, np.iinfo(np.int64).min), utc=True)

        return pd.DataFrame({
            "venue": np.array(self.venues, dtype=object)[v], "date": self.days[d],
            "open": pd.to_datetime(self.open_ns[v, d], utc=True),
            "close": pd.to_datetime(self.close_ns[v, d], utc=True),
            "break_start": _ts(self.break_start_ns[v, d]), "break_end": _ts(self.break_end_ns[v, d]),
        })


def venue_sessions(venues: Iterable[str], start, end, *, fallback_open_ns: int = 14 * 3600 * 10**9 + 30 * 60 * 10**9,
                   fallback_close_ns: int = 21 * 3600 * 10**9,
                   fallback_holidays: Sequence | None = None) -> VenueSessions:
    """Resolve the sessions of ``venues`` from ``start`` to ``end`` (inclusive) into arrays.

    Parameters
    ----------
    venues : iterable of str
        ISO 10383 MICs. A MIC ``exchange_calendars`` does not publish (``XOFF``, an OTC
        venue) trades ``fallback_open_ns``-``fallback_close_ns`` (ns after midnight UTC) on
        weekdays other than ``fallback_holidays``.
    start, end : date-like

    Raises
    ------
    ValueError
        If a date lies outside the clock's data horizon, naming the date and the calendar.

    Examples
    --------
    >>> s = venue_sessions(["XNYS", "XETR"], "2024-11-29", "2024-11-29")
    >>> [str(np.datetime64(int(x), "ns")) for x in s.close_ns[:, 0]]  # NYSE half-day after Thanksgiving
    ['2024-11-29T18:00:00.000000000', '2024-11-29T16:30:00.000000000']
    """
    venues = tuple(dict.fromkeys(venues))
    start, end = np.datetime64(start, "D"), np.datetime64(end, "D")
    if end < start:
        raise ValueError(f"The 'end' parameter of venue_sessions must be on or after start ({start}). Got {end}.")
    lo, hi = np.datetime64(HORIZON[0], "D"), np.datetime64(HORIZON[1], "D")
    for d in (start, end):
        if d < lo or d > hi:
            raise ValueError(f"The date {d} is outside the data of the trading calendars of {', '.join(venues)}: "
                             f"the clock covers {HORIZON[0]} to {HORIZON[1]}.")
    days = np.arange(start, end + np.timedelta64(1, "D"))
    n = days.shape[0]
    open_ns = np.full((len(venues), n), -1, np.int64)
    close_ns = np.full((len(venues), n), -1, np.int64)
    bs_ns = np.full((len(venues), n), -1, np.int64)
    be_ns = np.full((len(venues), n), -1, np.int64)
    sources = []
    day_ns = days.astype(np.int64) * NS_PER_DAY
    for v, mic in enumerate(venues):
        if has_exchange_calendar(mic):
            y0, y1 = int(str(start)[:4]), int(str(end)[:4])
            cd, co, cc, cbs, cbe = _schedule(mic, max(y0 - 1, int(HORIZON[0][:4])),
                                             min(y1 + 1, int(HORIZON[1][:4])))
            k = np.searchsorted(cd, days)
            hit = (k < cd.shape[0]) & (cd[np.minimum(k, cd.shape[0] - 1)] == days)
            open_ns[v, hit] = co[k[hit]]
            close_ns[v, hit] = cc[k[hit]]
            bs_ns[v, hit] = cbs[k[hit]]
            be_ns[v, hit] = cbe[k[hit]]
            sources.append(f"exchange_calendars {mic}")
        else:
            hol = np.array(fallback_holidays or [], dtype="datetime64[D]")
            ok = np.is_busday(days, holidays=hol)
            open_ns[v, ok] = day_ns[ok] + fallback_open_ns
            close_ns[v, ok] = day_ns[ok] + fallback_close_ns
            sources.append("MarketConfig.session_open/session_close (UTC), weekdays")
    return VenueSessions(venues=venues, days=days, open_ns=open_ns, close_ns=close_ns, sources=tuple(sources),
                         break_start_ns=bs_ns, break_end_ns=be_ns)
