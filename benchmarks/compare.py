"""Compare two benchmark runs: ``python -m benchmarks compare OLD.json NEW.json [--threshold 0.25]``.

Every target measurement present in both runs is matched by (benchmark, label) and judged on
one metric:

* ``time`` (default): the warm median. A regression is ``new / old - 1 > threshold``.
  Meaningful when both files come from the same machine (CI on a fixed runner).
* ``ratio``: tradeflow's speedup against each same-run baseline. A regression is
  ``new / old - 1 < -threshold``. Robust across machines, since both sides of a ratio were
  measured together.

Benchmarks whose parameters differ (a ``--quick`` file against a full one) are reported as not
comparable rather than judged; a benchmark that errored in either run counts as a failure.
Exit status: 0 no regression, 1 at least one (or an error), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["Change", "compare_runs", "format_changes", "main"]


@dataclass(frozen=True)
class Change:
    """One matched figure of two runs."""

    benchmark: str
    label: str
    metric: str  # "time" (warm median, s) or "ratio" (speedup vs a baseline)
    old: float | None
    new: float | None
    change: float | None  # new / old - 1
    status: str  # "regressed", "improved", "unchanged", "not comparable", "only in old", "only in new", "error"


def _load(path: str | Path) -> dict[str, Any]:
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"no benchmark results at {path}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not a benchmark JSON file: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise ValueError(f"{path} is not a benchmark JSON file (no 'benchmarks' list)")
    return doc


def _figures(bench: dict[str, Any], metric: str) -> dict[str, float]:
    if metric == "ratio":
        return {k: float(v) for k, v in bench.get("speedup_vs_baseline", {}).items() if v}
    return {m["label"]: float(m["warm_median_s"]) for m in bench.get("measurements", [])
            if m.get("role") == "target" and m.get("warm_median_s")}


def compare_runs(old: dict[str, Any], new: dict[str, Any], *, threshold: float = 0.25, metric: str = "time",
                 min_seconds: float = 0.0) -> list[Change]:
    """Match the two runs' figures and classify each change.

    Parameters
    ----------
    old, new : dict
        Documents written by ``python -m benchmarks``.
    threshold : float, default=0.25
        Relative change that counts (0.25: 25 % slower time, or a 25 % lower ratio).
    metric : {"time", "ratio"}, default="time"
    min_seconds : float, default=0.0
        With ``metric="time"``, figures whose old and new warm medians are both below this are
        reported unchanged: sub-millisecond timings are mostly timer and scheduler noise.

    Returns
    -------
    list of Change
        In benchmark then label order.
    """
    if metric not in ("time", "ratio"):
        raise ValueError(f"The 'metric' parameter of compare_runs must be 'time' or 'ratio'. Got {metric!r} instead.")
    if not threshold > 0:
        raise ValueError(f"The 'threshold' parameter of compare_runs must be a positive number. "
                         f"Got {threshold!r} instead.")
    olds = {b["name"]: b for b in old["benchmarks"]}
    news = {b["name"]: b for b in new["benchmarks"]}
    out: list[Change] = []
    for name in sorted(olds.keys() | news.keys()):
        o, n = olds.get(name), news.get(name)
        if o is None or n is None:
            out.append(Change(name, "*", metric, None, None, None, "only in new" if o is None else "only in old"))
            continue
        if "error" in o or "error" in n:
            out.append(Change(name, "*", metric, None, None, None, "error"))
            continue
        if o.get("params") != n.get("params") or o.get("quick") != n.get("quick"):
            out.append(Change(name, "*", metric, None, None, None, "not comparable"))
            continue
        fo, fn = _figures(o, metric), _figures(n, metric)
        for label in sorted(fo.keys() | fn.keys()):
            a, b = fo.get(label), fn.get(label)
            if a is None or b is None:
                out.append(Change(name, label, metric, a, b, None, "only in new" if a is None else "only in old"))
                continue
            change = b / a - 1.0
            worse = change > threshold if metric == "time" else change < -threshold
            better = change < -threshold if metric == "time" else change > threshold
            if metric == "time" and max(a, b) < min_seconds:
                worse = better = False
            status = "regressed" if worse else "improved" if better else "unchanged"
            out.append(Change(name, label, metric, a, b, change, status))
    return out


def format_changes(changes: list[Change], *, threshold: float) -> str:
    """A plain-text table of the changes, regressions first."""
    order = {"regressed": 0, "error": 1, "improved": 2, "not comparable": 3, "only in old": 4, "only in new": 5,
             "unchanged": 6}
    rows = sorted(changes, key=lambda c: (order[c.status], c.benchmark, c.label))

    def fmt(v: float | None, metric: str) -> str:
        if v is None:
            return "-"
        return f"{v * 1e3:.2f} ms" if metric == "time" else f"{v:,.2f}x"

    wb = max([len("benchmark")] + [len(c.benchmark) for c in rows])
    wl = max([len("figure")] + [len(c.label) for c in rows])
    lines = [f"{'status':15s} {'benchmark':{wb}s} {'figure':{wl}s} {'old':>12s} {'new':>12s} {'change':>8s}"]
    for c in rows:
        ch = f"{c.change:+.1%}" if c.change is not None else ""
        lines.append(f"{c.status:15s} {c.benchmark:{wb}s} {c.label:{wl}s} {fmt(c.old, c.metric):>12s} "
                     f"{fmt(c.new, c.metric):>12s} {ch:>8s}")
    n_reg = sum(c.status == "regressed" for c in changes)
    lines.append(f"\n{n_reg} regression(s) beyond {threshold:.0%}" if n_reg else
                 f"\nno regression beyond {threshold:.0%}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks compare",
                                     description="Flag regressions between two benchmark JSON files.")
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--threshold", type=float, default=0.25,
                        help="relative change that counts as a regression (default: 0.25 = 25%%)")
    parser.add_argument("--metric", choices=("time", "ratio"), default="time",
                        help="warm time (same machine) or speedup vs the same-run baselines (any machine)")
    parser.add_argument("--min-seconds", type=float, default=0.0,
                        help="ignore time changes when both warm medians are below this")
    parser.add_argument("--json", action="store_true", help="print the changes as JSON")
    args = parser.parse_args(argv)
    try:
        old, new = _load(args.old), _load(args.new)
        changes = compare_runs(old, new, threshold=args.threshold, metric=args.metric, min_seconds=args.min_seconds)
    except (ValueError, FileNotFoundError) as exc:
        print(f"compare: error: {exc}", file=sys.stderr)
        return 2
    if old.get("machine") != new.get("machine") and args.metric == "time":
        print("note: the two runs come from different machines; consider --metric ratio", file=sys.stderr)
    if args.json:
        print(json.dumps([asdict(c) for c in changes], indent=2))
    else:
        print(format_changes(changes, threshold=args.threshold))
    return 1 if any(c.status in ("regressed", "error") for c in changes) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
