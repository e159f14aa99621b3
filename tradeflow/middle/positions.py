"""Post-trade bookkeeping of a fill stream in one call: positions, P&L and exposure after every fill."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeflow.middle import _engine_kernels as ek

__all__ = ["post_trade"]


def post_trade(book, instrument, side, qty, price, fee=None, *, n_books: int | None = None,
               n_instruments: int | None = None) -> pd.DataFrame:
    """Position, average-cost P&L and book exposure after every fill.

    Parameters
    ----------
    book, instrument : int ndarray of shape (n_fills,)
        Ids in ``[0, n_books)`` and ``[0, n_instruments)``.
    side : int ndarray
        +1 buy / -1 sell.
    qty : int ndarray
        Positive fill quantities.
    price : float ndarray
        Positive fill prices.
    fee : float ndarray, optional
    n_books, n_instruments : int, optional
        Default to the largest id + 1.

    Returns
    -------
    DataFrame, one row per fill
        ``position`` (of the book x instrument after the fill), ``realized_pnl`` (cumulative,
        fees excluded), ``unrealized_pnl`` (marked at the fill price), ``gross_exposure`` and
        ``net_exposure`` of the book (every instrument marked at its last fill price).

    Examples
    --------
    >>> df = post_trade([0, 0], [0, 0], [1, -1], [10, 4], [100.0, 105.0])
    >>> df["realized_pnl"].tolist(), df["position"].tolist()
    ([0.0, 20.0], [10, 6])
    """
    b = np.ascontiguousarray(book, dtype=np.int64)
    i = np.ascontiguousarray(instrument, dtype=np.int64)
    s = np.ascontiguousarray(side, dtype=np.int64)
    q = np.ascontiguousarray(qty, dtype=np.int64)
    p = np.ascontiguousarray(price, dtype=np.float64)
    f = np.zeros(b.shape[0]) if fee is None else np.ascontiguousarray(fee, dtype=np.float64)
    n = b.shape[0]
    for name, a in (("instrument", i), ("side", s), ("qty", q), ("price", p), ("fee", f)):
        if a.shape != (n,):
            raise ValueError(f"post_trade: {name!r} must have shape ({n},) like 'book'. Got {a.shape}.")
    nb = int(b.max(initial=-1)) + 1 if n_books is None else int(n_books)
    ni = int(i.max(initial=-1)) + 1 if n_instruments is None else int(n_instruments)
    if n and (b.min() < 0 or b.max() >= nb):
        raise ValueError(f"post_trade: 'book' must be in [0, {nb}). Got {b.min()}..{b.max()}.")
    if n and (i.min() < 0 or i.max() >= ni):
        raise ValueError(f"post_trade: 'instrument' must be in [0, {ni}). Got {i.min()}..{i.max()}.")
    if not np.all(np.isin(s, (1, -1))):
        raise ValueError("post_trade: 'side' must be +1 or -1")
    if np.any(q <= 0):
        raise ValueError(f"post_trade: 'qty' must be positive. Got {q[q <= 0][0]!r}.")
    if not np.all(np.isfinite(p) & (p > 0)) or not np.all(np.isfinite(f)):
        raise ValueError("post_trade: 'price' must be finite and positive and 'fee' finite")
    shape = (max(ni, 1), max(nb, 1))  # instrument-major state: see post_trade_nb
    out = {k: np.empty(n) for k in ("realized_pnl", "unrealized_pnl", "gross_exposure", "net_exposure")}
    out_pos = np.empty(n, np.int64)
    ek.post_trade_nb(b, i, s, q, p, f, np.zeros(shape, np.int64), np.zeros(shape), np.zeros(shape), np.zeros(shape),
                     np.zeros(shape, np.int64), np.zeros(shape[0]), np.zeros(shape[1]), np.zeros(shape[1]), out_pos,
                     out["realized_pnl"], out["unrealized_pnl"], out["gross_exposure"], out["net_exposure"])
    return pd.DataFrame({"position": out_pos, **out})
