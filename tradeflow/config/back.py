"""Back-office configuration: ledger conventions, settlement, confirmations and injected faults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from tradeflow.config._validate import (
    INT64_MAX,
    _coerce_float,
    _fail,
    _freeze_mappings,
    _parse_date,
    _parse_hhmm,
    _positive,
    _positive_int,
    _probability,
)


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
        _freeze_mappings(self)  # dict fields become read-only, hashable FrozenDicts

    @property
    def booking_cutoff_ns(self) -> int:
        return _parse_hhmm(self, "booking_cutoff")


_NETTING = ("gross", "net_cash", "net_all")

# Settlement cycle history per market: (first trade date, T+n). Before a market's first entry, and in a
# market without one, trades settle T+2 (see docs/calendars.md for the sources).
DEFAULT_SETTLEMENT_CYCLES: dict[str, tuple[tuple[str, int], ...]] = {
    "USD": (("1995-06-07", 3), ("2017-09-05", 2), ("2024-05-28", 1)),  # SEC rule 15c6-1: T+3, T+2, T+1
    "CAD": (("1995-06-07", 3), ("2017-09-05", 2), ("2024-05-27", 1)),  # Canada moved a day before the US
    "EUR": (("2014-10-06", 2), ("2027-10-11", 1)),  # CSDR art. 5 (T+2); EU T+1 for trades from 2027-10-11
    "GBP": (("2014-10-06", 2), ("2027-10-11", 1)),  # UK T+1 alongside the EU
    "CHF": (("2014-10-06", 2), ("2027-10-11", 1)),  # Switzerland alongside the EU
    "JPY": (("2019-07-16", 2),),  # JASDEC T+3 -> T+2
}
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
        settlement cycle, counted in business days of the market's settlement calendar; before a
        market's first entry (and in a market without entries) T+2. An instrument's own
        ``settlement_lag``, when set, overrides its market's cycle. Default
        (:data:`DEFAULT_SETTLEMENT_CYCLES`): US T+2 from 2017-09-05 and T+1 from 2024-05-28;
        EU/UK/CH T+2 until 2027-10-08 and T+1 from 2027-10-11; CAD T+1 from 2024-05-27; JPY T+2.
    fail_rates : dict of str to float
        Probability that a due instruction fails on an attempt, per settlement currency,
        calibrated to published settlement efficiency: about 2% of US (DTCC CNS)
        instructions and 5-6% of EU equity settlement value fail (ESMA). Currencies not
        listed use ``default_fail_rate``. Measured at the intended settlement date over
        receipts and the book's deliveries alike, the share of instructions that fail (in
        whole or in part) is this rate; the book's own custody shortfalls (limited
        ``borrow_availability``) and unresolved confirmations fail on top of it.
    default_fail_rate : float, default=0.02
    counterparty_fail_rates : dict of int to float
        Overrides of the fail rate for named counterparty ids (any currency).
    fail_causes : dict of str to float
        Relative weights of the causes of a fail drawn at the fail rate: ``lack_of_securities``,
        ``on_hold``, ``late_matching`` (an unresolved confirmation always fails as
        ``late_matching``). A drawn lack of securities is the *counterparty's* (it fails to
        deliver to the book); the book's own deliveries fail for lack of securities only when
        its custody holding plus ``borrow_availability`` does not cover them (receipts settle
        first each day), so a fail drawn on the book's delivery takes ``on_hold`` or
        ``late_matching`` (their weights renormalised): every drawn fail fails.
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
    cycles: dict[str, tuple[tuple[str, int], ...]] = field(
        default_factory=lambda: {k: tuple(v) for k, v in DEFAULT_SETTLEMENT_CYCLES.items()})
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
            if not (isinstance(sym, str) and isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= INT64_MAX):
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
        # keys are counterparty ids: ints, or their decimal strings (TOML keys are strings); never 1.5 or "abc"
        if not isinstance(self.counterparty_fail_rates, Mapping):
            _fail(self, "counterparty_fail_rates", "a table of counterparty ids to probabilities",
                  self.counterparty_fail_rates)
        for k, v in dict(self.counterparty_fail_rates).items():
            if not ((isinstance(k, int | np.integer) and not isinstance(k, bool))
                    or (isinstance(k, str) and k.strip().isdigit())):
                _fail(self, "counterparty_fail_rates", "keyed by counterparty ids (ints >= 0, or their digits "
                      f"as strings) (key {k!r})", k)
            if not (isinstance(v, int | float | np.floating) and not isinstance(v, bool)):
                _fail(self, "counterparty_fail_rates", f"probabilities in [0, 1] (entry {k!r})", v)
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
        _freeze_mappings(self)  # dict fields become read-only, hashable FrozenDicts

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
