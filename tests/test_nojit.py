"""The kernels run as plain Python too (NUMBA_DISABLE_JIT=1) and give the same desk-day."""

import json
import os
import subprocess
import sys

SCRIPT = """
import hashlib, json, numpy as np, tradeflow
# a short session, a 10-second grid (the venues' hours still span 13 hours: every grid step snapshots and
# requotes each book) and a thin background book keep the pure-Python run to seconds
cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": 300}, "pnl_interval_seconds": 600,
                                            "market": {"session_close": "15:30", "step_seconds": 10.0},
                                            "execution": {"book_events_per_second": 1.0}})
r = tradeflow.simulate(cfg, seed=4)
rec = r.records
# field by field: aligned records carry padding bytes that nothing defines
print(json.dumps({f"{k}.{f}": hashlib.sha1(np.ascontiguousarray(rec[k][f]).tobytes()).hexdigest()
                  for k in sorted(rec) for f in rec[k].dtype.names}))
"""


def _run(disable_jit: bool) -> dict:
    env = os.environ.copy()
    env["NUMBA_DISABLE_JIT"] = "1" if disable_jit else "0"
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_pure_python_kernels_give_bit_identical_records():
    assert _run(True) == _run(False)
