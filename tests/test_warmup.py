"""``tradeflow.warmup()`` readies every kernel a desk-day of either venue runs: nothing new is typed after it."""

import json
import os
import subprocess
import sys

import pytest

import tradeflow

# Each top-level kernel's signatures (compiled or loaded from the cache alike) after warmup(), then
# after days of another size and seed with each venue: a kernel the days need and warmup did not
# ready would gain a signature there (and compile, 20-40 s, on a cold cache).
_PROBE = """
import json, sys
import numba
import tradeflow
from numba.core.registry import CPUDispatcher

def signatures():
    out = {}
    for name, mod in list(sys.modules.items()):
        if name.startswith("tradeflow"):
            for attr, obj in list(vars(mod).items()):
                if isinstance(obj, CPUDispatcher):
                    out[f"{obj.py_func.__module__}.{obj.py_func.__qualname__}"] = sorted(map(str, obj.signatures))
    return out

tradeflow.warmup(VENUES)
before = signatures()
for venue in ("book", "quote"):
    cfg = tradeflow.SimulationConfig.from_dict({"flow": {"orders_per_day": 1_500},
                                                "execution": {"venue": venue, "book_events_per_second": 2.0}})
    tradeflow.simulate(cfg, seed=5, progress=False)
after = signatures()
print(json.dumps(sorted(k for k, v in after.items() if v != before.get(k, []))))
"""


def _new_signatures(venues: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    out = subprocess.run([sys.executable, "-c", _PROBE.replace("VENUES", venues)], capture_output=True, text=True,
                         check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_after_warmup_a_day_of_either_venue_types_no_new_kernel():
    assert _new_signatures("") == []


def test_the_probe_sees_a_venue_warmup_left_out():
    # the check above could not fail if the probe missed kernels: warming the book alone leaves the
    # quote venue's desk loop to the day
    assert any("desk_loop_nb" in k for k in _new_signatures("('book',)"))


def test_warmup_refuses_an_unknown_venue():
    with pytest.raises(ValueError, match="'venues' must be 'book' or 'quote'; got 'dark'"):
        tradeflow.warmup(("dark",))
