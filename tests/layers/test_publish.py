"""Builds that never lose data: one build at a time per root, explicit pruning, names."""

from __future__ import annotations

import multiprocessing
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

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
    served: list[str] = []
    with ctx.Pool(2) as pool:
        pending = pool.starmap_async(_build_or_refusal, [(str(quick_config), str(root))] * 2)
        # Meanwhile a reader opens what is published, as the service does: never a miss.
        while not pending.ready():
            current = open_build(root)
            publish.verify(current.path, current.manifest)
            assert current.raster("composite").is_file()
            served.append(current.version)
            time.sleep(0.05)
        outcomes = pending.get(timeout=600)
    assert served and served[0] == built.version
    versions = [o for o in outcomes if not o.startswith("refused")]
    refused = [o for o in outcomes if o.startswith("refused")]
    # Either both went through one after the other, or one was refused in one sentence.
    assert len(versions) + len(refused) == 2 and versions
    for message in refused:
        assert "another build is writing into" in message
    for version in versions:
        assert open_build(root / "builds" / version).version == version  # intact
    assert set(served) <= {built.version, *versions}
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


def _cli_build(config: Path, root: Path, *args: str) -> Result:
    """``aralrisk build`` as a user types it, in-process."""
    from aralrisk.api.cli import app

    command = ["build", "--quiet", "--config", str(config), "--out", str(root), *args]
    return CliRunner().invoke(app, command, catch_exceptions=False)


def test_cli_name_and_keep_prune_only_when_asked(quick_config: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    named = _cli_build(quick_config, root, "--name", "baseline")
    assert named.exit_code == 0, named.stderr
    baseline = open_build(root, name="baseline").version
    assert f"published build {baseline} named 'baseline' in {root}/current" in named.stdout
    for _ in range(2):
        assert _cli_build(quick_config, root).exit_code == 0
    # The default keeps every build: the scenario loop's baseline is still there.
    assert len(list((root / "builds").iterdir())) == 3
    middle = sorted(p.name for p in (root / "builds").iterdir() if p.name != baseline)
    pruned = _cli_build(quick_config, root, "--keep", "0")
    assert pruned.exit_code == 0, pruned.stderr
    # Unnamed builds other than the new current one go; the named one stays.
    assert f"pruned 2 older unnamed build(s): {', '.join(middle)}" in pruned.stdout
    current = open_build(root).version
    assert sorted(p.name for p in (root / "builds").iterdir()) == sorted([baseline, current])
    assert open_build(root, name="baseline").version == baseline
    # Nothing to prune: nothing said.
    again = _cli_build(quick_config, root, "--keep", "5")
    assert again.exit_code == 0 and "pruned" not in again.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--keep", "-1"], "greater than or equal to 0"),
        (["--name", "  "], "--name '  ' is not a usable name"),
    ],
    ids=["negative keep", "blank name"],
)
def test_cli_refuses_bad_pruning_flags(
    quick_config: Path, tmp_path: Path, args: list[str], says: str
) -> None:
    done = _cli_build(quick_config, tmp_path / "root", *args)
    assert done.exit_code == 2
    assert says in done.output + done.stderr
    assert not (tmp_path / "root" / "current").exists()


def test_cli_help_explains_pruning() -> None:
    from aralrisk.api.cli import app

    # Words only: the help is wrapped in a framed table as wide as the terminal.
    output = CliRunner().invoke(app, ["build", "--help"]).output
    text = " ".join(output.replace("│", " ").split())
    for words in ("--keep", "--name", "--wait", "--no-wait", "Default: delete nothing"):
        assert words in text, words


def test_cli_wait_or_refuse_while_another_process_builds(
    built: BuildResult, quick_config: Path, tmp_path: Path
) -> None:
    root = _copy_root(built, tmp_path / "root")
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(root), 8.0, ready))
    holder.start()
    try:
        assert ready.wait(60)
        refused = _cli_build(quick_config, root)  # --no-wait is the default
        assert refused.exit_code == 2
        errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "another build is writing into root (process" in errors[0]
        assert open_build(root).version == built.version
        started = time.monotonic()
        waited = _cli_build(quick_config, root, "--wait")
        assert waited.exit_code == 0, waited.stderr
        assert f"another build is writing into {root}: waiting for it to finish" in waited.stderr
        assert not holder.is_alive() or time.monotonic() - started > 1
    finally:
        holder.kill()
        holder.join()
    assert open_build(root).version != built.version
