"""``places.geojson`` of the sample: the REAL OpenStreetMap settlements, with their licence.

Unlike every other file of the sample, the settlements are not generated: they are the
449 OpenStreetMap ``place`` points of the oblast (HOT Export Tool extract, ODbL), copied
from ``data/reference/places`` (a copy shipped in the package as ``places_osm.geojson``, so
an installed aralrisk writes them too; tests/test_sample.py checks the copies are equal).
The sample carries its own copy rather than a ``../reference/...`` path so that the
folder stays self-contained wherever ``aralrisk sample --out`` writes it. The copy names
its licence and attribution in top-level members and says it is not illustrative.
"""

from __future__ import annotations

import json
from pathlib import Path

from aralrisk.layers.sample.write import write_geojson

#: The packaged copy of data/reference/places/kyzylorda_places_osm_hotosm.geojson.
SOURCE = Path(__file__).with_name("places_osm.geojson")
ATTRIBUTION = "© OpenStreetMap contributors"
LICENSE = "ODbL-1.0 (Open Database License), https://opendatacommons.org/licenses/odbl/"


def write_places(out: Path) -> Path:
    """Write ``places.geojson``: the OSM settlements with their licence and attribution."""
    collection = json.loads(SOURCE.read_text(encoding="utf-8"))
    members = {
        "name": "places",
        "illustrative": False,
        "description": "Settlements of Kyzylorda oblast: 10 towns, 127 villages, 121 hamlets "
        "and 191 named isolated dwellings from OpenStreetMap (REAL data, not illustrative; "
        "incomplete: no place=city node for Kyzylorda city).",
        "source": "HOT Export Tool extract of OpenStreetMap, clipped to the oblast "
        "(data/reference/places/kyzylorda_places_osm_hotosm.geojson)",
        "attribution": ATTRIBUTION,
        "license": LICENSE,
    }
    return write_geojson(out / "places.geojson", collection["features"], members)
