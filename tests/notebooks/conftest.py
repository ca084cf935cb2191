"""Fixtures of the notebook tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from ipykernel.kernelspec import write_kernel_spec


@pytest.fixture
def kernel_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``python3`` kernel spec of this interpreter, inline plots, temp files in tmp_path."""
    kernels = tmp_path / "jupyter" / "kernels" / "python3"
    write_kernel_spec(kernels)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
