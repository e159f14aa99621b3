"""Business-day calendars per currency, on numpy's ``busdaycalendar``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

__all__ = ["BusinessCalendar", "SettlementCycles", "settlement_dates", "fx_spot_date"]


class BusinessCalendar:
    """Weekends plus holidays, per currency.

    Parameters
    ----------
    holidays : mapping of currency to ISO dates
        Non-business days for each currency; Saturday and Sunday are always closed.

    Examples
    --------
    >>> cal = BusinessCalendar({"USD": ["2026-11-26"]})
    >>> str(cal.add_business_days("2026-11-25", 1, ["USD"]))  # skips Thanksgiving
    '2026-11-27'
    """

    def __init__(self, holidays: Mapping[str, Iterable[str]] | None = None) -> None:
        self._holidays = {
            ccy: np.array(sorted(days), dtype="datetime64[D]") for ccy, days in (holidays or {}).items()
        }

    def holidays(self, currencies: Iterable[str]) -> np.ndarray:
        """Union of the holidays of ``currencies`` (a settlement needs every one open)."""
        parts = [self._holidays.get(c, np.array([], dtype="datetime64[D]")) for c in currencies]
        return np.unique(np.concatenate(parts)) if parts else np.array([], dtype="datetime64[D]")

    def is_business_day(self, dates, currencies: Iterable[str]) -> np.ndarray:
        return np.is_busday(np.asarray(dates, dtype="datetime64[D]"), holidays=self.holidays(currencies))

    def business_days(self, start, n: int, currencies: Iterable[str]) -> np.ndarray:
        """The first ``n`` business days on or after ``start``."""
        hol = self.holidays(currencies)
        first = np.busday_offset(np.datetime64(start, "D"), 0, roll="forward", holidays=hol)
        return np.busday_offset(first, np.arange(n), roll="forward", holidays=hol)

    def add_business_days(self, dates, lag, currencies: Iterable[str]) -> np.ndarray:
        """``dates`` + ``lag`` business days open in every one of ``currencies``.

        A date that is itself closed rolls forward to the next business day first,
        which is how a settlement date is derived from a trade date.
        """
        return np.busday_offset(
            np.asarray(dates, dtype="datetime64[D]"), lag, roll="forward",
            holidays=self.holidays(currencies),
        )


class SettlementCycles:
    """Settlement cycle (T+n) per market, with the dates each cycle took effect.

    A market is keyed by its settlement currency. Before a market's first change the
    instrument's own lag applies; from each ``effective_date`` on, trades dated that day
    or later settle on the new cycle (e.g. the EU and UK move from T+2 to T+1 for trades
    from 2027-10-11; the US moved on 2024-05-28).

    Parameters
    ----------
    changes : mapping of currency to iterable of (effective_date, lag)

    Examples
    --------
    >>> cycles = SettlementCycles({"EUR": [("2027-10-11", 1)]})
    >>> [int(x) for x in cycles.lag("EUR", ["2027-10-08", "2027-10-11"], default=2)]
    [2, 1]
    """

    def __init__(self, changes: Mapping[str, Iterable[tuple[str, int]]] | None = None) -> None:
        self._changes = {}
        for ccy, rows in (changes or {}).items():
            rows = sorted((np.datetime64(d, "D"), int(lag)) for d, lag in rows)
            self._changes[ccy] = (np.array([d for d, _ in rows], dtype="datetime64[D]"),
                                  np.array([lag for _, lag in rows], dtype=np.int64))

    def lag(self, currency: str, trade_dates, *, default: int | np.ndarray) -> np.ndarray:
        """Settlement lag in business days of trades dated ``trade_dates`` in ``currency``'s market."""
        td = np.atleast_1d(np.asarray(trade_dates, dtype="datetime64[D]"))
        out = np.broadcast_to(np.asarray(default, np.int64), td.shape).copy()
        if currency in self._changes:
            eff, lags = self._changes[currency]
            k = np.searchsorted(eff, td, side="right") - 1  # the last change on or before the trade date
            out = np.where(k >= 0, lags[np.maximum(k, 0)], out)
        return out


def settlement_dates(calendar: BusinessCalendar, cycles: SettlementCycles, trade_dates, currency: str,
                     default_lag: int | np.ndarray) -> np.ndarray:
    """Settlement dates of trades in ``currency``'s market: trade date + the cycle's lag on its calendar."""
    td = np.atleast_1d(np.asarray(trade_dates, dtype="datetime64[D]"))
    lag = cycles.lag(currency, td, default=default_lag)
    return calendar.add_business_days(td, lag, [currency])


def fx_spot_date(calendar: BusinessCalendar, pair: str, trade_dates) -> np.ndarray:
    """Spot value date of an FX trade: T+2 (T+1 for USD/CAD) business days open in both currencies.

    Holidays of both currencies are skipped when counting, so the value date is a good
    day in both settlement centres.

    Examples
    --------
    >>> cal = BusinessCalendar({"USD": ["2026-11-26"], "EUR": []})
    >>> str(fx_spot_date(cal, "EURUSD", "2026-11-25")[0])
    '2026-11-30'
    >>> str(fx_spot_date(cal, "USDCAD", "2026-11-24")[0])
    '2026-11-25'
    """
    if not (isinstance(pair, str) and len(pair) == 6 and pair.isupper() and pair[:3] != pair[3:]):
        raise ValueError(f"The 'pair' parameter of fx_spot_date must be a 6-letter currency pair such as "
                         f"'EURUSD'. Got {pair!r} instead.")
    lag = 1 if {pair[:3], pair[3:]} == {"USD", "CAD"} else 2
    td = np.atleast_1d(np.asarray(trade_dates, dtype="datetime64[D]"))
    return calendar.add_business_days(td, lag, [pair[:3], pair[3:]])
