"""A tiny world without a risk value for district B: its vulnerability table lacks B's row.

B keeps its hazards, levels and people exposed, but has no vulnerability and no lack
of coping capacity, so no risk: it must not be ranked (``null`` in ``/districts``,
last with "—" on the map) and its confidence note must name the missing dimensions.
Built once per session into a temporary folder, from :func:`tests.world.make_world`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aralrisk.geo.errors import InputWarning
from aralrisk.layers.pipeline import build
from aralrisk.layers.result import BuildResult, open_build
from tests import world

#: The district without a row in the vulnerability table.
UNRANKED = "B"


def build_unranked(folder: Path) -> Path:
    """Make the inputs, drop B's table row, build; return the output root."""
    inputs = folder / "inputs"
    config = world.make_world(inputs)
    table = pd.read_csv(inputs / "table.csv")
    table[table["code"] != UNRANKED].to_csv(inputs / "table.csv", index=False)
    with pytest.warns(InputWarning, match=f"no row for {UNRANKED}"):
        build(config, out=folder / "build", progress=False)
    return folder / "build"


@pytest.fixture(scope="session")
def unranked_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Output root of the tiny world whose district B has no risk value."""
    return build_unranked(tmp_path_factory.mktemp("unranked-world"))


@pytest.fixture(scope="session")
def unranked(unranked_root: Path) -> BuildResult:
    """That build, read back as the service reads it."""
    return open_build(unranked_root)
