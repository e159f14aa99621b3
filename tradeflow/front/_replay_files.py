"""Reading and validating recorded market data for the replay venue (:mod:`tradeflow.front.replay`).

- **LOBSTER** (:func:`read_lobster`): a message file (time in seconds after midnight, event
  type 1-7, order id, size, price x 10,000, direction) and optionally its order-book file
  (ask price, ask size, bid price, bid size for each of L levels, one row after each message).
- **Top of book** (:func:`read_top_of_book`): quotes (``ts, symbol, bid, ask, bid_size,
  ask_size``) and optionally trades (``ts, symbol, price, size, side``, ``side`` the
  aggressor: +1/-1 or ``"B"``/``"S"``), from DataFrames, CSV or Parquet files.

The files are data: they are parsed with pandas/pyarrow readers, never evaluated or
unpickled, and every field is checked with a ``ValueError`` naming the file, row and value
(unsorted times, unknown event types, bad directions, non-positive sizes or prices, crossed
books, missing columns). Both readers return a :class:`ReplayData` of one
:class:`ReplayStream` per symbol.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tradeflow.front import _replay_kernels as _k

__all__ = ["LOBSTER_COLUMNS", "PRICE_SCALE", "ReplayData", "ReplayStream", "read_lobster", "read_top_of_book"]

PRICE_SCALE = 10_000  # prices are int64 in units of 1/10,000 of the currency, as LOBSTER's
LOBSTER_COLUMNS = ("time", "type", "order_id", "size", "price", "direction")
LOBSTER_EMPTY_ASK = 9_999_999_999  # LOBSTER's dummy prices of an empty level
LOBSTER_EMPTY_BID = -9_999_999_999
QUOTE_COLUMNS = ("ts", "symbol", "bid", "ask", "bid_size", "ask_size")
TRADE_COLUMNS = ("ts", "symbol", "price", "size", "side")
_LOBSTER_KIND = np.array([_k.R_NONE, _k.R_ADD, _k.R_REDUCE, _k.R_REDUCE, _k.R_EXEC, _k.R_TRADE, _k.R_NONE,
                          _k.R_NONE], np.int8)  # by LOBSTER event type 0..7 (0 unused)


@dataclass(frozen=True, slots=True)
class ReplayStream:
    """One symbol's recorded events in replay form (what :func:`replay` runs).

    Attributes
    ----------
    symbol : str
    ts : int64 ndarray, ns since the epoch (UTC), sorted
    kind : int8 ndarray, the ``R_*`` kinds of :mod:`tradeflow.front.nb`
    side : int8 ndarray, the side of the resting liquidity (+1 bid, -1 ask)
    price : int64 ndarray, in units of 1 / ``PRICE_SCALE``
    qty : int64 ndarray
    tick : int, the price grid's step in units of 1 / ``PRICE_SCALE``
    init_price, init_qty, init_side : the book before the first event (empty by default)
    strict : bool, a message removing more than its level shows is an error (else clamped at 0)
    orderbook : int64 ndarray of shape (n_events, 4 L) or None, the recorded book after each event
    """

    symbol: str
    ts: np.ndarray
    kind: np.ndarray
    side: np.ndarray
    price: np.ndarray
    qty: np.ndarray
    tick: int
    init_price: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    init_qty: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    init_side: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    strict: bool = True
    orderbook: np.ndarray | None = None

    @property
    def n_events(self) -> int:
        return int(self.ts.shape[0])


@dataclass(frozen=True, slots=True)
class ReplayData:
    """Recorded data of one or more symbols; an order's ``instrument`` indexes ``symbols``."""

    streams: tuple[ReplayStream, ...]

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(s.symbol for s in self.streams)

    @property
    def n_events(self) -> int:
        return sum(s.n_events for s in self.streams)




def _read_table(src, what: str, columns: tuple[str, ...], header: bool) -> pd.DataFrame:
    if isinstance(src, pd.DataFrame):
        return src
    if isinstance(src, np.ndarray):
        if src.ndim != 2:
            raise ValueError(f"The {what} array must be 2-D. Got shape {src.shape} instead.")
        return pd.DataFrame(src)
    if isinstance(src, str | os.PathLike):
        path = os.fspath(src)
        if not os.path.exists(path):
            raise ValueError(f"The {what} file {path!r} does not exist.")
        if path.endswith((".parquet", ".pq")):
            return pd.read_parquet(path)
        return pd.read_csv(path, header=0 if header else None)
    raise TypeError(f"The {what} must be a DataFrame, a 2-D ndarray or a path to a CSV/Parquet file. "
                    f"Got {type(src).__name__} instead.")


def _numeric(df: pd.DataFrame, col, what: str, name: str) -> np.ndarray:
    try:
        v = pd.to_numeric(df[col], errors="raise").to_numpy(np.float64)
    except (ValueError, TypeError):
        bad = pd.to_numeric(df[col], errors="coerce").isna() & df[col].notna()
        row = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
        raise ValueError(f"The {what}'s column {name!r} must be numeric. Got {df[col].iloc[row]!r} at row {row} "
                         f"instead.") from None
    bad = ~np.isfinite(v)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"The {what}'s column {name!r} must be finite. Got {v[row]!r} at row {row} instead.")
    return v


def _integral(v: np.ndarray, what: str, name: str) -> np.ndarray:
    bad = v != np.rint(v)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"The {what}'s column {name!r} must hold integers. Got {v[row]!r} at row {row} instead.")
    return v.astype(np.int64)


def _check_sorted(ts: np.ndarray, what: str, name: str, shown: np.ndarray | None = None) -> None:
    bad = np.flatnonzero(np.diff(ts) < 0)
    if bad.size:
        row = int(bad[0]) + 1
        s = shown if shown is not None else ts
        raise ValueError(f"The {what}'s {name!r} must be sorted (non-decreasing). Row {row} has {s[row]!r} after "
                         f"{s[row - 1]!r}.")


def _midnight_ns(date, tz: str) -> int:
    if date is None:
        return 0
    try:
        return int(pd.Timestamp(date).tz_localize(tz).value) if pd.Timestamp(date).tzinfo is None \
            else int(pd.Timestamp(date).normalize().value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"The 'date' parameter of read_lobster must be a date. Got {date!r} instead.") from exc


def _tick_of(prices: np.ndarray, tick: float | None, what: str) -> int:
    if tick is not None:
        t = int(round(float(tick) * PRICE_SCALE))
        if not np.isfinite(tick) or t <= 0:
            raise ValueError(f"The 'tick' parameter of {what} must be a positive price of at least "
                             f"1/{PRICE_SCALE}. Got {tick!r} instead.")
        off = prices % t != 0
        if off.any():
            raise ValueError(f"The {what}'s prices must lie on the tick grid {tick}. Got {prices[off][0] / PRICE_SCALE}"
                             f" instead.")
        return t
    if prices.size == 0:
        return 100
    g = int(np.gcd.reduce(prices - prices.min()))
    return g if g > 0 else 100


def read_lobster(messages, orderbook=None, *, symbol: str = "LOBSTER", date=None, tz: str = "America/New_York",
                 tick: float | None = None, strict: bool | None = None) -> ReplayData:
    """Read and validate a LOBSTER message file (and its order-book file) for :func:`replay`.

    Parameters
    ----------
    messages : path, DataFrame or ndarray
        Six columns, no header in a CSV: ``time`` (seconds after midnight), ``type`` (1 new
        limit order, 2 partial cancel, 3 deletion, 4 execution of a visible order, 5 execution
        of a hidden order, 6 cross trade, 7 trading halt), ``order_id``, ``size``, ``price``
        (x 10,000) and ``direction`` (1 buy, -1 sell: the side of the resting order).
        A DataFrame may name them as :data:`LOBSTER_COLUMNS`.
    orderbook : path, DataFrame or ndarray, optional
        The order-book file: ``4 L`` columns (ask price, ask size, bid price, bid size per
        level), one row per message, the book *after* it. Its first row, with the first
        message undone, is the book the replay starts from; every row is checked for
        crossed sides.
    symbol : str, default="LOBSTER"
    date : date-like, optional
        The trading day: times become ns since the epoch at midnight of ``date`` in ``tz``
        (without it, ns after midnight).
    tz : str, default="America/New_York"
        LOBSTER records NASDAQ in New York time.
    tick : float, optional
        The price grid's step in currency; by default the largest step all prices lie on.
    strict : bool, optional
        Whether a message removing more than its level shows is an error. Default: true without an
        order-book file (the book then starts empty and must explain every message), false
        with one (liquidity beyond its L levels was never shown).

    Returns
    -------
    ReplayData
    """
    what = "LOBSTER message file"
    df = _read_table(messages, what, LOBSTER_COLUMNS, header=False)
    if all(c in df.columns for c in LOBSTER_COLUMNS):
        df = df[list(LOBSTER_COLUMNS)]
    elif df.shape[1] != 6:
        raise ValueError(f"The {what} must have the 6 columns {', '.join(LOBSTER_COLUMNS)}. "
                         f"Got {df.shape[1]} columns instead.")
    cols = list(df.columns)
    time = _numeric(df, cols[0], what, "time")
    typ = _integral(_numeric(df, cols[1], what, "type"), what, "type")
    _integral(_numeric(df, cols[2], what, "order_id"), what, "order_id")  # checked, not used
    size = _integral(_numeric(df, cols[3], what, "size"), what, "size")
    price = _integral(_numeric(df, cols[4], what, "price"), what, "price")
    direction = _integral(_numeric(df, cols[5], what, "direction"), what, "direction")
    n = time.shape[0]
    bad = (time < 0) | (time >= 86_400 * 2)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise ValueError(f"The {what}'s 'time' must be seconds after midnight. Got {time[r]!r} at row {r} instead.")
    _check_sorted(time, what, "time")
    bad = (typ < 1) | (typ > 7)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise ValueError(f"The {what}'s 'type' must be an event type 1-7. Got {typ[r]} at row {r} instead.")
    book_ev = typ <= 5
    bad = ~np.isin(direction, (-1, 1)) & (typ != 7)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise ValueError(f"The {what}'s 'direction' must be 1 (buy) or -1 (sell). Got {direction[r]} at row {r} "
                         f"instead.")
    bad = book_ev & (size <= 0)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise ValueError(f"The {what}'s 'size' must be positive. Got {size[r]} at row {r} instead.")
    bad = book_ev & (price <= 0)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise ValueError(f"The {what}'s 'price' must be positive. Got {price[r]} at row {r} instead.")

    book = None
    init_p = np.zeros(0, np.int64)
    init_q = np.zeros(0, np.int64)
    init_s = np.zeros(0, np.int8)
    if orderbook is not None:
        bwhat = "LOBSTER order-book file"
        bdf = _read_table(orderbook, bwhat, (), header=False)
        if bdf.shape[1] == 0 or bdf.shape[1] % 4:
            raise ValueError(f"The {bwhat} must have 4 columns per level (ask price, ask size, bid price, bid size). "
                             f"Got {bdf.shape[1]} columns instead.")
        if bdf.shape[0] != n:
            raise ValueError(f"The {bwhat} must have one row per message ({n}). Got {bdf.shape[0]} rows instead.")
        book = np.column_stack([_integral(_numeric(bdf, c, bwhat, f"column {j}"), bwhat, f"column {j}")
                                for j, c in enumerate(bdf.columns)]) if n else np.zeros((0, bdf.shape[1]), np.int64)
        ap, aq, bp, bq = book[:, 0::4], book[:, 1::4], book[:, 2::4], book[:, 3::4]
        a_live = (ap != LOBSTER_EMPTY_ASK) & (aq > 0)
        b_live = (bp != LOBSTER_EMPTY_BID) & (bq > 0)
        for name, q in (("sizes", np.concatenate([aq, bq], axis=1)),):
            if (q < 0).any():
                r = int(np.flatnonzero((q < 0).any(axis=1))[0])
                raise ValueError(f"The {bwhat}'s {name} must be non-negative. Row {r} has a negative size.")
        crossed = a_live[:, 0] & b_live[:, 0] & (ap[:, 0] <= bp[:, 0])
        if crossed.any():
            r = int(np.flatnonzero(crossed)[0])
            raise ValueError(f"The {bwhat} holds a crossed book at row {r}: best bid {bp[r, 0] / PRICE_SCALE} >= "
                             f"best ask {ap[r, 0] / PRICE_SCALE}.")
        # the book before the first message: row 0 with message 0 undone
        if n:
            prices = np.concatenate([ap[0][a_live[0]], bp[0][b_live[0]]])
            qtys = np.concatenate([aq[0][a_live[0]], bq[0][b_live[0]]])
            sides = np.concatenate([np.full(int(a_live[0].sum()), -1, np.int8), np.ones(int(b_live[0].sum()), np.int8)])
            if typ[0] <= 4:
                undo = -size[0] if typ[0] == 1 else size[0]
                hit = (prices == price[0]) & (sides == direction[0])
                if hit.any():
                    qtys[hit] += undo
                else:
                    prices, qtys = np.append(prices, price[0]), np.append(qtys, undo)
                    sides = np.append(sides, np.int8(direction[0]))
            keep = qtys > 0
            init_p, init_q, init_s = prices[keep].astype(np.int64), qtys[keep].astype(np.int64), sides[keep]
        if strict is None:
            strict = False
    if strict is None:
        strict = True
    all_prices = np.concatenate([price[book_ev], init_p])
    if book is not None:
        live = np.concatenate([book[:, 0::4][(book[:, 0::4] != LOBSTER_EMPTY_ASK) & (book[:, 1::4] > 0)],
                               book[:, 2::4][(book[:, 2::4] != LOBSTER_EMPTY_BID) & (book[:, 3::4] > 0)]])
        all_prices = np.concatenate([all_prices, live])
    t = _tick_of(all_prices, tick, what)
    ts = _midnight_ns(date, tz) + np.rint(time * 1e9).astype(np.int64)
    kind = _LOBSTER_KIND[typ]
    return ReplayData(streams=(ReplayStream(symbol=str(symbol), ts=ts, kind=kind, side=direction.astype(np.int8),
                                            price=np.where(book_ev, price, 0).astype(np.int64),
                                            qty=np.where(typ <= 6, size, 0).astype(np.int64), tick=t,
                                            init_price=init_p, init_qty=init_q, init_side=init_s,
                                            strict=bool(strict), orderbook=book),))


def _timestamps(df: pd.DataFrame, what: str) -> np.ndarray:
    v = df["ts"]
    if pd.api.types.is_datetime64_any_dtype(v):
        if getattr(v.dt, "tz", None) is None:
            v = v.dt.tz_localize("UTC")
        out = v.dt.tz_convert("UTC").astype("datetime64[ns, UTC]").astype(np.int64).to_numpy()
        if v.isna().any():
            r = int(np.flatnonzero(v.isna().to_numpy())[0])
            raise ValueError(f"The {what}'s 'ts' must be timestamps. Got NaT at row {r} instead.")
        return out
    if pd.api.types.is_integer_dtype(v):
        return v.to_numpy(np.int64)
    try:
        return pd.to_datetime(v, utc=True).astype("datetime64[ns, UTC]").astype(np.int64).to_numpy()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"The {what}'s 'ts' must be timestamps or int64 ns. Got {v.iloc[0]!r} instead.") from exc


def _require(df: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"The {what} is missing the column(s) {', '.join(map(repr, missing))}; it needs "
                         f"{', '.join(columns)}. Got columns {list(map(str, df.columns))} instead.")


def read_top_of_book(quotes, trades=None, *, tick: float | dict[str, float] | None = None) -> ReplayData:
    """Read and validate recorded top-of-book quotes (and trades) for :func:`replay`.

    Parameters
    ----------
    quotes : path (CSV with a header, or Parquet) or DataFrame
        Columns ``ts`` (datetime, UTC if naive, or int64 ns), ``symbol``, ``bid``, ``ask``
        (NaN: that side is empty), ``bid_size``, ``ask_size``; sorted by ``ts``. Each row is
        the new top of that symbol's book: the replay shows its bid and ask levels only (a
        level the quote leaves is emptied).
    trades : path or DataFrame, optional
        Columns ``ts``, ``symbol``, ``price``, ``size``, ``side`` (the aggressor: 1/-1 or
        B/S/BUY/SELL); sorted by ``ts``. A trade print moves the queue of our orders resting
        at its price; at one time, trades come before quotes.
    tick : float or dict symbol -> float, optional
        The price grid's step; by default the largest step each symbol's prices lie on.

    Returns
    -------
    ReplayData
        Symbols in the order they first appear in ``quotes``.
    """
    qwhat = "top-of-book quotes"
    q = _read_table(quotes, qwhat, QUOTE_COLUMNS, header=True)
    _require(q, QUOTE_COLUMNS, qwhat)
    q_ts = _timestamps(q, qwhat)
    _check_sorted(q_ts, qwhat, "ts")
    bid = pd.to_numeric(q["bid"], errors="coerce").to_numpy(np.float64)
    ask = pd.to_numeric(q["ask"], errors="coerce").to_numpy(np.float64)
    for name, v in (("bid", bid), ("ask", ask)):
        bad = ~np.isnan(v) & (~np.isfinite(v) | (v <= 0))
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise ValueError(f"The {qwhat}' {name!r} must be a positive price or NaN. Got {v[r]!r} at row {r} "
                             f"instead.")
    bsz = _integral(_numeric(q, "bid_size", qwhat, "bid_size"), qwhat, "bid_size")
    asz = _integral(_numeric(q, "ask_size", qwhat, "ask_size"), qwhat, "ask_size")
    for name, v in (("bid_size", bsz), ("ask_size", asz)):
        if (v < 0).any():
            r = int(np.flatnonzero(v < 0)[0])
            raise ValueError(f"The {qwhat}' {name!r} must be non-negative. Got {v[r]} at row {r} instead.")
    crossed = (bid >= ask) & ~np.isnan(bid) & ~np.isnan(ask)
    if crossed.any():
        r = int(np.flatnonzero(crossed)[0])
        raise ValueError(f"The {qwhat} hold a crossed book at row {r}: bid {bid[r]} >= ask {ask[r]}.")
    sym = q["symbol"].astype(str).to_numpy()
    t_ts = np.zeros(0, np.int64)
    t_sym = np.zeros(0, object)
    t_px = np.zeros(0)
    t_sz = np.zeros(0, np.int64)
    t_side = np.zeros(0, np.int8)
    if trades is not None:
        twhat = "trades"
        tr = _read_table(trades, twhat, TRADE_COLUMNS, header=True)
        _require(tr, TRADE_COLUMNS, twhat)
        t_ts = _timestamps(tr, twhat)
        _check_sorted(t_ts, twhat, "ts")
        t_px = _numeric(tr, "price", twhat, "price")
        if (t_px <= 0).any():
            r = int(np.flatnonzero(t_px <= 0)[0])
            raise ValueError(f"The trades' 'price' must be positive. Got {t_px[r]} at row {r} instead.")
        t_sz = _integral(_numeric(tr, "size", twhat, "size"), twhat, "size")
        if (t_sz <= 0).any():
            r = int(np.flatnonzero(t_sz <= 0)[0])
            raise ValueError(f"The trades' 'size' must be positive. Got {t_sz[r]} at row {r} instead.")
        side_map = {"1": 1, "-1": -1, "B": 1, "S": -1, "BUY": 1, "SELL": -1, "1.0": 1, "-1.0": -1}
        raw = tr["side"].astype(str).str.upper().str.strip()
        t_side = raw.map(side_map)
        if t_side.isna().any():
            r = int(np.flatnonzero(t_side.isna().to_numpy())[0])
            raise ValueError(f"The trades' 'side' (the aggressor) must be 1/-1 or B/S. Got {tr['side'].iloc[r]!r} at "
                             f"row {r} instead.")
        t_side = t_side.to_numpy(np.int8)
        t_sym = tr["symbol"].astype(str).to_numpy()
    symbols = list(dict.fromkeys(sym.tolist()))
    unknown = sorted(set(t_sym.tolist()) - set(symbols))
    if unknown:
        raise ValueError(f"The trades name symbol(s) {unknown} that have no quotes.")
    streams = []
    for s in symbols:
        m = sym == s
        ts = q_ts[m]
        b = np.where(np.isnan(bid[m]), -1, np.rint(np.nan_to_num(bid[m]) * PRICE_SCALE)).astype(np.int64)
        a = np.where(np.isnan(ask[m]), -1, np.rint(np.nan_to_num(ask[m]) * PRICE_SCALE)).astype(np.int64)
        tm = t_sym == s
        tp = np.rint(t_px[tm] * PRICE_SCALE).astype(np.int64)
        prices = np.concatenate([b[b > 0], a[a > 0], tp])
        tk = tick.get(s) if isinstance(tick, dict) else tick
        step = _tick_of(prices, tk, f"quotes of {s}")
        nq = ts.shape[0]
        pb = np.concatenate([[-1], b[:-1]])
        pa = np.concatenate([[-1], a[:-1]])
        # per quote row: hide the old bid, hide the old ask, set the new bid, set the new ask
        ev_ts = np.repeat(ts, 4)
        ev_side = np.tile(np.array([1, -1, 1, -1], np.int8), nq)
        ev_price = np.column_stack([pb, pa, b, a]).ravel()
        ev_qty = np.column_stack([np.zeros(nq, np.int64), np.zeros(nq, np.int64), bsz[m], asz[m]]).ravel()
        keep = np.column_stack([(pb > 0) & (pb != b), (pa > 0) & (pa != a), b > 0, a > 0]).ravel()
        ev_ts, ev_side, ev_price, ev_qty = ev_ts[keep], ev_side[keep], ev_price[keep], ev_qty[keep]
        ev_kind = np.tile(np.array([_k.R_HIDE, _k.R_HIDE, _k.R_SET, _k.R_SET], np.int8), nq)[keep]
        # trades first at a time: a stable sort of [trades, quotes]
        all_ts = np.concatenate([t_ts[tm], ev_ts])
        order = np.argsort(all_ts, kind="stable")
        streams.append(ReplayStream(
            symbol=s, ts=all_ts[order],
            kind=np.concatenate([np.full(int(tm.sum()), _k.R_TRADE, np.int8), ev_kind])[order],
            side=np.concatenate([-t_side[tm], ev_side]).astype(np.int8)[order],
            price=np.concatenate([tp, ev_price])[order], qty=np.concatenate([t_sz[tm], ev_qty])[order], tick=step,
            strict=False))
    return ReplayData(streams=tuple(streams))


# ----------------------------------------------------------------------------------- replaying
