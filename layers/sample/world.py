"""The sample's geography in one object, and its fields sampled on any grid.

:func:`make_world` draws the river, the Aral Sea and the districts once, each
from its own random stream (so changing one part never reshuffles another);
:meth:`World.on` then gives, for any :class:`~layers.sample.grids.Grid`, the
per-cell quantities the rasters are built from (district labels by the cell
centre rule, distances to the river and the dried seabed, sea masks), each
computed once.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from rasterio.features import rasterize
from shapely import LineString

from aralrisk.layers.sample.distance import distance_km, nearest_points
from aralrisk.layers.sample.districts import make_districts
from aralrisk.layers.sample.facts import DISTRICTS
from aralrisk.layers.sample.grids import CRS_GEO, CRS_UTM, FloatArray, Grid, to_lonlat
from aralrisk.layers.sample.hydrography import AralSea, make_aral_sea
from aralrisk.layers.sample.river import RiverIndex, syr_darya

#: The one seed of the sample; every component draws from its own stream of it.
SEED = 20_050_826  # the day the Kokaral dike was closed, more or less (August 2005)

BoolArray = NDArray[np.bool_]

_GEO_TO_UTM_M = Transformer.from_crs(CRS_GEO, CRS_UTM, always_xy=True)


def rng_for(component: str) -> np.random.Generator:
    """The random stream of one named component of the sample (fixed seed)."""
    return np.random.default_rng([SEED, zlib.crc32(component.encode())])


def to_grid_crs(geom: shapely.Geometry, crs: str) -> shapely.Geometry:
    """A lon/lat geometry in ``crs`` (EPSG:4326 unchanged, UTM 41N in metres)."""
    if crs == CRS_GEO:
        return geom
    if crs != CRS_UTM:
        raise ValueError(f"the sample grids are {CRS_GEO} or {CRS_UTM}, not {crs}")
    return shapely.transform(
        geom, lambda c: np.column_stack(_GEO_TO_UTM_M.transform(c[:, 0], c[:, 1]))
    )


@dataclass(frozen=True)
class World:
    """The drawn geography of the sample, EPSG:4326.

    Attributes:
        river: The Syr Darya, upstream first.
        river_index: Nearest-point look-up on the river (UTM 41N km).
        sea: The Aral Sea water bodies and the Aralkum.
        districts: P-code to (Multi)Polygon, in the order of ``facts.DISTRICTS``.
    """

    river: LineString
    river_index: RiverIndex
    sea: AralSea
    districts: dict[str, shapely.Geometry]
    _fields: dict[Grid, GridFields] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def oblast(self) -> shapely.Geometry:
        """Union of the districts (the oblast outline)."""
        return shapely.union_all(list(self.districts.values()))

    @cached_property
    def old_shore_chainage_km(self) -> float:
        """Chainage where the river enters the late-1950s sea, km from its upstream end."""
        lon, lat = to_lonlat(*self.river_index.points.T)
        inside = shapely.contains_xy(self.sea.sea_1950s, lon, lat)
        return float(self.river_index.chainage[np.argmax(inside)])

    def chainage_of(self, lonlat: tuple[float, float]) -> float:
        """Chainage of the river point nearest to a lon/lat point, km."""
        return self.river_index.chainage_of(lonlat)

    def on(self, grid: Grid) -> GridFields:
        """The per-cell fields of the world on ``grid`` (computed once per grid)."""
        if grid not in self._fields:
            self._fields[grid] = GridFields(self, grid)
        return self._fields[grid]


class GridFields:
    """Per-cell quantities of a :class:`World` on one grid, shape (rows, cols) each."""

    def __init__(self, world: World, grid: Grid) -> None:
        self.world = world
        self.grid = grid

    @cached_property
    def labels(self) -> NDArray[np.int16]:
        """District of each cell by the cell-centre rule: 1 + index in DISTRICTS, 0 outside.

        Burned with ``rasterio.features.rasterize`` (``all_touched=False``) in the
        order of ``DISTRICTS``, the rule a reader of the files reproduces.
        """
        shapes = [
            (to_grid_crs(self.world.districts[d.pcode], self.grid.crs), k + 1)
            for k, d in enumerate(DISTRICTS)
        ]
        return rasterize(
            shapes,
            out_shape=self.grid.shape,
            transform=self.grid.transform,
            fill=0,
            all_touched=False,
            dtype="int16",
        )

    @cached_property
    def inside(self) -> BoolArray:
        """Cells whose centre lies in the oblast."""
        return np.asarray(self.labels > 0)

    @cached_property
    def _river(self) -> tuple[FloatArray, FloatArray]:
        index = self.world.river_index
        dist, nearest = nearest_points(self.grid, index.points)
        return dist, index.chainage[nearest]

    @property
    def river_km(self) -> FloatArray:
        """Distance to the Syr Darya, km."""
        return self._river[0]

    @property
    def chainage_km(self) -> FloatArray:
        """Distance along the river (from its upstream end) of the nearest river point, km."""
        return self._river[1]

    @cached_property
    def aralkum_km(self) -> FloatArray:
        """Distance to the dried seabed, km (0 inside it)."""
        return distance_km(self.grid, self.world.sea.aralkum)

    @cached_property
    def small_aral_km(self) -> FloatArray:
        """Distance to the present Small Aral Sea, km (0 inside it)."""
        return distance_km(self.grid, self.world.sea.small_aral)

    @cached_property
    def old_shore_km(self) -> FloatArray:
        """Distance to the late-1950s shoreline, km (inside and outside the old sea)."""
        return distance_km(self.grid, shapely.boundary(self.world.sea.sea_1950s))

    def within(self, geom: shapely.Geometry) -> BoolArray:
        """Cells whose centre lies in the lon/lat polygon ``geom``."""
        lon, lat = self.grid.lonlat
        return np.asarray(shapely.contains_xy(geom, lon, lat))

    @cached_property
    def in_present_sea(self) -> BoolArray:
        """Cells in today's water (Small Aral or the Large Aral's western basin)."""
        return self.within(self.world.sea.small_aral) | self.within(self.world.sea.large_aral_west)

    @cached_property
    def in_sea_1950s(self) -> BoolArray:
        """Cells inside the late-1950s sea (present water or dried seabed)."""
        return self.within(self.world.sea.sea_1950s)


def make_world() -> World:
    """Draw the sample's river, sea and districts (deterministic)."""
    river = syr_darya(rng_for("river"))
    river_index = RiverIndex.from_line(river)
    sea = make_aral_sea(rng_for("sea"))
    districts = make_districts(rng_for("districts"), river_index, sea.sea_1950s)
    return World(river, river_index, sea, districts)
