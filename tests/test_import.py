"""``import tradeflow`` is light: no pandas-pulled pyarrow, scipy, matplotlib or dask, and nothing compiles."""

import json
import os
import subprocess
import sys

_PROBE = """
import json, sys
import tradeflow
heavy = [m for m in ("scipy", "matplotlib", "pyarrow", "dask", "numba", "pandas") if m in sys.modules]
cfg = tradeflow.SimulationConfig()
print(json.dumps({"heavy": heavy, "version": tradeflow.__version__, "lazy": callable(tradeflow.simulate),
                  "after": [m for m in ("numba", "pandas") if m in sys.modules]}))
"""


def test_import_tradeflow_imports_no_heavy_module():
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, env=env)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["heavy"] == []  # nor numba: nothing can compile at import
    assert got["lazy"] and got["after"] == ["numba", "pandas"]  # the public API loads on first use
    assert got["version"]
