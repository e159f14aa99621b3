"""Numba kernels of the market's price paths: one pass per instrument instead of a chain of array temporaries.

A default day's grid is 10 instruments x 46,800 steps: each numpy temporary of that shape is 3.7 MB of
fresh pages, and the path's expression chain made about twenty of them a day (as many page faults as
the rest of the quote-venue day). The kernels evaluate the very same floating-point expressions in the
same order, element by element, so the paths are bit for bit those of the numpy expressions they replace
(``np.exp`` stays in numpy: its SIMD exponential and libm's may differ in the last bit).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["JUMPS_NONE", "JUMPS_PLAIN", "JUMPS_SESSION", "garch_recursion_nb", "log_paths_nb", "quotes_nb",
           "session_clock_nb"]

JUMPS_NONE = 0  # no jumps
JUMPS_PLAIN = 1  # ``incr + jump - comp``: every step is in the session
JUMPS_SESSION = 2  # ``incr + (jump - comp) * on``: jumps only in the instrument's session


@njit(cache=True, nogil=True)
def log_paths_nb(drift, vol, dt, base_scale, base_var, garch_sd, t_sd, block, z, jump, comp, jump_mode, on, out):
    """Log-price paths from the day's correlated normals: the increments, summed along each row.

    Element by element, with numpy's order of operations (so the same bits as the array expressions)::

        scale = base_scale * g * m                      (g, m: the step's GARCH and Student-t factors)
        var   = base_var * g**2 * m**2
        incr  = (drift - 0.5 * vol**2 * var) * dt + vol * sqrt(dt) * scale * z
        incr  = incr + jump - comp  |  incr + (jump - comp) * on       (``jump_mode``)
        incr  = incr * on                                              (when ``on`` is given)
        out[:, 0] = 0, out[:, k] = out[:, k - 1] + incr[:, k - 1]

    Parameters
    ----------
    drift, vol, dt : float64 arrays of shape (n_inst,)
        Annual drift and volatility, and the step in years of the instrument's trading time.
    base_scale, base_var : float64 arrays of shape (n_inst, n_steps - 1)
        The intraday profile's standard deviation and variance of each step (broadcast views welcome).
    garch_sd, t_sd : float64 arrays of shape (n_inst, n_blocks), or shape (0, 0) when off
        Per block of ``block`` steps: ``sqrt(h)`` of the GARCH variance, ``sqrt(w)`` of the Student-t weight.
    z : float64 array of shape (n_inst, n_steps - 1)
        Correlated standard normals.
    jump : float64 array of the shape of ``z`` (or (0, 0) with ``JUMPS_NONE``); comp : float64 (n_inst,)
        The jumps' log moves and their compensator.
    on : bool array of the shape of ``z``, or (0, 0)
        Steps inside the instrument's session.
    out : float64 array of shape (n_inst, n_steps)
        The log-price paths (written).
    """
    n_inst, n = z.shape
    has_g = garch_sd.shape[0] > 0
    has_t = t_sd.shape[0] > 0
    has_on = on.shape[0] > 0
    for i in range(n_inst):
        a = vol[i]
        b = vol[i] * vol[i]
        dti = dt[i]
        sdt = a * np.sqrt(dti)
        acc = 0.0
        out[i, 0] = 0.0
        for k in range(n):
            sc = base_scale[i, k]
            var = base_var[i, k]
            if has_g:
                g = garch_sd[i, k // block]
                sc = sc * g
                var = var * (g * g)
            if has_t:
                m = t_sd[i, k // block]
                sc = sc * m
                var = var * (m * m)
            x = (drift[i] - 0.5 * b * var) * dti + sdt * sc * z[i, k]
            if jump_mode == JUMPS_PLAIN:
                x = x + jump[i, k] - comp[i]
            elif jump_mode == JUMPS_SESSION:
                x = x + (jump[i, k] - comp[i]) * (1.0 if on[i, k] else 0.0)
            if has_on:
                x = x * (1.0 if on[i, k] else 0.0)
            acc = x if k == 0 else acc + x  # numpy's cumsum starts from the first term, not 0.0 + it
            out[i, k + 1] = acc


@njit(cache=True, nogil=True)
def garch_recursion_nb(xi, hm, omega, alpha, beta, h):
    """GARCH(1,1) variance of each block: ``h[:, m] = hm``, then
    ``hm = omega + alpha * hm * xi[:, m] ** 2 + beta * hm`` (numpy's order of operations). ``hm`` (the variance
    entering the first block) is updated in place to the variance after the last block."""
    n_inst, n_blocks = xi.shape
    for i in range(n_inst):
        v = hm[i]
        for m in range(n_blocks):
            h[i, m] = v
            x = xi[i, m]
            v = omega + alpha * v * (x * x) + beta * v
        hm[i] = v


@njit(inline="always")
def _np_maximum(a, b):
    # np.maximum's answer: a NaN in either operand is the result
    return a if (a >= b or a != a) else b


@njit(cache=True, nogil=True)
def quotes_nb(mid, tick, spread_bps, bid, ask):
    """Bid and ask on the tick grid around ``mid`` (rows: instruments), at least one tick apart.

    The half-spread is ``max(mid * spread_bps * 0.5e-4, tick / 2)``; the bid rounds down and the ask up
    to the tick (with a 1e-9 tolerance in ticks), the bid is at least one tick and the ask above it.
    """
    n_inst, n = mid.shape
    for i in range(n_inst):
        t = tick[i]
        s = spread_bps[i]
        half_tick = t * 0.5
        for k in range(n):
            m = mid[i, k]
            half = _np_maximum(m * s * 0.5e-4, half_tick)
            bid_t = np.floor((m - half) / t + 1e-9)
            ask_t = np.ceil((m + half) / t - 1e-9)
            ask_t = _np_maximum(ask_t, bid_t + 1.0)
            bid_t = _np_maximum(bid_t, 1.0)
            ask_t = _np_maximum(ask_t, bid_t + 1.0)
            bid[i, k] = bid_t * t
            ask[i, k] = ask_t * t


@njit(cache=True, nogil=True)
def session_clock_nb(times, half_step, open_ns, close_ns, bs, blen, length, on, frac):
    """Per instrument and grid step: ``on`` (the interval starting at the step is in the session, outside
    its break) and ``frac`` (the step's midpoint as a share of the session's trading time, the break
    skipped, in [0, 1]), with numpy's expressions of :func:`tradeflow.market.paths._instrument_sessions`
    (the midpoint ``times + half_step`` in float64, the break's part clipped to ``[0, blen]``)."""
    n_inst = open_ns.shape[0]
    n = times.shape[0]
    for i in range(n_inst):
        o = open_ns[i]
        c = close_ns[i]
        b0 = bs[i]
        bl = blen[i]
        ln = length[i]
        for t in range(n):
            ts = times[t]
            if t < n - 1:
                on[i, t] = ts >= o and ts < c and o >= 0 and not (ts >= b0 and ts < b0 + bl)
            mid_t = ts + half_step
            x = mid_t - b0
            x = x if x > 0.0 else 0.0  # np.clip(x, 0, blen): maximum, then minimum
            x = x if x < bl else float(bl)
            f = (mid_t - o - x) / ln
            f = f if f > 0.0 else 0.0
            frac[i, t] = f if f < 1.0 else 1.0
