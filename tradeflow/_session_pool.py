"""The intraday strategy's side of a session, shared by the book venue's session
(:mod:`tradeflow.session`) and the replay session (:mod:`tradeflow.replay_session`): its venue
windows, the pool of order rows it fills in as it sends, and the renumbering of the session's
orders in time order afterwards."""

from __future__ import annotations

import numpy as np

from tradeflow import _strategy_ctx as _ctx
from tradeflow.market.paths import SESSION_MARGIN_NS, MarketData
from tradeflow.middle.nb import S_CANCELLED
from tradeflow.schema import OrderOrigin


def break_windows(market: MarketData) -> np.ndarray:
    """Grid steps ``[b0, b1)`` of each instrument's lunch break, shape (n_instruments, 2) ([0, 0) when none):
    from :data:`SESSION_MARGIN_NS` before its start (an order sent then reaches the venue before it) to its end."""
    out = np.zeros((market.n_instruments, 2), np.int64)
    if market.break_start is None:
        return out
    for i in range(market.n_instruments):
        b0, b1 = int(market.break_start[i]), int(market.break_end[i])
        if b0 >= 0 and b1 > b0:
            out[i, 0] = np.searchsorted(market.times, b0 - SESSION_MARGIN_NS, side="left")
            out[i, 1] = np.searchsorted(market.times, b1, side="left")
    return out


def venue_close(market: MarketData, close_ts: int) -> np.ndarray:
    """Each instrument's venue close (ns UTC); ``close_ts`` without venue sessions or when its venue is shut."""
    n = market.n_instruments
    if market.session_close is None:
        return np.full(n, close_ts, np.int64)
    return np.where(market.session_open >= 0, market.session_close, close_ts).astype(np.int64)


def with_pool(sent: np.ndarray, setup, pool: int, first_id: int, close_ts: int, intraday):
    """The session's orders with ``pool`` rows a strategy fills in as it sends (ids after the clients',
    placed last in time and done until used), and the venue's per-order arrays to match."""
    n = sent.shape[0]
    rows = np.zeros(pool, sent.dtype)
    rows["order_id"] = first_id + n + np.arange(pool)
    rows["parent_id"] = -1
    rows["ts"] = max(int(sent["ts"][-1]) if n else 0, close_ts - 1)
    rows["ts_cancel"] = -1
    rows["ts_done"] = -1
    rows["status"] = S_CANCELLED
    rows["origin"] = OrderOrigin.DESK
    rows["book"] = intraday.book
    rows["client"] = intraday.client
    rows["trader"] = intraday.trader
    rows["counterparty"] = intraday.counterparty
    rows["avg_fill_price"] = np.nan
    rows["limit_price"] = np.nan
    if n and "venue" in sent.dtype.names:
        rows["venue"] = 0
    out = np.concatenate([sent, rows])
    return (out, np.concatenate([setup.kind, np.zeros(pool, setup.kind.dtype)]),
            np.concatenate([setup.level, np.zeros(pool, setup.level.dtype)]),
            np.concatenate([setup.reachable, np.zeros(pool, bool)]))


def renumber(run, sent: np.ndarray, execs: np.ndarray, nx: int, n: int, used: int, first_id: int):
    """Keep the pool rows the strategy used and number every order in time order (clients first at a tie),
    as :func:`tradeflow.strategies.merge_desk_orders` numbers the open's orders. Returns (sent, execs, nx, the new
    id of each session row: the tape's rows map through it)."""
    orders = run.orders[: n + used]
    pool_sent = orders[n:].copy()
    for f, v in (("status", 0), ("reject_reason", 0), ("filled_qty", 0), ("avg_fill_price", np.nan),
                 ("ts_done", 0)):
        pool_sent[f] = v
    sent = np.concatenate([sent, pool_sent])
    perm = np.lexsort((np.arange(orders.shape[0]), orders["ts"]))
    rank = np.empty_like(perm)
    rank[perm] = np.arange(perm.shape[0])
    old0 = int(orders["order_id"][0]) if orders.shape[0] else first_id
    new_of_old = first_id + rank  # old id old0 + r -> its new id

    def remap(ids):
        return new_of_old[ids - old0]

    orders = orders[perm]
    sent = sent[perm]
    orders["order_id"] = sent["order_id"] = first_id + np.arange(perm.shape[0])
    rep = orders["origin"] == OrderOrigin.REPLACE
    if rep.any():
        orders["parent_id"][rep] = sent["parent_id"][rep] = remap(orders["parent_id"][rep])
    execs = execs[:nx]
    execs["order_id"] = remap(execs["order_id"])
    rec = run.desk.records
    nf, ne = int(rec.counts[0]), int(rec.counts[1])
    rec.fills["order_id"][:nf] = remap(rec.fills["order_id"][:nf])
    rec.events["order_id"][:ne] = remap(rec.events["order_id"][:ne])
    run.orders = orders
    return sent, execs, nx, new_of_old


def strategy_ctx(market: MarketData, run, intraday, *, n: int, pool: int, close_ts: int):
    """The strategy's view of the desk for one pass of a session: the desk's own position arrays (read
    live), its venue windows and breaks, the pool's order rows after the ``n`` clients', and its settings."""
    n_inst = market.n_instruments
    win = np.array([market.session_steps(i) for i in range(n_inst)], np.int64).reshape(n_inst, 2)
    brk = break_windows(market)
    ps = run.desk.positions
    return _ctx.StrategyCtx(
        pos=ps.pos, avg=ps.avg, realized=ps.realized, fees=ps.fees, bid=np.full(n_inst, np.nan),
        ask=np.full(n_inst, np.nan), bid_qty=np.zeros(n_inst, np.int64), ask_qty=np.zeros(n_inst, np.int64),
        is_open=np.zeros(n_inst, np.bool_), clock=np.array([0, 0, close_ts], np.int64), fill=np.zeros(3),
        own=run.orders[n:], req=np.zeros((256, 6)), counts=np.zeros(8, np.int64),
        queue=np.zeros((2 * pool + 256, 3), np.int64), win_lo=win[:, 0].copy(), win_hi=win[:, 1].copy(),
        brk_lo=brk[:, 0].copy(), brk_hi=brk[:, 1].copy(), inst_close=venue_close(market, close_ts),
        pool0=n, book=int(intraday.book), latency_ns=int(round(intraday.latency_us * 1e3)),
        client=int(intraday.client), trader=int(intraday.trader), every=int(intraday.every),
        own_fills=bool(intraday.own_fills), client_fills=bool(intraday.client_fills),
        timer_ns=int(round(intraday.timer_s * 1e9)), risk_on=bool(run.desk.risk_on), tails=run.desk.tails,
        revalue=run.desk.revalue, marks=run.desk.marks)
