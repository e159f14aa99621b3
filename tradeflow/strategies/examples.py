"""Example desk strategies at the session cadence: a delta hedger and a TWAP/VWAP risk reducer.

Both work at the open on what the desk carries in, and spread their orders over the session
(a schedule of market orders, each passing the pre-trade controls on its own).
"""

from __future__ import annotations

import numpy as np

from tradeflow.strategies.base import DeskView, Strategy

__all__ = ["DeltaHedger", "RiskReducer", "schedule"]


def schedule(view: DeskView, qty: int, *, slices: int, start_s: float, end_s: float, vwap: bool = False,
             max_child: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Times and sizes of a TWAP (equal slices at equal intervals) or VWAP schedule of ``|qty|``.

    The window runs from ``start_s`` after the open to ``end_s`` before the close. VWAP slices
    are proportional to the expected volume profile between one slice time and the next.
    Slices are at most ``max_child`` (more slices are added when needed). Returns
    ``(ts, sizes)``, sizes positive ints summing to ``|qty|``.
    """
    total = abs(int(qty))
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if max_child:
        slices = max(slices, -(-total // max_child))
    t0 = view.open_ts + int(start_s * 1e9)
    t1 = view.close_ts - int(end_s * 1e9)
    if t1 <= t0:
        t1 = t0 + 1
    ts = t0 + (np.arange(slices) * (t1 - t0)) // slices
    if vwap:
        step = np.clip(np.searchsorted(view.times, ts, side="right") - 1, 0, len(view.times) - 1)
        cum = np.concatenate([[0.0], np.cumsum(view.profile)])
        edges = np.append(step, np.searchsorted(view.times, t1, side="right") - 1)
        w = np.maximum(cum[edges[1:] + 1] - cum[edges[:-1] + 1], 0.0) + 1e-12
    else:
        w = np.ones(slices)
    sizes = np.floor(total * w / w.sum()).astype(np.int64)
    sizes[np.argsort(-(total * w / w.sum() - sizes), kind="stable")[:total - sizes.sum()]] += 1
    if max_child:  # the largest-remainder rounding may push a slice over: move the excess to the smallest
        while sizes.max() > max_child:
            k = int(np.argmax(sizes))
            sizes[k] -= 1
            sizes[int(np.argmin(sizes))] += 1
    keep = sizes > 0
    return ts[keep].astype(np.int64), sizes[keep]


class RiskReducer(Strategy):
    """Work down the inventory the desk carries into the session, with a TWAP or VWAP schedule.

    Each book's position in each linear instrument of at least ``min_qty`` is reduced by
    ``fraction`` of it through market orders spread over the session.

    Parameters
    ----------
    fraction : float, default=1.0
        Share of the inventory to work down each day (1: flatten).
    slices : int, default=12
    start_s, end_s : float, default=300, 900
        The window: from ``start_s`` after the open to ``end_s`` before the close.
    vwap : bool, default=False
        Slices in proportion to the expected volume profile instead of equal.
    max_child : int, default=2_000
        Largest child order (keep it under the pre-trade ``max_order_qty``).
    min_qty : int, default=100
    books : tuple of int, optional
        The books to work (all by default).
    """

    def __init__(self, *, fraction: float = 1.0, slices: int = 12, start_s: float = 300.0, end_s: float = 900.0,
                 vwap: bool = False, max_child: int = 2_000, min_qty: int = 100, books: tuple[int, ...] | None = None):
        if not 0.0 < fraction <= 1.0:
            raise ValueError(f"The 'fraction' parameter of RiskReducer must be in (0, 1]. Got {fraction!r} instead.")
        if slices < 1 or max_child < 1:
            raise ValueError(f"The 'slices' and 'max_child' parameters of RiskReducer must be positive. "
                             f"Got {slices!r}, {max_child!r} instead.")
        self.fraction, self.slices, self.start_s, self.end_s = fraction, slices, start_s, end_s
        self.vwap, self.max_child, self.min_qty, self.books = vwap, max_child, min_qty, books

    def on_open(self, view: DeskView) -> None:
        linear = view.instruments["underlying"].to_numpy() < 0 if "underlying" in view.instruments else \
            np.ones(len(view.symbols), bool)
        books = range(view.n_books) if self.books is None else self.books
        for b in books:
            for i in np.flatnonzero(linear & (np.abs(view.pos[b]) >= self.min_qty)):
                q = -int(round(self.fraction * view.pos[b, i]))
                ts, sizes = schedule(view, q, slices=self.slices, start_s=self.start_s, end_s=self.end_s,
                                     vwap=self.vwap, max_child=self.max_child)
                for t, s in zip(ts.tolist(), sizes.tolist(), strict=True):
                    view.send(instrument=int(i), side=1 if q > 0 else -1, qty=s, ts=t, book=b)


class DeltaHedger(Strategy):
    """Re-hedge each book's delta per underlying when it leaves a band, with the underlying.

    At each open, a book's delta in each underlying (its stock position plus its options'
    quantity x multiplier x Black-Scholes delta, :meth:`DeskView.delta`) is compared with
    ``band``; outside it, the hedger trades the underlying back to ``target`` (0: flat) with
    market orders spread over a short window (``slices`` over ``window_s`` seconds from
    ``start_s`` after the open).

    Parameters
    ----------
    band : float, default=500.0
        Re-hedge when ``|delta| > band`` (units of the underlying).
    books : tuple of int, optional
        The options books to hedge (all by default).
    only_with_options : bool, default=True
        Hedge only underlyings on which the book holds options.
    slices, start_s, window_s, max_child
        The hedge's schedule (see :func:`schedule`).
    """

    def __init__(self, *, band: float = 500.0, books: tuple[int, ...] | None = None, only_with_options: bool = True,
                 slices: int = 4, start_s: float = 60.0, window_s: float = 1_800.0, max_child: int = 2_000):
        if not band >= 0:
            raise ValueError(f"The 'band' parameter of DeltaHedger must be non-negative. Got {band!r} instead.")
        self.band, self.books, self.only_with_options = float(band), books, only_with_options
        self.slices, self.start_s, self.window_s, self.max_child = slices, start_s, window_s, max_child
        self.hedges: list[tuple] = []  # (day, book, instrument, delta before, qty sent)

    def on_open(self, view: DeskView) -> None:
        delta = view.delta()
        und = view.instruments["underlying"].to_numpy() if "underlying" in view.instruments else \
            -np.ones(len(view.symbols), np.int64)
        books = range(view.n_books) if self.books is None else self.books
        end_s = max((view.close_ts - view.open_ts) / 1e9 - self.start_s - self.window_s, 0.0)
        for b in books:
            for u in np.flatnonzero(und < 0):
                if self.only_with_options and not np.any((und == u) & (view.pos[b] != 0)):
                    continue
                d = delta[b, u]
                if abs(d) <= self.band:
                    continue
                q = -int(round(d))
                ts, sizes = schedule(view, q, slices=self.slices, start_s=self.start_s, end_s=end_s,
                                     max_child=self.max_child)
                for t, s in zip(ts.tolist(), sizes.tolist(), strict=True):
                    view.send(instrument=int(u), side=1 if q > 0 else -1, qty=s, ts=t, book=b)
                self.hedges.append((view.day, b, int(u), float(d), q))
