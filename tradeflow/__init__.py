"""tradeflow: a trading desk end to end.

A front office that generates client order flow and executes it against a simulated
market, a numba-accelerated middle-office risk engine, and a back office that books,
settles and reconciles what was traded.

Examples
--------
>>> import tradeflow
>>> result = tradeflow.simulate(seed=0)          # doctest: +SKIP
>>> print(result.summary())                      # doctest: +SKIP
"""

import tradeflow.core.numba_cache  # noqa: F401  (first: keys numba's on-disk cache by every kernel source)
from tradeflow._version import __version__
from tradeflow.config import (
    BackOfficeConfig,
    ExecutionConfig,
    FlowConfig,
    FxRateConfig,
    InstrumentConfig,
    LimitsConfig,
    MarketConfig,
    PreTradeConfig,
    RiskConfig,
    SimulationConfig,
)
from tradeflow.middle import RiskEngine
from tradeflow.parallel import run_many
from tradeflow.results import RunResult
from tradeflow.sim import simulate, warmup


__all__ = [
    "BackOfficeConfig", "ExecutionConfig", "FlowConfig", "FxRateConfig", "InstrumentConfig", "MarketConfig",
    "PreTradeConfig", "RunResult", "SimulationConfig", "simulate", "warmup", "__version__",
    "LimitsConfig", "RiskConfig", "RiskEngine",
    "run_many",
]
