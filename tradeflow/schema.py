"""The data model: record dtypes and enums shared by every office.

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

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType

import numpy as np
import pandas as pd

# numba's cache keyed by every kernel source, installed before any kernel module compiles: each one
# imports this data model first (``import tradeflow`` itself stays free of numba; see tradeflow/__init__.py)
import tradeflow.core.numba_cache  # noqa: F401
from tradeflow.core.time import NS_PER_DAY, NS_PER_SECOND  # re-exported: the clock's units

__all__ = [
    "Side", "OrderType", "TimeInForce", "OrderStatus", "RejectReason", "EventKind",
    "Liquidity", "SettlementStatus", "AccountKind", "BreakKind",
    "ORDER_DT", "ORDER_EVENT_DT", "EXECUTION_DT", "FILL_DT", "POSITION_DT", "PNL_DT",
    "LEDGER_DT", "SETTLEMENT_DT", "BREAK_DT", "QUOTE_DT", "ENUM_FIELDS", "enum_labels", "records_to_frame",
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



class Side(IntEnum):
    """Direction of an order or fill; the sign of the quantity it adds."""

    BUY = 1
    SELL = -1


class OrderType(IntEnum):
    MARKET = 0
    LIMIT = 1


class TimeInForce(IntEnum):
    DAY = 0
    IOC = 1
    FOK = 2


class OrderStatus(IntEnum):
    """FIX-style order status (tag 39). Terminal states are >= FILLED."""

    NEW = 0
    PARTIALLY_FILLED = 1
    FILLED = 2
    CANCELLED = 3
    EXPIRED = 4
    REJECTED = 5

    @classmethod
    def terminal(cls) -> tuple[OrderStatus, ...]:
        return (cls.FILLED, cls.CANCELLED, cls.EXPIRED, cls.REJECTED)


class RejectReason(IntEnum):
    """Why the pre-trade check refused an order (0 means accepted)."""

    NONE = 0
    PRICE_COLLAR = 1
    MAX_ORDER_QTY = 2
    MAX_ORDER_NOTIONAL = 3
    MAX_POSITION = 4
    INVALID_QTY = 5
    INVALID_PRICE = 6
    UNKNOWN_INSTRUMENT = 7
    UNKNOWN_BOOK = 8
    # market-access controls (SEC 15c3-5 / MiFID II RTS 6) beyond the per-order limits
    KILL_SWITCH = 9  # the desk's kill switch is on: nothing goes out
    BOOK_HALTED = 10  # the book's trading state is HALTED
    REDUCING_ONLY = 11  # the book may only reduce positions and this order would not
    MAX_GROSS_POSITION = 12  # |position| + all working orders of the book x instrument would exceed the limit
    CREDIT_LIMIT = 13  # the client's credit usage (notional of its live and filled orders) would exceed its limit
    THROTTLE = 14  # the trader sent more orders in the last second than allowed
    DUPLICATE_ORDER = 15  # same client, instrument, side, qty and price as a recent order
    UNKNOWN_CLIENT = 16
    UNKNOWN_TRADER = 17
    TS_BACKWARDS = 18  # a streaming record older than the last one the engine accepted
    UNKNOWN_ORDER = 19  # a streaming fill or cancel names an order id that is not working in the engine
    TOO_LATE_TO_REPLACE = 20  # a cancel/replace of an order already filled in full (FIX CxlRejReason 0)


class EventKind(IntEnum):
    """Order lifecycle events, past tense as in FIX ExecType."""

    ACCEPTED = 0
    REJECTED = 1
    FILLED = 2
    PARTIALLY_FILLED = 3
    CANCELLED = 4
    EXPIRED = 5


class Liquidity(IntEnum):
    """Whether a fill added liquidity (maker) or took it (taker)."""

    MAKER = 0
    TAKER = 1


class SettlementStatus(IntEnum):
    PENDING = 0
    SETTLED = 1
    PARTIALLY_SETTLED = 2
    FAILED = 3
    BOUGHT_IN = 4  # terminal: still failed after the CSDR extension period, closed by a mandatory buy-in


class AccountKind(IntEnum):
    """Ledger account families; an account is (kind, owner) where owner is a book or counterparty."""

    SECURITIES = 0  # a book's securities position (trade-date accounting)
    CASH = 1  # a book's cash
    CPTY_SECURITIES = 2  # securities due to/from a counterparty, unsettled
    CPTY_CASH = 3  # cash due to/from a counterparty, unsettled
    FEES = 4  # fees paid (expense), per book
    CUSTODY = 5  # securities held at the custodian (settled)
    NOSTRO = 6  # cash at the nostro bank (settled)
    PENALTIES = 7  # settlement-fail penalties paid (>0) or received (<0), per book
    BUY_IN = 8  # buy-in price differences (cash compensation) paid (>0) or received (<0), per book


class BreakKind(IntEnum):
    """Classified reconciliation differences."""

    POSITION_MISMATCH = 0  # front-office position != ledger securities balance
    PNL_MISMATCH = 1  # front-office P&L != P&L derived from the ledger
    MISSING_BOOKING = 2  # a fill with no ledger transaction
    MISSING_SETTLEMENT = 3  # a fill with no (or more than one) settlement instruction
    UNBALANCED_TXN = 4  # a ledger transaction that does not sum to zero per asset
    UNKNOWN_BOOKING = 5  # a ledger transaction that matches no fill
    DUPLICATE_BOOKING = 6  # a fill booked in more than one ledger transaction
    CONFIRMATION_UNMATCHED = 7  # the counterparty's confirmation differs (or is missing) until resolved
    QTY_MISMATCH = 8  # booked quantity != executed quantity
    PRICE_MISMATCH = 9  # booked price != executed price
    WRONG_BOOK = 10  # booked to another book than the one that traded
    FEE_MISMATCH = 11  # booked fee != executed fee (minor units)
    FX_RATE_MISMATCH = 12  # booked FX rate != the market's rate at the trade time
    LATE_BOOKING = 13  # booked after the trade date's cut-off
    STATEMENT_ERROR = 14  # a custodian/nostro statement whose closing balance != opening + movements
    CUSTODY_MISMATCH = 15  # custodian statement (consistent) != ledger custody balance
    NOSTRO_MISMATCH = 16  # nostro statement (consistent) != ledger nostro balance


class ConfirmationStatus(IntEnum):
    """The counterparty's answer to our trade confirmation."""

    MATCHED = 0
    PRICE_DIFFERS = 1
    QTY_DIFFERS = 2
    SETTLE_DATE_DIFFERS = 3
    NO_ANSWER = 4


class FailReason(IntEnum):
    """Why a due settlement instruction did not (fully) settle."""

    NONE = 0
    LACK_OF_SECURITIES = 1
    ON_HOLD = 2
    LATE_MATCHING = 3


class FaultKind(IntEnum):
    """Faults injected on the path from front to back office (see ``FaultConfig``)."""

    MISSING_TRADE = 0
    DUPLICATE_BOOKING = 1
    QTY_KEYED_WRONG = 2
    PRICE_KEYED_WRONG = 3
    WRONG_BOOK = 4
    FEE_MISMATCH = 5
    WRONG_FX_RATE = 6
    LATE_BOOKING = 7
    STATEMENT_ERROR = 8


class TxnType(IntEnum):
    """What a ledger transaction records."""

    TRADE = 0  # trade-date postings of a booking (pending settlement)
    SETTLEMENT = 1  # settlement-date postings (actual movements at the custodian and the nostro)
    PENALTY = 2  # a daily settlement-fail penalty
    BUY_IN = 3  # a mandatory buy-in closing a failed obligation, and its cash compensation


class DeskEvent(IntEnum):
    """Kinds of events of the desk loop, in the order they run at equal timestamps.

    An order arrives (and is checked) before the venue can fill it; a snapshot sees
    everything up to and including its time.
    """

    ARRIVAL = 0
    FILL = 1
    CANCEL = 2
    SNAPSHOT = 3


class BookEvent(IntEnum):
    """Kinds of events a venue's limit order book accepts."""

    LIMIT = 0  # a day limit order: match what crosses, rest the remainder
    IOC = 1  # immediate-or-cancel limit: match what crosses, cancel the remainder
    FOK = 2  # fill-or-kill limit: match in full if the book holds enough within the limit, else nothing
    MARKET = 3  # walks the book at any price; the remainder is cancelled
    CANCEL = 4  # cancel a client order (``ref`` is its row)
    BG_CANCEL = 5  # background cancel: ``u`` in [0, 1) picks a slot of the live list (a no-op past its end)


class KernelStatus(IntEnum):
    """What a kernel that fills preallocated buffers returns; the Python wrapper acts on it."""

    OK = 0
    EXEC_OVERFLOW = 1  # more executions than the buffers hold: the caller retries with more room
    LOT_POOL_FULL = 2  # the FIFO lot pool is full: the caller retries with more room
    NEGATIVE_LEVEL = 3  # a replayed message removes more than its level displays: the file is inconsistent


class RiskModel(IntEnum):
    """How the risk engine revalues an instrument (from the instrument table's ``asset_class``)."""

    LINEAR = 0  # equity, future, fx: P&L = qty * multiplier * price change
    OPTION = 1  # full revaluation with Black-Scholes-Merton


# The break kind each injected fault must be classified as.
FAULT_BREAK_KIND: dict[FaultKind, BreakKind] = {
    FaultKind.MISSING_TRADE: BreakKind.MISSING_BOOKING,
    FaultKind.DUPLICATE_BOOKING: BreakKind.DUPLICATE_BOOKING,
    FaultKind.QTY_KEYED_WRONG: BreakKind.QTY_MISMATCH,
    FaultKind.PRICE_KEYED_WRONG: BreakKind.PRICE_MISMATCH,
    FaultKind.WRONG_BOOK: BreakKind.WRONG_BOOK,
    FaultKind.FEE_MISMATCH: BreakKind.FEE_MISMATCH,
    FaultKind.WRONG_FX_RATE: BreakKind.FX_RATE_MISMATCH,
    FaultKind.LATE_BOOKING: BreakKind.LATE_BOOKING,
    FaultKind.STATEMENT_ERROR: BreakKind.STATEMENT_ERROR,
}


ORDER_DT = np.dtype(
    [
        ("order_id", np.int64),
        ("parent_id", np.int64),  # the algo parent or the order this one replaces; -1 if none
        ("ts", np.int64),
        ("ts_cancel", np.int64),  # when the client cancels what is left (IOC/FOK: at arrival); -1 if never
        ("instrument", np.int32),
        ("venue", np.int32),
        ("client", np.int32),
        ("trader", np.int32),
        ("book", np.int32),
        ("counterparty", np.int32),
        ("side", np.int8),
        ("order_type", np.int8),
        ("tif", np.int8),
        ("status", np.int8),
        ("reject_reason", np.int8),
        ("qty", np.int64),
        ("limit_price", np.float64),  # NaN for market orders
        ("ref_price", np.float64),  # mid at arrival, the collar's reference
        ("filled_qty", np.int64),
        ("avg_fill_price", np.float64),
        ("ts_done", np.int64),  # when the order reached its terminal status
        ("origin", np.int8),  # OrderOrigin: what ``parent_id`` points at (nothing, a replaced order, an algo parent)
    ],
    align=True,
)

ORDER_EVENT_DT = np.dtype(
    [
        ("event_id", np.int64),
        ("order_id", np.int64),
        ("ts", np.int64),
        ("kind", np.int8),
        ("reason", np.int8),
        ("qty", np.int64),  # last qty for fills; order qty otherwise
        ("price", np.float64),
        ("cum_qty", np.int64),
        ("leaves_qty", np.int64),
    ],
    align=True,
)

# What the venue reports for an order, before the middle office decides: an order may have
# several (partial fills); executions of orders the pre-trade check rejects are discarded.
EXECUTION_DT = np.dtype(
    [
        ("order_id", np.int64),
        ("ts", np.int64),
        ("qty", np.int64),
        ("price", np.float64),
        ("fee", np.float64),  # in the instrument's currency, rounded to minor units
        ("liquidity", np.int8),
        ("arrival_mid", np.float64),  # the venue's mid when the order arrived (NaN: one-sided book)
    ],
    align=True,
)

# The top of a venue's book on the quote grid, and what traded until the next grid time.
QUOTE_DT = np.dtype(
    [
        ("ts", np.int64),
        ("instrument", np.int32),
        ("bid", np.float64),  # NaN when the side is empty
        ("ask", np.float64),
        ("bid_qty", np.int64),
        ("ask_qty", np.int64),
        ("volume", np.int64),  # all trades, background liquidity included
        ("n_trades", np.int64),
    ],
    align=True,
)

FILL_DT = np.dtype(
    [
        ("fill_id", np.int64),
        ("order_id", np.int64),
        ("ts", np.int64),
        ("book", np.int32),
        ("instrument", np.int32),
        ("counterparty", np.int32),
        ("side", np.int8),
        ("liquidity", np.int8),
        ("qty", np.int64),
        ("price", np.float64),
        ("fee", np.float64),  # in the instrument's currency, already rounded to minor units
    ],
    align=True,
)

POSITION_DT = np.dtype(
    [
        ("trade_date", np.int64),  # the end of day the position is as of (days since epoch)
        ("book", np.int32),
        ("instrument", np.int32),
        ("qty", np.int64),
        ("avg_price", np.float64),
        ("realized_pnl", np.float64),
        ("unrealized_pnl", np.float64),
        ("fees", np.float64),
        ("mark", np.float64),
        ("n_fills", np.int64),
    ],
    align=True,
)

PNL_DT = np.dtype(
    [
        ("ts", np.int64),
        ("book", np.int32),
        ("realized_pnl", np.float64),  # base currency
        ("unrealized_pnl", np.float64),
        ("fees", np.float64),
        ("total_pnl", np.float64),
        ("gross_exposure", np.float64),
        ("net_exposure", np.float64),
    ],
    align=True,
)

LEDGER_DT = np.dtype(
    [
        ("posting_id", np.int64),
        ("txn_id", np.int64),
        ("fill_id", np.int64),
        ("ts", np.int64),
        ("account_kind", np.int8),
        ("owner", np.int32),  # book for book accounts, counterparty for CPTY_* accounts
        ("asset_is_cash", np.bool_),
        ("asset", np.int32),  # instrument id, or currency id when asset_is_cash
        ("amount", np.int64),  # minor units for cash, units for securities
        ("txn_type", np.int8),  # TxnType
        ("value_date", np.int64),  # days since epoch: trade date (TRADE) or the day it moved (SETTLEMENT, PENALTY)
        ("instruction_id", np.int64),  # the settlement obligation; -1 for TRADE postings
    ],
    align=True,
)

SETTLEMENT_DT = np.dtype(
    [
        ("instruction_id", np.int64),
        ("fill_id", np.int64),
        ("book", np.int32),
        ("instrument", np.int32),
        ("counterparty", np.int32),
        ("currency", np.int32),
        ("side", np.int8),
        ("status", np.int8),
        ("trade_date", np.int64),  # days since epoch
        ("settle_date", np.int64),  # days since epoch
        ("qty", np.int64),
        ("cash_amount", np.int64),  # minor units the book pays (>0) or receives (<0), fees excluded
        ("obligation_id", np.int64),  # the (possibly netted) obligation that settles this instruction
        ("fail_reason", np.int8),  # FailReason of the last failed attempt (NONE if it never failed)
        ("fail_days", np.int64),  # business days it was due but not fully settled
        ("settled_date", np.int64),  # day it fully settled; -1 if not (yet)
    ],
    align=True,
)

BREAK_DT = np.dtype(
    [
        ("break_id", np.int64),
        ("as_of", np.int64),  # the end of day the reconciliation ran (days since epoch)
        ("kind", np.int8),
        ("fill_id", np.int64),  # -1 for aggregate breaks
        ("book", np.int32),
        ("instrument", np.int32),  # -1 when not instrument-level
        ("currency", np.int32),  # -1 when not currency-level
        ("front_value", np.float64),
        ("back_value", np.float64),
        ("difference", np.float64),
        ("counterparty", np.int32),  # -1 when not counterparty-level
        ("account_kind", np.int8),  # AccountKind of the ledger account involved; -1 if none
        ("first_seen", np.int64),  # the end of day the break was first reported (days since epoch)
        ("age_days", np.int64),  # business days between first_seen and as_of
    ],
    align=True,
)

CONFIRMATION_DT = np.dtype(
    [
        ("confirmation_id", np.int64),
        ("fill_id", np.int64),
        ("trade_date", np.int64),
        ("counterparty", np.int32),
        ("status", np.int8),  # ConfirmationStatus of the counterparty's first answer
        ("our_qty", np.int64),
        ("their_qty", np.int64),
        ("our_price", np.float64),
        ("their_price", np.float64),
        ("our_settle_date", np.int64),
        ("their_settle_date", np.int64),  # -1 when they did not answer
        ("resolved_date", np.int64),  # the day both sides agree (trade date when matched at once)
    ],
    align=True,
)

# The back office's own record of a trade, fed from the front office (where faults are injected).
BOOKING_DT = np.dtype(
    [
        ("booking_id", np.int64),
        ("fill_id", np.int64),
        ("ts", np.int64),  # trade time
        ("ts_booked", np.int64),  # when the back office booked it
        ("book", np.int32),
        ("instrument", np.int32),
        ("counterparty", np.int32),
        ("side", np.int8),
        ("qty", np.int64),
        ("price", np.float64),
        ("fee", np.float64),
        ("fx_rate", np.float64),  # base-currency value of one unit of the instrument currency at ``ts``
    ],
    align=True,
)

# What actually settles: one per instruction (gross) or per book x counterparty x instrument x
# settle date (netted); ``qty`` > 0 is received by the book, ``cash`` > 0 paid by it.
OBLIGATION_DT = np.dtype(
    [
        ("obligation_id", np.int64),
        ("book", np.int32),
        ("counterparty", np.int32),
        ("instrument", np.int32),
        ("currency", np.int32),
        ("trade_date", np.int64),
        ("settle_date", np.int64),
        ("n_instructions", np.int64),
        ("qty", np.int64),
        ("cash", np.int64),
        ("status", np.int8),  # SettlementStatus at the end of the last day processed
        ("fail_reason", np.int8),
        ("settled_qty", np.int64),
        ("settled_cash", np.int64),
        ("fail_days", np.int64),
        ("penalties", np.int64),  # cumulative, minor units, >0 paid by the book
        ("settled_date", np.int64),  # -1 if not fully settled (or bought in: the day of the buy-in)
        ("buy_in_cost", np.int64),  # minor units paid (>0, the book bought in) or 0; see TxnType.BUY_IN
        ("buy_in_compensation", np.int64),  # price difference paid (>0) or received (<0) by the book
    ],
    align=True,
)

# Status history: one row per obligation per business day from its trade date until it settles.
SETTLEMENT_EVENT_DT = np.dtype(
    [
        ("as_of", np.int64),
        ("obligation_id", np.int64),
        ("status", np.int8),
        ("fail_reason", np.int8),
        ("qty_settled", np.int64),  # settled this day
        ("cash_settled", np.int64),
        ("qty_open", np.int64),  # still to settle after this day
        ("fail_days", np.int64),  # age of the fail in business days
        ("penalty", np.int64),  # minor units charged (>0) or credited (<0) to the book this day
        ("buy_in_cost", np.int64),  # the day's buy-in: what the book paid the buy-in agent (minor units)
        ("buy_in_compensation", np.int64),  # ... and the price difference paid (>0) or received (<0)
    ],
    align=True,
)

# Custodian (securities) and nostro (cash) statement lines, one per account per day.
STATEMENT_DT = np.dtype(
    [
        ("as_of", np.int64),
        ("account_kind", np.int8),  # CUSTODY or NOSTRO
        ("book", np.int32),
        ("asset", np.int32),  # instrument (CUSTODY) or currency (NOSTRO)
        ("opening", np.int64),  # holding at the start of the day (units / minor units)
        ("movements", np.int64),
        ("closing", np.int64),
    ],
    align=True,
)

# What the run injected, so reconciliation can be scored (precision and recall).
FAULT_DT = np.dtype(
    [
        ("fault_id", np.int64),
        ("as_of", np.int64),  # the day it was injected
        ("kind", np.int8),  # FaultKind
        ("fill_id", np.int64),  # -1 for statement errors
        ("book", np.int32),
        ("instrument", np.int32),
        ("currency", np.int32),
        ("account_kind", np.int8),  # statement errors: CUSTODY or NOSTRO; else -1
        ("true_value", np.float64),
        ("injected_value", np.float64),
    ],
    align=True,
)

# Daily P&L explain per book, in the base currency.
EXPLAIN_DT = np.dtype(
    [
        ("trade_date", np.int64),
        ("book", np.int32),
        ("total_pnl", np.float64),  # change in the book's cumulative P&L (front office, less penalties)
        ("new_trade_pnl", np.float64),  # today's trades marked from their price to the close
        ("market_move_pnl", np.float64),  # yesterday's positions x today's price change
        ("fees", np.float64),  # negative: fees paid today
        ("penalties", np.float64),  # negative when the book paid settlement penalties today
        ("fx_translation", np.float64),  # yesterday's local P&L x today's FX change
        ("residual", np.float64),  # total minus the explained parts (~0 for linear instruments)
        # the options' share of market_move_pnl, by Greek (Taylor terms at the previous close)
        ("option_delta_pnl", np.float64),
        ("option_gamma_pnl", np.float64),
        ("option_vega_pnl", np.float64),
        ("option_theta_pnl", np.float64),
    ],
    align=True,
)

class OrderOrigin(IntEnum):
    """Where an order comes from, and so which id space its ``parent_id`` lives in."""

    CLIENT = 0  # sent by a client as is; parent_id = -1
    REPLACE = 1  # a cancel/replace (FIX 35=G); parent_id = the replaced order's order_id
    ALGO_CHILD = 2  # a slice of an algo parent; parent_id = ALGO_PARENT_DT.parent_id
    DESK = 3  # the desk's own order, sent by a strategy (tradeflow.strategies); parent_id = -1


class AlgoKind(IntEnum):
    """Execution algorithm working a parent order."""

    TWAP = 0  # equal slices at equal intervals
    VWAP = 1  # slices in proportion to the intraday volume profile


# A client's parent order worked by an algo over a window; its children are ORDER_DT records
# with origin = ALGO_CHILD and parent_id = this parent_id. Fill fields and status are derived
# from the children after the middle office has run.
ALGO_PARENT_DT = np.dtype(
    [
        ("parent_id", np.int64),
        ("ts", np.int64),  # start of the window (the parent's arrival)
        ("ts_end", np.int64),  # end of the window (the last slice's deadline)
        ("instrument", np.int32),
        ("client", np.int32),
        ("trader", np.int32),
        ("book", np.int32),
        ("counterparty", np.int32),
        ("side", np.int8),
        ("algo", np.int8),  # AlgoKind
        ("order_type", np.int8),  # MARKET: children are market orders; LIMIT: children rest at limit_price
        ("status", np.int8),  # OrderStatus: FILLED, EXPIRED (window over, maybe part filled) or REJECTED
        ("qty", np.int64),
        ("limit_price", np.float64),  # NaN for a market parent
        ("ref_price", np.float64),  # mid at arrival (the arrival price for implementation shortfall)
        ("n_children", np.int64),
        ("filled_qty", np.int64),
        ("avg_fill_price", np.float64),  # NaN when nothing filled
        ("ts_done", np.int64),  # last child's terminal time
    ],
    align=True,
)


class TradingState(IntEnum):
    """A book's trading state, set by the desk (or by a limit breach when configured)."""

    ACTIVE = 0
    REDUCING_ONLY = 1  # orders may only bring positions towards zero
    HALTED = 2  # no orders at all


class LimitKind(IntEnum):
    """Risk limits monitored per book and for the whole desk."""

    VAR = 0  # 1-day historical VaR at the configured level, base currency
    GROSS_EXPOSURE = 1  # sum of |market value|, base currency
    DRAWDOWN = 2  # stop-loss: peak total P&L minus current total P&L, base currency
    CONCENTRATION = 3  # largest single-instrument |market value| as a share of gross exposure


class BreachLevel(IntEnum):
    """Where a limit's utilization stands; a breach event records each change of level."""

    CLEARED = 0  # back below the warning level
    WARNING = 1  # at or above the warning fraction of the limit
    BREACH = 2  # at or above the limit


# One row per book (and one for the desk, book = -1) at every risk snapshot.
RISK_DT = np.dtype(
    [
        ("ts", np.int64),
        ("book", np.int32),  # -1 for the whole desk
        ("var_1d", np.float64),  # historical VaR, base currency, positive = loss
        ("es_1d", np.float64),
        ("var_10d", np.float64),  # square-root-of-time scaled
        ("es_10d", np.float64),
        ("gross_exposure", np.float64),
        ("net_exposure", np.float64),
        ("total_pnl", np.float64),
        ("drawdown", np.float64),  # peak total P&L so far minus current
        ("concentration", np.float64),  # largest |market value| / gross exposure
        ("trading_state", np.int8),
    ],
    align=True,
)

# A limit changing level (warning, breach, cleared), with what was measured and the threshold crossed.
BREACH_DT = np.dtype(
    [
        ("breach_id", np.int64),
        ("ts", np.int64),
        ("book", np.int32),  # -1 for a desk limit
        ("limit", np.int8),  # LimitKind
        ("level", np.int8),  # BreachLevel
        ("value", np.float64),
        ("threshold", np.float64),  # the limit itself (the warning level is warning_fraction * threshold)
        ("action", np.int8),  # TradingState the book was switched to (-1: none)
    ],
    align=True,
)


# Which integer fields hold which enum, so frames show labels instead of codes.
ENUM_FIELDS: dict[str, type[IntEnum]] = {
    "side": Side,
    "order_type": OrderType,
    "tif": TimeInForce,
    "status": OrderStatus,
    "reject_reason": RejectReason,
    "reason": RejectReason,
    "liquidity": Liquidity,
    "account_kind": AccountKind,
    "trading_state": TradingState,
    "limit": LimitKind,
    "level": BreachLevel,
    "fail_reason": FailReason,
    "txn_type": TxnType,
    "origin": OrderOrigin,
    "algo": AlgoKind,
}


OFFICES = ("front", "middle", "back")


@dataclass(frozen=True)
class Table:
    """One kind of record a run produces: the registry entry every face reads.

    Attributes
    ----------
    name : str
        Key in ``RunResult.records`` and file name in the Parquet run store.
    dtype : numpy.dtype
        The record layout the kernels read and write.
    office : {"front", "middle", "back"}
        The office that produces it: ``result.<office>.<frame>`` shows it.
    description : str
        One line for listings (CLI, docs).
    enums : mapping of str to IntEnum
        The enum of each coded field; frames show member names instead of codes.
    nullable : tuple of str
        Enum fields where ``-1`` means "none" (shown as missing).
    frame : str
        The ``RunResult`` property (and ``tradeflow report --table`` name) that shows it;
        defaults to ``name``.
    optional : bool
        Whether a run may lack it (e.g. ``quotes`` exist only with the book venue).
    """

    name: str
    dtype: np.dtype
    office: str
    description: str
    enums: Mapping[str, type[IntEnum]] = field(default_factory=dict)
    nullable: tuple[str, ...] = ()
    frame: str = ""
    optional: bool = False

    def __post_init__(self) -> None:
        if self.office not in OFFICES:
            raise ValueError(f"The 'office' parameter of Table must be one of {OFFICES}. Got {self.office!r} instead.")
        unknown = [f for f in (*self.enums, *self.nullable) if f not in self.dtype.names]
        if unknown:
            raise ValueError(f"Table {self.name!r} names enum fields {unknown} that {self.name}'s dtype lacks")
        object.__setattr__(self, "enums", MappingProxyType(dict(self.enums)))
        if not self.frame:
            object.__setattr__(self, "frame", self.name)

    def empty(self) -> np.ndarray:
        """A zero-length record array of this table."""
        return np.zeros(0, self.dtype)


def _register(*tables: Table) -> dict[str, Table]:
    return {t.name: t for t in tables}


_ORDER_ENUMS = {"side": Side, "order_type": OrderType, "tif": TimeInForce, "status": OrderStatus,
                "reject_reason": RejectReason, "origin": OrderOrigin}

# Every record table of a run, by office. Adding a table is one entry here: the run store,
# the CLI's ``report --table``, the back office's buffers and ``RunResult`` (``result.<office>.<frame>``)
# all read this registry.
TABLES: dict[str, Table] = _register(
    # front office: client flow, the venue's executions and book
    Table("orders", ORDER_DT, "front", "every client order with its final status and reject reason",
          _ORDER_ENUMS),
    Table("events", ORDER_EVENT_DT, "front", "order lifecycle events (accepted, rejected, filled, ...)",
          {"kind": EventKind, "reason": RejectReason}, frame="order_events"),
    Table("fills", FILL_DT, "front", "executions the desk kept, with fees",
          {"side": Side, "liquidity": Liquidity}),
    Table("parents", ALGO_PARENT_DT, "front", "algo parent orders (TWAP/VWAP) worked by child orders",
          {"side": Side, "algo": AlgoKind, "order_type": OrderType, "status": OrderStatus}, optional=True),
    Table("executions", EXECUTION_DT, "front", "what the venue executed (book venue: orders let out only)",
          {"liquidity": Liquidity}, optional=True),
    Table("quotes", QUOTE_DT, "front", "top of each instrument's venue book on the quote grid", optional=True),
    # middle office: positions, P&L, risk and limits
    Table("positions", POSITION_DT, "middle", "positions at the last close per book and instrument"),
    Table("eod_positions", POSITION_DT, "middle", "positions at every day's close"),
    Table("pnl", PNL_DT, "middle", "P&L and exposure snapshots per book, base currency"),
    Table("risk", RISK_DT, "middle", "VaR/ES, exposures, drawdown and trading state per book and desk",
          {"trading_state": TradingState}, optional=True),
    Table("breaches", BREACH_DT, "middle", "limit warnings, breaches and clearances",
          {"limit": LimitKind, "level": BreachLevel, "action": TradingState}, nullable=("action",), optional=True),
    # back office: booking, confirmation, settlement, ledger, reconciliation
    Table("settlements", SETTLEMENT_DT, "back", "settlement instructions, one per fill",
          {"side": Side, "status": SettlementStatus, "fail_reason": FailReason}),
    Table("ledger", LEDGER_DT, "back", "double-entry ledger postings",
          {"account_kind": AccountKind, "txn_type": TxnType}),
    Table("breaks", BREAK_DT, "back", "reconciliation breaks",
          {"kind": BreakKind, "account_kind": AccountKind}, nullable=("account_kind",)),
    Table("bookings", BOOKING_DT, "back", "the back office's bookings of the fills", {"side": Side},
          optional=True),
    Table("confirmations", CONFIRMATION_DT, "back", "trade confirmations and the counterparty's answers",
          {"status": ConfirmationStatus}, optional=True),
    Table("obligations", OBLIGATION_DT, "back", "what settles (gross or netted) and its final state",
          {"status": SettlementStatus, "fail_reason": FailReason}, optional=True),
    Table("settlement_events", SETTLEMENT_EVENT_DT, "back", "every open obligation's status at each day's end",
          {"status": SettlementStatus, "fail_reason": FailReason}, frame="settlement_history", optional=True),
    Table("statements", STATEMENT_DT, "back", "custodian and nostro statement lines",
          {"account_kind": AccountKind}, optional=True),
    Table("faults", FAULT_DT, "back", "faults injected between front and back office",
          {"kind": FaultKind, "account_kind": AccountKind}, nullable=("account_kind",), optional=True),
    Table("explain", EXPLAIN_DT, "back", "daily P&L explain per book", optional=True),
)


def table(name: str) -> Table:
    """The registry entry of record table ``name`` (a ``RunResult.records`` key or frame name).

    >>> table("events").frame
    'order_events'
    >>> table("order_events").dtype is ORDER_EVENT_DT
    True
    """
    t = TABLES.get(name)
    if t is None:
        t = next((t for t in TABLES.values() if t.frame == name), None)
    if t is None:
        raise KeyError(f"no record table {name!r}; known: {sorted(TABLES)}")
    return t


def enum_labels(codes: np.ndarray, enum: type[IntEnum]) -> pd.Categorical:
    """Turn an array of enum codes into a categorical of member names.

    Parameters
    ----------
    codes : integer ndarray
        Codes of ``enum``; a code that is not a member raises ``ValueError``.
    enum : IntEnum subclass

    Returns
    -------
    pandas.Categorical
        With every member of ``enum`` as a category, in definition order.
    """
    codes = np.asarray(codes)
    members = list(enum)
    values = np.array([int(m) for m in members], dtype=np.int64)
    order = np.argsort(values)
    pos = np.searchsorted(values[order], codes)
    pos = np.clip(pos, 0, len(values) - 1)
    ok = values[order][pos] == codes
    if not np.all(ok):
        bad = np.asarray(codes)[~ok][0]
        raise ValueError(f"{bad!r} is not a valid {enum.__name__} code")
    return pd.Categorical.from_codes(order[pos], categories=[m.name for m in members])


def records_to_frame(
    records: np.ndarray,
    *,
    table: str | None = None,
    enum_fields: Mapping[str, type[IntEnum]] | None = None,
    ts_fields: tuple[str, ...] = ("ts", "ts_done"),
    date_fields: tuple[str, ...] = ("trade_date", "settle_date", "as_of"),
) -> pd.DataFrame:
    """Readable DataFrame view of a record array.

    Enum codes become categoricals of member names, ``ts`` fields become UTC
    timestamps and date fields become ``datetime64`` dates.

    Parameters
    ----------
    records : structured ndarray
    table : str, optional
        The registry name of the records (see :data:`TABLES`): its enums (and nullable
        enum fields, ``-1`` shown as missing) label the codes.
    enum_fields : mapping of str to IntEnum, optional
        Enum per field; default: the table's, else :data:`ENUM_FIELDS`.

    Examples
    --------
    >>> fills = np.zeros(1, FILL_DT)
    >>> fills["side"] = Side.SELL
    >>> records_to_frame(fills, table="fills")["side"].tolist()
    ['SELL']
    """
    nullable: tuple[str, ...] = ()
    if table is not None:
        entry = globals()["table"](table)
        nullable = entry.nullable
        if enum_fields is None:
            enum_fields = entry.enums
    enum_fields = ENUM_FIELDS if enum_fields is None else enum_fields
    cols: dict[str, object] = {}
    for name in records.dtype.names:
        col = records[name]
        if name in nullable and name in enum_fields:
            cols[name] = optional_labels(col, enum_fields[name])
        elif name in enum_fields:
            cols[name] = enum_labels(col, enum_fields[name])
        elif name in ts_fields:
            cols[name] = pd.to_datetime(col, unit="ns", utc=True)
        elif name in date_fields:
            cols[name] = pd.to_datetime(col, unit="D")
        else:
            cols[name] = np.ascontiguousarray(col)
    return pd.DataFrame(cols)


def optional_labels(codes: np.ndarray, enum: type[IntEnum]) -> pd.Categorical:
    """Like :func:`enum_labels`, with ``-1`` (none) shown as missing.

    >>> optional_labels(np.array([1, -1]), Side).tolist()
    ['BUY', nan]
    """
    codes = np.asarray(codes, np.int64)
    labels = np.asarray(enum_labels(np.where(codes >= 0, codes, int(list(enum)[0])), enum), dtype=object)
    return pd.Categorical(np.where(codes >= 0, labels, None), categories=[m.name for m in enum])
