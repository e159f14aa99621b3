"""Front office: client order flow and its execution."""

from tradeflow.front.execution import CandidateFills, candidate_fills
from tradeflow.front.flow import client_assignments, generate_orders

__all__ = ["CandidateFills", "candidate_fills", "client_assignments", "generate_orders"]
