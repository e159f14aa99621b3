"""Record layouts: the numpy structured dtypes the kernels read and write, one per record table.

Conventions: ``ts`` fields are int64 ns since the epoch (UTC), dates int64 days since the epoch,
side +1 buy / -1 sell, risk and P&L float64 in the instrument's currency unless named ``*_base``,
ledger cash int64 minor units (cents).
"""

from __future__ import annotations

import numpy as np

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

# The venue's tape: every trade on every book, the background's included, in time order.
TRADE_DT = np.dtype(
    [
        ("ts", np.int64),
        ("instrument", np.int32),
        ("side", np.int8),  # the aggressor's side (Side: BUY, SELL)
        ("desk", np.bool_),  # a desk order was a party (taker or maker)
        ("qty", np.int64),
        ("price", np.float64),
        ("taker_order_id", np.int64),  # the desk's order id; -1: background liquidity
        ("maker_order_id", np.int64),
    ],
    align=True,
)

# The books' best levels on a coarser grid (ExecutionConfig.depth_*), long format: one row per
# instrument, side and non-empty level (0: the touch).
DEPTH_DT = np.dtype(
    [
        ("ts", np.int64),
        ("instrument", np.int32),
        ("side", np.int8),  # BUY: bids, SELL: asks
        ("level", np.int16),
        ("price", np.float64),
        ("qty", np.int64),
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
