"""The trading clock: venue sessions, settlement calendars per market, cycles and FX value dates.

* :mod:`~tradeflow.market.clock.trading` -- trading days and sessions per venue (``exchange_calendars``);
* :mod:`~tradeflow.market.clock.settlement` -- settlement (CSD) calendars per currency (``holidays``)
  and settlement cycles with their history;
* :mod:`~tradeflow.market.clock.fx` -- FX spot value dates;
* :mod:`~tradeflow.market.clock.local` -- venue-local wall-clock columns for analysts.

Sources and conventions are documented in ``docs/calendars.md``.
"""

from tradeflow.market.clock.fx import T1_CURRENCIES, fx_spot_date, spot_lag
from tradeflow.market.clock.local import local_time, venue_timezone
from tradeflow.market.clock.settlement import (
    DEFAULT_CYCLES,
    HORIZON,
    SETTLEMENT_SOURCES,
    BusinessCalendar,
    SettlementCalendar,
    SettlementCycles,
    settlement_dates,
    settlement_holidays,
    settlement_lags,
)
from tradeflow.market.clock.trading import VenueSessions, has_exchange_calendar, venue_sessions

__all__ = ["BusinessCalendar", "SettlementCalendar", "SettlementCycles", "settlement_dates", "settlement_lags",
           "settlement_holidays", "SETTLEMENT_SOURCES", "DEFAULT_CYCLES", "HORIZON", "fx_spot_date", "spot_lag",
           "T1_CURRENCIES", "VenueSessions", "venue_sessions", "has_exchange_calendar", "local_time",
           "venue_timezone"]
