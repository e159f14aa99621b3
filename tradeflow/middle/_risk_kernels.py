"""Numba kernels of the risk engine: Black-Scholes-Merton, scenario P&L, VaR/ES, FIFO lots.

Conventions (the public wrappers in ``greeks.py`` and ``var.py`` document them for users):

* Time to expiry in years, ACT/365; rates and dividend yields continuously compounded, per year.
* Kernel Greeks are *raw*: vega and rho per 1.00 (100 points) of volatility / rate, theta per year.
* Scenario P&L vectors hold P&L (positive = gain); VaR and ES are reported as positive losses.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

SQRT2 = math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

# asset classes as codes inside kernels (instrument table ``asset_class`` strings map to these)
AC_LINEAR = 0  # equity, future, fx: P&L = qty * multiplier * price change
AC_OPTION = 1


@njit(cache=True, nogil=True)
def norm_cdf_nb(x):
    return 0.5 * math.erfc(-x / SQRT2)


@njit(cache=True, nogil=True)
def norm_pdf_nb(x):
    return INV_SQRT_2PI * math.exp(-0.5 * x * x)


@njit(cache=True, nogil=True)
def bsm_price_nb(s, k, t, vol, r, q, cp):
    """Black-Scholes-Merton price of one European option (``cp`` = +1 call, -1 put).

    At or after expiry (``t <= 0``) or with zero volatility the option is worth its
    discounted forward intrinsic value.
    """
    if t <= 0.0:
        return max(cp * (s - k), 0.0)
    dq = math.exp(-q * t)
    dr = math.exp(-r * t)
    if vol <= 0.0:
        return max(cp * (s * dq - k * dr), 0.0)
    sq = vol * math.sqrt(t)
    d1 = (math.log(s / k) + (r - q + 0.5 * vol * vol) * t) / sq
    d2 = d1 - sq
    return cp * (s * dq * norm_cdf_nb(cp * d1) - k * dr * norm_cdf_nb(cp * d2))


@njit(cache=True, nogil=True)
def bsm_greeks_nb(s, k, t, vol, r, q, cp, out):
    """Write price, delta, gamma, vega, theta, rho (raw units) of one option into ``out[0:6]``."""
    if t <= 0.0 or vol <= 0.0:
        out[0] = bsm_price_nb(s, k, t, vol, r, q, cp)
        tt = max(t, 0.0)
        dq = math.exp(-q * tt)
        dr = math.exp(-r * tt)
        itm = cp * (s * dq - k * dr) > 0.0
        out[1] = cp * dq if itm else 0.0
        out[2] = 0.0
        out[3] = 0.0
        out[4] = (q * s * dq - r * k * dr) * -cp if (itm and t > 0.0) else 0.0
        out[5] = cp * k * tt * dr if itm else 0.0
        return
    dq = math.exp(-q * t)
    dr = math.exp(-r * t)
    st = math.sqrt(t)
    sq = vol * st
    d1 = (math.log(s / k) + (r - q + 0.5 * vol * vol) * t) / sq
    d2 = d1 - sq
    nd1 = norm_cdf_nb(cp * d1)
    nd2 = norm_cdf_nb(cp * d2)
    pdf = norm_pdf_nb(d1)
    out[0] = cp * (s * dq * nd1 - k * dr * nd2)
    out[1] = cp * dq * nd1
    out[2] = dq * pdf / (s * sq)
    out[3] = s * dq * pdf * st
    out[4] = -s * dq * pdf * vol / (2.0 * st) - cp * r * k * dr * nd2 + cp * q * s * dq * nd1
    out[5] = cp * k * t * dr * nd2


@njit(cache=True, nogil=True)
def bsm_greeks_vec_nb(s, k, t, vol, r, q, cp, out):
    """Vectorized :func:`bsm_greeks_nb`: inputs of shape (n,), ``out`` of shape (n, 6)."""
    for j in range(s.shape[0]):
        bsm_greeks_nb(s[j], k[j], t[j], vol[j], r[j], q[j], cp[j], out[j])


@njit(cache=True, nogil=True)
def bsm_price_vec_nb(s, k, t, vol, r, q, cp, out):
    for j in range(s.shape[0]):
        out[j] = bsm_price_nb(s[j], k[j], t[j], vol[j], r[j], q[j], cp[j])


@njit(cache=True, nogil=True)
def unit_row_nb(i, asset_class, underlying, multiplier, strike, expiry_years, opt_vol, rate, div_yield, call_put,
                marks, returns, horizon_years, vol_shift, out_row):
    """Scenario P&L of one unit of instrument ``i`` (see :func:`unit_scenario_pnl_nb`) into ``out_row``."""
    n_scen = out_row.shape[0]
    m = multiplier[i]
    if asset_class[i] != AC_OPTION:
        base = m * marks[i]
        for s in range(n_scen):
            out_row[s] = base * returns[i, s]
        return
    u = underlying[i]
    su = marks[u]
    cp = call_put[i]
    v0 = bsm_price_nb(su, strike[i], expiry_years[i], opt_vol[i], rate[i], div_yield[i], cp)
    t1 = expiry_years[i] - horizon_years
    vol1 = max(opt_vol[i] + vol_shift, 0.0)
    for s in range(n_scen):
        v1 = bsm_price_nb(su * (1.0 + returns[u, s]), strike[i], t1, vol1, rate[i], div_yield[i], cp)
        out_row[s] = m * (v1 - v0)


@njit(cache=True, nogil=True)
def unit_scenario_pnl_nb(asset_class, underlying, multiplier, strike, expiry_years, opt_vol, rate, div_yield,
                         call_put, marks, returns, horizon_years, vol_shift, out):
    """P&L of one unit of every instrument in every scenario, instrument currency (in place).

    ``returns[u, s]`` is the simple return of instrument ``u`` in scenario ``s``. A linear
    instrument gains ``multiplier * mark * r``; an option is fully revalued: its underlying
    moves by the underlying's scenario return, its time to expiry shrinks by ``horizon_years``
    and its volatility shifts by ``vol_shift`` (absolute, 0.10 = 10 points).
    """
    for i in range(out.shape[0]):
        unit_row_nb(i, asset_class, underlying, multiplier, strike, expiry_years, opt_vol, rate, div_yield,
                    call_put, marks, returns, horizon_years, vol_shift, out[i])


@njit(cache=True, nogil=True)
def book_scenario_pnl_nb(pos, fx_inst, unit_pnl, out):
    """Scenario P&L vector of every book from scratch: ``out[b] = sum_i pos[b, i] * fx_i * unit_pnl[i]``."""
    n_books, n_inst = pos.shape
    n_scen = unit_pnl.shape[1]
    for b in range(n_books):
        for s in range(n_scen):
            out[b, s] = 0.0
        for i in range(n_inst):
            p = pos[b, i]
            if p == 0:
                continue
            w = p * fx_inst[i]
            for s in range(n_scen):
                out[b, s] += w * unit_pnl[i, s]


@njit(cache=True, nogil=True)
def add_to_scenario_pnl_nb(vec, weight, unit_row):
    """The incremental update after a fill: ``vec += weight * unit_row`` in O(scenarios)."""
    for s in range(vec.shape[0]):
        vec[s] += weight * unit_row[s]


@njit(cache=True, nogil=True)
def tail_size_nb(n_scen, level):
    """How many scenarios lie strictly beyond the VaR quantile: ``n - ceil(n * level)``."""
    k = n_scen - int(math.ceil(n_scen * level - 1e-9))
    return max(k, 0)


@njit(cache=True, nogil=True)
def _keep_loss_nb(buf, filled, m, x):
    """Insert loss ``x`` into ``buf[0] >= buf[1] >= ...``, the ``m`` largest losses so far
    (``filled`` of them present). Returns False when ``x`` is too small to enter."""
    if filled == m and x <= buf[m - 1]:
        return False
    j = filled if filled < m else m - 1
    while j > 0 and buf[j - 1] < x:
        buf[j] = buf[j - 1]
        j -= 1
    buf[j] = x
    return True


@njit(cache=True, nogil=True)
def _tail_var_es_nb(buf, n, kv, ke):
    """VaR and ES from the sorted largest losses in ``buf`` (see :func:`var_es_nb`)."""
    var = buf[kv] if kv < n else buf[n - 1]
    if ke == 0:
        return var, buf[0]  # an empty tail: ES falls back to the ES-level VaR, the largest loss
    tot = 0.0
    for j in range(ke):
        tot += buf[j]
    return var, tot / ke


@njit(cache=True, nogil=True)
def var_es_nb(pnl, var_level, es_level, buf):
    """Historical VaR and ES of a scenario P&L vector in O(scenarios), as positive losses.

    Convention: with ``n`` scenarios and losses ``L = -pnl`` sorted ascending, VaR at
    level ``a`` is ``L[ceil(n a) - 1]`` (numpy's ``quantile(L, a, method="inverted_cdf")``)
    and ES at level ``b`` is the mean of the ``n - ceil(n b)`` losses strictly beyond
    the ``b``-VaR (the VaR itself if that tail is empty). ``buf`` is scratch space of
    at least ``max(tail_var, tail_es) + 1`` floats; the largest losses are kept there
    by insertion, so the cost is O(n) for the small tails of risk levels.

    Returns
    -------
    (var, es)
    """
    n = pnl.shape[0]
    kv = tail_size_nb(n, var_level)
    ke = tail_size_nb(n, es_level)
    m = max(kv, ke) + 1
    if m > n:
        m = n
    # buf[0] >= buf[1] >= ... : the m largest losses seen so far
    filled = 0
    for s in range(n):
        if _keep_loss_nb(buf, filled, m, -pnl[s]) and filled < m:
            filled += 1
    return _tail_var_es_nb(buf, n, kv, ke)


@njit(cache=True, nogil=True)
def add_and_var_es_nb(vec, weight, unit_row, var_level, es_level, buf, row_absmax=np.inf, prev_mth=-np.inf):
    """``vec += weight * unit_row`` and the VaR/ES of the result, in one pass over the scenarios.

    The fused form of :func:`add_to_scenario_pnl_nb` then :func:`var_es_nb` (same result, one
    memory pass): the incremental update the engine runs after every fill.

    ``prev_mth`` is the m-th largest loss of ``vec`` before the update (``buf[m-1]`` of the
    previous call) and ``row_absmax`` the largest ``|unit_row|``: no loss moves by more than
    ``|weight| * row_absmax``, so the new m-th largest loss is at least ``prev_mth`` minus that,
    and scenarios below this bound are skipped without touching the tail buffer. If fewer
    than m scenarios pass (rounding), the exact unbounded pass runs instead.

    Returns
    -------
    (var, es, mth) ; ``mth`` is the m-th largest loss, for the next call's ``prev_mth``.
    """
    n = vec.shape[0]
    kv = tail_size_nb(n, var_level)
    ke = tail_size_nb(n, es_level)
    m = max(kv, ke) + 1
    if m > n:
        m = n
    delta = abs(weight) * row_absmax
    bound = prev_mth - delta
    bound -= 1e-9 * (abs(prev_mth) + delta + 1.0)  # the bound must survive rounding
    bounded = bound > -np.inf and bound == bound
    if bounded:
        for j in range(m):
            buf[j] = bound
    filled = m if bounded else 0
    inserted = 0
    for s in range(n):
        v = vec[s] + weight * unit_row[s]
        vec[s] = v
        if _keep_loss_nb(buf, filled, m, -v):
            inserted += 1
            if filled < m:
                filled += 1
    if bounded and inserted < m:  # pragma: no cover - only when rounding defeats the bound
        filled = 0
        for s in range(n):
            if _keep_loss_nb(buf, filled, m, -vec[s]) and filled < m:
                filled += 1
    var, es = _tail_var_es_nb(buf, n, kv, ke)
    return var, es, buf[m - 1]


@njit(cache=True, nogil=True)
def var_es_sorted_index_nb(pnl, var_level):
    """Index of the VaR scenario (the scenario whose loss is the VaR), for component VaR."""
    n = pnl.shape[0]
    order = np.argsort(-pnl, kind="mergesort")  # ascending losses
    j = int(math.ceil(n * var_level - 1e-9)) - 1
    return order[max(min(j, n - 1), 0)]


# --------------------------------------------------------------------------- FIFO lots
@njit(cache=True, nogil=True)
def fifo_fill_nb(lot_qty, lot_px, lot_next, head, tail, free_top, b, i, side, qty, price):
    """FIFO realized P&L of one fill against the open lots of book ``b`` x instrument ``i``.

    Lots live in a shared pool of linked lists (``head``/``tail`` per book x instrument,
    ``lot_next`` links; ``lot_qty`` signed). A fill first closes the oldest opposite lots,
    then opens a new lot with what is left. ``free_top[0]`` is the next unused pool slot.

    Returns
    -------
    realized : float
        P&L of the closed quantity (fees excluded), or NaN when the pool is full (the
        caller grows it and retries; nothing was changed).
    """
    signed = side * qty
    h = head[b, i]
    # is there something to close?
    realized = 0.0
    left = qty
    if h >= 0 and (lot_qty[h] > 0) != (side > 0):
        # pool space is only needed if the fill outlives the open lots; check before changing anything
        open_qty = 0
        j = h
        while j >= 0:
            open_qty += abs(lot_qty[j])
            j = lot_next[j]
        if qty > open_qty and free_top[0] >= lot_qty.shape[0]:
            return np.nan
        while left > 0 and h >= 0:
            lq = abs(lot_qty[h])
            c = min(lq, left)
            direction = 1.0 if lot_qty[h] > 0 else -1.0
            realized += c * (price - lot_px[h]) * direction
            left -= c
            if c == lq:
                h = lot_next[h]
            else:
                lot_qty[h] -= c * (1 if lot_qty[h] > 0 else -1)
        head[b, i] = h
        if h < 0:
            tail[b, i] = -1
    elif free_top[0] >= lot_qty.shape[0]:
        return np.nan
    if left > 0:
        n = free_top[0]
        free_top[0] = n + 1
        lot_qty[n] = left if signed > 0 else -left
        lot_px[n] = price
        lot_next[n] = -1
        if tail[b, i] >= 0:
            lot_next[tail[b, i]] = n
        else:
            head[b, i] = n
        tail[b, i] = n
    return realized
