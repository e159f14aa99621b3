"""Plots of a run on matplotlib (optional: ``pip install "tradeflow[plot]"``), by office.

* :mod:`tradeflow.plotting.front`: positions, prices with fills, order flow.
* :mod:`tradeflow.plotting.middle`: P&L and exposure, risk against limits, limit breaches.
* :mod:`tradeflow.plotting.back`: settlements, breaks, settlement history, fails, penalties, P&L explain.
* :mod:`tradeflow.plotting.accessor`: ``result.plot``, which passes a run's tables to these.

Each function takes the table it draws (a DataFrame as :class:`~tradeflow.RunResult` exposes
it), draws on ``ax`` (a new figure when ``ax`` is None) and returns the axes, so plots compose
into a figure the analyst lays out.

The functions read columns by name, not record layouts, so a table that grows a column is
drawn with it: :func:`plot_breaks` stacks by age when the breaks carry ``age_days``, and
:func:`plot_timeseries` draws any per-group series (P&L, exposure, VaR) against time,
with an optional limit line.
"""

from tradeflow.plotting._common import AGE_BUCKETS, STATUS_COLORS, plot_timeseries
from tradeflow.plotting.back import (
    EXPLAIN_COMPONENTS,
    plot_breaks,
    plot_explain,
    plot_fails,
    plot_penalties,
    plot_settlement_history,
    plot_settlements,
)
from tradeflow.plotting.front import plot_orders, plot_positions, plot_prices
from tradeflow.plotting.middle import plot_breaches, plot_pnl, plot_risk

__all__ = [
    "plot_timeseries", "plot_pnl", "plot_positions", "plot_prices", "plot_orders", "plot_settlements",
    "plot_breaks", "STATUS_COLORS", "AGE_BUCKETS",
    "plot_risk", "plot_breaches", "plot_settlement_history", "plot_fails", "plot_penalties", "plot_explain",
    "EXPLAIN_COMPONENTS",
]
