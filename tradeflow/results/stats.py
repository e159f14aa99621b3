"""A run's headline metrics: one declarative table, evaluated on a finished :class:`~tradeflow.RunResult`.

:meth:`RunResult.stats() <tradeflow.RunResult.stats>` returns them as a ``pandas.Series``
(as vectorbt's ``stats()`` does); one row of :func:`tradeflow.run_many`'s summary is the same
numbers (:func:`summarize`); ``tradeflow report --json`` prints them. Every :class:`Metric` in
:data:`METRICS` contributes one value (or one per key when it returns a mapping). A metric
names the record kinds it reads (``requires``); when a run has no such records (an older
store, an office switched off) the metric is left out instead of failing. Record kinds no
metric reads still get an ``n_<kind>`` count, so new record arrays show up on their own.

Extending the table is one line per metric::

    from tradeflow.results.stats import METRICS, Metric

    def fails_over_10k(result):
        s = result.records["settlements"]
        return int(((s["status"] == 3) & (s["qty"] > 10_000)).sum())

    metrics = METRICS + (Metric("big_fails", fails_over_10k, requires=("settlements",)),)
    result.stats(metrics=metrics)
    tradeflow.run_many(cfg, n_runs=100, metrics=metrics)

Metric functions run in the worker under :func:`~tradeflow.run_many`: for a process pool they
must be importable module-level functions (or ``functools.partial`` of one), not lambdas.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tradeflow.schema import BreachLevel, BreakKind, OrderStatus, RejectReason, SettlementStatus

if TYPE_CHECKING:
    from tradeflow.results import RunResult

__all__ = ["Metric", "METRICS", "summarize", "stats", "count", "count_by", "close_pnl", "describe_metrics"]


@dataclass(frozen=True, slots=True)
class Metric:
    """One entry of the summary table.

    Parameters
    ----------
    name : str
        Column name; when ``func`` returns a mapping, the prefix of one column per key
        (``f"{name}_{key}"``).
    func : callable
        ``func(result) -> scalar or mapping of str to scalar``.
    requires : tuple of str, default=()
        Record kinds (keys of ``result.records``) the metric reads; if one is missing the
        metric is skipped for that run (its columns are missing, not an error).
    doc : str, default=""
        What the column means, for ``describe_metrics()``.
    """

    name: str
    func: Callable[[RunResult], Any]
    requires: tuple[str, ...] = ()
    doc: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"The 'name' parameter of Metric must be an identifier. Got {self.name!r} instead.")
        if not callable(self.func):
            raise ValueError(f"The 'func' parameter of Metric must be callable. Got {self.func!r} instead.")
        object.__setattr__(self, "requires", tuple(self.requires))


# --------------------------------------------------------------------------- building blocks
def _count(kind: str, result: RunResult) -> int:
    return int(len(result.records[kind]))


def count(kind: str) -> Callable[[RunResult], int]:
    """Number of ``kind`` records."""
    return partial(_count, kind)


def _count_by(kind: str, field: str, enum: type[IntEnum], where: tuple[str, int] | None,
              skip: tuple[int, ...], result: RunResult) -> dict[str, int]:
    rec = result.records[kind]
    if where is not None:
        rec = rec[rec[where[0]] == where[1]]
    codes = np.asarray(rec[field], dtype=np.int64)
    return {m.name.lower(): int(np.count_nonzero(codes == m.value)) for m in enum if m.value not in skip}


def count_by(kind: str, field: str, enum: type[IntEnum], *, where: tuple[str, int] | None = None,
             skip: Iterable[int] = ()) -> Callable[[RunResult], dict[str, int]]:
    """Counts of ``kind`` records per member of ``enum`` in ``field`` (every member, zeros included,
    so every run has the same columns); ``where=(field, value)`` filters first."""
    return partial(_count_by, kind, field, enum, where, tuple(int(s) for s in skip))


def _close_snapshot(result: RunResult) -> np.ndarray:
    pnl = result.records["pnl"]
    return pnl[pnl["ts"] == pnl["ts"].max()] if len(pnl) else pnl


def _close_pnl(field: str, result: RunResult) -> float:
    return float(_close_snapshot(result)[field].sum())


def close_pnl(field: str) -> Callable[[RunResult], float]:
    """Desk total of a P&L snapshot field (base currency) at the last close of the run."""
    return partial(_close_pnl, field)


def _book_total_pnl(result: RunResult) -> dict[str, float]:
    last = _close_snapshot(result)
    return {f"book{int(b)}": float(v) for b, v in zip(last["book"], last["total_pnl"], strict=True)}


def _n_days(result: RunResult) -> int:
    return int(len(result.trade_dates))


def _rejects(result: RunResult) -> int:
    return int(np.count_nonzero(result.records["orders"]["status"] == OrderStatus.REJECTED))


def _desk_risk_at_close(field: str, result: RunResult) -> float:
    risk = result.records["risk"]
    desk = risk[risk["book"] == -1]
    return float(desk[field][desk["ts"] == desk["ts"].max()][0]) if len(desk) else float("nan")


def _max_desk_var(result: RunResult) -> float:
    risk = result.records["risk"]
    desk = risk[risk["book"] == -1]
    return float(desk["var_1d"].max()) if len(desk) else float("nan")


def _var_backtest(result: RunResult) -> dict[str, int]:
    # a one-day run has no day-over-day P&L to test: zero exceptions out of zero days tested
    if len(result.trade_dates) < 2:
        return {"days": 0, "exceptions": 0}
    bt = result.var_backtest()
    return {"days": int(bt.n_days), "exceptions": int(bt.exceptions)}


def _breach_levels(result: RunResult) -> dict[str, int]:
    level = result.records["breaches"]["level"]
    return {"warnings": int(np.count_nonzero(level == BreachLevel.WARNING)),
            "breaches": int(np.count_nonzero(level == BreachLevel.BREACH))}


def _settlement_fails(result: RunResult) -> dict[str, float]:
    ev = result.records["settlement_events"]
    due = ev[ev["status"] != SettlementStatus.PENDING]
    failed = np.isin(due["status"], [SettlementStatus.FAILED, SettlementStatus.PARTIALLY_SETTLED])
    return {"attempts": int(len(due)), "failed": int(failed.sum()),
            "fail_rate": float(failed.mean()) if len(due) else 0.0}


def _fault_detection(result: RunResult) -> dict[str, float]:
    from tradeflow.back.faults import fault_detection

    found = fault_detection(result.records["faults"], result.records["breaks"])
    return {k: found[k] for k in ("precision", "recall") if k in found}


def _penalties(result: RunResult) -> int:
    return int(result.records["obligations"]["penalties"].sum())


#: The default summary: one run's headline numbers.
METRICS: tuple[Metric, ...] = (
    Metric("n_days", _n_days, doc="business days simulated"),
    Metric("n_orders", count("orders"), ("orders",), "client orders"),
    Metric("orders", count_by("orders", "status", OrderStatus), ("orders",), "orders per final status"),
    Metric("n_rejects", _rejects, ("orders",), "orders refused by the pre-trade check"),
    Metric("rejects", count_by("orders", "reject_reason", RejectReason, skip=(RejectReason.NONE,)), ("orders",),
           "rejected orders per reason"),
    Metric("n_fills", count("fills"), ("fills",), "fills"),
    Metric("realized_pnl", close_pnl("realized_pnl"), ("pnl",), "desk realized P&L at the last close"),
    Metric("unrealized_pnl", close_pnl("unrealized_pnl"), ("pnl",), "desk unrealized P&L at the last close"),
    Metric("fees", close_pnl("fees"), ("pnl",), "desk fees paid by the last close"),
    Metric("total_pnl", close_pnl("total_pnl"), ("pnl",), "desk total P&L (realized + unrealized - fees)"),
    Metric("gross_exposure", close_pnl("gross_exposure"), ("pnl",), "desk gross exposure at the last close"),
    Metric("total_pnl", _book_total_pnl, ("pnl",), "total P&L per book at the last close"),
    Metric("n_settlements", count("settlements"), ("settlements",), "settlement instructions"),
    Metric("settlements", count_by("settlements", "status", SettlementStatus), ("settlements",),
           "settlement instructions per status at the last close"),
    Metric("n_breaks", count("breaks"), ("breaks",), "reconciliation breaks"),
    Metric("breaks", count_by("breaks", "kind", BreakKind), ("breaks",), "reconciliation breaks per kind"),
    Metric("var_1d", partial(_desk_risk_at_close, "var_1d"), ("risk",), "desk 1-day historical VaR at the last close"),
    Metric("es_1d", partial(_desk_risk_at_close, "es_1d"), ("risk",), "desk 1-day ES at the last close"),
    Metric("max_var_1d", _max_desk_var, ("risk",), "highest desk 1-day VaR of any snapshot"),
    Metric("var_backtest", _var_backtest, ("risk",),
           "days tested and days whose loss exceeded the previous close's desk VaR"),
    Metric("limit", _breach_levels, ("breaches",), "limit warning and breach events"),
    Metric("settlement", _settlement_fails, ("settlement_events",), "settlement attempts, fails and fail rate"),
    Metric("penalties_minor", _penalties, ("obligations",), "CSDR-style cash penalties charged (minor units)"),
    Metric("n_faults", count("faults"), ("faults",), "faults injected between front and back office"),
    Metric("fault_detection", _fault_detection, ("faults", "breaks"),
           "precision and recall of the breaks against the injected faults"),
)


def summarize(result: RunResult, metrics: Iterable[Metric] = METRICS, *,
              count_other_records: bool = True) -> dict[str, Any]:
    """One run's summary row.

    Parameters
    ----------
    result : RunResult
    metrics : iterable of Metric, default=METRICS
    count_other_records : bool, default=True
        Add ``n_<kind>`` for every record kind no metric reads (new record arrays show up
        without touching the table).

    Returns
    -------
    dict of str to scalar
        Column name to value, in table order.

    Examples
    --------
    >>> import tradeflow
    >>> from tradeflow.results.stats import summarize
    >>> cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": 2_000}})
    >>> row = summarize(tradeflow.simulate(cfg, seed=1))
    >>> row["n_orders"] == row["orders_filled"] + row["orders_cancelled"] + row["orders_expired"] \\
    ...     + row["orders_rejected"] + row["orders_new"] + row["orders_partially_filled"]
    True
    """
    records: Mapping[str, np.ndarray] = result.records
    row: dict[str, Any] = {}
    used: set[str] = set()
    for m in metrics:
        used.update(m.requires)
        if any(r not in records for r in m.requires):
            continue
        value = m.func(result)
        if isinstance(value, Mapping):
            row.update({f"{m.name}_{k}": v for k, v in value.items()})
        else:
            row[m.name] = value
    if count_other_records:
        for kind in records:
            if kind not in used and f"n_{kind}" not in row:
                row[f"n_{kind}"] = int(len(records[kind]))
    return row


def describe_metrics(metrics: Iterable[Metric] = METRICS) -> list[tuple[str, str]]:
    """``(name, doc)`` of each metric, for documentation and notebooks."""
    return [(m.name, m.doc) for m in metrics]


def stats(result: RunResult, metrics: Iterable[Metric] = METRICS, *, count_other_records: bool = True) -> pd.Series:
    """:func:`summarize` as a ``pandas.Series`` named by the run's seed (what ``RunResult.stats()`` returns)."""
    return pd.Series(summarize(result, metrics, count_other_records=count_other_records), name=result.seed,
                     dtype=object)
