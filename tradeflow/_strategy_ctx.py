"""What an intraday numba strategy sees of the session loop and how it acts on it: the context bundle
(:class:`StrategyCtx`), the event kinds it is called on and the calls it makes (``send_nb``,
``cancel_nb``, ``amend_nb``, ``working_nb``). The loop's side (refreshing the view, turning requests into
orders at the desk) stays in ``_session_kernels``; users import these from :mod:`tradeflow.strategies`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from tradeflow.middle.nb import AC_OPTION, S_NEW, S_PARTIALLY_FILLED, bsm_greeks_nb, var_es_nb

SE_STEP = 1  # a step of the quote grid (``ref`` the step)
SE_FILL = 2  # a fill of one of its own orders (``ref`` its slot; ``ctx.fill`` = qty, price)
SE_CLIENT_FILL = 3  # a fill of a client order (``ref`` the execution row; ``ctx.fill`` = qty, price, side)
SE_TIMER = 4  # its timer (``ref`` the tick count)
RQ_NEW = 1
RQ_CANCEL = 2
C_SENT, C_REQ, C_REFUSED, C_OVERFLOW, C_QHEAD, C_QTAIL, C_CALLS = 0, 1, 2, 3, 4, 5, 6
_YEAR_NS = 31_536_000_000_000_000.0  # ACT/365, as the desk's risk engine counts time to expiry


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

    Risk (read them through :func:`var_nb` and :func:`delta_nb`): ``risk_on`` (the desk runs its
    risk engine), ``tails`` the desk's scenario P&L per book and for the desk
    (:class:`tradeflow.middle.nb.Tails`, kept current fill by fill, re-marked at each P&L
    snapshot), ``revalue`` the instruments' risk fields (:class:`tradeflow.middle.nb.Revalue`:
    underlying, multiplier, strike, expiry, volatility...), ``marks`` the desk's marks
    (:class:`tradeflow.middle.nb.Marks`: ``times`` the quote grid, ``mid`` each instrument's mark at
    every grid step). The desk's own arrays: read them, never write them.
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
    risk_on: bool
    tails: tuple
    revalue: tuple
    marks: tuple


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




@njit(cache=True, nogil=True)
def open_at_nb(ctx, instrument, g):
    """True when ``instrument``'s venue takes an order sent at grid step ``g``: inside its session, outside its
    lunch break (from ``SESSION_MARGIN_NS`` before it) and reaching the venue before its close."""
    if g < 0 or g >= ctx.marks.times.shape[0]:
        return False
    return (ctx.win_lo[instrument] <= g < ctx.win_hi[instrument]
            and not ctx.brk_lo[instrument] <= g < ctx.brk_hi[instrument]
            and ctx.marks.times[g] + ctx.latency_ns < ctx.inst_close[instrument])


@njit(cache=True, nogil=True)
def var_nb(ctx, book):
    """``(VaR, ES)`` of ``book`` now (``book`` = -1: the whole desk), 1-day, base currency, as positive losses.

    The desk's own historical-simulation figures at its risk levels (``RiskConfig.var_level``,
    ``es_level``; the convention of :func:`tradeflow.middle.nb.var_es_nb`), from the scenario P&L
    the desk keeps current fill by fill and re-marks at each P&L snapshot: what its VaR limits
    check. ``(nan, nan)`` when the desk runs without its risk engine. O(scenarios) per call.
    """
    if not ctx.risk_on:
        return np.nan, np.nan
    tl = ctx.tails
    vec = tl.desk_spnl if book < 0 else tl.spnl[book]
    return var_es_nb(vec, tl.var_level, tl.es_level, ctx.revalue.var_buf)


@njit(cache=True, nogil=True)
def delta_nb(ctx, book, instrument):
    """``book``'s delta in ``instrument`` now, in units of it: its position in it x multiplier, plus, for every
    option on it the book holds, quantity x multiplier x Black-Scholes delta.

    The options are valued at the desk's mark of the underlying at the current grid step
    (``ctx.marks.mid[instrument, ctx.clock[1]]``), with time to expiry from ``ctx.clock[0]``
    (ACT/365) and their own volatility, rate and dividend yield: the figures of
    :func:`tradeflow.middle.greeks.position_greeks` (its ``delta`` column summed per underlying).
    An option's own delta (``instrument`` an option) is its position x multiplier x its delta.
    """
    rv = ctx.revalue
    mid = ctx.marks.mid
    g = min(max(ctx.clock[1], 0), mid.shape[1] - 1)
    t = ctx.clock[0]
    pos = ctx.pos
    out = np.empty(6)
    d = 0.0
    for i in range(pos.shape[1]):
        q = pos[book, i]
        if q == 0:
            continue
        if i == instrument and rv.asset_class[i] != AC_OPTION:
            d += q * rv.multiplier[i]
        elif rv.asset_class[i] == AC_OPTION and (rv.underlying[i] == instrument or i == instrument):
            u = rv.underlying[i]
            bsm_greeks_nb(mid[u, g], rv.strike[i], (rv.expiry_ns[i] - t) / _YEAR_NS, rv.opt_vol[i], rv.rate[i],
                          rv.div_yield[i], rv.call_put[i], out)
            d += q * rv.multiplier[i] * out[1]
    return d
