"""``python -m benchmarks [--quick] [--out FILE] [-k PATTERN]`` runs every benchmark and writes JSON."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

import benchmarks
from benchmarks._harness import REGISTRY, run_benchmark


def _load_all() -> None:
    for mod in pkgutil.iter_modules(benchmarks.__path__):
        if mod.name.startswith("bench_"):
            importlib.import_module(f"benchmarks.{mod.name}")


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("tradeflow", "numpy", "pandas", "numba", "scipy"):
        try:
            out[name] = importlib.import_module(name).__version__
        except Exception:  # noqa: BLE001 - a missing optional package is just not reported
            pass
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats (CI smoke)")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON here")
    parser.add_argument("-k", dest="pattern", default="", help="only benchmarks whose name contains this")
    args = parser.parse_args(argv)
    _load_all()
    import os
    results = []
    for name in sorted(REGISTRY):
        if args.pattern and args.pattern not in name:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        res = run_benchmark(name, quick=args.quick)
        results.append(res)
        for m in res["measurements"]:
            thr = m["throughput_per_s"]
            print(f"  {m['role']:8s} {m['label']:55s} warm {m['warm_median_s'] * 1e3:9.2f} ms  "
                  f"{thr:14,.0f} {res['unit']}/s" if thr else "", file=sys.stderr)
        for k, v in res["speedup_vs_baseline"].items():
            print(f"  ratio    {k}: {v:,.1f}x", file=sys.stderr)
    doc = {"created": datetime.now(UTC).isoformat(), "quick": args.quick,
           "machine": {"platform": platform.platform(), "processor": platform.processor(),
                       "cpu_count": os.cpu_count()},
           "versions": _versions(), "benchmarks": results}
    text = json.dumps(doc, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
