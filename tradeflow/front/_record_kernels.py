"""Numba kernels that turn the book session's arrays into records in one pass.

A default book-venue day writes 468,000 quote rows (46,800 grid times x 10 books) and 297,000 tape
trades. Built with numpy, each field was a separate pass over transposed (strided) inputs, with
temporaries for the prices and the venue's hours: 18 ms for the quotes and 12 ms for the tape a day.
The kernels compute each field with the same expressions (an integer level plus the book's lowest level,
times the tick), so the records are bit for bit those of the numpy code they replace.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["quote_records_nb", "tape_records_nb"]


@njit(cache=True, nogil=True)
def quote_records_nb(times, bid, ask, bid_qty, ask_qty, volume, trades, lo, tick, shut, out):
    """QUOTE_DT rows ``t * n_inst + i`` of the books' snapshots (arrays of shape (n_steps, n_inst), levels
    as recorded, -1 an empty side): a price is ``(level + lo[i]) * tick[i]`` (NaN for an empty side); a
    book whose venue is shut (``shut[t, i]``; ``shut`` of shape (0, 0): none) shows no quote (NaN prices,
    zero quantities) and keeps its volume and trades."""
    n_steps, n_inst = bid.shape
    has_shut = shut.shape[0] > 0
    for t in range(n_steps):
        ts = times[t]
        for i in range(n_inst):
            r = t * n_inst + i
            out[r]["ts"] = ts
            out[r]["instrument"] = i
            out[r]["volume"] = volume[t, i]
            out[r]["n_trades"] = trades[t, i]
            if has_shut and shut[t, i]:
                out[r]["bid"] = np.nan
                out[r]["ask"] = np.nan
                out[r]["bid_qty"] = 0
                out[r]["ask_qty"] = 0
                continue
            b = bid[t, i]
            a = ask[t, i]
            out[r]["bid"] = (b + lo[i]) * tick[i] if b >= 0 else np.nan
            out[r]["ask"] = (a + lo[i]) * tick[i] if a >= 0 else np.nan
            out[r]["bid_qty"] = bid_qty[t, i]
            out[r]["ask_qty"] = ask_qty[t, i]


@njit(cache=True, nogil=True)
def tape_records_nb(t_ts, t_lvl, t_qty, t_side, t_taker, t_maker, level0, lo, tick, order_id, out):
    """TRADE_DT records of the session's tape (levels global across the books, client rows as the
    parties, -1 for background liquidity): the book is the one whose levels hold the trade's level
    (``searchsorted(level0, level, side="right") - 1``), the price ``(level - level0 + lo) * tick``, a
    party's order id ``order_id[row]``."""
    for k in range(out.shape[0]):
        lvl = t_lvl[k]
        i = np.searchsorted(level0, lvl, side="right") - 1
        taker = t_taker[k]
        maker = t_maker[k]
        out[k]["ts"] = t_ts[k]
        out[k]["instrument"] = i
        out[k]["side"] = t_side[k]
        out[k]["qty"] = t_qty[k]
        out[k]["price"] = (lvl - level0[i] + lo[i]) * tick[i]
        out[k]["taker_order_id"] = order_id[taker] if taker >= 0 else -1
        out[k]["maker_order_id"] = order_id[maker] if maker >= 0 else -1
        out[k]["desk"] = taker >= 0 or maker >= 0
