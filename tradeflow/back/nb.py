"""The back office's kernel API: ledger posting, settlement, netting and reconciliation kernels.

This is the one module outside ``tradeflow.back`` may import kernels and their codes from
(vectorbt's ``nb`` pattern); the private ``_*kernels`` modules behind it may move.
"""

from __future__ import annotations

from tradeflow.back._booking_kernels import bookings_nb, confirmations_nb  # noqa: F401
from tradeflow.back._codes import (  # noqa: F401
    A_CASH,
    A_CPTY_CASH,
    A_CPTY_SECURITIES,
    A_CUSTODY,
    A_FEES,
    A_NOSTRO,
    A_PENALTIES,
    A_SECURITIES,
    F_LACK_OF_SECURITIES,
    F_LATE_MATCHING,
    F_NONE,
    S_BOUGHT_IN,
    S_FAILED,
    S_PARTIALLY_SETTLED,
    S_PENDING,
    S_SETTLED,
    T_TRADE,
)
from tradeflow.back._group_kernels import (  # noqa: F401
    is_sorted_nb,
    net_groups_nb,
    occurrences_nb,
    pack_keys_nb,
    sorted_counts_nb,
)
from tradeflow.back._ledger_kernels import (  # noqa: F401
    asset_totals_nb,
    book_fills_nb,
    day_balances_nb,
    ledger_stats_nb,
    location_holdings_nb,
    postings_as_booked_nb,
    trade_balances_nb,
    trade_postings_nb,
    trade_txn_counts_nb,
    unbalanced_txns_nb,
)
from tradeflow.back._settle_kernels import (  # noqa: F401
    instruction_states_nb,
    instructions_nb,
    obligation_keys_nb,
    obligations_nb,
    settle_day_nb,
    settled_moves_nb,
)
from tradeflow.schema import NS_PER_DAY  # noqa: F401

__all__ = [
    "A_SECURITIES",
    "A_CASH",
    "A_CPTY_SECURITIES",
    "A_CPTY_CASH",
    "A_FEES",
    "NS_PER_DAY",
    "A_CUSTODY",
    "A_NOSTRO",
    "A_PENALTIES",
    "T_TRADE",
    "book_fills_nb",
    "day_balances_nb",
    "unbalanced_txns_nb",
    "asset_totals_nb",
    "trade_balances_nb",
    "S_PENDING",
    "S_SETTLED",
    "S_PARTIALLY_SETTLED",
    "S_FAILED",
    "S_BOUGHT_IN",
    "F_NONE",
    "F_LACK_OF_SECURITIES",
    "F_LATE_MATCHING",
    "settle_day_nb",
    "is_sorted_nb",
    "sorted_counts_nb",
    "occurrences_nb",
    "trade_txn_counts_nb",
    "trade_postings_nb",
    "postings_as_booked_nb",
    "location_holdings_nb",
    "pack_keys_nb",
    "net_groups_nb",
    "instructions_nb",
    "ledger_stats_nb",
    "obligation_keys_nb",
    "obligations_nb",
    "instruction_states_nb",
    "settled_moves_nb",
    "bookings_nb",
    "confirmations_nb",
]
