"""XYZ tiles, TileJSON and the offline basemap, checked pixel by pixel on the tiny world.

The tiny world (tests/world.py) has a 1.2 m flood strip at lon 60.40-60.60 in district
A, dust of 60 days/yr west of lon 61 and 30 east of it, and no data west of lon 60.
Tiles are decoded and the colour of the pixel over a known place is compared with the
legend of the layer, computed from the catalog and the build's own rasters.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import morecantile
import numpy as np
import pytest
import rasterio
import rasterio.warp
from affine import Affine
from fastapi.testclient import TestClient
from PIL import Image
from rasterio.env import get_gdal_config
from rasterio.windows import Window

from aralrisk.api.app import create_app
from aralrisk.api.settings import Settings
from aralrisk.api.tiles.blocks import BlockCache, read_window
from aralrisk.api.tiles.colormaps import SCORE_CLASSES, layer_colors
from aralrisk.api.tiles.lonlat import LonLatCOG
from aralrisk.api.tiles.png import Palette, hex_rgb
from aralrisk.api.tiles.readers import (
    TILE_GDAL_CACHE_MB,
    WarpedReader,
    gdal_env,
    open_reader,
    read_cells,
    read_tile,
)
from aralrisk.geo import index
from aralrisk.layers import scoring
from aralrisk.layers.registry import SCORE_COLORS, load_catalog
from aralrisk.layers.result import BuildResult
from aralrisk.layers.specs import EXPOSED_BREAKS, EXPOSED_COLORS
from tests import world
from tests.api.two_builds import publish_two_builds, switch_to

TMS = morecantile.tms.get("WebMercatorQuad")
ZOOM = 7  # one tile covers lon 59.06-61.88: outside the data, the strip and district A
STRIP = (60.50, 44.5)  # in the flood strip of district A
DRY_A = (60.20, 44.5)  # district A outside the strip: no flood, 60 dust days
EAST = (61.70, 44.25)  # district B: no flood, 30 dust days
OUTSIDE = (59.50, 44.5)  # west of the data
TRANSPARENT = (0, 0, 0, 0)


@pytest.fixture
def make_tile_client(settings: Settings) -> Iterator[Callable[..., TestClient]]:
    """Clients of services with other settings or behind a root path."""
    with ExitStack() as stack:

        def make(server_root_path: str = "", **changes: Any) -> TestClient:
            app = create_app(Settings(**{**settings.model_dump(), **changes}))
            return stack.enter_context(TestClient(app, root_path=server_root_path))

        yield make


def tile_of(lon: float, lat: float, z: int = ZOOM) -> morecantile.Tile:
    return TMS.tile(lon, lat, z)


def pixel(tile: morecantile.Tile, lon: float, lat: float, size: int = 256) -> tuple[int, int]:
    """Row and column of (lon, lat) in ``tile`` rendered at ``size`` pixels."""
    west, south, east, north = TMS.xy_bounds(tile)
    x, y = TMS.xy(lon, lat)
    col = int((x - west) / (east - west) * size)
    row = int((north - y) / (north - south) * size)
    return row, col


def rgba(content: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGBA"))


def color_at(image: np.ndarray, tile: morecantile.Tile, lon: float, lat: float) -> tuple[int, ...]:
    row, col = pixel(tile, lon, lat, image.shape[0])
    return tuple(int(v) for v in image[row, col])


def opaque(hex_color: str) -> tuple[int, ...]:
    return (*hex_rgb(hex_color), 255)


def get_tile(client: TestClient, path: str, **params: Any) -> np.ndarray:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    return rgba(response.content)


def layer_url(layer: str, tile: morecantile.Tile) -> str:
    return f"/layers/{layer}/tiles/{tile.z}/{tile.x}/{tile.y}.png"


def composite_url(tile: morecantile.Tile) -> str:
    return f"/composite/tiles/{tile.z}/{tile.x}/{tile.y}.png"


def sample(built: BuildResult, raster: str, lon: float, lat: float) -> float:
    with rasterio.open(built.raster(raster)) as ds:
        return float(next(ds.sample([(lon, lat)]))[0])


def score_color(value: float) -> tuple[int, ...]:
    """The tile colour of a 0-10 score: its INFORM class colour."""
    return opaque(SCORE_COLORS[int(index.risk_class(np.array([value]))[0])])


def only(built: BuildResult, **weights: float) -> str:
    """A ``weights`` query giving the named hazards their weight and every other zero."""
    hazards = [h.id for h in built.registry.hazards]
    return ",".join(f"{h}:{weights.get(h, 0)}" for h in hazards)


# ------------------------------------------------------------------ layer tiles


def test_flood_strip_is_high_and_outside_is_transparent(
    client: TestClient, built: BuildResult
) -> None:
    tile = tile_of(*STRIP)
    image = get_tile(client, layer_url("flood_rp10", tile))
    assert image.shape == (256, 256, 4)
    spec = built.registry["flood_rp10"]
    assert spec.colors is not None and spec.levels is not None
    assert spec.levels[2] <= world.FLOOD_RP10_DEPTH
    assert color_at(image, tile, *STRIP) == opaque(spec.colors[3])  # high
    assert color_at(image, tile, *DRY_A) == opaque(spec.colors[0])  # very low: no water
    assert color_at(image, tile, *OUTSIDE) == TRANSPARENT
    # Everything west of the data is transparent, everything inside it opaque.
    alpha = image[..., 3]
    _, col_west = pixel(tile, 60.0, 44.5)
    assert (alpha[:, : col_west - 1] == 0).all()
    row, col = pixel(tile, 60.5, 44.5)
    assert alpha[row, col] == 255


def test_only_legend_colours_appear(client: TestClient, built: BuildResult) -> None:
    tile = tile_of(*STRIP)
    image = get_tile(client, layer_url("dust_days", tile))
    spec = built.registry["dust_days"]
    assert spec.colors is not None
    allowed = {TRANSPARENT, *(opaque(c) for c in spec.colors)}
    seen = {tuple(int(v) for v in p) for p in image.reshape(-1, 4)}
    assert seen <= allowed
    # 60 dust days per year is above the high threshold (50).
    assert color_at(image, tile, *DRY_A) == opaque(spec.colors[3])


def test_score_tiles_use_the_inform_classes(client: TestClient, built: BuildResult) -> None:
    tile = tile_of(*STRIP)
    image = get_tile(client, layer_url("flood_rp10", tile), values="score")
    for place in (STRIP, DRY_A):
        score = sample(built, "flood_rp10_score", *place)
        assert color_at(image, tile, *place) == score_color(score), place
    assert color_at(image, tile, *STRIP) == opaque(SCORE_COLORS[4])  # 1.2 m of 1.5: 8/10
    assert color_at(image, tile, *OUTSIDE) == TRANSPARENT


@pytest.mark.parametrize("layer", ["composite", "vulnerability", "lack_of_coping"])
def test_derived_surfaces_are_score_tiles(
    client: TestClient, built: BuildResult, layer: str
) -> None:
    tile = tile_of(*EAST)
    image = get_tile(client, layer_url(layer, tile))
    for place in (DRY_A, EAST):
        value = sample(built, layer, *place)
        assert color_at(image, tile, *place) == score_color(value), (layer, place, value)


def test_people_exposed_have_their_own_density_classes(
    client: TestClient, built: BuildResult
) -> None:
    tile = tile_of(*world.TOWN)
    image = get_tile(client, layer_url("exposed", tile))
    allowed = {TRANSPARENT, *(opaque(c) for c in EXPOSED_COLORS)}
    assert {tuple(int(v) for v in p) for p in image.reshape(-1, 4)} <= allowed
    for place in (world.TOWN, DRY_A, STRIP):
        density = sample(built, "exposed", *place)
        assert density > 0, place  # salty water under every cell of A
        k = int(np.searchsorted(EXPOSED_BREAKS, density, side="right"))
        assert color_at(image, tile, *place) == opaque(EXPOSED_COLORS[k]), (place, density)
    # The town is denser than the rural carpet, and the classes say so.
    assert color_at(image, tile, *world.TOWN) != color_at(image, tile, *DRY_A)
    assert color_at(image, tile, *OUTSIDE) == TRANSPARENT


def test_population_uses_its_level_colours(client: TestClient, built: BuildResult) -> None:
    tile = tile_of(*world.TOWN)
    image = get_tile(client, layer_url("population", tile))
    colors = layer_colors(built.registry["population"])
    for place in (world.TOWN, DRY_A):
        density = sample(built, "population", *place)
        level = int(index.value_level(np.array([density]), colors.thresholds)[0])
        assert color_at(image, tile, *place) == opaque(colors.colors[level]), place
    # The town is denser than the rural carpet, and the colours say so.
    assert color_at(image, tile, *world.TOWN) != color_at(image, tile, *DRY_A)


def test_tilesize_512_draws_the_same_map_finer(client: TestClient) -> None:
    tile = tile_of(*STRIP)
    small = get_tile(client, layer_url("flood_rp10", tile))
    large = get_tile(client, layer_url("flood_rp10", tile), tilesize=512)
    assert large.shape == (512, 512, 4)
    for place in (STRIP, DRY_A, OUTSIDE):
        assert color_at(large, tile, *place) == color_at(small, tile, *place)


def test_class_boundaries_match_the_levels_reported_elsewhere() -> None:
    # A value equal to a threshold is in the upper class, as in geo.index.value_level.
    values = np.array([[0.0, 0.1, 0.4999, 0.5, 1.0, 9.0, math.nan]])
    colors = layer_colors(load_catalog()["flood_rp10"])  # levels 0.1 / 0.5 / 1.0
    expected = index.value_level(values, colors.thresholds)
    got = colors.indices(values)
    assert list(got[0]) == [0 if e < 0 else e + 1 for e in expected[0]]
    # Scores are classed as INFORM classes risk: rounded to one decimal (2.15 is 2.2).
    scores = np.array([[2.14, 2.15, 6.84, 6.85, 10.0]])
    assert list(SCORE_CLASSES.indices(scores)[0]) == [1, 2, 4, 5, 5]


@pytest.mark.parametrize("raster", ["flood_rp10", "hillshade"])  # float NaN, uint8 0 no data
def test_lonlat_lookup_draws_what_riotilers_warp_draws(built: BuildResult, raster: str) -> None:
    # The fast lookup for lon/lat grids must pick the same overview and the same
    # nearest cell as GDAL's warper behind rio-tiler, at every zoom and tile size.
    path = built.raster(raster)
    fast, warped = LonLatCOG(path), WarpedReader(path)
    try:
        with gdal_env():
            for z in range(4, 11):
                tiles = list(TMS.tiles(59.9, 43.9, 62.1, 45.1, [z]))
                for tile in tiles[:: max(1, len(tiles) // 6)]:
                    for size in (256, 512):
                        values, valid = fast.read_tile(tile, size)
                        expected, expected_valid = warped.read_tile(tile, size)
                        np.testing.assert_array_equal(valid, expected_valid)
                        np.testing.assert_array_equal(values[valid], expected[valid])
    finally:
        fast.close()
        warped.close()


def test_cells_drawn_into_the_tile_equal_the_tile(built: BuildResult) -> None:
    # Zoomed in, pointwise work runs on the few cells of the window and the result is
    # drawn into the tile; it must equal working on every pixel.
    paths = [built.raster(n) for n in ("flood_rp10_score", "dust_days_score", "lack_of_coping")]
    with gdal_env():
        for z in (5, 7, 9):
            tile = tile_of(*STRIP, z=z)
            cells, sampling = read_cells(built.version, paths, tile, 256)
            for path, layer_cells in zip(paths, cells, strict=True):
                values, valid = read_tile(built.version, path, tile, 256)
                drawn = sampling.take(layer_cells, np.nan)
                np.testing.assert_array_equal(np.isfinite(drawn), valid)
                np.testing.assert_array_equal(drawn[valid], values[valid])
            assert z < 7 or sampling.cells < 256 * 256


def test_shared_blocks_assemble_any_window(tmp_path: Path) -> None:
    path = tmp_path / "tiled.tif"
    data = np.arange(700 * 1200, dtype="float32").reshape(700, 1200)
    with rasterio.open(
        path, "w", driver="GTiff", width=1200, height=700, count=1, dtype="float32",
        crs="EPSG:4326", transform=Affine(0.01, 0, 60, 0, -0.01, 45),
        tiled=True, blockxsize=256, blockysize=256,
    ) as dst:  # fmt: skip
        dst.write(data, 1)
    cache = BlockCache(10 * 2**20)
    with rasterio.open(path) as ds:
        for window in (Window(0, 0, 1, 1), Window(250, 250, 20, 20), Window(1000, 600, 200, 100)):
            got = read_window(ds, window, cache, "k")
            np.testing.assert_array_equal(got, ds.read(1, window=window))
        blocks = cache.bytes
        read_window(ds, Window(0, 0, 1200, 700), cache, "k")
        assert cache.bytes == data.nbytes > blocks  # every block once, edges clipped
    small = BlockCache(256 * 256 * 4)  # room for one block
    with rasterio.open(path) as ds:
        read_window(ds, Window(0, 0, 600, 300), small, "k")
    assert small.bytes <= small.max_bytes


def test_other_grids_are_warped_by_riotiler(tmp_path: Path) -> None:
    # A UTM raster is not a lon/lat grid: its tiles come from rio-tiler's warp.
    transform = Affine(1000.0, 0, 300_000.0, 0, -1000.0, 5_000_000.0)
    path = tmp_path / "utm.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=50, height=40, count=1, dtype="float32",
        crs="EPSG:32641", transform=transform, nodata=float("nan"),
    ) as dst:  # fmt: skip
        dst.write(np.full((40, 50), 7.0, dtype="float32"), 1)
    reader = open_reader(path)
    try:
        assert isinstance(reader, WarpedReader)
        with rasterio.open(path) as ds:
            lon, lat = rasterio.warp.transform(ds.crs, "EPSG:4326", [325_000.0], [4_980_000.0])
        tile = TMS.tile(lon[0], lat[0], 9)
        with gdal_env():
            values, valid = reader.read_tile(tile, 256)
        assert valid.any() and not valid.all()
        assert (values[valid] == 7.0).all()
    finally:
        reader.close()


def test_palette_png_round_trips() -> None:
    palette = Palette([TRANSPARENT, (10, 20, 30, 255), (200, 100, 0, 128)])
    indices = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)
    image = rgba(palette.encode(indices))
    assert image.shape == (2, 3, 4)
    assert tuple(image[0, 1]) == (10, 20, 30, 255)
    assert tuple(image[1, 0]) == (200, 100, 0, 128)
    assert image[0, 0, 3] == 0


# ------------------------------------------------------------------ composite tiles


def test_composite_of_one_hazard_is_that_hazards_score_tile(
    client: TestClient, built: BuildResult
) -> None:
    tile = tile_of(*STRIP)
    alone = get_tile(client, composite_url(tile), weights=only(built, dust=1))
    score = get_tile(client, layer_url("dust_days", tile), values="score")
    np.testing.assert_array_equal(alone, score)


def _layer_scores(built: BuildResult, place: tuple[float, float]) -> dict[str, np.ndarray]:
    layers = ("flood_rp10", "flood_rp100", "dust_days")
    return {k: np.array([sample(built, f"{k}_score", *place)]) for k in layers}


@pytest.mark.parametrize("method", ["geometric", "max"])
def test_composite_method_combines_like_the_build(
    client: TestClient, built: BuildResult, method: str
) -> None:
    weights = only(built, river_flood=1, dust=1)
    tile = tile_of(*STRIP)
    image = get_tile(client, composite_url(tile), weights=weights, method=method)
    chosen = built.weighting(weights={"river_flood": 1, "dust": 1, **_zeros(built)}, method=method)
    for place in (STRIP, DRY_A):
        value = scoring.composite_cells(_layer_scores(built, place), built.registry, chosen)
        assert color_at(image, tile, *place) == score_color(value[0]), (method, place)


def test_a_layer_weight_within_its_hazard_changes_the_composite(
    client: TestClient, built: BuildResult
) -> None:
    # The 100-year flood is wider than the 10-year one: at its edge only rp100 has water,
    # so weighting rp10 within river flood lowers the composite there.
    edge = (60.36, 44.5)
    tile = tile_of(*edge, z=9)  # zoomed in: the cells themselves, not overviews
    base = only(built, river_flood=1)
    equal = get_tile(client, composite_url(tile), weights=base)
    rp10 = get_tile(client, composite_url(tile), weights=base + ",flood_rp100:0")
    for image, overrides in ((equal, {}), (rp10, {"flood_rp100": 0.0})):
        zero = {**_zeros(built), "dust": 0.0, **overrides}
        chosen = built.weighting(weights={"river_flood": 1, **zero})
        value = scoring.composite_cells(_layer_scores(built, edge), built.registry, chosen)
        assert color_at(image, tile, *edge) == score_color(value[0])
    assert color_at(equal, tile, *edge) != color_at(rp10, tile, *edge)


def _zeros(built: BuildResult) -> dict[str, float]:
    return {h.id: 0.0 for h in built.registry.hazards if h.id not in ("river_flood", "dust")}


def test_max_and_geometric_differ_where_one_hazard_dominates(
    client: TestClient, built: BuildResult
) -> None:
    # Outside the strip only dust is high: the maximum keeps it, the geometric mean of
    # "no flood" and "much dust" is lower.
    weights = only(built, river_flood=1, dust=1)
    tile = tile_of(*STRIP)
    geometric = get_tile(client, composite_url(tile), weights=weights, method="geometric")
    maximum = get_tile(client, composite_url(tile), weights=weights, method="max")
    assert color_at(maximum, tile, *DRY_A) == opaque(SCORE_COLORS[4])
    assert color_at(geometric, tile, *DRY_A) != color_at(maximum, tile, *DRY_A)
    # Where both are high they agree, and both are transparent outside the data.
    assert color_at(geometric, tile, *STRIP) == color_at(maximum, tile, *STRIP)
    assert color_at(geometric, tile, *OUTSIDE) == TRANSPARENT


def test_composite_with_the_builds_weights_draws_the_builds_surface(
    client: TestClient,
) -> None:
    tile = tile_of(*EAST)
    on_the_fly = get_tile(client, composite_url(tile))
    built_tile = get_tile(client, layer_url("composite", tile))
    np.testing.assert_array_equal(on_the_fly[..., 3], built_tile[..., 3])
    same = (on_the_fly == built_tile).all(axis=-1).mean()
    assert same > 0.99, same


@pytest.mark.parametrize(
    "url",
    [
        composite_url(tile_of(*STRIP)) + "?target=risk",
        "/composite/tilejson.json?target=risk",
    ],
)
def test_risk_has_no_tiles(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "risk is a district index (it rests on the people exposed across a whole district), "
        "so it has no tiles: get district risk from /districts, and see where the people "
        "exposed live on the `exposed` layer (/layers/exposed/tiles)"
    )
    # The old cell risk surface is gone too.
    assert client.get(layer_url("risk", tile_of(*STRIP))).status_code == 404


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"weights": "lava:1"}, 422),
        ({"weights": "flood_rp10:-1"}, 422),
        ({"weights": "flood_rp10:nan"}, 422),
        ({"weights": "flood_rp10"}, 422),
        ({"profile": "nope"}, 422),
        ({"method": "median"}, 422),
        ({"target": "people"}, 422),
        ({"tilesize": "300"}, 422),
    ],
)
def test_bad_composite_parameters_are_problems(
    client: TestClient, query: dict[str, str], status: int
) -> None:
    tile = tile_of(*STRIP)
    response = client.get(composite_url(tile), params=query)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


def test_all_zero_weights_are_a_problem(client: TestClient, built: BuildResult) -> None:
    response = client.get(composite_url(tile_of(*STRIP)), params={"weights": only(built)})
    assert response.status_code == 422
    assert "zero" in response.json()["detail"]


# ------------------------------------------------------------------ basemap


def test_basemap_is_grey_hillshade_transparent_outside(client: TestClient) -> None:
    tile = tile_of(*STRIP)
    image = get_tile(client, f"/basemap/tiles/{tile.z}/{tile.x}/{tile.y}.png")
    inside = color_at(image, tile, *DRY_A)
    assert inside[3] == 255 and inside[0] == inside[1] == inside[2]
    assert color_at(image, tile, *OUTSIDE) == TRANSPARENT


def test_hydrography_is_cached_geojson(client: TestClient) -> None:
    response = client.get("/basemap/hydrography.geojson")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["features"]
    again = client.get(
        "/basemap/hydrography.geojson", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


# ------------------------------------------------------------------ TileJSON


def test_tilejson_describes_the_layer(client: TestClient, built: BuildResult) -> None:
    response = client.get("/layers/flood_rp10/tilejson.json", params={"values": "score"})
    assert response.status_code == 200
    doc = response.json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["scheme"] == "xyz"
    np.testing.assert_allclose(doc["bounds"], built.manifest["bounds"], atol=0.06)
    assert 0 <= doc["minzoom"] <= doc["maxzoom"] <= 24
    lon, lat, zoom = doc["center"]
    # TileJSON 3.0.0: the zoom of the center is an integer ("7", not "7.0").
    assert isinstance(zoom, int)
    assert f",{zoom}]" in response.text.split('"center":')[1]
    west, south, east, north = doc["bounds"]
    assert west < lon < east and south < lat < north
    assert doc["minzoom"] <= zoom <= doc["maxzoom"]
    assert doc["attribution"].startswith(built.manifest["attribution"])
    (template,) = doc["tiles"]
    assert template == "http://testserver/layers/flood_rp10/tiles/{z}/{x}/{y}.png?values=score"
    # The template works when fetched, at every advertised zoom.
    for z in (doc["minzoom"], doc["maxzoom"]):
        t = TMS.tile(lon, lat, z)
        url = template.format(z=t.z, x=t.x, y=t.y).removeprefix("http://testserver")
        tile = client.get(url)
        assert tile.status_code == 200, (z, tile.text)
        assert rgba(tile.content)[..., 3].any()
    below = client.get(layer_url("flood_rp10", TMS.tile(lon, lat, doc["minzoom"] - 1)))
    above = client.get(layer_url("flood_rp10", TMS.tile(lon, lat, doc["maxzoom"] + 1)))
    assert below.status_code == above.status_code == 404
    assert "zoom" in below.json()["detail"]


def test_tilejson_says_when_data_is_illustrative(
    client: TestClient, built: BuildResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(built.manifest, "illustrative", True)
    from aralrisk.api.state import current_build

    client.app.dependency_overrides[current_build] = lambda: built  # type: ignore[attr-defined]
    try:
        doc = client.get("/layers/dust_days/tilejson.json").json()
    finally:
        client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    assert "illustrative sample data" in doc["attribution"]


def test_tilejson_urls_follow_root_path_and_forwarded_prefix(
    make_tile_client: Callable[..., TestClient],
) -> None:
    expected = ["http://testserver/aralrisk/layers/dust_days/tiles/{z}/{x}/{y}.png"]
    # The prefix given to the server (uvicorn --root-path) or in the settings.
    for behind in (
        make_tile_client(server_root_path="/aralrisk"),
        make_tile_client(root_path="/aralrisk"),
    ):
        doc = behind.get("/layers/dust_days/tilejson.json").json()
        assert doc["tiles"] == expected
        (template,) = doc["tiles"]
        path = template.format(z=7, x=85, y=46).removeprefix("http://testserver/aralrisk")
        assert behind.get(path).status_code == 200
    plain = make_tile_client()
    doc = plain.get(
        "/composite/tilejson.json",
        params={"method": "max"},
        headers={"X-Forwarded-Prefix": "/risk-api/"},
    ).json()
    assert doc["tiles"] == ["http://testserver/risk-api/composite/tiles/{z}/{x}/{y}.png?method=max"]
    # A header that is not a clean path is ignored, never echoed.
    doc = plain.get("/basemap/tilejson.json", headers={"X-Forwarded-Prefix": "/<script>"}).json()
    assert doc["tiles"] == ["http://testserver/basemap/tiles/{z}/{x}/{y}.png"]


def test_unknown_layer_tilejson_is_404(client: TestClient) -> None:
    response = client.get("/layers/lava/tilejson.json")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


# ------------------------------------------------------------------ caching


def test_etag_304_and_tile_cache(client: TestClient, built: BuildResult) -> None:
    url = layer_url("dust_days", tile_of(*EAST))
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert first.headers["x-build-version"] == built.version
    assert "max-age" in first.headers["cache-control"]
    again = client.get(url)
    assert again.headers["x-tile-cache"] == "hit"
    assert again.content == first.content and again.headers["etag"] == etag
    unchanged = client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    other = client.get(url, params={"values": "score"})
    assert other.headers["etag"] != etag


def test_a_new_build_is_never_drawn_from_the_old_ones_caches(
    built: BuildResult, tmp_path: Path, make_tile_client: Callable[..., TestClient]
) -> None:
    # Two published builds whose flood_rp10 differ (B's is A's dust raster), swapped
    # under a running service: tiles, readers, blocks and zoom ranges are all keyed by
    # build version, so the second answer shows B's data.
    root = tmp_path / "root"
    publish_two_builds(built, root)
    client = make_tile_client(build_dir=root)
    client.app.state.builds.check_interval = 0.0  # type: ignore[attr-defined]
    tile = tile_of(*STRIP)
    first = client.get(layer_url("flood_rp10", tile))
    assert first.headers["x-build-version"] == "version-A"
    switch_to(root, "B")
    second = client.get(layer_url("flood_rp10", tile))
    assert second.headers["x-build-version"] == "version-B"
    assert second.headers["x-tile-cache"] == "miss"
    assert second.headers["etag"] != first.headers["etag"]
    # Under A, no water outside the strip; under B the "depth" there is 60 (dust days).
    flood = built.registry["flood_rp10"].colors
    assert flood is not None
    assert color_at(rgba(first.content), tile, *DRY_A) == opaque(flood[0])
    assert color_at(rgba(second.content), tile, *DRY_A) == opaque(flood[3])
    assert second.content != first.content


def test_cache_size_zero_renders_every_time(
    make_tile_client: Callable[..., TestClient],
) -> None:
    uncached = make_tile_client(tile_cache_size=0)
    url = layer_url("dust_days", tile_of(*EAST))
    first, second = uncached.get(url), uncached.get(url)
    assert first.headers["x-tile-cache"] == second.headers["x-tile-cache"] == "miss"
    assert first.content == second.content


# ------------------------------------------------------------------ empty tiles


@pytest.mark.parametrize("tilesize", [256, 512])
@pytest.mark.parametrize(
    "route",
    ["/layers/flood_rp10/tiles", "/layers/exposed/tiles", "/composite/tiles", "/basemap/tiles"],
)
def test_tiles_outside_the_data_are_empty_and_transparent(
    client: TestClient, built: BuildResult, route: str, tilesize: int
) -> None:
    """Inside the zoom range every tile exists: outside the bounds it is transparent.

    GDAL's WMS/TMS driver and QGIS read whole windows; a 404 for a tile next to the
    data made them fail (issue 13, finding 7).
    """
    doc = client.get(route.replace("/tiles", "/tilejson.json")).json()
    for z in (doc["minzoom"], doc["maxzoom"]):
        far = TMS.tile(10.0, 10.0, z)  # Africa: nowhere near the data
        url = f"{route}/{far.z}/{far.x}/{far.y}.png?tilesize={tilesize}"
        response = client.get(url, headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/png"
        assert response.headers["x-build-version"] == built.version
        image = rgba(response.content)
        assert image.shape == (tilesize, tilesize, 4)
        assert not image[..., 3].any()  # wholly transparent
        etag = response.headers["etag"]
        again = client.get(url, headers={"If-None-Match": etag, "Accept-Encoding": "identity"})
        assert again.status_code == 304


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/layers/lava/tiles/7/85/46.png", 404),
        ("/layers/poverty/tiles/7/85/46.png", 404),  # a table column has no map
        ("/layers/flood_rp10/tiles/7/999/46.png", 422),  # x beyond 2**7 - 1
        ("/layers/flood_rp10/tiles/7/85/128.png", 422),
        ("/layers/flood_rp10/tiles/1/1/0.png", 404),  # below the layer's zooms
        ("/layers/flood_rp10/tiles/20/700000/380000.png", 404),  # above them
        ("/layers/flood_rp10/tiles/99999999999999999999/1/1.png", 422),
        ("/layers/flood_rp10/tiles/-1/1/1.png", 422),
        ("/layers/flood_rp10/tiles/seven/85/46.png", 422),
        ("/layers/flood_rp10/tiles/7/85/46.5.png", 422),
        ("/layers/Flood/tiles/7/85/46.png", 422),
        ("/composite/tiles/7/-3/46.png", 422),
        ("/basemap/tiles/7/999/46.png", 422),
    ],
)
def test_bad_tile_requests_are_problems(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"]
    # One sentence for a person: no traceback, no server path.
    assert "Traceback" not in body["detail"] and "builds/" not in body["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/layers/../../etc/passwd",
        "/layers/..%2F..%2Fetc%2Fpasswd/tiles/7/85/46.png",
        "/layers/%2E%2E/tiles/7/85/46.png",
        "/layers/flood_rp10/tiles/7/85/..%2F..%2F..%2Fetc%2Fpasswd.png",
        "/basemap/..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_path_traversal_never_reads_a_file(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (404, 422), response.text
    assert b"root:" not in response.content
    assert response.headers["content-type"] == "application/problem+json"


def test_tile_reads_have_a_block_cache_of_megabytes() -> None:
    # An integer GDAL_CACHEMAX reaches GDALSetCacheMax64 as bytes: 64 was a 64-byte cache.
    with gdal_env():
        assert get_gdal_config("GDAL_CACHEMAX") == TILE_GDAL_CACHE_MB * 2**20 >= 2**20
