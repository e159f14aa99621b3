"""Desk strategies at the session cadence: what a plain-Python strategy adds to a desk-day.

``desk.strategy``: ``simulate()`` of one desk-day with the risk reducer (TWAP) working the
inventory carried in from a first day, beside the same two days without a strategy and with a
strategy that sends nothing (same run). The strategy's own time (its ``on_open`` call and the
merge of its orders into the day's stream) is ``result.timings["strategy"]``, recorded in the
JSON as a parameter. ``desk.strategy_intraday``: the intraday strategies in the compiled loop (below).
"""

from __future__ import annotations

import numpy as np
from numba import njit

import tradeflow
from benchmarks._harness import Bench, register
from tradeflow.strategies import NumbaStrategy, RiskReducer, Strategy, avellaneda_stoikov, python_strategy


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


@njit(cache=True)
def _watch_every_step(ctx, state, kind, t, ref):
    """Subscribed to every quote step and its own fills: reads the view (mid, inventory), sends nothing."""
    m = 0.0
    for i in range(ctx.bid.shape[0]):
        m += 0.5 * (ctx.bid[i] + ctx.ask[i]) if ctx.bid[i] == ctx.bid[i] and ctx.ask[i] == ctx.ask[i] else 0.0
    state[0] += m
    state[1] += ctx.pos[0, 0]


def _py_every_5_min(ctx, state, t):
    state[0] += float(np.nansum(ctx.bid))


@register("desk.strategy_intraday", unit="orders")
def strategy_intraday(b: Bench) -> None:
    """The default desk-day with an intraday numba strategy subscribed to every quote step (it reads the
    view and sends nothing, so the day is the same: the hook's cost), the Avellaneda-Stoikov market maker
    quoting every step (a different day: its orders trade), and a plain-Python strategy every 5 minutes
    (the compiled loop returns to Python); the baseline is the same day without a strategy (same run).
    Compare ``warm_median_cpu_s``: wall time is inflated on a shared machine."""
    n = b.size(quick=2_000, full=108_000)
    data = {"flow": {"orders_per_day": n}}
    if b.quick:
        data["execution"] = {"book_events_per_second": 1.0}
    cfg = tradeflow.SimulationConfig.from_dict(data)
    rep = 1 if b.quick else None

    def run(s):
        return len(tradeflow.simulate(cfg, seed=0, strategy=s).records["orders"])

    b.target("desk-day + numba strategy on every quote step (sends nothing)",
             lambda: run(NumbaStrategy(_watch_every_step, np.zeros(2), every=1)), n=lambda k: k, repeats=rep)
    b.target("desk-day + Avellaneda-Stoikov market maker (every step)",
             lambda: run(avellaneda_stoikov(instrument=0, gamma=2e-4, kappa=20.0, sigma=0.02, qty=100, tick=0.01,
                                            max_inventory=5_000, every=1)), n=lambda k: k, repeats=rep)
    b.target("desk-day + Python strategy every 5 minutes",
             lambda: run(python_strategy(_py_every_5_min, every_s=300.0, state=np.zeros(1))), n=lambda k: k,
             repeats=rep)
    b.baseline("desk-day, no strategy", lambda: run(None), n=lambda k: k, repeats=rep)
    b.param(orders_per_day=n, days=1)
