"""Two published builds under one root whose flood_rp10 differs, to swap under a service."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from aralrisk.layers.result import BuildResult


def publish_two_builds(built: BuildResult, root: Path) -> None:
    """Copies A and B of ``built`` under ``root/builds`` with ``current`` on A.

    Their versions are ``version-A`` and ``version-B``; B's flood_rp10 is A's dust raster,
    so a tile of flood_rp10 differs between them. Swap with :func:`switch_to`.
    """
    for name in ("A", "B"):
        shutil.copytree(built.path, root / "builds" / name, symlinks=True)
        manifest_path = root / "builds" / name / "manifest.json"
        manifest = json.loads(manifest_path.read_text())
        manifest["version"] = f"version-{name}"
        if name == "B":
            manifest["layers"]["flood_rp10"]["raw"] = manifest["layers"]["dust_days"]["raw"]
        manifest_path.write_text(json.dumps(manifest))
    (root / "current").symlink_to(Path("builds") / "A")


def switch_to(root: Path, name: str) -> None:
    """Point ``root/current`` at build ``name`` (A or B)."""
    (root / "current").unlink()
    (root / "current").symlink_to(Path("builds") / name)
