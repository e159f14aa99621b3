"""Command line: ``tradeflow run [--config FILE] [--seed N] [--out DIR]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _cmd_run(args: argparse.Namespace) -> int:
    from tradeflow.config import SimulationConfig
    from tradeflow.sim import simulate

    cfg = SimulationConfig.from_toml(args.config) if args.config else SimulationConfig()
    result = simulate(cfg, seed=args.seed)
    print(result.summary())
    if args.out:
        path = result.to_parquet(args.out)
        print(f"\nwrote run store {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tradeflow", description="Simulate a trading desk end to end.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a desk-day and print its summary")
    run.add_argument("--config", type=Path, help="TOML config file (default: the built-in desk-day)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    run.add_argument("--out", type=Path, help="write the run to a Parquet run store (directory) here")
    run.set_defaults(func=_cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, ImportError) as exc:
        print(f"tradeflow: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
