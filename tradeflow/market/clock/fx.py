"""FX spot value dates by market convention, on each currency's settlement calendar."""

from __future__ import annotations

import numpy as np

from tradeflow.market.clock.settlement import BusinessCalendar

__all__ = ["fx_spot_date", "spot_lag", "T1_CURRENCIES"]

# Currencies whose spot against the US dollar is T+1 (against anything else T+2).
T1_CURRENCIES = frozenset({"CAD", "TRY", "RUB", "PHP"})


def spot_lag(pair: str) -> int:
    """Spot lag of ``pair`` in business days: 1 for USD/CAD, USD/TRY, USD/RUB, USD/PHP, else 2."""
    a, b = pair[:3], pair[3:]
    return 1 if "USD" in (a, b) and ({a, b} - {"USD"}) <= T1_CURRENCIES else 2


def fx_spot_date(calendar: BusinessCalendar, pair: str, trade_dates) -> np.ndarray:
    """Spot value date of an FX trade, by the interbank convention.

    The spot lag (:func:`spot_lag`) is counted one good day at a time from the trade date.
    Every day before the last only has to be a business day of the pair's non-USD
    currencies: a USD holiday on the first day of the spot period does not count (for a
    USD pair and for a cross alike). The last day, the value date, must be a business day
    of both currencies **and** of USD (crosses settle through USD correspondents); if not it
    rolls forward to the next day open in all three. The value date is therefore never a
    holiday of either currency.

    Parameters
    ----------
    calendar : BusinessCalendar
        Settlement calendars of the currencies (e.g. :class:`SettlementCalendar`).
    pair : str
        Six-letter pair such as ``"EURUSD"``.
    trade_dates : date-like or array of them

    Examples
    --------
    >>> cal = BusinessCalendar({"USD": ["2026-11-26"], "EUR": []})
    >>> str(fx_spot_date(cal, "EURUSD", "2026-11-25")[0])
    '2026-11-27'
    >>> str(fx_spot_date(cal, "USDCAD", "2026-11-24")[0])
    '2026-11-25'
    """
    if not (isinstance(pair, str) and len(pair) == 6 and pair.isupper() and pair[:3] != pair[3:]):
        raise ValueError(f"The 'pair' parameter of fx_spot_date must be a 6-letter currency pair such as "
                         f"'EURUSD'. Got {pair!r} instead.")
    a, b = pair[:3], pair[3:]
    non_usd = [c for c in (a, b) if c != "USD"]
    d = np.atleast_1d(np.asarray(trade_dates, dtype="datetime64[D]"))
    lag = spot_lag(pair)
    one = np.timedelta64(1, "D")
    for step in range(lag):
        ccys = list(dict.fromkeys([a, b, "USD"])) if step == lag - 1 else non_usd
        d = calendar.add_business_days(d + one, 0, ccys)  # the next good day after d
    return d
