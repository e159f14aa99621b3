"""Typed, validated configuration for a desk-day, one module per office.

Every config is a frozen, keyword-only dataclass validated in ``__post_init__``; a bad
value raises ``ValueError`` naming the class, the field and the value. Configs nest into
one :class:`SimulationConfig`, which loads from TOML (:meth:`SimulationConfig.from_toml`)
or a plain dict (:meth:`SimulationConfig.from_dict`), rejecting unknown keys by name.

Examples
--------
>>> from tradeflow.config import SimulationConfig
>>> cfg = SimulationConfig.from_dict({"flow": {"orders_per_day": 5_000}})
>>> cfg.flow.orders_per_day
5000.0
"""

from tradeflow.config.back import BackOfficeConfig, ConfirmationConfig, FaultConfig, SettlementConfig
from tradeflow.config.flow import ExecutionConfig, FlowConfig
from tradeflow.config.market import HOME_MIC, FxRateConfig, InstrumentConfig, MarketConfig, OptionConfig
from tradeflow.config.risk import LimitsConfig, PreTradeConfig, RiskConfig
from tradeflow.config.simulation import SimulationConfig

__all__ = [
    "InstrumentConfig", "OptionConfig", "FxRateConfig", "MarketConfig", "FlowConfig", "ExecutionConfig",
    "PreTradeConfig", "BackOfficeConfig", "SimulationConfig", "RiskConfig", "LimitsConfig",
    "SettlementConfig", "ConfirmationConfig", "FaultConfig", "HOME_MIC",
]
