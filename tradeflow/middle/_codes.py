"""Codes the middle office's kernels compile as literals (``@njit`` modules import them from here).

Enum codes are taken from the data model (:mod:`tradeflow.schema`) as module-level ints, which numba
compiles as literals; the limit-threshold slots and the collar tolerance are the kernels' own.
"""

from __future__ import annotations

from tradeflow.schema import (
    BreachLevel,
    DeskEvent,
    EventKind,
    LimitKind,
    Liquidity,
    OrderOrigin,
    OrderStatus,
    RejectReason,
    TradingState,
)

# RejectReason
R_NONE = int(RejectReason.NONE)
R_PRICE_COLLAR = int(RejectReason.PRICE_COLLAR)
R_MAX_ORDER_QTY = int(RejectReason.MAX_ORDER_QTY)
R_MAX_ORDER_NOTIONAL = int(RejectReason.MAX_ORDER_NOTIONAL)
R_MAX_POSITION = int(RejectReason.MAX_POSITION)
R_INVALID_QTY = int(RejectReason.INVALID_QTY)
R_INVALID_PRICE = int(RejectReason.INVALID_PRICE)
R_UNKNOWN_INSTRUMENT = int(RejectReason.UNKNOWN_INSTRUMENT)
R_UNKNOWN_BOOK = int(RejectReason.UNKNOWN_BOOK)
R_KILL_SWITCH = int(RejectReason.KILL_SWITCH)
R_BOOK_HALTED = int(RejectReason.BOOK_HALTED)
R_REDUCING_ONLY = int(RejectReason.REDUCING_ONLY)
R_MAX_GROSS_POSITION = int(RejectReason.MAX_GROSS_POSITION)
R_CREDIT_LIMIT = int(RejectReason.CREDIT_LIMIT)
R_THROTTLE = int(RejectReason.THROTTLE)
R_DUPLICATE_ORDER = int(RejectReason.DUPLICATE_ORDER)
R_UNKNOWN_CLIENT = int(RejectReason.UNKNOWN_CLIENT)
R_UNKNOWN_TRADER = int(RejectReason.UNKNOWN_TRADER)
R_TS_BACKWARDS = int(RejectReason.TS_BACKWARDS)
R_UNKNOWN_ORDER = int(RejectReason.UNKNOWN_ORDER)
R_TOO_LATE_TO_REPLACE = int(RejectReason.TOO_LATE_TO_REPLACE)
# OrderOrigin
O_REPLACE = int(OrderOrigin.REPLACE)
# TradingState
T_ACTIVE = int(TradingState.ACTIVE)
T_REDUCING_ONLY = int(TradingState.REDUCING_ONLY)
T_HALTED = int(TradingState.HALTED)
# LimitKind
K_VAR = int(LimitKind.VAR)
K_GROSS_EXPOSURE = int(LimitKind.GROSS_EXPOSURE)
K_DRAWDOWN = int(LimitKind.DRAWDOWN)
K_CONCENTRATION = int(LimitKind.CONCENTRATION)
N_LIMIT_KINDS = len(LimitKind)
# BreachLevel
B_CLEARED = int(BreachLevel.CLEARED)
B_WARNING = int(BreachLevel.WARNING)
B_BREACH = int(BreachLevel.BREACH)
# limit thresholds, packed in one float64 array (see desk.py _limit_params)
P_BOOK_VAR = 0
P_DESK_VAR = 1
P_BOOK_GROSS = 2
P_DESK_GROSS = 3
P_BOOK_DD = 4
P_DESK_DD = 5
P_BOOK_CONC = 6
P_CONC_MIN_GROSS = 7
P_WARN = 8
P_CONC_BASIS = 9  # 1.0: single-name exposure / the book's gross limit; 0.0: / the book's gross
# OrderStatus
S_NEW = int(OrderStatus.NEW)
S_PARTIALLY_FILLED = int(OrderStatus.PARTIALLY_FILLED)
S_FILLED = int(OrderStatus.FILLED)
S_CANCELLED = int(OrderStatus.CANCELLED)
S_EXPIRED = int(OrderStatus.EXPIRED)
S_REJECTED = int(OrderStatus.REJECTED)
# EventKind
E_ACCEPTED = int(EventKind.ACCEPTED)
E_REJECTED = int(EventKind.REJECTED)
E_FILLED = int(EventKind.FILLED)
E_PARTIALLY_FILLED = int(EventKind.PARTIALLY_FILLED)
E_CANCELLED = int(EventKind.CANCELLED)
E_EXPIRED = int(EventKind.EXPIRED)
# Liquidity
L_MAKER = int(Liquidity.MAKER)
L_TAKER = int(Liquidity.TAKER)
# desk-loop event kinds, in the order they run at equal timestamps: an order arrives (and is
# checked) before the venue can fill it; snapshots see everything up to and including their time.
EV_ARRIVAL = int(DeskEvent.ARRIVAL)
EV_FILL = int(DeskEvent.FILL)
EV_CANCEL = int(DeskEvent.CANCEL)
EV_SNAPSHOT = int(DeskEvent.SNAPSHOT)

# the price collar's tolerance, relative to the reference price (1e-9: float noise, far below any tick)
COLLAR_RTOL = 1e-9
