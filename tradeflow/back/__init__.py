"""Back office: confirmations, settlement (T+n, netting, fails, penalties), the double-entry ledger,
reconciliation against the front office and the street, and P&L explain."""

from tradeflow.back.confirmations import confirm_trades, unmatched_on
from tradeflow.back.custodian import Custodian
from tradeflow.back.explain import OptionTerms, black_scholes_greeks, explain_day, explain_greeks
from tradeflow.back.faults import book_trades, corrupt_statements, fault_detection
from tradeflow.back.ledger import (
    balances,
    book_fills,
    post_buy_ins,
    post_penalties,
    post_settlements,
    trial_balance,
)
from tradeflow.back.netting import NETTING_MODELS, net_obligations
from tradeflow.back.office import BACK_OFFICE_RECORDS, BackOffice
from tradeflow.back.recon import reconcile
from tradeflow.back.settlement import settle_as_of, settle_day, settlement_instructions, to_minor

__all__ = [
    "BACK_OFFICE_RECORDS", "BackOffice", "Custodian", "NETTING_MODELS", "OptionTerms", "balances",
    "black_scholes_greeks", "book_fills", "book_trades", "post_buy_ins",
    "confirm_trades", "corrupt_statements", "explain_day", "explain_greeks", "fault_detection", "net_obligations",
    "post_penalties", "post_settlements", "reconcile", "settle_as_of", "settle_day", "settlement_instructions",
    "to_minor", "trial_balance", "unmatched_on",
]
