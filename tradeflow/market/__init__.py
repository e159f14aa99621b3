"""Market: simulated (or loaded) prices on a business-day calendar."""

from tradeflow.market.calendar import BusinessCalendar, SettlementCalendar
from tradeflow.market.models import garch_scale, merton_jumps
from tradeflow.market.paths import MarketData, instrument_table, simulate_market
from tradeflow.market.profile import intraday_profile
from tradeflow.market.stylized import stylized_facts

__all__ = ["BusinessCalendar", "SettlementCalendar", "MarketData", "garch_scale", "instrument_table",
           "intraday_profile", "merton_jumps", "simulate_market", "stylized_facts"]
