"""One analysis grid for every layer, and the alignment of any raster onto it.

Every layer is reprojected onto one :class:`GridSpec` with :func:`align`; the output
carries exactly the grid's coordinates, so any two aligned layers combine with
``xr.align(a, b, join="exact")``. Coordinates come from the transform by one formula,
so they are bit-identical every time they are computed (1e-12 of drift would break
exact joins).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import dask.array
import numpy as np
import pyproj
import rioxarray  # noqa: F401 - registers the `.rio` accessor used below
import xarray as xr
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling as GdalResampling
from rasterio.windows import Window

from aralrisk.geo._files import PathLike
from aralrisk.geo._warp import reproject_chunked, reproject_counts_chunked
from aralrisk.geo.errors import InputError

__all__ = ["GridSpec", "align", "row_areas_km2"]

Resampling = Literal["nearest", "bilinear", "cubic", "average", "mode", "min", "max", "sum"]
_GDAL_RESAMPLING = {
    "nearest": GdalResampling.nearest,
    "bilinear": GdalResampling.bilinear,
    "cubic": GdalResampling.cubic,
    "average": GdalResampling.average,
    "mode": GdalResampling.mode,
    "min": GdalResampling.min,
    "max": GdalResampling.max,
}
# Bounds within this share of a cell of a grid line are taken to lie on it, so that
# bounds differing by rounding noise snap to the same grid.
_SNAP_TOLERANCE = 1e-6
Bounds = tuple[float, float, float, float]


@dataclass(frozen=True)
class GridSpec:
    """A north-up raster grid: CRS, affine transform and (rows, cols) shape.

    Attributes:
        crs: The grid's CRS.
        transform: Affine transform from (col, row) to CRS coordinates of cell corners;
            no rotation, ``transform.a > 0`` and ``transform.e < 0`` (north-up).
        shape: (rows, cols).

    Examples:
        A half-degree grid over lon 60-62, lat 44-45 (cell centres as coordinates):

        >>> grid = GridSpec.from_bounds((60.0, 44.0, 62.0, 45.0), 0.5, "EPSG:4326")
        >>> grid.shape, grid.bounds
        ((2, 4), (60.0, 44.0, 62.0, 45.0))
        >>> grid.x, grid.y
        (array([60.25, 60.75, 61.25, 61.75]), array([44.75, 44.25]))
        >>> grid.template().shape  # an all-NaN lazy array on the grid
        (2, 4)
    """

    crs: CRS
    transform: Affine
    shape: tuple[int, int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "crs", CRS.from_user_input(self.crs))
        object.__setattr__(self, "transform", Affine(*tuple(self.transform)[:6]))
        object.__setattr__(self, "shape", (int(self.shape[0]), int(self.shape[1])))
        t = self.transform
        if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0:
            raise InputError(
                f"grid transform {tuple(t)[:6]} is rotated or not north-up: warp the raster "
                "to a north-up grid first (gdalwarp)"
            )
        if self.shape[0] < 1 or self.shape[1] < 1:
            raise InputError(f"grid shape {self.shape} is empty: give at least one row and column")

    @classmethod
    def from_bounds(
        cls, bounds: Bounds, resolution: float | tuple[float, float], crs: Any
    ) -> GridSpec:
        """Build the grid covering ``bounds``, snapped outward to whole cells.

        Cell edges sit on whole multiples of the resolution (origin at 0, 0), so grids
        built from nearly equal bounds, or from overlapping bounds, share their cell
        edges and coordinates exactly.

        Args:
            bounds: (left, bottom, right, top) in CRS units.
            resolution: Cell size in CRS units (degrees for EPSG:4326), or (x, y).
            crs: Anything :meth:`rasterio.crs.CRS.from_user_input` accepts.
        """
        if isinstance(resolution, int | float):
            xres, yres = float(resolution), float(resolution)
        else:
            xres, yres = float(resolution[0]), float(resolution[1])
        left, bottom, right, top = (float(v) for v in bounds)
        if not (xres > 0 and yres > 0 and right > left and top > bottom):
            raise InputError(
                f"bounds {bounds} or resolution {resolution} are invalid: give left < right, "
                "bottom < top and a positive resolution"
            )
        k_left, k_right = _snap(left / xres, math.floor), _snap(right / xres, math.ceil)
        k_bottom, k_top = _snap(bottom / yres, math.floor), _snap(top / yres, math.ceil)
        transform = Affine(xres, 0.0, k_left * xres, 0.0, -yres, k_top * yres)
        return cls(CRS.from_user_input(crs), transform, (k_top - k_bottom, k_right - k_left))

    @classmethod
    def from_raster(cls, source: PathLike | xr.DataArray) -> GridSpec:
        """Return the grid of a raster file (header only) or of a georeferenced DataArray.

        A south-up DataArray (ascending ``y``) gives the equivalent north-up grid.
        """
        if isinstance(source, xr.DataArray):
            crs = source.rio.crs
            if crs is None:
                raise InputError("the array has no CRS: write one with `da.rio.write_crs(...)`")
            transform = _transform_of(source)
            shape = (source.rio.height, source.rio.width)
        else:
            from aralrisk.geo.io import raster_grid  # geo.io is the one place that opens files

            crs, transform, shape = raster_grid(source)
        if transform.e > 0:
            transform = Affine(
                transform.a,
                0.0,
                transform.c,
                0.0,
                -transform.e,
                transform.f + transform.e * shape[0],
            )
        return cls(crs, transform, shape)

    @property
    def height(self) -> int:
        """Number of rows."""
        return self.shape[0]

    @property
    def width(self) -> int:
        """Number of columns."""
        return self.shape[1]

    @property
    def res(self) -> tuple[float, float]:
        """Cell size (x, y) in CRS units, both positive."""
        return self.transform.a, -self.transform.e

    @property
    def bounds(self) -> Bounds:
        """(left, bottom, right, top) of the outer cell edges, in CRS units."""
        t = self.transform
        return t.c, t.f + t.e * self.height, t.c + t.a * self.width, t.f

    @property
    def x(self) -> np.ndarray:
        """Cell-centre x coordinates, shape (cols,), float64, west to east."""
        return _centres(self.transform.c, self.transform.a, self.width)

    @property
    def y(self) -> np.ndarray:
        """Cell-centre y coordinates, shape (rows,), float64, north to south."""
        return _centres(self.transform.f, self.transform.e, self.height)

    def cell_area_km2(self) -> np.ndarray:
        """Area of one cell in each row, in km2, shape (rows,).

        Geographic CRS: exact area of the longitude/latitude cell on the CRS's
        ellipsoid (cells shrink roughly with cos(latitude)). Projected CRS: the
        constant cell size in the projection's plane (not corrected for its scale
        factor, which is within 0.1 % in a UTM zone).
        """
        return row_areas_km2(self.crs, self.transform, self.height)

    def template(
        self, chunks: int | tuple[int, int] = 1024, dtype: Any = "float32"
    ) -> xr.DataArray:
        """An all-NaN lazy (dask) DataArray on the grid, with CRS and transform written.

        Args:
            chunks: Dask chunk size in cells, one int or (rows, cols).
            dtype: Float dtype of the array.
        """
        data = dask.array.full(self.shape, np.nan, dtype=dtype, chunks=chunks)
        da = xr.DataArray(data, dims=("y", "x"), coords={"y": self.y, "x": self.x})
        return self.write_georeference(da)

    def write_georeference(self, da: xr.DataArray) -> xr.DataArray:
        """Return ``da`` with the grid's exact x/y coordinates, CRS and transform written."""
        da = da.assign_coords(y=self.y, x=self.x)
        return da.rio.write_crs(self.crs).rio.write_transform(self.transform)

    def window_for_bounds(self, bounds: Bounds) -> Window | None:
        """Rows/cols of the cells touching ``bounds`` (in the grid's CRS), clipped to it.

        Returns:
            A :class:`rasterio.windows.Window`, or None when ``bounds`` miss the grid.
        """
        t = self.transform
        left, bottom, right, top = bounds
        col0 = max(0, _snap((left - t.c) / t.a, math.floor))
        col1 = min(self.width, _snap((right - t.c) / t.a, math.ceil))
        row0 = max(0, _snap((top - t.f) / t.e, math.floor))
        row1 = min(self.height, _snap((bottom - t.f) / t.e, math.ceil))
        if col0 >= col1 or row0 >= row1:
            return None
        return Window(col0, row0, col1 - col0, row1 - row0)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description: CRS (EPSG code or WKT), transform, shape."""
        epsg = self.crs.to_epsg(confidence_threshold=100)
        return {
            "crs": f"EPSG:{epsg}" if epsg else self.crs.to_wkt(),
            "transform": list(tuple(self.transform)[:6]),
            "shape": list(self.shape),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GridSpec:
        """Inverse of :meth:`to_dict`."""
        try:
            return cls(
                CRS.from_user_input(data["crs"]),
                Affine(*data["transform"]),
                (int(data["shape"][0]), int(data["shape"][1])),
            )
        except (KeyError, TypeError, IndexError) as err:
            raise InputError(
                "the grid description is incomplete: give crs, transform (6 numbers) and shape"
            ) from err


def _transform_of(da: xr.DataArray) -> Affine:
    """The north-up transform of a DataArray, without drift from float coordinates.

    Recomputing the cell size from coordinates gives e.g. 0.01000000000000004 instead
    of 0.01, and every coordinate derived from it then drifts. The cell size written on
    the array (rioxarray's cached transform) is kept unless the array was resampled
    since; the origin follows the coordinates (a sliced array gets its own origin) and
    snaps to whole multiples of the cell size, as :meth:`GridSpec.from_bounds` places it.
    """
    computed = da.rio.transform(recalc=True)
    cached = da.rio.transform(recalc=False)
    xres, yres = abs(computed.a), abs(computed.e)
    if math.isclose(abs(cached.a), xres, rel_tol=1e-9) and math.isclose(
        abs(cached.e), yres, rel_tol=1e-9
    ):
        xres, yres = abs(cached.a), abs(cached.e)
    x = da[da.rio.x_dim].to_numpy()
    y = da[da.rio.y_dim].to_numpy()
    left = float(x.min()) - xres / 2
    top = float(y.max()) + yres / 2
    k_left, k_top = round(left / xres), round(top / yres)
    if abs(left / xres - k_left) <= _SNAP_TOLERANCE:
        left = k_left * xres
    if abs(top / yres - k_top) <= _SNAP_TOLERANCE:
        top = k_top * yres
    return Affine(xres, 0.0, left, 0.0, -yres, top)


def _snap(value: float, rounding: Any) -> int:
    nearest = round(value)
    if abs(value - nearest) <= _SNAP_TOLERANCE:
        return int(nearest)
    return int(rounding(value))


def _centres(origin: float, step: float, count: int) -> np.ndarray:
    # On a lattice of whole multiples of the step (every grid from_bounds builds), index
    # the lattice directly: two grids sharing cells then share coordinates bit for bit.
    k = origin / step
    if abs(k - round(k)) <= _SNAP_TOLERANCE:
        return (round(k) + np.arange(count, dtype=np.float64) + 0.5) * step
    return origin + (np.arange(count, dtype=np.float64) + 0.5) * step


def row_areas_km2(crs: CRS, transform: Affine, rows: int) -> np.ndarray:
    """Cell area in km2 for each of ``rows`` rows of a north-up grid, shape (rows,).

    Examples:
        Half-degree cells grow towards the equator (exact ellipsoidal areas):

        >>> grid = GridSpec.from_bounds((60.0, 44.0, 62.0, 45.0), 0.5, "EPSG:4326")
        >>> row_areas_km2(grid.crs, grid.transform, grid.height).round(1)
        array([2200. , 2218.7])
    """
    if not crs.is_geographic:
        _, metres_per_unit = crs.linear_units_factor
        area = abs(transform.a * transform.e) * metres_per_unit**2 / 1e6
        return np.full(rows, area)
    ellipsoid = pyproj.CRS.from_user_input(crs.to_wkt()).ellipsoid
    if ellipsoid is None:
        raise InputError(f"the CRS {crs} has no ellipsoid: cell areas cannot be computed")
    a = ellipsoid.semi_major_metre
    b = ellipsoid.semi_minor_metre
    edges = np.radians(transform.f + transform.e * np.arange(rows + 1, dtype=np.float64))
    width = math.radians(abs(transform.a))
    integral = _authalic_integral(np.sin(edges), a, b)
    return np.abs(np.diff(integral)) * width / 1e6


def _authalic_integral(sin_lat: np.ndarray, a: float, b: float) -> np.ndarray:
    """F(lat) with area(lat1..lat2, dlon) = dlon * (F(lat2) - F(lat1)) on the ellipsoid, m2."""
    e2 = 1.0 - (b * b) / (a * a)
    if e2 < 1e-15:
        return a * a * sin_lat
    e = math.sqrt(e2)
    es = e * sin_lat
    q = sin_lat / (1.0 - es * es) + np.log((1.0 + es) / (1.0 - es)) / (2.0 * e)
    return b * b * q / 2.0


def align(
    da: xr.DataArray,
    grid: GridSpec,
    resampling: Resampling,
    *,
    chunks: int | tuple[int, int] | None = None,
) -> xr.DataArray:
    """Reproject ``da`` (any CRS, any resolution) onto ``grid``.

    Laziness: a dask-backed ``da`` gives a dask-backed result and nothing is computed.
    Each output chunk is one task that warps only the source window its footprint
    needs (see :mod:`geo._warp`), so computing it streams through the source instead
    of loading it. A numpy-backed ``da`` is warped at once through the same windows.

    Args:
        da: Array of dims (y, x) or (lead, y, x) — e.g. (time, y, x) — with a CRS and
            regular coordinates (rioxarray conventions); NaN is no data.
        grid: The target grid.
        resampling: ``"bilinear"`` (or ``"cubic"``) for continuous fields,
            ``"nearest"``/``"mode"`` for classes, ``"average"``/``"min"``/``"max"`` for
            aggregation, and ``"sum"`` for counts such as people per cell. ``"sum"``
            preserves totals: values become densities per km2 with the source's cell
            areas, are averaged onto the grid by area overlap, and are multiplied by the
            grid's cell areas; no-data source cells count as 0 people inside a target
            cell that has any valid source cell, and a target cell with none is NaN.
        chunks: Output dask chunk size (rows, cols); by default chosen so that one task
            reads at most about 32 M source cells.

    Returns:
        DataArray with dims (..., y, x), exactly ``grid.y``/``grid.x`` as coordinates,
        the grid's CRS and transform written, NaN where there is no data, float dtype
        of the input (float64 for ``"sum"``), and the input's name and attrs.

    Raises:
        InputError: ``da`` has no CRS, no x/y dimensions, more than one leading
            dimension, or a rotated transform; or ``resampling`` is unknown.

    Examples:
        A quarter-degree field averaged onto a half-degree grid (2 x 2 cells each):

        >>> import numpy as np, xarray as xr
        >>> fine = GridSpec.from_bounds((60.0, 44.0, 62.0, 45.0), 0.25, "EPSG:4326")
        >>> field = fine.write_georeference(
        ...     xr.DataArray(np.arange(32.0).reshape(4, 8), dims=("y", "x")))
        >>> grid = GridSpec.from_bounds((60.0, 44.0, 62.0, 45.0), 0.5, "EPSG:4326")
        >>> coarse = align(field, grid, "average")
        >>> coarse.dims, coarse.values
        (('y', 'x'), array([[ 4.5,  6.5,  8.5, 10.5],
                [20.5, 22.5, 24.5, 26.5]]))
    """
    if resampling not in (*_GDAL_RESAMPLING, "sum"):
        raise InputError(
            f"unknown resampling {resampling!r}: choose one of "
            f"{', '.join([*_GDAL_RESAMPLING, 'sum'])}"
        )
    src, lead_dim = _north_up_source(da)
    src_crs = src.rio.crs
    src_transform = _transform_of(src)
    data = src.data
    if data.ndim == 2:
        data = data[None]
    if data.dtype.kind != "f":
        data = data.astype(np.float64)
    chunk_shape = (chunks, chunks) if isinstance(chunks, int) else chunks
    warp_args = (src_transform, src_crs, grid.transform, grid.crs, grid.shape)
    if resampling == "sum":
        result = _sum_preserving(data, src_crs, src_transform, grid, chunk_shape)
    else:
        result = reproject_chunked(data, *warp_args, _GDAL_RESAMPLING[resampling], chunk_shape)
    if lead_dim is None:
        result = result[0]
        dims: tuple[Any, ...] = ("y", "x")
        coords: dict[Any, Any] = {}
    else:
        dims = (lead_dim, "y", "x")
        coords = {k: v for k, v in src.coords.items() if v.dims == (lead_dim,)}
    out = xr.DataArray(result, dims=dims, coords=coords, name=da.name, attrs=dict(da.attrs))
    return grid.write_georeference(out)


def _north_up_source(da: xr.DataArray) -> tuple[xr.DataArray, Any]:
    if da.rio.crs is None:
        raise InputError(
            f"array {da.name or ''} has no CRS: write one with `da.rio.write_crs(...)`".replace(
                "array  ", "array "
            )
        )
    try:
        x_dim, y_dim = da.rio.x_dim, da.rio.y_dim
    except Exception as err:  # rioxarray raises MissingSpatialDimensionError
        raise InputError(
            "the array has no x/y dimensions: name them x/y or set them with "
            "`da.rio.set_spatial_dims(...)`"
        ) from err
    da = da.rename({x_dim: "x", y_dim: "y"}) if (x_dim, y_dim) != ("x", "y") else da
    da = da.rio.set_spatial_dims(x_dim="x", y_dim="y")
    lead = [d for d in da.dims if d not in ("y", "x")]
    if len(lead) > 1:
        raise InputError(
            f"align takes (y, x) or one extra dimension, got {da.dims}: select the others first"
        )
    da = da.transpose(*lead, "y", "x")
    transform = da.rio.transform(recalc=True)
    if transform.b != 0 or transform.d != 0:
        raise InputError("the array's grid is rotated: warp it to a north-up grid first")
    if da.sizes["y"] > 1 and float(da["y"][1]) > float(da["y"][0]):
        da = da.isel(y=slice(None, None, -1))
    return da, (lead[0] if lead else None)


def _sum_preserving(
    data: np.ndarray | dask.array.Array,
    src_crs: CRS,
    src_transform: Affine,
    grid: GridSpec,
    chunks: tuple[int, int] | None,
) -> np.ndarray | dask.array.Array:
    """Regrid counts: density per km2, area-weighted average, times target cell area."""
    if isinstance(data, dask.array.Array):
        # The same recipe, one task per output chunk that builds the float64 density
        # and validity of its source window only: built on the graph (below), they
        # were whole float64 source chunks, several per window, and held the peak
        # memory of a large build.
        return reproject_counts_chunked(
            data,
            row_areas_km2(src_crs, src_transform, data.shape[1]),
            src_transform,
            src_crs,
            grid.cell_area_km2(),
            grid.transform,
            grid.crs,
            grid.shape,
            chunks,
        )
    bands = data.shape[0]
    src_area = row_areas_km2(src_crs, src_transform, data.shape[1])[None, :, None]
    valid = ~np.isnan(data)
    density = np.where(valid, data.astype(np.float64) / src_area, 0.0)
    # Density and validity ride as bands of one warp: one pass over the source.
    stacked = np.concatenate([density, valid.astype(np.float64)], axis=0)
    warped = reproject_chunked(
        stacked,
        src_transform,
        src_crs,
        grid.transform,
        grid.crs,
        grid.shape,
        GdalResampling.average,
        chunks,
    )
    mean_density, valid_share = warped[:bands], warped[bands:]
    dst_area = grid.cell_area_km2()[None, :, None]
    return np.where(valid_share > 0, mean_density * dst_area, np.nan)
