"""Numba kernels of the front office's fill model."""

from __future__ import annotations

import numpy as np
from numba import njit

BLOCK = 64  # quote steps per block of the two-level min/max index


@njit(cache=True, nogil=True)
def block_extrema_nb(bid, ask, block):
    """Per-block max of bids and min of asks, shape (n_instruments, n_blocks)."""
    n_inst, n_steps = ask.shape
    n_blocks = (n_steps + block - 1) // block
    max_bid = np.full((n_inst, n_blocks), -np.inf)
    min_ask = np.full((n_inst, n_blocks), np.inf)
    for i in range(n_inst):
        for t in range(n_steps):
            b = t // block
            if bid[i, t] > max_bid[i, b]:
                max_bid[i, b] = bid[i, t]
            if ask[i, t] < min_ask[i, b]:
                min_ask[i, b] = ask[i, t]
    return max_bid, min_ask


@njit(cache=True, nogil=True)
def _first_through_nb(quote, block_ext, i, start, limit, block, is_buy):
    """First step >= start where the quote trades through ``limit`` (ask < limit for a buy,
    bid > limit for a sell), or -1. Scans the rest of the current block, then whole blocks
    by their extrema, then inside the first block that crosses."""
    n_steps = quote.shape[1]
    t = start
    end = min(n_steps, ((start // block) + 1) * block)
    while t < end:
        if (quote[i, t] < limit) if is_buy else (quote[i, t] > limit):
            return t
        t += 1
    b = start // block + 1  # the first block after the one scanned step by step
    n_blocks = block_ext.shape[1]
    while b < n_blocks:
        if (block_ext[i, b] < limit) if is_buy else (block_ext[i, b] > limit):
            t = b * block
            stop = min(n_steps, t + block)
            while t < stop:
                if (quote[i, t] < limit) if is_buy else (quote[i, t] > limit):
                    return t
                t += 1
        b += 1
    return -1


@njit(cache=True, nogil=True)
def candidate_fills_nb(step, instrument, side, is_limit, limit_price, bid, ask, max_bid, min_ask,
                       block, out_step, out_price, out_taker):
    """Where and at what price each order would fill if accepted.

    A market order, or a limit order that is marketable on arrival, takes the touch
    (ask for a buy, bid for a sell) at its arrival step. A resting limit order fills
    at its limit at the first later step where the opposite quote trades through it.
    ``out_step`` is -1 for an order that never fills (it expires at the close).
    """
    for k in range(step.shape[0]):
        i = instrument[k]
        t = step[k]
        buy = side[k] > 0
        touch = ask[i, t] if buy else bid[i, t]
        if not is_limit[k] or (buy and limit_price[k] >= touch) or (not buy and limit_price[k] <= touch):
            out_step[k] = t
            out_price[k] = touch
            out_taker[k] = True
            continue
        if buy:
            j = _first_through_nb(ask, min_ask, i, t + 1, limit_price[k], block, True)
        else:
            j = _first_through_nb(bid, max_bid, i, t + 1, limit_price[k], block, False)
        out_step[k] = j
        out_price[k] = limit_price[k] if j >= 0 else np.nan
        out_taker[k] = False
