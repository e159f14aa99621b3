"""Time constants: tradeflow's clock is int64 nanoseconds since the UNIX epoch (UTC); dates are days since it.

>>> NS_PER_DAY // NS_PER_SECOND
86400
"""

from __future__ import annotations

__all__ = ["NS_PER_SECOND", "NS_PER_MINUTE", "NS_PER_HOUR", "NS_PER_DAY", "NS_PER_YEAR", "DAYS_PER_YEAR"]

NS_PER_SECOND = 1_000_000_000
NS_PER_MINUTE = 60 * NS_PER_SECOND
NS_PER_HOUR = 60 * NS_PER_MINUTE
NS_PER_DAY = 24 * NS_PER_HOUR
DAYS_PER_YEAR = 365  # ACT/365 year fractions (option expiries, rates)
NS_PER_YEAR = DAYS_PER_YEAR * NS_PER_DAY
