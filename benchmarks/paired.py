"""Paired A/B of a default day between two source trees: ``python -m benchmarks paired OTHER_TREE``.

On a shared machine whose speed moves by a quarter from one minute to the next, two runs of a benchmark
minutes apart compare the minutes, not the code. Here two warm worker processes, one importing
tradeflow from this tree and one from ``OTHER_TREE`` (a checkout or ``git worktree`` of another
commit; give it its own numba cache, e.g. its own directory), run one default ``simulate()`` day each
in turn (which goes first alternates), so each pair shares its minute. Reported: each side's median and
minimum CPU time (user + system) and the median of the pairs' ratios ``this / other`` with its
interquartile range; ``--json`` prints them as JSON.

    python -m benchmarks paired /tmp/prev --venue book --rounds 14
    python -m benchmarks paired /tmp/prev --venue book --part loop --rounds 20

``--part loop`` times only the book day's session loop, replayed in each worker on the arguments it
captured from one day of its own tree (a deep copy a round): the A/B for a change to the compiled loop,
whose speed moves by 10-20% with changes that do not touch its hot path (see docs/performance.md, stop 34).

Both trees' kernels compile on the workers' first day if their caches are cold (they warm before
timing).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["WORKER", "main", "paired_days", "summarize"]

# one warm process: a day per "go" line, its CPU time (user + system) per answer
WORKER = """
import gc, resource, sys
import tradeflow
cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": int(sys.argv[2])},
                                            "execution": {"venue": sys.argv[1]}})
for _ in range(2):
    tradeflow.simulate(cfg, seed=0, progress=False)
print("ready", flush=True)
for line in sys.stdin:
    gc.collect()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    tradeflow.simulate(cfg, seed=0, progress=False)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    print(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime, flush=True)
"""

# one warm process: the book day's session loop (``session_loop_nb``) replayed on its own arguments, captured
# from one default day; a fresh deep copy each time (the loop writes into them), its CPU time per answer
LOOP_WORKER = """
import copy, gc, sys, time
import tradeflow
from tradeflow import _session_kernels as K
cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": int(sys.argv[2])},
                                            "execution": {"venue": sys.argv[1]}})
loop, captured = K.session_loop_nb, []
def capture(*args):
    captured.append(copy.deepcopy(args))
    return loop(*args)
K.session_loop_nb = capture
tradeflow.simulate(cfg, seed=0, progress=False)
K.session_loop_nb = loop
args = captured[-1]
loop(*copy.deepcopy(args))
print("ready", flush=True)
for line in sys.stdin:
    run = copy.deepcopy(args)
    gc.collect()
    t = time.process_time()
    loop(*run)
    print(time.process_time() - t, flush=True)
"""


def _worker(tree: Path, venue: str, orders: int, part: str = "day") -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    code = LOOP_WORKER if part == "loop" else WORKER
    proc = subprocess.Popen([sys.executable, "-c", code, venue, str(orders)], cwd=tree, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if line != "ready":
        proc.kill()
        raise RuntimeError(f"the worker on {tree} did not start (said {line!r}); run it by hand to see why")
    return proc


def paired_days(this: Path, other: Path, *, venue: str = "quote", rounds: int = 20,
                orders: int = 100_000, part: str = "day") -> tuple[list[float], list[float]]:
    """CPU seconds of ``rounds`` default days on each tree, run in turn (see the module docstring).

    ``part="loop"`` (book venue): the session loop alone, replayed on the arguments each tree captured from
    one day of its own, so a change to the compiled loop is measured without the rest of the day's noise."""
    if venue not in ("quote", "book"):
        raise ValueError(f"paired: 'venue' must be 'quote' or 'book'; got {venue!r}")
    if part not in ("day", "loop") or (part == "loop" and venue != "book"):
        raise ValueError(f"paired: 'part' must be 'day', or 'loop' with the book venue; got {part!r} "
                         f"with the {venue!r} venue")
    if rounds < 1:
        raise ValueError(f"paired: 'rounds' must be at least 1; got {rounds!r}")
    for tree in (this, other):
        if not (tree / "tradeflow" / "__init__.py").is_file():
            raise ValueError(f"paired: {str(tree)!r} is not a tradeflow source tree (no tradeflow/__init__.py)")
    a, b = _worker(this, venue, orders, part), _worker(other, venue, orders, part)
    ta: list[float] = []
    tb: list[float] = []
    try:
        for r in range(rounds):
            for proc, out in ((a, ta), (b, tb)) if r % 2 == 0 else ((b, tb), (a, ta)):
                proc.stdin.write("go\n")
                proc.stdin.flush()
                out.append(float(proc.stdout.readline()))
    finally:
        for proc in (a, b):
            proc.stdin.close()
            proc.wait()
    return ta, tb


def summarize(this: list[float], other: list[float]) -> dict[str, Any]:
    """Medians, minima and the pairs' ratio ``this / other`` (median and interquartile range)."""
    if len(this) != len(other) or not this:
        raise ValueError("summarize: two non-empty lists of the same length")
    ratios = sorted(x / y for x, y in zip(this, other, strict=True))
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    return {"rounds": len(this), "this_median_s": statistics.median(this), "this_min_s": min(this),
            "other_median_s": statistics.median(other), "other_min_s": min(other),
            "ratio_median": statistics.median(ratios), "ratio_q1": q[0], "ratio_q3": q[2]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks paired",
                                description="Paired A/B of a default day between this tree and another.")
    p.add_argument("other", type=Path, help="the other source tree (a checkout or git worktree)")
    p.add_argument("--venue", choices=("quote", "book"), default="quote")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--orders", type=int, default=100_000)
    p.add_argument("--part", choices=("day", "loop"), default="day",
                   help="the whole day, or the book day's session loop replayed on its captured arguments")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = p.parse_args(argv)
    this = Path(__file__).resolve().parents[1]
    s = summarize(*paired_days(this, args.other.resolve(), venue=args.venue, rounds=args.rounds,
                               orders=args.orders, part=args.part))
    if args.json:
        print(json.dumps(s, indent=1))
    else:
        what = f"{args.venue} day" if args.part == "day" else "book day's session loop"
        print(f"{what}, {s['rounds']} pairs: this tree median {s['this_median_s']:.3f} s "
              f"(min {s['this_min_s']:.3f}), {args.other} median {s['other_median_s']:.3f} s "
              f"(min {s['other_min_s']:.3f}); paired this/other {s['ratio_median']:.3f} "
              f"(IQR {s['ratio_q1']:.3f}-{s['ratio_q3']:.3f})")
    return 0
