"""Middle office: the real-time risk engine (pre-trade checks, positions, P&L)."""

from tradeflow.middle.desk import DeskOutcome, DeskState, run_desk

__all__ = ["DeskOutcome", "DeskState", "run_desk"]
