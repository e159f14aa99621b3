"""Desk strategies at the session cadence: what a plain-Python strategy adds to a desk-day.

``desk.strategy``: ``simulate()`` of one desk-day with the risk reducer (TWAP) working the
inventory carried in from a first day, beside the same two days without a strategy and with a
strategy that sends nothing (same run). The strategy's own time (its ``on_open`` call and the
merge of its orders into the day's stream) is ``result.timings["strategy"]``, recorded in the
JSON as a parameter. The numba strategy inside the compiled loop is not built yet (docs/strategies.md).
"""

from __future__ import annotations

import tradeflow
from benchmarks._harness import Bench, register
from tradeflow.strategies import RiskReducer, Strategy


class _Nothing(Strategy):
    def on_open(self, view) -> None:
        pass


@register("desk.strategy", unit="orders")
def strategy(b: Bench) -> None:
    n = b.size(quick=2_000, full=100_000)
    data = {"days": 2, "flow": {"orders_per_day": n}}
    if b.quick:  # the CI smoke: a thin background book, one warm repeat
        data["execution"] = {"book_events_per_second": 1.0}
    cfg = tradeflow.SimulationConfig.from_dict(data)
    rep = 1 if b.quick else None
    timings = {}

    def run(s, key):
        r = tradeflow.simulate(cfg, seed=0, strategy=s)
        timings[key] = r.timings.get("strategy", 0.0)
        return len(r.records["orders"])

    b.target("2 desk-days + RiskReducer (session cadence)", lambda: run(RiskReducer(), "reducer"), n=lambda k: k,
             repeats=rep)
    b.target("2 desk-days + a strategy that sends nothing", lambda: run(_Nothing(), "nothing"), n=lambda k: k,
             repeats=rep)
    b.baseline("2 desk-days, no strategy", lambda: run(None, "none"), n=lambda k: k, repeats=rep)
    b.param(orders_per_day=n, days=2, strategy_seconds_reducer=timings.get("reducer"),
            strategy_seconds_nothing=timings.get("nothing"))
