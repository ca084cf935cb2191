"""The command notebooks/README.md gives to run a notebook works (issue 15, point 8).

The README's ``jupyter nbconvert --to notebook --execute ... --output-dir ...`` line is
read from the README and run as written, on a small notebook built here instead of a
sample notebook (which needs a build and a minute): its options are the README's, only
the notebook and the output folder are swapped for files in ``tmp_path``. The executed
copy must hold each cell's output: proof that the venv's ``python3`` kernel ran it, from
the notebook's folder, with the project importable, and that the source stays clean.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "notebooks" / "README.md"
#: The README's command, on a line of its own in a shell block.
COMMAND = re.compile(r"^\.venv/bin/jupyter nbconvert .*$", re.MULTILINE)


def readme_command() -> list[str]:
    """The README's nbconvert command, split as the shell would."""
    found = COMMAND.findall(README.read_text(encoding="utf-8"))
    assert len(found) == 1, "notebooks/README.md names one `jupyter nbconvert` command"
    return shlex.split(found[0].split("#", 1)[0])


def tiny_notebook() -> nbformat.NotebookNode:
    """Three cells: printed text, an expression's value, and where the kernel runs."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    nb.cells = [
        nbformat.v4.new_code_cell("print(6 * 7)"),
        nbformat.v4.new_code_cell(
            "from aralrisk.geo.index import HIGH, LEVEL_LABELS\nLEVEL_LABELS[HIGH]"
        ),
        nbformat.v4.new_code_cell("import os, sys\nprint(os.getcwd())\nprint(sys.prefix)"),
    ]
    return nb


@pytest.mark.notebook
def test_the_readme_command_executes_a_notebook(tmp_path: Path) -> None:
    command = readme_command()
    assert command[:2] == [".venv/bin/jupyter", "nbconvert"]
    assert {"--to", "notebook", "--execute", "--output-dir"} <= set(command)
    source = tmp_path / "work" / "tiny.ipynb"
    source.parent.mkdir()
    nbformat.write(tiny_notebook(), source)
    out = tmp_path / "executed"
    # The README's notebook and folder swapped for ours; every option kept as written.
    jupyter = Path(sys.executable).parent / "jupyter"
    args = [str(jupyter), "nbconvert"]
    rest = iter(command[2:])
    for arg in rest:
        if arg.endswith(".ipynb"):
            args.append(str(source))
        elif arg == "--output-dir":
            args += [arg, str(out)]
            next(rest)
        else:
            args.append(arg)
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr

    executed = nbformat.read(out / "tiny.ipynb", as_version=4)
    printed, value, where = (cell.outputs for cell in executed.cells)
    assert [(o.output_type, o.name, o.text) for o in printed] == [("stream", "stdout", "42\n")]
    assert [(o.output_type, o.data["text/plain"]) for o in value] == [("execute_result", "'high'")]
    cwd, prefix = where[0].text.splitlines()
    assert Path(cwd) == source.parent  # run from the notebook's folder
    assert Path(prefix) == Path(sys.prefix)  # by this venv's interpreter
    assert [c.execution_count for c in executed.cells] == [1, 2, 3]
    # The source notebook is left without outputs.
    assert all(not c.outputs for c in nbformat.read(source, as_version=4).cells)
