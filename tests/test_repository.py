"""The repository itself: nothing half-merged is ever committed."""

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MARKERS = ("<<<<<<< ", ">>>>>>> ")


def _tracked() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [REPO / p for p in out.splitlines() if p.endswith((".py", ".md", ".toml", ".yml", ".cfg", ".ipynb"))
            or p in ("Makefile", ".ci/run")]


def test_no_merge_conflict_markers_in_tracked_files():
    found = []
    for path in _tracked():
        if not path.is_file():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if line.startswith(MARKERS) or line == "=======":
                found.append(f"{path.relative_to(REPO)}:{n}: {line[:40]}")
    assert not found, "merge conflict left in:\n" + "\n".join(found)
