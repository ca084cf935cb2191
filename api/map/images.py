"""Whole rasters of a build as coloured Web Mercator PNGs, for the static map export.

A file on a USB stick has no tile server, so each layer becomes one picture that
Leaflet stretches over its bounds (``L.imageOverlay``). Leaflet places an image
linearly in Web Mercator, so the raster is first reprojected to EPSG:3857 (nearest
neighbour: classes stay sharp); stretching a degree grid would shift the north of the
oblast by several kilometres. Pictures are at most :data:`MAX_PIXELS` wide or tall,
so the export stays small whatever the raster size.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import rasterio
from affine import Affine
from PIL import Image
from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds

from aralrisk.api.tiles.png import hex_rgb
from aralrisk.geo import index
from aralrisk.layers.registry import SCORE_COLORS

WEB_MERCATOR = "EPSG:3857"
#: Longest side of an exported picture, in pixels.
MAX_PIXELS = 2048

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class MercatorRaster:
    """A raster reprojected to Web Mercator.

    Attributes:
        values: ``(rows, cols)`` float32, NaN where there is no data.
        bounds: ``[[south, west], [north, east]]`` in degrees, as Leaflet takes them.
    """

    values: FloatArray
    bounds: list[list[float]]


def to_web_mercator(path: str, max_pixels: int = MAX_PIXELS) -> MercatorRaster:
    """Band 1 of a raster file reprojected to EPSG:3857 (nearest neighbour)."""
    with rasterio.open(path) as src:
        band = src.read(1, masked=True).astype(np.float32).filled(np.nan)
        transform, width, height = calculate_default_transform(
            src.crs, WEB_MERCATOR, src.width, src.height, *src.bounds
        )
        scale = max(width, height) / max_pixels
        if scale > 1:
            width, height = round(width / scale), round(height / scale)
            transform = transform * Affine.scale(scale)
        out = np.full((height, width), np.nan, dtype=np.float32)
        reproject(
            band,
            out,
            src_transform=src.transform,
            src_crs=src.crs,
            src_nodata=np.nan,
            dst_transform=transform,
            dst_crs=WEB_MERCATOR,
            dst_nodata=np.nan,
            resampling=Resampling.nearest,
        )
    west, north = transform * (0, 0)
    east, south = transform * (width, height)
    lon0, lat0, lon1, lat1 = transform_bounds(WEB_MERCATOR, "EPSG:4326", west, south, east, north)
    return MercatorRaster(out, [[lat0, lon0], [lat1, lon1]])


def classify(
    values: npt.NDArray[np.floating], thresholds: Sequence[float], colors: Sequence[str]
) -> npt.NDArray[np.uint8]:
    """RGBA ``(rows, cols, 4)``: class *k* (above the *k*-th threshold) in ``colors[k]``.

    Thresholds cut as :func:`geo.index.value_level` cuts (a value equal to a threshold
    is in the class above it), so pictures agree with the tiles and the levels.
    Transparent where ``values`` is NaN.
    """
    palette = np.array([(*hex_rgb(c), 255) for c in colors] + [(0, 0, 0, 0)], dtype=np.uint8)
    classes = np.searchsorted(np.asarray(thresholds, dtype=np.float64), values, side="right")
    classes = np.where(np.isnan(values), len(colors), np.minimum(classes, len(colors) - 1))
    rgba: npt.NDArray[np.uint8] = palette[classes]
    return rgba


def score_rgba(
    values: npt.NDArray[np.floating], classes: index.RiskClasses = index.INFORM_2025
) -> npt.NDArray[np.uint8]:
    """0-10 scores in the five class colours of an INFORM release.

    Classed by :func:`geo.index.risk_class` (on the value rounded to one decimal), as
    the tiles class them; transparent where NaN.
    """
    palette = np.array([(*hex_rgb(c), 255) for c in SCORE_COLORS] + [(0, 0, 0, 0)], dtype=np.uint8)
    codes = index.risk_class(values, classes)
    rgba: npt.NDArray[np.uint8] = palette[np.where(codes < 0, len(SCORE_COLORS), codes)]
    return rgba


def hillshade_rgba(values: npt.NDArray[np.floating]) -> npt.NDArray[np.uint8]:
    """A hillshade (1-255 grey, 0 or NaN = no data) as opaque greys."""
    valid = np.isfinite(values) & (values > 0)
    grey = np.clip(np.nan_to_num(values), 0, 255).astype(np.uint8)
    rgba = np.zeros((*values.shape, 4), dtype=np.uint8)
    rgba[..., 0] = rgba[..., 1] = rgba[..., 2] = grey
    rgba[..., 3] = np.where(valid, 255, 0)
    return rgba


def png_data_uri(rgba: npt.NDArray[np.uint8]) -> str:
    """An RGBA array as a ``data:image/png`` URI."""
    buffer = io.BytesIO()
    # (rows, cols, 4) uint8 is read as RGBA.
    Image.fromarray(rgba).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
