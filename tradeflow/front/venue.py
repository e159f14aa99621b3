"""The book venue: client orders matched in a limit order book kept liquid by zero-intelligence flow.

Each instrument has its own price-time-priority book (:func:`tradeflow.front.orderbook.run_book`).
Background liquidity follows the Santa Fe zero-intelligence model (Farmer, Patelli & Zovko 2005)
anchored to the simulated fair price: limit orders placed up to ``book_depth_ticks`` from the fair
price, market orders, and cancels at a constant per-order hazard. When the fair price moves, new
background orders cross the stale side of the book, so the book follows the fair price while
spreads, depth and immediate impact emerge from the matching. With ``ExecutionConfig.impact`` the
anchor is the fair price plus the transient impact of the client orders that took liquidity (a
propagator, :mod:`tradeflow.front.impact`), so metaorders move the price as the square-root law says.

:func:`run_venue` runs the books alone, one instrument after the other, for the orders it is
told were sent; :func:`tradeflow.session.run_session` runs them with the desk, order by order,
so only orders the middle office accepts reach a book. Both draw the same randomness
(:func:`venue_setup`) and share the book kernels, so for the orders the desk accepted they
produce the same executions and quotes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tradeflow.config import ExecutionConfig
from tradeflow.core.merge import time_then_id_order
from tradeflow.core.records import take_records
from tradeflow.front import _kernels
from tradeflow.front._record_kernels import quote_records_nb
from tradeflow.front.impact import TransientImpact, transient_impact
from tradeflow.front.orderbook import BookEvent, run_book
from tradeflow.market.paths import MarketData
from tradeflow.schema import EXECUTION_DT, QUOTE_DT, OrderOrigin, OrderType, TimeInForce

__all__ = ["VenueOutcome", "VenueSetup", "run_venue", "venue_setup", "venue_quotes", "venue_shut", "background_flow"]

_LOT = 100
_MARGIN_DEPTHS = 10  # price levels beyond the day's fair range, in units of book_depth_ticks
_MARGIN_SHARE = 0.05  # ... and at least this share of the price


@dataclass(frozen=True, slots=True)
class VenueOutcome:
    """What the venue did with one session's client orders.

    Attributes
    ----------
    orders : ORDER_DT records
        The input orders with ``ts_cancel`` set where the venue ends them: market, IOC and
        FOK orders at their arrival at the venue (after latency), client cancels no earlier
        than that.
    executions : EXECUTION_DT records sorted by (ts, order_id)
    quotes : QUOTE_DT records
        Top of each instrument's book at every grid time, and the volume traded until the next.
    impact : float64 ndarray of shape (n_instruments, n_steps)
        Transient impact of client flow on the anchor of background liquidity at each grid
        time, in price units (zeros with ``ExecutionConfig.impact`` off).
    trades : TRADE_DT records, optional
        The tape: every trade on every book in time order (the desk session records it).
    depth : DEPTH_DT records, optional
        The books' best levels on the depth grid, long format.
    """

    orders: np.ndarray
    executions: np.ndarray
    quotes: np.ndarray
    impact: np.ndarray | None = None
    trades: np.ndarray | None = None
    depth: np.ndarray | None = None


def book_depth(fair_ticks: np.ndarray, cfg: ExecutionConfig) -> int:
    """Ticks from the fair price that background limits reach: ``book_depth_ticks``, or three
    standard moves of the fair price per grid step if that is more (fast or fine-ticked names)."""
    move = float(np.std(np.diff(fair_ticks))) if fair_ticks.size > 2 else 0.0
    return max(cfg.book_depth_ticks, int(np.ceil(3.0 * move)))


_SHAPES = {"flat": _kernels.SHAPE_FLAT, "linear": _kernels.SHAPE_LINEAR, "power": _kernels.SHAPE_POWER}
_VOL_WINDOW = 301  # grid steps of the centred window of the fair price's local volatility
_MIN_SCALE = 0.05  # ticks: the placement scale of a still fair price
_ROW_DTYPES = (("ts", np.int64), ("kind", np.int8), ("side", np.int8), ("price", np.int64), ("qty", np.int64),
               ("u", np.float64))  # a background event's fields
_REQUOTE_LATENCY_NS = 50_000  # market makers requote 50 us (on average) after the fair price moves


def local_volatility(fair_ticks: np.ndarray) -> np.ndarray:
    """The fair price's local volatility per grid step (ticks): the root mean square of its changes
    over a centred window of ``_VOL_WINDOW`` steps."""
    n = fair_ticks.shape[0]
    if n < 2:
        return np.zeros(n)
    d2 = np.concatenate([[0.0], np.diff(np.asarray(fair_ticks, np.float64)) ** 2])
    d2[0] = d2[1]
    c = np.concatenate([[0.0], np.cumsum(d2)])
    h = _VOL_WINDOW // 2
    lo = np.maximum(np.arange(n) - h, 0)
    hi = np.minimum(np.arange(n) + h + 1, n)
    return np.sqrt((c[hi] - c[lo]) / (hi - lo))


_OPEN_HALFLIFE_S = 900.0  # the makers' opening widening halves every 15 minutes of the session


def opening_factor(n_steps: int, step_s: float, cfg: ExecutionConfig) -> np.ndarray:
    """The makers' width multiplier at each grid step of a session: ``1 + (book_open_width - 1) *
    2 ** (-t / 15 min)``, ``t`` the time since the open. Spreads are widest at the open, where
    adverse selection is highest while the price is being discovered (Madhavan, Richardson &
    Roomans 1997; McInish & Wood 1992), beyond what the open's higher volatility alone gives."""
    t = np.arange(n_steps) * step_s
    return 1.0 + (cfg.book_open_width - 1.0) * np.exp2(-t / _OPEN_HALFLIFE_S)


def quote_width(fair_ticks: np.ndarray, cfg: ExecutionConfig, u: np.ndarray,
                opening: np.ndarray | float = 1.0, *, vol: np.ndarray | None = None) -> np.ndarray:
    """Ticks from the fair price at which the market makers requote at each grid step:
    ``1 + floor(book_quote_width * local volatility * opening + u)`` (``u`` uniform: a mean of ``1 +
    book_quote_width * local volatility * opening`` ticks; 1: the ticks around the fair price;
    ``opening``: :func:`opening_factor`). ``vol``: :func:`local_volatility` of ``fair_ticks`` if the
    caller has it."""
    vol = local_volatility(fair_ticks) if vol is None else vol
    return 1 + np.floor(cfg.book_quote_width * vol * opening + u).astype(np.int64)


def placement_scale(fair_ticks: np.ndarray, cfg: ExecutionConfig, *, vol: np.ndarray | None = None) -> np.ndarray:
    """Scale (ticks) of the power-law placement at each grid step: ``book_placement_scale`` times the
    fair price's local volatility per step (root mean square of its changes over a centred window
    of ``_VOL_WINDOW`` steps), at least ``_MIN_SCALE``.

    Quotes thus sit further from the fair price when it moves faster (at the open, in a GARCH
    burst) and, in ticks, closer for a large-tick instrument: spreads and touch depth respond to
    volatility and tick size. ``vol``: :func:`local_volatility` of ``fair_ticks`` if the caller has it.
    """
    vol = local_volatility(fair_ticks) if vol is None else vol
    return np.maximum(cfg.book_placement_scale * vol, _MIN_SCALE)


def background_flow(rng: np.random.Generator, *, fair_ticks: np.ndarray, times: np.ndarray, profile: np.ndarray,
                    cfg: ExecutionConfig, lo: int, time_order: bool = True) -> dict[str, np.ndarray]:
    """Draw one instrument's zero-intelligence background events for a session.

    Event times are a Poisson process whose intensity follows ``profile`` (drawn as sorted
    uniforms, by normalized cumulative exponentials, mapped through the profile's inverse
    cumulative). Limit prices sit ``k`` ticks behind the fair price at the event, ``k`` in
    ``1..book_depth_ticks``: power-law in ``k`` on the scale :func:`placement_scale` (``book_shape=
    "power"``, the default), rising linearly in ``k`` (``"linear"``) or uniform (``"flat"``). Sizes
    are 100 shares times a geometric number of lots (mean ``book_order_lots``). The book opens
    populated: the flow starts ``3 * book_lifetime_seconds`` before the open at the opening fair price.

    With ``time_order`` False the market makers' requotes come first, then the rest of the flow,
    each part in time order: a stable sort by time of the two parts (or of several books' parts,
    one book after another) puts the requotes first on ties, as the merge here does; a caller
    that merges every book sorts once instead of once per book.

    Returns
    -------
    dict of ``ts, kind, side, price, qty, u`` arrays (price levels above ``lo``; price and size 0 where the
    book reads none: a cancel attempt's, and a market order's price).
    """
    return _background_flow(rng, fair_ticks=fair_ticks, times=times, profile=profile, cfg=cfg, lo=lo,
                            time_order=time_order)


def _preopen_steps(cfg: ExecutionConfig, step_ns: int) -> int:
    """Grid steps of background flow before a book's open: three order lifetimes (the book opens populated)."""
    return int(np.ceil(3 * cfg.book_lifetime_seconds * 1e9 / step_ns))


def _background_flow(rng: np.random.Generator, *, fair_ticks: np.ndarray, times: np.ndarray, profile: np.ndarray,
                     cfg: ExecutionConfig, lo: int, time_order: bool = True,
                     scratch: dict[str, np.ndarray] | None = None,
                     rows: dict | None = None) -> dict[str, np.ndarray]:
    """:func:`background_flow`, its draws written into ``scratch`` (buffers kept, and grown, from one book to
    the next: each fresh buffer's pages are faulted in and zeroed, 12 MB a book on a default day), the same
    draws in the same order. With ``time_order`` False and ``rows`` (``{"arrays": one array a field, "pos":
    the next free row}``) the book's rows are written at ``pos`` when they fit (``pos`` moves past them), so
    the books' rows sit one after another, ready to sort without joining them; else ``rows["joined"]`` is
    set False."""
    step_ns = times[1] - times[0] if times.shape[0] > 1 else np.int64(1_000_000_000)
    d = book_depth(fair_ticks, cfg)
    vol = local_volatility(fair_ticks)  # once for both (about 0.75 ms a book)
    scale = placement_scale(fair_ticks, cfg, vol=vol)
    width = quote_width(fair_ticks, cfg, rng.random(fair_ticks.shape[0]) if cfg.book_quote_lots > 0 else 0.0,
                        opening_factor(fair_ticks.shape[0], step_ns / 1e9, cfg), vol=vol)
    # the book opens already populated: a pre-open stretch of flow at the opening fair price
    m = _preopen_steps(cfg, step_ns)
    times = np.concatenate([times[0] - step_ns * np.arange(m, 0, -1), times])
    profile = np.concatenate([np.ones(m), profile])
    fair_ticks = np.concatenate([np.full(m, fair_ticks[0]), fair_ticks])
    scale = np.concatenate([np.full(m, scale[0]), scale])
    width = np.concatenate([np.full(m, width[0]), width])
    n_steps = times.shape[0]
    span_s = n_steps * step_ns / 1e9
    n = int(rng.poisson(cfg.book_events_per_second * span_s))
    # the makers' requotes (four a grid time) come first in one buffer with the flow: no concatenation
    k = n_steps if cfg.book_quote_lots > 0 else 0
    size = 4 * k + n
    if rows is not None and not time_order and rows["pos"] + size <= rows["arrays"]["ts"].shape[0]:
        buf = {f_: a[rows["pos"]:rows["pos"] + size] for f_, a in rows["arrays"].items()}
        rows["pos"] += size
    else:
        if rows is not None:
            rows["joined"] = False
        buf = {f_: np.empty(size, dt) for f_, dt in _ROW_DTYPES}
    out = {f_: a[4 * k:] for f_, a in buf.items()}
    if scratch is None:
        expo = rng.standard_exponential(n + 1)
        uni = rng.random((5, n))
    else:
        if scratch.get("draws", np.zeros(0)).shape[0] < 6 * n + 1:  # five uniforms and an exponential an event
            scratch["draws"] = np.empty(6 * n + 1 + n // 8)  # and some room: the next book's n is about the same
        expo = rng.standard_exponential(n + 1, out=scratch["draws"][5 * n:6 * n + 1])
        uni = rng.random(out=scratch["draws"][:5 * n].reshape(5, n))
    _kernels.background_events_nb(expo, uni, np.ascontiguousarray(times, np.int64), np.int64(step_ns),
                                  np.ascontiguousarray(profile, np.float64),
                                  np.ascontiguousarray(fair_ticks, np.float64), np.int64(d), _SHAPES[cfg.book_shape],
                                  scale, float(cfg.book_placement_exponent), cfg.book_market_share,
                                  cfg.book_cancel_share,
                                  np.int64(_LOT), 1.0 / cfg.book_order_lots, np.int64(lo), out["ts"], out["kind"],
                                  out["side"], out["price"], out["qty"], out["u"])
    if k > 0:
        # market makers requote after every grid time, just after the fair-price pull: a bid and an ask
        # ``width`` ticks behind the fair price, and two cancel attempts that keep their quotes' life
        f = fair_ticks
        # each requote lands a latency after the grid time (exponential, mean _REQUOTE_LATENCY_NS)
        lag = np.minimum(1 + np.floor(rng.exponential(_REQUOTE_LATENCY_NS, k)).astype(np.int64), step_ns // 2)
        # a grid time four rows: bid, ask, two cancels (the first 4k rows of the buffer, in one pass)
        _kernels.requote_events_nb(np.asarray(times, np.int64), lag, np.ascontiguousarray(f, np.float64), width,
                                   np.int64(lo), np.int64(_LOT * cfg.book_quote_lots), rng.random(2 * k),
                                   buf["ts"], buf["kind"], buf["side"], buf["price"], buf["qty"], buf["u"])
        if not time_order:
            return buf
        order = np.argsort(buf["ts"], kind="stable")
        out = {f_: a[order] for f_, a in buf.items()}
    return out


def session_impact(cfg: ExecutionConfig, *, fair_ticks: np.ndarray, times: np.ndarray, client_qty: float,
                   background: dict[str, np.ndarray]) -> TransientImpact | None:
    """The propagator of one instrument's session, or None with ``cfg.impact`` off.

    ``sigma`` is the realized volatility of the fair price over the session (per-step
    changes scaled to the session's length), in ticks; ``V`` the session's order volume:
    the client orders' quantity plus the background market orders'.
    """
    if not cfg.impact:
        return None
    n = fair_ticks.shape[0]
    sigma = float(np.std(np.diff(fair_ticks)) * np.sqrt(n - 1)) if n > 2 else 0.0
    volume = float(client_qty) + float(_kernels.kind_volume_nb(background["kind"], background["qty"],
                                                               np.int8(BookEvent.MARKET)))
    step_s = (times[1] - times[0]) / 1e9 if n > 1 else 1.0
    return transient_impact(coefficient=cfg.impact_coefficient, beta=cfg.impact_decay_exponent,
                            t0_seconds=cfg.impact_timescale_seconds, horizon_seconds=max(n * step_s, 1.0),
                            daily_volatility_ticks=sigma, daily_volume=volume)


@dataclass(frozen=True, slots=True)
class VenueSetup:
    """Everything the venue draws and derives for one session before any order is matched.

    Attributes
    ----------
    orders : ORDER_DT records
        The session's orders with ``ts_cancel`` set where the venue ends them (see
        :class:`VenueOutcome`).
    venue_ts : int64 ndarray
        When each order reaches the venue (decision time plus latency).
    kind : int8 ndarray
        Each order's book event kind (``BookEvent``).
    level : int64 ndarray
        Each order's limit as a level of its instrument's book (buys rounded down, sells up).
    reachable : bool ndarray
        False for a limit beyond its book's range on its passive side: no flow of the day
        reaches it, so it never enters the book (it ends cancelled or expired).
    lo, n_levels, live_capacity : int64 ndarrays of shape (n_instruments,)
        Each book's lowest price level (in ticks), its number of levels and the size of its
        live list of background orders.
    fair : float64 ndarray of shape (n_instruments, n_steps)
        The fair price in levels of each book on the quote grid.
    background : list of dict
        Each instrument's background events (see :func:`background_flow`, and ``time_order`` below).
    impact : list of TransientImpact or None
        Each instrument's propagator (:func:`session_impact`), None with impact off.
    tick, maker_fee_bps, taker_fee_bps, minor_scale, multiplier
        What prices and fees are made of (a fee is bps of qty x price x contract multiplier).
    reanchor : bool
        ``ExecutionConfig.book_reanchor``: the books' pull re-anchors the side the fair price left.
    background_rows : dict
        With ``time_order`` False, when every book's rows sit one after another in one array a field
        (``background`` holds views of them): those arrays, book after book; else empty. The session
        sorts them as they are and empties the dict.
    """

    orders: np.ndarray
    venue_ts: np.ndarray
    kind: np.ndarray
    level: np.ndarray
    reachable: np.ndarray
    lo: np.ndarray
    n_levels: np.ndarray
    live_capacity: np.ndarray
    fair: np.ndarray
    background: list
    impact: list
    tick: np.ndarray
    maker_fee_bps: float
    taker_fee_bps: float
    minor_scale: np.ndarray
    multiplier: np.ndarray
    reanchor: bool = True
    background_rows: dict = field(default_factory=dict)


def venue_setup(orders: np.ndarray, market: MarketData, cfg: ExecutionConfig, minor_scale: np.ndarray,
                rng: np.random.Generator, *, time_order: bool = True) -> VenueSetup:
    """Draw the session's latencies and background liquidity and place each order on its book's grid.

    The draws come from ``rng`` in a fixed order (latencies, then each instrument's
    background flow) that does not depend on which orders the desk lets out. ``time_order``
    is :func:`background_flow`'s: False leaves each book's events in two time-ordered parts
    for a caller that sorts every book's events at once.
    """
    orders = orders.copy()
    n = orders.shape[0]
    inst = market.instruments
    tick = inst["tick_size"].to_numpy(np.float64)
    n_inst = market.n_instruments
    profile = market.profile if market.profile is not None else np.ones(market.n_steps)
    latency = np.int64(round(cfg.latency_us * 1e3)) + (
        rng.exponential(cfg.latency_jitter_us * 1e3, n).astype(np.int64) if cfg.latency_jitter_us > 0
        else np.zeros(n, np.int64))
    venue_ts = orders["ts"] + latency
    is_market = orders["order_type"] == OrderType.MARKET
    tif = orders["tif"]
    immediate = is_market | (tif == TimeInForce.IOC) | (tif == TimeInForce.FOK)
    # the venue ends what it does not rest at arrival; a client cancel cannot beat its order there
    has_cancel = orders["ts_cancel"] >= 0
    orders["ts_cancel"] = np.where(immediate, venue_ts,
                                   np.where(has_cancel, np.maximum(orders["ts_cancel"], venue_ts), -1))
    kind = np.where(is_market, BookEvent.MARKET,
                    np.where(tif == TimeInForce.IOC, BookEvent.IOC,
                             np.where(tif == TimeInForce.FOK, BookEvent.FOK, BookEvent.LIMIT))).astype(np.int8)
    fair = market.mid / tick[:, None]
    lo_all = np.zeros(n_inst, np.int64)
    n_levels = np.zeros(n_inst, np.int64)
    capacity = np.zeros(n_inst, np.int64)
    background = []
    impact = []
    scratch: dict[str, np.ndarray] = {}  # the books' draws, one buffer for all
    rows = None if time_order else _shared_rows(market, cfg)
    oinst = np.ascontiguousarray(orders["instrument"], np.int64)
    # the clients' volume per book: a cancel/replace re-sends what its original has left, so it is not
    # counted again (one pass over the orders, not one per book; integer sums, exact in float64)
    fresh_qty = np.bincount(oinst, weights=np.where(orders["origin"] != OrderOrigin.REPLACE, orders["qty"], 0),
                            minlength=n_inst)
    step_s = (market.times[1] - market.times[0]) / 1e9 if market.n_steps > 1 else 1.0
    r_per_s = cfg.book_events_per_second * cfg.book_cancel_share + (2.0 / step_s if cfg.book_quote_lots > 0 else 0.0)
    for i in range(n_inst):
        depth = book_depth(fair[i], cfg)
        margin = max((_MARGIN_DEPTHS + 1) * depth, int(_MARGIN_SHARE * fair[i].max()))
        lo = max(int(np.floor(fair[i].min())) - margin, 1)
        hi = int(np.ceil(fair[i].max())) + margin
        lo_all[i] = lo
        n_levels[i] = hi - lo + 1
        # the background flow runs in the instrument's own venue session (none on its venue's holiday)
        w = market.session_steps(i)
        if w[1] - w[0] >= 2:
            bg = _background_flow(rng, fair_ticks=fair[i, w[0]:w[1]], times=market.times[w[0]:w[1]],
                                  profile=_window_profile(profile, market, w), cfg=cfg, lo=lo, time_order=time_order,
                                  scratch=scratch, rows=rows)
        else:
            bg = {f: np.zeros(0, dt) for f, dt in _ROW_DTYPES}
        if market.break_start is not None and market.break_start[i] >= 0:  # none in its venue's lunch break
            out = (bg["ts"] >= market.break_start[i]) & (bg["ts"] < market.break_end[i])
            if out.any():
                bg = {f: a[~out] for f, a in bg.items()}
                if rows is not None:
                    rows["joined"] = False
        np.clip(bg["price"], 0, n_levels[i] - 1, out=bg["price"])
        background.append(bg)
        impact.append(session_impact(cfg, fair_ticks=fair[i, w[0]:max(w[1], w[0] + 1)],
                                     times=market.times[w[0]:max(w[1], w[0] + 1)], background=bg,
                                     client_qty=float(fresh_qty[i])))
        capacity[i] = max(int(round(r_per_s * cfg.book_lifetime_seconds)), 1)
    # every order's limit as a level of its book, all books at once
    lo_o = lo_all[oinst]
    hi_o = lo_o + n_levels[oinst] - 1
    side = orders["side"]
    lim = orders["limit_price"] / tick[oinst]
    # limits onto the tick grid away from the market (buy down, sell up)
    lvl = np.where(side > 0, np.floor(lim + 1e-9), np.ceil(lim - 1e-9))
    lvl = np.where(np.isnan(lvl), lo_o, lvl)
    # a limit beyond the range on its passive side (a buy below it, a sell above) is out of reach
    # of any flow the day sees: it rests unseen and ends cancelled or expired. One beyond the range
    # on the aggressive side is capped at the range's end, which it can only fill better than.
    reachable = ~(np.where(side > 0, lvl < lo_o, lvl > hi_o) & (kind != BookEvent.MARKET))
    level = np.clip(lvl, lo_o, hi_o).astype(np.int64) - lo_o
    joined = {} if rows is None or not rows["joined"] else {f: a[:rows["pos"]] for f, a in rows["arrays"].items()}
    return VenueSetup(orders=orders, venue_ts=venue_ts, kind=kind, level=level, reachable=reachable, lo=lo_all,
                      n_levels=n_levels, live_capacity=capacity, fair=fair, background=background, impact=impact,
                      background_rows=joined,
                      tick=tick,
                      maker_fee_bps=cfg.maker_fee_bps, taker_fee_bps=cfg.taker_fee_bps,
                      minor_scale=np.asarray(minor_scale, np.float64),
                      multiplier=inst["multiplier"].to_numpy(np.float64) if "multiplier" in inst
                      else np.ones(n_inst), reanchor=cfg.book_reanchor)


def _shared_rows(market: MarketData, cfg: ExecutionConfig) -> dict:
    """One array a field for every book's background rows, one book after another (see
    :func:`_background_flow`): room for each book's requotes and its expected flow plus eight standard
    deviations. Allocated, not touched: only the rows written take memory."""
    step_ns = int(market.times[1] - market.times[0]) if market.n_steps > 1 else 1_000_000_000
    m = _preopen_steps(cfg, step_ns)
    room = 0
    for i in range(market.n_instruments):
        w = market.session_steps(i)
        if w[1] - w[0] >= 2:
            steps = w[1] - w[0] + m
            mean = cfg.book_events_per_second * steps * step_ns / 1e9
            room += (4 * steps if cfg.book_quote_lots > 0 else 0) + int(mean + 8 * np.sqrt(mean)) + 64
    return {"arrays": {f: np.empty(room, dt) for f, dt in _ROW_DTYPES}, "pos": 0, "joined": True}


def _window_profile(profile: np.ndarray, market: MarketData, w: tuple[int, int]) -> np.ndarray:
    """The desk's profile over the window: unchanged without venue sessions; the same U-shape fitted to the
    window (in the venue's own session time, mean 1) with them."""
    if market.session_open is None:
        return profile[w[0]:w[1]]
    n = w[1] - w[0]
    k = np.minimum((np.arange(n) + 0.5) / n * profile.shape[0], profile.shape[0] - 1).astype(np.int64)
    p = profile[k]
    return p / p.mean()


def venue_quotes(market: MarketData, setup: VenueSetup, bid: np.ndarray, ask: np.ndarray, bid_qty: np.ndarray,
                 ask_qty: np.ndarray, volume: np.ndarray, trades: np.ndarray) -> np.ndarray:
    """QUOTE_DT records sorted by (ts, instrument) from per-instrument book snapshots of shape
    (n_steps, n_instruments), levels as recorded (-1: empty side).

    A book whose venue is shut (before its open, from its close, in its lunch break, all day on
    its holiday) shows no quote: ``bid``/``ask`` NaN, quantities 0 (its volume and trades stay, 0).
    The orders resting in it are still there when it reopens; the desk's marks are the fair
    price's (``market.mid``), which holds its last value while the venue is shut."""
    quotes = np.zeros(market.n_steps * market.n_instruments, dtype=QUOTE_DT)  # zeros: the padding too
    shut = venue_shut(market) if market.session_open is not None else np.zeros((0, 0), bool)
    quote_records_nb(np.asarray(market.times, np.int64), bid.T, ask.T, bid_qty.T, ask_qty.T, volume.T, trades.T,
                     np.asarray(setup.lo, np.int64), np.asarray(setup.tick, np.float64), shut, quotes)
    return quotes


def venue_shut(market: MarketData) -> np.ndarray:
    """Bool array of shape (n_steps, n_instruments): the instrument's venue is shut at the grid time (before
    its open, from its close, in its lunch break, all day on its holiday); all False without venue sessions."""
    if market.session_open is None:
        return np.zeros((market.n_steps, market.n_instruments), bool)
    # each book's hours are a stretch of the (sorted) grid, less its break: slices, not a grid-sized compare
    shut = np.ones((market.n_steps, market.n_instruments), bool)
    times = market.times
    for i in range(market.n_instruments):
        a, b = np.searchsorted(times, (market.session_open[i], market.session_close[i]))
        shut[a:b, i] = False
        if market.break_start is not None and market.break_start[i] >= 0:
            c, d = np.searchsorted(times, (market.break_start[i], market.break_end[i]))
            shut[c:d, i] = True
    return shut


def run_venue(orders: np.ndarray, market: MarketData, cfg: ExecutionConfig, minor_scale: np.ndarray,
              rng: np.random.Generator, *, sent: np.ndarray | None = None) -> VenueOutcome:
    """Match one session's client orders in a limit order book per instrument.

    The books run one after the other, each over the whole session, with every order in
    ``sent``: the desk's decisions are taken as given. :func:`tradeflow.session.run_session`
    runs the books and the desk together, order by order, instead.

    Parameters
    ----------
    orders : ndarray of ORDER_DT
        The session's client orders sorted by ``ts``.
    market : MarketData
        The session's fair prices (``mid``), grid and intraday profile.
    cfg : ExecutionConfig
    minor_scale : float64 ndarray of shape (n_instruments,)
        10 ** minor units of each instrument's currency; fees are rounded to it.
    rng : numpy.random.Generator
        The execution stream (latency and background liquidity).
    sent : bool ndarray of shape (n_orders,), optional
        Which orders the desk lets out (default: all). An order not sent never reaches the
        book and has no executions. The random draws do not depend on ``sent``: the same
        stream state gives the same latencies and background flow whatever the mask.

    Returns
    -------
    VenueOutcome
    """
    n = orders.shape[0]
    if sent is None:
        sent = np.ones(n, bool)
    sent = np.asarray(sent, dtype=bool)
    if sent.shape != (n,):
        raise ValueError(f"'sent' must be a bool mask of shape ({n},). Got shape {sent.shape} instead.")
    setup = venue_setup(orders, market, cfg, minor_scale, rng)
    orders = setup.orders
    n_inst = market.n_instruments
    cancel_rows = np.flatnonzero((orders["ts_cancel"] >= 0) & (setup.kind == BookEvent.LIMIT))
    ev_inst = np.concatenate([orders["instrument"], orders["instrument"][cancel_rows]]).astype(np.int64)
    ev_ts = np.concatenate([setup.venue_ts, orders["ts_cancel"][cancel_rows]])
    ev_cancel = np.concatenate([np.zeros(n, np.int8), np.ones(cancel_rows.size, np.int8)])
    ev_row = np.concatenate([np.arange(n), cancel_rows]).astype(np.int64)
    order_ = np.lexsort((ev_row, ev_cancel, ev_ts, ev_inst))
    ev_inst, ev_ts, ev_cancel, ev_row = ev_inst[order_], ev_ts[order_], ev_cancel[order_], ev_row[order_]
    bounds = np.searchsorted(ev_inst, np.arange(n_inst + 1))
    x_parts = []
    impact = np.zeros((n_inst, market.n_steps))
    snaps = {k: np.zeros((market.n_steps, n_inst), np.int64) for k in ("bid", "ask", "bid_qty", "ask_qty",
                                                                        "volume", "trades")}
    for i in range(n_inst):
        sl = slice(bounds[i], bounds[i + 1])
        rows = ev_row[sl]
        keep = setup.reachable[rows] & sent[rows]
        cl = {"ts": ev_ts[sl][keep],
              "kind": np.where(ev_cancel[sl] == 1, BookEvent.CANCEL, setup.kind[rows]).astype(np.int8)[keep],
              "side": orders["side"][rows].astype(np.int8)[keep], "price": setup.level[rows][keep],
              "qty": np.maximum(orders["qty"][rows], 1)[keep], "ref": rows[keep]}
        run = run_book(background=setup.background[i], client=cl, n_levels=int(setup.n_levels[i]), n_client_rows=n,
                       snap_ts=market.times, live_capacity=int(setup.live_capacity[i]),
                       snap_fair=setup.fair[i] - setup.lo[i], check=False, impact=setup.impact[i],
                       reanchor=setup.reanchor)
        tick, lo = setup.tick[i], setup.lo[i]
        impact[i] = run.impact * tick
        x = np.zeros(run.exec_ref.shape[0], dtype=EXECUTION_DT)
        x["order_id"] = orders["order_id"][run.exec_ref]
        x["ts"] = run.exec_ts
        x["qty"] = run.exec_qty
        x["price"] = (run.exec_level + lo) * tick
        x["liquidity"] = run.exec_liquidity
        x["arrival_mid"] = (run.arrival_mid[run.exec_ref] + lo) * tick
        bps = np.where(run.exec_liquidity == 1, setup.taker_fee_bps, setup.maker_fee_bps)
        x["fee"] = np.rint(x["qty"] * x["price"] * setup.multiplier[i] * bps * 1e-4 * setup.minor_scale[i]) \
            / setup.minor_scale[i]
        x_parts.append(x)
        for k, v in (("bid", run.bid), ("ask", run.ask), ("bid_qty", run.bid_qty), ("ask_qty", run.ask_qty),
                     ("volume", run.volume), ("trades", run.trades)):
            snaps[k][:, i] = v
    execs = np.concatenate(x_parts) if x_parts else np.zeros(0, EXECUTION_DT)
    execs = take_records(execs, time_then_id_order(execs["ts"], execs["order_id"]))
    return VenueOutcome(orders=orders, executions=execs, quotes=venue_quotes(market, setup, **snaps), impact=impact)
