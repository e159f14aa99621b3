"""The public surface is pinned: ``tradeflow.__all__``, each office's exports and the kernel API modules.

A change here is an API change: if it is intended, regenerate the pin with
``python tests/api/test_public_api.py`` and say so in CHANGELOG.md.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

PIN = Path(__file__).with_name("public_api.json")
MODULES = ("tradeflow", "tradeflow.front", "tradeflow.middle", "tradeflow.back", "tradeflow.market",
           "tradeflow.front.nb", "tradeflow.middle.nb", "tradeflow.back.nb", "tradeflow.results", "tradeflow.schema",
           "tradeflow.parallel", "tradeflow.plotting", "tradeflow.config")


def exports(name: str) -> list[str]:
    mod = importlib.import_module(name)
    return sorted(mod.__all__)


@pytest.mark.parametrize("module", MODULES)
def test_exports_are_pinned(module):
    pinned = json.loads(PIN.read_text())
    got = exports(module)
    assert module in pinned, f"{module} is not pinned: regenerate {PIN.name}"
    added, removed = sorted(set(got) - set(pinned[module])), sorted(set(pinned[module]) - set(got))
    assert not added and not removed, (f"{module}: added {added}, removed {removed}; if intended, run "
                                       f"`python tests/api/test_public_api.py`")


@pytest.mark.parametrize("module", MODULES)
def test_every_export_exists(module):
    mod = importlib.import_module(module)
    missing = [n for n in mod.__all__ if not hasattr(mod, n)]
    assert not missing, f"{module}.__all__ names what it does not define: {missing}"


if __name__ == "__main__":  # regenerate the pin
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    PIN.write_text(json.dumps({m: exports(m) for m in MODULES}, indent=1) + "\n")
    print(f"wrote {PIN}")
