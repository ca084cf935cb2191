"""The preparedness guidance: complete for every level, and levels chosen as ThinkHazard! does."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.map.guidance import LEVEL_KEYS, default_guidance, guidance_for, load_guidance
from geo import index
from geo.errors import ConfigError
from layers.registry import load_catalog


def test_every_topic_covers_catalog_hazards_and_every_level() -> None:
    guidance = default_guidance()
    hazards = {spec.id for spec in load_catalog().hazards}
    covered = {layer for topic in guidance.topics.values() for layer in topic.layers}
    assert covered == hazards  # every hazard of the catalog has advice, none is invented
    for topic in guidance.topics.values():
        assert set(topic.levels) == set(LEVEL_KEYS.values())
    assert {"flood", "dust", "heat", "drought", "salinity"} == set(guidance.topics)


def test_topic_level_is_the_highest_of_its_layers() -> None:
    advice = guidance_for({"flood_rp10": index.LOW, "flood_rp100": index.HIGH})
    assert [(t.id, t.level) for t in advice] == [("flood", index.HIGH)]
    assert advice[0].advice == default_guidance().topics["flood"].levels["high"]


def test_no_data_is_not_very_low() -> None:
    (heat,) = guidance_for({"heat_days": index.NO_DATA, "warming_trend": index.NOT_APPLICABLE})
    assert heat.level == index.NO_DATA
    assert heat.level_label == "no data"
    (dust,) = guidance_for({"dust_days": index.VERY_LOW})
    assert dust.level_label == "very low"


def test_topics_are_ordered_by_level() -> None:
    advice = guidance_for({"drought": index.LOW, "dust_days": index.HIGH, "heat_days": 2})
    assert [t.id for t in advice] == ["dust", "heat", "drought"]


def test_incomplete_guidance_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "guidance.toml"
    path.write_text(
        '[topics.x]\ntitle = "X"\nlayers = ["x"]\nabout = "x"\n'
        '[topics.x.levels.high]\nmeaning = "m"\nactions = ["a"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="lacks advice"):
        load_guidance(path)
