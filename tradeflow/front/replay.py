"""Market-data replay: recorded quotes, trades and order-book messages drive the venue.

Two recorded formats are read, validated and turned into one replay stream per symbol:

- **LOBSTER** (:func:`read_lobster`): a message file (time in seconds after midnight, event
  type 1-7, order id, size, price x 10,000, direction) and optionally its order-book file
  (ask price, ask size, bid price, bid size for each of L levels, one row after each message).
- **Top of book** (:func:`read_top_of_book`): quotes (``ts, symbol, bid, ask, bid_size,
  ask_size``) and optionally trades (``ts, symbol, price, size, side``, ``side`` the
  aggressor: +1/-1 or ``"B"``/``"S"``), from DataFrames, CSV or Parquet files.

:func:`replay` then runs the recorded book with the desk's and clients' orders
(``ORDER_DT`` records) and returns their executions, the top of book on a grid and, for
checking, the book after every message in the LOBSTER order-book layout.

The files are data: they are parsed with pandas/pyarrow readers, never evaluated or
unpickled, and every field is checked with a ``ValueError`` naming the file, row and value
(unsorted times, unknown event types, bad directions, non-positive sizes or prices, crossed
books, missing columns).

Queue-position model
--------------------
The recorded book is exogenous: our orders never change it (no market impact). An order
that crosses the book when it arrives takes the displayed quantity level by level up to its
limit (IOC, FOK and market remainders are cancelled). A day limit order's remainder rests at
its limit level with ``front`` = the displayed quantity there (it joins the back of the
queue) and then, as in hftbacktest (``RiskAdverseQueueModel`` and ``ProbQueueModel``):

- a recorded execution or trade print of ``q`` at its level and side: ``front -= q``;
- a change of the level's displayed quantity from ``prev`` to ``new``:
  - ``queue_model="risk_averse"``: ``front = min(front, new)`` (cancels are all behind us);
  - ``queue_model="prob"``: the decrease not explained by trades, ``chg``, is split between
    the queue ahead and behind with probability ``p = back**n / (back**n + front**n)``
    (``back = prev - front``, ``n = queue_power``) of falling behind:
    ``front = min(front - (1 - p) * chg + min(back - p * chg, 0), new)``;
- when ``round(front) < 0`` the order fills ``floor(-front)`` (at most what it has left) as
  maker at its price, and ``front = 0``;
- a recorded execution or trade on its side at a price worse than its limit (the aggressor
  went through it) fills ``min(q, leaves)``; new opposite liquidity at or through its price
  (an add, or a top-of-book quote) fills ``min(size, leaves)``.

Ties: recorded events at a time come before orders arriving at that time, and cancels last.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tradeflow.front import _replay_kernels as _k
from tradeflow.schema import EXECUTION_DT, QUOTE_DT, OrderType, TimeInForce

__all__ = ["LOBSTER_COLUMNS", "PRICE_SCALE", "ReplayData", "ReplayOutcome", "ReplayStream", "read_lobster",
           "read_top_of_book", "replay", "replay_mids", "replay_venue"]

PRICE_SCALE = 10_000  # prices are int64 in units of 1/10,000 of the currency, as LOBSTER's
LOBSTER_COLUMNS = ("time", "type", "order_id", "size", "price", "direction")
LOBSTER_EMPTY_ASK = 9_999_999_999  # LOBSTER's dummy prices of an empty level
LOBSTER_EMPTY_BID = -9_999_999_999
QUOTE_COLUMNS = ("ts", "symbol", "bid", "ask", "bid_size", "ask_size")
TRADE_COLUMNS = ("ts", "symbol", "price", "size", "side")
_MAX_LEVELS = 50_000_000
_QUEUE_MODELS = {"risk_averse": _k.Q_RISK_AVERSE, "prob": _k.Q_PROB}
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


@dataclass(frozen=True, slots=True)
class ReplayOutcome:
    """What a replay produced.

    Attributes
    ----------
    executions : EXECUTION_DT records sorted by (ts, order_id)
    quotes : QUOTE_DT records on the grid (empty without a grid): top of each book at each
        grid time (events at that time included) and the volume traded until the next
    orderbooks : dict symbol -> int64 ndarray of shape (n_events, 4 L) (with ``snapshot_levels=L``)
        The book after every event in the LOBSTER order-book layout (prices x 10,000, empty
        levels as LOBSTER's dummy prices with size 0).
    n_events : int
    n_clamped : int
        Removals of liquidity the replay had not seen (set to zero instead; 0 in strict mode).
    """

    executions: np.ndarray
    quotes: np.ndarray
    orderbooks: dict[str, np.ndarray]
    n_events: int
    n_clamped: int


# ----------------------------------------------------------------------------------- reading


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
    oid = _integral(_numeric(df, cols[2], what, "order_id"), what, "order_id")
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


def replay(data: ReplayData, orders: np.ndarray | None = None, *, queue_model: str = "risk_averse",
           queue_power: float = 2.0, latency_ns: int = 0, grid: np.ndarray | None = None, snapshot_levels: int = 0,
           taker_fee_bps: float = 0.0, maker_fee_bps: float = 0.0) -> ReplayOutcome:
    """Replay recorded books with the desk's orders.

    Parameters
    ----------
    data : ReplayData
        From :func:`read_lobster` or :func:`read_top_of_book`.
    orders : ORDER_DT records, optional
        ``instrument`` indexes ``data.symbols``; used: ``order_id, ts, ts_cancel, instrument,
        side, order_type, tif, qty, limit_price``. Each reaches the venue ``latency_ns`` after
        ``ts`` (its cancel ``latency_ns`` after ``ts_cancel``).
    queue_model : {"risk_averse", "prob"}, default="risk_averse"
        How a resting order's place in its queue moves (see the module's documentation).
    queue_power : float, default=2.0
        ``n`` of the probabilistic model's ``x ** n``.
    latency_ns : int, default=0
    grid : int64 ndarray, optional
        Times (ns) at which to record the top of each book (``ReplayOutcome.quotes``).
    snapshot_levels : int, default=0
        With L > 0, record the top L levels after every event (``ReplayOutcome.orderbooks``).
    taker_fee_bps, maker_fee_bps : float, default=0.0
        Fees on the executions' notional (not rounded).

    Returns
    -------
    ReplayOutcome
    """
    from tradeflow.schema import ORDER_DT

    if not isinstance(data, ReplayData):
        raise TypeError(f"The 'data' parameter of replay must be a ReplayData (read_lobster, read_top_of_book). "
                        f"Got {type(data).__name__} instead.")
    if queue_model not in _QUEUE_MODELS:
        raise ValueError(f"The 'queue_model' parameter of replay must be one of {sorted(_QUEUE_MODELS)}. "
                         f"Got {queue_model!r} instead.")
    if not np.isfinite(queue_power) or queue_power <= 0:
        raise ValueError(f"The 'queue_power' parameter of replay must be a positive float. Got {queue_power!r} "
                         f"instead.")
    if isinstance(latency_ns, bool) or not isinstance(latency_ns, int | np.integer) or latency_ns < 0:
        raise ValueError(f"The 'latency_ns' parameter of replay must be a non-negative int. Got {latency_ns!r} "
                         f"instead.")
    if isinstance(snapshot_levels, bool) or not isinstance(snapshot_levels, int | np.integer) or snapshot_levels < 0:
        raise ValueError(f"The 'snapshot_levels' parameter of replay must be a non-negative int. "
                         f"Got {snapshot_levels!r} instead.")
    if orders is None:
        orders = np.zeros(0, ORDER_DT)
    if not isinstance(orders, np.ndarray) or orders.dtype != ORDER_DT:
        raise TypeError("The 'orders' parameter of replay must be ORDER_DT records.")
    n_sym = len(data.streams)
    if orders.size:
        bad = (orders["instrument"] < 0) | (orders["instrument"] >= n_sym)
        if bad.any():
            raise ValueError(f"The orders' 'instrument' must index the replayed symbols (0..{n_sym - 1}). "
                             f"Got {int(orders['instrument'][bad][0])} instead.")
        lim = orders["order_type"] == OrderType.LIMIT
        if (lim & ~np.isfinite(orders["limit_price"])).any() or (orders["qty"] <= 0).any():
            raise ValueError("The orders' limit orders need a finite 'limit_price' and every order a positive 'qty'.")
    grid = np.zeros(0, np.int64) if grid is None else np.asarray(grid, np.int64)
    if np.any(np.diff(grid) < 0):
        raise ValueError("The 'grid' parameter of replay must be sorted.")
    model = _QUEUE_MODELS[queue_model]
    ex_parts, quote_parts, books = [], [], {}
    n_clamped = 0
    for i, st in enumerate(data.streams):
        mine = np.flatnonzero(orders["instrument"] == i)
        od = orders[mine]
        sent = od["ts"] + latency_ns
        sort = np.argsort(sent, kind="stable")
        od, mine, sent = od[sort], mine[sort], sent[sort]
        tick = st.tick
        buy = od["side"] > 0
        is_lim = od["order_type"] == OrderType.LIMIT
        lp = np.where(is_lim, od["limit_price"], 0.0) * PRICE_SCALE
        # a buy's limit rounds down to the grid, a sell's up (never a worse price than asked)
        o_tick = np.where(buy, np.floor(lp / tick + 1e-9), np.ceil(lp / tick - 1e-9)).astype(np.int64)
        ev_tick = st.price // tick
        known = np.concatenate([ev_tick[st.kind != _k.R_NONE], st.init_price // tick, o_tick[is_lim]])
        lo = int(known.min()) - 1 if known.size else 0
        hi = int(known.max()) + 1 if known.size else 1
        n_lv = hi - lo + 1
        if n_lv > _MAX_LEVELS:
            raise ValueError(f"The replay of {st.symbol} spans {n_lv} price levels (more than {_MAX_LEVELS}): "
                             f"a limit price or a recorded price is far off the others.")
        bid_qty = np.zeros(n_lv, np.int64)
        ask_qty = np.zeros(n_lv, np.int64)
        il = st.init_price // tick - lo
        np.add.at(bid_qty, il[st.init_side > 0], st.init_qty[st.init_side > 0])
        np.add.at(ask_qty, il[st.init_side < 0], st.init_qty[st.init_side < 0])
        ev_lvl = np.where(st.kind != _k.R_NONE, ev_tick - lo, 0).astype(np.int64)
        o_kind = np.where(~is_lim, _k.RK_MARKET,
                          np.where(od["tif"] == TimeInForce.IOC, _k.RK_IOC,
                                   np.where(od["tif"] == TimeInForce.FOK, _k.RK_FOK, _k.RK_LIMIT))).astype(np.int64)
        o_cancel = np.where(od["ts_cancel"] >= 0, np.maximum(od["ts_cancel"] + latency_ns, sent),
                            np.iinfo(np.int64).max)
        o_cancel = np.where(o_kind == _k.RK_LIMIT, o_cancel, sent)
        n_o = od.shape[0]
        cap = 4 * n_o + 16
        L = int(snapshot_levels)
        snap = np.zeros((st.n_events if L else 0, 4 * L), np.int64)
        ng = grid.shape[0]
        g = [np.zeros(ng, np.int64) for _ in range(6)]
        while True:
            x = [np.zeros(cap, np.int64) for _ in range(4)] + [np.zeros(cap, np.int8)]
            am = np.full(n_o, -1, np.int64)
            status, nx, bad_row, ncl = _k.replay_nb(
                st.ts, st.kind, st.side.astype(np.int8), ev_lvl, st.qty, bid_qty.copy(), ask_qty.copy(),
                np.array([n_lv - 1, 0], np.int64), sent.astype(np.int64), o_cancel.astype(np.int64),
                od["side"].astype(np.int64), np.where(is_lim, o_tick - lo, 0).astype(np.int64),
                od["qty"].astype(np.int64), o_kind, model, float(queue_power), bool(st.strict), *x, am, L, snap,
                grid, *g)
            if status != _k.REPLAY_EXEC_OVERFLOW:
                break
            cap *= 4
        if status == _k.REPLAY_NEGATIVE_LEVEL:
            raise ValueError(f"The recorded events of {st.symbol} remove more than the book shows at event row "
                             f"{bad_row} (price {st.price[bad_row] / PRICE_SCALE}, side {int(st.side[bad_row])}, "
                             f"size {int(st.qty[bad_row])}): the messages do not explain the book.")
        n_clamped += int(ncl)
        x_row, x_ts, x_qty, x_lvl, x_liq = (a[:nx] for a in x)
        ex = np.zeros(nx, EXECUTION_DT)
        ex["order_id"] = od["order_id"][x_row]
        ex["ts"] = x_ts
        ex["qty"] = x_qty
        px = (x_lvl + lo) * tick / PRICE_SCALE
        ex["price"] = px
        ex["liquidity"] = x_liq
        ex["fee"] = x_qty * px * np.where(x_liq == _k.LIQ_TAKER, taker_fee_bps, maker_fee_bps) * 1e-4
        ex["arrival_mid"] = np.where(am[x_row] >= 0, (am[x_row] / 2.0 + lo) * tick / PRICE_SCALE, np.nan)
        ex_parts.append(ex)
        if ng:
            gb, ga, gbq, gaq, gv, gt = g
            qt = np.zeros(ng, QUOTE_DT)
            qt["ts"] = grid
            qt["instrument"] = i
            qt["bid"] = np.where(gb >= 0, (gb + lo) * tick / PRICE_SCALE, np.nan)
            qt["ask"] = np.where(ga >= 0, (ga + lo) * tick / PRICE_SCALE, np.nan)
            qt["bid_qty"] = gbq
            qt["ask_qty"] = gaq
            traded = (st.kind == _k.R_EXEC) | (st.kind == _k.R_TRADE)
            qt["volume"] = np.diff(gv, append=int(st.qty[traded].sum()))
            qt["n_trades"] = np.diff(gt, append=int(traded.sum()))
            quote_parts.append(qt)
        if L:
            out = snap.copy()
            for k in range(L):
                for col, empty in ((4 * k, LOBSTER_EMPTY_ASK), (4 * k + 2, LOBSTER_EMPTY_BID)):
                    lvl = snap[:, col]
                    out[:, col] = np.where(lvl >= 0, (lvl + lo) * tick, empty)
            books[st.symbol] = out
    ex = np.concatenate(ex_parts) if ex_parts else np.zeros(0, EXECUTION_DT)
    ex = ex[np.lexsort((ex["order_id"], ex["ts"]))]
    quotes = np.concatenate(quote_parts) if quote_parts else np.zeros(0, QUOTE_DT)
    if quotes.size:
        quotes = quotes[np.lexsort((quotes["instrument"], quotes["ts"]))]
    return ReplayOutcome(executions=ex, quotes=quotes, orderbooks=books, n_events=data.n_events,
                         n_clamped=n_clamped)


def replay_venue(data: ReplayData, orders: np.ndarray, market, cfg, minor_scale: np.ndarray, *,
                 queue_model: str = "risk_averse", queue_power: float = 2.0) -> np.ndarray:
    """One session's executions with recorded data as the venue (what ``simulate(replay=...)`` runs).

    Orders on instruments whose symbol is in ``data.symbols`` meet the recording
    (:func:`replay`, with ``ExecutionConfig.latency_us`` as a constant latency); the others
    are filled by the quote model (:func:`tradeflow.front.execute_orders`). Fees are
    ``ExecutionConfig`` taker/maker bps of the notional (x multiplier), rounded to minor units.
    In a replay an order's fills never depend on the desk's other orders, so the middle office
    can run after the venue and discard the executions of the orders it rejects.

    Returns
    -------
    EXECUTION_DT records sorted by (ts, order_id)
    """
    from tradeflow.front.execution import execute_orders

    symbols = list(market.instruments["symbol"])
    stream_of = np.array([data.symbols.index(s) if s in data.symbols else -1 for s in symbols], np.int64)
    on = stream_of[orders["instrument"]] >= 0 if orders.size else np.zeros(0, bool)
    rest = execute_orders(orders[~on], market, cfg, minor_scale)
    mine = orders[on].copy()
    inst = mine["instrument"].astype(np.int64)
    mine["instrument"] = stream_of[inst]
    out = replay(data, mine, queue_model=queue_model, queue_power=queue_power,
                 latency_ns=int(round(cfg.latency_us * 1e3)))
    ex = out.executions
    if ex.size:
        row = np.searchsorted(mine["order_id"], ex["order_id"])
        i = inst[row]
        mult = market.instruments["multiplier"].to_numpy(np.float64)[i] if "multiplier" in market.instruments \
            else np.ones(i.size)
        bps = np.where(ex["liquidity"] == _k.LIQ_TAKER, cfg.taker_fee_bps, cfg.maker_fee_bps)
        scale = np.asarray(minor_scale, np.float64)[i]
        ex["fee"] = np.rint(ex["qty"] * ex["price"] * mult * bps * 1e-4 * scale) / scale
    allx = np.concatenate([rest, ex])
    return allx[np.lexsort((allx["order_id"], allx["ts"]))]


def replay_mids(data: ReplayData, times: np.ndarray) -> pd.DataFrame:
    """The recorded mid of every symbol at ``times`` (ns), as a DataFrame (UTC index x symbols):
    to mark the desk with the recorded prices (``simulate(prices=...)`` after merging it into a full
    price frame). NaN where a side of the book is empty."""
    times = np.asarray(times, np.int64)
    q = replay(data, grid=times).quotes
    mid = (q["bid"] + q["ask"]) / 2.0
    frame = pd.DataFrame({"ts": q["ts"], "symbol": np.asarray(data.symbols)[q["instrument"]], "mid": mid})
    out = frame.pivot(index="ts", columns="symbol", values="mid")[list(data.symbols)]
    out.index = pd.to_datetime(out.index, utc=True)
    return out
