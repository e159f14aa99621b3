"""Middle office: the real-time risk engine (pre-trade checks, positions, P&L)."""

from tradeflow.middle.desk import DeskOutcome, position_records, run_desk

__all__ = ["DeskOutcome", "position_records", "run_desk"]
