"""Market-data replay: recorded book events per second, with the desk's orders resting in the queues."""

from __future__ import annotations

import numpy as np

from benchmarks._harness import Bench, register
from tradeflow.front import nb as front_nb
from tradeflow.front.replay import ReplayData, ReplayStream, replay
from tradeflow.schema import ORDER_DT, OrderType, TimeInForce

_MID = 1_000_000  # 100.00 in LOBSTER's price units
_TICK = 100


def _stream(n: int, seed: int = 0) -> ReplayStream:
    """LOBSTER-like messages around a random-walking mid: 50% adds, 35% cancels, 12% visible executions,
    3% hidden ones, over a 6.5-hour day (removals the book cannot explain are clamped, as for a recording
    that starts with liquidity it never showed)."""
    rng = np.random.default_rng(seed)
    ts = np.sort(rng.integers(0, 23_400 * 10**9, n)).astype(np.int64)
    mid = _MID // _TICK + np.cumsum(rng.choice([-1, 0, 0, 0, 0, 0, 0, 1], n))
    u = rng.random(n)
    kind = np.where(u < 0.5, front_nb.R_ADD, np.where(u < 0.85, front_nb.R_REDUCE,
                                                     np.where(u < 0.97, front_nb.R_EXEC, front_nb.R_TRADE)))
    side = rng.choice(np.array([-1, 1], np.int8), n)
    depth = rng.integers(1, 11, n)
    depth = np.where(kind == front_nb.R_ADD, depth, np.where(kind == front_nb.R_REDUCE, depth, 1))
    price = ((mid - side * depth) * _TICK).astype(np.int64)
    qty = rng.integers(1, 6, n) * 100
    return ReplayStream(symbol="SYN", ts=ts, kind=kind.astype(np.int8), side=side, price=price,
                        qty=qty.astype(np.int64), tick=_TICK, strict=False)


def _orders(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    o = np.zeros(n, ORDER_DT)
    o["order_id"] = np.arange(n)
    o["ts"] = np.sort(rng.integers(0, 23_400 * 10**9, n))
    o["ts_cancel"] = o["ts"] + rng.integers(1, 600, n) * 10**9
    o["side"] = rng.choice([-1, 1], n)
    o["order_type"] = OrderType.LIMIT
    o["tif"] = TimeInForce.DAY
    o["qty"] = 100
    o["limit_price"] = (_MID - o["side"] * rng.integers(0, 4, n) * _TICK) / 10_000
    return o


def _python_replay(st: ReplayStream) -> int:
    """The same displayed book in plain Python: dicts of price -> quantity per side."""
    book = {1: {}, -1: {}}
    for k, s, p, q in zip(st.kind.tolist(), st.side.tolist(), st.price.tolist(), st.qty.tolist(), strict=True):
        lv = book[s]
        if k == front_nb.R_ADD:
            lv[p] = lv.get(p, 0) + q
        elif k == front_nb.R_REDUCE or k == front_nb.R_EXEC:
            left = lv.get(p, 0) - q
            if left > 0:
                lv[p] = left
            else:
                lv.pop(p, None)
    return len(book[1]) + len(book[-1])


@register("front.replay", unit="events")
def replay_events(b: Bench) -> None:
    n = b.size(quick=200_000, full=2_000_000)
    n_orders = b.size(quick=2_000, full=20_000)
    st = _stream(n)
    data = ReplayData(streams=(st,))
    orders = _orders(n_orders)
    b.param(events=n, orders=n_orders)
    b.target("replay, no orders", lambda: replay(data), n=n)
    b.target(f"replay with {n_orders} resting orders", lambda: replay(data, orders), n=n)
    small = ReplayData(streams=(_stream(min(n, 200_000)),))
    b.baseline("plain-Python dict book (events)", lambda: _python_replay(small.streams[0]), n=small.n_events)
