"""``aralrisk serve``: its help, its start-up build, and a real uvicorn server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from aralrisk.api import cli
from aralrisk.layers.result import BuildResult, open_build

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_help() -> None:
    result = CliRunner().invoke(cli.app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workers", "--build", "--root-path"):
        assert option in result.output
    assert "builds the sample first" in result.output


@pytest.fixture
def fake_uvicorn(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Replace ``uvicorn.run`` with a recorder, and keep the environment unchanged."""
    import uvicorn

    calls: dict[str, Any] = {}

    def run(app: str, **kwargs: Any) -> None:
        calls["app"] = app
        calls.update(kwargs)
        calls["env_build_dir"] = os.environ.get("ARALRISK_BUILD_DIR")

    monkeypatch.setattr(uvicorn, "run", run)
    # Set (and so restored after the test) because serve exports it to its workers.
    monkeypatch.setenv("ARALRISK_BUILD_DIR", "unused")
    return calls


def test_serve_builds_the_sample_when_nothing_is_published(
    fake_uvicorn: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    world_dir: Path,
    build_root: Path,
    tmp_path: Path,
) -> None:
    from aralrisk.layers import pipeline

    built: list[dict[str, Any]] = []

    def fake_build(config: Path, **kwargs: Any) -> BuildResult:
        built.append({"config": config, **kwargs})
        return open_build(build_root)

    # The tiny world stands in for the sample, whose build takes minutes.
    monkeypatch.setattr(pipeline, "DEFAULT_CONFIG", world_dir / "build.toml")
    monkeypatch.setattr(pipeline, "build", fake_build)
    empty = tmp_path / "build"
    result = CliRunner().invoke(
        cli.app,
        ["serve", "--build", str(empty), "--port", "8123", "--workers", "2", "--root-path", "/x/"],
    )
    assert result.exit_code == 0, result.output
    assert built == [{"config": world_dir / "build.toml", "out": empty, "progress": True}]
    assert "building the sample first" in result.output
    assert "open http://127.0.0.1:8123/map" in result.output
    assert fake_uvicorn["app"] == "aralrisk.api.app:create_app"
    assert fake_uvicorn["factory"] is True
    assert fake_uvicorn["proxy_headers"] is True
    assert fake_uvicorn["workers"] == 2
    assert fake_uvicorn["root_path"] == "/x"
    assert (fake_uvicorn["host"], fake_uvicorn["port"]) == ("127.0.0.1", 8123)
    assert fake_uvicorn["env_build_dir"] == str(empty.resolve())


def test_serve_uses_a_published_build_as_is(
    fake_uvicorn: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    build_root: Path,
    built: BuildResult,
) -> None:
    from aralrisk.layers import pipeline

    monkeypatch.setattr(pipeline, "build", lambda *a, **k: pytest.fail("must not rebuild"))
    result = CliRunner().invoke(cli.app, ["serve", "--build", str(build_root), "--host", "::1"])
    assert result.exit_code == 0, result.output
    assert f"serving build {built.version}: open http://[::1]:8000/map" in result.output
    assert fake_uvicorn["env_build_dir"] == str(build_root.resolve())


def test_serve_rejects_a_bad_port() -> None:
    result = CliRunner().invoke(cli.app, ["serve", "--port", "70000"])
    assert result.exit_code == 2
    assert "65535" in result.output


@pytest.fixture
def live_server(build_root: Path, tmp_path: Path) -> Iterator[str]:
    """``aralrisk serve`` in a subprocess on a free loopback port, behind ``/aral``."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARALRISK_")}
    # Output goes to a file: a pipe nobody reads would block the server when full.
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aralrisk.api.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--build",
            str(build_root),
            "--root-path",
            "/aral",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = (tmp_path / "serve.log").read_text(errors="replace")
                pytest.fail(f"the server did not start:\n{output}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_live_server_answers(live_server: str, built: BuildResult) -> None:
    health = httpx.get(f"{live_server}/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert health.headers["x-content-type-options"] == "nosniff"
    version = httpx.get(f"{live_server}/version")
    assert version.status_code == 200
    assert version.json()["version"] == built.version
    assert version.json()["districts"] == 4


def test_live_server_urls_follow_the_proxy(live_server: str) -> None:
    # A proxy on the same host strips /aral and says the client used https.
    layers = httpx.get(f"{live_server}/layers", headers={"X-Forwarded-Proto": "https"}).json()
    flood = next(layer for layer in layers["layers"] if layer["id"] == "flood_rp10")
    host = live_server.removeprefix("http://")
    assert flood["tiles"] == f"https://{host}/aral/layers/flood_rp10/tiles/{{z}}/{{x}}/{{y}}.png"
    assert flood["tilejson"] == f"https://{host}/aral/layers/flood_rp10/tilejson.json"
    point = httpx.get(f"{live_server}/point", params={"lon": 60.51, "lat": 44.52})
    assert point.status_code == 200
    assert point.json()["district"]["code"] == "A"
