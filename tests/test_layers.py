"""Layers are enforced: the import-linter contracts of pyproject.toml, and no private module or name
imported from another package."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tradeflow"


def _lint_imports() -> str | None:
    exe = Path(sys.executable).with_name("lint-imports")
    return str(exe) if exe.is_file() else shutil.which("lint-imports")


def test_import_contracts_hold():
    exe = _lint_imports()
    if exe is None:
        pytest.skip('import-linter is not installed: pip install "tradeflow[test]"')
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([exe, "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


# Known exceptions, each to be removed by giving the name a public home (then delete the line here).
ALLOWED = {
    # the intraday strategies' callbacks (send_nb, cancel_nb, StrategyCtx) are compiled with the session loop;
    # their public home is tradeflow.strategies, which re-exports them
    ("tradeflow.strategies.intraday", "tradeflow._strategy_ctx"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _private_reach(importer: str, target: str) -> bool:
    """Whether ``importer`` may use ``target``, a private module or name: only from inside its own package."""
    package = target.rsplit(".", 1)[0]
    if package == "tradeflow":  # a private module of the root: its siblings only
        return importer.count(".") == 1 or importer == "tradeflow"
    return importer == package or importer.startswith(package + ".")


def test_no_private_imports_across_packages():
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = _module_name(path)
        is_pkg = path.name == "__init__.py"
        here = importer if is_pkg else importer.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(here.split(".")[: len(here.split(".")) - node.level + 1] + ([base] if base else []))
                if not base.startswith("tradeflow"):
                    continue
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            for t in targets:
                if not t.startswith("tradeflow"):
                    continue
                parts = t.split(".")
                for i in range(1, len(parts)):
                    if parts[i].startswith("_") and not parts[i].startswith("__"):
                        name = ".".join(parts[: i + 1])
                        if not _private_reach(importer, name) and (importer, name) not in ALLOWED:
                            bad.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
                        break
    assert not bad, "private names imported across packages:\n" + "\n".join(bad)
