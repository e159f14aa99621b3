"""The numba cache is keyed by every kernel source: a changed code in the data model recompiles its callers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tradeflow
from tradeflow.core.numba_cache import PACKAGE_DIR, kernel_sources, kernel_tree_stamp

_IGNORE = shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A private copy of the tradeflow package (sources only, no cache)."""
    shutil.copytree(PACKAGE_DIR, tmp_path / "tradeflow", ignore=_IGNORE)
    return tmp_path / "tradeflow"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_locator_installed_for_tradeflow_kernels():
    from tradeflow.middle.nb import pretrade_check_nb

    locator = pretrade_check_nb._cache._impl.locator
    assert type(locator).__name__ == "TradeflowCacheLocator"
    assert locator.get_source_stamp()[-1] == kernel_tree_stamp()


def test_stamp_follows_kernels_and_data_model_only(tree: Path):
    names = {p.relative_to(tree).as_posix() for p in kernel_sources(tree)}
    assert {"schema/enums.py", "middle/_pretrade.py", "front/_book_kernels.py", "back/_settle_kernels.py"} <= names
    assert "results.py" not in names and "cli.py" not in names
    before = kernel_tree_stamp(tree)
    _edit(tree / "cli.py", '"""Command line.', '"""Command line (edited).')
    assert kernel_tree_stamp(tree) == before  # a face changed: kernels keep their cache
    _edit(tree / "schema" / "enums.py", "    INVALID_QTY = 5\n", "    INVALID_QTY = 25\n")
    after_schema = kernel_tree_stamp(tree)
    assert after_schema != before
    book = tree / "front" / "_book_kernels.py"
    book.write_text(book.read_text() + "\n# edited\n")
    assert kernel_tree_stamp(tree) != after_schema


_PROBE = """
import json
from tradeflow.middle.nb import pretrade_check_nb
code = pretrade_check_nb(0, 1, False, 0.0, 100.0, 1.0, 0, 0, 50.0, 1000, 1e9, 10**9)
print(json.dumps({"code": int(code), "hits": sum(pretrade_check_nb.stats.cache_hits.values())}))
"""


def _probe(tree: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree.parent), "NUMBA_NUM_THREADS": "1"}
    env.pop("NUMBA_DISABLE_JIT", None)
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, cwd=tree.parent, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_changed_enum_code_recompiles_the_caller(tree: Path):
    """pretrade_check_nb (middle/_pretrade.py) reads RejectReason.INVALID_QTY from schema/enums.py: numba's own
    cache would keep returning 5 after schema/enums.py changes, since the kernel's file did not change."""
    first = _probe(tree)
    assert first == {"code": int(tradeflow.schema.RejectReason.INVALID_QTY), "hits": 0}
    assert _probe(tree) == {"code": first["code"], "hits": 1}  # unchanged tree: loaded from the cache
    _edit(tree / "schema" / "enums.py", "    INVALID_QTY = 5\n", "    INVALID_QTY = 25\n")
    assert _probe(tree) == {"code": 25, "hits": 0}  # recompiled, not the stale cached 5
