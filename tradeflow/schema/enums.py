"""Enums of the data model: every code a record field or a kernel uses, with its meaning.

Kernels take these codes as module-level ints (``X = int(Enum.MEMBER)``), never as hand copies.
"""

from __future__ import annotations

from enum import IntEnum


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
