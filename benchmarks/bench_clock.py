"""The trading clock's cost in a run.

``market.clock_day``: ``simulate()`` of the default desk-day (each venue in its own session, the
library default since issue 11; settlement on each market's published calendar, resolved once per
run) beside the same day in one UTC session 14:30-21:00 (``venue_sessions=False``, the default
before the flip: a shorter grid) and beside the default day on the previous settlement path, a plain
``BusinessCalendar`` of user holiday lists (same-run ratio: the issue allows at most 5% slower).
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
    utc = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": orders},
                                                "market": {"venue_sessions": False}})
    b.param(orders_per_day=orders, trade_date=cfg.market.trade_date)
    b.target("simulate, default day (venue sessions, calendars from the clock)",
             lambda: tradeflow.simulate(cfg, seed=0, progress=False), n=lambda r: len(r.records["orders"]))
    b.baseline("simulate, one UTC session (the default before the flip)",
               lambda: tradeflow.simulate(utc, seed=0, progress=False), n=lambda r: len(r.records["orders"]))
    b.baseline("simulate, default day, previous settlement path (holiday lists)", lambda: _old_path(cfg),
               n=lambda r: len(r.records["orders"]))
