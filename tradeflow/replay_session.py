"""One session of the desk and an intraday numba strategy over recorded market data.

:func:`run_replay_session` is what :func:`tradeflow.simulate` runs each day with ``replay=...``
and a :class:`tradeflow.strategies.NumbaStrategy`: the recorded books of the replayed symbols
are the venue (:mod:`tradeflow.front.replay`, its queue-position models), the strategy is
called in time order on grid steps, fills and its timer, and its orders pass the desk's
pre-trade controls and reach the recording after their latency
(:func:`tradeflow._replay_session_kernels.replay_session_loop_nb`). Client orders on the
replayed symbols meet the recording as in :func:`tradeflow.front.replay.replay_venue`; the
others are filled by the quote model. The strategy trades the replayed symbols only.
"""

from __future__ import annotations

import copy
import logging

import numba
import numpy as np

from tradeflow import _replay_session_kernels as _k
from tradeflow import _strategy_ctx as _ctx
from tradeflow._session_kernels import VenueParams
from tradeflow._session_pool import renumber, strategy_ctx, with_pool
from tradeflow.core.merge import merge_runs, time_then_id_order
from tradeflow.core.records import take_records
from tradeflow.front.execution import execute_orders
from tradeflow.front.nb import BS_COLUMNS, BS_N_LEVELS, K_FOK, K_IOC, K_LIMIT, K_MARKET, Q_PROB, Q_RISK_AVERSE, R_NONE
from tradeflow.front.replay import PRICE_SCALE, ReplayData
from tradeflow.middle.desk import DeskOutcome, prepare_desk_run
from tradeflow.middle.nb import EV_SNAPSHOT
from tradeflow.schema import EXECUTION_DT, OrderOrigin, OrderType, TimeInForce

_log = logging.getLogger(__name__)

__all__ = ["run_replay_session"]

_MARGIN_TICKS = 1_000  # levels kept beyond the recorded and client prices, for the strategy's orders
_INF = np.iinfo(np.int64).max
_LOOPS: dict[tuple, object] = {}
_QUEUE_MODELS = {"risk_averse": Q_RISK_AVERSE, "prob": Q_PROB}


def run_replay_session(orders: np.ndarray, data: ReplayData, market, execution, pretrade, state,
                       minor_scale: np.ndarray, *, intraday, close_ts: int, pnl_interval_s: float, risk=None,
                       fifo: bool = False, first_order_id: int | None = None, queue_model: str = "risk_averse",
                       queue_power: float = 2.0) -> tuple[np.ndarray, DeskOutcome]:
    """Run the desk and ``intraday`` over one session with ``data`` as the venue of its symbols.

    Parameters are those of :func:`tradeflow.session.run_session` (``execution.latency_us`` the
    client orders' constant latency, its taker/maker fees rounded to minor units, as
    :func:`tradeflow.front.replay.replay_venue`), plus the replay's queue model.

    Returns
    -------
    (executions sorted by (ts, order_id), DeskOutcome)
    """
    if queue_model not in _QUEUE_MODELS:
        raise ValueError(f"The 'queue_model' parameter of run_replay_session must be one of {sorted(_QUEUE_MODELS)}."
                         f" Got {queue_model!r} instead.")
    n = orders.shape[0]
    n_inst = market.n_instruments
    symbols = list(market.instruments["symbol"])
    stream_of = np.array([data.symbols.index(s) if s in data.symbols else -1 for s in symbols], np.int64)
    replayed = stream_of >= 0
    latency = int(round(execution.latency_us * 1e3))
    on = replayed[orders["instrument"]] if n else np.zeros(0, bool)
    rest = execute_orders(orders[~on], market, execution, minor_scale)
    rest = take_records(rest, time_then_id_order(rest["ts"], rest["order_id"]))
    rest_row = np.searchsorted(orders["order_id"], rest["order_id"]).astype(np.int64)
    mult = market.instruments["multiplier"].to_numpy(np.float64)

    # each replayed instrument's levels (as tradeflow.front.replay.replay lays them out, with a margin)
    buy = orders["side"] > 0
    is_lim = orders["order_type"] == OrderType.LIMIT
    lo = np.zeros(n_inst, np.int64)
    tick = np.ones(n_inst, np.int64)
    n_lv = np.ones(n_inst, np.int64)
    o_level = np.zeros(n, np.int64)
    strict = np.ones(n_inst, np.bool_)
    parts = []
    for i in np.flatnonzero(replayed):
        st = data.streams[stream_of[i]]
        mine = np.flatnonzero(on & (orders["instrument"] == i))
        lp = np.where(is_lim[mine], orders["limit_price"][mine], 0.0) * PRICE_SCALE
        o_tick = np.where(buy[mine], np.floor(lp / st.tick + 1e-9), np.ceil(lp / st.tick - 1e-9)).astype(np.int64)
        ev_tick = st.price // st.tick
        known = np.concatenate([ev_tick[st.kind != R_NONE], st.init_price // st.tick, o_tick[is_lim[mine]]])
        lo[i] = (int(known.min()) if known.size else 0) - 1 - _MARGIN_TICKS
        hi = (int(known.max()) if known.size else 1) + 1 + _MARGIN_TICKS
        n_lv[i] = hi - lo[i] + 1
        tick[i] = st.tick
        o_level[mine] = np.where(is_lim[mine], o_tick - lo[i], 0)
        strict[i] = bool(st.strict)
        parts.append((i, st))
    lvl0 = np.concatenate([[0], np.cumsum(n_lv)[:-1]]).astype(np.int64)
    bid_qty = np.zeros(int(n_lv.sum()), np.int64)
    ask_qty = np.zeros(int(n_lv.sum()), np.int64)
    ev = {f: [] for f in ("ts", "inst", "kind", "side", "lvl", "qty", "row")}
    for i, st in parts:
        il = lvl0[i] + st.init_price // st.tick - lo[i]
        np.add.at(bid_qty, il[st.init_side > 0], st.init_qty[st.init_side > 0])
        np.add.at(ask_qty, il[st.init_side < 0], st.init_qty[st.init_side < 0])
        ev["ts"].append(st.ts)
        ev["inst"].append(np.full(st.n_events, i, np.int64))
        ev["kind"].append(st.kind.astype(np.int8))
        ev["side"].append(st.side.astype(np.int8))
        ev["lvl"].append(lvl0[i] + np.where(st.kind != R_NONE, st.price // st.tick - lo[i], 0))
        ev["qty"].append(st.qty.astype(np.int64))
        ev["row"].append(np.arange(st.n_events))
    ev = {f: np.concatenate(v) if v else np.zeros(0, np.int64) for f, v in ev.items()}
    ev_order = np.argsort(ev["ts"], kind="stable")
    ev = {f: v[ev_order] for f, v in ev.items()}

    # the client orders at the recorded venue: kinds, arrivals, cancels
    o_kind = np.where(~is_lim, K_MARKET, np.where(orders["tif"] == TimeInForce.IOC, K_IOC, np.where(
        orders["tif"] == TimeInForce.FOK, K_FOK, K_LIMIT))).astype(np.int64)
    sent = orders["ts"] + latency
    o_cancel = np.where((orders["ts_cancel"] >= 0) & (o_kind == K_LIMIT),
                        np.maximum(orders["ts_cancel"] + latency, sent), _INF).astype(np.int64)
    a_row = np.flatnonzero(on)
    a_row = a_row[np.argsort(sent[a_row], kind="stable")].astype(np.int64)
    c_row = np.flatnonzero(on & (o_cancel < _INF))
    c_row = c_row[np.argsort(o_cancel[c_row], kind="stable")].astype(np.int64)

    first_id = int(first_order_id if first_order_id is not None else (orders["order_id"][0] if n else 0))
    user_state = copy.deepcopy(intraday.state)
    grid_ts = market.times.astype(np.int64)
    saved = copy.deepcopy(state)
    setup = _Setup(kind=o_kind, level=o_level, reachable=on.copy())
    pool = int(intraday.capacity)
    cap = 4 * n + 64
    while True:
        all_orders, kind, level, reachable = with_pool(orders, setup, pool, first_id, close_ts, intraday)
        n_all = all_orders.shape[0]
        venue = VenueParams(o_kind=kind, o_level=level, o_reachable=reachable, lo=lo, tick=tick / PRICE_SCALE,
                            taker_bps=float(execution.taker_fee_bps), maker_bps=float(execution.maker_fee_bps),
                            minor_scale=np.asarray(minor_scale, np.float64), multiplier=mult)
        bs = np.zeros((n_inst, BS_COLUMNS), np.int64)
        bs[:, BS_N_LEVELS] = n_lv
        run = prepare_desk_run(all_orders, market, pretrade, state, close_ts=close_ts,
                               pnl_interval_s=pnl_interval_s, risk=risk, fifo=fifo, n_exec=cap)
        d_ts, d_kind, d_ref = merge_runs(run.event_runs())  # in (ts, kind, ref) order
        keep = (d_kind == EV_SNAPSHOT) | (d_ref < n)
        d_ts, d_kind, d_ref = d_ts[keep], d_kind[keep], d_ref[keep]
        counts = np.bincount(all_orders["instrument"][:n][on], minlength=n_inst) if n else np.zeros(n_inst, int)
        leaves = np.zeros(n_all, np.int64)
        leaves[:n] = orders["qty"]
        rb = _k.ReplayBooks(
            ev_ts=ev["ts"].astype(np.int64), ev_inst=ev["inst"].astype(np.int64), ev_kind=ev["kind"].astype(np.int8),
            ev_side=ev["side"].astype(np.int8), ev_lvl=ev["lvl"].astype(np.int64), ev_qty=ev["qty"].astype(np.int64),
            bid_qty=bid_qty.copy(), ask_qty=ask_qty.copy(), lvl0=lvl0, n_lv=n_lv,
            best=np.column_stack([n_lv - 1, np.zeros(n_inst, np.int64)]).astype(np.int64), lo=lo, tick=tick,
            a_ts=sent[a_row].astype(np.int64), a_row=a_row, c_ts=o_cancel[c_row], c_row=c_row,
            o_cancel=np.concatenate([o_cancel, np.full(pool, _INF, np.int64)]),
            x_ts=rest["ts"].astype(np.int64), x_row=rest_row, x_rec=rest, front=np.zeros(n_all), cum=np.zeros(n_all),
            leaves=leaves, arrival_mid2=np.full(n_all, -1, np.int64),
            act=np.zeros((n_inst, int(counts.max(initial=0)) + pool), np.int64), n_act=np.zeros(n_inst, np.int64),
            model=int(_QUEUE_MODELS[queue_model]), power=float(queue_power), strict=strict)
        execs = np.zeros(cap, EXECUTION_DT)
        exec_row = np.zeros(cap, np.int64)
        ctx = strategy_ctx(market, run, intraday, n=n, pool=pool, close_ts=close_ts)
        st = copy.deepcopy(user_state)
        args = (d_ts, d_kind, d_ref, grid_ts, rb, replayed, venue, bs, run.orders, execs,
                exec_row, run.desk, ctx, intraday.on_event, st)
        status, nx, bad, _ = _loop(args)
        if status == _k.REPLAY_SESSION_NEGATIVE_LEVEL:
            i = int(ev["inst"][bad])
            s = data.streams[stream_of[i]]
            row = int(ev["row"][bad])
            raise ValueError(f"The recorded events of {s.symbol} remove more than the book shows at event row "
                             f"{row} (price {s.price[row] / PRICE_SCALE}, side {int(s.side[row])}, "
                             f"size {int(s.qty[row])}): the messages do not explain the book.")
        if status == _k.REPLAY_SESSION_LOT_POOL_FULL:  # pragma: no cover - the pool is sized for every fill
            raise RuntimeError("FIFO lot pool exhausted")
        overflow = ctx.counts[_ctx.C_OVERFLOW] > 0
        if status == _k.REPLAY_SESSION_OK and not overflow:
            break
        _log.info("replay session rerun: a buffer overflowed (executions %d, strategy orders %d)", cap, pool)
        restored = copy.deepcopy(saved)
        for f in state.__dataclass_fields__:
            setattr(state, f, getattr(restored, f))
        if status != _k.REPLAY_SESSION_OK:
            cap *= 2
        if overflow:
            pool *= 2
    intraday.state = st
    intraday.last_counts = ctx.counts.copy()
    _, execs, nx, _ = renumber(run, orders, execs, nx, n, int(ctx.counts[_ctx.C_SENT]), first_id)
    if "venue_id" in market.instruments:  # its instrument's listing venue, as a client order's
        vid = market.instruments["venue_id"].to_numpy(np.int32)
        d = run.orders["origin"] == OrderOrigin.DESK
        run.orders["venue"][d] = vid[run.orders["instrument"][d]]
    desk = run.outcome(state, market, 0)
    execs = execs[:nx]
    return take_records(execs, time_then_id_order(execs["ts"], execs["order_id"])), desk


class _Setup:
    """The venue's per-order arrays, as :func:`tradeflow._session_pool.with_pool` extends them."""

    def __init__(self, *, kind, level, reachable):
        self.kind, self.level, self.reachable = kind, level, reachable


def _loop(args: tuple):
    """Run the replay session loop with the strategy's callback typed as a first-class function (one
    compilation per (ctx, state) type, cached on disk; see :func:`tradeflow.session._strategy_loop`)."""
    tys = [numba.typeof(a) for a in args]
    tys[13] = numba.types.FunctionType(numba.types.none(tys[12], tys[14], numba.types.int64, numba.types.int64,
                                                        numba.types.int64))
    key = tuple(tys)
    entry = _LOOPS.get(key)
    if entry is None:
        entry = _LOOPS[key] = _k.replay_session_loop_nb.compile(key)
    return entry(*args)
