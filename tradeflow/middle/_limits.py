"""Risk limits (numba): breach levels, breach events and the limits that move with the marks.
"""

from __future__ import annotations

from tradeflow.core.jit import event_njit
from tradeflow.middle._codes import (
    B_BREACH,
    B_CLEARED,
    B_WARNING,
    K_CONCENTRATION,
    K_DRAWDOWN,
    K_GROSS_EXPOSURE,
    P_BOOK_CONC,
    P_BOOK_DD,
    P_BOOK_GROSS,
    P_CONC_BASIS,
    P_CONC_MIN_GROSS,
    P_DESK_DD,
    P_DESK_GROSS,
    P_WARN,
)


@event_njit
def limit_level_nb(value, threshold, warn):
    if threshold <= 0.0:
        return B_CLEARED
    if value >= threshold:
        return B_BREACH
    if value >= warn * threshold:
        return B_WARNING
    return B_CLEARED


@event_njit
def concentration_measure_nb(max_name, gross, lim):
    """The value the concentration limit compares with ``lim[P_BOOK_CONC]``.

    Basis ``gross_limit`` (``lim[P_CONC_BASIS] == 1``, the default): the book's largest
    single-name ``|market value|`` as a share of the book's gross-exposure limit, a fixed notional
    that does not depend on which venues are open (falls back to the gross basis when the gross
    limit is off). Basis ``gross``: the share of the book's momentary gross exposure, checked only
    once the gross is at least ``lim[P_CONC_MIN_GROSS]``.
    """
    if lim[P_CONC_BASIS] > 0.0 and lim[P_BOOK_GROSS] > 0.0:
        return max_name / lim[P_BOOK_GROSS]
    if gross > 0.0 and gross >= lim[P_CONC_MIN_GROSS]:
        return max_name / gross
    return 0.0


@event_njit
def check_limit_nb(limit_state, row, kind, value, threshold, warn, ts, book, action, book_state, breaches, nb,
                   first_breach_id):
    """Compare one limit; on a change of level write a breach event and apply ``action`` on a breach.

    ``row`` is the book (or ``n_books`` for the desk) in ``limit_state``; a desk breach
    switches every book. Returns the number of breach events written so far.
    """
    lvl = limit_level_nb(value, threshold, warn)
    if lvl == limit_state[row, kind]:
        return nb
    applied = -1
    if lvl == B_BREACH and action > 0:
        applied = action
        if book < 0:
            for bb in range(book_state.shape[0]):
                if book_state[bb] < action:
                    book_state[bb] = action
        elif book_state[book] < action:
            book_state[book] = action
    limit_state[row, kind] = lvl
    if nb < breaches.shape[0]:
        breaches[nb]["breach_id"] = first_breach_id + nb
        breaches[nb]["ts"] = ts
        breaches[nb]["book"] = book
        breaches[nb]["limit"] = kind
        breaches[nb]["level"] = lvl
        breaches[nb]["value"] = value
        breaches[nb]["threshold"] = threshold
        breaches[nb]["action"] = applied
    return nb + 1


@event_njit
def check_mark_limits_nb(ts, tp, gross, mx, peak, lim, limit_state, action, book_state, breaches, nb,
                         first_breach_id):
    """The limits that move with the marks, per book and desk, at a price update: gross exposure,
    drawdown from the running peak of total P&L (the peaks move up here too) and concentration.
    Returns the number of breach events written so far."""
    n_books = tp.shape[0]
    warn = lim[P_WARN]
    desk_tp = 0.0
    desk_gross = 0.0
    for b in range(n_books):
        total = tp[b]
        g = gross[b]
        if total > peak[b]:
            peak[b] = total
        nb = check_limit_nb(limit_state, b, K_GROSS_EXPOSURE, g, lim[P_BOOK_GROSS], warn, ts, b, action, book_state,
                            breaches, nb, first_breach_id)
        nb = check_limit_nb(limit_state, b, K_DRAWDOWN, peak[b] - total, lim[P_BOOK_DD], warn, ts, b, action,
                            book_state, breaches, nb, first_breach_id)
        c = concentration_measure_nb(mx[b], g, lim)
        nb = check_limit_nb(limit_state, b, K_CONCENTRATION, c, lim[P_BOOK_CONC], warn, ts, b, action, book_state,
                            breaches, nb, first_breach_id)
        desk_tp += total
        desk_gross += g
    if desk_tp > peak[n_books]:
        peak[n_books] = desk_tp
    nb = check_limit_nb(limit_state, n_books, K_GROSS_EXPOSURE, desk_gross, lim[P_DESK_GROSS], warn, ts, -1, action,
                        book_state, breaches, nb, first_breach_id)
    nb = check_limit_nb(limit_state, n_books, K_DRAWDOWN, peak[n_books] - desk_tp, lim[P_DESK_DD], warn, ts, -1,
                        action, book_state, breaches, nb, first_breach_id)
    return nb
