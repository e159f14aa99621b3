"""The streaming engine's kernels run as plain Python too (NUMBA_DISABLE_JIT=1) with the same numbers."""

import json
import os
import subprocess
import sys

SCRIPT = """
import json, numpy as np, pandas as pd
from tradeflow import RiskEngine
rng = np.random.default_rng(0)
inst = pd.DataFrame({"symbol": ["A", "B", "A_C"], "asset_class": ["equity", "equity", "option"], "currency": "USD",
                     "multiplier": [1.0, 1.0, 100.0], "volatility": [0.2, 0.3, 0.25], "underlying": ["", "", "A"],
                     "strike": [np.nan, np.nan, 100.0], "expiry": [0, 0, 10**17], "call_put": ["", "", "C"]})
eng = RiskEngine(inst, marks=[100.0, 50.0, 3.0], scenarios=rng.normal(0, 0.02, (3, 100)), n_books=2,
                 risk=__import__("tradeflow").RiskConfig(pnl_method="fifo", n_scenarios=100))
n = 200
fills = pd.DataFrame({"ts": np.arange(n), "book": rng.integers(0, 2, n), "instrument": rng.integers(0, 3, n),
                      "side": rng.choice([1, -1], n), "qty": rng.integers(1, 50, n), "price": rng.uniform(1, 100, n)})
out = eng.on_fills(fills)
eng.on_prices(pd.DataFrame({"ts": [n, n + 1], "instrument": [0, 1], "price": [101.0, 49.0]}))
chk = eng.check_orders(fills.rename(columns={"price": "ref_price"}).assign(ts=np.arange(n) + n + 2))
print(json.dumps({"var": out["var_1d"].round(9).tolist(), "snap": eng.snapshot().round(9).astype(str).values.tolist(),
                  "now": eng.var().round(9).values.tolist(), "chk": chk["reason"].astype(str).tolist()}))
"""


def _run(disable_jit: bool) -> dict:
    env = os.environ.copy()
    env["NUMBA_DISABLE_JIT"] = "1" if disable_jit else "0"
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_engine_kernels_run_without_jit_with_the_same_results():
    assert _run(True) == _run(False)
