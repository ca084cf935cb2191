"""``aralrisk serve``: its help, its start-up checks, its settings and a real uvicorn server."""

from __future__ import annotations

import json
import os
import shutil
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
from aralrisk.layers.result import BuildResult

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
    assert "Serving never builds" in result.output


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


def _no_build(*args: Any, **kwargs: Any) -> None:
    pytest.fail("serve must never build")


def _one_error(result: Any) -> str:
    """The single ``error:`` line of a failed command (and no traceback)."""
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.output + result.stderr
    return errors[0]


def test_serve_refuses_a_path_where_nothing_is_published(
    fake_uvicorn: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from aralrisk.layers import pipeline

    monkeypatch.setattr(pipeline, "build", _no_build)
    mistyped = tmp_path / "biuld"
    result = CliRunner().invoke(cli.app, ["serve", "--build", str(mistyped)])
    error = _one_error(result)
    assert f"no build is published in {mistyped}" in error
    assert f"`aralrisk build --out {mistyped}`" in error
    assert "make run" in error
    assert not mistyped.exists(), "serve must not build into a path it was not asked to"
    assert "app" not in fake_uvicorn


def _drop_from_manifest(key: str) -> Any:
    def damage(build_dir: Path) -> None:
        manifest = json.loads((build_dir / "manifest.json").read_text())
        del manifest[key]
        (build_dir / "manifest.json").write_text(json.dumps(manifest))

    return damage


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda b: (b / "manifest.json").write_text("{ not json"), "unreadable manifest.json"),
        (lambda b: (b / "manifest.json").unlink(), "no manifest.json"),
        (lambda b: (b / "districts.parquet").write_bytes(b"PAR1"), "districts.parquet"),
        (_drop_from_manifest("scoring"), "has a damaged manifest.json: it lacks scoring"),
        (lambda b: (b / "manifest.json").write_text("[]"), "it lacks version, created"),
    ],
    ids=[
        "manifest not JSON",
        "manifest missing",
        "output truncated",
        "manifest without scoring",
        "manifest a list",
    ],
)
def test_serve_refuses_a_damaged_build(
    fake_uvicorn: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    build_root: Path,
    tmp_path: Path,
    damage: Any,
    says: str,
) -> None:
    from aralrisk.layers import pipeline

    monkeypatch.setattr(pipeline, "build", _no_build)
    root = tmp_path / "build"
    shutil.copytree(build_root, root, symlinks=True)
    current = (root / "current").resolve()
    before = sorted(p.name for p in (root / "builds").iterdir())
    damage(current)
    result = CliRunner().invoke(cli.app, ["serve", "--build", str(root)])
    error = _one_error(result)
    assert f"the build published in {root} cannot be served" in error
    assert says in error
    assert f"build it again with `aralrisk build --out {root}`" in error
    assert "app" not in fake_uvicorn
    # Nothing was built or removed next to the damaged build.
    assert sorted(p.name for p in (root / "builds").iterdir()) == before


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("ARALRISK_MAX_BODY_BYTES", "abc", "a whole number greater than 0"),
        ("ARALRISK_MAX_BODY_BYTES", "0", "a whole number greater than 0"),
        ("ARALRISK_MAX_ZONAL_VERTICES", "many", "a whole number greater than 3"),
        ("ARALRISK_MAX_ZONAL_AREA_KM2", "-5", "a number greater than 0"),
        ("ARALRISK_TILE_CACHE_SIZE", "1.5", "a whole number of 0 or more"),
        ("ARALRISK_BASEMAP_ONLINE", "maybe", "true or false"),
        ("ARALRISK_CORS_ORIGINS", '["https://a.kz"', "a comma-separated list of origins"),
        ("ARALRISK_API_KEY", "   ", "a secret text (not blank)"),
    ],
)
def test_a_bad_setting_is_one_sentence_naming_the_variable(
    fake_uvicorn: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    build_root: Path,
    variable: str,
    value: str,
    says: str,
) -> None:
    monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(cli.app, ["serve", "--build", str(build_root)])
    error = _one_error(result)
    assert error.startswith(f"error: {variable}"), error
    assert says in error
    assert "unset it for the default" in error
    if variable == "ARALRISK_API_KEY":
        assert repr(value) not in error  # a key is never echoed, even a bad one
    else:
        assert repr(value) in error
    assert "app" not in fake_uvicorn


@pytest.mark.parametrize(
    ("value", "origins"),
    [
        ("https://akimat.kz", ["https://akimat.kz"]),
        ("https://a.kz,https://b.kz", ["https://a.kz", "https://b.kz"]),
        (" https://a.kz , https://b.kz ,", ["https://a.kz", "https://b.kz"]),
        (json.dumps(["https://a.kz", "https://b.kz"]), ["https://a.kz", "https://b.kz"]),
        ("", []),
    ],
    ids=["one origin", "comma list", "spaces and trailing comma", "JSON list", "empty"],
)
def test_cors_origins_are_a_comma_separated_or_json_list(
    monkeypatch: pytest.MonkeyPatch, value: str, origins: list[str]
) -> None:
    from aralrisk.api.settings import Settings

    monkeypatch.setenv("ARALRISK_CORS_ORIGINS", value)
    assert Settings().cors_origins == origins


def test_serve_starts_with_a_comma_separated_cors_list(
    fake_uvicorn: dict[str, Any], monkeypatch: pytest.MonkeyPatch, build_root: Path
) -> None:
    monkeypatch.setenv("ARALRISK_CORS_ORIGINS", "https://akimat.kz,https://oblast.kz")
    result = CliRunner().invoke(cli.app, ["serve", "--build", str(build_root)])
    assert result.exit_code == 0, result.output
    assert fake_uvicorn["app"] == "aralrisk.api.app:create_app"


def test_serve_passes_its_options_to_uvicorn(
    fake_uvicorn: dict[str, Any], build_root: Path, built: BuildResult
) -> None:
    args = ["--build", str(build_root), "--port", "8123", "--workers", "2", "--root-path", "/x/"]
    result = CliRunner().invoke(cli.app, ["serve", *args])
    assert result.exit_code == 0, result.output
    assert f"serving build {built.version}: open http://127.0.0.1:8123/map" in result.output
    assert fake_uvicorn["app"] == "aralrisk.api.app:create_app"
    assert fake_uvicorn["factory"] is True
    assert fake_uvicorn["proxy_headers"] is True
    assert fake_uvicorn["workers"] == 2
    assert fake_uvicorn["root_path"] == "/x"
    assert (fake_uvicorn["host"], fake_uvicorn["port"]) == ("127.0.0.1", 8123)
    assert fake_uvicorn["env_build_dir"] == str(build_root.resolve())


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


@pytest.fixture(scope="module")
def live_server(build_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``aralrisk serve`` in a subprocess on a free loopback port, behind ``/aral``.

    One server for the module's tests: they only read from it.
    """
    tmp_path = tmp_path_factory.mktemp("live-server")
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


def test_serve_warns_of_a_misspelt_setting(
    fake_uvicorn: dict[str, Any], monkeypatch: pytest.MonkeyPatch, build_root: Path
) -> None:
    monkeypatch.setenv("ARALRISK_CORS_ORIGIN", "https://akimat.kz")  # no S: ignored
    monkeypatch.setenv("ARALRISK_SOMETHING_ELSE", "1")  # another tool's: not a near miss
    result = CliRunner().invoke(cli.app, ["serve", "--build", str(build_root)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: ARALRISK_CORS_ORIGIN is not a setting and is ignored: did you mean "
        "ARALRISK_CORS_ORIGINS?"
    ]
