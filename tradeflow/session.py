"""One trading session of the desk and its venue together, order by order (the book venue).

:func:`run_session` is what :func:`tradeflow.simulate` runs each day with the book venue:
the middle office checks each order when it arrives, only accepted orders reach the books
(after their latency), and each execution reaches the desk as the book makes it. So a
rejected order never takes or adds liquidity, and the next order's checks see every fill
before it. With the quote venue an order's fills do not depend on other orders, so the venue
can run first (:func:`tradeflow.middle.run_desk` discards the executions of rejected orders).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass

import numba
import numpy as np

from tradeflow import _session_kernels as _k
from tradeflow import _strategy_ctx as _ctx
from tradeflow._session_pool import renumber as _renumber
from tradeflow._session_pool import strategy_ctx as _strategy_ctx
from tradeflow._session_pool import with_pool as _with_pool
from tradeflow.config import ExecutionConfig, PreTradeConfig
from tradeflow.core.merge import merge_runs, stable_time_order, time_then_id_order
from tradeflow.core.records import take_records
from tradeflow.front.nb import (
    BS_COLUMNS,
    BS_LEVEL0,
    BS_LIVE0,
    BS_LIVE_CAP,
    BS_N_LEVELS,
    BS_N_SLOTS,
    BS_REANCHOR,
    BS_SLOT0,
    BS_SLOT_CAP,
    depth_records_nb,
    tape_records_nb,
)
from tradeflow.front.venue import VenueOutcome, venue_quotes, venue_setup, venue_shut
from tradeflow.market.paths import MarketData
from tradeflow.middle.desk import DeskOutcome, DeskState, RiskSetup, prepare_desk_run
from tradeflow.middle.nb import EV_SNAPSHOT
from tradeflow.schema import DEPTH_DT, EXECUTION_DT, TRADE_DT, BookEvent, OrderOrigin, Side

_log = logging.getLogger(__name__)

__all__ = ["SessionOutcome", "run_session"]

_EXEC_ROOM_PER_ORDER = 4  # first guess of executions per order; a session that makes more runs again


@dataclass(frozen=True, slots=True)
class SessionOutcome:
    """What one session produced: the venue's side (orders as sent, executions, quotes) and the desk's."""

    venue: VenueOutcome
    desk: DeskOutcome




def run_session(orders: np.ndarray, market: MarketData, execution: ExecutionConfig, pretrade: PreTradeConfig,
                state: DeskState, rng: np.random.Generator, minor_scale: np.ndarray, *, close_ts: int,
                pnl_interval_s: float, risk: RiskSetup | None = None, fifo: bool = False,
                intraday=None, first_order_id: int | None = None) -> SessionOutcome:
    """Run the desk and a limit order book per instrument over one session, in one time order.

    Parameters
    ----------
    orders : ndarray of ORDER_DT
        The session's client orders sorted by ``ts`` (and ``order_id``).
    market : MarketData
        The session's fair prices, grid, profile and FX.
    execution : ExecutionConfig
        The venue (``venue == "book"``): latency, fees and background liquidity.
    pretrade : PreTradeConfig
    state : DeskState
        Positions carried in; updated in place to the state at the close.
    rng : numpy.random.Generator
        The execution stream: latencies, then each book's background flow, drawn exactly as
        :func:`tradeflow.front.run_venue` draws them.
    minor_scale : float64 ndarray of shape (n_instruments,)
        10 ** minor units of each instrument's currency; fees are rounded to it.
    close_ts, pnl_interval_s, risk, fifo
        As for :func:`tradeflow.middle.run_desk`.
    intraday : tradeflow.strategies.NumbaStrategy, optional
        An intraday strategy called inside the loop (see ``docs/strategies.md``). Its orders
        join the session's orders (``origin = DESK``), renumbered with the clients' in time order
        from ``first_order_id`` (default: the first client order's id).

    Returns
    -------
    SessionOutcome
    """
    if execution.venue != "book":
        raise ValueError(f"run_session runs the book venue; got ExecutionConfig.venue={execution.venue!r}")
    setup = venue_setup(orders, market, execution, minor_scale, rng, time_order=False)  # sorted once, below
    sent_orders = setup.orders
    n = sent_orders.shape[0]
    n_inst = market.n_instruments
    # the venue's two streams, each in time order: every book's background events (a stable sort keeps
    # the books in order on ties) and the clients' arrivals at the venue; the loop takes background first
    # on ties. One copy of the background events: each book's arrays go as soon as they are gathered.
    bg_len = np.array([b["ts"].shape[0] for b in setup.background], np.int64)
    bg_ts, bg_inst, bg_kind, bg_side, bg_price, bg_qty, bg_u = _background_stream(setup.background, bg_len,
                                                                                   setup.background_rows)
    c_row = np.argsort(setup.venue_ts, kind="stable").astype(np.int64)
    c_ts = setup.venue_ts[c_row].astype(np.int64)

    # the books' shared arrays: levels, order slots and live lists one instrument after another
    n_client = np.bincount(sent_orders["instrument"], minlength=n_inst).astype(np.int64)
    n_slots = _slot_guess(bg_len, n_client, setup.live_capacity)
    bs = np.zeros((n_inst, BS_COLUMNS), np.int64)
    bs[:, BS_N_LEVELS] = setup.n_levels
    bs[:, BS_LEVEL0] = np.concatenate([[0], np.cumsum(setup.n_levels)[:-1]])
    bs[:, BS_LIVE0] = np.concatenate([[0], np.cumsum(setup.live_capacity)[:-1]])
    bs[:, BS_LIVE_CAP] = setup.live_capacity
    bs[:, BS_REANCHOR] = setup.reanchor
    total_levels = int(setup.n_levels.sum())
    grid_fair = np.ascontiguousarray(setup.fair - setup.lo[:, None], dtype=np.float64)
    n_grid = market.n_steps

    # each book's propagator as rows of equal width (zero weights pad; no columns without impact)
    props = [p for p in setup.impact if p is not None]
    width = max((len(p.weights) for p in props), default=0)
    imp_weight = np.zeros((n_inst, width))
    imp_rate = np.ones((n_inst, width))
    imp_scale = np.zeros(n_inst)
    imp_exp = np.ones(n_inst)
    for i, p in enumerate(setup.impact):
        if p is not None:
            k = len(p.weights)
            imp_weight[i, :k] = p.weights
            imp_rate[i, :k] = p.rates
            imp_scale[i] = p.scale
            imp_exp[i] = p.exponent

    grid_ts = market.times.astype(np.int64)
    saved = copy.deepcopy(state)
    cap = _EXEC_ROOM_PER_ORDER * n + 64
    tape_cap = _tape_guess(bg_kind, n) if execution.tape else 0
    step_s = float(np.median(np.diff(market.times))) / 1e9 if n_grid > 1 else 1.0
    every = max(int(round(execution.depth_every_seconds / step_s)), 1) if execution.depth_levels > 0 else 0
    n_depth_rows = -(-n_grid // every) if every else 0
    pool = 0 if intraday is None else int(intraday.capacity)
    if intraday is not None:
        first_id = int(first_order_id if first_order_id is not None else (sent_orders["order_id"][0] if n else 0))
        user_state = copy.deepcopy(intraday.state)
    while True:
        ctx = None
        all_orders, kind, level, reachable = sent_orders, setup.kind, setup.level, setup.reachable
        if intraday is not None:
            all_orders, kind, level, reachable = _with_pool(sent_orders, setup, pool, first_id, close_ts, intraday)
        n_all = all_orders.shape[0]
        venue = _k.VenueParams(o_kind=kind, o_level=level, o_reachable=reachable, lo=setup.lo, tick=setup.tick,
                               taker_bps=float(setup.taker_fee_bps), maker_bps=float(setup.maker_fee_bps),
                               minor_scale=setup.minor_scale, multiplier=setup.multiplier)
        run = prepare_desk_run(all_orders, market, pretrade, state, close_ts=close_ts,
                               pnl_interval_s=pnl_interval_s, risk=risk, fifo=fifo, n_exec=cap)
        d_ts, d_kind, d_ref = merge_runs(run.event_runs())  # in (ts, kind, ref) order
        if pool:  # the pool's rows arrive when the strategy sends them
            keep = (d_kind == EV_SNAPSHOT) | (d_ref < n)
            d_ts, d_kind, d_ref = d_ts[keep], d_kind[keep], d_ref[keep]
        execs = np.zeros(cap, EXECUTION_DT)
        exec_row = np.zeros(cap, np.int64)
        x = [np.empty(cap, np.int64) for _ in range(4)] + [np.empty(cap, np.int8)]
        streams = _k.SessionStreams(
            d_ts=d_ts, d_kind=d_kind, d_ref=d_ref, bg_ts=bg_ts, bg_inst=bg_inst,
            bg_kind=bg_kind, bg_side=bg_side, bg_price=bg_price, bg_qty=bg_qty, bg_u=bg_u, c_ts=c_ts, c_row=c_row,
            grid_ts=grid_ts, grid_fair=grid_fair)
        slots = int(n_slots.sum()) + pool * n_inst
        book = (np.empty(slots, np.int64), np.empty(slots, np.int64), np.empty(slots, np.int8),
                np.full(slots, -1, np.int64), np.empty(slots, np.int64), np.empty(slots, np.int64),
                np.empty(total_levels, np.int64), np.empty(total_levels, np.int64), np.empty(total_levels, np.int64),
                np.empty(int(setup.live_capacity.sum()), np.int64), np.full(slots, -1, np.int64),
                np.full(n_all, -1, np.int64), np.full(n_all, -1, np.int64), *x,
                np.empty(tape_cap, np.int64), np.empty(tape_cap, np.int32), np.empty(tape_cap, np.int64),
                np.empty(tape_cap, np.int8), np.empty(tape_cap, np.int32), np.empty(tape_cap, np.int32),
                np.array([0, int(execution.tape)], np.int64))
        dshape = (n_inst, n_depth_rows, execution.depth_levels)
        depth = (*[np.full(dshape, -1, np.int64) for _ in range(4)], every)
        bs_run = bs.copy()
        bs_run[:, BS_SLOT0] = np.concatenate([[0], np.cumsum(n_slots + pool)[:-1]])
        bs_run[:, BS_SLOT_CAP] = n_slots + pool
        snaps = _k.BookSnapshots(*[np.zeros((n_inst, n_grid + 1), np.int64) for _ in range(6)],
                                 impact=np.zeros((n_inst, n_grid + 1)))
        impact = _k.ImpactState(weight=imp_weight, rate=imp_rate, scale=imp_scale, exp=imp_exp,
                                state=np.zeros((n_inst, width)), cache=np.full((n_inst, width + 1), -1.0))
        on_event = st = None
        if intraday is not None:
            ctx = _strategy_ctx(market, run, intraday, n=n, pool=pool, close_ts=close_ts)
            on_event, st = intraday.on_event, copy.deepcopy(user_state)
        args = (streams, venue, bs_run, book, snaps, impact, run.orders, execs, exec_row, run.desk, depth, ctx,
                on_event, st)
        status, nx = _strategy_loop(args) if intraday is not None else _k.session_loop_nb(*args)
        if status == _k.SESSION_LOT_POOL_FULL:  # pragma: no cover - prepare_desk_run sizes the pool for every fill
            raise RuntimeError("FIFO lot pool exhausted")
        overflow = ctx is not None and ctx.counts[_ctx.C_OVERFLOW] > 0
        if status == _k.SESSION_OK and not overflow:
            break
        # a buffer ran out (executions, the tape, a book's slots or the strategy's orders): run again from the
        # morning's state with twice the room for it
        _log.info("desk session rerun: a buffer overflowed (executions %d, tape %d, slots %d, strategy orders %d); "
                  "running again with twice the room", cap, tape_cap, int(n_slots.sum()), pool)
        restored = copy.deepcopy(saved)
        for f in state.__dataclass_fields__:
            setattr(state, f, getattr(restored, f))
        if status != _k.SESSION_OK:  # the buffer that ran out gets twice the room
            full = bs_run[:, BS_N_SLOTS] >= bs_run[:, BS_SLOT_CAP]  # books whose slots ran out
            n_slots[full] = np.minimum(2 * n_slots[full], bg_len[full] + n_client[full] + 1)
            tape_full = book[-1][0] >= tape_cap > 0
            if tape_full:
                tape_cap *= 2
            if not full.any() and not tape_full:
                cap *= 2
        if overflow:
            pool *= 2
    # the background stream (38 bytes an event: 100 MB on a default day) and the books' working arrays are
    # done with: let them go before the records are built, which is when the session's memory peaks
    tape = book[-7:]
    del streams, args, book, bg_ts, bg_inst, bg_kind, bg_side, bg_price, bg_qty, bg_u, x
    if intraday is not None:
        intraday.state = st
        intraday.last_counts = ctx.counts.copy()
        sent_orders, execs, nx, row_ids = _renumber(run, sent_orders, execs, nx, n, int(ctx.counts[_ctx.C_SENT]),
                                                    first_id)
        if "venue_id" in market.instruments:  # its instrument's listing venue, as a client order's
            vid = market.instruments["venue_id"].to_numpy(np.int32)
            for o in (run.orders, sent_orders):
                d = o["origin"] == OrderOrigin.DESK
                o["venue"][d] = vid[o["instrument"][d]]
    if intraday is None:
        row_ids = sent_orders["order_id"]  # the tape's order rows -> their ids
    desk = run.outcome(state, market, 0)
    execs = execs[:nx]
    execs = take_records(execs, time_then_id_order(execs["ts"], execs["order_id"]))
    bid, ask, bid_qty, ask_qty, cum_volume, cum_trades, snap_impact = snaps
    quotes = venue_quotes(market, setup, bid[:, :-1].T, ask[:, :-1].T, bid_qty[:, :-1].T, ask_qty[:, :-1].T,
                          np.diff(cum_volume, axis=1).T, np.diff(cum_trades, axis=1).T)
    impact = snap_impact[:, :-1] * setup.tick[:, None]
    trades = _tape(tape, bs[:, BS_LEVEL0], setup.lo, setup.tick, row_ids) \
        if execution.tape else None
    depth_rec = _depth(depth, market.times[::every] if every else market.times[:0], setup.lo, setup.tick,
                       venue_shut(market)[::every] if every else None) if every else None
    return SessionOutcome(venue=VenueOutcome(orders=sent_orders, executions=execs, quotes=quotes, impact=impact,
                                             trades=trades, depth=depth_rec), desk=desk)


def _background_stream(parts: list, bg_len: np.ndarray, joined: dict | None = None) -> tuple[np.ndarray, ...]:
    """Every book's background events (``parts``, one dict of arrays per book, emptied here) as one
    stream in time order: ``(ts, inst, kind, side, price, qty, u)``. The order of a stable sort of the
    books' events one book after another: the books in order on ties, and each book's parts in order
    (:func:`tradeflow.front.venue.background_flow` with ``time_order=False``: its makers' requotes
    first). Each book comes as two time-ordered runs, so the order is one sort of packed (time, run)
    integers (:func:`tradeflow.core.merge.stable_time_order`), not an indirect sort of the times.
    ``joined`` (``VenueSetup.background_rows``, emptied here): the books' rows already one after another
    in one array a field, taken as they are instead of joined."""
    n_inst = len(parts)
    if n_inst == 0:
        return (np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int8), np.zeros(0, np.int8),
                np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))
    bounds = np.zeros(n_inst + 1, np.int64)
    np.cumsum(bg_len, out=bounds[1:])

    def take(f):  # a field of every book's rows; each goes as soon as it is gathered (the books' views too)
        books = [p.pop(f) for p in parts]
        return joined.pop(f) if joined else np.concatenate(books)

    ts, inst, row = stable_time_order(take("ts"), bounds)
    out = [ts, inst]
    for f, dt in (("kind", np.int8), ("side", np.int8), ("price", np.int64), ("qty", np.int64), ("u", np.float64)):
        out.append(take(f).astype(dt, copy=False)[row])
    parts.clear()
    return tuple(out)


def _slot_guess(bg_len: np.ndarray, n_client: np.ndarray, live_capacity: np.ndarray) -> np.ndarray:
    """Each book's first guess of order slots: the most orders that rest at once (slots are reused).

    Room for twice the live list of background orders, every client order and 1,024 more (a default
    day peaks at 300-2,000 per book against 250,000 events); never more than one per order of the
    day. A book that needs more runs the session again with twice its slots."""
    return np.minimum(bg_len + n_client + 1, 2 * np.asarray(live_capacity, np.int64) + n_client + 1024)


def _tape_guess(bg_kind: np.ndarray, n: int) -> int:
    """The tape's first guess: three trades per background market order (each sweeps a level or two)
    and two per client order, plus 4,096 (a default day trades 297,000 times: 1.45 per background
    market order, 1.05 per client order), capped at one per order that can trade. A tape that
    runs out runs the session again with twice the room."""
    can_trade = int(np.count_nonzero(bg_kind != BookEvent.BG_CANCEL)) + n + 64
    return min(can_trade, 3 * int(np.count_nonzero(bg_kind == BookEvent.MARKET)) + 2 * n + 4096)


_LOOPS: dict[tuple, object] = {}  # this process's session loops with a strategy, by argument types


def _strategy_loop(args: tuple):
    """Run :func:`tradeflow._session_kernels.session_loop_nb` with a strategy, its callback typed as a
    first-class function ``none(ctx, state, int64, int64, int64)``.

    Passed as a dispatcher, the callback would be typed ``type(CPUDispatcher(<function ... at 0x...>))``: a
    new specialisation of the whole loop for every strategy function, and one that numba's on-disk cache
    never finds again (the function's address is in its key; numba/numba#2956, #6251). Typed by its
    signature, the loop compiles once per (ctx, state) type, is cached on disk like the loop without a
    strategy, and calls the strategy through its address (numba's calling convention: its exceptions
    propagate)."""
    tys = [numba.typeof(a) for a in args]
    cb = numba.types.FunctionType(numba.types.none(tys[11], tys[13], numba.types.int64, numba.types.int64,
                                                   numba.types.int64))
    tys[12] = cb
    key = tuple(tys)
    entry = _LOOPS.get(key)
    if entry is None:
        entry = _LOOPS[key] = _k.session_loop_nb.compile(key)
    return entry(*args)




def _tape(tape: tuple, level0: np.ndarray, lo: np.ndarray, tick: np.ndarray, order_id: np.ndarray) -> np.ndarray:
    """TRADE_DT records from the kernels' tape (global levels, client rows), in the books' time order."""
    t_ts, t_lvl, t_qty, t_side, t_taker, t_maker, t_n = tape
    out = np.zeros(int(t_n[0]), TRADE_DT)  # zeros: the padding too
    # a client row's order id; -1 for background liquidity (a day may send no client order at all)
    tape_records_nb(t_ts, t_lvl, t_qty, t_side, t_taker, t_maker, np.asarray(level0, np.int64),
                    np.asarray(lo, np.int64), np.asarray(tick, np.float64),
                    np.ascontiguousarray(order_id, np.int64), out)
    return out


def _depth(depth: tuple, ts: np.ndarray, lo: np.ndarray, tick: np.ndarray,
           shut: np.ndarray | None = None) -> np.ndarray:
    """DEPTH_DT records (non-empty levels only) from the kernels' depth arrays of shape (n_inst, n_rows, L);
    none for a book whose venue is shut (``shut``, shape (n_rows, n_inst)), as its quotes."""
    # written in (ts, instrument, bids then asks, level) order: a count, then the records
    args = (np.asarray(ts, np.int64), *depth[:4], np.asarray(lo, np.int64), np.asarray(tick, np.float64),
            np.zeros((0, 0), bool) if shut is None else np.asarray(shut, bool), int(Side.BUY), int(Side.SELL))
    out = np.zeros(depth_records_nb(*args, np.zeros(0, DEPTH_DT)), DEPTH_DT)
    depth_records_nb(*args, out)
    return out
