"""Numba kernels of the risk engine: scenario P&L, VaR/ES, FIFO lots (Black-Scholes-Merton from
:mod:`tradeflow.core.pricing`, the package's one implementation, re-exported here).

Conventions (the public wrappers in ``greeks.py`` and ``var.py`` document them for users):

* Time to expiry in years, ACT/365; rates and dividend yields continuously compounded, per year.
* Kernel Greeks are *raw*: vega and rho per 1.00 (100 points) of volatility / rate, theta per year.
* Scenario P&L vectors hold P&L (positive = gain); VaR and ES are reported as positive losses.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from tradeflow.core.jit import event_njit

# the one Black-Scholes-Merton of the package (tradeflow.core.pricing), re-exported for the middle office's kernels
from tradeflow.core.pricing import (  # noqa: F401
    INV_SQRT_2PI,
    SQRT2,
    bsm_greeks_nb,
    bsm_greeks_vec_nb,
    bsm_price_nb,
    bsm_price_vec_nb,
    norm_cdf_nb,
    norm_pdf_nb,
)
from tradeflow.schema import RiskModel

# asset classes as codes inside kernels (instrument table ``asset_class`` strings map to these)
AC_LINEAR = int(RiskModel.LINEAR)  # equity, future, fx: P&L = qty * multiplier * price change
AC_OPTION = int(RiskModel.OPTION)


@event_njit
def unit_row_nb(i, asset_class, underlying, multiplier, strike, expiry_years, opt_vol, rate, div_yield, call_put,
                marks, returns, inst_ccy, fx_returns, horizon_years, vol_shift, out_row):
    """Scenario P&L of one unit of instrument ``i`` (see :func:`unit_scenario_pnl_nb`) into ``out_row``."""
    n_scen = out_row.shape[0]
    m = multiplier[i]
    c = inst_ccy[i]
    if asset_class[i] != AC_OPTION:
        base = m * marks[i]
        for s in range(n_scen):
            r = returns[i, s]
            f = fx_returns[c, s]
            out_row[s] = base * (r + f + r * f)  # (1 + r)(1 + f) - 1 without the cancellation (exactly r if f = 0)
        return
    u = underlying[i]
    su = marks[u]
    cp = call_put[i]
    v0 = bsm_price_nb(su, strike[i], expiry_years[i], opt_vol[i], rate[i], div_yield[i], cp)
    t1 = expiry_years[i] - horizon_years
    vol1 = max(opt_vol[i] + vol_shift, 0.0)
    for s in range(n_scen):
        v1 = bsm_price_nb(su * (1.0 + returns[u, s]), strike[i], t1, vol1, rate[i], div_yield[i], cp)
        out_row[s] = m * ((v1 - v0) + v1 * fx_returns[c, s])  # v1 (1 + f) - v0: revalued locally, then FX


@event_njit
def unit_scenario_pnl_nb(asset_class, underlying, multiplier, strike, expiry_years, opt_vol, rate, div_yield,
                         call_put, marks, returns, inst_ccy, fx_returns, horizon_years, vol_shift, out):
    """P&L of one unit of every instrument in every scenario, in its currency at today's rate (in place).

    ``returns[u, s]`` is the simple return of instrument ``u`` in scenario ``s`` and
    ``fx_returns[c, s]`` that of the base-currency value of currency ``c`` (row 0, the base
    currency, and every row when FX is held constant, are zeros); ``inst_ccy[i]`` is the
    instrument's currency row. A linear instrument gains ``multiplier * mark * ((1 + r)(1 + f) - 1)``;
    an option is fully revalued in its currency: its underlying moves by the underlying's
    scenario return, its time to expiry shrinks by ``horizon_years`` and its volatility shifts
    by ``vol_shift`` (absolute, 0.10 = 10 points); then ``multiplier * (V1 (1 + f) - V0)``.
    Times today's rate of the currency, this is the base-currency P&L.
    """
    for i in range(out.shape[0]):
        unit_row_nb(i, asset_class, underlying, multiplier, strike, expiry_years, opt_vol, rate, div_yield,
                    call_put, marks, returns, inst_ccy, fx_returns, horizon_years, vol_shift, out[i])


@event_njit
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


@event_njit
def add_to_scenario_pnl_nb(vec, weight, unit_row):
    """The incremental update after a fill: ``vec += weight * unit_row`` in O(scenarios)."""
    for s in range(vec.shape[0]):
        vec[s] += weight * unit_row[s]


@event_njit
def tail_size_nb(n_scen, level):
    """How many scenarios lie strictly beyond the VaR quantile: ``n - ceil(n * level)``."""
    k = n_scen - int(math.ceil(n_scen * level - 1e-9))
    return max(k, 0)


@event_njit
def tail_len_nb(n_scen, var_level, es_level):
    """How many of the largest losses VaR and ES read: ``max(tail_var, tail_es) + 1``, at most ``n``."""
    m = max(tail_size_nb(n_scen, var_level), tail_size_nb(n_scen, es_level)) + 1
    return min(m, n_scen)


@event_njit
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


@event_njit
def tail_var_es_nb(buf, n, kv, ke):
    """VaR and ES from the sorted largest losses in ``buf`` (see :func:`var_es_nb`)."""
    var = buf[kv] if kv < n else buf[n - 1]
    if ke == 0:
        return var, buf[0]  # an empty tail: ES falls back to the ES-level VaR, the largest loss
    tot = 0.0
    for j in range(ke):
        tot += buf[j]
    return var, tot / ke


@event_njit
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
    m = tail_len_nb(n, var_level, es_level)
    # buf[0] >= buf[1] >= ... : the m largest losses seen so far
    filled = 0
    for s in range(n):
        if _keep_loss_nb(buf, filled, m, -pnl[s]) and filled < m:
            filled += 1
    return tail_var_es_nb(buf, n, kv, ke)


# --------------------------------------------------------------------------- the tail after every fill
# A book's tail is its ``M`` largest losses, sorted (``tail_loss``, descending), with the scenarios they
# come from (``tail_idx``); VaR and ES read the first ``m <= M`` (:func:`tail_len_nb`), the rest is slack
# (:func:`tail_width_nb`). After a fill ``vec += w * row`` the tracked scenarios still hold M losses, so
# the m-th largest of their *new* losses is a lower bound of the new m-th largest loss: only scenarios
# at or above it can be in the new top m. Counting those is a compare folded into the (vectorized) add;
# when the count is what the tracked scenarios account for, the top m are among them and only their M
# values are re-sorted. Otherwise a scenario climbed from outside, and the top M are rescanned from the
# vector (in cache). With the slack an outsider must overtake M - m tracked scenarios first, which
# keeps the rescan rare (about 1 fill in 500 on the benchmark's desk with 2m tracked, against 1 in 20
# with no slack; the width is a trade of the two, see :func:`tail_width_nb`).
# Both ways the top m values are exactly those of a full sort, so VaR/ES equal :func:`var_es_nb` of the
# updated vector bit for bit.

@event_njit
def tail_width_nb(n_scen, var_level, es_level):
    """How many of the largest losses a tail tracks: what VaR and ES read (m) and a quarter more, at
    least 2 more, at most ``n``. Every fill gathers and re-sorts the tracked scenarios, so slack costs
    on every fill and saves only on the rare rescans: 1M random fills on 5 books with 2m = 26 tracked
    at 500 scenarios took 270 ns a fill, with m + 3 = 16 236 ns (100 to 2,500 scenarios: the best
    widths were m + 1 to 1.25 m, and 2m up to 38% slower)."""
    m = tail_len_nb(n_scen, var_level, es_level)
    return min(m + max(2, m // 4), n_scen)


@event_njit
def _insert_tail_nb(loss, idx, filled, x, s):
    """Insert loss ``x`` of scenario ``s`` into the sorted tail (``filled`` entries so far); returns filled."""
    width = loss.shape[0]
    if filled == width and x <= loss[width - 1]:
        return filled
    j = filled if filled < width else width - 1
    while j > 0 and loss[j - 1] < x:
        loss[j] = loss[j - 1]
        idx[j] = idx[j - 1]
        j -= 1
    loss[j] = x
    idx[j] = s
    return filled + 1 if filled < width else width


@event_njit
def tail_select_nb(vec, tail_idx, tail_loss):
    """The tail of ``vec`` from scratch: its ``len(tail_idx)`` largest losses, sorted, and their scenarios."""
    filled = 0
    for s in range(vec.shape[0]):
        filled = _insert_tail_nb(tail_loss, tail_idx, filled, -vec[s], s)


# The per-fill helpers of the tails are inlined into add_tail_nb / add2_tail_nb (numba IR inlining): as
# calls, each passed six arrays and cost 18-30 ns of a fill's ~205 (1M fills at 500 scenarios). The
# rare rescan stays a call.
@event_njit(inline="always")
def _tail_threshold_nb(vec, weight, unit_row, m, tail_idx, tail_loss):
    """The tracked scenarios' losses after the update, sorted (into ``tail_loss``), and the P&L at or
    below which a scenario may be in the new top ``m``: minus the m-th largest of them."""
    width = tail_idx.shape[0]
    for j in range(width):
        s = tail_idx[j]
        tail_loss[j] = -(vec[s] + weight * unit_row[s])  # the very value the add will store
    for j in range(1, width):  # insertion sort: the order rarely changes much from fill to fill
        x = tail_loss[j]
        if tail_loss[j - 1] >= x:
            continue
        s = tail_idx[j]
        k = j
        while k > 0 and tail_loss[k - 1] < x:
            tail_loss[k] = tail_loss[k - 1]
            tail_idx[k] = tail_idx[k - 1]
            k -= 1
        tail_loss[k] = x
        tail_idx[k] = s
    return -tail_loss[m - 1]


@event_njit(inline="always")
def _tail_refresh_nb(vec, thr, count, m, tail_idx, tail_loss):
    """The tail after the add, given how many scenarios have P&L <= ``thr``. Returns True on the
    fast path (the top m are among the tracked scenarios, already sorted)."""
    width = tail_idx.shape[0]
    tracked = m  # tracked scenarios at or above the bound: the first m, and any tied with the m-th
    while tracked < width and tail_loss[tracked] >= tail_loss[m - 1]:
        tracked += 1
    if count == tracked:
        return True
    _tail_rescan_nb(vec, tail_idx, tail_loss)
    return False


@event_njit
def _tail_rescan_nb(vec, tail_idx, tail_loss):
    """A scenario climbed from outside the tracked ones: rescan for the top M, above the smallest
    tracked loss."""
    width = tail_idx.shape[0]
    lo = -tail_loss[width - 1]
    filled = 0
    for s in range(vec.shape[0]):
        v = vec[s]
        if v <= lo:
            filled = _insert_tail_nb(tail_loss, tail_idx, filled, -v, s)
    if filled < width:  # pragma: no cover - only with non-finite P&L, which the wrappers refuse
        tail_select_nb(vec, tail_idx, tail_loss)


@event_njit
def add_tail_nb(vec, weight, unit_row, m, tail_idx, tail_loss):
    """``vec += weight * unit_row`` with its top ``m`` losses kept current, in one pass over the scenarios.

    ``tail_idx`` must hold distinct scenario indices, at least ``m`` (any: e.g. ``arange`` at the
    start, the previous call's afterwards; the closer to the real tail, the cheaper; see
    :func:`tail_width_nb`). On return ``tail_loss[:m]`` holds the ``m`` largest losses of ``vec``,
    sorted descending, and ``tail_idx[:m]`` their scenarios. Returns True on the fast path (an add and a
    compare per scenario, and a sort of the tracked losses).
    """
    thr = _tail_threshold_nb(vec, weight, unit_row, m, tail_idx, tail_loss)
    count = 0
    for s in range(vec.shape[0]):
        v = vec[s] + weight * unit_row[s]
        vec[s] = v
        count += v <= thr
    return _tail_refresh_nb(vec, thr, count, m, tail_idx, tail_loss)


@event_njit
def add2_tail_nb(book_vec, desk_vec, weight, unit_row, m, book_idx, book_loss, desk_idx, desk_loss, book_tail,
                 desk_tail):
    """A fill's scenario P&L added to its book's and the desk's vectors in one pass, with the book's
    tail (when ``book_tail``) and the desk's (when ``desk_tail``) kept current (see :func:`add_tail_nb`)."""
    thr_b = _tail_threshold_nb(book_vec, weight, unit_row, m, book_idx, book_loss) if book_tail else -np.inf
    thr_d = _tail_threshold_nb(desk_vec, weight, unit_row, m, desk_idx, desk_loss) if desk_tail else -np.inf
    cb = 0
    cd = 0
    for s in range(book_vec.shape[0]):
        d = weight * unit_row[s]
        a = book_vec[s] + d
        book_vec[s] = a
        cb += a <= thr_b
        e = desk_vec[s] + d
        desk_vec[s] = e
        cd += e <= thr_d
    if book_tail:
        _tail_refresh_nb(book_vec, thr_b, cb, m, book_idx, book_loss)
    if desk_tail:
        _tail_refresh_nb(desk_vec, thr_d, cd, m, desk_idx, desk_loss)


@event_njit
def add_and_var_es_nb(vec, weight, unit_row, var_level, es_level, tail_idx, tail_loss):
    """``vec += weight * unit_row`` and the VaR/ES of the result: the incremental update after a fill.

    The fused form of :func:`add_to_scenario_pnl_nb` then :func:`var_es_nb` (the same numbers,
    bit for bit), carrying the tail from call to call (see :func:`add_tail_nb`);
    ``len(tail_idx)`` must be at least :func:`tail_len_nb` of the levels (e.g. :func:`tail_width_nb`).

    Returns
    -------
    (var, es)
    """
    n = vec.shape[0]
    add_tail_nb(vec, weight, unit_row, tail_len_nb(n, var_level, es_level), tail_idx, tail_loss)
    return tail_var_es_nb(tail_loss, n, tail_size_nb(n, var_level), tail_size_nb(n, es_level))


@event_njit
def init_tails_nb(spnl, desk_spnl, tail_idx, tail_loss):
    """Every book's tail (rows ``0..n_books-1``) and the desk's (last row) from scratch."""
    n_books = spnl.shape[0]
    for b in range(n_books):
        tail_select_nb(spnl[b], tail_idx[b], tail_loss[b])
    tail_select_nb(desk_spnl, tail_idx[n_books], tail_loss[n_books])


@njit(cache=True, nogil=True)
def var_es_sorted_index_nb(pnl, var_level):
    """Index of the VaR scenario (the scenario whose loss is the VaR), for component VaR."""
    n = pnl.shape[0]
    order = np.argsort(-pnl, kind="mergesort")  # ascending losses
    j = int(math.ceil(n * var_level - 1e-9)) - 1
    return order[max(min(j, n - 1), 0)]


# --------------------------------------------------------------------------- FIFO lots
@event_njit
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
