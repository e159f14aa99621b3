"""What a desk strategy did (:mod:`tradeflow.strategies`), as extra :class:`~tradeflow.results.stats.Metric`
rows for ``stats()`` and ``run_many``:

``result.stats(metrics=METRICS + STRATEGY_METRICS)`` or
``run_many(cfg, n_runs=100, strategy=s, metrics=METRICS + STRATEGY_METRICS)``.
"""

from __future__ import annotations

import numpy as np

from tradeflow.results.stats import Metric
from tradeflow.schema import OrderOrigin, OrderStatus

__all__ = ["STRATEGY_METRICS", "desk_orders", "desk_trading_cost"]


def _desk(result):
    o = result.records["orders"]
    return o[o["origin"] == OrderOrigin.DESK]


def desk_orders(result) -> dict[str, int]:
    """The strategy's orders: sent, rejected, filled (in full or part) and units filled."""
    d = _desk(result)
    return {"sent": int(len(d)), "rejected": int(np.count_nonzero(d["status"] == OrderStatus.REJECTED)),
            "filled": int(np.count_nonzero(d["filled_qty"] > 0)), "units": int(d["filled_qty"].sum())}


def desk_trading_cost(result) -> dict[str, float]:
    """The strategy's trading cost in each instrument's currency summed (no FX): fees, and the
    shortfall against the mid when each order was sent (spread, impact and drift while working):
    ``sum(side * (fill price - mid at sending) * qty * multiplier)``."""
    d = _desk(result)
    f = result.records["fills"]
    f = f[np.isin(f["order_id"], d["order_id"])]
    ref = result.records["orders"]["ref_price"][f["order_id"] - result.records["orders"]["order_id"][0]]
    mult = result.market.instruments["multiplier"].to_numpy(np.float64)[f["instrument"]]
    shortfall = float(np.sum(f["side"] * (f["price"] - ref) * f["qty"] * mult))
    return {"fees": float(f["fee"].sum()), "shortfall": shortfall}


STRATEGY_METRICS: tuple[Metric, ...] = (
    Metric("desk_orders", desk_orders, ("orders",), "the strategy's orders: sent, rejected, filled, units filled"),
    Metric("desk_cost", desk_trading_cost, ("orders", "fills"),
           "the strategy's fees and shortfall against the mid at sending (instrument currencies, summed)"),
)
