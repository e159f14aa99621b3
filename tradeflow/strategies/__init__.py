"""Desk strategies: the desk's own orders, sent by a strategy, through every office like a client's.

See ``docs/strategies.md``. :class:`Strategy` runs at the session cadence (plain Python, at each
open, with orders scheduled over the day); ``simulate(config, strategy=...)`` and
``run_many(..., strategy=...)`` run it.
"""

from tradeflow.strategies.base import DeskView, Strategy, merge_desk_orders
from tradeflow.strategies.examples import DeltaHedger, RiskReducer, schedule

__all__ = ["DeltaHedger", "DeskView", "RiskReducer", "Strategy", "merge_desk_orders", "schedule"]
