"""Fixtures of the API tests besides the shared ones (``tests/conftest.py``)."""

from __future__ import annotations

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
    from tests.forecasts import with_dust_alerts

    root = with_dust_alerts(build_root, tmp_path_factory.mktemp("alerts-api"))
    with TestClient(create_app(Settings(build_dir=root))) as client:
        yield client
