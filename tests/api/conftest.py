"""Fixtures of the API tests besides the shared ones (``tests/conftest.py``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.unranked import unranked, unranked_root

__all__ = ["alert_client", "unranked", "unranked_root"]


@pytest.fixture(scope="module")
def alert_client(
    build_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """A service over a copy of the tiny world with dust alerts published (A red, B yellow)."""
    from aralrisk.api.app import create_app
    from aralrisk.api.settings import Settings
    from aralrisk.layers import alerts
    from tests.forecasts import ISSUED, pm10

    folder = tmp_path_factory.mktemp("alerts-api")
    root = folder / "root"
    shutil.copytree(build_root, root, symlinks=True)
    path = pm10(
        folder / "pm10.nc",
        [{"A": 200.0, "B": 60.0, "C": 20.0}, {"A": 120.0, "B": 20.0, "C": 20.0}],
    )
    alerts.run([str(path)], root, now=ISSUED)
    with TestClient(create_app(Settings(build_dir=root))) as client:
        yield client
