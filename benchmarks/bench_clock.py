"""The trading clock's cost in a run.

``market.clock_day``: ``simulate()`` of the default desk-day (settlement on each market's
published calendar, resolved once per run) beside the same run on the previous code path,
a plain ``BusinessCalendar`` of user holiday lists (same-run ratio: the issue allows at most
5% slower), and beside the same day with each venue in its own session (``venue_sessions``:
a longer grid, 08:00-21:00 UTC, whose cost is the model's, not the clock's).
"""

from __future__ import annotations

from unittest import mock

import tradeflow
import tradeflow.sim
from benchmarks._harness import Bench, register
from tradeflow.market.clock import BusinessCalendar

_OLD_HOLIDAYS = {"USD": ["2026-11-26", "2026-12-25", "2027-01-01"], "EUR": ["2026-12-25", "2026-12-26", "2027-01-01"]}


class _ListCalendar(BusinessCalendar):
    """The previous code path: three holidays per currency, no published calendars."""

    def __init__(self, currencies, extra=None) -> None:
        super().__init__(_OLD_HOLIDAYS)
        self.sources = {c: "list" for c in currencies}


def _old_path(cfg):
    with mock.patch.object(tradeflow.sim, "SettlementCalendar", _ListCalendar):
        return tradeflow.simulate(cfg, seed=0, progress=False)


@register("market.clock_day", unit="orders")
def clock_day(b: Bench) -> None:
    orders = b.size(quick=2_000, full=100_000)
    cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": orders}})
    venues = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": orders},
                                                   "market": {"venue_sessions": True}})
    b.param(orders_per_day=orders, trade_date=cfg.market.trade_date)
    b.target("simulate, settlement calendars from the clock", lambda: tradeflow.simulate(cfg, seed=0, progress=False),
             n=lambda r: len(r.records["orders"]))
    b.baseline("simulate, previous path (holiday lists)", lambda: _old_path(cfg), n=lambda r: len(r.records["orders"]))
    b.baseline("simulate, each venue in its own session", lambda: tradeflow.simulate(venues, seed=0, progress=False),
               n=lambda r: len(r.records["orders"]))
