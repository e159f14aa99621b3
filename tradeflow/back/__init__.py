"""Back office: settlement instructions, the double-entry ledger, reconciliation."""

from tradeflow.back.ledger import balances, book_fills, trial_balance
from tradeflow.back.recon import reconcile
from tradeflow.back.settlement import settlement_instructions, to_minor

__all__ = ["balances", "book_fills", "reconcile", "settlement_instructions", "to_minor", "trial_balance"]
