"""Front office: client order flow and its execution."""

from tradeflow.front.execution import execute_orders
from tradeflow.front.flow import client_assignments, generate_orders
from tradeflow.front.orderbook import BookEvent, BookRun, run_book
from tradeflow.front.venue import VenueOutcome, run_venue

__all__ = ["BookEvent", "BookRun", "VenueOutcome", "client_assignments", "execute_orders", "generate_orders",
           "run_book", "run_venue"]
