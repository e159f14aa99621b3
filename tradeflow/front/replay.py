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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tradeflow.core.merge import time_then_id_order
from tradeflow.core.records import take_records
from tradeflow.front import _replay_kernels as _k
from tradeflow.front._replay_files import (
    LOBSTER_COLUMNS,
    LOBSTER_EMPTY_ASK,
    LOBSTER_EMPTY_BID,
    PRICE_SCALE,
    QUOTE_COLUMNS,
    TRADE_COLUMNS,
    ReplayData,
    ReplayStream,
    read_lobster,
    read_top_of_book,
)
from tradeflow.schema import EXECUTION_DT, QUOTE_DT, OrderType, TimeInForce

__all__ = ["LOBSTER_COLUMNS", "PRICE_SCALE", "ReplayData", "ReplayOutcome", "ReplayStream", "read_lobster",
           "read_top_of_book", "replay", "replay_mids", "replay_venue"]

_MAX_LEVELS = 50_000_000
_QUEUE_MODELS = {"risk_averse": _k.Q_RISK_AVERSE, "prob": _k.Q_PROB}
_ = (LOBSTER_EMPTY_ASK, LOBSTER_EMPTY_BID, QUOTE_COLUMNS, TRADE_COLUMNS)  # re-exported for older imports


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
    ex = take_records(ex, time_then_id_order(ex["ts"], ex["order_id"]))
    quotes = np.concatenate(quote_parts) if quote_parts else np.zeros(0, QUOTE_DT)
    if quotes.size:
        quotes = take_records(quotes, np.lexsort((quotes["instrument"], quotes["ts"])))
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
    return take_records(allx, time_then_id_order(allx["ts"], allx["order_id"]))


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
