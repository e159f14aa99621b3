"""The data model: record dtypes and enums shared by every office (``enums``, ``records``, ``registry``).

This is the one place record layouts and codes are defined. Kernels read and write
numpy structured arrays of these dtypes; the Python face turns them into DataFrames
with readable enum labels (see :func:`records_to_frame`).

Conventions
-----------
* Time is ``int64`` nanoseconds since the UNIX epoch, UTC (``ts`` fields).
* Dates (trade date, settlement date) are ``int64`` days since the epoch.
* Side is ``+1`` (buy) / ``-1`` (sell).
* Risk and P&L are ``float64`` in the instrument's currency unless named ``*_base``.
* Ledger cash is ``int64`` minor units (cents); securities are ``int64`` units.
"""

from __future__ import annotations

# numba's cache keyed by every kernel source, installed before any kernel module compiles: each one
# imports this data model first (``import tradeflow`` itself stays free of numba; see tradeflow/__init__.py)
import tradeflow.core.numba_cache  # noqa: F401
from tradeflow.core.time import NS_PER_DAY, NS_PER_SECOND  # re-exported: the clock's units

__all__ = [
    "Side", "OrderType", "TimeInForce", "OrderStatus", "RejectReason", "EventKind",
    "Liquidity", "SettlementStatus", "AccountKind", "BreakKind",
    "ORDER_DT", "ORDER_EVENT_DT", "EXECUTION_DT", "FILL_DT", "POSITION_DT", "PNL_DT",
    "LEDGER_DT", "SETTLEMENT_DT", "BREAK_DT", "QUOTE_DT", "ENUM_FIELDS", "enum_labels", "records_to_frame",
    "TRADE_DT", "DEPTH_DT",
    "NS_PER_SECOND", "NS_PER_DAY",
    "TradingState", "LimitKind", "BreachLevel", "RISK_DT", "BREACH_DT",
    # back office
    "ConfirmationStatus", "FailReason", "FaultKind", "TxnType", "FAULT_BREAK_KIND",
    "CONFIRMATION_DT", "BOOKING_DT", "OBLIGATION_DT", "SETTLEMENT_EVENT_DT", "STATEMENT_DT", "FAULT_DT",
    "EXPLAIN_DT",
    # front office: order origins and algo parents
    "OrderOrigin", "AlgoKind", "ALGO_PARENT_DT",
    # codes used inside kernels
    "DeskEvent", "BookEvent", "KernelStatus", "RiskModel",
    # the record registry
    "Table", "TABLES", "OFFICES", "table", "optional_labels",
]

from tradeflow.schema.enums import (  # noqa: E402,F401
    FAULT_BREAK_KIND,
    AccountKind,
    AlgoKind,
    BookEvent,
    BreachLevel,
    BreakKind,
    ConfirmationStatus,
    DeskEvent,
    EventKind,
    FailReason,
    FaultKind,
    KernelStatus,
    LimitKind,
    Liquidity,
    OrderOrigin,
    OrderStatus,
    OrderType,
    RejectReason,
    RiskModel,
    SettlementStatus,
    Side,
    TimeInForce,
    TradingState,
    TxnType,
)
from tradeflow.schema.records import (  # noqa: E402,F401
    ALGO_PARENT_DT,
    BOOKING_DT,
    BREACH_DT,
    BREAK_DT,
    CONFIRMATION_DT,
    DEPTH_DT,
    EXECUTION_DT,
    EXPLAIN_DT,
    FAULT_DT,
    FILL_DT,
    LEDGER_DT,
    OBLIGATION_DT,
    ORDER_DT,
    ORDER_EVENT_DT,
    PNL_DT,
    POSITION_DT,
    QUOTE_DT,
    RISK_DT,
    SETTLEMENT_DT,
    SETTLEMENT_EVENT_DT,
    STATEMENT_DT,
    TRADE_DT,
)
from tradeflow.schema.registry import (  # noqa: E402,F401
    ENUM_FIELDS,
    OFFICES,
    TABLES,
    Table,
    enum_labels,
    optional_labels,
    records_to_frame,
    table,
)
