"""Per-run summary metrics of :func:`tradeflow.run_many`: the one table of :mod:`tradeflow.results.stats`.

A run's row in ``run_many``'s summary is ``summarize(result)``, the same numbers as
``result.stats()``; see :mod:`tradeflow.results.stats` to read or extend the table.
"""

from __future__ import annotations

from tradeflow.results.stats import (
    METRICS,
    Metric,
    close_pnl,
    count,
    count_by,
    describe_metrics,
    summarize,
)

__all__ = ["Metric", "METRICS", "summarize", "count", "count_by", "close_pnl", "describe_metrics"]
