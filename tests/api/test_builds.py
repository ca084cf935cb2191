"""``POST /builds``: only with an API key, checked; the rebuild is published atomically."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aralrisk.api.routers import builds
from aralrisk.layers.result import BuildResult, open_build
from tests.conftest import MakeClient

KEY = "correct horse battery staple"


@pytest.fixture
def own_root(build_root: Path, tmp_path: Path) -> Path:
    """A copy of the published build root, so a rebuild does not move the shared one."""
    root = tmp_path / "build"
    shutil.copytree(build_root, root, symlinks=True)
    return root


def _wait(client: TestClient, timeout: float = 300.0) -> builds.Rebuilder:
    rebuilder: builds.Rebuilder = client.app.state.rebuilder  # type: ignore[attr-defined]
    assert rebuilder.thread is not None
    rebuilder.thread.join(timeout)
    assert not rebuilder.running
    return rebuilder


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-Key": "wrong"}, {"X-API-Key": KEY[:-1]}, {"X-API-Key": KEY + " "}],
    ids=["missing", "wrong", "prefix", "longer"],
)
def test_a_wrong_or_missing_key_is_401(
    make_client: MakeClient, own_root: Path, headers: dict[str, str]
) -> None:
    client = make_client(api_key=KEY, build_dir=own_root)
    response = client.post("/builds", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "X-API-Key"
    assert response.json()["detail"] == "a valid X-API-Key header is required"
    assert KEY not in response.text
    assert getattr(client.app.state, "rebuilder", None) is None  # type: ignore[attr-defined]


def test_the_route_is_documented_only_with_a_key(make_client: MakeClient) -> None:
    with_key = make_client(api_key=KEY).get("/openapi.json").json()
    assert "/builds" in with_key["paths"]
    assert "401" in with_key["paths"]["/builds"]["post"]["responses"]
    without = make_client().get("/openapi.json").json()
    assert "/builds" not in without["paths"]


def test_rebuild_publishes_a_new_build(
    make_client: MakeClient, own_root: Path, built: BuildResult
) -> None:
    client = make_client(api_key=KEY, build_dir=own_root)
    response = client.post("/builds", headers={"X-API-Key": KEY})
    assert response.status_code == 202
    assert response.json() == {"status": "started", "previous": built.version}
    # One rebuild at a time.
    again = client.post("/builds", headers={"X-API-Key": KEY})
    assert again.status_code == 409
    assert "already running" in again.json()["detail"]
    # While it runs, the previous build is served.
    assert client.get("/version").json()["version"] == built.version
    assert _wait(client).last_error is None
    new = open_build(own_root)
    assert new.version != built.version
    assert new.manifest["config"] == built.manifest["config"]
    # The service notices the new build (it checks `current` about once a second).
    deadline = time.monotonic() + 10
    while client.get("/version").json()["version"] != new.version:
        assert time.monotonic() < deadline, "the new build was not served"
        time.sleep(0.2)
    assert client.get("/districts").headers["x-build-version"] == new.version
    # The shared build root of the other tests is untouched.
    assert open_build(built.path.parent.parent).version == built.version


def test_a_failed_rebuild_keeps_the_served_build(
    make_client: MakeClient, own_root: Path, built: BuildResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aralrisk.geo.errors import InputError
    from aralrisk.layers import pipeline

    def broken(*args: object, **kwargs: object) -> None:
        raise InputError("dust.tif is truncated: write it again")

    monkeypatch.setattr(pipeline, "build", broken)
    client = make_client(api_key=KEY, build_dir=own_root)
    assert client.post("/builds", headers={"X-API-Key": KEY}).status_code == 202
    assert _wait(client).last_error == "dust.tif is truncated: write it again"
    assert client.get("/version").json()["version"] == built.version
    # A new attempt may start once the failed one has finished.
    assert client.post("/builds", headers={"X-API-Key": KEY}).status_code == 202
    _wait(client)


def test_get_builds_needs_the_key_and_lists_the_builds(
    make_client: MakeClient, own_root: Path, built: BuildResult
) -> None:
    client = make_client(api_key=KEY, build_dir=own_root)
    refused = client.get("/builds")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    response = client.get("/builds", headers={"X-API-Key": KEY})
    assert response.status_code == 200
    body = response.json()
    assert body["current"] == built.version
    assert body["problem"] is None
    assert [b["version"] for b in body["builds"]] == [built.version]
    assert body["builds"][0]["current"] is True
    assert body["builds"][0]["created"] == built.manifest["created"]
    assert body["rebuild"] == {
        "running": False,
        "started": None,
        "finished": None,
        "version": None,
        "error": None,
    }
    assert "/builds" in client.get("/openapi.json").json()["paths"]


def test_the_last_rebuild_error_is_shown_without_paths(
    make_client: MakeClient, own_root: Path, built: BuildResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aralrisk.geo.errors import InputError
    from aralrisk.layers import pipeline

    def broken(*args: object, **kwargs: object) -> None:
        raise InputError(f"{own_root}/inputs/dust.tif is truncated:\nwrite it again")

    monkeypatch.setattr(pipeline, "build", broken)
    client = make_client(api_key=KEY, build_dir=own_root)
    assert client.post("/builds", headers={"X-API-Key": KEY}).status_code == 202
    _wait(client)
    body = client.get("/builds", headers={"X-API-Key": KEY}).json()
    rebuild = body["rebuild"]
    assert rebuild["running"] is False
    assert rebuild["error"] == "dust.tif is truncated: write it again"
    assert rebuild["version"] is None
    assert rebuild["started"] <= rebuild["finished"]
    assert rebuild["finished"].endswith("+00:00")
    # The failed rebuild published nothing: the build before it is still served.
    assert body["current"] == built.version
    assert client.get("/version").json()["version"] == built.version
    text = client.get("/builds", headers={"X-API-Key": KEY}).text
    assert str(own_root) not in text and "Traceback" not in text
    # Another worker process (a new application on the same root) shows it too.
    other = make_client(api_key=KEY, build_dir=own_root)
    assert other.get("/builds", headers={"X-API-Key": KEY}).json()["rebuild"] == rebuild


def test_an_unexpected_rebuild_failure_is_one_sentence(
    make_client: MakeClient, own_root: Path, built: BuildResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aralrisk.layers import pipeline

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"internal state in {own_root}/x.py line 3")

    monkeypatch.setattr(pipeline, "build", crash)
    client = make_client(api_key=KEY, build_dir=own_root)
    assert client.post("/builds", headers={"X-API-Key": KEY}).status_code == 202
    _wait(client)
    rebuild = client.get("/builds", headers={"X-API-Key": KEY}).json()["rebuild"]
    assert rebuild["error"] == "an unexpected error occurred; it has been logged"
    assert client.get("/healthz").status_code == 200


def test_get_builds_when_the_served_build_vanished(
    make_client: MakeClient, own_root: Path, built: BuildResult
) -> None:
    client = make_client(api_key=KEY, build_dir=own_root)
    assert client.get("/version").status_code == 200
    shutil.rmtree(own_root / "builds" / built.version)
    body = client.get("/builds", headers={"X-API-Key": KEY}).json()
    assert body["current"] is None
    assert "disappeared or become unreadable" in body["problem"]
    assert body["builds"] == []


def test_a_rebuild_with_nothing_served_builds_nothing(
    make_client: MakeClient, tmp_path: Path
) -> None:
    root = tmp_path / "mistyped"
    client = make_client(api_key=KEY, build_dir=root)
    response = client.post("/builds", headers={"X-API-Key": KEY})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    detail = response.json()["detail"]
    assert detail.startswith("nothing to rebuild: no build is served")
    assert "publish one with `aralrisk build` first" in detail
    assert str(tmp_path) not in response.text
    # Never the sample, built into a folder the operator did not ask for.
    assert getattr(client.app.state, "rebuilder", None) is None  # type: ignore[attr-defined]
    assert not root.exists()


def test_a_rebuild_while_another_build_holds_the_root_is_refused_in_one_sentence(
    make_client: MakeClient, own_root: Path, built: BuildResult
) -> None:
    from aralrisk.layers import publish

    client = make_client(api_key=KEY, build_dir=own_root)
    with publish.root_lock(own_root):  # e.g. `aralrisk build --out` run by hand meanwhile
        assert client.post("/builds", headers={"X-API-Key": KEY}).status_code == 202
        _wait(client)
    rebuild = client.get("/builds", headers={"X-API-Key": KEY}).json()["rebuild"]
    assert rebuild["error"].startswith("another build is writing into build (process ")
    assert rebuild["error"].endswith("wait for it to finish, or build into another folder")
    assert client.get("/version").json()["version"] == built.version
    assert open_build(own_root).version == built.version
