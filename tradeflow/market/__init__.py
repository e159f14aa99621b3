"""Market: simulated (or loaded) prices on a business-day calendar."""

from tradeflow.market.calendar import BusinessCalendar
from tradeflow.market.paths import MarketData, instrument_table, simulate_market

__all__ = ["BusinessCalendar", "MarketData", "instrument_table", "simulate_market"]
