"""Wires the rooms into one desk-day: market -> front -> middle -> back -> results."""

from __future__ import annotations

import time

import numpy as np

from tradeflow.back import book_fills, reconcile, settlement_instructions
from tradeflow.config import SimulationConfig
from tradeflow.front import candidate_fills, generate_orders
from tradeflow.market import BusinessCalendar, simulate_market
from tradeflow.middle import run_desk
from tradeflow.results import RunResult
from tradeflow.schema import NS_PER_DAY

__all__ = ["simulate", "warmup", "STREAMS"]

# Independent random streams, one per component, spawned from the run's SeedSequence
# in this fixed order: adding a stream at the end never moves the existing ones.
STREAMS = ("market", "flow", "execution", "settlement", "custodian")


def _seed_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"The 'seed' parameter of simulate must be a non-negative int or a SeedSequence. "
                         f"Got {seed!r} instead.")
    return np.random.SeedSequence(int(seed))


def simulate(config: SimulationConfig | None = None, seed: int | np.random.SeedSequence = 0) -> RunResult:
    """Simulate one desk-day end to end.

    Parameters
    ----------
    config : SimulationConfig, optional
        Defaults to ``SimulationConfig()``: ten equities in USD and EUR and about
        100,000 client orders.
    seed : int or numpy.random.SeedSequence, default=0
        Same seed, same config => bit-for-bit the same result.

    Returns
    -------
    RunResult

    Examples
    --------
    >>> import tradeflow
    >>> cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": 2_000}})
    >>> result = tradeflow.simulate(cfg, seed=1)
    >>> int((result.breaks["kind"] != "NONE").sum())
    0
    """
    cfg = SimulationConfig() if config is None else config
    if not isinstance(cfg, SimulationConfig):
        raise ValueError(f"The 'config' parameter of simulate must be a SimulationConfig. Got {type(cfg)!r}.")
    ss = _seed_sequence(seed)
    rngs = {name: np.random.default_rng(child) for name, child in zip(STREAMS, ss.spawn(len(STREAMS)), strict=True)}
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    market = simulate_market(cfg.market, rngs["market"])
    lap("market")
    ccy_scale = np.array([10.0 ** cfg.back.minor_units[c] for c in market.currencies])
    inst_ccy = market.instruments["currency_id"].to_numpy(np.int64)
    inst_scale = ccy_scale[inst_ccy]

    orders = generate_orders(cfg.flow, market, rngs["flow"])
    candidates = candidate_fills(orders, market, cfg.execution, inst_scale)
    lap("front")

    day_ns = int(market.trade_date.astype(np.int64)) * NS_PER_DAY
    close_ts = day_ns + cfg.market.session_close_ns
    desk = run_desk(orders, candidates, market, cfg.pretrade, n_books=cfg.flow.n_books, close_ts=close_ts,
                    pnl_interval_s=cfg.pnl_interval_seconds)
    lap("middle")

    calendar = BusinessCalendar(cfg.market.holidays)
    settlements = settlement_instructions(desk.fills, market.instruments, market.currencies, calendar,
                                          market.trade_date, inst_scale)
    ledger = book_fills(desk.fills, inst_ccy, inst_scale)
    breaks = reconcile(desk.fills, desk.positions, ledger, settlements, n_books=cfg.flow.n_books,
                       instrument_ccy=inst_ccy, minor_scale_ccy=ccy_scale, marks=market.mid[:, -1],
                       tolerance_minor=cfg.back.pnl_tolerance_minor)
    lap("back")

    records = {"orders": desk.orders, "events": desk.events, "fills": desk.fills, "positions": desk.positions,
               "pnl": desk.pnl, "settlements": settlements, "ledger": ledger, "breaks": breaks}
    return RunResult(config=cfg, seed=int(ss.entropy) if isinstance(seed, np.random.SeedSequence) else int(seed),
                     market=market, records=records, timings=timings)


def warmup() -> None:
    """Compile (or load from cache) every numba kernel with a tiny run."""
    simulate(SimulationConfig.from_dict({"flow": {"orders_per_day": 200}}), seed=0)
