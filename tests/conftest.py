"""Shared fixtures: one tiny world, built once per session, and API clients.

The world is :func:`tests.world.make_world` (four districts on lon 60-62, lat 44-45)
built with the real pipeline, so every endpoint is tested against real build outputs.
Use ``client`` for the default service and ``make_client(**settings)`` for a service
with other settings (an API key, CORS origins, a root path, smaller limits).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aralrisk.layers.pipeline import build
from aralrisk.layers.result import BuildResult, open_build
from tests import world

MakeClient = Callable[..., TestClient]

#: The test files that take longest, longest first (about a minute each down to about ten
#: seconds on an idle 2-core machine; `make test` prints the slowest tests). They are
#: collected first: `make test` runs pytest-xdist with `--dist loadfile
#: --no-loadscope-reorder`, which hands whole files to the workers in collection order, so
#: the long files start at once and the many short ones fill both workers at the end
#: (xdist's own order, most tests first, left the notebooks for last, on one worker).
LONGEST_FIRST = (
    "tests/notebooks/test_notebooks_second_half.py",
    "tests/notebooks/test_notebooks.py",
    "tests/layers/test_publish.py",
    "tests/layers/test_faults.py",
    "tests/test_wheel.py",
    "tests/map/test_i18n.py",
    "tests/layers/test_cli_inputs.py",
    "tests/test_sample.py",
    "tests/api/test_query.py",
    "tests/layers/test_methodology.py",
    "tests/api/test_gdal_wms.py",
    "tests/map/test_report.py",
    "tests/map/test_browser_share.py",
    "tests/map/test_offline.py",
    "tests/layers/test_distributed.py",
    "tests/api/test_serve.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the files of :data:`LONGEST_FIRST` first, in its order (a stable sort)."""
    rank = {name: k for k, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


@pytest.fixture(scope="session")
def sample_build_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Output root of the embedded sample (``data/sample/build.toml``), built once."""
    root = tmp_path_factory.mktemp("sample-build")
    build(out=root, progress=False)
    return root


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny world's inputs and ``build.toml``."""
    folder = tmp_path_factory.mktemp("api-world")
    world.make_world(folder)
    return folder


@pytest.fixture(scope="session")
def build_root(world_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Output root holding the published tiny-world build (``<root>/current``)."""
    root = tmp_path_factory.mktemp("api-build")
    build(world_dir / "build.toml", out=root, progress=False)
    return root


@pytest.fixture(scope="session")
def built(build_root: Path) -> BuildResult:
    """The served build, read back the way the service reads it."""
    return open_build(build_root)


# The service is imported inside its fixtures: tests of the pipeline need no API.


@pytest.fixture(scope="session")
def settings(build_root: Path) -> Any:
    """Default service settings (``api.settings.Settings``) pointing at the tiny world."""
    from aralrisk.api.settings import Settings

    return Settings(build_dir=build_root)


@pytest.fixture(scope="session")
def client(settings: Any) -> Iterator[TestClient]:
    """A client of the default service (read-only, no CORS, no API key)."""
    from aralrisk.api.app import create_app

    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def make_client(settings: Any) -> Iterator[MakeClient]:
    """Factory of clients with changed settings, e.g. ``make_client(api_key="s3cret")``."""
    from aralrisk.api.app import create_app
    from aralrisk.api.settings import Settings

    with ExitStack() as stack:

        def make(**changes: Any) -> TestClient:
            # Validated again, so plain values (a str API key) take their setting types.
            changed = Settings(**{**settings.model_dump(), **changes})
            return stack.enter_context(TestClient(create_app(changed)))

        yield make
