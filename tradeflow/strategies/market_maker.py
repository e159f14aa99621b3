"""An inventory-aware market maker (Avellaneda and Stoikov 2008) as an intraday numba strategy.

At each of its steps it quotes one bid and one ask of ``qty`` around the reservation price

    r = s - q * gamma * sigma**2 * (T - t)

with the total spread

    delta_a + delta_b = gamma * sigma**2 * (T - t) + (2 / gamma) * ln(1 + gamma / kappa)

(Avellaneda, M. and Stoikov, S. (2008), "High-frequency trading in a limit order book",
Quantitative Finance 8(3), eqs. (29)-(30)), ``s`` the book's mid, ``q`` its own inventory
(units: what its fills added up to; the book it trades for also takes client flow), ``T - t``
the seconds to its venue's close, ``sigma`` the mid's volatility in price per square-root second,
``gamma`` the risk aversion (per unit of money) and ``kappa`` the decay of the fill intensity with
the distance to the mid (per unit of price). The bid is rounded down and the ask up to the tick,
and neither crosses the book (a bid at most one tick under the best ask). Beyond ``max_inventory``
it stops quoting the side that would add to it. A quote whose price has not moved stays in the
queue; a moved one is amended (cancel and resend). Its quotes never rest through a lunch break or
past its venue's close: at its last step call before either (its venue shut at any grid step up to
its next call) it cancels both and quotes again once the venue is open.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tradeflow.strategies.intraday import (
    SE_FILL,
    SE_STEP,
    NumbaStrategy,
    amend_nb,
    cancel_nb,
    open_at_nb,
    send_nb,
    working_nb,
)

__all__ = ["AS_LOG_COLUMNS", "avellaneda_stoikov", "as_quotes"]

# the parameters' slots in state[0]
P_INST, P_GAMMA, P_KAPPA, P_SIGMA, P_QTY, P_TICK, P_MAX_INV, P_BOOK = range(8)
# what it keeps in state[2]: its two quotes' slots and prices, the log's length
S_BID_SLOT, S_ASK_SLOT, S_BID_PX, S_ASK_PX, S_N_LOG, S_FILLS, S_FILL_QTY, S_INV = range(8)
AS_LOG_COLUMNS = ("t", "mid", "q", "tau_s", "r", "spread", "bid", "ask")


@njit(cache=True)
def as_quotes(s, q, tau_s, gamma, kappa, sigma):
    """Avellaneda-Stoikov reservation price and total spread: ``(r, spread)``."""
    var = sigma * sigma * tau_s
    r = s - q * gamma * var
    spread = gamma * var + 2.0 / gamma * np.log(1.0 + gamma / kappa)
    return r, spread


@njit(cache=True)
def _shuts_before_next_call_nb(ctx, i):
    """True when instrument ``i``'s venue is shut now or at any grid step up to its next step call
    (a lunch break, the close, or the end of the grid): a quote left now would rest there."""
    g = ctx.clock[1]
    for s in range(g, g + max(ctx.every, 1) + 1):
        if not open_at_nb(ctx, i, s):
            return True
    return not ctx.is_open[i]


@njit(cache=True)
def _as_on_event(ctx, state, kind, t, ref):
    par, log, st = state
    if kind == SE_FILL:
        st[S_FILLS] += 1
        st[S_FILL_QTY] += ctx.fill[0]
        st[S_INV] += ctx.fill[0] * ctx.fill[2]
        return
    if kind != SE_STEP:
        return
    i = np.int64(par[P_INST])
    if _shuts_before_next_call_nb(ctx, i):  # its quotes leave the book before a lunch break or the close
        for k_slot in (S_BID_SLOT, S_ASK_SLOT):
            if working_nb(ctx, np.int64(st[k_slot])):
                cancel_nb(ctx, np.int64(st[k_slot]))
            st[k_slot] = -1
        return
    bid, ask = ctx.bid[i], ctx.ask[i]
    if np.isnan(bid) or np.isnan(ask):
        return
    s = 0.5 * (bid + ask)
    q = st[S_INV]  # its own inventory (the book's clients trade too)
    tau = max((ctx.inst_close[i] - t) * 1e-9, 0.0)  # to its venue's close
    r, spread = as_quotes(s, q, tau, par[P_GAMMA], par[P_KAPPA], par[P_SIGMA])
    tick = par[P_TICK]
    b = min(np.floor((r - 0.5 * spread) / tick + 1e-9) * tick, ask - tick)
    a = max(np.ceil((r + 0.5 * spread) / tick - 1e-9) * tick, bid + tick)
    n = np.int64(st[S_N_LOG])
    if n < log.shape[0]:
        log[n, 0], log[n, 1], log[n, 2], log[n, 3] = t, s, q, tau
        log[n, 4], log[n, 5], log[n, 6], log[n, 7] = r, spread, b, a
        st[S_N_LOG] = n + 1
    qty = np.int64(par[P_QTY])
    max_inv = par[P_MAX_INV]
    for side in (1, -1):
        k_slot = S_BID_SLOT if side > 0 else S_ASK_SLOT
        k_px = S_BID_PX if side > 0 else S_ASK_PX
        px = b if side > 0 else a
        slot = np.int64(st[k_slot])
        live = working_nb(ctx, slot)
        if side * q >= max_inv:  # no more on this side
            if live:
                cancel_nb(ctx, slot)
                st[k_slot] = -1
            continue
        if live and st[k_px] == px:
            continue
        new = amend_nb(ctx, slot, qty, px) if live else send_nb(ctx, i, side, qty, px)
        st[k_slot] = new
        st[k_px] = px


def avellaneda_stoikov(*, instrument: int = 0, gamma: float, kappa: float, sigma: float, qty: int, tick: float,
                       max_inventory: float = np.inf, book: int = 0, every: int = 1, latency_us: float = 100.0,
                       log_size: int = 200_000) -> NumbaStrategy:
    """The Avellaneda-Stoikov market maker on ``instrument`` (see the module's docstring).

    Its state is ``(params, log, counters)``: ``log`` rows are its quote decisions
    (:data:`AS_LOG_COLUMNS`: time, mid, position, seconds to the close, reservation price,
    spread, bid, ask), ``counters[4]`` how many, ``counters[5:8]`` its fills, filled units and inventory.
    """
    for name, v in (("gamma", gamma), ("kappa", kappa), ("sigma", sigma), ("tick", tick)):
        if not (np.isfinite(v) and v > 0):
            raise ValueError(f"The {name!r} parameter of avellaneda_stoikov must be positive. Got {v!r} instead.")
    if isinstance(qty, bool) or not isinstance(qty, int | np.integer) or qty <= 0:
        raise ValueError(f"The 'qty' parameter of avellaneda_stoikov must be a positive int. Got {qty!r} instead.")
    par = np.array([instrument, gamma, kappa, sigma, qty, tick, max_inventory, book], np.float64)
    st = np.full(8, -1.0)
    st[S_N_LOG] = st[S_FILLS] = st[S_FILL_QTY] = st[S_INV] = 0.0
    state = (par, np.zeros((log_size, len(AS_LOG_COLUMNS))), st)
    return NumbaStrategy(_as_on_event, state, every=every, own_fills=True, book=book, latency_us=latency_us)
