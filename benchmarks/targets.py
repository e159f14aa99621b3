"""The performance targets of issue 14, judged from a benchmark run's JSON (see ``bench_targets.py``)."""

from __future__ import annotations

from typing import Any

__all__ = ["evaluate", "format_targets"]


def _find(doc: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((r for r in doc.get("benchmarks", []) if r["name"] == name and "error" not in r), None)


def _rate(res: dict[str, Any], role: str = "target", index: int = 0) -> float:
    return [m for m in res["measurements"] if m["role"] == role][index]["throughput_per_s"]


def evaluate(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets from a run's JSON: figure, measured, target, ratio (>= 1 is met), met."""
    rows: list[dict[str, Any]] = []

    def row(figure, measured, target, unit, higher_is_better=True):
        ratio = (measured / target if higher_is_better else target / measured) if measured else float("nan")
        rows.append({"figure": figure, "measured": measured, "target": target, "unit": unit,
                     "ratio": ratio, "met": bool(ratio >= 1.0)})

    if r := _find(doc, "targets.engine_fills"):
        rate = _rate(r)
        row("RiskEngine.on_fills, no VaR, DataFrame", rate, 20e6, "fills/s")
        row("  same / pandas groupby-cumsum", rate / _rate(r, "baseline"), 2.0, "x")
        vb = [m for m in r["measurements"] if m["label"].startswith("vectorbt")]
        if vb:  # pragma: no cover - optional
            row("  same / vectorbt from_orders", rate / vb[0]["throughput_per_s"], 5.0, "x")
    if r := _find(doc, "targets.engine_fills_var"):
        row("RiskEngine.on_fills, VaR/ES after every fill, 500 scenarios", _rate(r), 4e6, "fills/s")
    for name, venue, limit in (("targets.desk_day_book", "book", 0.45), ("targets.desk_day_quote", "quote", 0.15)):
        if r := _find(doc, name):
            row(f"simulate(), one day ({r['params']['orders_per_day']} orders), {venue} venue, CPU",
                r["params"].get("day_cpu_s") or r["params"]["day_s"], limit, "s", higher_is_better=False)
            if venue == "book":
                row("  back office inside that day, CPU", r["params"].get("back_office_cpu_s")
                    or r["params"]["back_office_s"], 0.1, "s", higher_is_better=False)
    if r := _find(doc, "targets.startup"):
        row("import tradeflow, CPU", r["params"].get("import_cpu_s", r["params"]["import_s"]), 0.3, "s",
            higher_is_better=False)
        row("  imports none of scipy, matplotlib, pyarrow, dask", float(not r["params"]["heavy_modules_imported"]),
            1.0, "bool")
        row("fresh process to a first small result, CPU", r["params"].get("first_result_cpu_s",
                                                                          r["params"]["first_result_s"]), 1.0, "s",
            higher_is_better=False)
    if r := _find(doc, "targets.memory"):
        p = r["params"]
        row(f"peak RSS of one day ({p['orders']} orders) above the import", p["rss_above_import_mb"], 200.0, "MB",
            higher_is_better=False)
        row("  10x the orders: time ratio (CPU)", p["time_ratio_10x"], 10.5, "x", higher_is_better=False)
        row("  10x the orders: memory ratio", p["memory_ratio_10x"], 10.5, "x", higher_is_better=False)
    return rows


def format_targets(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'figure':62s} {'measured':>14s} {'target':>10s} {'ratio':>7s}  met"]
    for r in rows:
        m = r["measured"]
        shown = f"{m:,.3g}" if m is not None else "-"
        lines.append(f"{r['figure'][:62]:62s} {shown:>14s} {r['target']:>10,.3g} {r['ratio']:7.2f}  "
                     f"{'yes' if r['met'] else 'NO'}")
    return "\n".join(lines)
