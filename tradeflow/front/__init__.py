"""Front office: client order flow, execution algos and execution."""

from tradeflow.front.algos import parent_fills
from tradeflow.front.execution import execute_orders
from tradeflow.front.flow import client_assignments, generate_flow, generate_orders
from tradeflow.front.orderbook import BookEvent, BookRun, run_book
from tradeflow.front.replay import read_lobster, read_top_of_book, replay
from tradeflow.front.venue import VenueOutcome, run_venue

__all__ = ["BookEvent", "BookRun", "VenueOutcome", "client_assignments", "execute_orders", "generate_flow",
           "generate_orders", "parent_fills", "read_lobster", "read_top_of_book", "replay", "run_book", "run_venue"]
