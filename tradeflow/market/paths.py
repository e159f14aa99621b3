"""Simulated intraday prices: correlated GBM on a fixed quote grid, FX paths, bid/ask quotes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tradeflow.config import MarketConfig
from tradeflow.core.linalg import cholesky, eigh, ordered_matmul
from tradeflow.market._path_kernels import (
    JUMPS_NONE,
    JUMPS_PLAIN,
    JUMPS_SESSION,
    log_paths_nb,
    quotes_nb,
    session_clock_nb,
)
from tradeflow.market.models import garch_block_variance, merton_jumps
from tradeflow.market.options import option_mids
from tradeflow.market.profile import intraday_profile
from tradeflow.market.user_prices import prices_on_grid, validate_user_prices
from tradeflow.schema import NS_PER_DAY

__all__ = ["MarketData", "simulate_market", "instrument_table", "correlated_normals", "session_profile"]

# Annualised volatility refers to trading time: 252 sessions a year.
TRADING_DAYS_PER_YEAR = 252
# Orders are sent at least this long before their venue's close (latency is well below it).
SESSION_MARGIN_NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class MarketData:
    """Prices of one session on a regular grid.

    Attributes
    ----------
    times : int64 ndarray of shape (n_steps,)
        Grid timestamps, ns since epoch (UTC).
    mid, bid, ask : float64 ndarray of shape (n_instruments, n_steps)
        Quotes; bid and ask sit on the tick grid, at least one tick apart.
    fx : float64 ndarray of shape (n_currencies, n_steps)
        Value of one unit of each currency in the base currency (row 0 is the base: 1.0).
    instruments : DataFrame
        The instrument table (see :func:`instrument_table`).
    currencies : tuple of str
        Currency of each ``fx`` row; ``instruments.currency_id`` indexes it.
    trade_date : numpy.datetime64
    profile : float64 ndarray of shape (n_steps,), optional
        Intraday activity profile on the grid (mean 1 over a session; ones when off): order
        arrivals and background liquidity follow it.
    garch_state : float64 ndarray of shape (n_instruments,), optional
        GARCH variance (in units of the configured variance) entering the next session.
    session_open, session_close : int64 ndarray of shape (n_instruments,), optional
        Each instrument's session on this day (ns UTC, from its venue's calendar, see
        :mod:`tradeflow.market.clock`); -1 when its venue is closed. ``None``: every
        instrument trades the whole grid (one UTC session).
    break_start, break_end : int64 ndarray of shape (n_instruments,), optional
        Each instrument's lunch break inside its session (ns UTC), -1 when none: its price holds
        and no order is sent in ``[break_start, break_end)``.
    """

    times: np.ndarray
    mid: np.ndarray
    bid: np.ndarray
    ask: np.ndarray
    fx: np.ndarray
    instruments: pd.DataFrame
    currencies: tuple[str, ...]
    trade_date: np.datetime64
    profile: np.ndarray | None = None
    garch_state: np.ndarray | None = None
    session_open: np.ndarray | None = None
    session_close: np.ndarray | None = None
    break_start: np.ndarray | None = None
    break_end: np.ndarray | None = None

    def _break(self, instrument: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(start, length) of each instrument's break, the start moved :data:`SESSION_MARGIN_NS` earlier so an
        order sent before it reaches the venue before the break (0 length when none)."""
        if self.break_start is None:
            z = np.zeros(np.shape(instrument), np.int64)
            return z, z
        bs, be = self.break_start[instrument], self.break_end[instrument]
        has = (bs >= 0) & (be > bs)
        start = np.where(has, bs - SESSION_MARGIN_NS, 0)
        return start, np.where(has, be - start, 0)

    @property
    def n_steps(self) -> int:
        return self.times.shape[0]

    @property
    def n_instruments(self) -> int:
        return self.mid.shape[0]

    def session_steps(self, i: int) -> tuple[int, int]:
        """Grid steps ``[s0, s1)`` of instrument ``i``'s venue session: the whole grid without venue
        sessions, ``(0, 0)`` when its venue is closed."""
        if self.session_open is None:
            return 0, self.n_steps
        if self.session_open[i] < 0:
            return 0, 0
        return (int(np.searchsorted(self.times, self.session_open[i], side="left")),
                int(np.searchsorted(self.times, self.session_close[i], side="left")))

    def last_ts(self, instrument: np.ndarray) -> np.ndarray:
        """The last time an order in each of ``instrument`` may be sent: its venue's close less
        :data:`SESSION_MARGIN_NS` (so it reaches the venue, after latency, inside the session), or
        the grid's last time without venue sessions."""
        instrument = np.asarray(instrument)
        if self.session_close is None:
            return np.full(instrument.shape, self.times[-1], np.int64)
        return np.maximum(self.session_close[instrument] - SESSION_MARGIN_NS, self.session_open[instrument])

    def session_fraction_to_ts(self, frac: np.ndarray, instrument: np.ndarray) -> np.ndarray:
        """Map fractions of the session (0 at the open, 1 at the close) to times in each instrument's session."""
        instrument = np.asarray(instrument)
        if self.session_open is None:
            t0, t1 = np.int64(self.times[0]), np.int64(self.times[-1])
            return np.minimum(t0 + np.floor(frac * (t1 - t0 + 1)).astype(np.int64), t1)
        o = self.session_open[instrument]
        last = self.last_ts(instrument)
        b0, blen = self._break(instrument)  # the fraction runs over trading time: the break is skipped
        x = o + np.floor(frac * np.maximum(last - o + 1 - blen, 1)).astype(np.int64)
        x = np.where((blen > 0) & (x >= b0), x + blen, x)
        return np.minimum(x, last)

    def in_break(self, ts: np.ndarray, instrument: np.ndarray) -> np.ndarray:
        """Whether each ``ts`` falls in its instrument's lunch break (margin before it included)."""
        b0, blen = self._break(np.asarray(instrument))
        return (blen > 0) & (ts >= b0) & (ts < b0 + blen)

    def after_break(self, ts: np.ndarray, instrument: np.ndarray) -> np.ndarray:
        """``ts``, or the end of its instrument's lunch break when it falls in it."""
        b0, blen = self._break(np.asarray(instrument))
        return np.where(self.in_break(ts, instrument), b0 + blen, ts)

    def step_of(self, ts: np.ndarray) -> np.ndarray:
        """Index of the last grid point at or before each timestamp (0 before the grid)."""
        times = self.times
        n = times.shape[0]
        ts = np.asarray(ts)
        if n > 1 and ts.dtype.kind in "iu":
            dt = times[1] - times[0]
            # a regular grid (one session's): the step is an integer division, exact and ~20x faster
            # than a binary search of unsorted times (10 ms of a quote day's 0.3 s)
            if dt > 0 and times[-1] - times[0] == dt * (n - 1) and (np.diff(times) == dt).all():
                return np.clip((ts.astype(np.int64) - times[0]) // dt, 0, n - 1)
        return np.clip(np.searchsorted(times, ts, side="right") - 1, 0, n - 1)

    @classmethod
    def concat(cls, days: list[MarketData]) -> MarketData:
        """Join consecutive sessions into one grid (``trade_date`` is the first day's)."""
        if len(days) == 1:
            return days[0]
        first = days[0]
        return cls(times=np.concatenate([d.times for d in days]),
                   mid=np.concatenate([d.mid for d in days], axis=1),
                   bid=np.concatenate([d.bid for d in days], axis=1),
                   ask=np.concatenate([d.ask for d in days], axis=1),
                   fx=np.concatenate([d.fx for d in days], axis=1),
                   instruments=first.instruments, currencies=first.currencies, trade_date=first.trade_date,
                   profile=None if any(d.profile is None for d in days)
                   else np.concatenate([d.profile for d in days]), garch_state=days[-1].garch_state)
        # (per-day venue sessions are not kept: they belong to each day's MarketData)

    def prices_frame(self, field: str = "mid") -> pd.DataFrame:
        """Quotes as a DataFrame indexed by UTC time, one column per symbol."""
        return pd.DataFrame(
            getattr(self, field).T,
            index=pd.to_datetime(self.times, unit="ns", utc=True),
            columns=list(self.instruments["symbol"]),
        )


def instrument_table(cfg: MarketConfig) -> pd.DataFrame:
    """The instrument table: one row per instrument, ``instrument`` is its int32 id.

    Instruments come first (ids ``0..n-1`` in config order), then options (see
    :mod:`tradeflow.market.options` for the option columns ``underlying, strike, expiry,
    call_put``; non-options hold -1, NaN, -1 and ``""``). ``mic`` is the listing venue and
    ``venue_id`` its index in ``MarketConfig.venues`` (what orders carry as ``venue``).
    """
    ccys = cfg.currencies
    mics, venues = cfg.mics, cfg.venues
    insts, opts = cfg.instruments, cfg.options
    n_inst = len(insts)
    by_symbol = {inst.symbol: i for i, inst in enumerate(insts)}
    under = [insts[by_symbol[opt.underlying]] for opt in opts]
    # column by column (a DataFrame of row dicts, then astype, took ~5 ms a day)
    cols = {
        "instrument": np.arange(n_inst + len(opts), dtype=np.int32),
        "symbol": [i.symbol for i in insts] + [o.symbol for o in opts],
        "asset_class": ["equity"] * n_inst + ["option"] * len(opts),
        "currency": [i.currency for i in insts] + [u.currency for u in under],
        "currency_id": np.array([ccys.index(i.currency) for i in insts] + [ccys.index(u.currency) for u in under],
                                np.int32),
        "tick_size": np.array([i.tick_size for i in (*insts, *opts)], np.float64),
        "lot_size": np.array([i.lot_size for i in (*insts, *opts)], np.int64),
        "multiplier": np.array([1.0] * n_inst + [o.multiplier for o in opts], np.float64),
        # -1: the market's cycle
        "settlement_lag": np.array([-1 if i.settlement_lag is None else i.settlement_lag for i in (*insts, *opts)],
                                   np.int64),
        "price": np.array([i.price for i in insts] + [np.nan] * len(opts), np.float64),
        "volatility": np.array([i.volatility for i in insts]
                               + [u.volatility if o.volatility is None else o.volatility
                                  for o, u in zip(opts, under, strict=True)], np.float64),
        "spread_bps": np.array([i.spread_bps for i in (*insts, *opts)], np.float64),
        "weight": np.array([i.weight for i in (*insts, *opts)], np.float64),
        "underlying": np.array([-1] * n_inst + [by_symbol[o.underlying] for o in opts], np.int32),
        "strike": np.array([np.nan] * n_inst + [o.strike for o in opts], np.float64),
        "expiry": np.array([-1] * n_inst + [int(np.datetime64(o.expiry, "D").astype(np.int64)) for o in opts],
                           np.int64),
        "call_put": [""] * n_inst + ["C" if o.kind == "call" else "P" for o in opts],
        "mic": list(mics[: n_inst + len(opts)]),
        "venue_id": np.array([venues.index(m) for m in mics[: n_inst + len(opts)]], np.int32),
    }
    return pd.DataFrame(cols)


def correlated_normals(rng: np.random.Generator, corr: np.ndarray, n_steps: int) -> np.ndarray:
    """Standard normals of shape (n, n_steps) with correlation ``corr`` across rows.

    Uses Cholesky when ``corr`` is positive definite, and a symmetric square root
    from the eigen-decomposition when it is only semi-definite (e.g. two identical names).
    """
    n = corr.shape[0]
    try:
        root = cholesky(corr)  # on one BLAS thread: LAPACK's bits follow its thread count (core.linalg)
    except np.linalg.LinAlgError:
        w, v = eigh(corr)
        root = v * np.sqrt(np.clip(w, 0.0, None))
    z = rng.standard_normal((n, n_steps))
    return ordered_matmul(root, z)  # not BLAS: the same bits whatever its threads (tradeflow.core.linalg)


def _quote(mid: np.ndarray, tick: np.ndarray, spread_bps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # one pass (quotes_nb): the expression chain made a dozen temporaries of the grid's shape
    mid = np.ascontiguousarray(mid, np.float64)
    bid = np.empty_like(mid)
    ask = np.empty_like(mid)
    quotes_nb(mid, np.ascontiguousarray(tick, np.float64), np.ascontiguousarray(spread_bps, np.float64), bid, ask)
    return bid, ask


def _rate_from_fx(fx_close: np.ndarray, ccys: tuple[str, ...], pair, base: str) -> float:
    # fx rows are base-currency values of one unit; turn the close back into the pair's quote
    if pair.quote == base and pair.base in ccys:
        return float(fx_close[ccys.index(pair.base)])
    if pair.base == base and pair.quote in ccys:
        return float(1.0 / fx_close[ccys.index(pair.quote)])
    return pair.rate


def simulate_market(cfg: MarketConfig, rng: np.random.Generator, *, trade_date: np.datetime64 | None = None,
                    open_mid: np.ndarray | None = None, open_fx: np.ndarray | None = None,
                    garch_state: np.ndarray | None = None, prices: pd.DataFrame | None = None,
                    sessions: tuple[np.ndarray, np.ndarray] | None = None) -> MarketData:
    """Simulate one session of correlated GBM mids (with GARCH, jumps, intraday profile), quotes and FX.

    Parameters
    ----------
    cfg : MarketConfig
    rng : numpy.random.Generator
        The market's own stream.
    trade_date : numpy.datetime64, optional
        The session's date; defaults to ``cfg.trade_date``.
    open_mid, open_fx : ndarray, optional
        Where the session opens (the previous close, in a multi-day run); defaults to
        the configured prices and rates.
    garch_state : ndarray, optional
        GARCH variance entering the session (the previous session's ``garch_state``).
    prices : DataFrame, optional
        The user's prices (timestamps x instrument symbols; see
        :func:`tradeflow.market.user_prices.validate_user_prices`): they replace the simulated
        mids of the instruments on the grid (last price at or before each grid time); options
        are priced from them, FX is still simulated.
    sessions : (open_ns, close_ns) int64 ndarrays of shape (n_venues,), optional
        Each venue's session that day (indexed like ``cfg.venues``, -1 when closed), e.g. from
        :meth:`tradeflow.market.clock.VenueSessions.day`; by default resolved from the clock when
        ``cfg.venue_sessions`` is on. Each instrument then trades (its price moves, with the
        intraday profile in its own session) only inside its venue's session; the grid spans
        the union of the sessions (the configured UTC session on a day no venue trades).

    Returns
    -------
    MarketData
    """
    table = instrument_table(cfg)
    trade_date = np.datetime64(cfg.trade_date if trade_date is None else trade_date, "D")
    day_ns = trade_date.astype(np.int64) * NS_PER_DAY
    step_ns = int(round(cfg.step_seconds * 1e9))
    open_ns, close_ns = cfg.session_open_ns, cfg.session_close_ns
    inst_open = inst_close = None
    if sessions is None and cfg.venue_sessions:
        from tradeflow.market.clock import venue_sessions

        vs = venue_sessions(cfg.venues, trade_date, trade_date, fallback_open_ns=open_ns, fallback_close_ns=close_ns,
                            fallback_holidays=cfg.holidays.get(cfg.base_currency, ()))
        sessions = vs.day(trade_date) + vs.day_breaks(trade_date)
    inst_bs = inst_be = None
    if sessions is not None:
        venue_id = table["venue_id"].to_numpy(np.int64)
        inst_open = np.asarray(sessions[0], np.int64)[venue_id]
        inst_close = np.asarray(sessions[1], np.int64)[venue_id]
        if len(sessions) == 4:
            inst_bs = np.asarray(sessions[2], np.int64)[venue_id]
            inst_be = np.asarray(sessions[3], np.int64)[venue_id]
        else:
            inst_bs = np.full(inst_open.shape, -1, np.int64)
            inst_be = inst_bs.copy()
        live = inst_open >= 0
        if live.any():  # the grid spans the union of the day's sessions
            open_ns = int(inst_open[live].min() - day_ns)
            close_ns = int(inst_close[live].max() - day_ns)
    times = day_ns + np.arange(open_ns, close_ns, step_ns, dtype=np.int64)
    n_steps = times.shape[0]
    session_seconds = (close_ns - open_ns) / 1e9
    dt = cfg.step_seconds / (session_seconds * TRADING_DAYS_PER_YEAR)

    vol = table["volatility"].to_numpy(np.float64)[: len(cfg.instruments)]
    drift = np.array([i.drift for i in cfg.instruments])
    profile = session_profile(cfg, n_steps)
    z = correlated_normals(rng, cfg.correlation_matrix(), n_steps - 1)
    n_und = len(cfg.instruments)
    dt_inst = dt  # the instruments' time step (in years of trading time); FX trades around the clock on ``dt``
    if inst_open is None:
        # variance follows its intraday profile (mean 1, so the daily variance is the configured one)
        vprofile = session_profile(cfg, n_steps, variance=True)
        base_scale = np.broadcast_to(np.sqrt(vprofile[:-1]), z.shape)
        base_var = np.broadcast_to(vprofile[:-1], z.shape)
        on = None
    else:
        # each instrument moves only in its own session, with the intraday profile in its session time
        on, inst_profile, session_s = _instrument_sessions(cfg, times, step_ns, inst_open[:n_und],
                                                           inst_close[:n_und], inst_bs[:n_und], inst_be[:n_und])
        dt_inst = cfg.step_seconds / (session_s * TRADING_DAYS_PER_YEAR)
        base_scale = np.sqrt(inst_profile[:, :-1])
        base_var = inst_profile[:, :-1]
    # GARCH and Student-t act per block of steps: the kernel reads each block's factor, not a repeat of it
    block = max(int(round(cfg.garch_step_seconds / cfg.step_seconds)), 1)
    no_blocks = np.zeros((0, 0))
    garch_sd = t_sd = no_blocks
    garch_next = None
    if cfg.garch:
        h, garch_next = garch_block_variance(z, block=block, alpha=cfg.garch_alpha, beta=cfg.garch_beta,
                                             h0=garch_state)
        garch_sd = np.sqrt(h)
    if cfg.return_dof > 0 and n_steps > 1:
        # Student-t blocks: each block's variance times an inverse chi-square of mean 1
        n_blocks = -(-(n_steps - 1) // block)
        t_sd = np.sqrt((cfg.return_dof - 2.0) / rng.chisquare(cfg.return_dof, size=(z.shape[0], n_blocks)))
    jump = no_blocks
    jump_mode = JUMPS_NONE
    comp = np.zeros(len(vol))
    if cfg.jumps and cfg.jump_intensity > 0:
        # compensated so the jumps add no drift to the price
        jump = merton_jumps(rng, z.shape, intensity=cfg.jump_intensity, mean=cfg.jump_mean, std=cfg.jump_std)
        mean_jump = np.exp(cfg.jump_mean + 0.5 * cfg.jump_std**2) - 1.0
        if on is None:
            jump_mode = JUMPS_PLAIN
            comp[:] = cfg.jump_intensity / max(n_steps - 1, 1) * mean_jump
        else:
            jump_mode = JUMPS_SESSION
            comp[:] = cfg.jump_intensity / np.maximum(on.sum(axis=1), 1) * mean_jump
    start = table["price"].to_numpy(np.float64)[:n_und] if open_mid is None \
        else np.asarray(open_mid, np.float64)[:n_und]
    if prices is None:
        # one pass per instrument (no move outside its session, nor on its venue's holiday)
        logp = np.empty((len(vol), n_steps))
        log_paths_nb(drift, vol, np.broadcast_to(np.asarray(dt_inst, np.float64), vol.shape).copy(), base_scale,
                     base_var, garch_sd, t_sd, block, z, jump, comp, jump_mode,
                     np.zeros((0, 0), np.bool_) if on is None else on, logp)
        mid = np.exp(logp, out=logp)
        mid *= start[:, None]
    else:  # the user's prices replace the simulated paths (the draws still happen)
        mid = prices_on_grid(validate_user_prices(prices, [i.symbol for i in cfg.instruments]), times)
    if cfg.options:
        opt_rows = []
        for k in range(len(cfg.options)):
            row = table.iloc[n_und + k]
            expiry_ns = int(row["expiry"]) * NS_PER_DAY + cfg.session_close_ns
            opt_rows.append(option_mids(mid[int(row["underlying"])], times, strike=float(row["strike"]),
                                        expiry_ns=expiry_ns, vol=float(row["volatility"]),
                                        is_call=row["call_put"] == "C"))
        # an option never quotes below one tick
        mid = np.vstack([mid, np.maximum(np.array(opt_rows), table["tick_size"].to_numpy()[n_und:, None])])
    bid, ask = _quote(mid, table["tick_size"].to_numpy(np.float64), table["spread_bps"].to_numpy(np.float64))

    ccys = cfg.currencies
    fx = np.ones((len(ccys), n_steps))
    zf = rng.standard_normal((len(cfg.fx_rates), n_steps - 1))
    for k, pair in enumerate(cfg.fx_rates):
        rate = pair.rate if open_fx is None else _rate_from_fx(open_fx, ccys, pair, cfg.base_currency)
        path = rate * np.exp(np.concatenate([[0.0], np.cumsum(
            -0.5 * pair.volatility**2 * dt + pair.volatility * np.sqrt(dt) * zf[k])]))
        if pair.quote == cfg.base_currency and pair.base in ccys:
            fx[ccys.index(pair.base)] = path
        elif pair.base == cfg.base_currency and pair.quote in ccys:
            fx[ccys.index(pair.quote)] = 1.0 / path
    return MarketData(times=times, mid=mid, bid=bid, ask=ask, fx=fx, instruments=table,
                      currencies=ccys, trade_date=trade_date, profile=profile, garch_state=garch_next,
                      session_open=inst_open, session_close=inst_close, break_start=inst_bs, break_end=inst_be)


def _instrument_sessions(cfg: MarketConfig, times: np.ndarray, step_ns: int, open_ns: np.ndarray,
                         close_ns: np.ndarray, break_start: np.ndarray | None = None,
                         break_end: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per instrument: which grid intervals lie in its session (its lunch break excluded), its intraday
    profile on the grid (mean 1 over its trading time, 0 outside, in trading time: the break is skipped)
    and its trading time in seconds. The profile is the variance's (``volatility_open``/``volatility_close``)."""
    if break_start is None:
        break_start = break_end = np.full(open_ns.shape, -1, np.int64)
    has = (break_start >= 0) & (break_end > break_start)
    bs = np.where(has, break_start, 0).astype(np.int64)
    blen = np.where(has, break_end - break_start, 0).astype(np.int64)
    length = np.maximum(close_ns - open_ns - blen, 1).astype(np.float64)
    # one pass per instrument (session_clock_nb): the grid-sized compares and clips made a dozen temporaries
    on = np.empty((open_ns.shape[0], times.shape[0] - 1), bool)
    frac = np.empty((open_ns.shape[0], times.shape[0]))
    session_clock_nb(np.asarray(times, np.int64), 0.5 * step_ns, np.asarray(open_ns, np.int64),
                     np.asarray(close_ns, np.int64), bs, blen, length, on, frac)
    if cfg.intraday_profile:
        prof = intraday_profile(frac, open_factor=cfg.volatility_open, close_factor=cfg.volatility_close,
                                halflife=cfg.profile_halflife)
    else:
        prof = np.ones_like(frac)
    inside = np.concatenate([on, on[:, -1:]], axis=1)
    prof = np.where(inside, prof, 0.0)
    mean = prof.sum(axis=1) / np.maximum(inside.sum(axis=1), 1)
    prof = prof / np.where(mean > 0, mean, 1.0)[:, None]
    return on, prof, length / 1e9


def session_profile(cfg: MarketConfig, n_steps: int, *, variance: bool = False) -> np.ndarray:
    """The intraday profile at the grid's steps (ones when ``cfg.intraday_profile`` is off): activity's
    (``profile_open``/``profile_close``), or with ``variance`` the fair price's variance's
    (``volatility_open``/``volatility_close``)."""
    if not cfg.intraday_profile:
        return np.ones(n_steps)
    frac = (np.arange(n_steps) + 0.5) / n_steps
    p = intraday_profile(frac, open_factor=cfg.volatility_open if variance else cfg.profile_open,
                         close_factor=cfg.volatility_close if variance else cfg.profile_close,
                         halflife=cfg.profile_halflife)
    return p / p.mean()
