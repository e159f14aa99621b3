"""Settlement calendars per market (the CSD's business days) and settlement cycles with their history.

A security settles on its central securities depository's business days, which are not its
exchange's trading days: DTC follows the Federal Reserve (closed on Columbus Day and Veterans
Day although NYSE trades; open on Good Friday although NYSE is closed), T2S follows TARGET2
(closed on Good Friday, Easter Monday, 1 May, Christmas and 26 December only), and so on. The
holiday lists come from the ``holidays`` package (see ``docs/calendars.md`` for the source of
each currency and why it is not QuantLib, which the tests use as the independent oracle).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

import numpy as np

from tradeflow.config.back import DEFAULT_SETTLEMENT_CYCLES

__all__ = ["BusinessCalendar", "SettlementCalendar", "SettlementCycles", "settlement_dates", "settlement_lags",
           "SETTLEMENT_SOURCES", "DEFAULT_CYCLES", "HORIZON", "settlement_holidays"]

# The clock's data horizon: the holiday rules are known (and one-off closures published) for these dates.
HORIZON: tuple[str, str] = ("2000-01-01", "2035-12-31")

# Settlement cycle history per market (effective trade date, T+n), declared with the back-office config.
DEFAULT_CYCLES = DEFAULT_SETTLEMENT_CYCLES
DEFAULT_LAG = 2  # a market without history settles T+2

# currency -> (description of the CSD / payment system calendar, how it is built from `holidays`)
SETTLEMENT_SOURCES: dict[str, str] = {
    "USD": "Federal Reserve (Fedwire, DTC): holidays.financial_holidays('XFED')",
    "EUR": "TARGET2 / T2S: holidays.financial_holidays('XECB')",
    "GBP": "England & Wales bank holidays (CREST, CHAPS): holidays.UK(subdiv='ENG')",
    "CHF": "SIX SIS / SIC: holidays.financial_holidays('XSWX') less 24 and 31 December (exchange-only closures)",
    "CAD": "CDS / Payments Canada: holidays.CA(subdiv='ON', public+government+optional) less Easter Monday",
    "JPY": "BOJ-NET / JASDEC bank holidays: holidays.JP(categories=('public', 'bank'))",
    "AUD": "Austraclear (Sydney): holidays.AU(subdiv='NSW', public+bank)",
    "HKD": "HKICL / CCASS: holidays.HK()",
    "SGD": "MAS / CDP: holidays.SG()",
    "SEK": "Euroclear Sweden / RIX: holidays.SE()",
    "NOK": "Euronext VPS / NBO: holidays.NO()",
    "DKK": "Euronext Securities Copenhagen / Kronos2: holidays.DK()",
}


def _build(currency: str, years: range):
    import holidays  # imported here: it is only needed when a run resolves its calendars

    if currency == "USD":
        return holidays.financial_holidays("XFED", years=years)
    if currency == "EUR":
        return holidays.financial_holidays("XECB", years=years)
    if currency == "GBP":
        return holidays.UK(subdiv="ENG", years=years)
    if currency == "CHF":
        h = holidays.financial_holidays("XSWX", years=years)
        return {d: n for d, n in h.items() if not (d.month == 12 and d.day in (24, 31))}
    if currency == "CAD":
        h = holidays.CA(subdiv="ON", years=years, categories=("public", "government", "optional"))
        return {d: n for d, n in h.items() if "Easter Monday" not in n}
    if currency == "JPY":
        return holidays.JP(years=years, categories=("public", "bank"))
    if currency == "AUD":
        return holidays.AU(subdiv="NSW", years=years, categories=("public", "bank"))
    country = {"HKD": "HK", "SGD": "SG", "SEK": "SE", "NOK": "NO", "DKK": "DK"}.get(currency)
    if country is not None:
        return holidays.country_holidays(country, years=years)
    return None


@lru_cache(maxsize=64)
def _holiday_array(currency: str) -> np.ndarray | None:
    y0, y1 = int(HORIZON[0][:4]), int(HORIZON[1][:4])
    h = _build(currency, range(y0, y1 + 1))
    if h is None:
        return None
    out = np.array(sorted(h), dtype="datetime64[D]")
    out = out[np.is_busday(out)]  # weekends are closed anyway
    out.flags.writeable = False
    return out


def settlement_holidays(currency: str) -> np.ndarray:
    """Weekday holidays of ``currency``'s settlement calendar over the clock's :data:`HORIZON`.

    Raises
    ------
    ValueError
        If the clock has no settlement calendar for ``currency`` (see :data:`SETTLEMENT_SOURCES`).

    Examples
    --------
    >>> h = settlement_holidays("USD")
    >>> bool(np.datetime64("2024-10-14") in h)  # Columbus Day: Fed and DTC closed, NYSE open
    True
    """
    arr = _holiday_array(currency)
    if arr is None:
        raise ValueError(f"No settlement calendar for currency {currency!r}: known are "
                         f"{sorted(SETTLEMENT_SOURCES)}; give its holidays in MarketConfig.holidays.")
    return arr


class BusinessCalendar:
    """Weekends plus holidays, per currency (the holiday lists given, nothing else).

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
        self._union: dict[tuple[str, ...], np.ndarray] = {}

    def _check(self, dates: np.ndarray, currencies: Iterable[str]) -> None:
        """Raise if ``dates`` fall outside the calendars' data (plain lists have no horizon)."""

    def holidays(self, currencies: Iterable[str]) -> np.ndarray:
        """Union of the holidays of ``currencies`` (a settlement needs every one open)."""
        key = tuple(sorted(set(currencies)))
        if key not in self._union:
            parts = [self._holidays.get(c, np.array([], dtype="datetime64[D]")) for c in key]
            self._union[key] = np.unique(np.concatenate(parts)) if parts else np.array([], dtype="datetime64[D]")
        return self._union[key]

    def is_business_day(self, dates, currencies: Iterable[str]) -> np.ndarray:
        """Whether each of ``dates`` is open in every one of ``currencies``."""
        currencies = list(currencies)
        d = np.asarray(dates, dtype="datetime64[D]")
        self._check(d, currencies)
        return np.is_busday(d, holidays=self.holidays(currencies))

    def business_days(self, start, n: int, currencies: Iterable[str]) -> np.ndarray:
        """The first ``n`` business days on or after ``start``."""
        currencies = list(currencies)
        hol = self.holidays(currencies)
        first = np.busday_offset(np.datetime64(start, "D"), 0, roll="forward", holidays=hol)
        out = np.busday_offset(first, np.arange(n), roll="forward", holidays=hol)
        self._check(np.r_[np.datetime64(start, "D"), out], currencies)
        return out

    def add_business_days(self, dates, lag, currencies: Iterable[str]) -> np.ndarray:
        """``dates`` + ``lag`` business days open in every one of ``currencies``.

        A date that is itself closed rolls forward to the next business day first,
        which is how a settlement date is derived from a trade date.
        """
        currencies = list(currencies)
        d = np.asarray(dates, dtype="datetime64[D]")
        out = np.busday_offset(d, lag, roll="forward", holidays=self.holidays(currencies))
        self._check(np.r_[np.ravel(d), np.ravel(out)], currencies)
        return out


class SettlementCalendar(BusinessCalendar):
    """The settlement (CSD) calendars of ``currencies``, merged with user-supplied holidays.

    Parameters
    ----------
    currencies : iterable of str
        Markets whose published calendar is loaded (see :data:`SETTLEMENT_SOURCES`); a currency
        without one is open every weekday except its ``extra`` holidays.
    extra : mapping of currency to ISO dates, optional
        User holidays (``MarketConfig.holidays``), added to the published ones.

    Raises
    ------
    ValueError
        From any method, for a date outside :data:`HORIZON`, naming the date and the calendar.

    Examples
    --------
    >>> cal = SettlementCalendar(["USD", "EUR"])
    >>> str(cal.add_business_days("2024-10-11", 1, ["USD"])[()])  # Columbus Day: DTC closed
    '2024-10-15'
    >>> str(cal.add_business_days("2024-10-11", 1, ["EUR"])[()])  # T2S open
    '2024-10-14'
    """

    def __init__(self, currencies: Iterable[str], extra: Mapping[str, Iterable[str]] | None = None) -> None:
        extra = {c: list(v) for c, v in (extra or {}).items()}
        self.sources: dict[str, str] = {}
        merged: dict[str, np.ndarray] = {}
        for c in dict.fromkeys(list(currencies) + list(extra)):
            arr = _holiday_array(c)
            self.sources[c] = SETTLEMENT_SOURCES[c] if arr is not None else "weekends only"
            user = np.array(extra.get(c, []), dtype="datetime64[D]")
            merged[c] = np.unique(np.concatenate([arr if arr is not None else user[:0], user]))
            if extra.get(c):
                self.sources[c] += " + MarketConfig.holidays"
        super().__init__()
        self._holidays = merged
        self._lo, self._hi = np.datetime64(HORIZON[0], "D"), np.datetime64(HORIZON[1], "D")

    def _check(self, dates: np.ndarray, currencies: Iterable[str]) -> None:
        d = np.ravel(np.asarray(dates, dtype="datetime64[D]"))
        if d.size == 0:
            return
        bad = d[(d < self._lo) | (d > self._hi)]
        if bad.size:
            names = ", ".join(f"{c} ({self.sources.get(c, 'weekends only')})" for c in currencies)
            raise ValueError(f"The date {bad[0]} is outside the data of the settlement calendar of {names}: "
                             f"it covers {HORIZON[0]} to {HORIZON[1]}.")

    def holidays(self, currencies: Iterable[str]) -> np.ndarray:
        currencies = list(currencies)
        for c in currencies:
            if c not in self._holidays:  # a currency met later in the run: load it once
                arr = _holiday_array(c)
                self._holidays[c] = arr if arr is not None else np.array([], dtype="datetime64[D]")
                self.sources[c] = SETTLEMENT_SOURCES[c] if arr is not None else "weekends only"
        return super().holidays(currencies)


class SettlementCycles:
    """Settlement cycle (T+n) per market, with the dates each cycle took effect.

    A market is keyed by its settlement currency. From each ``effective_date`` on, trades
    dated that day or later settle on the new cycle (e.g. the US moved from T+2 to T+1 for
    trades from 2024-05-28; the EU, UK and Switzerland move for trades from 2027-10-11).
    Before a market's first entry, and in a market without entries, ``default`` applies.

    Parameters
    ----------
    changes : mapping of currency to iterable of (effective_date, lag)
        Defaults to nothing; :data:`DEFAULT_CYCLES` holds the real histories.

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

    def lag(self, currency: str, trade_dates, *, default: int | np.ndarray = DEFAULT_LAG) -> np.ndarray:
        """Settlement lag in business days of trades dated ``trade_dates`` in ``currency``'s market."""
        td = np.atleast_1d(np.asarray(trade_dates, dtype="datetime64[D]"))
        out = np.broadcast_to(np.asarray(default, np.int64), td.shape).copy()
        if currency in self._changes:
            eff, lags = self._changes[currency]
            k = np.searchsorted(eff, td, side="right") - 1  # the last change on or before the trade date
            out = np.where(k >= 0, lags[np.maximum(k, 0)], out)
        return out


def settlement_lags(cycles: SettlementCycles, trade_date, currencies: Iterable[str],
                    instrument_lag: np.ndarray) -> np.ndarray:
    """Each instrument's lag on ``trade_date``: its own ``settlement_lag`` when set (>= 0), else its market's cycle.

    Parameters
    ----------
    cycles : SettlementCycles
    trade_date : date-like
    currencies : sequence of str
        Each instrument's settlement currency.
    instrument_lag : int64 ndarray
        Per-instrument overrides, -1 where the market's cycle applies.
    """
    currencies = list(currencies)
    lag = np.asarray(instrument_lag, np.int64)
    market = np.array([int(cycles.lag(c, trade_date)[0]) for c in currencies], np.int64)
    return np.where(lag >= 0, lag, market)


def settlement_dates(calendar: BusinessCalendar, cycles: SettlementCycles, trade_dates, currency: str,
                     default_lag: int | np.ndarray = DEFAULT_LAG) -> np.ndarray:
    """Settlement dates of trades in ``currency``'s market: trade date + the cycle's lag on its calendar.

    A trade dated on a closed settlement day (e.g. Columbus Day in the US) counts its lag from
    the next open day.

    Examples
    --------
    >>> cal = SettlementCalendar(["USD"])
    >>> cyc = SettlementCycles(DEFAULT_CYCLES)
    >>> [str(d) for d in settlement_dates(cal, cyc, ["2024-05-24", "2024-05-28"], "USD")]
    ['2024-05-29', '2024-05-29']
    """
    td = np.atleast_1d(np.asarray(trade_dates, dtype="datetime64[D]"))
    lag = cycles.lag(currency, td, default=default_lag)
    return calendar.add_business_days(td, lag, [currency])
