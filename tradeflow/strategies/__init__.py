"""Desk strategies: the desk's own orders, sent by a strategy, through every office like a client's.

See ``docs/strategies.md``. :class:`Strategy` runs at the session cadence (plain Python, at each
open, with orders scheduled over the day); :class:`NumbaStrategy` runs inside the compiled
session loop (intraday, on grid steps, fills and a timer) and :func:`python_strategy` is plain
Python at a coarse intraday cadence. ``simulate(config, strategy=...)`` and
``run_many(..., strategy=...)`` run them.
"""

from tradeflow.strategies.base import DeskView, Strategy, merge_desk_orders
from tradeflow.strategies.examples import DeltaHedger, RiskReducer, schedule
from tradeflow.strategies.intraday import (
    SE_CLIENT_FILL,
    SE_FILL,
    SE_STEP,
    SE_TIMER,
    NumbaStrategy,
    amend_nb,
    cancel_nb,
    python_strategy,
    send_nb,
    working_nb,
)
from tradeflow.strategies.market_maker import AS_LOG_COLUMNS, as_quotes, avellaneda_stoikov

__all__ = ["AS_LOG_COLUMNS", "DeltaHedger", "DeskView", "NumbaStrategy", "RiskReducer", "SE_CLIENT_FILL", "SE_FILL",
           "SE_STEP", "SE_TIMER", "Strategy", "amend_nb", "as_quotes", "avellaneda_stoikov", "cancel_nb",
           "merge_desk_orders", "python_strategy", "schedule", "send_nb", "working_nb"]
