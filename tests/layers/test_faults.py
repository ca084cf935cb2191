"""Faults (issue 8 point 4): killed builds, rebuilds under load, half-written directories."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aralrisk.api.app import create_app
from aralrisk.api.settings import Settings
from aralrisk.api.state import BuildStore
from aralrisk.geo.errors import BuildRemoved
from aralrisk.layers import publish
from aralrisk.layers.pipeline import build
from aralrisk.layers.result import open_build
from tests import world

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("faults-world")
    world.make_world(folder)
    return folder


def _published(root: Path) -> list[Path]:
    return sorted(p for p in (root / publish.BUILDS).iterdir() if p.is_dir())


@pytest.mark.slow
def test_sigkill_at_random_points_leaves_the_previous_build(
    world_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "out"
    first = build(world_dir / "build.toml", out=root, progress=False)
    rng = random.Random(20261123)
    # Kill points spread over a build's life: imports, reading, warping, writing, publishing.
    delays = sorted(rng.uniform(0.5, 9.0) for _ in range(3))
    for delay in delays:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aralrisk.api.cli",
                "build",
                "-q",
                "--config",
                str(world_dir / "build.toml"),
                "--out",
                str(root),
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        current = open_build(root)
        if finished:  # the build won the race: it must be complete and published
            assert current.version != first.version
        # Whatever happened, what readers see is complete and intact.
        publish.verify(current.path, current.manifest, checksums=True)
        for directory in _published(root):
            assert (directory / publish.MANIFEST).is_file(), directory.name
    # The next build sweeps what killed builds left in .staging and publishes.
    final = build(world_dir / "build.toml", out=root, progress=False)
    assert open_build(root).version == final.version
    assert not any((root / publish.STAGING).iterdir())


@pytest.mark.slow
def test_rebuild_under_requests_never_mixes_builds(world_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "out"
    build(world_dir / "build.toml", out=root, progress=False)
    BuildStore.check_interval = 0.0  # notice the new build at once
    try:
        client = TestClient(create_app(Settings(build_dir=root)))
        seen: set[str] = set()
        mismatches: list[str] = []
        errors: list[int] = []
        stop = threading.Event()

        def hammer() -> None:
            while not stop.is_set():
                response = client.get("/districts", params={"method": "max"})
                if response.status_code != 200:
                    errors.append(response.status_code)
                    continue
                header = response.headers["x-build-version"]
                body = response.json()["build"]
                seen.add(header)
                if header != body:
                    mismatches.append(f"{header} != {body}")

        threads = [threading.Thread(target=hammer) for _ in range(3)]
        for thread in threads:
            thread.start()
        second = build(world_dir / "build.toml", out=root, progress=False)
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        BuildStore.check_interval = 1.0
    assert not errors
    assert not mismatches
    assert second.version in seen


def test_server_starts_on_a_half_written_build_directory(world_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "out"
    good = build(world_dir / "build.toml", out=root, progress=False)
    # A build killed mid-publish by hand: a directory with outputs but no manifest, and a
    # staging directory full of partial files.
    half = root / publish.BUILDS / "99990101T000000000000Z-deadbeef"
    half.mkdir()
    (half / "districts.geojson").write_text('{"type": "FeatureCollection", "feat')
    staging = root / publish.STAGING / "partial"
    staging.mkdir(parents=True)
    (staging / "risk.tif").write_bytes(b"II*\x00")
    with TestClient(create_app(Settings(build_dir=root))) as client:
        response = client.get("/version")
        assert response.status_code == 200
        assert response.json()["version"] == good.version
    # Pointing current at the broken directory (a hand-made mistake) is not served either.
    link = root / publish.CURRENT
    link.unlink()
    link.symlink_to(Path(publish.BUILDS) / half.name)
    with TestClient(create_app(Settings(build_dir=root))) as client:
        response = client.get("/version")
        assert response.status_code in (400, 404, 503)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "incomplete" in response.json()["detail"]


@pytest.fixture(scope="module")
def served_root(world_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published tiny-world root, built once; tests copy it before breaking it."""
    root = tmp_path_factory.mktemp("served") / "out"
    build(world_dir / "build.toml", out=root, progress=False)
    return root


def _vanish_folder(build_dir: Path) -> None:
    shutil.rmtree(build_dir)


def _vanish_manifest(build_dir: Path) -> None:
    # The folder stays but cannot be read as a build (a half-restored backup, a bad mount).
    (build_dir / publish.MANIFEST).unlink()


DATA_ROUTES = (
    "/version",
    "/layers",
    "/layers/dust_days",
    "/districts",
    "/districts/A",
    "/districts.csv",
    "/point?lon=60.51&lat=44.52",
    "/layers/dust_days/tiles/6/42/23.png",
    "/map",
)


@pytest.mark.parametrize(
    ("vanish", "says"),
    [
        (_vanish_folder, "the served build's folder has disappeared or become unreadable"),
        (_vanish_manifest, "is incomplete: it has no manifest.json"),
    ],
    ids=["folder", "manifest"],
)
def test_a_build_that_vanishes_while_served_is_503_everywhere(
    served_root: Path, tmp_path: Path, vanish: Callable[[Path], None], says: str
) -> None:
    root = tmp_path / "out"
    shutil.copytree(served_root, root, symlinks=True)
    good = open_build(root)
    backup = tmp_path / "backup"
    shutil.copytree(good.path, backup)
    with TestClient(create_app(Settings(build_dir=root))) as client:
        for url in DATA_ROUTES:
            assert client.get(url).status_code == 200, url
        tile = client.get("/layers/dust_days/tiles/6/42/23.png")  # now remembered in memory
        assert tile.status_code == 200
        assert client.get("/healthz").status_code == 200
        vanish(good.path)
        # At once, not after the store's next check: every data route is a 503 problem.
        for url in (*DATA_ROUTES, "/healthz"):
            response = client.get(url)
            assert response.status_code == 503, (url, response.status_code)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["retry-after"] == "30"
            assert says in response.json()["detail"]
            assert str(tmp_path) not in response.text
        zonal = client.post(
            "/zonal",
            json={
                "type": "Polygon",
                "coordinates": [[[60.1, 44.1], [60.9, 44.1], [60.9, 44.9], [60.1, 44.1]]],
            },
        )
        assert zonal.status_code == 503
        # The build restored: served again, /healthz recovers.
        shutil.rmtree(good.path, ignore_errors=True)
        shutil.copytree(backup, good.path)
        deadline = time.monotonic() + 10
        while client.get("/healthz").status_code != 200:
            assert time.monotonic() < deadline, "the service did not recover"
            time.sleep(0.2)
        point = client.get("/point", params={"lon": 60.51, "lat": 44.52})
        assert point.status_code == 200
        assert point.headers["x-build-version"] == good.version


def test_point_never_answers_no_data_for_a_build_removed_mid_request(
    served_root: Path, tmp_path: Path
) -> None:
    from aralrisk.api.sampling import sample_point

    root = tmp_path / "out"
    shutil.copytree(served_root, root, symlinks=True)
    result = open_build(root)
    assert sample_point(result, 60.51, 44.52)["layers"]
    shutil.rmtree(result.path)  # after the request took its snapshot
    with pytest.raises(BuildRemoved, match="was removed"):
        sample_point(result, 60.51, 44.52)
