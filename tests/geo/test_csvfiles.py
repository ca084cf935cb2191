"""CSV files that Excel and GDAL read right, and district codes that can be served.

Issue 13, finding 7: the district CSV had no BOM (Excel garbles Cyrillic), wrote
formula-like names unescaped (CSV injection) and had no ``.csvt``; district codes that
can never be served over HTTP (``../x``, ``<script>``) were accepted at build time.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box

from aralrisk.geo.csvfiles import BOM, csv_bytes, csvt, escape_formulas, unescape, write_csv
from aralrisk.geo.errors import InputError
from aralrisk.geo.io import read_districts, write_vectors

NAMES = ["Қызылорда", '=HYPERLINK("http://evil")', "+7 727", "-minus", "@SUM(A1)", "\tTab"]


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["KZ431000", "KZ1", "KZ2", "KZ3", "KZ4", "KZ5"],
            "name": NAMES,
            "risk": [4.5, -1.25, np.nan, 0.0, 10.0, 2.0],
            "rank": [1, 2, 3, 4, 5, 6],
            "ranked": [True, True, False, True, True, True],
        }
    )


def test_csv_has_a_bom_and_no_formulas() -> None:
    data = csv_bytes(_table())
    assert data.startswith(BOM.encode("utf-8"))
    text = data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == [
        "Қызылорда",
        '\'=HYPERLINK("http://evil")',
        "'+7 727",
        "'-minus",
        "'@SUM(A1)",
        "'\tTab",
    ]
    # Numbers stay numbers, negative ones too: only text cells are escaped.
    assert [r["risk"] for r in rows][:2] == ["4.5", "-1.25"]
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r.values())
    # pandas reads it back, BOM and all, with the first column named as written.
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(back.columns) == ["code", "name", "risk", "rank", "ranked"]
    assert back["risk"].iloc[1] == -1.25
    assert back["name"].iloc[0] == "Қызылорда"


def test_escape_leaves_numeric_and_boolean_columns_alone() -> None:
    table = _table()
    escaped = escape_formulas(table)
    pd.testing.assert_series_equal(escaped["risk"], table["risk"])
    pd.testing.assert_series_equal(escaped["ranked"], table["ranked"])
    assert table["name"].iloc[1].startswith("=")  # the input is not changed


def test_unescape_gives_back_what_was_escaped() -> None:
    escaped = escape_formulas(_table())["name"]
    assert [unescape(v) for v in escaped] == NAMES
    assert unescape("'quoted") == "'quoted"  # an apostrophe before other text stays


def test_csvt_names_gdal_types() -> None:
    assert csvt(_table()) == '"String","String","Real","Integer64","Integer(Boolean)"\n'


def test_write_csv_writes_the_types_beside_and_gdal_reads_both(tmp_path: Path) -> None:
    path = write_csv(_table(), tmp_path / "districts.csv")
    assert path.read_bytes() == csv_bytes(_table())
    assert (tmp_path / "districts.csvt").read_text() == csvt(_table())
    frame = pyogrio.read_dataframe(path)
    assert list(frame.columns)[:5] == ["code", "name", "risk", "rank", "ranked"]
    assert frame["risk"].dtype.kind == "f" and frame["rank"].dtype.kind == "i"
    assert frame["code"].iloc[0] == "KZ431000" and frame["name"].iloc[0] == "Қызылорда"


def test_write_vectors_csv_has_bom_escapes_and_csvt(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"code": ["KZ1", "KZ2"], "name": ["=cmd|' /C calc'!A0", "Арал"], "score": [-1.5, 2.0]},
        geometry=[box(60, 45, 61, 46), box(61, 45, 62, 46)],
        crs="EPSG:4326",
    )
    (csv_path,) = write_vectors(frame, tmp_path / "districts", ("csv",))
    assert csv_path.read_bytes().startswith(BOM.encode("utf-8"))
    table = pd.read_csv(csv_path, encoding="utf-8-sig")
    assert list(table["name"]) == ["'=cmd|' /C calc'!A0", "Арал"]
    assert list(table["score"]) == [-1.5, 2.0]
    types = (tmp_path / "districts.csvt").read_text().strip().split(",")
    assert len(types) == len(table.columns)
    assert types[:3] == ['"String"', '"String"', '"Real"']
    assert types[-2:] == ['"Real"', '"Real"']  # centroid_lon, centroid_lat


@pytest.mark.parametrize(
    "code",
    [
        "../x",
        "<script>",
        "a/b",
        "KZ 43",
        " KZ43",
        "KZ43\n",
        "KZ\x0743",  # a control character (BEL)
        "=1+1",
        ".hidden",
        "x" * 65,
    ],
)
def test_codes_that_cannot_be_served_are_refused(tmp_path: Path, code: str) -> None:
    frame = gpd.GeoDataFrame(
        {"code": ["KZ1", code]},
        geometry=[box(60, 45, 61, 46), box(61, 45, 62, 46)],
        crs="EPSG:4326",
    )
    path = tmp_path / "d.geojson"
    frame.to_file(path)
    with pytest.raises(InputError) as error:
        read_districts(path, "code")
    message = str(error.value)
    assert "\n" not in message
    assert "d.geojson has code values that cannot be district codes" in message
    assert repr(code[:40]) in message
    assert "letters, digits, '_', '.' or '-'" in message


def test_ordinary_codes_are_read(tmp_path: Path) -> None:
    codes = ["KZ433200", "431000000", "kz-43.2_a", "A"]
    frame = gpd.GeoDataFrame(
        {"code": codes},
        geometry=[box(60 + i, 45, 61 + i, 46) for i in range(4)],
        crs="EPSG:4326",
    )
    path = tmp_path / "d.geojson"
    frame.to_file(path)
    assert list(read_districts(path, "code")["code"]) == codes
