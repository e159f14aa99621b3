"""The whole desk-day and its run store.

``desk.simulate_day``: ``simulate()`` end to end (market, front, middle, back), cold and warm,
beside two same-run baselines of only the middle office's bookkeeping of the fills it made:
a pandas groupby (positions and P&L at the close) and a plain Python loop (running average
cost and realized P&L fill by fill, what the numba desk loop does among much else).
The ratios therefore understate tradeflow: the baselines do a slice of the target's work.

``desk.store_round_trip``: ``to_parquet`` then ``from_parquet`` of a run, beside pickling the
same record arrays (no atomic rename, no schema, no DataFrames).
"""

from __future__ import annotations

import pickle
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import tradeflow
from benchmarks._harness import Bench, register


def _pandas_positions(fills: pd.DataFrame, marks: pd.Series) -> pd.DataFrame:
    """What a quant would write: running position and cash per book x instrument, marked at the close."""
    signed = fills["qty"] * np.where(fills["side"] == "BUY", 1, -1)
    f = fills.assign(signed=signed, cash=-signed * fills["price"] - fills["fee"])
    g = f.groupby(["book", "instrument"], observed=True)
    out = pd.DataFrame({"qty": g["signed"].sum(), "cash": g["cash"].sum()})
    out["pnl"] = out["cash"] + out["qty"] * marks.reindex(out.index.get_level_values("instrument")).to_numpy()
    return out


def _python_book(book: np.ndarray, inst: np.ndarray, side: np.ndarray, qty: np.ndarray,
                 price: np.ndarray) -> dict[tuple[int, int], list[float]]:
    """Average-cost position keeping in plain Python: [qty, avg_price, realized] per (book, instrument)."""
    state: dict[tuple[int, int], list[float]] = {}
    for b, i, s, q, p in zip(book.tolist(), inst.tolist(), side.tolist(), qty.tolist(), price.tolist(),
                             strict=True):
        pos = state.setdefault((b, i), [0.0, 0.0, 0.0])
        dq = s * q
        if pos[0] == 0 or (pos[0] > 0) == (dq > 0):  # opening or adding: new average cost
            pos[1] = (pos[0] * pos[1] + dq * p) / (pos[0] + dq)
            pos[0] += dq
        else:  # reducing, closing or flipping: realize against the average cost
            closed = min(abs(dq), abs(pos[0]))
            pos[2] += closed * (p - pos[1]) * (1 if pos[0] > 0 else -1)
            pos[0] += dq
            if pos[0] == 0:
                pos[1] = 0.0
            elif (pos[0] > 0) == (dq > 0):  # flipped: the remainder opens at this price
                pos[1] = p
    return state


@register("desk.simulate_day", unit="orders")
def simulate_day(b: Bench) -> None:
    orders = b.size(quick=20_000, full=100_000)
    cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": orders}})
    b.param(orders_per_day=orders, instruments=len(cfg.market.instruments), books=cfg.flow.n_books)
    target = b.target("tradeflow.simulate (market+front+middle+back)",
                      lambda: tradeflow.simulate(cfg, seed=0, progress=False),
                      n=lambda result: len(result.records["orders"]))
    result = tradeflow.simulate(cfg, seed=0, progress=False)
    assert len(result.records["orders"]) == target["n"]  # same seed, same run
    fills = result.fills
    marks = pd.Series(result.market.mid[:, -1], index=list(result.instruments["symbol"]))
    b.param(fills=len(fills))
    b.baseline("pandas groupby position+P&L of the fills", lambda: _pandas_positions(fills, marks), n=target["n"])
    rec = result.records["fills"]
    k = min(len(rec), b.size(quick=5_000, full=50_000))  # the loop is slow: time a slice, scale by its share
    cols = (rec["book"][:k], rec["instrument"][:k], rec["side"][:k], rec["qty"][:k], rec["price"][:k])
    share = k / max(len(rec), 1)
    b.baseline("plain Python average-cost loop over the fills", lambda: _python_book(*cols),
               n=int(round(target["n"] * share)))


@register("desk.store_round_trip", unit="rows")
def store_round_trip(b: Bench) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:  # the store is optional; say so in the JSON instead of failing the suite
        b.param(skipped='pyarrow not installed: pip install "tradeflow[parquet]"')
        return
    days = b.size(quick=2, full=3)
    orders = b.size(quick=5_000, full=50_000)
    cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": orders}, "days": days})
    result = tradeflow.simulate(cfg, seed=0, progress=False)
    rows = sum(len(r) for r in result.records.values())
    b.param(days=days, orders_per_day=orders, rows=rows)
    tmp = Path(tempfile.mkdtemp(prefix="tradeflow-bench-"))
    try:
        def parquet() -> None:
            tradeflow.RunResult.from_parquet(result.to_parquet(tmp / "run"))

        def pickled() -> None:
            (tmp / "run.pkl").write_bytes(pickle.dumps(result.records, protocol=pickle.HIGHEST_PROTOCOL))
            pickle.loads((tmp / "run.pkl").read_bytes())

        repeats = min(b.repeats, 3)  # disk-bound and seconds per call at full size: three repeats say enough
        b.target("RunResult.to_parquet + from_parquet (atomic, typed)", parquet, n=rows, repeats=repeats)
        b.baseline("pickle the record arrays to a file and back", pickled, n=rows, repeats=repeats)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
