"""tradeflow's benchmark suite from the command line.

``python -m benchmarks [--quick] [--out FILE] [-k PATTERN] [--repeats N] [--list]``
    runs every registered benchmark (``benchmarks/bench_*.py``) and writes one JSON document:
    the machine, the versions, and for each benchmark its cold and warm timings, throughput and
    ratios against the baselines measured in the same run.

``python -m benchmarks compare OLD.json NEW.json [--threshold 0.25] [--metric time|ratio]``
    flags regressions beyond the threshold; exits 1 when there is one (see :mod:`benchmarks.compare`).

``python -m benchmarks paired OTHER_TREE [--venue quote|book] [--rounds N]``
    a default day on this tree and on another, in turn in two warm processes, with the pairs' ratio
    (see :mod:`benchmarks.paired`): the A/B to trust on a machine whose speed moves from minute to minute.

``tradeflow bench`` runs the same thing.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import benchmarks
from benchmarks._harness import REGISTRY, run_benchmark

SCHEMA_VERSION = 1
QUICK_BUDGET_S = 60.0  # the CI smoke must stay well under a minute
VERSIONED = ("tradeflow", "numpy", "pandas", "numba", "llvmlite", "scipy", "pyarrow", "dask")


def load_all() -> list[str]:
    """Import every ``benchmarks/bench_*.py`` so its benchmarks register; returns the module names."""
    names = []
    for mod in pkgutil.iter_modules(benchmarks.__path__):
        if mod.name.startswith("bench_"):
            importlib.import_module(f"benchmarks.{mod.name}")
            names.append(mod.name)
    return names


def versions() -> dict[str, str]:
    """Python's and the relevant packages' versions (a package that is not installed is left out)."""
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = importlib.import_module(name).__version__
        except Exception:  # noqa: BLE001 - a missing optional package is just not reported
            pass
    return out


_load_all, _versions = load_all, versions  # the names this module had before; kept for existing callers


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        usable = os.cpu_count()
    return {"platform": platform.platform(), "machine": platform.machine(), "processor": platform.processor(),
            "python_implementation": platform.python_implementation(), "cpu_count": os.cpu_count(),
            "cpus_usable": usable, "numba_disable_jit": os.environ.get("NUMBA_DISABLE_JIT", "0") == "1"}


def _print_result(res: dict[str, Any]) -> None:
    for m in res["measurements"]:
        thr = m["throughput_per_s"]
        cold = f"cold {m['cold_s'] * 1e3:9.2f} ms  " if m["cold_s"] is not None else " " * 20
        rate = f"{thr:14,.0f} {res['unit']}/s" if thr else ""
        print(f"  {m['role']:8s} {m['label'][:52]:52s} {cold}warm {m['warm_median_s'] * 1e3:9.2f} ms  {rate}",
              file=sys.stderr)
    for k, v in res["speedup_vs_baseline"].items():
        print(f"  ratio    {k}: {v:,.2f}x", file=sys.stderr)


def run_suite(*, quick: bool, pattern: str = "", repeats: int | None = None) -> dict[str, Any]:
    """Run the matching benchmarks and return the JSON document (a failing benchmark is recorded, not fatal)."""
    load_all()
    names = [n for n in sorted(REGISTRY) if pattern in n]
    results, t0 = [], time.perf_counter()
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        t = time.perf_counter()
        try:
            res = run_benchmark(name, quick=quick, repeats=repeats)
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others' figures
            traceback.print_exc(file=sys.stderr)
            res = {"name": name, "unit": REGISTRY[name][1], "quick": quick, "params": {}, "measurements": [],
                   "speedup_vs_baseline": {}, "error": f"{type(exc).__name__}: {exc}"}
        res["wall_s"] = time.perf_counter() - t
        _print_result(res)
        results.append(res)
    return {"schema": SCHEMA_VERSION, "created": datetime.now(UTC).isoformat(timespec="seconds"), "quick": quick,
            "pattern": pattern, "machine": machine(), "versions": versions(),
            "wall_s": time.perf_counter() - t0, "benchmarks": results}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description="Run tradeflow's benchmarks (or: compare OLD.json NEW.json).")
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats (the CI smoke)")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON here (default: stdout)")
    parser.add_argument("-k", dest="pattern", default="", help="only benchmarks whose name contains this")
    parser.add_argument("--repeats", type=int, default=None, help="warm repeats (default: 3 quick, 7 full)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--targets", action="store_true",
                        help="run the performance targets (-k targets.) and print each one's ratio and if it is met")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["compare"]:
        from benchmarks.compare import main as compare_main
        return compare_main(argv[1:])
    if argv[:1] == ["paired"]:
        from benchmarks.paired import main as paired_main
        return paired_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        print(f"--repeats must be a positive int. Got {args.repeats} instead.", file=sys.stderr)
        return 2
    if args.list:
        load_all()
        for name in sorted(REGISTRY):
            if args.pattern in name:
                print(f"{name}  ({REGISTRY[name][1]})")
        return 0
    if args.targets and not args.pattern:
        args.pattern = "targets."
    doc = run_suite(quick=args.quick, pattern=args.pattern, repeats=args.repeats)
    from benchmarks.targets import evaluate, format_targets
    doc["targets"] = evaluate(doc)
    if doc["targets"]:
        print(format_targets(doc["targets"]), file=sys.stderr)
    if not doc["benchmarks"]:
        print(f"no benchmark matches {args.pattern!r}", file=sys.stderr)
        return 2
    text = json.dumps(doc, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
        print(f"wrote {args.out} ({len(doc['benchmarks'])} benchmarks, {doc['wall_s']:.1f} s)", file=sys.stderr)
    else:
        print(text)
    if args.quick and not args.pattern and doc["wall_s"] > QUICK_BUDGET_S:
        slowest = sorted(doc["benchmarks"], key=lambda b: -b["wall_s"])[:3]
        print(f"warning: the quick suite took {doc['wall_s']:.0f} s, over its {QUICK_BUDGET_S:.0f} s budget; slowest: "
              + ", ".join(f"{b['name']} {b['wall_s']:.1f} s" for b in slowest), file=sys.stderr)
    failed = [b["name"] for b in doc["benchmarks"] if "error" in b]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
