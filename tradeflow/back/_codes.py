"""Codes the back office's ``@njit`` kernels compile as literals, from the data model (numba freezes
module-level ints at compile time)."""

from __future__ import annotations

from tradeflow.schema import AccountKind, FailReason, SettlementStatus, TxnType

A_SECURITIES = int(AccountKind.SECURITIES)
A_CASH = int(AccountKind.CASH)
A_CPTY_SECURITIES = int(AccountKind.CPTY_SECURITIES)
A_CPTY_CASH = int(AccountKind.CPTY_CASH)
A_FEES = int(AccountKind.FEES)
A_CUSTODY = int(AccountKind.CUSTODY)
A_NOSTRO = int(AccountKind.NOSTRO)
A_PENALTIES = int(AccountKind.PENALTIES)
T_TRADE = int(TxnType.TRADE)
S_PENDING = int(SettlementStatus.PENDING)
S_SETTLED = int(SettlementStatus.SETTLED)
S_PARTIALLY_SETTLED = int(SettlementStatus.PARTIALLY_SETTLED)
S_FAILED = int(SettlementStatus.FAILED)
S_BOUGHT_IN = int(SettlementStatus.BOUGHT_IN)
F_NONE = int(FailReason.NONE)
F_LACK_OF_SECURITIES = int(FailReason.LACK_OF_SECURITIES)
F_LATE_MATCHING = int(FailReason.LATE_MATCHING)
