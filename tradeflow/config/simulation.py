"""The whole run's configuration: every office's settings nested into one ``SimulationConfig``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tradeflow.config._validate import (
    _build,
    _coerce_float,
    _fail,
    _positive,
    _positive_int,
    _to_plain,
)
from tradeflow.config.back import BackOfficeConfig, ConfirmationConfig, FaultConfig, SettlementConfig
from tradeflow.config.flow import ExecutionConfig, FlowConfig
from tradeflow.config.market import MarketConfig
from tradeflow.config.risk import LimitsConfig, PreTradeConfig, RiskConfig


# --------------------------------------------------------------------------- the whole run
@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationConfig:
    """Everything a desk-day needs; ``SimulationConfig()`` is the default 100,000-order day.

    Parameters
    ----------
    market, flow, execution, pretrade, back : the rooms' configs
    risk, limits : RiskConfig, LimitsConfig
        The middle office's risk engine (VaR/ES, P&L method) and its post-trade limits.
    settlement, confirmation, faults : the back office's settlement, confirmation and
        fault-injection settings (defaults: calibrated fails, a clean street, no faults)
    days : int, default=1
        Days to simulate from ``market.trade_date``: the base currency's settlement days, or,
        with ``market.venue_sessions``, the days a venue trades or a market settles (see
        ``docs/calendars.md``); positions, P&L and unsettled trades carry over from one day to the
        next. (``make run`` and ``tradeflow run --days 5`` run a week.)
    pnl_interval_seconds : float, default=300
        Spacing of the P&L and exposure snapshots.
    """

    market: MarketConfig = field(default_factory=MarketConfig)
    flow: FlowConfig = field(default_factory=FlowConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)
    pretrade: PreTradeConfig = field(default_factory=PreTradeConfig)
    back: BackOfficeConfig = field(default_factory=BackOfficeConfig)
    days: int = 1
    pnl_interval_seconds: float = 300.0
    risk: RiskConfig = field(default_factory=RiskConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    settlement: SettlementConfig = field(default_factory=SettlementConfig)
    confirmation: ConfirmationConfig = field(default_factory=ConfirmationConfig)
    faults: FaultConfig = field(default_factory=FaultConfig)

    def __post_init__(self) -> None:
        _positive_int(self, "days")
        _coerce_float(self, "pnl_interval_seconds")
        _positive(self, "pnl_interval_seconds")
        for name, cls in (("market", MarketConfig), ("flow", FlowConfig), ("execution", ExecutionConfig),
                          ("pretrade", PreTradeConfig), ("back", BackOfficeConfig), ("risk", RiskConfig),
                          ("limits", LimitsConfig), ("settlement", SettlementConfig),
                          ("confirmation", ConfirmationConfig), ("faults", FaultConfig)):
            if not isinstance(getattr(self, name), cls):
                _fail(self, name, f"a {cls.__name__}", getattr(self, name))
        for sym in self.pretrade.max_position_qty_by_symbol:
            if sym not in self.market.symbols:
                raise ValueError(
                    f"The 'max_position_qty_by_symbol' parameter of PreTradeConfig names an unknown "
                    f"instrument {sym!r}; known instruments: {list(self.market.symbols)}."
                )
        for sym in self.settlement.borrow_availability_by_symbol:
            if sym not in self.market.symbols:
                raise ValueError(
                    f"The 'borrow_availability_by_symbol' parameter of SettlementConfig names an unknown "
                    f"instrument {sym!r}; known instruments: {list(self.market.symbols)}."
                )
        for inst in self.market.instruments:
            if inst.currency not in self.back.minor_units:
                raise ValueError(
                    f"The 'minor_units' parameter of BackOfficeConfig has no entry for currency "
                    f"{inst.currency!r} (instrument {inst.symbol!r})."
                )
            scale = 10 ** self.back.minor_units[inst.currency]
            ticks = inst.tick_size * scale
            if abs(ticks - round(ticks)) > 1e-9:
                raise ValueError(
                    f"The 'tick_size' parameter of InstrumentConfig {inst.symbol!r} must be a whole number "
                    f"of {inst.currency} minor units (1/{scale}). Got {inst.tick_size!r} instead."
                )

    # ---------------------------------------------------------------- loading
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimulationConfig:
        """Build a config from nested dicts (missing keys take defaults; unknown keys raise)."""
        return _build(cls, data, "")

    @classmethod
    def from_toml(cls, path: str | Path) -> SimulationConfig:
        """Load a config from a TOML file.

        Tables are ``[market]``, ``[[market.instruments]]``, ``[[market.fx_rates]]``,
        ``[flow]``, ``[execution]``, ``[pretrade]``, ``[back]``, ``[risk]``, ``[limits]``,
        ``[settlement]``, ``[confirmation]``, ``[faults]``.
        """
        with open(path, "rb") as fh:
            try:
                data = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:  # a ValueError: name the file
                raise ValueError(f"{path} is not valid TOML: {exc}") from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (round-trips through :meth:`from_dict`)."""
        return _to_plain(self)
