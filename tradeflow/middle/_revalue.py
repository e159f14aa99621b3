"""Scenario P&L and VaR (numba): re-marking the scenario P&L, risk snapshot rows, and one fill's
scenario P&L with its VaR/ES tails and VaR limits.
"""

from __future__ import annotations

import numpy as np

from tradeflow.core.jit import event_njit
from tradeflow.middle._codes import (
    K_CONCENTRATION,
    K_DRAWDOWN,
    K_GROSS_EXPOSURE,
    K_VAR,
    P_BOOK_CONC,
    P_BOOK_DD,
    P_BOOK_GROSS,
    P_BOOK_VAR,
    P_DESK_DD,
    P_DESK_GROSS,
    P_DESK_VAR,
    P_WARN,
)
from tradeflow.middle._limits import check_limit_nb, concentration_measure_nb
from tradeflow.middle._risk_kernels import (
    add2_tail_nb,
    book_scenario_pnl_nb,
    init_tails_nb,
    tail_len_nb,
    tail_size_nb,
    tail_var_es_nb,
    unit_scenario_pnl_nb,
    var_es_nb,
)


@event_njit
def rebase_risk_nb(ts, t, mid, fx, inst_ccy, pos, asset_class, underlying, multiplier, strike, expiry_ns, opt_vol,
                   rate, div_yield, call_put, returns, fx_returns, unit_pnl, fx_reb, spnl, desk_spnl, tail_idx,
                   tail_loss, work):
    """Re-mark the scenario P&L: unit P&L at the marks of grid step ``t``, book vectors and tails from scratch.

    ``work`` is a scratch array of shape (2, n_instruments) (the marks and years to expiry)."""
    n_inst = mid.shape[0]
    marks = work[0]
    tyears = work[1]
    for i in range(n_inst):
        marks[i] = mid[i, t]
        fx_reb[i] = fx[inst_ccy[i], t]
        tyears[i] = (expiry_ns[i] - ts) / 31_536_000_000_000_000.0 if asset_class[i] != 0 else 0.0
    unit_scenario_pnl_nb(asset_class, underlying, multiplier, strike, tyears, opt_vol, rate, div_yield, call_put,
                         marks, returns, inst_ccy, fx_returns, 1.0 / 365.0, 0.0, unit_pnl)
    book_scenario_pnl_nb(pos, fx_reb, unit_pnl, spnl)
    for s in range(desk_spnl.shape[0]):
        tot = 0.0
        for b in range(spnl.shape[0]):
            tot += spnl[b, s]
        desk_spnl[s] = tot
    init_tails_nb(spnl, desk_spnl, tail_idx, tail_loss)


@event_njit
def risk_snapshot_nb(risk, row0, ts, t, pnl, pnl_row0, pos, mid, fx, inst_ccy, multiplier, spnl, desk_spnl, var_buf,
                     var_level, es_level, sqrt_h, peak, book_state, limit_state, lim, action, breaches, nb,
                     first_breach_id):
    """RISK_DT rows (books, then the desk as book -1) and every limit check at one snapshot."""
    n_books, n_inst = pos.shape
    desk_gross = 0.0
    desk_net = 0.0
    desk_total = 0.0
    desk_maxmv = 0.0
    warn = lim[P_WARN]
    for b in range(n_books + 1):
        if b < n_books:
            gross = pnl[pnl_row0 + b]["gross_exposure"]
            net = pnl[pnl_row0 + b]["net_exposure"]
            total = pnl[pnl_row0 + b]["total_pnl"]
            maxmv = 0.0
            for i in range(n_inst):
                if pos[b, i] != 0:
                    v = abs(pos[b, i] * multiplier[i] * mid[i, t] * fx[inst_ccy[i], t])
                    if v > maxmv:
                        maxmv = v
            v1, e1 = var_es_nb(spnl[b], var_level, es_level, var_buf)
            desk_gross += gross
            desk_net += net
            desk_total += total
            if maxmv > desk_maxmv:
                desk_maxmv = maxmv
            book = b
        else:
            gross = desk_gross
            net = desk_net
            total = desk_total
            maxmv = desk_maxmv
            v1, e1 = var_es_nb(desk_spnl, var_level, es_level, var_buf)
            book = -1
        if total > peak[b]:
            peak[b] = total
        dd = peak[b] - total
        conc = maxmv / gross if gross > 0.0 else 0.0
        r = row0 + b
        risk[r]["ts"] = ts
        risk[r]["book"] = book
        risk[r]["var_1d"] = v1
        risk[r]["es_1d"] = e1
        risk[r]["var_10d"] = v1 * sqrt_h
        risk[r]["es_10d"] = e1 * sqrt_h
        risk[r]["gross_exposure"] = gross
        risk[r]["net_exposure"] = net
        risk[r]["total_pnl"] = total
        risk[r]["drawdown"] = dd
        risk[r]["concentration"] = conc
        if b < n_books:
            nb = check_limit_nb(limit_state, b, K_VAR, v1, lim[P_BOOK_VAR], warn, ts, book, action, book_state,
                                breaches, nb, first_breach_id)
            nb = check_limit_nb(limit_state, b, K_GROSS_EXPOSURE, gross, lim[P_BOOK_GROSS], warn, ts, book, action,
                                book_state, breaches, nb, first_breach_id)
            nb = check_limit_nb(limit_state, b, K_DRAWDOWN, dd, lim[P_BOOK_DD], warn, ts, book, action, book_state,
                                breaches, nb, first_breach_id)
            c = concentration_measure_nb(maxmv, gross, lim)
            nb = check_limit_nb(limit_state, b, K_CONCENTRATION, c, lim[P_BOOK_CONC], warn, ts, book, action,
                                book_state, breaches, nb, first_breach_id)
        else:
            nb = check_limit_nb(limit_state, b, K_VAR, v1, lim[P_DESK_VAR], warn, ts, book, action, book_state,
                                breaches, nb, first_breach_id)
            nb = check_limit_nb(limit_state, b, K_GROSS_EXPOSURE, gross, lim[P_DESK_GROSS], warn, ts, book, action,
                                book_state, breaches, nb, first_breach_id)
            nb = check_limit_nb(limit_state, b, K_DRAWDOWN, dd, lim[P_DESK_DD], warn, ts, book, action, book_state,
                                breaches, nb, first_breach_id)
    for b in range(n_books + 1):
        risk[row0 + b]["trading_state"] = book_state[b] if b < n_books else 0
    return nb


@event_njit(inline="always")
def add_scenario_pnl_nb(unit_pnl, weight, spnl, desk_spnl, b, i, signed_qty):
    """A fill's scenario P&L added to its book's and the desk's vectors (no tails, no limits)."""
    w = signed_qty * weight[i]
    for s in range(spnl.shape[1]):
        d = w * unit_pnl[i, s]
        spnl[b, s] += d
        desk_spnl[s] += d


@event_njit(inline="always")
def fill_risk_arrays_nb(unit_pnl, weight, spnl, desk_spnl, tail_idx, tail_loss, var_level, es_level, lim, action,
                        limit_state, breaches, first_breach_id, book_state, b, i, signed_qty, ts, book_tail, desk_tail,
                        nb):
    """:func:`fill_risk_nb` on the :class:`Tails` fields (in field order) and the :class:`Limits` fields it
    reads (a batch kernel reads the bundles' arrays once, not per fill)."""
    n_books = spnl.shape[0]
    n_scen = spnl.shape[1]
    if not book_tail and not desk_tail:  # no tails: the two adds of add2_tail_nb, without its row views
        add_scenario_pnl_nb(unit_pnl, weight, spnl, desk_spnl, b, i, signed_qty)
        return nb, np.nan, np.nan
    w = signed_qty * weight[i]
    m = tail_len_nb(n_scen, var_level, es_level)
    add2_tail_nb(spnl[b], desk_spnl, w, unit_pnl[i], m, tail_idx[b], tail_loss[b], tail_idx[n_books],
                 tail_loss[n_books], book_tail, desk_tail)
    v = np.nan
    e = np.nan
    if book_tail:
        kv = tail_size_nb(n_scen, var_level)
        ke = tail_size_nb(n_scen, es_level)
        v, e = tail_var_es_nb(tail_loss[b], n_scen, kv, ke)
        if lim[P_BOOK_VAR] > 0.0:
            nb = check_limit_nb(limit_state, b, K_VAR, v, lim[P_BOOK_VAR], lim[P_WARN], ts, b, action, book_state,
                                breaches, nb, first_breach_id)
    if desk_tail and lim[P_DESK_VAR] > 0.0:
        kv = tail_size_nb(n_scen, var_level)
        ke = tail_size_nb(n_scen, es_level)
        dv, _ = tail_var_es_nb(tail_loss[n_books], n_scen, kv, ke)
        nb = check_limit_nb(limit_state, n_books, K_VAR, dv, lim[P_DESK_VAR], lim[P_WARN], ts, -1, action,
                            book_state, breaches, nb, first_breach_id)
    return nb, v, e


@event_njit(inline="always")
def fill_risk_nb(tl, lm, book_state, b, i, signed_qty, ts, book_tail, desk_tail, nb):
    """A fill's scenario P&L added to its book's and the desk's vectors, their tails kept current
    (``book_tail``, ``desk_tail``), and the VaR limits checked (when set).

    Returns ``(n_breaches_written, book_var, book_es)`` (NaN when ``book_tail`` is off).
    """
    return fill_risk_arrays_nb(tl.unit_pnl, tl.weight, tl.spnl, tl.desk_spnl, tl.tail_idx, tl.tail_loss, tl.var_level,
                               tl.es_level, lm.lim, lm.action, lm.limit_state, lm.breaches, lm.first_breach_id,
                               book_state, b, i, signed_qty, ts, book_tail, desk_tail, nb)
