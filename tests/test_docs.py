"""The API reference builds from the docstrings, with every warning an error.

``mkdocs build --strict`` (mkdocs.yml at the repository root, pages in docs/reference)
renders the public API with mkdocstrings; a docstring griffe cannot parse, a broken
cross-reference or a page missing from the navigation fails the build.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("mkdocstrings", reason="the docs extra: pip install -e '.[docs]'")


@pytest.mark.slow
def test_the_api_reference_builds_with_warnings_as_errors(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "WARNING" not in done.stderr, done.stderr[-3000:]
    builds = (site / "builds" / "index.html").read_text(encoding="utf-8")
    for name in ("rescore_many", "open_build", "series"):
        assert name in builds, name
    analysis = (site / "analysis" / "index.html").read_text(encoding="utf-8")
    for name in ("rank_stability", "change_map", "district_series"):
        assert name in analysis, name
    configuration = (site / "configuration" / "index.html").read_text(encoding="utf-8")
    for name in ("overlap_weights", "parse_profile", "as_given", "write_styles"):
        assert name in configuration, name
