"""What tradeflow tells its users without stopping them: a logger and a warning class.

* ``logging.getLogger("tradeflow")`` (and its children, ``tradeflow.session`` …) reports what a user
  should know but need not act on: a desk session rerun with more room after its execution buffers
  overflowed, a ``run_many`` worker lost and its runs retried. tradeflow adds no handler but a
  ``NullHandler``; turn it on with ``logging.basicConfig(level=logging.INFO)``.
* :class:`TradeflowWarning` flags a questionable request that still gets an answer, e.g. a Basel
  traffic light over fewer than the 250 days it is calibrated for. Silence it with
  ``warnings.simplefilter("ignore", tradeflow.TradeflowWarning)``.
"""

from __future__ import annotations

import logging

__all__ = ["logger", "TradeflowWarning"]

logger = logging.getLogger("tradeflow")
logger.addHandler(logging.NullHandler())


class TradeflowWarning(UserWarning):
    """A questionable request that tradeflow still answers (the message says why it is questionable)."""
