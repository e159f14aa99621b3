"""The middle office's kernels: post-trade updates, pre-trade checks and incremental VaR/ES after every fill.

Every target runs the kernel simulate() and RiskEngine run; every baseline does the same work
the way a quant would without tradeflow (pandas, a plain Python loop, a from-scratch recompute).
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd

from benchmarks._harness import Bench, register
from tradeflow.middle import nb as ek
from tradeflow.middle.engine import ENGINE_ORDER_DT
from tradeflow.middle.nb import tail_width_nb
from tradeflow.middle.positions import post_trade
from tradeflow.schema import BREACH_DT

N_INST, N_BOOKS = 100, 5


def _fills(n: int, n_inst: int = N_INST, n_books: int = N_BOOKS, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    inst = rng.integers(0, n_inst, n)
    px0 = rng.uniform(20.0, 500.0, n_inst)
    return {"book": rng.integers(0, n_books, n).astype(np.int64), "inst": inst.astype(np.int64),
            "side": rng.choice(np.array([1, -1]), n).astype(np.int64),
            "qty": rng.integers(1, 1_000, n).astype(np.int64),
            "price": px0[inst] * np.exp(rng.normal(0, 0.01, n)), "fee": np.full(n, 0.5)}


def _kernel_post_trade(f: dict[str, np.ndarray], n_books: int, n_inst: int) -> None:
    shape = (n_inst, n_books)  # instrument-major state
    n = f["book"].shape[0]
    ek.post_trade_nb(f["book"], f["inst"], f["side"], f["qty"], f["price"], f["fee"], np.zeros(shape, np.int64),
                     np.zeros(shape), np.zeros(shape), np.zeros(shape), np.zeros(shape, np.int64), np.zeros(n_inst),
                     np.zeros(n_books), np.zeros(n_books), np.empty(n, np.int64), np.empty(n), np.empty(n),
                     np.empty(n), np.empty(n))


def _pandas_post_trade(df: pd.DataFrame) -> pd.DataFrame:
    """Running position, cash and mark-to-market per book x instrument: groupby-cumsum (no realized P&L)."""
    signed = df["qty"] * df["side"]
    g = df.assign(signed=signed, cash=-signed * df["price"] - df["fee"]).groupby(["book", "inst"], sort=False)
    pos = g["signed"].cumsum()
    cash = g["cash"].cumsum()
    return pd.DataFrame({"pos": pos, "cash": cash, "mtm": cash + pos * df["price"]})


def _python_post_trade(f: dict[str, np.ndarray], n: int) -> None:
    """The obvious loop: average-cost position and realized P&L per (book, instrument) in dicts."""
    pos: dict = {}
    avg: dict = {}
    realized: dict = {}
    book, inst, side, qty, price = (f[k][:n].tolist() for k in ("book", "inst", "side", "qty", "price"))
    for b, i, s, q, p in zip(book, inst, side, qty, price, strict=True):
        key = (b, i)
        p0 = pos.get(key, 0)
        a = avg.get(key, 0.0)
        if p0 == 0 or (p0 > 0) == (s > 0):
            avg[key] = (a * abs(p0) + p * q) / (abs(p0) + q)
        else:
            c = min(q, abs(p0))
            realized[key] = realized.get(key, 0.0) + c * (p - a) * (1 if p0 > 0 else -1)
            if p0 + s * q == 0:
                avg[key] = 0.0
            elif (p0 + s * q > 0) != (p0 > 0):
                avg[key] = p
        pos[key] = p0 + s * q


@register("middle.post_trade", unit="fills")
def bench_post_trade(b: Bench) -> None:
    n = b.size(quick=100_000, full=1_000_000)
    f = _fills(n)
    b.param(fills=n, instruments=N_INST, books=N_BOOKS)
    b.target("tradeflow post_trade_nb (pos, avg cost, realized, MTM, gross/net per fill)",
             lambda: _kernel_post_trade(f, N_BOOKS, N_INST), n=n)
    b.target("tradeflow.middle.positions.post_trade (validated, DataFrame out)",
             lambda: post_trade(f["book"], f["inst"], f["side"], f["qty"], f["price"], f["fee"],
                                n_books=N_BOOKS, n_instruments=N_INST), n=n, repeats=3)
    df = pd.DataFrame(f)
    b.baseline("pandas groupby-cumsum pos/cash/MTM (no realized P&L)", lambda: _pandas_post_trade(df), n=n, repeats=3)
    m = b.size(quick=5_000, full=100_000)
    b.baseline("python loop, average-cost realized P&L", lambda: _python_post_trade(f, m), n=m, repeats=1)
    if importlib.util.find_spec("vectorbt") is not None:  # pragma: no cover - optional, never a dependency
        import vectorbt as vbt
        close = pd.DataFrame(np.tile(f["price"][:, None], (1, 1)))
        size = pd.DataFrame((f["side"] * f["qty"])[:, None].astype(float))
        b.baseline("vectorbt Portfolio.from_orders (one column)",
                   lambda: vbt.Portfolio.from_orders(close, size).total_profit(), n=n, repeats=1)


def _orders(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    ref = rng.uniform(20.0, 500.0, N_INST)
    inst = rng.integers(0, N_INST, n).astype(np.int64)
    limit = np.where(rng.random(n) < 0.5, ref[inst] * (1 + rng.normal(0, 0.002, n)), np.nan)
    return {"ts": np.cumsum(rng.integers(1, 50_000_000, n)).astype(np.int64),
            "client": rng.integers(0, 50, n).astype(np.int64), "trader": rng.integers(0, 20, n).astype(np.int64),
            "book": rng.integers(0, N_BOOKS, n).astype(np.int64), "inst": inst,
            "side": rng.choice(np.array([1, -1]), n).astype(np.int64),
            "qty": rng.integers(1, 2_000, n).astype(np.int64), "is_limit": ~np.isnan(limit), "limit": limit,
            "ref": ref[inst]}


def _kernel_pretrade(o: dict[str, np.ndarray]) -> int:
    n = o["ts"].shape[0]
    shape = (N_BOOKS, N_INST)
    ctl = ek.Controls(collar_bps=500.0, max_order_qty=50_000, max_order_notional=5e6,
                      max_position=np.full(N_INST, 60_000, np.int64), max_gross=150_000, credit_limit=5e12,
                      dup_window_ns=1_000_000_000, book_state=np.zeros(N_BOOKS, np.int8), kill=np.zeros(1, np.int8),
                      credit_used=np.zeros(50), thr_ring=np.full((20, 50), -1, np.int64),
                      thr_head=np.zeros(20, np.int64), dup_ts=np.full((50, N_INST, 2), -1, np.int64),
                      dup_qty=np.zeros((50, N_INST, 2), np.int64), dup_px=np.zeros((50, N_INST, 2)))
    ob = ek.OrderBatch(ts=o["ts"], client=o["client"], trader=o["trader"], book=o["book"], inst=o["inst"],
                       side=o["side"], qty=o["qty"], is_limit=o["is_limit"], limit_price=o["limit"],
                       ref_price=o["ref"], fx=np.ones(n), row=np.full(n, -1, np.int64))
    return ek.check_orders_nb(ob, ctl, _positions(shape), np.full(1, np.iinfo(np.int64).min, np.int64),
                              np.zeros(1, ENGINE_ORDER_DT), np.zeros(n, np.int8))


def _positions(shape: tuple[int, int]) -> ek.Positions:
    return ek.Positions(pos=np.zeros(shape, np.int64), avg=np.zeros(shape), realized=np.zeros(shape),
                        fees=np.zeros(shape), n_fills=np.zeros(shape, np.int64),
                        working_buy=np.zeros(shape, np.int64), working_sell=np.zeros(shape, np.int64), fifo=False,
                        lot_qty=np.zeros(0, np.int64), lot_px=np.zeros(0), lot_next=np.zeros(0, np.int64),
                        lot_head=np.full(shape, -1, np.int64), lot_tail=np.full(shape, -1, np.int64),
                        lot_top=np.zeros(1, np.int64))


def _numpy_pretrade(o: dict[str, np.ndarray]) -> np.ndarray:
    """The stateless checks only (collar, order size, notional), vectorized: less work than the target."""
    px = np.where(o["is_limit"], o["limit"], o["ref"])
    collar = o["is_limit"] & (np.abs(o["limit"] / o["ref"] - 1) * 1e4 > 500.0)
    return np.where(collar, 1, np.where(o["qty"] > 50_000, 2, np.where(o["qty"] * px > 5e6, 3, 0)))


def _python_pretrade(o: dict[str, np.ndarray], n: int) -> int:
    """Every check in a loop with dicts for credit, throttle windows and duplicates."""
    credit: dict = {}
    sent: dict = {}
    last: dict = {}
    ok = 0
    cols = [o[k][:n].tolist() for k in ("ts", "client", "trader", "inst", "side", "qty", "limit", "ref")]
    for ts, c, t, i, s, q, lim, ref in zip(*cols, strict=True):
        is_lim = lim == lim
        px = lim if is_lim else ref
        recent = [x for x in sent.get(t, ()) if ts - x < 1_000_000_000]
        if len(recent) >= 50 or (is_lim and abs(lim / ref - 1) * 1e4 > 500) or q > 50_000 or q * px > 5e6:
            continue
        if credit.get(c, 0.0) + q * px > 5e12:
            continue
        prev = last.get((c, i, s))
        if prev is not None and ts - prev[0] < 1_000_000_000 and prev[1:] == (q, px):
            continue
        credit[c] = credit.get(c, 0.0) + q * px
        sent[t] = recent + [ts]
        last[(c, i, s)] = (ts, q, px)
        ok += 1
    return ok


@register("middle.pretrade", unit="orders")
def bench_pretrade(b: Bench) -> None:
    n = b.size(quick=100_000, full=1_000_000)
    o = _orders(n)
    b.param(orders=n, instruments=N_INST, books=N_BOOKS, clients=50, traders=20)
    b.target("tradeflow check_orders_nb (all 15c3-5 controls, stateful)", lambda: _kernel_pretrade(o), n=n)
    b.baseline("numpy vectorized stateless checks only", lambda: _numpy_pretrade(o), n=n)
    m = b.size(quick=5_000, full=100_000)
    b.baseline("python loop, every check", lambda: _python_pretrade(o, m), n=m, repeats=1)


def _var_state(n_books: int, n_inst: int, n_scen: int, seed: int = 2):
    rng = np.random.default_rng(seed)
    unit = rng.normal(0, 1.0, (n_inst, n_scen)) * rng.uniform(20, 500, n_inst)[:, None] * 0.02
    return unit


def _kernel_incremental_var(f, unit, n_books: int, with_var: bool = True) -> None:
    n_inst, n_scen = unit.shape
    n = f["book"].shape[0]
    shape = (n_books, n_inst)
    m = tail_width_nb(n_scen, 0.99, 0.975)
    fb = ek.FillBatch(ts=f["ts"], book=f["book"], inst=f["inst"], side=f["side"], qty=f["qty"], price=f["price"],
                      fee=f["fee"], row=np.full(n, -1, np.int64))
    tails = ek.Tails(unit_pnl=unit, weight=np.ones(n_inst), spnl=np.zeros((n_books, n_scen)),
                     desk_spnl=np.zeros(n_scen),
                     tail_idx=np.tile(np.arange(m, dtype=np.int64), (n_books + 1, 1)),
                     tail_loss=np.zeros((n_books + 1, m)), var_level=0.99, es_level=0.975)
    limits = ek.Limits(lim=np.zeros(9), action=0, limit_state=np.zeros((n_books + 1, 4), np.int8),
                       peak=np.zeros(n_books + 1), breaches=np.zeros(1, dtype=BREACH_DT), first_breach_id=0)
    ek.apply_fills_nb(fb, _positions(shape), tails, limits, np.zeros(n_books, np.int8), with_var,
                      np.full(1, np.iinfo(np.int64).min, np.int64), np.zeros(1, ENGINE_ORDER_DT),
                      np.empty(n, np.int8), np.empty(n), np.empty(n))


def _recompute_var(f, unit, n_books: int, n: int) -> None:
    """After every fill: the book's scenario P&L from its positions, then VaR and ES by partition."""
    pos = np.zeros((n_books, unit.shape[0]))
    n_scen = unit.shape[1]
    kv = n_scen - int(np.ceil(n_scen * 0.99 - 1e-9))
    ke = n_scen - int(np.ceil(n_scen * 0.975 - 1e-9))
    for j in range(n):
        b = f["book"][j]
        pos[b, f["inst"][j]] += f["side"][j] * f["qty"][j]
        losses = -(pos[b] @ unit)
        part = np.partition(losses, [n_scen - kv - 1, n_scen - ke])
        _ = part[n_scen - kv - 1], part[n_scen - ke:].mean()


def _simd_width() -> str:
    """The widest vector registers the fused add-and-count loop compiles to ("ymm": AVX, "xmm": SSE only).

    The cached kernel cannot be inspected, so its Python source is compiled once more, uncached.
    """
    import re

    from numba import njit

    from tradeflow.middle import nb as rk

    fn = njit(nogil=True)(rk.add2_tail_nb.py_func)
    v = np.zeros(64)
    i = np.arange(2, dtype=np.int64)
    fn(v, v.copy(), 1.0, v.copy(), 2, i, np.zeros(2), i.copy(), np.zeros(2), True, True)
    asm = fn.inspect_asm(fn.signatures[0])
    for reg in ("zmm", "ymm", "xmm"):
        if re.search(rf"\bv?(add|mul)pd\s+[^\n]*%{reg}", asm):
            return reg
    return "scalar"


@register("middle.incremental_var", unit="fills")
def bench_incremental_var(b: Bench) -> None:
    """VaR and ES current after every fill: the book's scenario P&L vector and its tail kept incrementally."""
    n = b.size(quick=20_000, full=1_000_000)
    f = _fills(n)
    f["ts"] = np.arange(n, dtype=np.int64)
    unit = _var_state(N_BOOKS, N_INST, 500)
    b.param(fills=n, instruments=N_INST, books=N_BOOKS, scenarios=500, var_level=0.99, es_level=0.975,
            fused_loop_simd=_simd_width())
    b.target("tradeflow apply_fills_nb: position + scenario P&L + VaR/ES after every fill",
             lambda: _kernel_incremental_var(f, unit, N_BOOKS), n=n)
    b.target("tradeflow apply_fills_nb: position + scenario P&L only (no VaR/ES)",
             lambda: _kernel_incremental_var(f, unit, N_BOOKS, with_var=False), n=n)
    m = b.size(quick=300, full=10_000)
    b.baseline("recompute book scenario P&L (numpy matmul) + partition per fill",
               lambda: _recompute_var(f, unit, N_BOOKS, m), n=m, repeats=1)


# the cost curve: (books, instruments, scenarios); the first point is the reference the others are divided by
SCALING_REFERENCE = (5, 100, 500)
SCALING_GRID = [(5, 100, 250), (5, 100, 1000), (5, 100, 2000), (5, 10, 500), (5, 1000, 500), (1, 100, 500),
                (50, 100, 500)]


@register("middle.var_scaling", unit="fills")
def bench_var_scaling(b: Bench) -> None:
    """How the per-fill cost of VaR/ES after every fill grows with scenarios, instruments and books.

    The reference point (5 books, 100 instruments, 500 scenarios) is measured as the baseline, so
    ``speedup_vs_baseline`` holds each grid point's throughput relative to it: 0.5 means twice the
    cost per fill. Those ratios are measured in one process, so ``compare --metric ratio`` can
    judge the shape of the cost curve across machines.
    """
    n = b.size(quick=5_000, full=200_000)
    b.param(fills=n, grid="(books, instruments, scenarios)", reference=list(SCALING_REFERENCE),
            points=[list(p) for p in SCALING_GRID])

    def run(books: int, inst: int, scen: int, role: str) -> None:
        f = _fills(n, n_inst=inst, n_books=books, seed=3)
        f["ts"] = np.arange(n, dtype=np.int64)
        unit = _var_state(books, inst, scen)
        fn = b.target if role == "target" else b.baseline
        fn(f"books={books} instruments={inst} scenarios={scen}",
           lambda: _kernel_incremental_var(f, unit, books), n=n)

    run(*SCALING_REFERENCE, role="baseline")
    for books, inst, scen in SCALING_GRID:
        run(books, inst, scen, role="target")
