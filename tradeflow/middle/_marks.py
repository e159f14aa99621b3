"""Marks (numba): the books marked to market on every price update, and P&L snapshot rows.

Between snapshots the loop keeps, per book x instrument, the base-currency market value ``mv`` and
total P&L ``val`` (realized + unrealized - fees) at the current marks, and per book their sums
``tp`` (total P&L) and ``gross`` and the largest |market value| ``mx`` (instrument ``mx_i``): a
price update touches only the instruments whose quote (or FX rate) moved, O(books) each.
"""

from __future__ import annotations

from tradeflow.core.jit import event_njit


@event_njit
def _mark_value_nb(b, i, pos, avg, realized, fees, mark, rate, fx_rate, mv, val, tp, gross, mx, mx_i):
    """Re-mark book ``b`` x instrument ``i`` at ``mark`` (``rate`` = FX x multiplier), updating the book sums.

    Fees are money already (instrument currency): they convert at ``fx_rate`` alone, never x multiplier.
    """
    p = pos[b, i]
    u = p * (mark - avg[b, i]) * rate if p != 0 else 0.0
    v = realized[b, i] * rate + u - fees[b, i] * fx_rate
    x = p * mark * rate
    tp[b] += v - val[b, i]
    gross[b] += abs(x) - abs(mv[b, i])
    val[b, i] = v
    mv[b, i] = x
    ax = abs(x)
    if ax >= mx[b]:
        mx[b] = ax
        mx_i[b] = i
    elif mx_i[b] == i:  # the largest position shrank: find the largest again
        best = 0.0
        k = -1
        for j in range(mv.shape[1]):
            a = abs(mv[b, j])
            if a > best:
                best = a
                k = j
        mx[b] = best
        mx_i[b] = k


@event_njit
def anchor_marks_nb(t, pos, avg, realized, fees, mid, fx, inst_ccy, multiplier, mv, val, tp, gross, mx, mx_i):
    """The marked state of every book from scratch at grid step ``t`` (O(books x instruments))."""
    n_books, n_inst = pos.shape
    for b in range(n_books):
        tp[b] = 0.0
        gross[b] = 0.0
        mx[b] = 0.0
        mx_i[b] = -1
        for i in range(n_inst):
            val[b, i] = 0.0
            mv[b, i] = 0.0
    for i in range(n_inst):
        fx_rate = fx[inst_ccy[i], t]
        rate = fx_rate * multiplier[i]
        for b in range(n_books):
            _mark_value_nb(b, i, pos, avg, realized, fees, mid[i, t], rate, fx_rate, mv, val, tp, gross, mx, mx_i)


@event_njit
def price_update_nb(t, pos, avg, realized, fees, mid, fx, inst_ccy, multiplier, mv, val, tp, gross, mx, mx_i):
    """Grid step ``t`` as a price update: re-mark the instruments whose quote or FX rate moved since
    step ``t - 1`` in every book, O(books) each. Returns True if anything moved."""
    n_books, n_inst = pos.shape
    moved = False
    for i in range(n_inst):
        c = inst_ccy[i]
        if mid[i, t] == mid[i, t - 1] and fx[c, t] == fx[c, t - 1]:
            continue
        moved = True
        rate = fx[c, t] * multiplier[i]
        for b in range(n_books):
            _mark_value_nb(b, i, pos, avg, realized, fees, mid[i, t], rate, fx[c, t], mv, val, tp, gross, mx, mx_i)
    return moved


@event_njit
def pnl_snapshot_nb(out, k, ts, t, pos, avg, realized, fees, inst_ccy, mid, fx, multiplier):
    """PNL_DT rows of every book at grid step ``t``: P&L and exposure in the base currency.

    Quantities are in units (contracts), prices as quoted: money is qty x price x multiplier;
    fees are money already (instrument currency) and convert at the FX rate only.
    """
    n_books, n_inst = pos.shape
    for b in range(n_books):
        r = 0.0
        u = 0.0
        f = 0.0
        gross = 0.0
        net = 0.0
        for i in range(n_inst):
            rate = fx[inst_ccy[i], t] * multiplier[i]
            m = mid[i, t]
            r += realized[b, i] * rate
            f += fees[b, i] * fx[inst_ccy[i], t]  # fees are money already: FX only
            if pos[b, i] != 0:
                u += pos[b, i] * (m - avg[b, i]) * rate
                v = pos[b, i] * m * rate
                gross += abs(v)
                net += v
        row = k * n_books + b
        out[row]["ts"] = ts
        out[row]["book"] = b
        out[row]["realized_pnl"] = r
        out[row]["unrealized_pnl"] = u
        out[row]["fees"] = f
        out[row]["total_pnl"] = r + u - f
        out[row]["gross_exposure"] = gross
        out[row]["net_exposure"] = net
