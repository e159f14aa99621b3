"""Business-day calendars per currency, on numpy's ``busdaycalendar``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

__all__ = ["BusinessCalendar"]


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
