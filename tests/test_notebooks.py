"""The notebooks in notebooks/: paired with their .ipynb, stored clean, and run top to bottom.

Each notebook is executed from its jupytext `.py` (the source of truth) in a fresh kernel,
against a scratch project where the pipeline has run on a small synthetic cohort.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from tests.test_api import analysed_project

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
TIMEOUT = 300  # seconds per cell


def test_there_are_four_notebooks() -> None:
    assert [p.stem for p in SOURCES] == [
        "01_tour",
        "02_time_to_first_job",
        "03_new_comparison",
        "04_fidelity_sites",
    ]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_ipynb_is_paired_with_the_py(source: Path) -> None:
    text = jupytext.read(source)
    stored = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    assert [(c.cell_type, c.source) for c in stored.cells] == [
        (c.cell_type, c.source) for c in text.cells
    ], f"run `jupytext --sync {source.relative_to(ROOT)}`"
    assert stored.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_ipynb_is_stored_without_outputs(notebook: Path) -> None:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)


@pytest.fixture(scope="module")
def kernel_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch
) -> Path:
    """Point the notebooks at an analysed scratch project; a kernel of this very Python."""
    root = analysed_project(tmp_path_factory)
    jupyter = tmp_path_factory.mktemp("jupyter")
    spec = jupyter / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Python 3 (ipykernel)", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    for name, value in {
        "IPS_PROJECT_ROOT": str(root),
        "IPS_COHORT": "demo",
        "JUPYTER_PATH": str(jupyter),  # searched before the user's own kernels
        "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
        "IPYTHONDIR": str(jupyter / "ipython"),  # no profile or startup files of the user
        "MPLBACKEND": "agg",
    }.items():
        monkeypatch_module.setenv(name, value)
    return root


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(source: Path, kernel_env: Path) -> None:
    notebook = jupytext.read(source)
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    stderr = [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not errors
    assert not stderr, f"{source.name} wrote to stderr (a warning?): {stderr}"
    assert any(o.output_type in ("execute_result", "display_data") for o in outputs)
