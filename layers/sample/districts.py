"""Sample district boundaries: one partition fitted to the published areas.

Each district (except Baikonur) claims the cells of a 0.02-degree grid by a
cost: an anisotropic "power distance" from the centre of its published bounding
box, scaled by the box's half-sizes, plus smooth noise (so borders wander like
real ones), minus a bonus near its administrative centre (so the centre falls
inside). A cell goes to the cheapest district whose (wavily shrunk) bounding
box holds it, and belongs to the oblast only if that cost is below the
district's weight, or if it lies in the Syr Darya corridor. The weights are
fitted iteratively until every district has its published area (within about
0.5 %). Where two neighbours' boxes both end, that first fit leaves narrow gaps
that pinch the oblast; the cells that would close them are made cheaper and the
weights fitted again, so neighbours meet as they do in reality. Because all
districts come from one label raster, neighbours share their borders exactly;
``shapely.coverage_simplify`` then smooths the cell staircase while keeping the
borders shared. Baikonur, 38 km2 and smaller than many raster cells, is drawn
as a vector enclave and cut out of Karmakshy; the small second part of Aral
(the real boundary has two parts) is drawn the same way as an exclave cut out of
Kazaly, so the oblast has no holes.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from rasterio.features import shapes
from scipy import ndimage
from shapely import MultiPolygon, Polygon

from aralrisk.geo.vectors import geodesic_area_km2
from aralrisk.layers.sample.distance import nearest_points
from aralrisk.layers.sample.facts import (
    ARAL,
    BAIKONUR,
    BY_PCODE,
    DISTRICTS,
    KARMAKSHY,
    KAZALY,
    LonLat,
)
from aralrisk.layers.sample.grids import FloatArray, Grid, smooth_noise, to_lonlat, to_utm_km
from aralrisk.layers.sample.river import RiverIndex

#: Grid on which the partition is fitted (0.02 degree, about 1.6 x 2.2 km). Its
#: western edge is 0.003 degree off the raster grids', so that fewer borders run
#: exactly through a raster cell centre (where the cell-centre rule hangs on the
#: last bit of the transform): vertical, horizontal and diagonal ones never do.
FIT_GRID = Grid("EPSG:4326", 58.903, 48.00, 0.02, 470, 288)
#: Exponent of the box-shaped distance: 2 is an ellipse, larger fills the box more.
SHAPE_EXPONENT = 2.5
#: Cells this close to the river always belong to the oblast, km.
RIVER_CORRIDOR_KM = 15.0
#: Second, small part of Aral (the real one is a 2 km2 islet at the south of its box),
#: an exclave inside Kazaly in the sample.
ARAL_ISLET_CENTRE: LonLat = (60.98, 44.42)
ARAL_ISLET_RADIUS_KM = 2.6
#: Vertex-removal tolerance of the border smoothing, in FIT_GRID cells.
SIMPLIFY_TOLERANCE = 1.5
#: Largest relative area error of the fit, and the most iterations it may take.
FIT_TOLERANCE = 0.006
FIT_ITERATIONS = 150
#: Gaps between districts narrower than about twice this are closed, FIT_GRID cells.
BRIDGE_RADIUS_CELLS = 10
#: Cost bonus of the cells that close such gaps (in units of a box half-size).
BRIDGE_BONUS = 0.5
#: Cost bonus of Aral over the 1950s sea (in units of its box half-size).
ARAL_SEA_BONUS = 0.07


#: Districts drawn by the partition (Baikonur is added as a vector enclave).
FITTED = tuple(d for d in DISTRICTS if d.pcode != BAIKONUR)


def _segment_dist2_km(x: FloatArray, y: FloatArray, a: LonLat, b: LonLat) -> FloatArray:
    """Squared distance (km2) from every cell to the segment a-b (a point if a == b)."""
    (ax, bx), (ay, by) = to_utm_km(np.array([a[0], b[0]]), np.array([a[1], b[1]]))
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = np.clip(((x - ax) * dx + (y - ay) * dy) / length2, 0, 1) if length2 > 0 else 0.0
    return np.asarray((x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2)


def _costs(
    rng: np.random.Generator, river: RiverIndex, sea_1950s: shapely.Geometry
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Cost of every fitted district for every cell, shape (districts, rows, cols).

    Args:
        rng: Random generator for the border noise.
        river: The sample river (its corridor is always inside the oblast).
        sea_1950s: The late-1950s Aral Sea (lon/lat); Aral is drawn over it.

    Returns:
        The costs (inf where a district may not go) and the river-corridor mask.
    """
    lon, lat = FIT_GRID.lonlat
    x, y = FIT_GRID.km
    in_old_sea = shapely.contains_xy(sea_1950s, lon, lat)
    costs = np.empty((len(FITTED), *FIT_GRID.shape))
    for k, district in enumerate(FITTED):
        west, south, east, north = district.bbox
        cx, cy = to_utm_km(np.array([(west + east) / 2]), np.array([(south + north) / 2]))
        half_x = (east - west) / 2 * 111.32 * np.cos(np.radians((south + north) / 2))
        half_y = (north - south) / 2 * 110.57
        dx = np.abs(x - cx[0]) / half_x
        dy = np.abs(y - cy[0]) / half_y
        cost = (dx**SHAPE_EXPONENT + dy**SHAPE_EXPONENT) ** (2 / SHAPE_EXPONENT)
        # Two scales of noise make the borders wander instead of following conics.
        for amplitude, sigma in ((0.22, 30), (0.10, 12), (0.05, 4)):
            cost += amplitude * smooth_noise(rng, FIT_GRID.shape, sigma)
        attractors = [(district.centre, district.centre)]
        if district.pcode == KARMAKSHY:
            # The Baikonur enclave must sit inside Karmakshy, joined to Zhosaly.
            attractors.append((BY_PCODE[BAIKONUR].centre, district.centre))
        if district.pcode == KAZALY:
            # Aral's islet is cut out of Kazaly, so Kazaly must surround it.
            attractors.append((ARAL_ISLET_CENTRE, ARAL_ISLET_CENTRE))
        for a, b in attractors:
            cost -= 2.0 * np.exp(-_segment_dist2_km(x, y, a, b) / 12.0**2)
        if district.pcode == ARAL:
            # The real Aral district holds most of the Kazakh part of the old sea.
            cost[in_old_sea] -= ARAL_SEA_BONUS
        # Shrink the box by a wavy margin (up to ~8 % of its size) so its edges do not show.
        margin = 0.03 * np.abs(smooth_noise(rng, FIT_GRID.shape, 8))
        width, height = east - west, north - south
        inside = (
            (lon >= west + margin * width)
            & (lon <= east - margin * width)
            & (lat >= south + margin * height)
            & (lat <= north - margin * height)
        )
        cost[~inside] = np.inf
        costs[k] = cost
    dist, _ = nearest_points(FIT_GRID, river.points)
    return costs, dist < RIVER_CORRIDOR_KM


def _clean(labels: NDArray[np.int64]) -> NDArray[np.int64]:
    """Keep each district's largest 4-connected piece and fill holes in the oblast."""
    out = labels.copy()
    # Each district is labelled within its own bounding box only: much faster.
    for k, box in enumerate(ndimage.find_objects(out + 1, max_label=len(FITTED))):
        if box is None:
            continue
        window = out[box]
        pieces, count = ndimage.label(window == k)
        if count > 1:
            sizes = np.bincount(pieces.ravel())[1:]
            window[(pieces > 0) & (pieces != 1 + int(np.argmax(sizes)))] = -1
    inside = out >= 0
    holes = ndimage.binary_fill_holes(inside) & ~inside
    if holes.any():
        nearest = ndimage.distance_transform_edt(
            ~inside, return_distances=False, return_indices=True
        )
        out[holes] = out[nearest[0][holes], nearest[1][holes]]
    return out


def fit_labels(
    rng: np.random.Generator, river: RiverIndex, sea_1950s: shapely.Geometry, islet_km2: float
) -> NDArray[np.int64]:
    """Label raster on :data:`FIT_GRID`: index into :data:`FITTED`, -1 outside the oblast.

    Args:
        rng: Random generator for the border noise.
        river: The sample river (its corridor is always inside the oblast).
        sea_1950s: The late-1950s Aral Sea (lon/lat), favoured by Aral.
        islet_km2: Area of Aral's second part, moved from Aral's target to Kazaly's.

    Returns:
        int64 array of shape (rows, cols) of FIT_GRID.
    """
    costs, corridor = _costs(rng, river, sea_1950s)
    target = np.array([d.area_km2 for d in FITTED])
    order = [d.pcode for d in FITTED]
    # The enclaves are cut out of their hosts later, so the hosts' raster areas include them.
    target[order.index(ARAL)] -= islet_km2
    target[order.index(KAZALY)] += islet_km2
    target[order.index(KARMAKSHY)] += BY_PCODE[BAIKONUR].area_km2
    weights = np.full(len(FITTED), 0.5)
    labels = _fit_weights(costs, corridor, target, weights)
    # Narrow gaps between neighbours (where both boxes end) read as a pinched oblast:
    # make the cells that would close them cheaper for everyone, then fit again.
    inside = labels >= 0
    bridges = ndimage.binary_closing(inside, structure=_disk(BRIDGE_RADIUS_CELLS)) & ~inside
    costs[:, bridges] -= BRIDGE_BONUS
    return _fit_weights(costs, corridor, target, weights)


def _disk(radius: int) -> NDArray[np.bool_]:
    """A disk-shaped structuring element of ``radius`` cells."""
    offsets = np.arange(-radius, radius + 1)
    return np.asarray(offsets[:, None] ** 2 + offsets[None, :] ** 2 <= radius**2)


def _fit_weights(
    costs: FloatArray,
    forced: NDArray[np.bool_],
    target: FloatArray,
    weights: FloatArray,
) -> NDArray[np.int64]:
    """Fit the district weights (updated in place) until every area is on target.

    Args:
        costs: Cost of each district for each cell, (districts, rows, cols).
        forced: Cells that belong to the oblast whatever their cost.
        target: Area each district must reach, km2.
        weights: Starting weights, one per district; fitted in place.

    Returns:
        The label raster (index into FITTED, -1 outside the oblast).
    """
    allowed = np.isfinite(costs).any(axis=0)
    cell_area = FIT_GRID.cell_area_km2
    best_labels, best_error = np.full(FIT_GRID.shape, -1), np.inf
    for iteration in range(FIT_ITERATIONS):
        shifted = costs - weights[:, None, None]
        best = np.argmin(shifted, axis=0)
        lowest = np.take_along_axis(shifted, best[None], axis=0)[0]
        inside = allowed & ((lowest <= 0) | forced)
        labels = _clean(np.where(inside, best, -1))
        area = np.bincount(labels[labels >= 0], cell_area[labels >= 0], len(FITTED))
        error = np.log(target / np.maximum(area, 1.0))
        if np.abs(error).max() < best_error:
            best_labels, best_error = labels, float(np.abs(error).max())
        if best_error < FIT_TOLERANCE:
            break
        # A shrinking step: a block of cells that flips between two neighbours
        # would otherwise make the fit oscillate.
        weights += 0.5 / (1.0 + iteration / 25.0) * error
    return best_labels


def _islet() -> Polygon:
    """Aral's small second part: a slightly irregular disc, lon/lat."""
    angle = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    radius = ARAL_ISLET_RADIUS_KM * (1 + 0.15 * np.sin(3 * angle) + 0.08 * np.cos(5 * angle))
    cx, cy = to_utm_km(np.array([ARAL_ISLET_CENTRE[0]]), np.array([ARAL_ISLET_CENTRE[1]]))
    lon, lat = to_lonlat(cx[0] + radius * np.cos(angle), cy[0] + radius * np.sin(angle))
    return Polygon(np.column_stack([lon, lat]).round(6))


def _baikonur() -> Polygon:
    """The Baikonur enclave: an irregular oval in its published box, scaled to 38.2 km2.

    The oval is scaled about the city's centre point, so the centre stays inside
    and the shape only shrinks towards it.
    """
    baikonur = BY_PCODE[BAIKONUR]
    west, south, east, north = baikonur.bbox
    angle = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    wobble = 1 + 0.07 * np.sin(2 * angle + 0.4) + 0.05 * np.cos(3 * angle)
    lon = (west + east) / 2 + (east - west) / 2 * wobble * np.cos(angle)
    lat = (south + north) / 2 + (north - south) / 2 * wobble * np.sin(angle)
    oval = Polygon(np.column_stack([lon, lat]))
    oval = shapely.intersection(oval, shapely.box(west, south, east, north))
    scale = np.sqrt(baikonur.area_km2 / geodesic_area_km2(oval))
    cx, cy = baikonur.centre
    coords = np.asarray(oval.exterior.coords)
    coords = np.column_stack([cx + (coords[:, 0] - cx) * scale, cy + (coords[:, 1] - cy) * scale])
    return Polygon(coords.round(6))


def _vectorize(labels: NDArray[np.int64]) -> list[shapely.Geometry]:
    """Polygons of the fitted districts from the label raster, smoothed, lon/lat.

    Polygonizing in cell units gives integer vertices; splitting every edge
    into unit steps puts a vertex at each cell corner, so neighbours have
    identical vertices along shared borders (a valid coverage), which
    ``coverage_simplify`` needs in order to keep those borders shared.
    """
    pieces: list[list[Polygon]] = [[] for _ in FITTED]
    for geom, value in shapes(labels.astype(np.int32), mask=labels >= 0, connectivity=4):
        pieces[int(value)].append(shapely.geometry.shape(geom))
    cells = [
        shapely.set_precision(shapely.segmentize(shapely.union_all(p), 1.0), 1.0) for p in pieces
    ]
    smooth = shapely.coverage_simplify(np.asarray(cells, dtype=object), SIMPLIFY_TOLERANCE)
    res, west, north = FIT_GRID.res, FIT_GRID.west, FIT_GRID.north
    return [
        shapely.transform(
            g, lambda c: np.column_stack([west + c[:, 0] * res, north - c[:, 1] * res]).round(6)
        )
        for g in smooth
    ]


def _cut_enclave(host: shapely.Geometry, enclave: Polygon) -> Polygon:
    """``host`` with ``enclave`` cut out as a hole built from the enclave's own ring.

    Reusing the ring keeps the shared border identical, so the two polygons
    neither overlap nor leave a sliver.

    Raises:
        ValueError: ``host`` is not one polygon or does not hold the enclave with
            a margin (the fit went wrong; change the seed or the attractors).
    """
    if not isinstance(host, Polygon) or not Polygon(host.exterior).contains(enclave.buffer(0.01)):
        raise ValueError("the enclave host must be one polygon holding the enclave")
    if any(Polygon(ring).intersects(enclave) for ring in host.interiors):
        raise ValueError("the enclave touches an existing hole of its host")
    return Polygon(host.exterior, [*host.interiors, enclave.exterior.coords[::-1]])


def make_districts(
    rng: np.random.Generator, river: RiverIndex, sea_1950s: shapely.Geometry
) -> dict[str, shapely.Geometry]:
    """Build the nine sample district polygons.

    Args:
        rng: Random generator for the border noise.
        river: The sample river, whose corridor must lie in the oblast.
        sea_1950s: The late-1950s Aral Sea (lon/lat), most of whose Kazakh part
            goes to Aral, as in reality.

    Returns:
        P-code to (Multi)Polygon in EPSG:4326 with coordinates rounded to 6
        decimals (as written to GeoJSON), in the order of
        :data:`layers.sample.facts.DISTRICTS`. The polygons form a coverage:
        valid, non-overlapping, with shared borders made of identical vertices.
    """
    islet = _islet()
    baikonur = _baikonur()
    labels = fit_labels(rng, river, sea_1950s, geodesic_area_km2(islet))
    result: dict[str, shapely.Geometry] = {BAIKONUR: baikonur}
    for district, geom in zip(FITTED, _vectorize(labels), strict=True):
        if district.pcode == ARAL:
            geom = MultiPolygon([geom, islet])
        elif district.pcode == KAZALY:
            geom = _cut_enclave(geom, islet)
        elif district.pcode == KARMAKSHY:
            geom = _cut_enclave(geom, baikonur)
        result[district.pcode] = geom
    return {d.pcode: shapely.orient_polygons(result[d.pcode]) for d in DISTRICTS}
