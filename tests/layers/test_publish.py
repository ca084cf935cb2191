"""Builds that never lose data: one build at a time per root, explicit pruning, names."""

from __future__ import annotations

import multiprocessing
import shutil
import time
from pathlib import Path

import pytest

from aralrisk.geo.errors import NotFoundError
from aralrisk.layers import publish
from aralrisk.layers.pipeline import build
from aralrisk.layers.result import BuildResult, open_build


@pytest.fixture(scope="module")
def quick_config(world_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny world with two raster layers only: a build of a second or two."""
    folder = tmp_path_factory.mktemp("quick-world")
    shutil.copytree(world_dir, folder, dirs_exist_ok=True)
    text = (folder / "build.toml").read_text()
    (folder / "build.toml").write_text(
        text.replace('title = "Tiny world"', 'layers = ["dust_days", "flood_rp10"]')
    )
    return folder / "build.toml"


def _copy_root(built: BuildResult, target: Path) -> Path:
    """A copy of the published tiny-world root, to build into without moving the shared one."""
    root = built.path.parent.parent
    shutil.copytree(root, target, symlinks=True)
    return target


def _hold_lock(root: str, seconds: float, ready: multiprocessing.synchronize.Event) -> None:
    with publish.root_lock(Path(root)):
        ready.set()
        time.sleep(seconds)


def test_a_second_build_into_one_root_is_refused_while_the_first_runs(
    built: BuildResult, quick_config: Path, tmp_path: Path
) -> None:
    root = _copy_root(built, tmp_path / "root")
    before = (root / "current").resolve()
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(root), 30.0, ready))
    holder.start()
    try:
        assert ready.wait(60)
        with pytest.raises(
            publish.BuildInProgress, match=r"another build is writing into root \(process \d+"
        ):
            build(quick_config, out=root, progress=False)
        # Nothing moved: the published build is still served, its staging untouched.
        assert (root / "current").resolve() == before
        assert open_build(root).version == built.version
    finally:
        holder.kill()
        holder.join()
    # The lock dies with its holder: the next build goes through.
    result = build(quick_config, out=root, progress=False)
    assert (root / "current").resolve() == result.path


def test_two_builds_started_at_once_from_two_processes(
    built: BuildResult, quick_config: Path, tmp_path: Path
) -> None:
    root = _copy_root(built, tmp_path / "root")
    before = (root / "current").resolve()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        outcomes = pool.starmap(_build_or_refusal, [(str(quick_config), str(root))] * 2)
    versions = [o for o in outcomes if not o.startswith("refused")]
    refused = [o for o in outcomes if o.startswith("refused")]
    # Either both went through one after the other, or one was refused in one sentence.
    assert len(versions) + len(refused) == 2 and versions
    for message in refused:
        assert "another build is writing into" in message
    for version in versions:
        assert open_build(root / "builds" / version).version == version  # intact
    assert open_build(root).version in versions
    assert before.is_dir(), "the build served before is kept"
    assert not any((root / ".staging").iterdir())


def _build_or_refusal(config: str, root: str) -> str:
    try:
        return build(Path(config), out=root, progress=False).version
    except publish.BuildInProgress as exc:
        return f"refused: {exc}"


def test_pruning_is_explicit_and_spares_named_builds(quick_config: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    config = quick_config
    baseline = build(config, out=root, progress=False, name="baseline")
    runs = [build(config, out=root, progress=False) for _ in range(3)]
    # By default nothing is deleted: an analyst's scenario loop keeps every build.
    published = sorted(p.name for p in (root / "builds").iterdir())
    assert published == sorted([baseline.version, *(r.version for r in runs)])
    assert open_build(root, name="baseline").version == baseline.version
    # keep=1: of the unnamed builds besides the current one, one stays; the named one too.
    last = build(config, out=root, progress=False, keep=1)
    published = sorted(p.name for p in (root / "builds").iterdir())
    assert published == sorted([baseline.version, runs[-1].version, last.version])
    # A result whose build was pruned says so, instead of a missing-file error.
    with pytest.raises(NotFoundError, match=r"was removed from root since it was opened"):
        runs[0].raster("composite")
    with pytest.raises(NotFoundError, match="was removed"):
        _ = runs[0].layers
    assert baseline.raster("composite").is_file()
    with pytest.raises(NotFoundError, match="no build named 'nope'"):
        open_build(root, name="nope")
