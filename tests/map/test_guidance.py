"""The preparedness guidance: one topic per hazard, complete for every level."""

from __future__ import annotations

from pathlib import Path

import pytest

from aralrisk.api.map.guidance import LEVEL_KEYS, default_guidance, guidance_for, load_guidance
from aralrisk.geo import index
from aralrisk.geo.errors import ConfigError
from aralrisk.layers.registry import load_catalog


def test_every_hazard_has_a_topic_and_every_level_advice() -> None:
    guidance = default_guidance()
    catalog = load_catalog()
    # Keyed by hazard id: every hazard a plan acts on, none invented, no context hazard.
    assert list(guidance.topics) == [h.id for h in catalog.weighted_hazards]
    assert set(guidance.topics) == {"river_flood", "dust", "heat", "drought", "salinity"}
    for topic in guidance.topics.values():
        assert set(topic.levels) == set(LEVEL_KEYS.values())


def test_a_topics_level_is_its_hazards_level() -> None:
    advice = guidance_for({"river_flood": index.HIGH, "dust": index.LOW})
    assert [(t.id, t.level, t.level_label) for t in advice] == [
        ("river_flood", index.HIGH, "high"),
        ("dust", index.LOW, "low"),
    ]
    assert advice[0].advice == default_guidance().topics["river_flood"].levels["high"]
    assert advice[0].title == "River and ice-jam floods"


def test_no_data_is_not_very_low() -> None:
    (heat,) = guidance_for({"heat": index.NO_DATA})
    assert (heat.level, heat.level_label) == (index.NO_DATA, "no data")
    (dust,) = guidance_for({"dust": index.NOT_APPLICABLE})
    assert dust.level_label == "no data"
    (salt,) = guidance_for({"salinity": index.VERY_LOW})
    assert salt.level_label == "very low"


def test_context_and_unknown_hazards_have_no_advice() -> None:
    assert guidance_for({"warming": index.HIGH, "drought_status": index.HIGH}) == []
    assert guidance_for({"flood_rp10": index.HIGH}) == []  # a layer, not a hazard


def test_topics_are_ordered_by_level() -> None:
    advice = guidance_for({"drought": index.LOW, "dust": index.HIGH, "heat": index.MEDIUM})
    assert [t.id for t in advice] == ["dust", "heat", "drought"]


def test_drought_advice_speaks_of_dry_years() -> None:
    drought = default_guidance().topics["drought"]
    assert "100 mm" in drought.about
    assert "one in five" in drought.levels["high"].meaning


def test_incomplete_guidance_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "guidance.toml"
    path.write_text(
        '[topics.x]\ntitle = "X"\nabout = "x"\n'
        '[topics.x.levels.high]\nmeaning = "m"\nactions = ["a"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="lacks advice"):
        load_guidance(path)
