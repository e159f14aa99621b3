"""Back office: settlement instructions, the double-entry ledger, reconciliation."""

from tradeflow.back.ledger import balances, book_fills, trial_balance
from tradeflow.back.recon import reconcile
from tradeflow.back.settlement import settle_as_of, settlement_instructions, to_minor

__all__ = [
    "balances", "book_fills", "reconcile", "settle_as_of", "settlement_instructions", "to_minor", "trial_balance",
]
