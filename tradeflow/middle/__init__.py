"""Middle office: the real-time risk engine (pre-trade checks, positions, P&L, Greeks, VaR/ES, stress, limits)."""

from tradeflow.middle.backtest import BacktestResult, var_backtest
from tradeflow.middle.desk import DeskOutcome, DeskState, RiskSetup, run_desk
from tradeflow.middle.engine import RiskEngine
from tradeflow.middle.greeks import bsm_greeks, bsm_price, position_greeks
from tradeflow.middle.instruments import InstrumentRisk, instrument_risk
from tradeflow.middle.stress import HISTORICAL_SCENARIOS, STANDARD_SHOCKS, Shock, stress_test
from tradeflow.middle.var import (
    component_var,
    delta_gamma_var,
    delta_normal_var,
    ewma_covariance,
    historical_var_es,
    monte_carlo_var,
    var_es,
)

__all__ = [
    "BacktestResult", "DeskOutcome", "DeskState", "HISTORICAL_SCENARIOS", "InstrumentRisk", "RiskEngine", "RiskSetup",
    "STANDARD_SHOCKS", "Shock", "bsm_greeks", "bsm_price", "component_var", "delta_gamma_var", "delta_normal_var",
    "ewma_covariance", "historical_var_es", "instrument_risk", "monte_carlo_var", "position_greeks", "run_desk",
    "stress_test", "var_backtest", "var_es",
]
