"""Middle office: the real-time risk engine (pre-trade checks, positions, P&L, Greeks, VaR/ES, limits)."""

from tradeflow.middle.desk import DeskOutcome, DeskState, RiskSetup, run_desk

__all__ = ["DeskOutcome", "DeskState", "RiskSetup", "run_desk"]
