"""Front office: client order flow and its execution."""

from tradeflow.front.execution import execute_orders
from tradeflow.front.flow import client_assignments, generate_orders

__all__ = ["client_assignments", "execute_orders", "generate_orders"]
