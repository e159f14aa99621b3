"""The record registry: each table's dtype, office, enums and description, and frames built from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType

import numpy as np
import pandas as pd

from tradeflow.schema.enums import (
    AccountKind,
    AlgoKind,
    BreachLevel,
    BreakKind,
    ConfirmationStatus,
    EventKind,
    FailReason,
    FaultKind,
    LimitKind,
    Liquidity,
    OrderOrigin,
    OrderStatus,
    OrderType,
    RejectReason,
    SettlementStatus,
    Side,
    TimeInForce,
    TradingState,
    TxnType,
)
from tradeflow.schema.records import (
    ALGO_PARENT_DT,
    BOOKING_DT,
    BREACH_DT,
    BREAK_DT,
    CONFIRMATION_DT,
    DEPTH_DT,
    EXECUTION_DT,
    EXPLAIN_DT,
    FAULT_DT,
    FILL_DT,
    LEDGER_DT,
    OBLIGATION_DT,
    ORDER_DT,
    ORDER_EVENT_DT,
    PNL_DT,
    POSITION_DT,
    QUOTE_DT,
    RISK_DT,
    SETTLEMENT_DT,
    SETTLEMENT_EVENT_DT,
    STATEMENT_DT,
    TRADE_DT,
)

# Which integer fields hold which enum, so frames show labels instead of codes.
ENUM_FIELDS: dict[str, type[IntEnum]] = {
    "side": Side,
    "order_type": OrderType,
    "tif": TimeInForce,
    "status": OrderStatus,
    "reject_reason": RejectReason,
    "reason": RejectReason,
    "liquidity": Liquidity,
    "account_kind": AccountKind,
    "trading_state": TradingState,
    "limit": LimitKind,
    "level": BreachLevel,
    "fail_reason": FailReason,
    "txn_type": TxnType,
    "origin": OrderOrigin,
    "algo": AlgoKind,
}


OFFICES = ("front", "middle", "back")


@dataclass(frozen=True)
class Table:
    """One kind of record a run produces: the registry entry every face reads.

    Attributes
    ----------
    name : str
        Key in ``RunResult.records`` and file name in the Parquet run store.
    dtype : numpy.dtype
        The record layout the kernels read and write.
    office : {"front", "middle", "back"}
        The office that produces it: ``result.<office>.<frame>`` shows it.
    description : str
        One line for listings (CLI, docs).
    enums : mapping of str to IntEnum
        The enum of each coded field; frames show member names instead of codes.
    nullable : tuple of str
        Enum fields where ``-1`` means "none" (shown as missing).
    frame : str
        The ``RunResult`` property (and ``tradeflow report --table`` name) that shows it;
        defaults to ``name``.
    optional : bool
        Whether a run may lack it (e.g. ``quotes`` exist only with the book venue).
    """

    name: str
    dtype: np.dtype
    office: str
    description: str
    enums: Mapping[str, type[IntEnum]] = field(default_factory=dict)
    nullable: tuple[str, ...] = ()
    frame: str = ""
    optional: bool = False

    def __post_init__(self) -> None:
        if self.office not in OFFICES:
            raise ValueError(f"The 'office' parameter of Table must be one of {OFFICES}. Got {self.office!r} instead.")
        unknown = [f for f in (*self.enums, *self.nullable) if f not in self.dtype.names]
        if unknown:
            raise ValueError(f"Table {self.name!r} names enum fields {unknown} that {self.name}'s dtype lacks")
        object.__setattr__(self, "enums", MappingProxyType(dict(self.enums)))
        if not self.frame:
            object.__setattr__(self, "frame", self.name)

    def empty(self) -> np.ndarray:
        """A zero-length record array of this table."""
        return np.zeros(0, self.dtype)


def _register(*tables: Table) -> dict[str, Table]:
    return {t.name: t for t in tables}


_ORDER_ENUMS = {"side": Side, "order_type": OrderType, "tif": TimeInForce, "status": OrderStatus,
                "reject_reason": RejectReason, "origin": OrderOrigin}

# Every record table of a run, by office. Adding a table is one entry here: the run store,
# the CLI's ``report --table``, the back office's buffers and ``RunResult`` (``result.<office>.<frame>``)
# all read this registry.
TABLES: dict[str, Table] = _register(
    # front office: client flow, the venue's executions and book
    Table("orders", ORDER_DT, "front", "every client order with its final status and reject reason",
          _ORDER_ENUMS),
    Table("events", ORDER_EVENT_DT, "front", "order lifecycle events (accepted, rejected, filled, ...)",
          {"kind": EventKind, "reason": RejectReason}, frame="order_events"),
    Table("fills", FILL_DT, "front", "executions the desk kept, with fees",
          {"side": Side, "liquidity": Liquidity}),
    Table("parents", ALGO_PARENT_DT, "front", "algo parent orders (TWAP/VWAP) worked by child orders",
          {"side": Side, "algo": AlgoKind, "order_type": OrderType, "status": OrderStatus}, optional=True),
    Table("executions", EXECUTION_DT, "front", "what the venue executed (book venue: orders let out only)",
          {"liquidity": Liquidity}, optional=True),
    Table("quotes", QUOTE_DT, "front", "top of each instrument's venue book on the quote grid", optional=True),
    Table("trades", TRADE_DT, "front", "the venue's tape: every trade on every book, background included",
          {"side": Side}, optional=True),
    Table("depth", DEPTH_DT, "front", "the books' best levels per side on the depth grid (long format)",
          {"side": Side}, optional=True),
    # middle office: positions, P&L, risk and limits
    Table("positions", POSITION_DT, "middle", "positions at the last close per book and instrument"),
    Table("eod_positions", POSITION_DT, "middle", "positions at every day's close"),
    Table("pnl", PNL_DT, "middle", "P&L and exposure snapshots per book, base currency"),
    Table("risk", RISK_DT, "middle", "VaR/ES, exposures, drawdown and trading state per book and desk",
          {"trading_state": TradingState}, optional=True),
    Table("breaches", BREACH_DT, "middle", "limit warnings, breaches and clearances",
          {"limit": LimitKind, "level": BreachLevel, "action": TradingState}, nullable=("action",), optional=True),
    # back office: booking, confirmation, settlement, ledger, reconciliation
    Table("settlements", SETTLEMENT_DT, "back", "settlement instructions, one per fill",
          {"side": Side, "status": SettlementStatus, "fail_reason": FailReason}),
    Table("ledger", LEDGER_DT, "back", "double-entry ledger postings",
          {"account_kind": AccountKind, "txn_type": TxnType}),
    Table("breaks", BREAK_DT, "back", "reconciliation breaks",
          {"kind": BreakKind, "account_kind": AccountKind}, nullable=("account_kind",)),
    Table("bookings", BOOKING_DT, "back", "the back office's bookings of the fills", {"side": Side},
          optional=True),
    Table("confirmations", CONFIRMATION_DT, "back", "trade confirmations and the counterparty's answers",
          {"status": ConfirmationStatus}, optional=True),
    Table("obligations", OBLIGATION_DT, "back", "what settles (gross or netted) and its final state",
          {"status": SettlementStatus, "fail_reason": FailReason}, optional=True),
    Table("settlement_events", SETTLEMENT_EVENT_DT, "back", "every open obligation's status at each day's end",
          {"status": SettlementStatus, "fail_reason": FailReason}, frame="settlement_history", optional=True),
    Table("statements", STATEMENT_DT, "back", "custodian and nostro statement lines",
          {"account_kind": AccountKind}, optional=True),
    Table("faults", FAULT_DT, "back", "faults injected between front and back office",
          {"kind": FaultKind, "account_kind": AccountKind}, nullable=("account_kind",), optional=True),
    Table("explain", EXPLAIN_DT, "back", "daily P&L explain per book", optional=True),
)


def table(name: str) -> Table:
    """The registry entry of record table ``name`` (a ``RunResult.records`` key or frame name).

    >>> table("events").frame
    'order_events'
    >>> table("order_events").dtype is ORDER_EVENT_DT
    True
    """
    t = TABLES.get(name)
    if t is None:
        t = next((t for t in TABLES.values() if t.frame == name), None)
    if t is None:
        raise KeyError(f"no record table {name!r}; known: {sorted(TABLES)}")
    return t


def enum_labels(codes: np.ndarray, enum: type[IntEnum]) -> pd.Categorical:
    """Turn an array of enum codes into a categorical of member names.

    Parameters
    ----------
    codes : integer ndarray
        Codes of ``enum``; a code that is not a member raises ``ValueError``.
    enum : IntEnum subclass

    Returns
    -------
    pandas.Categorical
        With every member of ``enum`` as a category, in definition order.
    """
    codes = np.asarray(codes)
    members = list(enum)
    values = np.array([int(m) for m in members], dtype=np.int64)
    order = np.argsort(values)
    pos = np.searchsorted(values[order], codes)
    pos = np.clip(pos, 0, len(values) - 1)
    ok = values[order][pos] == codes
    if not np.all(ok):
        bad = np.asarray(codes)[~ok][0]
        raise ValueError(f"{bad!r} is not a valid {enum.__name__} code")
    return pd.Categorical.from_codes(order[pos], categories=[m.name for m in members])


def records_to_frame(
    records: np.ndarray,
    *,
    table: str | None = None,
    enum_fields: Mapping[str, type[IntEnum]] | None = None,
    ts_fields: tuple[str, ...] = ("ts", "ts_done"),
    date_fields: tuple[str, ...] = ("trade_date", "settle_date", "as_of"),
) -> pd.DataFrame:
    """Readable DataFrame view of a record array.

    Enum codes become categoricals of member names, ``ts`` fields become UTC
    timestamps and date fields become ``datetime64`` dates.

    Parameters
    ----------
    records : structured ndarray
    table : str, optional
        The registry name of the records (see :data:`TABLES`): its enums (and nullable
        enum fields, ``-1`` shown as missing) label the codes.
    enum_fields : mapping of str to IntEnum, optional
        Enum per field; default: the table's, else :data:`ENUM_FIELDS`.

    Examples
    --------
    >>> fills = np.zeros(1, FILL_DT)
    >>> fills["side"] = Side.SELL
    >>> records_to_frame(fills, table="fills")["side"].tolist()
    ['SELL']
    """
    nullable: tuple[str, ...] = ()
    if table is not None:
        entry = globals()["table"](table)
        nullable = entry.nullable
        if enum_fields is None:
            enum_fields = entry.enums
    enum_fields = ENUM_FIELDS if enum_fields is None else enum_fields
    cols: dict[str, object] = {}
    for name in records.dtype.names:
        col = records[name]
        if name in nullable and name in enum_fields:
            cols[name] = optional_labels(col, enum_fields[name])
        elif name in enum_fields:
            cols[name] = enum_labels(col, enum_fields[name])
        elif name in ts_fields:
            cols[name] = pd.to_datetime(col, unit="ns", utc=True)
        elif name in date_fields:
            cols[name] = pd.to_datetime(col, unit="D")
        else:
            cols[name] = np.ascontiguousarray(col)
    return pd.DataFrame(cols)


def optional_labels(codes: np.ndarray, enum: type[IntEnum]) -> pd.Categorical:
    """Like :func:`enum_labels`, with ``-1`` (none) shown as missing.

    >>> optional_labels(np.array([1, -1]), Side).tolist()
    ['BUY', nan]
    """
    codes = np.asarray(codes, np.int64)
    labels = np.asarray(enum_labels(np.where(codes >= 0, codes, int(list(enum)[0])), enum), dtype=object)
    return pd.Categorical(np.where(codes >= 0, labels, None), categories=[m.name for m in enum])
