"""Middle-office configuration: pre-trade controls, the risk engine and post-trade limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from tradeflow.config._validate import (
    INT64_MAX,
    _coerce_float,
    _fail,
    _finite,
    _freeze_mappings,
    _positive,
    _positive_int,
)


# --------------------------------------------------------------------------- middle office
@dataclass(frozen=True, slots=True, kw_only=True)
class PreTradeConfig:
    """Pre-trade risk limits checked on every order before it goes out.

    Parameters
    ----------
    price_collar_bps : float, default=500
        A limit price further than this from the reference mid is rejected: an order is refused
        only when ``|limit - ref| > (collar_bps * 1e-4 + 1e-9) * ref``, so one exactly at the
        collar (105 against 100 with 500 bp) is accepted; the 1e-9 relative tolerance absorbs
        floating-point error and is far below any tick.
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
            if not (isinstance(q, int) and not isinstance(q, bool) and 0 < q <= INT64_MAX):
                _fail(self, "max_position_qty_by_symbol", f"positive ints below 2**63 (entry {sym!r})", q)
        _coerce_float(self, "client_credit_limit", "duplicate_window_s")
        _positive_int(self, "max_gross_position_qty")
        _positive(self, "client_credit_limit")
        _positive_int(self, "max_orders_per_second")
        if self.max_orders_per_second > 100_000:
            _fail(self, "max_orders_per_second", "at most 100_000", self.max_orders_per_second)
        _positive(self, "duplicate_window_s", allow_zero=True)
        _freeze_mappings(self)  # dict fields become read-only, hashable FrozenDicts


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
    book_concentration : float, default=0.35
        Single-name limit: the largest single-instrument ``|market value|`` of a book as a share
        of the measure named by ``concentration_basis``.
    concentration_basis : {"gross_limit", "gross"}, default="gross_limit"
        ``"gross_limit"``: the share of the book's gross-exposure limit ``book_gross_exposure``
        (a fixed notional per name: 0.35 x 150M = 52.5M by default, above the largest position
        the pre-trade limit allows in a default name, 60,000 ASML = 44M), as a risk manager sets a
        single-name limit against a book's capital. It does not move with the book's momentary
        gross, so a book is not called concentrated because only one region's venues are open
        (the European morning, when only the EU names trade) or because it is small. Falls back
        to ``"gross"`` when ``book_gross_exposure`` is 0. ``"gross"``: the share of the book's
        momentary gross exposure, checked once that gross is at least ``concentration_min_gross``.
    concentration_min_gross : float, default=20_000_000
        The floor of the ``"gross"`` basis.
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
    book_concentration: float = 0.35
    concentration_basis: str = "gross_limit"
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
        if self.concentration_basis not in ("gross_limit", "gross"):
            _fail(self, "concentration_basis", "one of ('gross_limit', 'gross')", self.concentration_basis)
        if self.breach_action not in _BREACH_ACTIONS:
            _fail(self, "breach_action", f"one of {_BREACH_ACTIONS}", self.breach_action)
