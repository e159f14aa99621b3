import os

import pytest
from hypothesis import HealthCheck, settings

import tradeflow
from tradeflow.config import SimulationConfig

# The first call compiles kernels (or loads them from cache): no per-example deadline.
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          max_examples=25)
settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=25,
                          derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


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
