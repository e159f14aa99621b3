"""The result of a run: record arrays underneath, readable DataFrames by office on top, headline numbers.

* :class:`RunResult` (:mod:`tradeflow.results.result`): the face a user holds.
* :mod:`tradeflow.results.front`, :mod:`~tradeflow.results.middle`, :mod:`~tradeflow.results.back`:
  each office's tables (``result.front.orders``, ``result.middle.risk``, ``result.back.obligations``).
* :mod:`tradeflow.results.stats`: the declarative table of headline metrics (``result.stats()``,
  ``run_many``'s per-run rows, ``tradeflow report --json``).
* :mod:`tradeflow.results.summary`: the text report (``result.summary()``).

Adding a record table is one entry in :data:`tradeflow.schema.TABLES`: it is then stored by the
run store, listed by ``tradeflow report --table`` and shown as ``result.<office>.<frame>`` (and
``result.<frame>``) by the generic view; write a property on the office's view only when the
table needs more than codes to labels.
"""

from tradeflow.results.result import RunResult
from tradeflow.results.stats import METRICS, Metric

__all__ = ["RunResult", "Metric", "METRICS"]
