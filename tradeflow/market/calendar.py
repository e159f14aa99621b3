"""Business-day calendars: kept for compatibility, the clock lives in :mod:`tradeflow.market.clock`."""

from tradeflow.market.clock import (
    BusinessCalendar,
    SettlementCalendar,
    SettlementCycles,
    fx_spot_date,
    settlement_dates,
)

__all__ = ["BusinessCalendar", "SettlementCalendar", "SettlementCycles", "settlement_dates", "fx_spot_date"]
