"""Post-trade (numba): one fill's position, average cost (or FIFO lots), realized P&L and fees.
"""

from __future__ import annotations

import numpy as np

from tradeflow.core.jit import event_njit
from tradeflow.middle._risk_kernels import fifo_fill_nb


@event_njit(inline="always")
def apply_fill_nb(pos, avg, realized, fees, n_fills, b, i, side, qty, price, fee):
    """Average-cost update of one book x instrument after a fill (in place).

    Realized P&L excludes fees; a fill that flips the position closes the old side
    at the old average and opens the rest at the fill price.
    """
    p = pos[b, i]
    signed = side * qty
    if p == 0 or (p > 0) == (side > 0):
        ap = abs(p)
        avg[b, i] = (avg[b, i] * ap + price * qty) / (ap + qty)
    else:
        closed = min(qty, abs(p))
        direction = 1.0 if p > 0 else -1.0
        realized[b, i] += closed * (price - avg[b, i]) * direction
        newp = p + signed
        if newp == 0:
            avg[b, i] = 0.0
        elif (newp > 0) != (p > 0):
            avg[b, i] = price
    pos[b, i] = p + signed
    fees[b, i] += fee
    n_fills[b, i] += 1


@event_njit(inline="always")
def apply_fill_select_nb(pos, avg, realized, fees, n_fills, b, i, side, qty, price, fee):
    """:func:`apply_fill_nb` without a branch on the fill's direction: the same results bit for bit
    for positive prices and quantities (and finite products), tested against it and the reference.

    The engine's batch without VaR calls it: there the post-trade update is most of a fill's work.
    With the VaR tails after every fill the branchy version is kept: this one made that path about
    10% slower (1M fills at 500 scenarios: 271-278 -> 299-313 ms, interleaved), more than its own
    cost, so it changed how the larger loop compiles.
    """
    p = pos[b, i]
    a = avg[b, i]
    r = realized[b, i]
    newp = p + side * qty
    ap = abs(p)
    # Whether a fill adds to its position or reduces it is a coin toss on two-sided flow: as a branch
    # it was mispredicted half the time (1M fills: 11.5 ms with random sides, 5.8 ms all buys). Both
    # outcomes are computed and one is kept by multiplying by 1.0 or 0.0 (LLVM lowers a select of
    # doubles to a branch on x86). x * 1.0 + y * 0.0 is x bit for bit while y is finite and neither
    # is -0.0: prices are positive, so averages are >= +0.0, and a realized P&L that starts at +0.0
    # never becomes -0.0 (a sum is -0.0 only when both terms are). Branch-free: 8.1 ms either way;
    # in the engine's batch (1M fills, random sides, no VaR) 19.1-19.5 -> 15.8 ms.
    adds = np.float64((p == 0) | ((p > 0) == (side > 0)))
    a_add = (a * ap + price * qty) / (ap + qty)  # qty > 0, so never a division by zero
    closed = min(qty, ap)
    direction = np.float64(p > 0) * 2.0 - 1.0
    r_reduce = r + closed * (price - a) * direction
    flips = np.float64((newp > 0) != (p > 0))
    # closed flat: 0.0; flipped: the rest opened at the fill's price; else the average stands
    a_reduce = np.float64(newp != 0) * (flips * price + (1.0 - flips) * a)
    avg[b, i] = a_add * adds + a_reduce * (1.0 - adds)
    realized[b, i] = r * adds + r_reduce * (1.0 - adds)
    pos[b, i] = newp
    fees[b, i] += fee
    n_fills[b, i] += 1


@event_njit(inline="always")
def apply_fill_any_nb(pos, avg, realized, fees, n_fills, b, i, side, qty, price, fee, fifo, lot_qty, lot_px,
                      lot_next, lot_head, lot_tail, lot_top):
    """Post-trade update of one fill, average-cost or FIFO (``fifo`` true).

    Under FIFO ``avg`` is the average price of the open lots and ``realized`` the FIFO
    realized P&L, so ``realized + pos * (mark - avg) - fees`` is the same total P&L under
    both methods. Returns False only when the FIFO lot pool is full (nothing changed).
    """
    if not fifo:
        apply_fill_nb(pos, avg, realized, fees, n_fills, b, i, side, qty, price, fee)
        return True
    rd = fifo_fill_nb(lot_qty, lot_px, lot_next, lot_head, lot_tail, lot_top, b, i, side, qty, price)
    if rd != rd:
        return False
    p0 = pos[b, i]
    p1 = p0 + side * qty
    # cash identity: realized - cost basis moves by -signed qty * price
    cost = p0 * avg[b, i] + side * qty * price + rd
    avg[b, i] = cost / p1 if p1 != 0 else 0.0
    pos[b, i] = p1
    realized[b, i] += rd
    fees[b, i] += fee
    n_fills[b, i] += 1
    return True


@event_njit(inline="always")
def fill_post_trade_arrays_nb(pos, avg, realized, fees, n_fills, working_buy, working_sell, fifo, lot_qty, lot_px,
                              lot_next, lot_head, lot_tail, lot_top, b, i, side, qty, price, fee, working):
    """:func:`fill_post_trade_nb` on the :class:`Positions` fields, in field order (a batch kernel reads
    the bundle's arrays once, not per fill: each read of a bundle's array costs a reference count)."""
    if not apply_fill_any_nb(pos, avg, realized, fees, n_fills, b, i, side, qty, price, fee, fifo, lot_qty, lot_px,
                             lot_next, lot_head, lot_tail, lot_top):
        return False
    if working:
        fill_working_nb(working_buy, working_sell, b, i, side, qty)
    return True


@event_njit(inline="always")
def fill_working_nb(working_buy, working_sell, b, i, side, qty):
    """A working order's fill: its quantity stops counting in the book's working buys or sells."""
    if side > 0:
        working_buy[b, i] -= qty
    else:
        working_sell[b, i] -= qty


@event_njit(inline="always")
def fill_post_trade_nb(ps, b, i, side, qty, price, fee, working):
    """Post-trade update of one fill (average-cost or FIFO); a fill of a ``working`` order also
    reduces its working quantity. False only when the FIFO lot pool is full (nothing changed)."""
    return fill_post_trade_arrays_nb(ps.pos, ps.avg, ps.realized, ps.fees, ps.n_fills, ps.working_buy, ps.working_sell,
                                     ps.fifo, ps.lot_qty, ps.lot_px, ps.lot_next, ps.lot_head, ps.lot_tail, ps.lot_top,
                                     b, i, side, qty, price, fee, working)
