"""The suite's own schedule: the longest files first (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import LONGEST_FIRST

ROOT = Path(__file__).resolve().parents[1]


def test_every_longest_file_exists_once() -> None:
    missing = [name for name in LONGEST_FIRST if not (ROOT / name).is_file()]
    assert not missing, f"renamed or removed: update LONGEST_FIRST in tests/conftest.py {missing}"
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)


def test_make_test_keeps_the_collection_order() -> None:
    # Without it pytest-xdist reorders files by their number of tests.
    args = next(
        line for line in (ROOT / "Makefile").read_text().splitlines() if "PYTEST_ARGS ?=" in line
    )
    assert "--dist loadfile" in args and "--no-loadscope-reorder" in args
