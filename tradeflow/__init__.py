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
from tradeflow.core.log import TradeflowWarning

# The rest of the public API loads on first use (PEP 562), so ``import tradeflow`` reads only the
# configs: no pandas (which brings pyarrow), scipy, matplotlib, dask or numba until they are needed,
# and no kernel compiles or loads from the on-disk cache before its first call.
_LAZY = {"RiskEngine": "tradeflow.middle", "run_many": "tradeflow.parallel", "RunResult": "tradeflow.results",
         "open_runs": "tradeflow.dataset", "local_time": "tradeflow.market.clock",
         "simulate": "tradeflow.sim", "warmup": "tradeflow.sim"}


def __getattr__(name: str):
    if name == "__version__":  # importlib.metadata is slow to import: read on first use
        from tradeflow._version import __version__ as v

        globals()["__version__"] = v
        return v
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if not name.startswith("_"):  # a submodule, as ``tradeflow.schema`` after a plain ``import tradeflow``
        import importlib
        import importlib.util

        if importlib.util.find_spec(f"tradeflow.{name}") is not None:
            return importlib.import_module(f"tradeflow.{name}")
    raise AttributeError(f"module 'tradeflow' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "BackOfficeConfig", "ExecutionConfig", "FlowConfig", "FxRateConfig", "InstrumentConfig", "MarketConfig",
    "PreTradeConfig", "RunResult", "SimulationConfig", "simulate", "warmup", "__version__",
    "LimitsConfig", "RiskConfig", "RiskEngine",
    "run_many", "TradeflowWarning", "open_runs", "local_time",
]
