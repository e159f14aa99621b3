"""The front office: order-book operations per second, and a whole front-office day (flow + venue)."""

from __future__ import annotations

from collections import deque

import numpy as np

import tradeflow
from benchmarks._harness import Bench, register
from tradeflow.front import execute_orders, generate_orders, run_venue
from tradeflow.front import nb as front_nb
from tradeflow.front.orderbook import _NO_DEPTH, _NO_TAPE, BookEvent, run_book
from tradeflow.front.venue import background_flow
from tradeflow.market import simulate_market

N_LEVELS = 4_000


def _events(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Zero-intelligence flow around a random-walking fair price: ~50% adds, 42% cancels, 8% market orders."""
    cfg = tradeflow.config.ExecutionConfig()
    rng = np.random.default_rng(seed)
    n_steps = max(int(n / cfg.book_events_per_second), 2)
    fair = N_LEVELS / 2 + np.cumsum(rng.normal(0, 0.5, n_steps))
    times = np.arange(n_steps, dtype=np.int64) * 1_000_000_000
    ev = background_flow(rng, fair_ticks=fair, times=times, profile=np.ones(n_steps), cfg=cfg, lo=0)
    np.clip(ev["price"], 0, N_LEVELS - 1, out=ev["price"])
    ev["ts"] -= ev["ts"].min()
    return ev


class PyBook:
    """A plain Python price-time-priority book: dict of FIFO deques per price, sets of quoted prices.

    Orders are ``[price, qty, side, live_pos]`` lists; the live list of background orders is
    swap-removed like the kernel's, so both pick the same order to cancel.
    """

    def __init__(self, live_capacity: int) -> None:
        self.levels: dict[int, deque] = {}
        self.bids: set[int] = set()
        self.asks: set[int] = set()
        self.live: list[list] = []
        self.cap = live_capacity
        self.volume = 0

    def _unlive(self, o: list) -> None:
        k = o[3]
        if k < 0:
            return
        last = self.live.pop()
        if last is not o:
            self.live[k] = last
            last[3] = k
        o[3] = -1

    def add(self, side: int, price: int, qty: int, market: bool) -> None:
        opp = self.asks if side > 0 else self.bids
        while qty > 0 and opp:
            best = min(opp) if side > 0 else max(opp)
            if not market and (best > price if side > 0 else best < price):
                break
            q = self.levels[best]
            o = q[0]
            f = min(qty, o[1])
            qty -= f
            o[1] -= f
            self.volume += f
            if o[1] == 0:
                q.popleft()
                self._unlive(o)
                if not q:
                    opp.discard(best)
        if qty > 0 and not market:
            o = [price, qty, side, -1]
            self.levels.setdefault(price, deque()).append(o)
            (self.bids if side > 0 else self.asks).add(price)
            if len(self.live) < self.cap:
                o[3] = len(self.live)
                self.live.append(o)

    def cancel(self, u: float) -> None:
        k = int(u * self.cap)
        if k >= len(self.live):
            return
        o = self.live[k]
        self._unlive(o)
        q = self.levels[o[0]]
        for j, other in enumerate(q):
            if other is o:
                del q[j]
                break
        if not q:
            (self.bids if o[2] > 0 else self.asks).discard(o[0])


def _python_book(ev: dict[str, np.ndarray], cap: int) -> int:
    book = PyBook(cap)
    kinds, sides, prices, qtys, us = (ev[k].tolist() for k in ("kind", "side", "price", "qty", "u"))
    for k, s, p, q, u in zip(kinds, sides, prices, qtys, us, strict=True):
        if k == BookEvent.BG_CANCEL:
            book.cancel(u)
        else:
            book.add(s, p, q, k == BookEvent.MARKET)
    return book.volume


@register("front.orderbook_ops", unit="book operations")
def orderbook_ops(b: Bench) -> None:
    n = b.size(quick=200_000, full=2_000_000)
    ev = _events(n)
    n = ev["ts"].size
    cap = 500
    cl = {k: np.zeros(0, np.int64) for k in ("ts", "kind", "side", "price", "qty", "ref")}
    kinds = np.bincount(ev["kind"], minlength=6)
    b.param(events=n, limit_orders=int(kinds[BookEvent.LIMIT]), market_orders=int(kinds[BookEvent.MARKET]),
            cancels=int(kinds[BookEvent.BG_CANCEL]), levels=N_LEVELS)
    snap = np.array([np.iinfo(np.int64).max])
    one = lambda: np.empty(1, np.int64)  # noqa: E731
    slots = n + 1

    def kernel(tape: tuple = _NO_TAPE) -> None:
        front_nb.book_run_nb(
            ev["ts"], ev["kind"], ev["side"], ev["price"], ev["qty"], ev["u"],
            cl["ts"], cl["kind"].astype(np.int8), cl["side"].astype(np.int8), cl["price"], cl["qty"], cl["ref"],
            np.int64(N_LEVELS), snap, np.nan * np.ones(1), one(), one(), one(), one(), np.empty(1, np.int8),
            np.empty(0, np.int64), one(), one(), one(), one(), one(), one(),
            np.empty(slots, np.int64), np.empty(slots, np.int64), np.empty(slots, np.int8),
            np.full(slots, -1, np.int64), np.empty(slots, np.int64), np.empty(slots, np.int64),
            np.empty(N_LEVELS, np.int64), np.empty(N_LEVELS, np.int64), np.empty(N_LEVELS, np.int64),
            np.empty(cap, np.int64), np.full(slots, -1, np.int64), np.empty(0, np.int64),
            np.zeros(0), np.zeros(0), 0.0, 1.0, np.zeros(0), np.full(1, -1.0), np.zeros(1), tape, _NO_DEPTH,
            np.int64(0))  # no re-anchoring: the events carry no fair price

    def with_tape() -> None:  # every match on the tape (result.trades): room for one trade per event
        kernel((np.empty(n, np.int64), np.empty(n, np.int32), np.empty(n, np.int64), np.empty(n, np.int8),
                np.empty(n, np.int32), np.empty(n, np.int32), np.array([0, 1], np.int64)))

    b.target("numba book kernel (add/cancel/match)", kernel, n=n)
    b.target("numba book kernel, full tape recorded", with_tape, n=n)
    b.target("run_book (validation + kernel)", lambda: run_book(
        background=ev, client=cl, n_levels=N_LEVELS, n_client_rows=0, snap_ts=np.zeros(0, np.int64),
        live_capacity=cap), n=n)
    m = min(n, b.size(quick=50_000, full=200_000))
    sub = {k: v[:m] for k, v in ev.items()}
    b.baseline("pure-Python book (dict of deques)", lambda: _python_book(sub, cap), n=m, repeats=1)


@register("front.day", unit="orders")
def front_day(b: Bench) -> None:
    orders_per_day = b.size(quick=5_000, full=100_000)
    # quick: a smoke on a thin book and a 10 s grid (the makers requote at every grid time)
    thin = {"market": {"step_seconds": 10.0}, "execution": {"book_events_per_second": 0.5}} if b.quick else {}
    cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": orders_per_day}, **thin})
    market = simulate_market(cfg.market, np.random.default_rng(0))
    scale = np.full(market.n_instruments, 100.0)
    orders = generate_orders(cfg.flow, market, np.random.default_rng(1))
    n = orders.size
    b.param(orders=n, instruments=market.n_instruments, background_events_per_s=cfg.execution.book_events_per_second)
    b.target("generate_orders + run_venue (Hawkes flow + books)", lambda: run_venue(
        generate_orders(cfg.flow, market, np.random.default_rng(1)), market, cfg.execution, scale,
        np.random.default_rng(2)), n=n)
    b.target("run_venue only (books incl. background liquidity)", lambda: run_venue(
        orders, market, cfg.execution, scale, np.random.default_rng(2)), n=n)
    b.target("generate_orders only", lambda: generate_orders(cfg.flow, market, np.random.default_rng(1)), n=n)
    b.baseline("quote fill model (no book, no impact)", lambda: execute_orders(orders, market, cfg.execution, scale),
               n=n)


def _python_slices(parents: np.ndarray, n_slices: int, times: np.ndarray, profile: np.ndarray,
                   lot: np.ndarray) -> int:
    """Plain-Python TWAP/VWAP slicing, one parent at a time (the per-parent loop an algo engine would run)."""
    step = int(times[1] - times[0])
    cum_vol = [0.0]
    for w in profile.tolist():
        cum_vol.append(cum_vol[-1] + w)
    t0 = int(times[0])
    n_kids = 0
    for p, lt in zip(parents.tolist(), lot.tolist(), strict=True):
        ts, ts_end, algo, qty = p[1], p[2], p[9], p[12]
        edges = [ts + (ts_end - ts) * k // n_slices for k in range(n_slices)] + [ts_end]
        if algo == 1:
            vol = []
            for e in edges:
                i = min(max((e - t0) // step, 0), len(profile) - 1)
                vol.append(cum_vol[i] + profile[i] * min(max(e - t0 - i * step, 0), step) / step)
            span = vol[-1] - vol[0]
            cum = [(v - vol[0]) / span if span > 0 else k / n_slices for k, v in enumerate(vol)]
        else:
            cum = [k / n_slices for k in range(n_slices + 1)]
        lots, prev = qty // lt, 0
        for c in cum[1:]:
            tgt = max(prev, round(c * lots))
            n_kids += tgt > prev
            prev = tgt
    return n_kids


@register("front.algo_slicing", unit="parents")
def algo_slicing(b: Bench) -> None:
    from tradeflow.front.algos import child_orders, make_parents, slice_schedule
    from tradeflow.schema import OrderOrigin

    n = b.size(quick=20_000, full=200_000)
    cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": n, "algo_share": 0.0}})
    market = simulate_market(cfg.market, np.random.default_rng(0))
    orders = generate_orders(cfg.flow, market, np.random.default_rng(1))
    src = orders[orders["origin"] == OrderOrigin.CLIENT][:n]
    parents = make_parents(src, market, np.random.default_rng(2), vwap_share=0.5, duration_minutes=30.0,
                           size_multiplier=10.0, first_parent_id=0)
    lot = market.instruments["lot_size"].to_numpy(np.int64)[parents["instrument"]]
    k = cfg.flow.algo_slices
    b.param(parents=parents.size, slices=k)
    b.target("child_orders (schedule + ORDER_DT children)", lambda: child_orders(parents, market, k, first_temp_id=0),
             n=parents.size)
    b.target("slice_schedule (vectorised TWAP/VWAP)", lambda: slice_schedule(
        parents, k, market.times, market.profile, lot), n=parents.size)
    b.baseline("plain-Python per-parent slicing", lambda: _python_slices(parents, k, market.times, market.profile, lot),
               n=parents.size, repeats=1)


@register("front.fix_export", unit="messages")
def fix_export(b: Bench) -> None:
    """FIX 4.4 export of a desk-day (vectorised columns, one template per message) beside the
    message-at-a-time Python export it replaced (kept as the reference in tests/front/test_fix.py)."""
    from tests.front.test_fix import reference_fix_messages
    from tradeflow.front.fix import fix_messages

    orders_per_day = b.size(quick=10_000, full=100_000)
    run = tradeflow.simulate(tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": orders_per_day}}),
                             seed=0, progress=False)
    orders, events = run.records["orders"], run.records["events"]
    symbols = list(run.instruments["symbol"])
    ccys = [run.market.currencies[c] for c in run.instruments["currency_id"]]
    n = orders.size + events.size
    b.param(orders=orders.size, events=events.size, messages=n)
    b.target("fix_messages (vectorised)", lambda: fix_messages(orders, events, symbols, ccys, venues=run.venues),
             n=n)
    # the old path takes ~0.2 ms a message: time it on the first orders of the day and their events
    sub = orders[: min(orders.size, b.size(quick=2_000, full=10_000))]
    sub_events = events[np.isin(events["order_id"], sub["order_id"])]
    b.baseline("message-at-a-time Python (the old export)", lambda: reference_fix_messages(
        sub, sub_events, symbols, ccys, venues=run.venues), n=sub.size + sub_events.size, repeats=1)
