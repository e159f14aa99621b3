"""What an intraday numba strategy sees of the session loop and how it acts on it: the context bundle
(:class:`StrategyCtx`), the event kinds it is called on and the calls it makes (``send_nb``,
``cancel_nb``, ``amend_nb``, ``working_nb``). The loop's side (refreshing the view, turning requests into
orders at the desk) stays in ``_session_kernels``; users import these from :mod:`tradeflow.strategies`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from tradeflow.middle.nb import S_NEW, S_PARTIALLY_FILLED

SE_STEP = 1  # a step of the quote grid (``ref`` the step)
SE_FILL = 2  # a fill of one of its own orders (``ref`` its slot; ``ctx.fill`` = qty, price)
SE_CLIENT_FILL = 3  # a fill of a client order (``ref`` the execution row; ``ctx.fill`` = qty, price, side)
SE_TIMER = 4  # its timer (``ref`` the tick count)
RQ_NEW = 1
RQ_CANCEL = 2
C_SENT, C_REQ, C_REFUSED, C_OVERFLOW, C_QHEAD, C_QTAIL, C_CALLS = 0, 1, 2, 3, 4, 5, 6


class StrategyCtx(NamedTuple):
    """What an intraday numba strategy sees and where it writes (see ``docs/strategies.md``).

    Read-only view (updated by the session loop before each call): ``pos``, ``avg``,
    ``realized``, ``fees`` (n_books x n_instruments, the desk's own arrays), ``bid``, ``ask``
    (best prices, NaN for an empty side), ``bid_qty``, ``ask_qty``, ``is_open`` (the
    instrument's venue session is open), ``clock`` = [t (ns), grid step, close (ns)], ``fill``
    = [qty, price, side] of the fill the call is about, ``own`` its orders (ORDER_DT rows, the
    first ``counts[C_SENT]`` used; ``own[j]`` is slot ``j``). Written through :func:`send_nb`,
    :func:`cancel_nb` and :func:`amend_nb`: ``req`` the requests of the call, ``counts``.
    Settings: ``pool0`` (the first order row of the pool), ``book``, ``latency_ns``,
    ``client``, ``trader``, ``every`` (grid steps between SE_STEP calls, 0 none), ``own_fills``,
    ``client_fills``, ``timer_ns`` (0 none); ``win_lo``/``win_hi`` each instrument's session
    in grid steps, ``brk_lo``/``brk_hi`` its lunch break in grid steps (empty when none; closed
    there like outside the session), ``inst_close`` its venue's close (ns); ``queue`` the venue
    arrivals and cancels in flight (ts, row, kind).
    """

    pos: np.ndarray
    avg: np.ndarray
    realized: np.ndarray
    fees: np.ndarray
    bid: np.ndarray
    ask: np.ndarray
    bid_qty: np.ndarray
    ask_qty: np.ndarray
    is_open: np.ndarray
    clock: np.ndarray
    fill: np.ndarray
    own: np.ndarray
    req: np.ndarray
    counts: np.ndarray
    queue: np.ndarray
    win_lo: np.ndarray
    win_hi: np.ndarray
    brk_lo: np.ndarray
    brk_hi: np.ndarray
    inst_close: np.ndarray
    pool0: int
    book: int
    latency_ns: int
    client: int
    trader: int
    every: int
    own_fills: bool
    client_fills: bool
    timer_ns: int


@njit(cache=True, nogil=True)
def send_nb(ctx, instrument, side, qty, price):
    """Send an order for ``ctx.book``: a limit order at ``price``, a market order (IOC) when
    ``price`` is NaN. Returns its slot in ``ctx.own`` (its pre-trade verdict is there after the
    call returns), or -1 when not sent: its venue's session is closed, or ``qty`` <= 0."""
    if qty <= 0 or not ctx.is_open[instrument]:
        ctx.counts[C_REFUSED] += 1
        return -1
    j = ctx.counts[C_SENT]
    n = ctx.counts[C_REQ]
    if j >= ctx.own.shape[0] or n >= ctx.req.shape[0]:
        ctx.counts[C_OVERFLOW] += 1  # the session runs again with more room
        return -1
    ctx.counts[C_SENT] = j + 1
    r = ctx.req[n]
    r[0], r[1], r[2], r[3], r[4], r[5] = RQ_NEW, instrument, side, qty, price, j
    ctx.counts[C_REQ] = n + 1
    return j


@njit(cache=True, nogil=True)
def cancel_nb(ctx, slot):
    """Cancel what is left of its order ``slot`` (it leaves the book after the latency). Returns
    False when the order is not working (filled, cancelled, rejected or not sent)."""
    if slot < 0 or slot >= ctx.counts[C_SENT]:
        return False
    st = ctx.own[slot]["status"]
    if not (st == S_NEW or st == S_PARTIALLY_FILLED):
        return False
    n = ctx.counts[C_REQ]
    if n >= ctx.req.shape[0]:
        ctx.counts[C_OVERFLOW] += 1
        return False
    r = ctx.req[n]
    r[0], r[5] = RQ_CANCEL, slot
    ctx.counts[C_REQ] = n + 1
    return True


@njit(cache=True, nogil=True)
def amend_nb(ctx, slot, qty, price):
    """Amend its order ``slot`` to ``qty`` at ``price``: cancel it and send the new one (both
    through the latency; the new order joins the back of its level). Returns the new slot or -1."""
    if not cancel_nb(ctx, slot):
        return -1
    return send_nb(ctx, ctx.own[slot]["instrument"], ctx.own[slot]["side"], qty, price)


@njit(cache=True, nogil=True)
def working_nb(ctx, slot):
    """True while its order ``slot`` works (accepted, not filled, cancelled or expired)."""
    if slot < 0 or slot >= ctx.counts[C_SENT]:
        return False
    st = ctx.own[slot]["status"]
    return st == S_NEW or st == S_PARTIALLY_FILLED


