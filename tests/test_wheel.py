"""The wheel: one ``aralrisk`` package that makes its sample, builds it and serves it.

The wheel is built from this checkout (no build isolation: the dev environment has the
build backend) and installed without dependencies into a fresh venv. That venv sees the
dev environment's third-party packages through a plain path entry, which Python does not
scan for ``.pth`` files, so the checkout's editable install stays invisible to it and every
``aralrisk`` module comes from the installed wheel.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy: setuptools writes build/ and *.egg-info beside the sources, and
    # the checkout's build/ is where `make run` publishes.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("aralrisk", "api", "geo", "layers"):
        shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=skip)
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", str(source), "-q", "-w", str(out)),
            *("--no-deps", "--no-build-isolation", "--no-index"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (found,) = out.glob("aralrisk-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the wheel installed; returns its ``bin`` folder."""
    env = tmp_path_factory.mktemp("venv")
    venv.create(env, with_pip=False)
    site = next((env / "lib").glob("python3*/site-packages"))
    (site / "dev_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "--python", str(env / "bin" / "python")),
            *("install", "--no-deps", "--no-index", "-q", str(wheel)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return env / "bin"


def test_wheel_installs_one_package_with_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {
        "aralrisk",
        wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info",
    }
    for needed in (
        "aralrisk/__init__.py",
        "aralrisk/api/cli.py",
        "aralrisk/api/map/static/main.js",
        "aralrisk/api/map/templates/report.html.j2",
        "aralrisk/layers/catalog.toml",
        "aralrisk/layers/sample/build.toml",
        "aralrisk/geo/index.py",
    ):
        assert needed in names
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA")))
    text = metadata.decode()
    assert "License-Expression: MIT" in text
    requires = [line for line in text.splitlines() if line.startswith("Requires-Dist:")]
    runtime = [line for line in requires if "extra ==" not in line]
    assert not [line for line in runtime if "rio-cogeo" in line or "pytest" in line]
    assert any(n.endswith("licenses/LICENSE") for n in names)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def workdir(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder outside the checkout where the installed command made and built the sample."""
    here = tmp_path_factory.mktemp("agency")
    for args in (["sample"], ["build", "-q"]):
        done = subprocess.run(
            [str(installed / "aralrisk"), *args],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"aralrisk {args[0]}: {done.stderr}"
    yield here


def test_installed_package_comes_from_the_wheel(installed: Path, workdir: Path) -> None:
    done = subprocess.run(
        [str(installed / "python"), "-c", "import aralrisk.api.app as m; print(m.__file__)"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    location = Path(done.stdout.strip())
    assert location.is_relative_to(installed.parent), location
    generic = subprocess.run(
        [str(installed / "python"), "-c", "import layers"], cwd=workdir, capture_output=True
    )
    assert generic.returncode != 0, "a generic top-level package `layers` was installed"


def test_installed_command_makes_builds_and_serves_the_sample(
    installed: Path, workdir: Path
) -> None:
    # Made in another process from the wheel: byte for byte the committed sample.
    made = workdir / "data" / "sample"
    committed = ROOT / "data" / "sample"
    assert sorted(p.name for p in made.iterdir()) == sorted(p.name for p in committed.iterdir())
    for path in committed.iterdir():
        assert (made / path.name).read_bytes() == path.read_bytes(), path.name
    assert (workdir / "build" / "current" / "manifest.json").is_file()
    port = _free_port()
    log = workdir / "serve.log"
    with log.open("w") as sink:
        server = subprocess.Popen(
            [str(installed / "aralrisk"), "serve", "--port", str(port), "--build", "build"],
            cwd=workdir,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/districts.csv", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the installed server did not start"
                time.sleep(0.3)
        assert answer.status_code == 200
        assert "KZ431000" in answer.text  # Kyzylorda city, from the sample built here
        page = httpx.get(f"http://127.0.0.1:{port}/map", timeout=10)
        assert page.status_code == 200 and "leaflet" in page.text.lower()
    finally:
        server.terminate()
        server.wait(timeout=20)
