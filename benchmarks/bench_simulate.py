"""The whole desk-day: simulate() warm, against the same flow's bookkeeping in pandas."""

from __future__ import annotations

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


@register("desk.simulate_day", unit="orders")
def simulate_day(b: Bench) -> None:
    orders = b.size(quick=20_000, full=100_000)
    cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": orders}})
    b.param(orders_per_day=orders, instruments=len(cfg.market.instruments), books=cfg.flow.n_books)
    result = tradeflow.simulate(cfg, seed=0)
    n = len(result.records["orders"])
    b.target("tradeflow.simulate (market+front+middle+back)", lambda: tradeflow.simulate(cfg, seed=0), n=n)
    fills = result.fills
    marks = pd.Series(result.market.mid[:, -1], index=list(result.instruments["symbol"]))
    # the baseline only does position/P&L bookkeeping of already-made fills: a small slice of the work
    b.baseline("pandas groupby position+P&L of the fills", lambda: _pandas_positions(fills, marks), n=n)
