"""Typed, validated configuration for a desk-day.

Every config is a frozen, keyword-only dataclass validated in ``__post_init__``; a bad
value raises ``ValueError`` naming the class, the field and the value. Configs nest into
one :class:`SimulationConfig`, which loads from TOML (:meth:`SimulationConfig.from_toml`)
or a plain dict (:meth:`SimulationConfig.from_dict`), rejecting unknown keys by name.

Examples
--------
>>> from tradeflow.config import SimulationConfig
>>> cfg = SimulationConfig.from_dict({"flow": {"orders_per_day": 5_000}})
>>> cfg.flow.orders_per_day
5000.0
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "InstrumentConfig", "OptionConfig", "FxRateConfig", "MarketConfig", "FlowConfig", "ExecutionConfig",
    "PreTradeConfig", "BackOfficeConfig", "SimulationConfig", "RiskConfig", "LimitsConfig",
    "SettlementConfig", "ConfirmationConfig", "FaultConfig",
]


# --------------------------------------------------------------------------- validation helpers
def _fail(obj: object, name: str, what: str, value: object) -> None:
    raise ValueError(
        f"The {name!r} parameter of {type(obj).__name__} must be {what}. Got {value!r} instead."
    )


def _positive(obj: object, name: str, *, allow_zero: bool = False) -> None:
    v = getattr(obj, name)
    ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    ok = ok and (v >= 0 if allow_zero else v > 0)
    if not ok:
        _fail(obj, name, "a finite non-negative number" if allow_zero else "a finite positive number", v)


def _finite(obj: object, name: str) -> None:
    v = getattr(obj, name)
    if not (isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)):
        _fail(obj, name, "a finite number", v)


def _positive_int(obj: object, name: str, *, allow_zero: bool = False) -> None:
    v = getattr(obj, name)
    ok = isinstance(v, int | np.integer) and not isinstance(v, bool) and (v >= 0 if allow_zero else v > 0)
    if not ok:
        _fail(obj, name, "a non-negative int" if allow_zero else "a positive int", v)


def _probability(obj: object, name: str) -> None:
    v = getattr(obj, name)
    if not (isinstance(v, int | float) and not isinstance(v, bool) and 0.0 <= v <= 1.0):
        _fail(obj, name, "a probability in [0, 1]", v)


def _coerce_float(obj: object, *names: str) -> None:
    # Frozen dataclasses: coerce ints from TOML (e.g. ``price = 100``) to float in place.
    for n in names:
        v = getattr(obj, n)
        if isinstance(v, int) and not isinstance(v, bool):
            object.__setattr__(obj, n, float(v))


def _parse_hhmm(obj: object, name: str) -> int:
    v = getattr(obj, name)
    try:
        t = _dt.time.fromisoformat(v)
    except (TypeError, ValueError):
        _fail(obj, name, "a time of day 'HH:MM' (UTC)", v)
    return (t.hour * 3600 + t.minute * 60 + t.second) * 1_000_000_000


def _parse_date(obj: object, name: str, v: object) -> np.datetime64:
    try:
        return np.datetime64(_dt.date.fromisoformat(str(v)), "D")
    except ValueError:
        _fail(obj, name, "an ISO date 'YYYY-MM-DD'", v)
    raise AssertionError  # unreachable


# The main exchange of each currency's equity market: an instrument's listing venue when none is given.
HOME_MIC: dict[str, str] = {
    "USD": "XNYS", "EUR": "XETR", "GBP": "XLON", "CHF": "XSWX", "JPY": "XTKS", "HKD": "XHKG", "CAD": "XTSE",
    "AUD": "XASX", "SEK": "XSTO", "DKK": "XCSE", "NOK": "XOSL",
}


def _mic(obj: object, name: str) -> None:
    v = getattr(obj, name)
    if not (isinstance(v, str) and re.fullmatch(r"[A-Z0-9]{4}", v)):
        _fail(obj, name, "an ISO 10383 market identifier code: 4 upper-case letters or digits such as 'XNYS'", v)


# --------------------------------------------------------------------------- market
@dataclass(frozen=True, slots=True, kw_only=True)
class InstrumentConfig:
    """One listed instrument.

    Parameters
    ----------
    symbol : str
        Unique ticker.
    currency : str, default="USD"
        ISO currency the instrument trades and settles in.
    price : float, default=100.0
        Opening mid price.
    volatility : float, default=0.25
        Annualised volatility of log returns (0.25 = 25%).
    drift : float, default=0.0
        Annualised drift of log returns.
    tick_size : float, default=0.01
        Minimum price increment; must be a whole number of the currency's minor units.
    lot_size : int, default=1
        Order quantities are rounded to multiples of this.
    settlement_lag : int, default=1
        Business days from trade date to settlement date (T+1 in the US since May 2024).
    spread_bps : float, default=2.0
        Quoted bid/ask spread in basis points of the mid (at least one tick is enforced).
    weight : float, default=1.0
        Relative share of client order flow.
    mic : str, optional
        ISO 10383 market identifier code of the listing venue the desk's orders go to (e.g.
        ``"XNAS"``, ``"XNYS"``, ``"XETR"``, ``"XPAR"``); orders carry its id (``venue``) and FIX
        messages name it (ExDestination 100, LastMkt 30). Defaults to the main exchange of the
        currency's market (:data:`HOME_MIC`: USD ``XNYS``, EUR ``XETR`` ...; ``XOFF`` otherwise).
    """

    symbol: str
    currency: str = "USD"
    price: float = 100.0
    volatility: float = 0.25
    drift: float = 0.0
    tick_size: float = 0.01
    lot_size: int = 1
    settlement_lag: int = 1
    spread_bps: float = 2.0
    weight: float = 1.0
    mic: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.symbol, str) or not self.symbol:
            _fail(self, "symbol", "a non-empty str", self.symbol)
        if not (isinstance(self.currency, str) and len(self.currency) == 3 and self.currency.isupper()):
            _fail(self, "currency", "a 3-letter ISO currency code", self.currency)
        if self.mic is None:
            object.__setattr__(self, "mic", HOME_MIC.get(self.currency, "XOFF"))
        _mic(self, "mic")
        _coerce_float(self, "price", "volatility", "drift", "tick_size", "spread_bps", "weight")
        _positive(self, "price")
        _positive(self, "volatility", allow_zero=True)
        _finite(self, "drift")
        _positive(self, "tick_size")
        _positive_int(self, "lot_size")
        _positive_int(self, "settlement_lag", allow_zero=True)
        _positive(self, "spread_bps", allow_zero=True)
        _positive(self, "weight", allow_zero=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class FxRateConfig:
    """An FX rate path, quoted as units of ``pair[3:]`` per one ``pair[:3]`` (EURUSD = USD per EUR)."""

    pair: str
    rate: float
    volatility: float = 0.08

    def __post_init__(self) -> None:
        if not (isinstance(self.pair, str) and len(self.pair) == 6 and self.pair.isupper()):
            _fail(self, "pair", "a 6-letter currency pair such as 'EURUSD'", self.pair)
        if self.pair[:3] == self.pair[3:]:
            _fail(self, "pair", "two different currencies", self.pair)
        _coerce_float(self, "rate", "volatility")
        _positive(self, "rate")
        _positive(self, "volatility", allow_zero=True)

    @property
    def base(self) -> str:
        return self.pair[:3]

    @property
    def quote(self) -> str:
        return self.pair[3:]


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionConfig:
    """A European option on one of the market's instruments, priced Black-Scholes from its simulated spot.

    Parameters
    ----------
    symbol : str
        Unique ticker.
    underlying : str
        Symbol of an instrument in ``MarketConfig.instruments``; the option trades in its currency.
    strike : float
    expiry : str
        ISO date; the option expires at that day's session close (on or after the trade date).
    kind : {"call", "put"}, default="call"
    volatility : float, optional
        Pricing volatility; defaults to the underlying's configured volatility.
    tick_size, lot_size, multiplier, settlement_lag, spread_bps, weight
        As for :class:`InstrumentConfig`; ``multiplier`` (default 1) is reported in the
        instrument table for the risk engine; prices and quantities are per unit.
    mic : str, optional
        ISO 10383 code of the venue the option trades on (e.g. ``"XCBO"``, ``"XEUR"``);
        defaults to its underlying's.
    """

    symbol: str
    underlying: str
    strike: float
    expiry: str
    kind: str = "call"
    volatility: float | None = None
    tick_size: float = 0.01
    lot_size: int = 1
    multiplier: float = 1.0
    settlement_lag: int = 1
    spread_bps: float = 50.0
    weight: float = 0.5
    mic: str | None = None

    def __post_init__(self) -> None:
        if self.mic is not None:
            _mic(self, "mic")
        if not isinstance(self.symbol, str) or not self.symbol:
            _fail(self, "symbol", "a non-empty str", self.symbol)
        if not isinstance(self.underlying, str) or not self.underlying:
            _fail(self, "underlying", "the symbol of an instrument", self.underlying)
        _coerce_float(self, "strike", "tick_size", "multiplier", "spread_bps", "weight")
        if isinstance(self.volatility, int) and not isinstance(self.volatility, bool):
            object.__setattr__(self, "volatility", float(self.volatility))
        _positive(self, "strike")
        _parse_date(self, "expiry", self.expiry)
        if self.kind not in ("call", "put"):
            _fail(self, "kind", "one of 'call', 'put'", self.kind)
        if self.volatility is not None:
            _positive(self, "volatility", allow_zero=True)
        _positive(self, "tick_size")
        _positive_int(self, "lot_size")
        _positive(self, "multiplier")
        _positive_int(self, "settlement_lag", allow_zero=True)
        _positive(self, "spread_bps", allow_zero=True)
        _positive(self, "weight", allow_zero=True)


def _default_instruments() -> tuple[InstrumentConfig, ...]:
    us = [("AAPL", 230.0, 0.25), ("MSFT", 420.0, 0.22), ("AMZN", 190.0, 0.30), ("JPM", 210.0, 0.20),
          ("XOM", 115.0, 0.24), ("NVDA", 140.0, 0.45)]
    eu = [("SAP", 230.0, 0.24), ("ASML", 680.0, 0.32), ("SIE", 180.0, 0.22), ("TTE", 58.0, 0.21)]
    # primary listings: Nasdaq, NYSE, Xetra, Euronext Amsterdam and Paris
    mic = {"AAPL": "XNAS", "MSFT": "XNAS", "AMZN": "XNAS", "JPM": "XNYS", "XOM": "XNYS", "NVDA": "XNAS",
           "SAP": "XETR", "ASML": "XAMS", "SIE": "XETR", "TTE": "XPAR"}
    return tuple(
        [InstrumentConfig(symbol=s, currency="USD", price=p, volatility=v, settlement_lag=1, mic=mic[s])
         for s, p, v in us]
        + [InstrumentConfig(symbol=s, currency="EUR", price=p, volatility=v, settlement_lag=2,
                            spread_bps=3.0, mic=mic[s]) for s, p, v in eu]
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketConfig:
    """Instruments, FX and the calendar of the simulated market.

    Parameters
    ----------
    instruments : tuple of InstrumentConfig
        Ten equities in USD and EUR by default.
    fx_rates : tuple of FxRateConfig
        Paths that convert every instrument currency into ``base_currency``.
    correlation : float or square matrix, default=0.3
        Correlation of the instruments' log returns: one number for all pairs, or an
        ``n_instruments x n_instruments`` matrix that must be positive semi-definite.
    trade_date : str, default="2026-11-25"
        The (business) day simulated.
    session_open, session_close : str, default="14:30", "21:00"
        Continuous trading session in UTC (09:30-16:00 New York).
    step_seconds : float, default=1.0
        Spacing of the simulated quote grid.
    base_currency : str, default="USD"
        Currency P&L and exposures are reported in.
    holidays : dict of str to list of str
        Non-business days per currency (ISO dates); weekends are always closed.
    options : tuple of OptionConfig, default=()
        European options on the instruments, appended to the instrument table after them.
    intraday_profile : bool, default=True
        U-shaped intraday seasonality: volume (order arrivals, background liquidity) and
        variance are ``profile_open`` times the midday level at the open and
        ``profile_close`` times at the close (see :func:`tradeflow.market.profile.intraday_profile`).
    profile_open, profile_close : float, default=3.0, 2.0
    profile_halflife : float, default=0.05
        Half-life of the open/close excess as a share of the session.
    garch : bool, default=True
        GARCH(1,1) volatility clustering: the variance of each ``garch_step_seconds`` block
        reacts to the previous block's return (in units of the configured variance, which
        stays the long-run level). The variance carries over from one day to the next.
    garch_alpha, garch_beta : float, default=0.1, 0.88
        ARCH and GARCH coefficients; ``garch_alpha + garch_beta`` must be below 1.
    garch_step_seconds : float, default=60
    jumps : bool, default=True
        Merton jumps: compound-Poisson normal jumps of the log price.
    jump_intensity : float, default=2.0
        Expected jumps per instrument per session.
    jump_mean, jump_std : float, default=0.0, 0.004
        Normal distribution of a jump's log size.
    """

    instruments: tuple[InstrumentConfig, ...] = field(default_factory=_default_instruments)
    fx_rates: tuple[FxRateConfig, ...] = (FxRateConfig(pair="EURUSD", rate=1.08, volatility=0.07),)
    correlation: float | tuple[tuple[float, ...], ...] = 0.3
    trade_date: str = "2026-11-25"
    session_open: str = "14:30"
    session_close: str = "21:00"
    step_seconds: float = 1.0
    base_currency: str = "USD"
    holidays: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "USD": ("2026-11-26", "2026-12-25", "2027-01-01"),
            "EUR": ("2026-12-25", "2026-12-26", "2027-01-01"),
        }
    )
    options: tuple[OptionConfig, ...] = ()
    intraday_profile: bool = True
    profile_open: float = 3.0
    profile_close: float = 2.0
    profile_halflife: float = 0.05
    garch: bool = True
    garch_alpha: float = 0.1
    garch_beta: float = 0.88
    garch_step_seconds: float = 60.0
    jumps: bool = True
    jump_intensity: float = 2.0
    jump_mean: float = 0.0
    jump_std: float = 0.004

    def __post_init__(self) -> None:
        object.__setattr__(self, "instruments", tuple(self.instruments))
        object.__setattr__(self, "fx_rates", tuple(self.fx_rates))
        if len(self.instruments) == 0:
            _fail(self, "instruments", "a non-empty sequence of InstrumentConfig", self.instruments)
        for i, inst in enumerate(self.instruments):
            if not isinstance(inst, InstrumentConfig):
                _fail(self, "instruments", f"InstrumentConfig entries (entry {i} is not)", inst)
        symbols = [i.symbol for i in self.instruments]
        dupes = sorted({s for s in symbols if symbols.count(s) > 1})
        if dupes:
            _fail(self, "instruments", "instruments with unique symbols", dupes)
        _coerce_float(self, "step_seconds")
        _positive(self, "step_seconds")
        _coerce_float(self, "profile_open", "profile_close", "profile_halflife")
        _positive(self, "profile_open")
        _positive(self, "profile_close")
        _positive(self, "profile_halflife")
        for flag in ("intraday_profile", "garch", "jumps"):
            if not isinstance(getattr(self, flag), bool):
                _fail(self, flag, "a bool", getattr(self, flag))
        _coerce_float(self, "garch_alpha", "garch_beta", "garch_step_seconds", "jump_intensity", "jump_mean",
                      "jump_std")
        _positive(self, "garch_alpha", allow_zero=True)
        _positive(self, "garch_beta", allow_zero=True)
        if self.garch_alpha + self.garch_beta >= 1.0:
            _fail(self, "garch_beta", f"below 1 - garch_alpha ({1 - self.garch_alpha:.4g}) for a stationary "
                  "GARCH(1,1) variance", self.garch_beta)
        _positive(self, "garch_step_seconds")
        _positive(self, "jump_intensity", allow_zero=True)
        _finite(self, "jump_mean")
        _positive(self, "jump_std", allow_zero=True)
        open_ns = _parse_hhmm(self, "session_open")
        close_ns = _parse_hhmm(self, "session_close")
        if close_ns <= open_ns:
            _fail(self, "session_close", f"after session_open ({self.session_open})", self.session_close)
        if (close_ns - open_ns) / 1e9 < self.step_seconds:
            _fail(self, "step_seconds", "shorter than the session", self.step_seconds)
        td = _parse_date(self, "trade_date", self.trade_date)
        object.__setattr__(self, "options", tuple(self.options))
        for opt in self.options:
            if not isinstance(opt, OptionConfig):
                _fail(self, "options", "OptionConfig entries", opt)
            if opt.underlying not in symbols:
                _fail(self, "options", f"options on known instruments {symbols} (option {opt.symbol!r})",
                      opt.underlying)
            if _parse_date(self, "options", opt.expiry) < td:
                _fail(self, "options", f"options expiring on or after trade_date (option {opt.symbol!r})",
                      opt.expiry)
        all_symbols = symbols + [o.symbol for o in self.options]
        if len(set(all_symbols)) != len(all_symbols):
            _fail(self, "options", "option symbols unique among all instruments", [o.symbol for o in self.options])
        object.__setattr__(self, "holidays", {k: tuple(v) for k, v in dict(self.holidays).items()})
        for ccy, days in self.holidays.items():
            # calendars of currencies not traded are allowed: one holiday file can serve many markets
            if not (isinstance(ccy, str) and len(ccy) == 3 and ccy.isupper()):
                _fail(self, "holidays", "keyed by 3-letter ISO currency codes", ccy)
            for d in days:
                _parse_date(self, "holidays", d)
        if not np.is_busday(td, holidays=list(self.holidays.get(self.base_currency, ()))):
            _fail(self, "trade_date", "a business day (not a weekend or holiday)", self.trade_date)
        # Every currency must convert to the base currency through one configured pair.
        pairs = {fx.pair for fx in self.fx_rates}
        if len(pairs) != len(self.fx_rates):
            _fail(self, "fx_rates", "pairs without duplicates", [fx.pair for fx in self.fx_rates])
        for ccy in self.currencies:
            if ccy != self.base_currency and ccy + self.base_currency not in pairs \
                    and self.base_currency + ccy not in pairs:
                _fail(self, "fx_rates", f"a rate converting {ccy} into {self.base_currency}",
                      sorted(pairs))
        self.correlation_matrix()  # validates

    @property
    def currencies(self) -> tuple[str, ...]:
        """Currencies in use: the base currency first, then instrument currencies in order."""
        out = [self.base_currency]
        for inst in self.instruments:
            if inst.currency not in out:
                out.append(inst.currency)
        return tuple(out)

    @property
    def symbols(self) -> tuple[str, ...]:
        """Symbols of the instrument table: the instruments, then the options."""
        return tuple(i.symbol for i in self.instruments) + tuple(o.symbol for o in self.options)

    @property
    def mics(self) -> tuple[str, ...]:
        """Listing venue (MIC) of each row of the instrument table: the instruments, then the options."""
        by_symbol = {i.symbol: i.mic for i in self.instruments}
        return tuple(by_symbol.values()) + tuple(o.mic or by_symbol[o.underlying] for o in self.options)

    @property
    def venues(self) -> tuple[str, ...]:
        """Venues in use (MICs) in order of first appearance in :attr:`mics`; an order's ``venue`` indexes it."""
        return tuple(dict.fromkeys(self.mics))

    def correlation_matrix(self) -> np.ndarray:
        """The instruments' correlation matrix, validated.

        Raises
        ------
        ValueError
            If it is not square of the right size, not symmetric, has entries outside
            [-1, 1] or a diagonal other than 1, or is not positive semi-definite.
        """
        n = len(self.instruments)
        c = self.correlation
        if isinstance(c, int | float) and not isinstance(c, bool):
            if not (-1.0 / max(n - 1, 1) <= c <= 1.0):
                raise ValueError(
                    f"The 'correlation' parameter of MarketConfig must be in [{-1.0 / max(n - 1, 1):.4g}, 1] "
                    f"for {n} instruments to be positive semi-definite. Got {c!r} instead."
                )
            m = np.full((n, n), float(c))
            np.fill_diagonal(m, 1.0)
            return m
        try:
            m = np.array(c, dtype=np.float64)
        except (TypeError, ValueError):
            _fail(self, "correlation", "a number or a square matrix of numbers", c)
        if m.shape != (n, n):
            _fail(self, "correlation", f"a {n}x{n} matrix (one row per instrument)", f"shape {m.shape}")
        if not np.all(np.isfinite(m)) or np.any(np.abs(m) > 1.0):
            _fail(self, "correlation", "a matrix of finite entries in [-1, 1]", c)
        if not np.allclose(np.diag(m), 1.0):
            _fail(self, "correlation", "a matrix with ones on the diagonal", c)
        if not np.allclose(m, m.T):
            _fail(self, "correlation", "a symmetric matrix", c)
        min_eig = float(np.linalg.eigvalsh(m).min())
        if min_eig < -1e-10:
            raise ValueError(
                "The 'correlation' parameter of MarketConfig is not valid: correlation matrix is not "
                f"positive semi-definite (smallest eigenvalue {min_eig:.6g})."
            )
        return m

    @property
    def session_open_ns(self) -> int:
        return _parse_hhmm(self, "session_open")

    @property
    def session_close_ns(self) -> int:
        return _parse_hhmm(self, "session_close")


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
        are power-law with exponent ``metaorder_tail`` (capped at ``metaorder_max``), which
        gives the order signs long memory with Hurst exponent ``(3 - tail) / 2`` (Lillo,
        Mike & Farmer 2005). Off: every order's side is a fair coin.
    metaorder_tail : float, default=1.5
    metaorder_max : int, default=100
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
    metaorder_max: int = 100
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
        if not (isinstance(self.metaorder_tail, float) and 1.0 < self.metaorder_tail < 3.0):
            _fail(self, "metaorder_tail", "in (1, 3) (Hurst exponent (3 - tail) / 2 in (0, 1))", self.metaorder_tail)
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
    book_shape : {"linear", "flat"}, default="linear"
        Placement density of background limits against the distance from the fair price:
        ``"linear"`` (rising with distance: a V-shaped book, thin at the touch) or ``"flat"``
        (uniform). Both give concave immediate (mechanical) impact; the metaorder impact
        of client flow comes from ``impact``.
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
    """

    taker_fee_bps: float = 0.3
    maker_fee_bps: float = 0.1
    venue: str = "book"
    latency_us: float = 250.0
    latency_jitter_us: float = 100.0
    book_events_per_second: float = 6.0
    book_depth_ticks: int = 15
    book_shape: str = "linear"
    book_market_share: float = 0.08
    book_cancel_share: float = 0.42
    book_order_lots: float = 2.0
    book_lifetime_seconds: float = 60.0
    impact: bool = True
    impact_coefficient: float = 1.5
    impact_decay_exponent: float = 0.5
    impact_timescale_seconds: float = 1.0

    def __post_init__(self) -> None:
        _coerce_float(self, "taker_fee_bps", "maker_fee_bps", "latency_us", "latency_jitter_us",
                      "book_events_per_second", "book_market_share", "book_cancel_share", "book_order_lots",
                      "book_lifetime_seconds")
        _positive(self, "taker_fee_bps", allow_zero=True)
        _positive(self, "maker_fee_bps", allow_zero=True)
        if self.venue not in ("book", "quote"):
            _fail(self, "venue", "one of 'book', 'quote'", self.venue)
        _positive(self, "latency_us", allow_zero=True)
        _positive(self, "latency_jitter_us", allow_zero=True)
        _positive(self, "book_events_per_second")
        _positive_int(self, "book_depth_ticks")
        if self.book_shape not in ("linear", "flat"):
            _fail(self, "book_shape", "one of 'linear', 'flat'", self.book_shape)
        _probability(self, "book_market_share")
        _probability(self, "book_cancel_share")
        if self.book_market_share + self.book_cancel_share >= 1.0:
            _fail(self, "book_cancel_share", f"below 1 - book_market_share ({1 - self.book_market_share:.4g}) "
                  "so some background events are limit orders", self.book_cancel_share)
        _positive(self, "book_order_lots")
        _positive(self, "book_lifetime_seconds")
        if not isinstance(self.impact, bool):
            _fail(self, "impact", "a bool", self.impact)
        _coerce_float(self, "impact_coefficient", "impact_decay_exponent", "impact_timescale_seconds")
        _positive(self, "impact_coefficient", allow_zero=True)
        b = self.impact_decay_exponent
        if not (isinstance(b, float) and 0.0 < b < 1.0):
            _fail(self, "impact_decay_exponent", "in (0, 1)", b)
        _positive(self, "impact_timescale_seconds")


# --------------------------------------------------------------------------- middle office
@dataclass(frozen=True, slots=True, kw_only=True)
class PreTradeConfig:
    """Pre-trade risk limits checked on every order before it goes out.

    Parameters
    ----------
    price_collar_bps : float, default=500
        A limit price further than this from the reference mid is rejected.
    max_order_qty : int, default=50_000
        Largest order size in shares.
    max_order_notional : float, default=5_000_000
        Largest order notional in the base currency.
    max_position_qty : int, default=60_000
        Largest absolute position per book and instrument, counting the order and the
        book's working orders on the same side.
    max_position_qty_by_symbol : dict of str to int
        Overrides of ``max_position_qty`` for named instruments.
    max_gross_position_qty : int, default=150_000
        Largest gross open quantity per book and instrument: ``|position|`` plus every
        working order on both sides plus the new order.
    client_credit_limit : float, default=5_000_000_000
        Credit threshold per client: base-currency notional of the client's accepted orders
        in the session (filled and still working; cancelled or expired quantity is released).
    max_orders_per_second : int, default=50
        Message throttle per trader: orders in any rolling one-second window.
    duplicate_window_s : float, default=1.0
        An order with the same client, instrument, side, type, quantity and limit price as
        one accepted less than this many seconds before is rejected as a duplicate (0 = off).
    """

    price_collar_bps: float = 500.0
    max_order_qty: int = 50_000
    max_order_notional: float = 5_000_000.0
    max_position_qty: int = 60_000
    max_position_qty_by_symbol: dict[str, int] = field(default_factory=dict)
    max_gross_position_qty: int = 150_000
    client_credit_limit: float = 5_000_000_000.0
    max_orders_per_second: int = 50
    duplicate_window_s: float = 1.0

    def __post_init__(self) -> None:
        _coerce_float(self, "price_collar_bps", "max_order_notional")
        _positive(self, "price_collar_bps")
        _positive_int(self, "max_order_qty")
        _positive(self, "max_order_notional")
        _positive_int(self, "max_position_qty")
        object.__setattr__(self, "max_position_qty_by_symbol", dict(self.max_position_qty_by_symbol))
        for sym, q in self.max_position_qty_by_symbol.items():
            if not (isinstance(q, int) and not isinstance(q, bool) and q > 0):
                _fail(self, "max_position_qty_by_symbol", f"positive ints (entry {sym!r})", q)
        _coerce_float(self, "client_credit_limit", "duplicate_window_s")
        _positive_int(self, "max_gross_position_qty")
        _positive(self, "client_credit_limit")
        _positive_int(self, "max_orders_per_second")
        if self.max_orders_per_second > 100_000:
            _fail(self, "max_orders_per_second", "at most 100_000", self.max_orders_per_second)
        _positive(self, "duplicate_window_s", allow_zero=True)


_PNL_METHODS = ("average_cost", "fifo")
_BREACH_ACTIONS = ("none", "reducing_only", "halt")


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskConfig:
    """The risk engine: scenarios, VaR/ES levels, horizons and option-pricing inputs.

    Parameters
    ----------
    n_scenarios : int, default=500
        Daily scenario returns per instrument for historical VaR (drawn from the market's
        correlated model, see :mod:`tradeflow.market.scenarios`).
    var_level : float, default=0.99
        Confidence of VaR.
    es_level : float, default=0.975
        Confidence of Expected Shortfall (the Basel FRTB pairing: 97.5% ES ~ 99% VaR).
    horizon_days : int, default=10
        The long horizon reported beside the 1-day figures (square-root-of-time scaling).
    pnl_method : {"average_cost", "fifo"}, default="average_cost"
        How realized P&L is attributed when a position is reduced (total P&L is the same).
    risk_free_rate, dividend_yield : float, default=0.04, 0.0
        Continuously compounded, per year; used for options when the instrument table has no
        ``rate`` / ``dividend_yield`` column.
    fx_scenarios : bool, default=True
        FX rates move in the VaR scenarios too (drawn from the market's FX model, see
        :func:`tradeflow.market.scenarios.simulate_fx_scenarios`), so a foreign position
        carries FX risk in VaR/ES; False holds every rate at its current value.
    """

    n_scenarios: int = 500
    var_level: float = 0.99
    es_level: float = 0.975
    horizon_days: int = 10
    pnl_method: str = "average_cost"
    risk_free_rate: float = 0.04
    dividend_yield: float = 0.0
    fx_scenarios: bool = True

    def __post_init__(self) -> None:
        _coerce_float(self, "var_level", "es_level", "risk_free_rate", "dividend_yield")
        if not isinstance(self.fx_scenarios, bool):
            _fail(self, "fx_scenarios", "a bool", self.fx_scenarios)
        _positive_int(self, "n_scenarios")
        if self.n_scenarios < 20:
            _fail(self, "n_scenarios", "at least 20", self.n_scenarios)
        for n in ("var_level", "es_level"):
            v = getattr(self, n)
            if not (isinstance(v, float) and 0.5 <= v < 1.0):
                _fail(self, n, "a confidence level in [0.5, 1)", v)
        _positive_int(self, "horizon_days")
        if self.pnl_method not in _PNL_METHODS:
            _fail(self, "pnl_method", f"one of {_PNL_METHODS}", self.pnl_method)
        _finite(self, "risk_free_rate")
        _finite(self, "dividend_yield")


@dataclass(frozen=True, slots=True, kw_only=True)
class LimitsConfig:
    """Post-trade risk limits per book and for the desk, in the base currency.

    A limit warns at ``warning_fraction`` of its threshold and is breached at the threshold;
    every change of level is a breach event in ``RunResult.breaches``. The VaR limits are checked
    after every fill; gross exposure, drawdown and concentration, which move with the marks, at
    every price update (every step of the quote grid in :func:`tradeflow.simulate`); all limits
    at every risk snapshot. 0 switches a limit off.

    Parameters
    ----------
    book_var, desk_var : float, default=3_000_000, 10_000_000
        1-day historical VaR at ``RiskConfig.var_level``.
    book_gross_exposure, desk_gross_exposure : float, default=150_000_000, 500_000_000
    book_drawdown, desk_drawdown : float, default=2_000_000, 5_000_000
        Stop-loss on the fall of total P&L from its running peak.
    drawdown_window : {"day", "run"}, default="day"
        Where the running peak starts: at each session's open (a daily stop-loss, so a book
        that lost yesterday trades again today) or at the start of the run (a drawdown over
        the whole run: once breached, it breaches again every morning until P&L recovers).
    book_concentration : float, default=0.7
        Largest single-instrument share of a book's gross exposure; only checked when the
        book's gross exposure is at least ``concentration_min_gross``.
    concentration_min_gross : float, default=20_000_000
    warning_fraction : float, default=0.8
    breach_action : {"none", "reducing_only", "halt"}, default="reducing_only"
        What a book breach does to the book's trading state (desk breaches switch every book).
    """

    book_var: float = 3_000_000.0
    desk_var: float = 10_000_000.0
    book_gross_exposure: float = 150_000_000.0
    desk_gross_exposure: float = 500_000_000.0
    book_drawdown: float = 2_000_000.0
    desk_drawdown: float = 5_000_000.0
    book_concentration: float = 0.7
    concentration_min_gross: float = 20_000_000.0
    warning_fraction: float = 0.8
    breach_action: str = "reducing_only"
    drawdown_window: str = "day"

    def __post_init__(self) -> None:
        if self.drawdown_window not in ("day", "run"):
            _fail(self, "drawdown_window", "one of ('day', 'run')", self.drawdown_window)
        names = ("book_var", "desk_var", "book_gross_exposure", "desk_gross_exposure", "book_drawdown",
                 "desk_drawdown", "book_concentration", "concentration_min_gross", "warning_fraction")
        _coerce_float(self, *names)
        for n in names:
            _positive(self, n, allow_zero=True)
        if self.book_concentration > 1.0:
            _fail(self, "book_concentration", "a share in [0, 1] (0 = off)", self.book_concentration)
        if not 0.0 < self.warning_fraction <= 1.0:
            _fail(self, "warning_fraction", "a fraction in (0, 1]", self.warning_fraction)
        if self.breach_action not in _BREACH_ACTIONS:
            _fail(self, "breach_action", f"one of {_BREACH_ACTIONS}", self.breach_action)


# --------------------------------------------------------------------------- back office
@dataclass(frozen=True, slots=True, kw_only=True)
class BackOfficeConfig:
    """Ledger conventions.

    Parameters
    ----------
    minor_units : dict of str to int
        Decimal places of each currency's minor unit (USD 2: cents; JPY 0).
    pnl_tolerance_minor : float, default=0.5
        Front- vs back-office P&L differences below this many minor units are rounding,
        not a break (the front office keeps float P&L, the ledger exact cents).
    booking_cutoff : str, default="22:00"
        Time of day (UTC) by which a trade must be booked on its trade date; later
        bookings are ``LATE_BOOKING`` breaks.
    """

    minor_units: dict[str, int] = field(
        default_factory=lambda: {"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "JPY": 0}
    )
    pnl_tolerance_minor: float = 0.5
    booking_cutoff: str = "22:00"

    def __post_init__(self) -> None:
        object.__setattr__(self, "minor_units", dict(self.minor_units))
        for ccy, d in self.minor_units.items():
            if not (isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 4):
                _fail(self, "minor_units", f"ints in [0, 4] (entry {ccy!r})", d)
        _coerce_float(self, "pnl_tolerance_minor")
        _positive(self, "pnl_tolerance_minor")
        _parse_hhmm(self, "booking_cutoff")

    @property
    def booking_cutoff_ns(self) -> int:
        return _parse_hhmm(self, "booking_cutoff")


_NETTING = ("gross", "net_cash", "net_all")
_FAIL_CAUSES = ("lack_of_securities", "on_hold", "late_matching")


@dataclass(frozen=True, slots=True, kw_only=True)
class SettlementConfig:
    """Settlement cycles, netting, fails and penalties.

    Parameters
    ----------
    netting : {"gross", "net_cash", "net_all"}, default="gross"
        The BIS delivery-versus-payment models: 1 (every instruction gross), 2 (securities
        gross, cash netted per book x counterparty x currency x day), 3 (securities and cash
        netted bilaterally per book x counterparty x instrument x settlement date).
    cycles : dict of str to list of (str, int)
        Per market (keyed by settlement currency), ``(effective_date, lag)`` changes of the
        settlement cycle; before a market's first entry the instrument's own ``settlement_lag``
        applies. Default: USD T+1 from 2024-05-28, EUR/GBP/CHF T+1 from 2027-10-11.
    fail_rates : dict of str to float
        Probability that a due instruction fails on an attempt, per settlement currency,
        calibrated to published settlement efficiency: about 2% of US (DTCC CNS)
        instructions and 5-6% of EU equity settlement value fail (ESMA). Currencies not
        listed use ``default_fail_rate``.
    default_fail_rate : float, default=0.02
    counterparty_fail_rates : dict of int to float
        Overrides of the fail rate for named counterparty ids (any currency).
    fail_causes : dict of str to float
        Relative weights of the causes of a fail drawn at the fail rate: ``lack_of_securities``,
        ``on_hold``, ``late_matching`` (an unresolved confirmation always fails as
        ``late_matching``). A drawn lack of securities is the *counterparty's* (it fails to
        deliver to the book); the book's own deliveries fail for lack of securities only when
        its custody holding plus ``borrow_availability`` does not cover them (receipts settle
        first each day), so on the book's deliveries only ``on_hold`` / ``late_matching`` are drawn.
    partial_settlement : bool, default=True
        A fail for lack of securities may deliver what is available (partial settlement).
    partial_share : float, default=0.5
        Share of the counterparties' lack-of-securities fails that settle partially instead of not at all.
    borrow_availability : int or None, default=None
        Units of each instrument a book can borrow from the securities-lending desk to
        deliver, i.e. how far its custody holding may go below zero. ``None``: unlimited
        (every short sale located, as Reg SHO requires); ``0``: no lending, a sale beyond
        the custody holding fails for lack of securities.
    borrow_availability_by_symbol : dict of str to int
        Overrides of ``borrow_availability`` for named instruments (hard-to-borrow names).
    buy_in_currencies : tuple of str, default=("EUR",)
        Settlement currencies whose market applies the CSDR mandatory buy-in (empty: none).
    buy_in_extension_days : dict of str to int
        Per asset class, the extension period in business days: a delivery still failed after
        it (failed on more days than this) is bought in (liquid shares 4, bonds 7); asset
        classes not listed are never bought in. The obligation ends ``BOUGHT_IN``.
    buy_in_premium_bps : float, default=50.0
        The buy-in price is the day's closing price plus this premium; the failing side pays
        the receiving side the difference over the agreed price when it is positive.
    penalty_bps : dict of str to float
        CSDR-style daily cash penalty per failed instruction, in bps of the unsettled
        value at the day's close, per asset class (liquid shares 1.0 bp).
    penalty_currencies : tuple of str, default=("EUR",)
        Settlement currencies whose market charges penalties (the EU's CSDR regime).
    """

    netting: str = "gross"
    cycles: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=lambda: {
        "USD": (("2024-05-28", 1),),
        "EUR": (("2027-10-11", 1),),
        "GBP": (("2027-10-11", 1),),
        "CHF": (("2027-10-11", 1),),
    })
    fail_rates: dict[str, float] = field(default_factory=lambda: {"USD": 0.02, "EUR": 0.055, "GBP": 0.04})
    default_fail_rate: float = 0.02
    counterparty_fail_rates: dict[int, float] = field(default_factory=dict)
    fail_causes: dict[str, float] = field(default_factory=lambda: {
        "lack_of_securities": 0.6, "on_hold": 0.25, "late_matching": 0.15})
    partial_settlement: bool = True
    partial_share: float = 0.5
    penalty_bps: dict[str, float] = field(default_factory=lambda: {
        "equity": 1.0, "etf": 0.5, "bond": 0.2, "government_bond": 0.1, "fx": 0.0, "future": 0.0,
        "option": 0.0})
    penalty_currencies: tuple[str, ...] = ("EUR",)
    borrow_availability: int | None = None
    borrow_availability_by_symbol: dict[str, int] = field(default_factory=dict)
    buy_in_currencies: tuple[str, ...] = ("EUR",)
    buy_in_extension_days: dict[str, int] = field(default_factory=lambda: {
        "equity": 4, "etf": 4, "bond": 7, "government_bond": 7})
    buy_in_premium_bps: float = 50.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "buy_in_currencies", tuple(self.buy_in_currencies))
        object.__setattr__(self, "buy_in_extension_days", dict(self.buy_in_extension_days))
        for k, v in self.buy_in_extension_days.items():
            if not (isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 60):
                _fail(self, "buy_in_extension_days", f"ints in [0, 60] business days (entry {k!r})", v)
        _coerce_float(self, "buy_in_premium_bps")
        if not (isinstance(self.buy_in_premium_bps, float) and 0.0 <= self.buy_in_premium_bps <= 10_000.0):
            _fail(self, "buy_in_premium_bps", "a float in [0, 10000]", self.buy_in_premium_bps)
        if self.borrow_availability is not None:
            _positive_int(self, "borrow_availability", allow_zero=True)
        object.__setattr__(self, "borrow_availability_by_symbol", dict(self.borrow_availability_by_symbol))
        for sym, v in self.borrow_availability_by_symbol.items():
            if not (isinstance(sym, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0):
                _fail(self, "borrow_availability_by_symbol", "symbols mapped to ints >= 0", {sym: v})
        if self.netting not in _NETTING:
            _fail(self, "netting", f"one of {list(_NETTING)}", self.netting)
        cycles = {}
        for ccy, entries in dict(self.cycles).items():
            if not (isinstance(ccy, str) and len(ccy) == 3 and ccy.isupper()):
                _fail(self, "cycles", "keyed by 3-letter ISO currency codes", ccy)
            rows = []
            for e in entries:
                if not (isinstance(e, tuple | list) and len(e) == 2):
                    _fail(self, "cycles", f"(effective_date, lag) pairs (market {ccy!r})", e)
                _parse_date(self, "cycles", e[0])
                if not (isinstance(e[1], int) and not isinstance(e[1], bool) and 0 <= e[1] <= 10):
                    _fail(self, "cycles", f"lags that are ints in [0, 10] (market {ccy!r})", e[1])
                rows.append((str(e[0]), int(e[1])))
            cycles[ccy] = tuple(sorted(rows))
        object.__setattr__(self, "cycles", cycles)
        object.__setattr__(self, "fail_rates", {k: float(v) if isinstance(v, int) and not isinstance(v, bool)
                                                else v for k, v in dict(self.fail_rates).items()})
        for ccy, r in self.fail_rates.items():
            if not (isinstance(r, float) and 0.0 <= r <= 1.0):
                _fail(self, "fail_rates", f"probabilities in [0, 1] (entry {ccy!r})", r)
        _coerce_float(self, "default_fail_rate", "partial_share")
        _probability(self, "default_fail_rate")
        object.__setattr__(self, "counterparty_fail_rates", {
            int(k): float(v) for k, v in dict(self.counterparty_fail_rates).items()})
        for c, r in self.counterparty_fail_rates.items():
            if c < 0 or not 0.0 <= r <= 1.0:
                _fail(self, "counterparty_fail_rates", "counterparty ids >= 0 mapped to probabilities",
                      {c: r})
        object.__setattr__(self, "fail_causes", dict(self.fail_causes))
        unknown = sorted(set(self.fail_causes) - set(_FAIL_CAUSES))
        if unknown:
            _fail(self, "fail_causes", f"keyed by {list(_FAIL_CAUSES)}", unknown)
        w = [self.fail_causes.get(c, 0.0) for c in _FAIL_CAUSES]
        if any(not (isinstance(x, int | float) and x >= 0) for x in w) or sum(w) <= 0:
            _fail(self, "fail_causes", "non-negative weights with a positive sum", self.fail_causes)
        if not isinstance(self.partial_settlement, bool):
            _fail(self, "partial_settlement", "a bool", self.partial_settlement)
        _probability(self, "partial_share")
        object.__setattr__(self, "penalty_bps", dict(self.penalty_bps))
        for k, v in self.penalty_bps.items():
            if not (isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 100):
                _fail(self, "penalty_bps", f"rates in [0, 100] bps (entry {k!r})", v)
        object.__setattr__(self, "penalty_currencies", tuple(self.penalty_currencies))

    def borrow_units(self, symbols: list[str] | tuple[str, ...]) -> np.ndarray:
        """Units a book can borrow of each of ``symbols`` (int64; -1 = unlimited)."""
        default = -1 if self.borrow_availability is None else self.borrow_availability
        return np.array([self.borrow_availability_by_symbol.get(s, default) for s in symbols], np.int64)

    def fail_cause_weights(self) -> np.ndarray:
        """Normalised weights of (lack_of_securities, on_hold, late_matching)."""
        w = np.array([float(self.fail_causes.get(c, 0.0)) for c in _FAIL_CAUSES])
        return w / w.sum()


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmationConfig:
    """How simulated counterparties answer our trade confirmations.

    Each rate is the probability that a counterparty's first answer differs in that way;
    the default is a clean street (every trade affirmed at once). Real desks see a few
    percent of confirmations needing a fix.

    Parameters
    ----------
    price_mismatch_rate, qty_mismatch_rate, settle_date_mismatch_rate, no_answer_rate : float
        Default 0.0; their sum must not exceed 1.
    resolution_days : int, default=1
        Business days until a disagreement is resolved (a missing answer takes one more).
        Until then the confirmation is a ``CONFIRMATION_UNMATCHED`` break, and a due
        instruction fails for late matching.
    """

    price_mismatch_rate: float = 0.0
    qty_mismatch_rate: float = 0.0
    settle_date_mismatch_rate: float = 0.0
    no_answer_rate: float = 0.0
    resolution_days: int = 1

    def __post_init__(self) -> None:
        names = ("price_mismatch_rate", "qty_mismatch_rate", "settle_date_mismatch_rate", "no_answer_rate")
        _coerce_float(self, *names)
        for n in names:
            _probability(self, n)
        if sum(getattr(self, n) for n in names) > 1.0:
            _fail(self, "no_answer_rate", "such that the four mismatch rates sum to at most 1", self.no_answer_rate)
        _positive_int(self, "resolution_days", allow_zero=True)

    def rates(self) -> np.ndarray:
        """(price, qty, settle date, no answer) probabilities."""
        return np.array([self.price_mismatch_rate, self.qty_mismatch_rate, self.settle_date_mismatch_rate,
                         self.no_answer_rate])


_FAULT_FIELDS = ("missing_trade", "duplicate_booking", "qty_keyed_wrong", "price_keyed_wrong", "wrong_book",
                 "fee_mismatch", "wrong_fx_rate", "late_booking")


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultConfig:
    """Faults injected on the path from front to back office, to test the reconciliation.

    Each trade-level rate is the probability that a fill reaches the back office with that
    fault (at most one fault per fill; the rates must sum to at most 1). All default to 0:
    a clean run has no breaks.

    Parameters
    ----------
    missing_trade, duplicate_booking, qty_keyed_wrong, price_keyed_wrong, wrong_book,
    fee_mismatch, wrong_fx_rate, late_booking : float, default=0.0
    statement_error : float, default=0.0
        Probability that a custodian or nostro statement line has a wrong closing balance.
    """

    missing_trade: float = 0.0
    duplicate_booking: float = 0.0
    qty_keyed_wrong: float = 0.0
    price_keyed_wrong: float = 0.0
    wrong_book: float = 0.0
    fee_mismatch: float = 0.0
    wrong_fx_rate: float = 0.0
    late_booking: float = 0.0
    statement_error: float = 0.0

    def __post_init__(self) -> None:
        _coerce_float(self, *_FAULT_FIELDS, "statement_error")
        for n in (*_FAULT_FIELDS, "statement_error"):
            _probability(self, n)
        if sum(getattr(self, n) for n in _FAULT_FIELDS) > 1.0:
            _fail(self, "late_booking", "such that the trade-level fault rates sum to at most 1",
                  self.late_booking)

    def trade_rates(self) -> np.ndarray:
        """Per-fill probabilities in ``FaultKind`` order (MISSING_TRADE .. LATE_BOOKING)."""
        return np.array([getattr(self, n) for n in _FAULT_FIELDS])

    @property
    def any(self) -> bool:
        return bool(self.trade_rates().sum() > 0 or self.statement_error > 0)


# --------------------------------------------------------------------------- the whole run
@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationConfig:
    """Everything a desk-day needs; ``SimulationConfig()`` is the default 100,000-order day.

    Parameters
    ----------
    market, flow, execution, pretrade, back : the rooms' configs
    risk, limits : RiskConfig, LimitsConfig
        The middle office's risk engine (VaR/ES, P&L method) and its post-trade limits.
    settlement, confirmation, faults : the back office's settlement, confirmation and
        fault-injection settings (defaults: calibrated fails, a clean street, no faults)
    days : int, default=1
        Business days to simulate from ``market.trade_date`` (base-currency calendar);
        positions, P&L and unsettled trades carry over from one day to the next.
    pnl_interval_seconds : float, default=300
        Spacing of the P&L and exposure snapshots.
    """

    market: MarketConfig = field(default_factory=MarketConfig)
    flow: FlowConfig = field(default_factory=FlowConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)
    pretrade: PreTradeConfig = field(default_factory=PreTradeConfig)
    back: BackOfficeConfig = field(default_factory=BackOfficeConfig)
    days: int = 1
    pnl_interval_seconds: float = 300.0
    risk: RiskConfig = field(default_factory=RiskConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    settlement: SettlementConfig = field(default_factory=SettlementConfig)
    confirmation: ConfirmationConfig = field(default_factory=ConfirmationConfig)
    faults: FaultConfig = field(default_factory=FaultConfig)

    def __post_init__(self) -> None:
        _positive_int(self, "days")
        _coerce_float(self, "pnl_interval_seconds")
        _positive(self, "pnl_interval_seconds")
        for name, cls in (("market", MarketConfig), ("flow", FlowConfig), ("execution", ExecutionConfig),
                          ("pretrade", PreTradeConfig), ("back", BackOfficeConfig), ("risk", RiskConfig),
                          ("limits", LimitsConfig), ("settlement", SettlementConfig),
                          ("confirmation", ConfirmationConfig), ("faults", FaultConfig)):
            if not isinstance(getattr(self, name), cls):
                _fail(self, name, f"a {cls.__name__}", getattr(self, name))
        for sym in self.pretrade.max_position_qty_by_symbol:
            if sym not in self.market.symbols:
                raise ValueError(
                    f"The 'max_position_qty_by_symbol' parameter of PreTradeConfig names an unknown "
                    f"instrument {sym!r}; known instruments: {list(self.market.symbols)}."
                )
        for sym in self.settlement.borrow_availability_by_symbol:
            if sym not in self.market.symbols:
                raise ValueError(
                    f"The 'borrow_availability_by_symbol' parameter of SettlementConfig names an unknown "
                    f"instrument {sym!r}; known instruments: {list(self.market.symbols)}."
                )
        for inst in self.market.instruments:
            if inst.currency not in self.back.minor_units:
                raise ValueError(
                    f"The 'minor_units' parameter of BackOfficeConfig has no entry for currency "
                    f"{inst.currency!r} (instrument {inst.symbol!r})."
                )
            scale = 10 ** self.back.minor_units[inst.currency]
            ticks = inst.tick_size * scale
            if abs(ticks - round(ticks)) > 1e-9:
                raise ValueError(
                    f"The 'tick_size' parameter of InstrumentConfig {inst.symbol!r} must be a whole number "
                    f"of {inst.currency} minor units (1/{scale}). Got {inst.tick_size!r} instead."
                )

    # ---------------------------------------------------------------- loading
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimulationConfig:
        """Build a config from nested dicts (missing keys take defaults; unknown keys raise)."""
        return _build(cls, data, "")

    @classmethod
    def from_toml(cls, path: str | Path) -> SimulationConfig:
        """Load a config from a TOML file.

        Tables are ``[market]``, ``[[market.instruments]]``, ``[[market.fx_rates]]``,
        ``[flow]``, ``[execution]``, ``[pretrade]``, ``[back]``, ``[risk]``, ``[limits]``,
        ``[settlement]``, ``[confirmation]``, ``[faults]``.
        """
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (round-trips through :meth:`from_dict`)."""
        return _to_plain(self)


def _to_plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple | list):
        return [_to_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _to_plain(v) for k, v in obj.items()}
    return obj


def _build(cls: type, data: Any, where: str) -> Any:
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise ValueError(f"{where or cls.__name__} must be a table of {cls.__name__} fields. Got {data!r}.")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(
            f"Unknown key(s) {unknown} for {cls.__name__}{' at ' + where if where else ''}; "
            f"valid keys: {sorted(names)}."
        )
    kwargs = {}
    for key, value in data.items():
        kwargs[key] = _convert(hints[key], value, f"{where}.{key}" if where else key)
    return cls(**kwargs)


def _convert(hint: Any, value: Any, where: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis and dataclasses.is_dataclass(args[0]):
        if not isinstance(value, list | tuple):
            raise ValueError(f"{where} must be an array of tables. Got {value!r}.")
        return tuple(_build(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (types.UnionType, typing.Union) and isinstance(value, list):
        return tuple(tuple(row) if isinstance(row, list) else row for row in value)
    return value
