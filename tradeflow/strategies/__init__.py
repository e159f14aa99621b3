"""Desk strategies: the desk's own orders, sent by a strategy, through every office like a client's.

See ``docs/strategies.md``. :class:`Strategy` runs at the session cadence (plain Python, at each
open, with orders scheduled over the day); :class:`NumbaStrategy` runs inside the compiled
session loop (intraday, on grid steps, fills and a timer; :func:`avellaneda_stoikov`,
:func:`delta_hedger` and :func:`risk_reducer` are shipped ones) and :func:`python_strategy` is plain
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
    delta_nb,
    open_at_nb,
    python_strategy,
    send_nb,
    var_nb,
    working_nb,
)
from tradeflow.strategies.market_maker import AS_LOG_COLUMNS, as_quotes, avellaneda_stoikov
from tradeflow.strategies.risk import HEDGE_LOG_COLUMNS, REDUCER_LOG_COLUMNS, delta_hedger, risk_reducer

__all__ = ["AS_LOG_COLUMNS", "DeltaHedger", "DeskView", "HEDGE_LOG_COLUMNS", "NumbaStrategy", "REDUCER_LOG_COLUMNS",
           "RiskReducer", "SE_CLIENT_FILL", "SE_FILL", "SE_STEP", "SE_TIMER", "Strategy", "amend_nb", "as_quotes",
           "avellaneda_stoikov", "cancel_nb", "delta_hedger", "delta_nb", "merge_desk_orders", "open_at_nb",
           "python_strategy", "risk_reducer", "schedule", "send_nb", "var_nb", "working_nb"]
