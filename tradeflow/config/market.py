"""Market configuration: instruments, options, FX paths, correlation and the calendar."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tradeflow.config._validate import (
    _coerce_float,
    _fail,
    _finite,
    _freeze_mappings,
    _mic,
    _parse_date,
    _parse_hhmm,
    _positive,
    _positive_int,
)

# The main exchange of each currency's equity market: an instrument's listing venue when none is given.
HOME_MIC: dict[str, str] = {
    "USD": "XNYS", "EUR": "XETR", "GBP": "XLON", "CHF": "XSWX", "JPY": "XTKS", "HKD": "XHKG", "CAD": "XTSE",
    "AUD": "XASX", "SEK": "XSTO", "DKK": "XCSE", "NOK": "XOSL",
}


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
    settlement_lag : int, optional
        Override of the settlement cycle: business days from trade date to settlement date on
        the settlement calendar of ``currency``. By default (``None``) the market's cycle on the
        trade date applies (``SettlementConfig.cycles``: US T+2 until 2024-05-27 and T+1 from
        2024-05-28; EU, UK and Swiss T+2 until 2027-10-08 and T+1 from 2027-10-11).
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
    settlement_lag: int | None = None
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
        if self.price < self.tick_size:  # a price below one tick would print at a whole tick or more
            _fail(self, "price", f"at least one tick_size ({self.tick_size!r})", self.price)
        _positive_int(self, "lot_size")
        if self.settlement_lag is not None:
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
        As for :class:`InstrumentConfig` (options settle T+1 by default, ``None``: the market's
        cycle); ``multiplier`` (default 1) is reported in the instrument table for the risk engine;
        prices and quantities are per unit.
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
    settlement_lag: int | None = 1
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
        if self.settlement_lag is not None:
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
        [InstrumentConfig(symbol=s, currency="USD", price=p, volatility=v, mic=mic[s]) for s, p, v in us]
        + [InstrumentConfig(symbol=s, currency="EUR", price=p, volatility=v, spread_bps=3.0, mic=mic[s])
           for s, p, v in eu]
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
        Continuous trading session in UTC (09:30-16:00 New York in winter) of every instrument
        when ``venue_sessions`` is off, and of venues without an exchange calendar (``XOFF``).
    venue_sessions : bool, default=True
        On: each instrument trades in its own venue's local session (``exchange_calendars``, keyed
        by its MIC: DST, early closes, holidays; see ``docs/calendars.md``); the desk-day spans the
        union of the venues' sessions and a run's days are the days a venue trades or a market
        settles. Off: one UTC session (``session_open``-``session_close``) for every instrument on
        the base currency's settlement days (settlement still on each market's own calendar).
    step_seconds : float, default=1.0
        Spacing of the simulated quote grid.
    base_currency : str, default="USD"
        Currency P&L and exposures are reported in.
    holidays : dict of str to list of str, default={}
        Extra non-business days per currency (ISO dates), merged into the published settlement
        calendar of that currency (see ``docs/calendars.md``); weekends are always closed.
    options : tuple of OptionConfig, default=()
        European options on the instruments, appended to the instrument table after them.
    intraday_profile : bool, default=True
        U-shaped intraday seasonality: volume (order arrivals, background liquidity) and
        variance are ``profile_open`` times the midday level at the open and
        ``profile_close`` times at the close (see :func:`tradeflow.market.profile.intraday_profile`).
    profile_open, profile_close : float, default=3.0, 2.0
    volatility_open, volatility_close : float, default=4.0, 2.5
        The fair price's variance at the open / close relative to midday (its U-shape, with the
        same half-life), apart from volume's: 4 / 2.5 make the volatility U-shape stand out of a
        day's GARCH noise on every seed tried (issue 13; see docs/market.md).
    profile_halflife : float, default=0.05
        Half-life of the open/close excess as a share of the session.
    garch : bool, default=True
        GARCH(1,1) volatility clustering: the variance of each ``garch_step_seconds`` block
        reacts to the previous block's return (in units of the configured variance, which
        stays the long-run level). The variance carries over from one day to the next.
    garch_alpha, garch_beta : float, default=0.12, 0.875
        ARCH and GARCH coefficients; ``garch_alpha + garch_beta`` must be below 1. The
        defaults (persistence 0.995 per minute) put the autocorrelation of absolute 1-minute
        returns near 0.2 at one minute and 0.05-0.1 at thirty, as in equity data.
    garch_step_seconds : float, default=60
    return_dof : float, default=7.0
        Heavy-tailed returns: each ``garch_step_seconds`` block's variance is also scaled by
        an independent ``(dof - 2) / chi2(dof)`` (mean 1), so block returns are Student-t
        with this many degrees of freedom (tail index ``dof``; real 1-minute returns have
        tail indices of 3-5). 0: Gaussian blocks.
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
    venue_sessions: bool = True
    step_seconds: float = 1.0
    base_currency: str = "USD"
    holidays: dict[str, tuple[str, ...]] = field(default_factory=dict)
    options: tuple[OptionConfig, ...] = ()
    intraday_profile: bool = True
    profile_open: float = 3.0
    profile_close: float = 2.0
    volatility_open: float = 4.0
    volatility_close: float = 2.5
    profile_halflife: float = 0.05
    garch: bool = True
    garch_alpha: float = 0.12
    garch_beta: float = 0.875
    garch_step_seconds: float = 60.0
    return_dof: float = 7.0
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
        _coerce_float(self, "profile_open", "profile_close", "profile_halflife", "volatility_open", "volatility_close")
        _positive(self, "profile_open")
        _positive(self, "profile_close")
        _positive(self, "volatility_open")
        _positive(self, "volatility_close")
        _positive(self, "profile_halflife")
        for flag in ("intraday_profile", "garch", "jumps", "venue_sessions"):
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
        _coerce_float(self, "return_dof")
        if not (self.return_dof == 0 or self.return_dof > 2):
            _fail(self, "return_dof", "0 (Gaussian) or above 2 (a finite variance)", self.return_dof)
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
        _freeze_mappings(self)  # dict fields become read-only, hashable FrozenDicts

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
