"""The desk and the books in one time order, against running them one after the other.

``desk.session``: :func:`tradeflow.session.run_session` over one session's client flow (every
book's background liquidity included), beside the venue then the desk run separately over the
same inputs (``run_venue`` for all orders, then ``run_desk`` discarding rejected orders' fills):
the cheaper construction this library used before, which lets rejected orders take liquidity.
Getting the same answer as the session loop that way takes a fixed point (venue, desk, venue
with only the accepted orders, ...) of about ten rounds on the default day; its cost is
``rounds x`` the baseline.
"""

from __future__ import annotations

import copy

import numpy as np

import tradeflow
from benchmarks._harness import Bench, register
from tradeflow import sim
from tradeflow.front import generate_flow, run_venue
from tradeflow.market import BusinessCalendar, simulate_market
from tradeflow.market.scenarios import simulate_scenarios
from tradeflow.middle import DeskState, RiskSetup, run_desk
from tradeflow.schema import NS_PER_DAY
from tradeflow.session import run_session


@register("desk.session", unit="orders")
def session(b: Bench) -> None:
    n_orders = b.size(quick=20_000, full=100_000)
    cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": n_orders}})
    ss = np.random.SeedSequence(0)
    rngs = {n: np.random.default_rng(c) for n, c in zip(sim.STREAMS, ss.spawn(len(sim.STREAMS)), strict=True)}
    mcfg = cfg.market
    day = BusinessCalendar(mcfg.holidays).business_days(mcfg.trade_date, 1, [mcfg.base_currency])[0]
    market = simulate_market(mcfg, rngs["market"], trade_date=day, open_mid=None, open_fx=None, garch_state=None,
                             prices=None)
    scale = np.array([10.0 ** cfg.back.minor_units[c] for c in market.currencies])
    minor = scale[market.instruments["currency_id"].to_numpy(np.int64)]
    orders, _ = generate_flow(cfg.flow, market, rngs["flow"], first_order_id=0, first_parent_id=0)
    risk = RiskSetup.from_market(market, simulate_scenarios(mcfg, rngs["scenarios"], cfg.risk.n_scenarios),
                                 cfg.risk, cfg.limits)
    close_ts = int(day.astype(np.int64)) * NS_PER_DAY + mcfg.session_close_ns
    start = rngs["execution"].bit_generator.state
    flat = DeskState.flat(cfg.flow.n_books, market.n_instruments)
    b.param(orders=len(orders), instruments=market.n_instruments, books=cfg.flow.n_books,
            background_events_per_second=cfg.execution.book_events_per_second)

    def rng():
        r = np.random.default_rng()
        r.bit_generator.state = start
        return r

    def together():
        return run_session(orders, market, cfg.execution, cfg.pretrade, copy.deepcopy(flat), rng(), minor,
                           close_ts=close_ts, pnl_interval_s=cfg.pnl_interval_seconds, risk=risk)

    def one_after_the_other():
        venue = run_venue(orders, market, cfg.execution, minor, rng())
        return run_desk(venue.orders, venue.executions, market, cfg.pretrade, copy.deepcopy(flat),
                        close_ts=close_ts, pnl_interval_s=cfg.pnl_interval_seconds, risk=risk)

    repeats = 1 if b.quick else None  # a whole session of background liquidity per call
    b.target("run_session (desk + books, one time order)", together, n=len(orders), repeats=repeats)
    b.baseline("run_venue then run_desk (one round of the fixed point)", one_after_the_other, n=len(orders),
               repeats=repeats)


@register("desk.background_cost", unit="events")
def background_cost(b: Bench) -> None:
    """What the book venue's background liquidity costs a default day.

    The day (book venue) at four background event rates, one day of each rate in turn per round (the
    machine's speed drifts between minutes: interleaving spreads the drift over every rate), and a
    least-squares line of the day's CPU time against its background events: the slope is the marginal
    cost of one event from its draws to its matching (generation, the merge into one time order, the
    session loop, the tape and the pulls it leads to); the intercept is the rest of the day. The
    measurement is the default rate's day.
    """
    import statistics
    import time

    from tradeflow import session as _session

    quick = b.quick
    orders = 2_000 if quick else 100_000
    default = tradeflow.ExecutionConfig().book_events_per_second  # 6 events/s a book
    # a quarter, half, all and one and a half of the default; quick: a smoke of the method, not a figure
    rates = (1.0, 3.0) if quick else (default / 4, default / 2, default, 1.5 * default)
    rounds = 1 if quick else b.repeats
    counted: list[int] = []
    stream = _session._background_stream

    def counting(parts, bg_len, *rest):  # the day's background events, as the session merges them
        counted.append(int(np.sum(bg_len)))
        return stream(parts, bg_len, *rest)

    cfgs = {r: tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": orders},
                                                     "execution": {"venue": "book", "book_events_per_second": r}})
            for r in rates}
    events: dict[float, int] = {}
    cpu: dict[float, list[float]] = {r: [] for r in rates}
    _session._background_stream = counting
    try:
        for r, cfg in cfgs.items():  # the first day of each rate: numba's cache, and the count
            tradeflow.simulate(cfg, seed=0, progress=False)
            events[r] = counted[-1]
        for _ in range(rounds):
            for r, cfg in cfgs.items():
                c = time.process_time()
                tradeflow.simulate(cfg, seed=0, progress=False)
                cpu[r].append(time.process_time() - c)
    finally:
        _session._background_stream = stream
    x = np.array([events[r] for r in rates], np.float64)
    y = np.array([statistics.median(cpu[r]) for r in rates])
    slope, intercept = np.polyfit(x, y, 1)
    b.param(orders_per_day=orders, rounds=rounds, venue="book",
            rates={str(r): {"background_events": events[r], "day_cpu_median_s": float(m)}
                   for r, m in zip(rates, y, strict=True)},
            ns_per_background_event=float(slope * 1e9), day_without_background_s=float(intercept))
    day_rate = rates[-1] if quick else default
    b.target(f"tradeflow.simulate, one day, book venue, {day_rate:g} background events/s a book",
             lambda: tradeflow.simulate(cfgs[day_rate], seed=0, progress=False), n=events[day_rate],
             repeats=1 if quick else None)
