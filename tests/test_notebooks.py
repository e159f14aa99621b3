"""Every notebook runs top to bottom on its own small config, and is committed without outputs."""

import json
import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

EXECUTED = Path(__file__).resolve().parents[1] / "build" / "notebooks"
NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert {p.name for p in NOTEBOOKS} >= {"desk_day.ipynb", "risk.ipynb", "back_office.ipynb",
                                           "scale_out.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook with no code"
    assert all(not c.outputs and c.execution_count is None for c in code), \
        f"{path.name} has outputs: clear them before committing"
    prose = sum(len(c.source) for c in nb.cells if c.cell_type == "markdown")
    assert prose > 1_000, f"{path.name} should tell its story in prose, not only code"


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """A kernelspec for *this* interpreter, so notebooks import the tradeflow under test (not whatever a
    system-wide ``python3`` kernel would), and quiet settings for the kernel to inherit
    (figures kept as PNG outputs, no screen needed)."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / "tradeflow-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "tradeflow tests", "language": "python"}))
    env = {"JUPYTER_PATH": os.pathsep.join(filter(None, [str(root), os.environ.get("JUPYTER_PATH")])),
           "TRADEFLOW_PROGRESS": "0"}
    # matplotlib's inline backend (ipykernel's default) keeps each figure as a PNG output: the site shows them
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    yield "tradeflow-test"
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom(path, tmp_path, kernel_env):
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name=kernel_env,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    # every code cell ran, in order
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
    # a notebook that draws shows its figures (as an analyst opening it, or the site, sees them)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    if ".plot" in code or "plt." in code:
        assert any("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    # the executed copy is what the documentation site renders (docs/_hooks/executed_notebooks.py)
    EXECUTED.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, EXECUTED / path.name)
