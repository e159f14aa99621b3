"""MkDocs hook: render each notebook from its executed copy, so the site shows outputs and plots.

``tests/test_notebooks.py`` executes every notebook and keeps the executed copy in
``build/notebooks/`` (the committed notebooks stay without outputs). A copy is used only when its
code cells are the committed notebook's, so an edited notebook is never shown with stale outputs.
``make docs`` runs those tests first; with ``TRADEFLOW_DOCS_REQUIRE_OUTPUTS=1`` (``make docs``,
``.ci/run``) a notebook without an up-to-date executed copy fails the build.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

EXECUTED = Path(__file__).resolve().parents[2] / "build" / "notebooks"


def _sources(path: str | os.PathLike) -> list[str]:
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells]


def _has_outputs(path: Path) -> bool:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return any(c.get("outputs") for c in cells if c["cell_type"] == "code")


@event_priority(-100)  # after mkdocs-jupyter wraps them: its wrapper computes abs_src_path on its own
def on_files(files, config):
    required = os.environ.get("TRADEFLOW_DOCS_REQUIRE_OUTPUTS") == "1"
    missing = []
    for f in files:
        if not (f.src_uri.startswith("notebooks/") and f.src_uri.endswith(".ipynb")):
            continue
        copy = EXECUTED / Path(f.src_uri).name
        if copy.is_file() and _sources(copy) == _sources(f.abs_src_path) and _has_outputs(copy):
            f.abs_src_path = str(copy)
        else:
            missing.append(f.src_uri)
    if required and missing:
        raise PluginError(f"No up-to-date executed copy of {missing} in {EXECUTED}: run "
                          f"`pytest tests/test_notebooks.py` (make test) before the docs build.")
    return files
