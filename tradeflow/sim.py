"""Wires the rooms into a run: market -> front -> middle -> back -> results, one business day at a time."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from tradeflow.back import BackOffice
from tradeflow.config import SimulationConfig
from tradeflow.config.memory import check_memory
from tradeflow.core.records import RecordLog
from tradeflow.front import execute_orders, generate_flow, parent_fills
from tradeflow.market import MarketData, simulate_market
from tradeflow.market.clock import HORIZON, SettlementCalendar, VenueSessions, venue_sessions
from tradeflow.market.scenarios import simulate_fx_scenarios, simulate_scenarios
from tradeflow.market.user_prices import validate_user_prices
from tradeflow.middle import DeskState, RiskSetup, run_desk
from tradeflow.progress import progress as _progress
from tradeflow.results import RunResult
from tradeflow.schema import NS_PER_DAY, TABLES
from tradeflow.session import run_session

__all__ = ["simulate", "warmup", "STREAMS"]

# Independent random streams, one per component, spawned from the run's SeedSequence
# in this fixed order: adding a stream at the end never moves the existing ones.
STREAMS = ("market", "flow", "execution", "settlement", "custodian", "scenarios", "confirmation", "faults",
           "strategy")


def _seed_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"The 'seed' parameter of simulate must be a non-negative int or a SeedSequence. "
                         f"Got {seed!r} instead.")
    return np.random.SeedSequence(int(seed))


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self._t
        self._t = now


def simulate(config: SimulationConfig | None = None, seed: int | np.random.SeedSequence = 0, *,
             prices: pd.DataFrame | None = None, progress: bool | None = None, strategy=None,
             replay=None) -> RunResult:
    """Simulate a desk end to end over ``config.days`` business days.

    Each day the market opens where it closed, clients send orders, the middle office
    checks, fills and marks them, and the back office books the day's fills, settles
    what falls due and reconciles at the end of the day. Positions, P&L and unsettled
    trades carry over.

    Parameters
    ----------
    config : SimulationConfig, optional
        Defaults to ``SimulationConfig()``: one day, ten equities in USD and EUR,
        about 100,000 client orders.
    seed : int or numpy.random.SeedSequence, default=0
        Same seed and config => bit-for-bit the same result.
    prices : DataFrame, optional
        Drive the desk with your own prices: timestamps (UTC) x instrument symbols, sorted,
        finite and positive, covering every simulated session; they replace the simulated
        paths (see :func:`tradeflow.market.user_prices.validate_user_prices`).
    progress : bool or None, default=None
        A progress bar over the days of a multi-day run (see :mod:`tradeflow.progress`):
        ``None`` shows it only on a terminal, ``False`` never, ``True`` always.
    strategy : tradeflow.strategies.Strategy, optional
        The desk's own strategy, called at each open with a read-only view of the desk; its
        orders (``origin`` = DESK) go through the same controls, venue, risk and back office
        as the clients' (see ``docs/strategies.md``). A strategy that sends nothing leaves
        the run bit-identical.
    replay : tradeflow.front.replay.ReplayData, optional
        Recorded market data as the venue (``docs/replay.md``): orders on its symbols meet the
        recorded book (``tradeflow.front.replay.replay_venue``), the others the quote model;
        the desk runs after the venue (exact: replayed fills never depend on other orders).
        Marks still come from the market's paths (or ``prices``).

    Returns
    -------
    RunResult

    Examples
    --------
    >>> import tradeflow
    >>> cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": 2_000}, "days": 2})
    >>> result = tradeflow.simulate(cfg, seed=1)
    >>> len(result.breaks)
    0
    """
    cfg = SimulationConfig() if config is None else config
    if not isinstance(cfg, SimulationConfig):
        raise TypeError(f"The 'config' parameter of simulate must be a SimulationConfig (SimulationConfig.from_dict "
                        f"builds one from a dict). Got {type(cfg).__name__} {cfg!r:.80} instead.")
    ss = _seed_sequence(seed)
    if prices is not None:
        prices = validate_user_prices(prices, [i.symbol for i in cfg.market.instruments],
                                      tick_sizes=[i.tick_size for i in cfg.market.instruments])
    # sizes the machine cannot hold: refused before anything is allocated
    check_memory(cfg, where="simulate", prices=prices)
    rngs = {name: np.random.default_rng(child) for name, child in zip(STREAMS, ss.spawn(len(STREAMS)), strict=True)}
    clock = _Clock()

    mcfg = cfg.market
    # settlement calendars of every market in the run (published + MarketConfig.holidays), resolved once
    calendar = SettlementCalendar(mcfg.currencies, extra=mcfg.holidays)
    days, day_sessions = _run_days(cfg, calendar)
    n_books, n_inst = cfg.flow.n_books, len(mcfg.symbols)  # options follow the instruments
    state = DeskState.flat(n_books, n_inst)
    # the run's records, a log a table: one day's arrays are kept as they are; over several days each day's
    # are copied into one buffer sized for every day at the first (its untouched pages cost nothing), so
    # each day's arrays go as the day ends (the next day's reuse their memory) and nothing is joined at the
    # end (a 5-day book run's join wrote 400 MB of fresh pages: 0.6 s, a fifth of the run)
    take = cfg.days == 1
    out = {k: RecordLog(TABLES[k].dtype, expected_appends=cfg.days) for k in (
        "orders", "events", "fills", "eod_positions", "pnl", "executions", "quotes", "trades", "depth", "risk",
        "breaches", "parents")}
    sessions: list[MarketData] = []
    n_orders = n_events = n_parents = 0
    market = None
    desk = None
    if replay is not None:
        from tradeflow.front.replay import ReplayData
        if not isinstance(replay, ReplayData):
            raise TypeError(f"The 'replay' parameter of simulate must be a ReplayData (tradeflow.front.read_lobster, "
                            f"read_top_of_book). Got {type(replay).__name__} instead.")
    intraday = None
    if strategy is not None and hasattr(strategy, "on_event"):  # an intraday strategy inside the session loop
        intraday, strategy = strategy, None
        if cfg.execution.venue != "book":
            raise ValueError(f"An intraday strategy (NumbaStrategy) runs in the book venue's session loop, or over "
                             f"replayed data in the replay session's: the 'venue' of ExecutionConfig must be 'book'. "
                             f"Got {cfg.execution.venue!r}{' with replay' if replay is not None else ''} instead.")
        intraday.reset()
        if intraday.client < 0:
            intraday.client = cfg.flow.n_clients
        if intraday.trader < 0:
            intraday.trader = cfg.flow.n_traders
        if not 0 <= intraday.book < n_books:
            raise ValueError(f"The 'book' of the strategy must be a book id in [0, {n_books}). "
                             f"Got {intraday.book!r} instead.")
    if strategy is not None and not callable(getattr(strategy, "on_open", None)):
        raise TypeError(f"The 'strategy' parameter of simulate must have an on_open(view) method "
                        f"(a tradeflow.strategies.Strategy) or be a NumbaStrategy. Got {type(strategy).__name__} "
                        f"instead.")
    back = None
    for day in _progress(days, desc="desk-days", unit="day", show=progress, min_items=2):
        market = simulate_market(mcfg, rngs["market"], trade_date=day,
                                 open_mid=None if market is None else market.mid[:, -1],
                                 open_fx=None if market is None else market.fx[:, -1],
                                 garch_state=None if market is None else market.garch_state, prices=prices,
                                 sessions=None if day_sessions is None
                                 else day_sessions.day(day) + day_sessions.day_breaks(day))
        sessions.append(market)
        ccy_scale = np.array([10.0 ** cfg.back.minor_units[c] for c in market.currencies])
        inst_ccy = market.instruments["currency_id"].to_numpy(np.int64)
        inst_scale = ccy_scale[inst_ccy]
        clock.lap("market")

        orders, parents = generate_flow(cfg.flow, market, rngs["flow"], first_order_id=n_orders,
                                        first_parent_id=n_parents, positions=state.pos)
        n_parents += len(parents)
        clock.lap("flow")

        day_int = int(day.astype(np.int64))
        close_ts = day_int * NS_PER_DAY + mcfg.session_close_ns
        if day_sessions is not None:  # the desk-day ends with the last venue's close (the grid's end)
            close_ts = int(market.times[-1]) + int(round(mcfg.step_seconds * 1e9))
        if strategy is not None:
            orders = _strategy_orders(strategy, cfg, market, state, desk, orders, rngs["strategy"], close_ts=close_ts,
                                      day=len(sessions) - 1, first_order_id=n_orders, inst_ccy=inst_ccy,
                                      prev_close=sessions[-2].mid[:, -1] if len(sessions) > 1 else None)
            clock.lap("strategy")
        # historical-VaR scenarios: one set per day from the market's model (a rolling window in real life)
        # (FX scenarios drawn after the instruments' from the same stream, so those do not move)
        n_scen = cfg.risk.n_scenarios
        scen = simulate_scenarios(mcfg, rngs["scenarios"], n_scen)
        fx_scen = simulate_fx_scenarios(mcfg, rngs["scenarios"], n_scen) if cfg.risk.fx_scenarios else None
        risk_setup = RiskSetup.from_market(market, scen, cfg.risk, cfg.limits, fx_returns=fx_scen)
        fifo = cfg.risk.pnl_method == "fifo"
        if replay is not None and intraday is not None:
            # the strategy over the recorded books, in one time order with the desk (docs/replay.md)
            from tradeflow.replay_session import run_replay_session
            executions, desk = run_replay_session(orders, replay, market, cfg.execution, cfg.pretrade, state,
                                                  inst_scale, intraday=intraday, close_ts=close_ts,
                                                  pnl_interval_s=cfg.pnl_interval_seconds, risk=risk_setup, fifo=fifo,
                                                  first_order_id=n_orders)
        elif replay is not None:
            from tradeflow.front.replay import replay_venue
            executions = replay_venue(replay, orders, market, cfg.execution, inst_scale)
            desk = run_desk(orders, executions, market, cfg.pretrade, state, close_ts=close_ts,
                            pnl_interval_s=cfg.pnl_interval_seconds, risk=risk_setup, fifo=fifo)
        elif cfg.execution.venue == "book":
            # the desk and the books in one time order: only accepted orders reach the venue
            session = run_session(orders, market, cfg.execution, cfg.pretrade, state, rngs["execution"], inst_scale,
                                  close_ts=close_ts, pnl_interval_s=cfg.pnl_interval_seconds, risk=risk_setup,
                                  fifo=fifo, intraday=intraday, first_order_id=n_orders)
            executions, desk = session.venue.executions, session.desk
            out["quotes"].append(session.venue.quotes, take=take)
            for name in ("trades", "depth"):
                if getattr(session.venue, name) is not None:
                    out[name].append(getattr(session.venue, name), take=take)
        else:
            # fill-at-quote: an order's fills do not depend on other orders, so the venue can run first
            executions = execute_orders(orders, market, cfg.execution, inst_scale)
            desk = run_desk(orders, executions, market, cfg.pretrade, state, close_ts=close_ts,
                            pnl_interval_s=cfg.pnl_interval_seconds, risk=risk_setup, fifo=fifo,
                            copy=False)  # the day's orders are the desk's from here
        out["executions"].append(executions, take=take)
        out["risk"].append(desk.risk, take=take)
        out["breaches"].append(desk.breaches, take=take)
        if n_events:  # the day's event ids run on from the run's
            desk.events["event_id"] += n_events
        n_orders += len(desk.orders)
        n_events += len(desk.events)
        clock.lap("front+middle")

        out["parents"].append(parent_fills(parents, desk.orders), take=take)  # algo parents' status from their children
        for name, rec in (("orders", desk.orders), ("events", desk.events), ("fills", desk.fills),
                          ("eod_positions", desk.positions), ("pnl", desk.pnl)):
            out[name].append(rec, take=take)
        # back office: book, confirm, settle (fails, recycling, penalties), statements, recon, explain
        if back is None:
            back = BackOffice(cfg, market, calendar, rngs)
        back.process_day(day, desk.fills, desk.positions, market)
        clock.lap("back")

    records = {k: log.final() for k, log in out.items()}
    records.update(back.records())
    eod = records["eod_positions"]
    records["positions"] = eod[eod["trade_date"] == int(days[-1].astype(np.int64))]
    seed_value = int(ss.entropy) if isinstance(seed, np.random.SeedSequence) else int(seed)
    return RunResult(config=cfg, seed=seed_value, market=MarketData.concat(sessions), records=records,
                     timings=clock.timings, trade_dates=days, seed_spawn_key=tuple(ss.spawn_key))


def _run_days(cfg: SimulationConfig, calendar: SettlementCalendar) -> tuple[np.ndarray, VenueSessions | None]:
    """The run's days and its venues' sessions, resolved once.

    With venue sessions a run day is a day on which a venue trades or a market settles (a
    CSD-only day, e.g. Good Friday in the US, has no trading but the back office works); the
    run starts on ``trade_date``, which must be a day some venue trades. Without them, the
    base currency's settlement days.
    """
    mcfg = cfg.market
    td = np.datetime64(mcfg.trade_date, "D")
    if not mcfg.venue_sessions:
        if not calendar.is_business_day(td, [mcfg.base_currency]):
            raise ValueError(f"The 'trade_date' parameter of MarketConfig must be a business day of the "
                             f"{mcfg.base_currency} settlement calendar ({calendar.sources[mcfg.base_currency]}). "
                             f"Got {mcfg.trade_date!r} instead.")
        return calendar.business_days(td, cfg.days, [mcfg.base_currency]), None
    end = min(td + np.timedelta64(2 * cfg.days + 14, "D"), np.datetime64(HORIZON[1], "D"))
    vs = venue_sessions(mcfg.venues, td, max(end, td), fallback_open_ns=mcfg.session_open_ns,
                        fallback_close_ns=mcfg.session_close_ns,
                        fallback_holidays=mcfg.holidays.get(mcfg.base_currency, ()))
    if not vs.is_open[:, 0].any():
        raise ValueError(f"The 'trade_date' parameter of MarketConfig must be a day on which one of the venues "
                         f"{list(mcfg.venues)} trades. Got {mcfg.trade_date!r} instead.")
    settles = np.zeros(vs.days.shape[0], bool)
    for ccy in mcfg.currencies:
        settles |= calendar.is_business_day(vs.days, [ccy])
    run = vs.days[vs.is_open.any(axis=0) | settles]
    if run.shape[0] < cfg.days:
        raise ValueError(f"The 'days' parameter of SimulationConfig reaches past the clock's data ({HORIZON[1]}). "
                         f"Got {cfg.days} from {mcfg.trade_date}.")
    return run[: cfg.days], vs


def _strategy_orders(strategy, cfg, market, state, desk, orders, rng, *, close_ts, day, first_order_id, inst_ccy,
                     prev_close):
    """The day's orders with the strategy's (called at the open with a read-only view of the desk)."""
    from tradeflow.schema import OrderOrigin
    from tradeflow.strategies.base import make_view, merge_desk_orders

    var_1d = own = None
    if desk is not None:
        rk = desk.risk
        if rk is not None and len(rk):
            last = rk[rk["ts"] == rk["ts"].max()]
            var_1d = np.full(cfg.flow.n_books + 1, np.nan)
            var_1d[np.where(last["book"] < 0, cfg.flow.n_books, last["book"])] = last["var_1d"]
        own = desk.orders[desk.orders["origin"] == OrderOrigin.DESK]
    if own is None:
        own = orders[:0]
    view = make_view(day=day, market=market, close_ts=close_ts, state=state,
                     prev_close=prev_close,
                     var_1d=var_1d, own_orders=own, rng=rng, fx_inst=market.fx[inst_ccy, 0])
    strategy.on_open(view)
    return merge_desk_orders(orders, view, market, n_books=cfg.flow.n_books, first_order_id=first_order_id,
                             client_id=cfg.flow.n_clients, trader_id=cfg.flow.n_traders)


def warmup(venues: tuple[str, ...] = ("book", "quote")) -> None:
    """Compile (or load from numba's on-disk cache) the kernels of a desk-day and of the risk engine.

    Runs a tiny day with each venue in ``venues`` and a few fills through
    :class:`~tradeflow.middle.RiskEngine`, so that a later :func:`simulate` or engine of those kinds
    compiles nothing. Paths with kernels of their own still compile on their first use (the
    compiled code is then cached on disk too): a standalone book (:func:`tradeflow.front.run_book`),
    a replay of market data, and a session with a :class:`~tradeflow.strategies.NumbaStrategy`
    (one compile per strategy state type).

    Parameters
    ----------
    venues : tuple of {"book", "quote"}, default both
        The execution venues to warm.
    """
    bad = [v for v in venues if v not in ("book", "quote")]
    if bad:
        raise ValueError(f"warmup: 'venues' must be 'book' or 'quote'; got {bad[0]!r}.")
    for venue in venues:
        simulate(SimulationConfig.from_dict({"flow": {"orders_per_day": 200}, "execution": {"venue": venue}}),
                 seed=0)
    from tradeflow.middle.engine import warmup_engine
    warmup_engine()
