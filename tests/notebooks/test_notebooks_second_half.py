"""The other two analyst notebooks run top to bottom (see test_notebooks.py)."""

from __future__ import annotations

import pytest

from tests.notebooks.test_notebooks import FIGURES, FIRST_HALF, executed_params, run_and_check

SECOND_HALF = tuple(name for name in sorted(FIGURES) if name not in FIRST_HALF)


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("name", executed_params(SECOND_HALF))
def test_notebook_runs_and_checks_itself(
    name: str, kernel_env: None, record_property: pytest.RecordProperty
) -> None:
    run_and_check(name, record_property)


def test_the_two_halves_run_every_notebook() -> None:
    assert len(SECOND_HALF) == 2
    assert sorted(FIRST_HALF + SECOND_HALF) == sorted(FIGURES)
