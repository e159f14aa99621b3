"""Front-office configuration: client order flow and execution at the venue."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tradeflow.config._validate import (
    _coerce_float,
    _fail,
    _finite,
    _positive,
    _positive_int,
    _probability,
)


# --------------------------------------------------------------------------- front office
@dataclass(frozen=True, slots=True, kw_only=True)
class FlowConfig:
    """Client order flow.

    Parameters
    ----------
    orders_per_day : float, default=100_000
        Expected number of client orders in the session (Poisson arrivals).
    n_clients, n_traders, n_books, n_counterparties : int
        Clients send orders; each client is covered by one trader; each trader books
        into one book; executions face one of the street counterparties.
    market_order_share : float, default=0.4
        Probability an order is a market order (otherwise a day limit order).
    limit_offset_bps : float, default=15.0
        Mean distance of a limit price behind the mid, in bps; the offset is normal
        with this mean and standard deviation, so some limits are marketable.
    median_qty : float, default=100
        Median order size in shares (log-normal), rounded to lots.
    qty_sigma : float, default=1.0
        Log-normal shape of order sizes.
    fat_finger_rate : float, default=0.001
        Share of orders keyed wrong (size x100 or price 10% off), which the pre-trade
        checks should stop.
    arrivals : {"hawkes", "poisson"}, default="hawkes"
        Order arrival process; both follow the market's intraday profile. ``"hawkes"``
        has an exponential kernel: each order raises the intensity, so orders cluster.
    hawkes_branching : float, default=0.7
        Expected orders triggered by each order (realistic: 0.5-0.9); must be below 1
        for the process to be stationary.
    hawkes_decay_seconds : float, default=30
        Mean lifetime of an order's excitation (1 / kernel decay rate).
    size_distribution : {"powerlaw", "lognormal"}, default="powerlaw"
        ``"powerlaw"``: Pareto sizes above ``median_qty / 2**(1/size_tail)`` with tail
        exponent ``size_tail``; ``"lognormal"``: median ``median_qty``, shape ``qty_sigma``.
    size_tail : float, default=1.6
        Tail exponent of power-law sizes (empirically 1.2-2.5).
    round_lot_share : float, default=0.4
        Share of orders rounded to a multiple of 100 shares (the round-lot spikes).
    side_persistence : bool, default=True
        Clients work metaorders: runs of same-side orders in one instrument whose lengths
        ``L`` (in orders) are power-law, ``P(L >= l) = l ** -metaorder_tail`` (capped at
        ``metaorder_max``), which gives the order signs long memory: autocorrelation
        decaying as ``lag ** -(tail - 1)`` and Hurst exponent ``(3 - tail) / 2`` (Lillo,
        Mike & Farmer 2005). Off: every order's side is a fair coin.
    metaorder_tail : float, default=1.5
        ``alpha`` in (1, 2).
    metaorder_max : int, default=1_000
        Longest metaorder in orders.
    target_position_qty : float, default=2_000
        Metaorders lean against the inventory their book would build in the instrument:
        against it with probability ``1/2 + min(|inventory| / target, 1) / 2``, so
        positions stay near the desk's limits. The inventory starts each day from the
        positions the desk carries (``DeskState.pos``), so a multi-day run stays bounded.
    ioc_share, fok_share : float, default=0.05, 0.02
        Shares of limit orders sent immediate-or-cancel / fill-or-kill. IOC/FOK need
        ``ExecutionConfig.venue="book"`` (the quote model has no depth and lets them rest).
    cancel_rate : float, default=0.15
        Share of day limit orders the client cancels, after an exponential time of mean
        ``cancel_after_seconds`` (spread +-50% across clients). Higher rates (0.3) thin the
        venue book's heavy tails: 1-min excess kurtosis of book mids falls below 3.
    cancel_after_seconds : float, default=120
    replace_rate : float, default=0.05
        Share of day limit orders the client replaces (cancel/replace, FIX 35=G): the order
        is cancelled and a new one (``origin`` = REPLACE, ``parent_id`` = the replaced order)
        re-priced halfway to the mid, for the same quantity.
    algo_share : float, default=0.02
        Share of client orders (of those neither cancelled, replaced, IOC nor FOK) that arrive
        instead as a parent order worked by an execution algo (TWAP or VWAP), which slices it
        into ``algo_slices`` child orders over its window (``result.parents``). 0 turns algos off.
    vwap_share : float, default=0.5
        Share of algo parents worked by VWAP (slices follow the intraday volume profile); the
        rest by TWAP (equal slices at equal intervals).
    algo_slices : int, default=5
        Child orders per parent (slices of zero lots are dropped).
    algo_duration_minutes : float, default=30
        Mean window of a parent (uniform in 0.5x-1.5x), cut at the session close.
    algo_size_multiplier : float, default=10
        A parent's quantity is this multiple of the client order it replaces (rounded to lots).
    """

    orders_per_day: float = 100_000.0
    n_clients: int = 20
    n_traders: int = 8
    n_books: int = 4
    n_counterparties: int = 5
    market_order_share: float = 0.4
    limit_offset_bps: float = 15.0
    median_qty: float = 100.0
    qty_sigma: float = 1.0
    fat_finger_rate: float = 0.001
    arrivals: str = "hawkes"
    hawkes_branching: float = 0.7
    hawkes_decay_seconds: float = 30.0
    size_distribution: str = "powerlaw"
    size_tail: float = 1.6
    round_lot_share: float = 0.4
    side_persistence: bool = True
    metaorder_tail: float = 1.5
    metaorder_max: int = 1_000
    target_position_qty: float = 2_000.0
    ioc_share: float = 0.05
    fok_share: float = 0.02
    cancel_rate: float = 0.15
    cancel_after_seconds: float = 120.0
    replace_rate: float = 0.05
    algo_share: float = 0.02
    vwap_share: float = 0.5
    algo_slices: int = 5
    algo_duration_minutes: float = 30.0
    algo_size_multiplier: float = 10.0

    def __post_init__(self) -> None:
        _coerce_float(self, "hawkes_branching", "hawkes_decay_seconds", "size_tail", "round_lot_share",
                      "metaorder_tail", "ioc_share", "fok_share", "cancel_rate", "cancel_after_seconds",
                      "replace_rate")
        if self.arrivals not in ("hawkes", "poisson"):
            _fail(self, "arrivals", "one of 'hawkes', 'poisson'", self.arrivals)
        v = self.hawkes_branching
        if not (isinstance(v, float) and math.isfinite(v) and 0.0 <= v < 1.0):
            _fail(self, "hawkes_branching", "in [0, 1): a branching ratio >= 1 makes the Hawkes process explode", v)
        _positive(self, "hawkes_decay_seconds")
        if self.size_distribution not in ("powerlaw", "lognormal"):
            _fail(self, "size_distribution", "one of 'powerlaw', 'lognormal'", self.size_distribution)
        _positive(self, "size_tail")
        _probability(self, "round_lot_share")
        if not isinstance(self.side_persistence, bool):
            _fail(self, "side_persistence", "a bool", self.side_persistence)
        if not (isinstance(self.metaorder_tail, float) and 1.0 < self.metaorder_tail < 2.0):
            _fail(self, "metaorder_tail", "in (1, 2) (P(L >= l) ~ l ** -tail: sign memory with Hurst exponent "
                  "(3 - tail) / 2 in (0.5, 1))", self.metaorder_tail)
        _positive_int(self, "metaorder_max")
        _coerce_float(self, "target_position_qty")
        _positive(self, "target_position_qty")
        _probability(self, "ioc_share")
        _probability(self, "fok_share")
        if self.ioc_share + self.fok_share > 1.0:
            _fail(self, "fok_share", f"at most 1 - ioc_share ({1 - self.ioc_share:.4g})", self.fok_share)
        _probability(self, "cancel_rate")
        _positive(self, "cancel_after_seconds")
        _probability(self, "replace_rate")
        if self.cancel_rate + self.replace_rate > 1.0:
            _fail(self, "replace_rate", f"at most 1 - cancel_rate ({1 - self.cancel_rate:.4g})", self.replace_rate)
        _coerce_float(self, "algo_share", "vwap_share", "algo_duration_minutes", "algo_size_multiplier")
        _probability(self, "algo_share")
        _probability(self, "vwap_share")
        _positive_int(self, "algo_slices")
        _positive(self, "algo_duration_minutes")
        m = self.algo_size_multiplier
        if not (isinstance(m, float) and math.isfinite(m) and m >= 1.0):
            _fail(self, "algo_size_multiplier", "a finite float >= 1", self.algo_size_multiplier)
        _coerce_float(self, "orders_per_day", "limit_offset_bps", "median_qty", "qty_sigma",
                      "market_order_share", "fat_finger_rate")
        _positive(self, "orders_per_day")
        for n in ("n_clients", "n_traders", "n_books", "n_counterparties"):
            _positive_int(self, n)
        if self.n_traders < self.n_books:
            _fail(self, "n_traders", f"at least n_books ({self.n_books}) so every book has a trader",
                  self.n_traders)
        _probability(self, "market_order_share")
        _finite(self, "limit_offset_bps")
        _positive(self, "median_qty")
        _positive(self, "qty_sigma", allow_zero=True)
        _probability(self, "fat_finger_rate")


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionConfig:
    """The execution venue: a limit order book per instrument (default) or a fill-at-quote model.

    Fees are charged in bps of notional and rounded to the currency's minor unit.

    Parameters
    ----------
    taker_fee_bps, maker_fee_bps : float, default=0.3, 0.1
        Fees of executions that take / add liquidity.
    venue : {"book", "quote"}, default="book"
        ``"book"``: a price-time-priority limit order book per instrument, populated by
        zero-intelligence background liquidity around the simulated fair price, run in one
        time order with the desk (:func:`tradeflow.session.run_session`): only orders the
        middle office accepts reach the book, and every fill reaches the desk before the
        next order is checked. ``"quote"``: market orders take the simulated quote, limit
        orders fill in full when the quote trades through them (no impact).
    latency_us : float, default=250
        Constant latency from the desk's decision to the venue, in microseconds.
    latency_jitter_us : float, default=100
        Mean of an exponential jitter added to each order's latency.
    book_events_per_second : float, default=6
        Background events (limit orders, market orders, cancel attempts) per instrument
        per second, on average over the session (modulated by the intraday profile).
    book_depth_ticks : int, default=15
        Background limit orders are placed up to this many ticks from the fair price (at
        least three times the fair price's standard move per grid step).
    book_shape : {"power", "linear", "flat"}, default="power"
        Placement density of background limits against the distance ``d`` from the fair
        price: ``"power"`` (``P(d >= x) = (1 + x / s) ** -book_placement_exponent`` with
        ``s`` = ``book_placement_scale`` times the fair price's local volatility per grid
        step, in ticks: most limits at the touch, a power-law tail behind; Bouchaud, Mezard
        & Potters 2002), ``"linear"`` (rising with distance: a V-shaped book, thin at the
        touch, spreads of several ticks) or ``"flat"`` (uniform). All give concave immediate
        (mechanical) impact; the metaorder impact of client flow comes from ``impact``.
    book_quote_lots : int, default=2
        Market makers requote at every grid time, just after stale quotes are pulled: a bid
        and an ask of this many round lots ``1 + floor(book_quote_width * sigma)`` ticks
        behind the fair price (``sigma`` its local volatility per grid step, in ticks), so
        the touch refills as soon as the fair price moves: spreads of 1-2 ticks for liquid
        names, wider when volatility is high (the open) and for small ticks. 0: off (pure
        zero-intelligence liquidity, spreads of several ticks).
    book_quote_width : float, default=0.4
    book_open_width : float, default=2.0
        The makers' width at the open is this many times what the local volatility gives, the
        excess halving every 15 minutes of the venue's session: spreads are widest at the open
        (adverse selection while the price is discovered), beyond the open's volatility. 1: off
        (2 widens the open's spread on every seed tried; see docs/market.md).
    book_reanchor : bool, default=True
        Background liquidity keeps its distance from the fair price: when the fair price moves
        by ``d`` ticks between grid times, the pull takes not only the quotes it ran through but
        also the background orders less than ``d`` ticks behind it on the side it moved away
        from (placed ``d`` further behind the old fair price than they now are), and each
        market maker's requote replaces its previous quote on that side. Off, those stale
        orders hold the touch on one side while the other follows the fair price: the mid
        lags it by seconds and adds positive autocorrelation to its 10-second returns.
    book_placement_exponent : float, default=0.6
        Tail exponent ``mu`` of the power-law placement (empirically about 0.6).
    book_placement_scale : float, default=3.0
        Scale of the power-law placement in units of the fair price's local volatility per
        grid step (spreads widen with volatility, and sit at one tick for a large tick).
    book_market_share, book_cancel_share : float, default=0.08, 0.42
        Shares of background events that are market orders and cancel attempts (the rest
        are limit orders).
    book_order_lots : float, default=2.0
        Mean size of background orders in round lots of 100 (geometric).
    book_lifetime_seconds : float, default=60
        Mean life of a resting background order before it is cancelled.
    impact : bool, default=True
        Transient impact of client flow (a propagator, :mod:`tradeflow.front.impact`): the
        anchor of background liquidity is the fair price plus an impact state that each
        client order taking ``q`` shares moves by ``side * impact_coefficient * sigma *
        (q / V) ** (1 - impact_decay_exponent)`` (``sigma``, ``V``: the session's volatility
        and volume of the instrument), decaying as ``(1 + t / impact_timescale_seconds) **
        -impact_decay_exponent``. Metaorders then obey the square-root law (impact ~ sigma *
        sqrt(Q / V)). Off: the book only gives immediate, mechanical impact.
    impact_coefficient : float, default=1.5
        ``Y`` of one order's impact. Metaorders, whose children's impacts partly decay
        before the next, then show ``I ~ 0.6 sigma sqrt(Q / V)`` (the literature's ``Y``:
        about 0.5-1).
    impact_decay_exponent : float, default=0.5
        ``beta`` in (0, 1): how fast impact decays (Bouchaud et al. 2004: about 0.5).
    impact_timescale_seconds : float, default=1
        ``t0`` of the decay kernel (the state decays at the quote grid's times).
    tape : bool, default=True
        Record every trade on the books (``result.trades``, background liquidity's too):
        about 40 bytes per trade; off saves that memory.
    depth_levels : int, default=10
        Non-empty price levels per side recorded in ``result.depth`` (0: no depth).
    depth_every_seconds : float, default=60
        Spacing of the depth snapshots, a multiple of the quote grid's step (rounded to one):
        10 levels each minute are about 5 kB per instrument and day.
    """

    taker_fee_bps: float = 0.3
    maker_fee_bps: float = 0.1
    venue: str = "book"
    latency_us: float = 250.0
    latency_jitter_us: float = 100.0
    book_events_per_second: float = 6.0
    book_depth_ticks: int = 15
    book_shape: str = "power"
    book_quote_lots: int = 2
    book_quote_width: float = 0.4
    book_open_width: float = 2.0
    book_reanchor: bool = True
    book_placement_exponent: float = 0.6
    book_placement_scale: float = 3.0
    book_market_share: float = 0.08
    book_cancel_share: float = 0.42
    book_order_lots: float = 2.0
    book_lifetime_seconds: float = 60.0
    impact: bool = True
    impact_coefficient: float = 1.5
    impact_decay_exponent: float = 0.5
    impact_timescale_seconds: float = 1.0
    tape: bool = True
    depth_levels: int = 10
    depth_every_seconds: float = 60.0

    def __post_init__(self) -> None:
        _coerce_float(self, "taker_fee_bps", "maker_fee_bps", "latency_us", "latency_jitter_us",
                      "book_events_per_second", "book_market_share", "book_cancel_share", "book_order_lots",
                      "book_lifetime_seconds", "book_placement_exponent", "book_placement_scale",
                      "book_quote_width", "book_open_width")
        _positive(self, "taker_fee_bps", allow_zero=True)
        _positive(self, "maker_fee_bps", allow_zero=True)
        if self.venue not in ("book", "quote"):
            _fail(self, "venue", "one of 'book', 'quote'", self.venue)
        _positive(self, "latency_us", allow_zero=True)
        _positive(self, "latency_jitter_us", allow_zero=True)
        _positive(self, "book_events_per_second")
        _positive_int(self, "book_depth_ticks")
        if self.book_shape not in ("power", "linear", "flat"):
            _fail(self, "book_shape", "one of 'power', 'linear', 'flat'", self.book_shape)
        _positive(self, "book_placement_exponent")
        _positive(self, "book_placement_scale")
        _positive_int(self, "book_quote_lots", allow_zero=True)
        _positive(self, "book_quote_width", allow_zero=True)
        if not self.book_open_width >= 1.0:
            _fail(self, "book_open_width", "at least 1", self.book_open_width)
        _probability(self, "book_market_share")
        _probability(self, "book_cancel_share")
        if self.book_market_share + self.book_cancel_share >= 1.0:
            _fail(self, "book_cancel_share", f"below 1 - book_market_share ({1 - self.book_market_share:.4g}) "
                  "so some background events are limit orders", self.book_cancel_share)
        _positive(self, "book_order_lots")
        _positive(self, "book_lifetime_seconds")
        if not isinstance(self.impact, bool):
            _fail(self, "impact", "a bool", self.impact)
        if not isinstance(self.book_reanchor, bool):
            _fail(self, "book_reanchor", "a bool", self.book_reanchor)
        _coerce_float(self, "impact_coefficient", "impact_decay_exponent", "impact_timescale_seconds")
        _positive(self, "impact_coefficient", allow_zero=True)
        b = self.impact_decay_exponent
        if not (isinstance(b, float) and 0.0 < b < 1.0):
            _fail(self, "impact_decay_exponent", "in (0, 1)", b)
        _positive(self, "impact_timescale_seconds")
        if not isinstance(self.tape, bool):
            _fail(self, "tape", "a bool", self.tape)
        _positive_int(self, "depth_levels", allow_zero=True)
        _coerce_float(self, "depth_every_seconds")
        _positive(self, "depth_every_seconds")
