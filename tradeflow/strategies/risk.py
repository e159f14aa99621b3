"""Two intraday risk strategies as numba strategies: a delta hedger for an options book and a TWAP risk reducer.

Both run inside the compiled session loop on its quote-grid steps (``every`` steps apart) and send
market orders for their book through the desk's pre-trade controls, like every desk order. Their
state is the market maker's shape, ``(params, log, counters)`` of float64 arrays, so the three share
one compilation of the session loop. Each logs what it decided (``log[:counters[0]]``, the columns
in :data:`HEDGE_LOG_COLUMNS` / :data:`REDUCER_LOG_COLUMNS`; ``event`` 1 an order sent, 2 that order
done, with the position or delta right after its last fill, 3 an order the controls rejected).

:func:`delta_hedger` keeps a book's delta in each underlying inside a band: when ``|delta - target|``
exceeds ``band`` (the book's own position in the underlying plus its options' Black-Scholes deltas,
:func:`tradeflow.strategies.delta_nb`) it sends a market order in the underlying for the difference
(at most ``max_child``; the rest at its next step), and waits for it to be done before looking again.

:func:`risk_reducer` works down the inventory the clients leave in one instrument of its book on a TWAP
schedule over a window of its venue's session: ``slices`` slice times evenly spread from ``start_s``
after the venue's open to ``end_s`` before its close; at slice ``k`` (of ``n``) it sends
``round(position / (n - k))`` against the book's whole position then (the clients' fills since the last
slice included), so without client flow the inventory falls in equal steps and after the last slice it
is flat.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tradeflow.middle.nb import S_REJECTED
from tradeflow.strategies.intraday import SE_FILL, SE_STEP, NumbaStrategy, delta_nb, send_nb, working_nb

__all__ = ["HEDGE_LOG_COLUMNS", "REDUCER_LOG_COLUMNS", "delta_hedger", "risk_reducer"]

HEDGE_LOG_COLUMNS = ("t", "event", "underlying", "delta", "qty", "slot")
REDUCER_LOG_COLUMNS = ("t", "event", "slice", "pos", "qty", "slot")
EV_SENT, EV_DONE, EV_REJECTED = 1, 2, 3
# hedger params: book, band, target, largest child, number of underlyings, then the underlyings
H_BOOK, H_BAND, H_TARGET, H_MAX_CHILD, H_N_UND, H_UND0 = range(6)
# reducer params and counters
R_INST, R_BOOK, R_SLICES, R_START_NS, R_END_NS, R_MAX_CHILD, R_MIN_QTY = range(7)
C_N_LOG, C_T0, C_NEXT, C_SLOT = range(4)  # counters[3 + k]: the hedger's order in flight per underlying


@njit(cache=True, nogil=True)
def _log(log, st, t, event, what, x, qty, slot):
    n = np.int64(st[C_N_LOG])
    if n < log.shape[0]:
        r = log[n]
        r[0], r[1], r[2], r[3], r[4], r[5] = t, event, what, x, qty, slot
        st[C_N_LOG] = n + 1


@njit(cache=True, nogil=True)
def _hedger_on_event(ctx, state, kind, t, ref):
    par, log, st = state
    book = np.int64(par[H_BOOK])
    n_und = np.int64(par[H_N_UND])
    if kind == SE_FILL:  # its hedge done: the delta it left
        for k in range(n_und):
            if np.int64(st[3 + k]) == ref and not working_nb(ctx, ref):
                u = np.int64(par[H_UND0 + k])
                _log(log, st, t, EV_DONE, u, delta_nb(ctx, book, u), ctx.own[ref]["filled_qty"], ref)
        return
    if kind != SE_STEP:
        return
    band, target, max_child = par[H_BAND], par[H_TARGET], par[H_MAX_CHILD]
    for k in range(n_und):
        u = np.int64(par[H_UND0 + k])
        if not ctx.is_open[u] or working_nb(ctx, np.int64(st[3 + k])):
            continue  # its venue is shut, or its last hedge is still in flight
        d = delta_nb(ctx, book, u)
        if abs(d - target) <= band:
            continue
        q = np.int64(np.round((target - d) / ctx.revalue.multiplier[u]))
        q = max(min(q, np.int64(max_child)), -np.int64(max_child))
        if q == 0:
            continue
        j = send_nb(ctx, u, 1 if q > 0 else -1, abs(q), np.nan)
        if j < 0:
            continue
        st[3 + k] = j
        _log(log, st, t, EV_SENT, u, d, q, j)
        if ctx.own[j]["status"] == S_REJECTED:
            _log(log, st, t, EV_REJECTED, u, d, q, j)


def delta_hedger(*, underlyings, band: float, book: int = 0, target: float = 0.0, every: int = 1,
                 max_child: int = 10_000, latency_us: float = 100.0, log_size: int = 50_000) -> NumbaStrategy:
    """Keep ``book``'s delta in each of ``underlyings`` inside ``target ± band`` (see the module's docstring).

    Parameters
    ----------
    underlyings : sequence of int
        The instruments it hedges (each an underlying: the book's options on it count in its delta).
    band : float
        Re-hedge when ``|delta - target| > band`` (units of the underlying).
    book : int, default=0
        The book whose delta it hedges and for which it trades.
    target : float, default=0
    every : int, default=1
        Grid steps between its looks at the delta.
    max_child : int, default=10_000
        Largest hedge order (keep it under ``PreTradeConfig.max_order_qty``).
    latency_us, log_size
        Its orders' latency; rows of its log.

    Returns
    -------
    NumbaStrategy
        State ``(params, log, counters)``: ``log[:int(counters[0])]`` with :data:`HEDGE_LOG_COLUMNS`.
    """
    und = [int(u) for u in underlyings]
    if not und or min(und) < 0:
        raise ValueError(f"The 'underlyings' parameter of delta_hedger must be non-negative instrument indices. "
                         f"Got {underlyings!r} instead.")
    if not (np.isfinite(band) and band >= 0):
        raise ValueError(f"The 'band' parameter of delta_hedger must be non-negative. Got {band!r} instead.")
    if isinstance(max_child, bool) or not isinstance(max_child, int | np.integer) or max_child < 1:
        raise ValueError(f"The 'max_child' parameter of delta_hedger must be a positive int. Got {max_child!r} "
                         f"instead.")
    par = np.array([book, band, target, max_child, len(und), *und], np.float64)
    st = np.full(3 + len(und), -1.0)
    st[C_N_LOG] = 0.0
    state = (par, np.zeros((log_size, len(HEDGE_LOG_COLUMNS))), st)
    return NumbaStrategy(_hedger_on_event, state, every=every, own_fills=True, book=book, latency_us=latency_us)


@njit(cache=True, nogil=True)
def _reducer_on_event(ctx, state, kind, t, ref):
    par, log, st = state
    i = np.int64(par[R_INST])
    book = np.int64(par[R_BOOK])
    if kind == SE_FILL:
        if np.int64(st[C_SLOT]) == ref and not working_nb(ctx, ref):
            _log(log, st, t, EV_DONE, st[C_NEXT] - 1, ctx.pos[book, i], ctx.own[ref]["filled_qty"], ref)
        return
    if kind != SE_STEP or not ctx.is_open[i]:
        return
    times = ctx.marks.times
    t0 = times[ctx.win_lo[i]] + np.int64(par[R_START_NS])  # today's window in its venue's session
    t1 = ctx.inst_close[i] - np.int64(par[R_END_NS])
    if st[C_T0] != t0:  # a new session: the schedule starts again
        st[C_T0], st[C_NEXT], st[C_SLOT] = t0, 0.0, -1.0
    n = np.int64(par[R_SLICES])
    k = np.int64(st[C_NEXT])
    if k >= n or t < t0 + (k * max(t1 - t0, 0)) // n or working_nb(ctx, np.int64(st[C_SLOT])):
        return
    st[C_NEXT] = k + 1
    pos = ctx.pos[book, i]
    if abs(pos) < par[R_MIN_QTY]:
        return
    q = -np.int64(np.round(pos / (n - k)))
    q = max(min(q, np.int64(par[R_MAX_CHILD])), -np.int64(par[R_MAX_CHILD]))
    if q == 0:
        return
    j = send_nb(ctx, i, 1 if q > 0 else -1, abs(q), np.nan)
    if j < 0:
        return
    st[C_SLOT] = j
    _log(log, st, t, EV_SENT, k, pos, q, j)
    if ctx.own[j]["status"] == S_REJECTED:
        _log(log, st, t, EV_REJECTED, k, pos, q, j)


def risk_reducer(*, instrument: int, book: int = 0, slices: int = 12, start_s: float = 300.0, end_s: float = 900.0,
                 every: int = 1, max_child: int = 10_000, min_qty: int = 1, latency_us: float = 100.0,
                 log_size: int = 10_000) -> NumbaStrategy:
    """Work down ``book``'s inventory in ``instrument`` on a TWAP schedule each session (see the module's docstring).

    Parameters
    ----------
    instrument : int
    book : int, default=0
    slices : int, default=12
        Slices per session.
    start_s, end_s : float, default=300, 900
        The window: from ``start_s`` after its venue's open to ``end_s`` before its close.
    every : int, default=1
        Grid steps between its looks at the schedule (a slice goes at its first look at or after its time).
    max_child : int, default=10_000
        Largest slice (keep it under ``PreTradeConfig.max_order_qty``).
    min_qty : int, default=1
        A slice is skipped when the position is smaller.
    latency_us, log_size
        Its orders' latency; rows of its log.

    Returns
    -------
    NumbaStrategy
        State ``(params, log, counters)``: ``log[:int(counters[0])]`` with :data:`REDUCER_LOG_COLUMNS`.
    """
    for name, v in (("instrument", instrument), ("slices", slices), ("max_child", max_child), ("min_qty", min_qty)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < (0 if name == "instrument" else 1):
            raise ValueError(f"The {name!r} parameter of risk_reducer must be a positive int. Got {v!r} instead.")
    if not (start_s >= 0 and end_s >= 0):
        raise ValueError(f"The 'start_s' and 'end_s' parameters of risk_reducer must be non-negative. "
                         f"Got {start_s!r}, {end_s!r} instead.")
    par = np.array([instrument, book, slices, round(start_s * 1e9), round(end_s * 1e9), max_child, min_qty],
                   np.float64)
    st = np.array([0.0, -1.0, 0.0, -1.0])
    state = (par, np.zeros((log_size, len(REDUCER_LOG_COLUMNS))), st)
    return NumbaStrategy(_reducer_on_event, state, every=every, own_fills=True, book=book, latency_us=latency_us)
