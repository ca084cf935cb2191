"""The analyst notebooks run top to bottom and check what they show (issue 6).

Each notebook is executed with nbclient in a fresh ``python3`` kernel of this very
interpreter (the venv's ipykernel), from the ``notebooks/`` folder, as an analyst would
run it. Its ``assert`` cells are the checks: a failing one fails the test with the
notebook's traceback. A cell that prints a warning fails it too, and so does a notebook
that draws fewer figures than it promises. The notebooks publish their builds to
temporary folders, pointed here at pytest's ``tmp_path``.

Without running them, the notebooks are checked to be committed without outputs, to
import only the public API (notebooks/README.md) and to say nothing of the methodology
they no longer follow.
"""

from __future__ import annotations

import ast
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import aralrisk

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SAMPLE = ROOT / "data" / "sample"
OFFICIAL_BOUNDARIES = ROOT / "data" / "reference" / "boundaries" / "kyzylorda_adm2.geojson"

#: Seconds one cell may run (a sample build is the slowest cell, well under a minute).
CELL_TIMEOUT = 300

#: Figures each notebook draws (its image outputs), at least.
FIGURES = {
    "01_quickstart.ipynb": 6,
    "02_weights_and_scenarios.ipynb": 4,
    "03_bring_your_own_data.ipynb": 3,
    "04_climate_trends.ipynb": 7,
}
#: Notebooks that read the real reference data in data/reference.
REAL_DATA = {"03_bring_your_own_data.ipynb"}

#: The modules of the project a notebook may import: the public API (notebooks/README.md).
PUBLIC_MODULES = set(aralrisk.PUBLIC_MODULES)
PROJECT_PACKAGES = ("aralrisk",)

#: Words of the methodology the notebooks no longer follow: INFORM's older class cut-offs,
#: a cell-level risk raster, log1p exposure, the SPI share as the drought hazard.
STALE = (
    r"2\.0 / 3\.5",
    r"risk\.tif",
    r"layers\[\"risk\"\]",
    r"log1p",
    r"evaluation_start",
    r"\"drought_value\"",
    r"\[\"coping\"\]",
    r"\[\"exposure\"\]",
    r"\[\"layer\"\]",
)

#: Text on a cell's stderr that is not a warning about the notebook's code (none today).
TOLERATED: tuple[str, ...] = ()
#: Tag of a cell that shows the user an InputWarning on purpose (notebook 03 builds without
#: a district's row). Only InputWarnings, each with its one source line, may print there.
SHOWS_INPUT_WARNING = "shows-input-warning"


def _warnings(nb: nbformat.NotebookNode) -> list[str]:
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") != "stream" or output.get("name") != "stderr":
                continue
            lines = [line for line in output["text"].splitlines() if line.strip()]
            lines = [line for line in lines if not any(t in line for t in TOLERATED)]
            if SHOWS_INPUT_WARNING in cell.get("metadata", {}).get("tags", []):
                lines = _not_input_warnings(lines)
            if lines:
                found.append(f"cell {index}: " + "\n".join(lines))
    return found


def _not_input_warnings(lines: list[str]) -> list[str]:
    """The stderr lines that are not an InputWarning or the source line shown under one."""
    rest: list[str] = []
    under_warning = False
    for line in lines:
        if ": InputWarning: " in line:
            under_warning = True
        elif not (under_warning and line.startswith("  ")):
            rest.append(line)
            under_warning = False
    return rest


def _figures(nb: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in nb.cells
        for output in cell.get("outputs", [])
    )


#: The notebooks are executed from two test files, two each, so that the test runners
#: (pytest-xdist, one file per worker) run them side by side: about a minute each half.
FIRST_HALF = ("01_quickstart.ipynb", "03_bring_your_own_data.ipynb")


def executed_params(names: tuple[str, ...]) -> list[object]:
    """``names`` as test parameters, marked ``real_data`` where they read it."""
    return [
        pytest.param(name, marks=[pytest.mark.real_data] if name in REAL_DATA else [])
        for name in names
    ]


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("name", executed_params(FIRST_HALF))
def test_notebook_runs_and_checks_itself(
    name: str, kernel_env: None, record_property: pytest.RecordProperty
) -> None:
    run_and_check(name, record_property)


def run_and_check(name: str, record_property: pytest.RecordProperty) -> None:
    """Execute notebook ``name`` in a fresh kernel; fail on a failing cell, a warning or a
    missing figure (needs the ``kernel_env`` fixture)."""
    if not (SAMPLE / "districts.geojson").is_file():
        pytest.fail("the sample data set is missing: run `make sample` first")
    if name in REAL_DATA and not OFFICIAL_BOUNDARIES.is_file():
        pytest.fail(f"{OFFICIAL_BOUNDARIES.relative_to(ROOT)} is missing from the repository")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    record_property("seconds", round(seconds, 1))

    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code), "every code cell ran"
    assert not _warnings(nb), "cells printed warnings:\n" + "\n".join(_warnings(nb))
    assert _figures(nb) >= FIGURES[name], f"{name} drew {_figures(nb)} figures"


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_notebook_is_committed_without_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name} cell {index} has outputs: strip them"
            assert cell.execution_count is None, f"{name} cell {index} has an execution count"


def _imports(source: str) -> list[tuple[str, str]]:
    """(module, name) of every project import of a code cell ("" for ``import x.y``)."""
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                # `from aralrisk.geo import index` imports the module aralrisk.geo.index.
                if f"{node.module}.{alias.name}" in PUBLIC_MODULES:
                    found.append((f"{node.module}.{alias.name}", ""))
                elif node.module.split(".")[0] in PROJECT_PACKAGES:
                    found.append((node.module, alias.name))
        elif isinstance(node, ast.Import):
            found += [
                (alias.name, "")
                for alias in node.names
                if alias.name.split(".")[0] in PROJECT_PACKAGES
            ]
    return found


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_notebook_uses_the_public_api(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for module, imported in _imports(cell.source):
            assert module in PUBLIC_MODULES, f"{name} cell {index} imports {module}"
            assert not imported.startswith("_"), f"{name} cell {index} imports {imported}"
        private = [
            node.attr
            for node in ast.walk(ast.parse(cell.source))
            if isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ]
        assert not private, f"{name} cell {index} uses private names {private}"


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_notebook_follows_the_current_methodology(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    stale = [pattern for pattern in STALE if re.search(pattern, text)]
    assert not stale, f"{name} still says {stale}"


def test_a_tagged_cell_may_show_input_warnings_and_nothing_else() -> None:
    stderr = [
        "/x/compute.py:251: InputWarning: t.csv has no row for KZ431900",
        "  table = read_table(...)",
        "/x/other.py:9: FutureWarning: something changes",
        "  call()",
    ]
    assert _not_input_warnings(stderr) == stderr[2:]
