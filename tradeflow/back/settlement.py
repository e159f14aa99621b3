"""Settlement instructions (one per fill, due T + the market's cycle) and the daily settlement run.

Each business day every open obligation (see :mod:`tradeflow.back.netting`) that is due
is attempted, receipts before deliveries: it settles, settles partially, or fails -- for
late matching (an unmatched confirmation), an instruction on hold or the counterparty's
lack of securities (at the counterparty's fail rate), or the book's own lack of
securities (its custody holding plus what it can borrow does not cover a delivery); what failed is
recycled the next day, ages, and is charged a CSDR-style cash penalty per day failed.
Every open obligation ends each day as settled, partially settled, pending or failed,
and that status is written to the history (``SETTLEMENT_EVENT_DT``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.back import nb as _kernels
from tradeflow.market.clock import BusinessCalendar, SettlementCycles, settlement_lags
from tradeflow.schema import FILL_DT, OBLIGATION_DT, SETTLEMENT_DT, SETTLEMENT_EVENT_DT, SettlementStatus

__all__ = ["settlement_instructions", "settle_as_of", "to_minor", "settle_day", "N_SETTLEMENT_DRAWS"]

# Uniform draws per obligation per day: fail?, cause, partial?, partial size.
N_SETTLEMENT_DRAWS = 4


def to_minor(amount: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Round currency amounts to int64 minor units (``scale`` = 10 ** minor digits)."""
    return np.rint(np.asarray(amount, np.float64) * scale).astype(np.int64)


def settlement_instructions(fills: np.ndarray, instruments: pd.DataFrame, currencies: tuple[str, ...],
                            calendar: BusinessCalendar, trade_date: np.datetime64,
                            minor_scale: np.ndarray, *, first_instruction_id: int = 0,
                            cycles: SettlementCycles | None = None) -> np.ndarray:
    """Delivery-versus-payment instructions for a day's fills.

    The settlement date is the trade date plus the lag in business days of the
    instrument's settlement calendar (its currency's CSD: weekends and holidays skipped).
    The lag is the instrument's own ``settlement_lag`` when set (>= 0), else its market's
    cycle in force on the trade date (``cycles``; T+2 without one).
    At the end of the trade date an instruction is ``SETTLED`` only if it was due that
    day (T+0), else ``PENDING``.

    Parameters
    ----------
    fills : ndarray of FILL_DT
    instruments : DataFrame
        The instrument table (``settlement_lag``, ``currency``, ``currency_id`` and, when
        present, ``multiplier``: the cash leg is ``qty x price x multiplier``).
    currencies : tuple of str
    calendar : BusinessCalendar
    trade_date : numpy.datetime64
    minor_scale : float64 ndarray of shape (n_instruments,)
    first_instruction_id : int, default=0
    cycles : SettlementCycles, optional
        Per-market cycles with effective dates.

    Returns
    -------
    ndarray of SETTLEMENT_DT, one per fill in fill order.
    """
    n = fills.shape[0]
    if fills.dtype != FILL_DT:
        raise ValueError(f"The 'fills' parameter of settlement_instructions must be FILL_DT records. "
                         f"Got dtype {fills.dtype} instead.")
    out = np.zeros(n, dtype=SETTLEMENT_DT)
    inst = fills["instrument"]
    if n and (inst.min() < 0 or inst.max() >= len(instruments)):
        raise ValueError(f"The 'fills' parameter of settlement_instructions has instrument ids outside the "
                         f"table of {len(instruments)}: {inst.min()}..{inst.max()}.")
    lag = instruments["settlement_lag"].to_numpy(np.int64)
    ccy_id = instruments["currency_id"].to_numpy(np.int32)
    cycles = SettlementCycles() if cycles is None else cycles
    # one settlement date per instrument: its own lag (an override) or its market's cycle on the trade date,
    # counted on its currency's settlement calendar
    inst_ccys = [currencies[c] for c in ccy_id]
    lag = settlement_lags(cycles, trade_date, inst_ccys, lag)
    td_day = np.datetime64(trade_date, "D")
    settle_by_inst = np.array([calendar.add_business_days(td_day, int(lag[i]), [inst_ccys[i]]).astype(np.int64)
                               for i in range(len(instruments))], dtype=np.int64)
    td = np.int64(np.datetime64(trade_date, "D").astype(np.int64))
    mult = instruments["multiplier"].to_numpy(np.float64) if "multiplier" in instruments else np.ones(len(instruments))
    cash = fills["side"] * to_minor(fills["qty"] * fills["price"] * mult[inst], minor_scale[inst])
    # one pass writes every field (T+0 instructions are settled at the end of the trade date)
    _kernels.instructions_nb(fills, settle_by_inst, ccy_id, cash, np.int64(first_instruction_id), td, out)
    return out


def settle_as_of(instructions: np.ndarray, as_of: int) -> None:
    """Mark instructions due on or before ``as_of`` (days since epoch) settled, in place.

    This is the no-fail model (every due instruction settles on its date); runs use
    :func:`settle_day`, which fails, recycles and penalises.
    """
    due = instructions["settle_date"] <= as_of
    instructions["status"] = np.where(due, SettlementStatus.SETTLED, SettlementStatus.PENDING)
    if "settled_date" in instructions.dtype.names:
        instructions["settled_date"] = np.where(due, instructions["settle_date"], -1)


def settle_day(obligations: np.ndarray, as_of: int, *, fail_rate: np.ndarray, cause_weights: np.ndarray,
               partial_settlement: bool, partial_share: float, unmatched: np.ndarray, penalty_bps: np.ndarray,
               close_price: np.ndarray, minor_scale: np.ndarray, draws: np.ndarray,
               holdings: np.ndarray | None = None, borrow: np.ndarray | None = None,
               buy_in_after: np.ndarray | None = None, buy_in_price: np.ndarray | None = None) -> np.ndarray:
    """One business day of settlement, updating ``obligations`` in place.

    Receipts are attempted before deliveries, so what a book receives today can be
    delivered today. A due obligation fails when its confirmation is still unmatched
    (late matching), when the fail draw hits (``fail_rate``; the cause drawn from
    ``cause_weights``), or, for a delivery by the book, when its custody holding plus what
    it can borrow does not cover it: **lack of securities is caused by custody**, never
    drawn, on the book's side. A drawn lack of securities is the counterparty's (it fails
    to deliver to the book) and is ignored on the book's deliveries; then the delivery
    settles what is available and the rest fails (partial settlement), or fails whole.

    Parameters
    ----------
    obligations : ndarray of OBLIGATION_DT
        Every obligation created so far (``trade_date <= as_of``).
    as_of : int
        The day (days since epoch).
    fail_rate : float64 ndarray of shape (n,)
        Probability each obligation fails an attempt (its counterparty's rate in its market).
    cause_weights : float64 ndarray of shape (3,)
        Normalised weights of lack of securities, on hold, late matching.
    partial_settlement : bool
        A delivery short of securities settles what is available (the book's); a
        counterparty short of securities delivers part (``partial_share`` of such fails).
    partial_share : float
        Share of the counterparties' lack-of-securities fails that deliver part of the quantity.
    unmatched : bool ndarray of shape (n,)
        Obligations with a confirmation not yet agreed: a due one fails for late matching.
    penalty_bps : float64 ndarray of shape (n,)
        Daily penalty rate of each obligation (0 where the market charges none).
    close_price : float64 ndarray of shape (n,)
        The day's closing price of each obligation's instrument (the penalty's reference).
    minor_scale : float64 ndarray of shape (n,)
        10 ** minor digits of each obligation's currency.
    draws : float64 ndarray of shape (n, N_SETTLEMENT_DRAWS)
        Uniforms in [0, 1) from the settlement stream.
    holdings : int64 ndarray of shape (n_books, n_instruments), optional
        Each book's settled custody holding at the start of the day (negative: borrowed and
        delivered); updated in place by what settles. Default: unlimited securities (no
        delivery by the book fails for lack of them).
    borrow : int64 ndarray of shape (n_instruments,), optional
        Units of each instrument a book can borrow from the securities-lending desk, i.e.
        how far its custody holding may go below zero; < 0 unlimited (the default).
    buy_in_after : int64 ndarray of shape (n,), optional
        CSDR mandatory buy-in: an obligation whose securities are still undelivered after an
        attempt, failed on more than this many business days (the extension period), is
        bought in that day and ends ``BOUGHT_IN``; < 0 never (the default). The receiving
        side buys the open quantity at ``buy_in_price``; the failing side pays it the price
        difference over the agreed cash when positive (``buy_in_cost`` and
        ``buy_in_compensation`` of the event and the obligation; no penalty that day).
    buy_in_price : float64 ndarray of shape (n,), optional
        Value of one unit at the buy-in: the day's price plus the premium, times the multiplier.

    Returns
    -------
    ndarray of SETTLEMENT_EVENT_DT
        One row per obligation open at the start of the day, in obligation order.
    """
    if obligations.dtype != OBLIGATION_DT:
        raise ValueError(f"The 'obligations' parameter of settle_day must be OBLIGATION_DT records. "
                         f"Got dtype {obligations.dtype} instead.")
    n = obligations.shape[0]
    for name, arr in (("fail_rate", fail_rate), ("unmatched", unmatched), ("penalty_bps", penalty_bps),
                      ("close_price", close_price), ("minor_scale", minor_scale)):
        if np.shape(arr) != (n,):
            raise ValueError(f"The {name!r} parameter of settle_day must have shape ({n},). "
                             f"Got {np.shape(arr)} instead.")
    if np.shape(draws) != (n, N_SETTLEMENT_DRAWS):
        raise ValueError(f"The 'draws' parameter of settle_day must have shape ({n}, {N_SETTLEMENT_DRAWS}). "
                         f"Got {np.shape(draws)} instead.")
    cum = np.cumsum(np.asarray(cause_weights, np.float64))
    books, inst = obligations["book"], obligations["instrument"]
    if holdings is None:
        holdings = np.zeros((int(books.max(initial=-1)) + 1, int(inst.max(initial=-1)) + 1), np.int64)
        borrow = np.full(holdings.shape[1], -1, np.int64)
    elif borrow is None:
        borrow = np.full(holdings.shape[1], -1, np.int64)
    if not (isinstance(holdings, np.ndarray) and holdings.dtype == np.int64 and holdings.ndim == 2
            and holdings.flags.c_contiguous):
        raise ValueError("The 'holdings' parameter of settle_day must be a C-contiguous int64 array of shape "
                         f"(n_books, n_instruments). Got {type(holdings).__name__} "
                         f"{getattr(holdings, 'dtype', '')} {np.shape(holdings)} instead.")
    borrow = np.ascontiguousarray(borrow, np.int64)
    if borrow.shape != (holdings.shape[1],):
        raise ValueError(f"The 'borrow' parameter of settle_day must have shape ({holdings.shape[1]},). "
                         f"Got {borrow.shape} instead.")
    if n and (books.min() < 0 or books.max() >= holdings.shape[0] or inst.min() < 0
              or inst.max() >= holdings.shape[1]):
        raise ValueError(f"The 'obligations' parameter of settle_day has books or instruments outside 'holdings' "
                         f"of shape {holdings.shape}: books {books.min()}..{books.max()}, "
                         f"instruments {inst.min()}..{inst.max()}.")
    buy_in_after = np.full(n, -1, np.int64) if buy_in_after is None else np.ascontiguousarray(buy_in_after, np.int64)
    buy_in_price = np.zeros(n) if buy_in_price is None else np.ascontiguousarray(buy_in_price, np.float64)
    for name, arr in (("buy_in_after", buy_in_after), ("buy_in_price", buy_in_price)):
        if arr.shape != (n,):
            raise ValueError(f"The {name!r} parameter of settle_day must have shape ({n},). Got {arr.shape} instead.")
    ev = np.zeros(n, dtype=SETTLEMENT_EVENT_DT)
    m = _kernels.settle_day_nb(obligations, np.int64(as_of), np.ascontiguousarray(fail_rate, np.float64), cum,
                               bool(partial_settlement), float(partial_share), np.ascontiguousarray(unmatched, bool),
                               np.ascontiguousarray(penalty_bps, np.float64),
                               np.ascontiguousarray(close_price, np.float64),
                               np.ascontiguousarray(minor_scale, np.float64),
                               np.ascontiguousarray(draws, np.float64), holdings, borrow, buy_in_after, buy_in_price,
                               ev)
    return ev[:m]
