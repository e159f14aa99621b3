import os

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, settings

import tradeflow
from tradeflow.config import SimulationConfig

# One hypothesis profile everywhere, locally and in CI: seeded (derandomize=True), so `make test` gives
# the same examples on every run and machine. The first call compiles kernels (or loads them from
# cache): no per-example deadline. `make test-random` (HYPOTHESIS_PROFILE=random) is the separate,
# longer randomized search for new counterexamples.
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          max_examples=25, derandomize=True, print_blob=True)
settings.register_profile("ci", parent=settings.get_profile("default"))  # kept for old HYPOTHESIS_PROFILE=ci
settings.register_profile("random", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          max_examples=200, derandomize=False, print_blob=True)
# a failing example reported as found, without shrinking (a heavy property test can shrink for minutes):
# HYPOTHESIS_PROFILE=noshrink to triage many failures at once
settings.register_profile("noshrink", parent=settings.get_profile("default"),
                          phases=[Phase.explicit, Phase.reuse, Phase.generate])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def small_config(orders: int = 3_000, **overrides) -> SimulationConfig:
    """A desk-day small enough for property tests, tight enough limits to see every reject.

    The books' background liquidity runs at 2 events per second (6 by default): a small day's
    cost is mostly that flow, and a few thousand orders need no more."""
    data = {"flow": {"orders_per_day": orders}, "pnl_interval_seconds": 600,
            "execution": {"book_events_per_second": 2.0}}
    for section, values in overrides.items():
        data.setdefault(section, {}).update(values) if isinstance(values, dict) else data.update(
            {section: values})
    return SimulationConfig.from_dict(data)


@pytest.fixture(scope="session")
def small_run():
    return tradeflow.simulate(small_config(5_000, pretrade={"max_position_qty": 8_000}), seed=11)


@pytest.fixture(scope="session")
def default_run():
    return tradeflow.simulate(seed=0)


@pytest.fixture(scope="session")
def strategy_cfg():
    """The two-day desk the strategy tests run (tests/test_strategies.py, tests/test_intraday.py)."""
    return small_config(1_500, days=2)


@pytest.fixture(scope="session")
def strategy_plain(strategy_cfg):
    """That desk without a strategy, simulated once for both files: the records a strategy that sends
    nothing must leave bit-identical."""
    return tradeflow.simulate(strategy_cfg, seed=7)


def csd_open(ccy: str, days) -> np.ndarray:
    """Whether each of ``days`` is a business day of ``ccy``'s settlement (CSD) calendar, from QuantLib:
    the oracle the clock's settlement calendars are tested against (tests/market/test_clock.py)."""
    ql = pytest.importorskip("QuantLib")
    cal = {"USD": ql.UnitedStates(ql.UnitedStates.FederalReserve), "EUR": ql.TARGET(),
           "GBP": ql.UnitedKingdom(ql.UnitedKingdom.Settlement), "CHF": ql.Switzerland(), "JPY": ql.Japan(),
           "CAD": ql.Canada(ql.Canada.Settlement)}[ccy]
    out = [cal.isBusinessDay(ql.Date(d.day, d.month, d.year))
           for d in np.asarray(days, dtype="datetime64[D]").astype(object)]
    return np.array(out, bool)
