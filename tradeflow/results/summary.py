"""The run's summary: counts by status, reason and kind as tables, and as a short text report."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tradeflow.schema import (
    BreachLevel,
    BreakKind,
    ConfirmationStatus,
    FailReason,
    FaultKind,
    OrderStatus,
    RejectReason,
    SettlementStatus,
    enum_labels,
    records_to_frame,
)

if TYPE_CHECKING:
    from tradeflow.results.result import RunResult

__all__ = ["summary_tables", "summary_text"]


def _count(codes: np.ndarray, enum) -> pd.Series:
    return pd.Series(enum_labels(codes, enum)).value_counts(sort=False).rename("count")


def summary_tables(result: RunResult) -> dict[str, pd.DataFrame | pd.Series]:
    """Orders by status, rejects by reason, P&L by book, settlements by status, breaks by kind, and
    (when the run has them) risk by book, breaches by limit and the back office's counts."""
    rec = result.records
    orders = rec["orders"]
    rejected = orders[orders["status"] == OrderStatus.REJECTED]
    reasons = _count(rejected["reject_reason"], RejectReason).drop("NONE", errors="ignore")
    last = rec["pnl"][rec["pnl"]["ts"] == rec["pnl"]["ts"].max()] if len(rec["pnl"]) else rec["pnl"]
    pnl = pd.DataFrame({c: last[c] for c in ("book", "realized_pnl", "unrealized_pnl", "fees", "total_pnl",
                                             "gross_exposure")}).set_index("book")
    if len(pnl):
        pnl.loc["desk"] = pnl.sum()
    return {
        "orders_by_status": _count(orders["status"], OrderStatus),
        "rejects_by_reason": reasons[reasons > 0],
        "pnl_by_book": pnl,
        "settlements_by_status": _count(rec["settlements"]["status"], SettlementStatus),
        "breaks_by_kind": _count(rec["breaks"]["kind"], BreakKind),
        **_risk_tables(result),
        **_back_tables(result),
    }


def _back_tables(result: RunResult) -> dict[str, pd.DataFrame | pd.Series]:
    rec = result.records
    if "settlement_events" not in rec:
        return {}
    ev = rec["settlement_events"]
    fails = ev[np.isin(ev["status"], [SettlementStatus.FAILED, SettlementStatus.PARTIALLY_SETTLED])]
    return {
        "confirmations_by_status": _count(rec["confirmations"]["status"], ConfirmationStatus),
        "fails_by_reason": _count(fails["fail_reason"], FailReason).drop("NONE", errors="ignore"),
        "faults_by_kind": _count(rec["faults"]["kind"], FaultKind),
        "obligations_by_status": _count(rec["obligations"]["status"], SettlementStatus),
    }


def _risk_tables(result: RunResult) -> dict[str, pd.DataFrame]:
    risk = result.records.get("risk")
    breaches = result.records.get("breaches")
    out: dict[str, pd.DataFrame] = {}
    if risk is not None and len(risk):
        last = risk[risk["ts"] == risk["ts"].max()]
        df = pd.DataFrame({c: last[c] for c in ("book", "var_1d", "es_1d", "var_10d", "gross_exposure", "drawdown")})
        df["book"] = np.where(last["book"] < 0, "desk", last["book"].astype(str))
        peak = pd.Series(risk["var_1d"]).groupby(risk["book"]).max()
        df["max_var_1d"] = peak.reindex(last["book"]).to_numpy()
        out["risk_by_book"] = df.set_index("book")
    if breaches is not None:
        b = breaches[breaches["level"] != BreachLevel.CLEARED]
        frame = records_to_frame(b, table="breaches")
        out["breaches_by_limit"] = (frame.groupby(["limit", "level"], observed=True).size().rename("count")
                                    .reset_index())
    return out


def summary_text(result: RunResult) -> str:
    """A short text report of the run (what ``tradeflow run`` prints)."""
    t = summary_tables(result)
    rec = result.records
    base = result.base_currency
    lines = [
        f"tradeflow desk {_dates(result.trade_dates)}  seed={result.seed}"
        f"{'/' + '.'.join(map(str, result.seed_spawn_key)) if result.seed_spawn_key else ''}  "
        f"instruments={result.market.n_instruments}  books={result.config.flow.n_books}",
        f"orders {len(rec['orders']):,}   fills {len(rec['fills']):,}   "
        f"ledger postings {len(rec['ledger']):,}   breaks {len(rec['breaks']):,}",
        "",
        "Orders by status",
        _indent(t["orders_by_status"].to_string()),
        "",
        "Rejects by reason",
        _indent(t["rejects_by_reason"].to_string() if len(t["rejects_by_reason"]) else "none"),
        "",
        f"P&L by book ({base}, at the close)",
        _indent(t["pnl_by_book"].to_string(float_format=lambda v: f"{v:,.2f}")),
        "",
        "Settlements by status",
        _indent(t["settlements_by_status"].to_string()),
        "",
        "Breaks by kind",
        _indent(_nonzero(t["breaks_by_kind"])),
    ]
    if "risk_by_book" in t:
        rc = result.config.risk
        lines += ["", f"Risk at the close ({base}; historical VaR {rc.var_level:.1%}, "
                  f"ES {rc.es_level:.1%}, {rc.horizon_days}-day by sqrt-time)",
                  _indent(t["risk_by_book"].to_string(float_format=lambda v: f"{v:,.0f}"))]
    if "risk_by_book" in t and len(result.trade_dates) >= 2:
        bt = result.var_backtest()
        lines += ["", f"VaR backtest (desk, {bt.n_days} days): {bt.exceptions} exceptions "
                  f"(expected {bt.expected:.2f}), Kupiec p={bt.kupiec_pvalue:.3f}, "
                  f"Christoffersen cc p={bt.conditional_coverage_pvalue:.3f}, Basel zone {bt.zone}"]
    if "breaches_by_limit" in t:
        bl = t["breaches_by_limit"]
        lines += ["", "Limit warnings and breaches", _indent(bl.to_string(index=False) if len(bl) else "none")]
    if "settlement_events" in rec:
        ev, ob = rec["settlement_events"], rec["obligations"]
        due = ev[ev["status"] != SettlementStatus.PENDING]
        failed = np.isin(due["status"], [SettlementStatus.FAILED, SettlementStatus.PARTIALLY_SETTLED])
        lines += [
            "",
            f"Back office: {len(ob):,} obligations ({result.config.settlement.netting})   settlement attempts "
            f"{len(due):,}   failed {failed.mean() if len(due) else 0.0:.1%}   oldest fail "
            f"{int(ev['fail_days'].max()) if len(ev) else 0} days   penalties (minor units, + paid) "
            f"{int(ob['penalties'].sum()):,}",
            f"Confirmations unmatched at first answer {int((rec['confirmations']['status'] != 0).sum()):,}"
            f"   faults injected {len(rec['faults']):,}" + (
                "   found: precision {precision:.2f} recall {recall:.2f}".format(**result.fault_detection())
                if len(rec["faults"]) else ""),
            "Fails by reason",
            _indent(_nonzero(t["fails_by_reason"]) if len(t["fails_by_reason"]) else "none"),
        ]
        bought = ob[ob["status"] == SettlementStatus.BOUGHT_IN] if "buy_in_cost" in ob.dtype.names else ob[:0]
        if len(bought):
            lines += [f"Mandatory buy-ins {len(bought):,}   price differences (minor units, + paid) "
                      f"{int(bought['buy_in_compensation'].sum()):,}"]
    if result.timings:
        lines += ["", "Timings (s): " + ", ".join(f"{k} {v:.3f}" for k, v in result.timings.items())]
    return "\n".join(lines)


def _dates(days: np.ndarray) -> str:
    return str(days[0]) if len(days) == 1 else f"{days[0]}..{days[-1]} ({len(days)} business days)"


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _nonzero(s: pd.Series) -> str:
    s = s[s > 0]
    return s.to_string() if len(s) else "none"
