"""Client order flow: Hawkes or Poisson arrivals of market and limit orders from clients, traders and books."""

from __future__ import annotations

import numpy as np

from tradeflow.config import FlowConfig
from tradeflow.core.records import take_records
from tradeflow.front import _kernels
from tradeflow.front.algos import child_orders, make_parents
from tradeflow.front.clients import client_profiles, metaorder_ids, order_sizes
from tradeflow.front.hawkes import hawkes_arrivals, poisson_arrivals
from tradeflow.market.paths import MarketData
from tradeflow.schema import ALGO_PARENT_DT, ORDER_DT, OrderOrigin, OrderStatus, OrderType, RejectReason, TimeInForce

__all__ = ["generate_orders", "generate_flow", "client_assignments"]


def client_assignments(cfg: FlowConfig) -> tuple[np.ndarray, np.ndarray]:
    """Who covers whom: the trader of each client and the book of each trader.

    Returns
    -------
    trader_of_client : int32 ndarray of shape (n_clients,)
    book_of_trader : int32 ndarray of shape (n_traders,)
    """
    trader_of_client = (np.arange(cfg.n_clients) % cfg.n_traders).astype(np.int32)
    book_of_trader = (np.arange(cfg.n_traders) % cfg.n_books).astype(np.int32)
    return trader_of_client, book_of_trader


def generate_orders(cfg: FlowConfig, market: MarketData, rng: np.random.Generator, *,
                    first_order_id: int = 0, positions: np.ndarray | None = None) -> np.ndarray:
    """Draw one session of client orders (the orders of :func:`generate_flow`, algo children included)."""
    return generate_flow(cfg, market, rng, first_order_id=first_order_id, positions=positions)[0]


def generate_flow(cfg: FlowConfig, market: MarketData, rng: np.random.Generator, *,
                  first_order_id: int = 0, first_parent_id: int = 0,
                  positions: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw one session of client orders and algo parents.

    Arrivals are a Hawkes (default) or Poisson process following the market's intraday
    profile. Each order comes from a client (Zipf-active, with its own aggressiveness,
    limit offset and cancel habit, see :func:`~tradeflow.front.clients.client_profiles`);
    its trader and book follow from the client. With ``side_persistence`` a client works
    metaorders (runs of same-side orders in one instrument), which gives order signs long
    memory; metaorders lean against the inventory of their book (the ``positions`` carried
    from earlier sessions plus what the session's earlier metaorders would add), so positions
    stay bounded over a multi-day run. Sizes are power-law (or log-normal) with round-lot spikes. Limit orders sit a
    normal number of bps behind the mid (some are marketable); some are IOC or FOK; some
    day limits are later cancelled (``ts_cancel``) or replaced (a new order whose
    ``parent_id`` is the replaced one). A small share of orders are fat-fingered (size
    x100 or price 10% through the market). A share ``algo_share`` of the plain day orders
    arrive instead as TWAP/VWAP parents (:mod:`tradeflow.front.algos`) whose child orders
    (``origin`` = ALGO_CHILD, ``parent_id`` = the parent) join the orders.

    Parameters
    ----------
    cfg : FlowConfig
    market : MarketData
        Supplies the session grid, mids (the reference price), profile and tick/lot sizes.
    rng : numpy.random.Generator
        The flow's own stream.
    first_order_id : int, default=0
        Id of the first order (ids run on across the days of a run).
    first_parent_id : int, default=0
        Id of the first algo parent (parents have their own id space).
    positions : float ndarray of shape (n_books, n_instruments), optional
        The desk's positions (shares) entering the session, e.g. ``DeskState.pos``; metaorders
        lean against them. ``None``: flat books (the first day of a run).

    Returns
    -------
    orders : ndarray of ORDER_DT, sorted by ``ts``, ``order_id`` = ``first_order_id`` + position,
        ``venue`` = the instrument's listing venue (its index in ``MarketConfig.venues``).
    parents : ndarray of ALGO_PARENT_DT, sorted by ``ts``, ``parent_id`` = ``first_parent_id`` + position.
    """
    inst = market.instruments
    inventory = _carried_inventory(positions, cfg.n_books, len(inst))
    t0 = market.times[0]
    step_ns = int(market.times[1] - market.times[0]) if market.n_steps > 1 else 1_000_000_000
    profile = market.profile if market.profile is not None else np.ones(market.n_steps)
    if cfg.arrivals == "hawkes":
        sec = hawkes_arrivals(rng, expected=cfg.orders_per_day, profile=profile, step_s=step_ns / 1e9,
                              branching=cfg.hawkes_branching, decay_s=cfg.hawkes_decay_seconds)
    else:
        sec = poisson_arrivals(rng, expected=cfg.orders_per_day, profile=profile, step_s=step_ns / 1e9)
    last = market.times[-1]
    ts = np.minimum(t0 + np.floor(sec * 1e9).astype(np.int64), last)
    n = ts.shape[0]
    weights = inst["weight"].to_numpy(np.float64)
    if market.session_open is not None:
        # venues closed today (a holiday) get no flow; the day's order count shrinks with their weight
        open_w = np.where(market.session_open >= 0, weights, 0.0)
        if open_w.sum() < weights.sum():
            keep = rng.random(n) < open_w.sum() / weights.sum()
            ts, weights = ts[keep], open_w
            n = ts.shape[0]
    if n == 0:
        return np.zeros(0, dtype=ORDER_DT), np.zeros(0, dtype=ALGO_PARENT_DT)
    clients = client_profiles(cfg)
    if weights.sum() <= 0:
        weights = np.ones_like(weights)
    p_inst = weights / weights.sum()
    client = rng.choice(cfg.n_clients, size=n, p=clients.activity).astype(np.int32)
    trader_of_client, book_of_trader = client_assignments(cfg)
    trader = trader_of_client[client]
    book = book_of_trader[trader]
    raw = order_sizes(rng, cfg, n)
    if cfg.side_persistence:
        meta = metaorder_ids(rng, client, cfg.n_clients, tail=cfg.metaorder_tail, max_len=cfg.metaorder_max)
        n_meta = int(meta.max()) + 1
        meta_inst = rng.choice(len(weights), size=n_meta, p=p_inst).astype(np.int64)
        instrument = meta_inst[meta].astype(np.int32)
        first = np.full(n_meta, n, np.int64)
        np.minimum.at(first, meta, np.arange(n))
        meta_book = np.zeros(n_meta, np.int64)
        meta_book[meta] = book
        meta_qty = np.bincount(meta, weights=raw, minlength=n_meta)
        meta_side = np.empty(n_meta, np.int64)
        _kernels.lean_sides_nb(np.argsort(first, kind="stable"), meta_book, meta_inst, meta_qty,
                               rng.random(n_meta), float(cfg.target_position_qty), inventory, meta_side)
        side = meta_side[meta].astype(np.int8)
    else:
        instrument = rng.choice(len(weights), size=n, p=p_inst).astype(np.int32)
        side = np.where(rng.random(n) < 0.5, 1, -1).astype(np.int8)
    if market.session_open is not None:
        # each order arrives at the same point of its venue's session as of the desk's (the profile's U-shape
        # in every venue's own hours); ``last`` becomes each order's latest time
        ts = market.session_fraction_to_ts((ts - t0) / max(float(last - t0 + 1), 1.0), instrument)
        last = market.last_ts(instrument)
    counterparty = rng.integers(0, cfg.n_counterparties, size=n).astype(np.int32)
    is_market = rng.random(n) < clients.aggressiveness[client]

    step = market.step_of(ts)
    mean_off = clients.offset_bps[client]
    # the draws, in their order; the records from them in one pass (client_order_records_nb: the numpy
    # expressions it replaced, element by element, made some thirty temporaries of the orders' size)
    off_draw = rng.normal(mean_off, np.maximum(np.abs(mean_off), 1.0))
    u_fat = rng.random(n)
    u_fat_size = rng.random(n)
    u_tif = rng.random(n)
    u_cancel = rng.random(n)
    after_draw = rng.exponential(cfg.cancel_after_seconds, n)
    orders = np.zeros(n, dtype=ORDER_DT)
    replaced = np.empty(n, bool)
    codes = np.array([OrderType.MARKET, OrderType.LIMIT, TimeInForce.DAY, TimeInForce.IOC, TimeInForce.FOK,
                      OrderOrigin.CLIENT], np.int64)
    i32 = [a.astype(np.int32, copy=False) for a in (instrument, client, trader, book, counterparty)]
    _kernels.client_order_records_nb(
        np.ascontiguousarray(ts, np.int64), *i32, side, is_market, raw, np.asarray(step, np.int64), market.mid,
        inst["lot_size"].to_numpy(np.int64), inst["tick_size"].to_numpy(np.float64), clients.cancel_rate, off_draw,
        u_fat, u_fat_size, u_tif, u_cancel, after_draw, np.broadcast_to(np.asarray(last, np.int64), (n,)),
        float(cfg.fat_finger_rate), float(cfg.ioc_share), float(cfg.fok_share), float(cfg.replace_rate), codes,
        orders, replaced)

    # cancel/replace: a new order at the replace time, re-priced halfway to the mid
    rep = take_records(orders, np.flatnonzero(replaced))
    if rep.size:
        rstep = market.step_of(rep["ts_cancel"])
        rref = market.mid[rep["instrument"], rstep]
        rtick = inst["tick_size"].to_numpy(np.float64)[rep["instrument"]]
        rep["parent_id"] = rep["order_id"]
        rep["origin"] = OrderOrigin.REPLACE
        rep["ts"] = rep["ts_cancel"]
        rep["ts_cancel"] = -1
        rep["ref_price"] = rref
        rep["limit_price"] = _limit_on_grid(0.5 * (rep["limit_price"] + rref), rep["side"], rtick)
        rep["order_id"] = n + np.arange(rep.size)
    # algo parents: a share of the plain day orders (never cancelled or replaced) become parents
    parents = np.zeros(0, dtype=ALGO_PARENT_DT)
    kids = orders[:0]
    n_all = n + rep.size  # the day orders, then their replacements (never plain), then the children
    if cfg.algo_share > 0:
        plain = np.flatnonzero((orders["origin"] == OrderOrigin.CLIENT) & (orders["ts_cancel"] < 0)
                               & (orders["tif"] == TimeInForce.DAY))
        pick = plain[rng.random(plain.size) < cfg.algo_share]
        parents = make_parents(take_records(orders, pick), market, rng, vwap_share=cfg.vwap_share,
                               duration_minutes=cfg.algo_duration_minutes,
                               size_multiplier=cfg.algo_size_multiplier, first_parent_id=first_parent_id)
        kids = child_orders(parents, market, cfg.algo_slices, first_temp_id=n_all)
        keep = np.ones(n_all + kids.size, bool)
        keep[pick] = False  # the parents' own orders leave; their children arrive in time order below
        rows = np.flatnonzero(keep)
    else:
        rows = np.arange(n_all)
    # the three parts in time order (ties keep the order above), gathered, renumbered and sent to their
    # venues by one kernel: no join of the parts (two fresh copies of the day's orders), no field-by-field
    # passes over the records after the gather
    ts_all = np.concatenate([orders["ts"], rep["ts"], kids["ts"]])
    order = rows[np.argsort(ts_all[rows], kind="stable")]
    max_id = max(int(p_["order_id"].max()) for p_ in (orders, rep, kids) if p_.size)
    out = np.zeros(order.size, dtype=ORDER_DT)
    _kernels.assemble_orders_nb(*(_words(p_) for p_ in (orders, rep, kids)), order, np.int64(first_order_id),
                                _venue_ids(inst), np.int8(OrderOrigin.REPLACE), np.int8(OrderStatus.NEW),
                                np.int8(RejectReason.NONE), np.full(max_id + 1, -1, np.int64), _words(out), out)
    return out, parents


def _words(records: np.ndarray) -> np.ndarray:
    """C-contiguous records as their ``(n, itemsize // 8)`` uint64 words (ORDER_DT is 8-byte aligned)."""
    return np.ascontiguousarray(records).view(np.uint64).reshape(records.shape[0], records.dtype.itemsize // 8)


def _limit_on_grid(raw: np.ndarray, side: np.ndarray, tick: np.ndarray) -> np.ndarray:
    """Round limits away from the market onto the tick grid (buy down, sell up), at least one tick."""
    ticks = np.where(side > 0, np.floor(raw / tick + 1e-9), np.ceil(raw / tick - 1e-9))
    return np.maximum(ticks, 1.0) * tick


def _venue_ids(inst) -> np.ndarray:
    """Listing venue id of each instrument (0 for a hand-built table without the ``venue_id`` column)."""
    if "venue_id" in inst:
        return inst["venue_id"].to_numpy(np.int32)
    return np.zeros(len(inst), np.int32)


def _carried_inventory(positions: np.ndarray | None, n_books: int, n_inst: int) -> np.ndarray:
    """The books' inventory entering the session as a fresh float64 (n_books, n_inst) array, validated."""
    if positions is None:
        return np.zeros((n_books, n_inst), np.float64)
    pos = np.asarray(positions)
    if pos.shape != (n_books, n_inst) or pos.dtype.kind not in "iuf":
        raise ValueError(f"The 'positions' parameter of generate_flow must be a numeric array of shape "
                         f"(n_books, n_instruments) = ({n_books}, {n_inst}). Got {pos.dtype} of shape {pos.shape} "
                         f"instead.")
    pos = pos.astype(np.float64)  # a copy: the kernel updates it in place
    if not np.all(np.isfinite(pos)):
        raise ValueError("The 'positions' parameter of generate_flow must be finite. Got non-finite entries.")
    return pos
