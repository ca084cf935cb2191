"""Weights in ``build.toml`` go through the same check as the CLI's and the API's.

Issue 13, finding 7: ``dust_days:1e308`` overflowed the sum of the weights. A weight is
checked in one function (:func:`layers.registry.check_weight`), so ``build.toml``,
``--weights`` and ``?weights=`` refuse it with the same sentence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aralrisk.geo.errors import ConfigError
from aralrisk.layers.config import parse_config
from aralrisk.layers.registry import check_weight, parse_weights

SENTENCE = "the weight of 'dust' must be a finite number >= 0 and at most 1000000"
DISTRICTS = {"path": "d.geojson", "id_field": "code"}


@pytest.mark.parametrize("weight", [1e308, float("inf"), float("nan"), -1.0, 1e6 + 1])
def test_out_of_range_weights_are_one_sentence_everywhere(weight: float) -> None:
    with pytest.raises(ConfigError, match=SENTENCE):
        check_weight("dust", weight)
    documents: list[dict[str, Any]] = [
        {"districts": DISTRICTS, "scoring": {"weights": {"dust": weight}}},
        {"districts": DISTRICTS, "profiles": {"mine": {"weights": {"dust": weight}}}},
    ]
    for document in documents:
        with pytest.raises(ConfigError, match=SENTENCE):
            parse_config(document, Path("."), "build.toml")


def test_a_huge_profile_default_is_refused() -> None:
    document = {"districts": DISTRICTS, "profiles": {"mine": {"default": 1e308}}}
    with pytest.raises(ConfigError, match=r"profiles\.mine\.default"):
        parse_config(document, Path("."), "build.toml")


def test_weights_at_the_bounds_are_kept() -> None:
    assert check_weight("dust", 0) == 0.0
    assert check_weight("dust", 1e6) == 1e6
    assert parse_weights("dust:2, river_flood:1") == {"dust": 2.0, "river_flood": 1.0}


def test_an_id_given_twice_is_refused() -> None:
    with pytest.raises(ConfigError, match="'dust' is given twice in weights"):
        parse_weights("dust:1,heat:2,dust:3")
