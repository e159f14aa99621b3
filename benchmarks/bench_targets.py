"""The performance targets of issue 14, each measured beside a same-run baseline (``-k targets``).

``targets.engine_fills``      RiskEngine.on_fills, 1M fills from a DataFrame, no VaR (one scenario),
                              beside a pandas groupby-cumsum of position/cash/MTM (and vectorbt's
                              ``Portfolio.from_orders`` when it is installed: the ``bench`` extra).
``targets.engine_fills_var``  the same with VaR/ES after every fill at 500 scenarios.
``targets.desk_day_book``     ``simulate()`` of one default day, book venue (and the back office's share).
``targets.desk_day_quote``    the same, quote venue.
``targets.startup``           ``import tradeflow`` and a fresh process to a first small result (subprocesses).
``targets.memory``            peak RSS of a default day above the import, and 10x the orders.

:func:`benchmarks.targets.evaluate` turns a run's JSON into the table of targets (figure, measured,
target, met); ``python -m benchmarks --targets`` (``tradeflow bench --targets``) prints it.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._harness import Bench, register

N_INST, N_BOOKS = 100, 5


def _engine_inputs(n: int, n_scen: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    inst = rng.integers(0, N_INST, n)
    px0 = rng.uniform(20.0, 500.0, N_INST)
    df = pd.DataFrame({"ts": np.arange(n, dtype=np.int64), "book": rng.integers(0, N_BOOKS, n),
                       "instrument": inst, "side": rng.choice(np.array([1, -1]), n),
                       "qty": rng.integers(1, 1_000, n), "price": px0[inst] * np.exp(rng.normal(0, 0.01, n)),
                       "fee": np.full(n, 0.5)})
    table = pd.DataFrame({"symbol": [f"S{i:03d}" for i in range(N_INST)], "currency": "USD"})
    scen = rng.normal(0.0, 0.02, (N_INST, n_scen))
    return df, table, px0, scen


def _engines(table, px0, scen, k: int) -> list:
    from tradeflow import RiskEngine
    return [RiskEngine(table, marks=px0, scenarios=scen, n_books=N_BOOKS) for _ in range(k)]


def _pandas_post_trade(df: pd.DataFrame) -> pd.DataFrame:
    """Running position, cash and mark-to-market per book x instrument: groupby-cumsum (no realized P&L)."""
    signed = df["qty"] * df["side"]
    g = df.assign(signed=signed, cash=-signed * df["price"] - df["fee"]).groupby(["book", "instrument"], sort=False)
    pos = g["signed"].cumsum()
    cash = g["cash"].cumsum()
    return pd.DataFrame({"pos": pos, "cash": cash, "mtm": cash + pos * df["price"]})


def _vectorbt_baseline(b: Bench, df: pd.DataFrame, n: int) -> None:
    if importlib.util.find_spec("vectorbt") is None:
        b.param(vectorbt="skipped: not installed (pip install 'tradeflow[bench]')")
        return
    import vectorbt as vbt  # pragma: no cover - optional

    # one column (vectorbt's fastest layout): the same orders as one instrument, cash and position kept
    close = pd.DataFrame(df["price"].to_numpy()[:, None])  # pragma: no cover
    size = pd.DataFrame((df["side"] * df["qty"]).to_numpy(float)[:, None])  # pragma: no cover
    b.param(vectorbt=vbt.__version__)  # pragma: no cover
    b.baseline("vectorbt Portfolio.from_orders (one column)",  # pragma: no cover
               lambda: vbt.Portfolio.from_orders(close, size, fees=0.0, freq="1s").cash(), n=n)


def _engine_bench(b: Bench, *, n_scen: int, with_var: bool) -> None:
    n = b.size(quick=50_000, full=1_000_000)
    df, table, px0, scen = _engine_inputs(n, n_scen)
    pool = _engines(table, px0, scen, b.repeats + 3)  # a fresh engine per call: check, cold, warm, memory
    b.param(fills=n, instruments=N_INST, books=N_BOOKS, scenarios=n_scen, with_var=with_var, input="DataFrame")
    out = pool.pop().on_fills(df, with_var=with_var)
    assert bool(out["accepted"].all())
    b.target(f"RiskEngine.on_fills ({'VaR/ES after every fill' if with_var else 'no VaR'})",
             lambda: pool.pop().on_fills(df, with_var=with_var), n=n)
    b.baseline("pandas groupby-cumsum pos/cash/MTM (no realized P&L)", lambda: _pandas_post_trade(df), n=n)
    _vectorbt_baseline(b, df, n)


@register("targets.engine_fills", unit="fills")
def engine_fills(b: Bench) -> None:
    """RiskEngine.on_fills without VaR (one scenario), from a DataFrame."""
    _engine_bench(b, n_scen=1, with_var=False)


@register("targets.engine_fills_var", unit="fills")
def engine_fills_var(b: Bench) -> None:
    """RiskEngine.on_fills with VaR/ES after every fill, 500 scenarios."""
    _engine_bench(b, n_scen=500, with_var=True)


def _day(b: Bench, venue: str) -> None:
    import tradeflow

    orders = b.size(quick=2_000, full=100_000)
    ex = {"venue": venue} if not b.quick else {"venue": venue, "book_events_per_second": 2.0}  # quick: a small day
    cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": orders}, "execution": ex})
    from tradeflow.back.office import BackOffice

    backs: list[float] = []
    backs_cpu: list[float] = []
    process_day = BackOffice.process_day

    def timed_day(self, *args, **kwargs):  # the back office's own CPU time inside the day
        c = time.process_time()
        try:
            return process_day(self, *args, **kwargs)
        finally:
            backs_cpu[-1] += time.process_time() - c

    def run():
        backs_cpu.append(0.0)
        BackOffice.process_day = timed_day
        try:
            r = tradeflow.simulate(cfg, seed=0, progress=False)
        finally:
            BackOffice.process_day = process_day
        backs.append(r.timings.get("back", np.nan))
        return r

    b.param(orders_per_day=orders, venue=venue)
    t = b.target(f"tradeflow.simulate, one day, {venue} venue", run, n=lambda r: len(r.records["orders"]))
    b.param(back_office_s=float(np.median(backs[1:] or backs)),
            back_office_cpu_s=float(np.median(backs_cpu[1:] or backs_cpu)), day_s=t["warm_median_s"],
            day_cpu_s=t["warm_median_cpu_s"], day_sys_s=t["warm_median_sys_s"])


@register("targets.desk_day_book", unit="orders")
def desk_day_book(b: Bench) -> None:
    """simulate() of one default day with the book venue (the back office's share in params)."""
    _day(b, "book")


@register("targets.desk_day_quote", unit="orders")
def desk_day_quote(b: Bench) -> None:
    """simulate() of one default day with the quote venue."""
    _day(b, "quote")


_STARTUP = """
import time, sys
t0, c0 = time.perf_counter(), time.process_time()
import tradeflow
t1, c1 = time.perf_counter(), time.process_time()
{work}
t2, c2 = time.perf_counter(), time.process_time()
heavy = [m for m in ("scipy", "matplotlib", "pyarrow", "dask") if m in sys.modules]
print(__import__("json").dumps({{"import_s": t1 - t0, "work_s": t2 - t1, "import_cpu_s": c1 - c0,
                                 "total_cpu_s": c2, "heavy": heavy}}))
"""
_FIRST_RESULT = ("eng = tradeflow.RiskEngine(__import__('pandas').DataFrame({'symbol': ['A']}), marks=[100.0], "
                 "scenarios=__import__('numpy').zeros((1, 100)))\n"
                 "eng.on_fills({'ts': [0], 'book': [0], 'instrument': [0], 'side': [1], 'qty': [10], "
                 "'price': [100.0]})\nv = eng.var()")


def _subprocess(work: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", _STARTUP.format(work=work)], capture_output=True, text=True,
                         check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _writing_bytecode() -> dict[str, str]:
    """The environment with Python's byte-code cache allowed: a warm start reads tradeflow's compiled
    modules from ``__pycache__`` as after any ``pip install`` (a sandbox that sets
    PYTHONDONTWRITEBYTECODE would otherwise compile every source again in each fresh process)."""
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@register("targets.startup", unit="processes")
def startup(b: Bench) -> None:
    """``import tradeflow`` and a fresh process to a first small result (RiskEngine: one fill, VaR), warm
    caches (numba's kernels and Python's byte code, both written by a first run)."""
    _subprocess(_FIRST_RESULT, env=_writing_bytecode())  # warm the caches: numba's and Python's byte code
    imports: list[float] = []
    firsts: list[float] = []
    imports_cpu: list[float] = []
    firsts_cpu: list[float] = []

    def imp():
        r = _subprocess("")
        imports.append(r["import_s"])
        imports_cpu.append(r["import_cpu_s"])
        b.param(heavy_modules_imported=r["heavy"])

    def first():
        r = _subprocess(_FIRST_RESULT)
        firsts.append(r["import_s"] + r["work_s"])
        firsts_cpu.append(r["total_cpu_s"])  # the whole process: interpreter start, imports, the work

    b.target("python -c 'import tradeflow' (whole process)", imp, n=1, repeats=1 if b.quick else None,
             fresh_process=True)
    b.target("fresh process to a first small result (whole process)", first, n=1, repeats=1 if b.quick else None,
             fresh_process=True)
    b.param(import_s=float(np.median(imports)), first_result_s=float(np.median(firsts)),
            import_cpu_s=float(np.median(imports_cpu)), first_result_cpu_s=float(np.median(firsts_cpu)))


_MEMORY = """
import json, resource, sys
import tradeflow


def peak_mb():
    # the peak RSS of this process's own address space: VmHWM starts afresh at exec, while getrusage's
    # ru_maxrss keeps the forking parent's peak across fork + exec (a bench process of 1 GB read as 1 GB)
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

cfg = tradeflow.SimulationConfig.from_dict({{"flow": {{"orders_per_day": {orders}}}, "execution": {execution}}})
tradeflow.simulate  # the API's modules (pandas, numba, the kernels' cache index) belong to the import
before = peak_mb()
import time
t, c = time.perf_counter(), time.process_time()
r = tradeflow.simulate(cfg, seed=0, progress=False)
dt, dc = time.perf_counter() - t, time.process_time() - c
after = peak_mb()
records_mb = sum(getattr(v, "nbytes", 0) for v in r.records.values()) / 2**20  # what the day returns
print(json.dumps({{"rss_above_import_mb": after - before, "s": dt, "cpu_s": dc,
                  "orders": len(r.records["orders"]), "records_mb": records_mb}}))
"""


def _memory_run(orders: int, quick: bool) -> dict[str, Any]:
    execution = {"book_events_per_second": 2.0} if quick else {}
    out = subprocess.run([sys.executable, "-c", _MEMORY.format(orders=orders, execution=execution)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@register("targets.memory", unit="runs")
def memory(b: Bench) -> None:
    """Peak RSS of one day above the import (fresh process, warm cache), and 10x the orders."""
    base = b.size(quick=1_000, full=100_000)
    _memory_run(base, b.quick)  # warm
    runs: dict[int, dict[str, Any]] = {}

    def run(orders: int):
        runs[orders] = _memory_run(orders, b.quick)

    b.target(f"one day of {base} orders, fresh process", lambda: run(base), n=1, repeats=1, fresh_process=True)
    b.target(f"one day of {10 * base} orders, fresh process", lambda: run(10 * base), n=1, repeats=1,
             fresh_process=True)
    small, big = runs[base], runs[10 * base]
    b.param(orders=base, rss_above_import_mb=small["rss_above_import_mb"], records_mb=small["records_mb"],
            day_s=small["s"],
            rss_above_import_mb_10x=big["rss_above_import_mb"], day_s_10x=big["s"],
            time_ratio_10x=big["cpu_s"] / small["cpu_s"], wall_ratio_10x=big["s"] / small["s"],
            memory_ratio_10x=big["rss_above_import_mb"] / max(small["rss_above_import_mb"], 1e-9))
