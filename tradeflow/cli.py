"""Command line.

``tradeflow run [--config FILE] [--seed N] [--out DIR] [--progress/--no-progress]``
    simulate and print the summary; ``--out`` writes the Parquet run store.
``tradeflow report PATH [--json] [--table NAME [--rows N]]``
    the summary of a stored run (or its headline numbers as JSON, or the head of one table).
``tradeflow bench [--quick] [--out FILE] [-k PATTERN] [--repeats N] [--list]``
    run the benchmark suite of a source checkout (``python -m benchmarks``); JSON out.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tradeflow import schema as _schema

__all__ = ["main", "build_parser"]

# RunResult properties `tradeflow report --table` can print: every table of the data model's registry
TABLES = tuple(t.frame for t in _schema.TABLES.values())


def _cmd_run(args: argparse.Namespace) -> int:
    from tradeflow.config import SimulationConfig
    from tradeflow.sim import simulate

    if args.config is not None and not args.config.is_file():
        raise FileNotFoundError(f"--config {args.config}: " + ("is a directory, not a TOML file" if args.config.is_dir()
                                                               else "no such file"))
    if args.out is not None:
        from tradeflow.store import check_target
        check_target(args.out)  # refused before the run, not after it
    cfg = SimulationConfig.from_toml(args.config) if args.config else SimulationConfig()
    if args.days is not None or args.venue_sessions is not None:  # the clock's overrides (docs/calendars.md)
        import dataclasses
        market = cfg.market if args.venue_sessions is None else dataclasses.replace(
            cfg.market, venue_sessions=args.venue_sessions)
        cfg = dataclasses.replace(cfg, market=market, days=cfg.days if args.days is None else args.days)
    result = simulate(cfg, seed=args.seed, progress=args.progress)
    print(result.summary())
    if args.out:
        path = result.to_parquet(args.out)
        print(f"\nwrote run store {path}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from tradeflow.results import RunResult
    from tradeflow.store import read_meta

    meta = read_meta(args.path)
    result = RunResult.from_parquet(args.path)
    if args.json:
        doc = {"path": str(args.path), "tradeflow_version": meta.get("tradeflow_version"),
               "created": meta.get("created"), "trade_dates": meta.get("trade_dates"), **result.to_dict(),
               "stats": json.loads(result.stats().to_json())}
        print(json.dumps(doc, indent=2))
        return 0
    if args.table:
        import pandas as pd
        with pd.option_context("display.width", 160, "display.max_columns", 30):
            print(getattr(result, args.table).head(args.rows).to_string())
        return 0
    created = f", written {meta['created']}" if meta.get("created") else ""
    print(f"run store {args.path} (tradeflow {meta.get('tradeflow_version', '?')}{created})")
    print(result.summary())
    return 0


def _source_benchmarks() -> None:
    """Make the source checkout's ``benchmarks`` package importable (it is not installed with tradeflow)."""
    import tradeflow
    checkout = Path(tradeflow.__file__).resolve().parents[1]
    if (checkout / "benchmarks" / "_harness.py").is_file():
        if str(checkout) not in sys.path:
            sys.path.insert(0, str(checkout))
        return
    raise FileNotFoundError("tradeflow bench runs the benchmarks/ folder of a source checkout, which this "
                            f"installation lacks ({checkout}); clone the repository and pip install -e it")


def _cmd_bench(args: argparse.Namespace) -> int:
    _source_benchmarks()
    from benchmarks.__main__ import main as bench_main
    argv = (["--quick"] if args.quick else []) + (["--out", str(args.out)] if args.out else [])
    argv += (["-k", args.pattern] if args.pattern else []) + (["--list"] if args.list else [])
    argv += ["--repeats", str(args.repeats)] if args.repeats is not None else []
    argv += ["--targets"] if getattr(args, "targets", False) else []
    return bench_main(argv)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tradeflow", description="Simulate a trading desk end to end.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a desk-day and print its summary")
    run.add_argument("--config", type=Path, help="TOML config file (default: the built-in desk-day)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    run.add_argument("--out", type=Path, help="write the run to a Parquet run store (directory) here")
    run.add_argument("--days", type=int, help="days to simulate (default: the config's)")
    run.add_argument("--venue-sessions", action=argparse.BooleanOptionalAction, default=None,
                     help="each venue in its own local session (default: the config's)")
    run.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="progress bar over the days (default: only on a terminal)")
    run.set_defaults(func=_cmd_run)

    report = sub.add_parser("report", help="print the summary of a stored run")
    report.add_argument("path", type=Path, help="a run store written by `tradeflow run --out`")
    how = report.add_mutually_exclusive_group()
    how.add_argument("--json", action="store_true", help="headline numbers as JSON")
    how.add_argument("--table", choices=TABLES, help="print the first rows of one table")
    report.add_argument("--rows", type=int, default=20, help="rows for --table (default: 20)")
    report.set_defaults(func=_cmd_report)

    bench = sub.add_parser("bench", help="run the benchmark suite and write JSON")
    bench.add_argument("--quick", action="store_true", help="small sizes, few repeats (the CI smoke)")
    bench.add_argument("--out", type=Path, help="write the JSON here (default: stdout)")
    bench.add_argument("-k", dest="pattern", default="", help="only benchmarks whose name contains this")
    bench.add_argument("--repeats", type=int, help="warm repeats (default: 3 quick, 7 full)")
    bench.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    bench.add_argument("--targets", action="store_true",
                       help="run the performance targets and print each one's ratio and whether it is met")
    bench.set_defaults(func=_cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `tradeflow report PATH | head`: the reader left; no traceback (Python docs' recipe)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except (ValueError, TypeError, OSError, ImportError) as exc:  # the user's input: one line, exit 2
        if os.environ.get("TRADEFLOW_DEBUG"):
            raise
        print(f"tradeflow: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tradeflow: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug of ours: still one line, with how to see the traceback
        if os.environ.get("TRADEFLOW_DEBUG"):
            raise
        print(f"tradeflow: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(set TRADEFLOW_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    """The error's message on one line (TOML and JSON errors can span several)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename is not None and str(exc.filename) not in text:
        text = f"{exc.filename}: {text}"
    return text


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
