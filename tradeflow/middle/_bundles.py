"""The engine core's state bundles, declared once (numba compiles a NamedTuple of arrays as a struct;
``@njit`` kernels read fields by name): built by tradeflow.middle.desk (the desk loop) and
tradeflow.middle.engine (RiskEngine), read by the same per-order and per-fill functions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Controls(NamedTuple):
    """The pre-trade controls: limits (scalars, ``max_position`` per instrument) and the session's state.

    ``book_state`` (int8, n_books) is each book's TradingState, ``kill`` (int8, 1) the kill switch,
    ``credit_used`` (n_clients) the notional of accepted orders, ``thr_ring``/``thr_head`` each
    trader's ring of accepted-order times, ``dup_*`` (n_clients, n_instruments, 2) the duplicate memo.
    """

    collar_bps: float
    max_order_qty: int
    max_order_notional: float
    max_position: np.ndarray
    max_gross: int
    credit_limit: float
    dup_window_ns: int
    book_state: np.ndarray
    kill: np.ndarray
    credit_used: np.ndarray
    thr_ring: np.ndarray
    thr_head: np.ndarray
    dup_ts: np.ndarray
    dup_qty: np.ndarray
    dup_px: np.ndarray


class Positions(NamedTuple):
    """Per book x instrument post-trade state (shape (n_books, n_instruments)): position, average cost,
    realized P&L and fees (instrument currency), fill counts, the working buy and sell quantity of
    accepted orders, and the FIFO lot pool (used when ``fifo``)."""

    pos: np.ndarray
    avg: np.ndarray
    realized: np.ndarray
    fees: np.ndarray
    n_fills: np.ndarray
    working_buy: np.ndarray
    working_sell: np.ndarray
    fifo: bool
    lot_qty: np.ndarray
    lot_px: np.ndarray
    lot_next: np.ndarray
    lot_head: np.ndarray
    lot_tail: np.ndarray
    lot_top: np.ndarray


class Tails(NamedTuple):
    """Incremental VaR/ES: unit scenario P&L (n_instruments, n_scenarios), the base-currency weight of
    one unit of each instrument (FX), every book's scenario P&L and the desk's, and their tails
    (``tail_idx``/``tail_loss`` row ``b`` per book, the last row the desk's)."""

    unit_pnl: np.ndarray
    weight: np.ndarray
    spnl: np.ndarray
    desk_spnl: np.ndarray
    tail_idx: np.ndarray
    tail_loss: np.ndarray
    var_level: float
    es_level: float


class Limits(NamedTuple):
    """Risk limits: thresholds packed in ``P_*`` order, the breach action (a TradingState, 0 none),
    every book's (and, last row, the desk's) current level per LimitKind, the drawdown peaks, the
    buffer breach events are written to and the id of its first row."""

    lim: np.ndarray
    action: int
    limit_state: np.ndarray
    peak: np.ndarray
    breaches: np.ndarray
    first_breach_id: int


class Revalue(NamedTuple):
    """What re-marking the scenario P&L needs: scenario returns (and FX), the instrument table's
    risk fields, a VaR work buffer, a scratch array of shape (2, n_instruments) and the horizon scaling."""

    returns: np.ndarray
    fx_returns: np.ndarray
    asset_class: np.ndarray
    underlying: np.ndarray
    multiplier: np.ndarray
    strike: np.ndarray
    expiry_ns: np.ndarray
    opt_vol: np.ndarray
    rate: np.ndarray
    div_yield: np.ndarray
    call_put: np.ndarray
    var_buf: np.ndarray
    work: np.ndarray
    sqrt_h: float


class Marks(NamedTuple):
    """The quote grid (``times``, ``mid``, ``fx``) and the books marked to market at its current step:
    market value ``mv`` and total P&L ``val`` per book x instrument, per book their sums ``tp``,
    ``gross`` and largest |value| ``mx`` (instrument ``mx_i``); ``state`` = [grid step, dirty]."""

    times: np.ndarray
    mid: np.ndarray
    fx: np.ndarray
    inst_ccy: np.ndarray
    multiplier: np.ndarray
    mv: np.ndarray
    val: np.ndarray
    tp: np.ndarray
    gross: np.ndarray
    mx: np.ndarray
    mx_i: np.ndarray
    state: np.ndarray


class DeskRecords(NamedTuple):
    """The desk loop's outputs and schedule: fill, event, P&L and risk records, the snapshot times
    (and their grid steps), the close, each order's FX rate, and ``counts`` = [fills, events,
    breaches] written so far."""

    fills: np.ndarray
    events: np.ndarray
    pnl: np.ndarray
    risk: np.ndarray
    first_fill_id: int
    snap_ts: np.ndarray
    snap_step: np.ndarray
    close_ts: int
    order_fx: np.ndarray
    counts: np.ndarray


class Desk(NamedTuple):
    """Everything the desk loop carries, one bundle per concern (see each)."""

    risk_on: bool
    controls: Controls
    positions: Positions
    tails: Tails
    limits: Limits
    revalue: Revalue
    marks: Marks
    records: DeskRecords
