"""The API reference builds from the docstrings, with every warning an error.

``mkdocs build --strict`` (mkdocs.yml at the repository root, pages in docs/reference)
renders the public API with mkdocstrings; a docstring griffe cannot parse, a broken
cross-reference or a page missing from the navigation fails the build. Every module of
:data:`aralrisk.PUBLIC_MODULES` has a page, and every function and class of its
``__all__`` a heading there (mkdocstrings anchors each at its full dotted name).
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from aralrisk import PUBLIC_MODULES

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
    pages = {
        page.parent.name: page.read_text(encoding="utf-8") for page in site.glob("*/index.html")
    }
    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        shown = [page for page, html in pages.items() if f'id="{name}"' in html]
        assert shown, f"no page of docs/reference renders {name} (add '::: {name}')"
        html = pages[shown[0]]
        objects = {n: getattr(module, n) for n in module.__all__}
        public = [
            n for n, obj in objects.items() if inspect.isfunction(obj) or inspect.isclass(obj)
        ]
        absent = [n for n in public if f'id="{name}.{n}"' not in html]
        assert absent == [], f"{name}: {absent} missing from {shown[0]}.md"
    # Methods of the classes are rendered too, and names outside __all__ are not.
    for method in ("rescore", "rescore_many", "series", "table"):
        assert f'id="aralrisk.layers.result.BuildResult.{method}"' in pages["builds"], method
    assert 'id="aralrisk.layers.result.registry_from_manifest"' not in pages["builds"]
    assert 'id="aralrisk.layers.series.district_series"' not in pages["analysis"]
    assert "overlap_weights" in pages["configuration"]
    assert "adjusted_geometric_mean" in pages["scoring"]
