"""The sample Syr Darya: a smooth meandering line through the published waypoints.

The line is a centripetal Catmull-Rom spline (it passes exactly through every
control point and never overshoots into loops) through the waypoints plus the
riverside towns, with two scales of meanders added along its normal. Each
meander term is a whole number of half-waves per spline segment, so it is zero
at every control point: the line still passes through them. The meander
amplitude is scaled until the length matches the published length in the oblast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely import LineString, Point

from aralrisk.layers.sample.facts import (
    RIVER_TOWNS,
    SYR_DARYA_LENGTH_KM,
    SYR_DARYA_WAYPOINTS,
    LonLat,
)
from aralrisk.layers.sample.grids import FloatArray, to_lonlat, to_utm_km

#: Spacing of the densified river line, km.
STEP_KM = 0.25


def control_points() -> list[LonLat]:
    """Waypoints upstream to mouth with each riverside town inserted in order.

    Each town goes between the two consecutive waypoints whose segment passes
    closest to it, so the spline runs through the town itself.
    """
    points = list(SYR_DARYA_WAYPOINTS)
    for town in RIVER_TOWNS.values():
        line = LineString(points)
        along = line.project(Point(town))
        cumulative = np.concatenate(
            [[0.0], np.cumsum(np.hypot(*np.diff(np.asarray(points), axis=0).T))]
        )
        index = int(np.searchsorted(cumulative, along))
        points.insert(index, town)
    return points


def _catmull_rom(points: FloatArray, samples: int) -> tuple[FloatArray, FloatArray]:
    """Centripetal Catmull-Rom spline through ``points`` (n, 2).

    Returns:
        The curve, shape ((n - 1) * samples + 1, 2), and for each curve point
        the fractional segment coordinate (segment index + u, u in [0, 1)).
    """
    ends = np.vstack([2 * points[0] - points[1], points, 2 * points[-1] - points[-2]])
    curve: list[FloatArray] = []
    where: list[FloatArray] = []
    u = np.linspace(0.0, 1.0, samples, endpoint=False)[:, None]
    for i in range(len(points) - 1):
        p0, p1, p2, p3 = ends[i : i + 4]
        t0 = 0.0
        t1 = t0 + np.linalg.norm(p1 - p0) ** 0.5
        t2 = t1 + np.linalg.norm(p2 - p1) ** 0.5
        t3 = t2 + np.linalg.norm(p3 - p2) ** 0.5
        t = t1 + u * (t2 - t1)
        a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
        a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
        a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
        b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
        b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
        curve.append((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2)
        where.append(i + u[:, 0])
    curve.append(points[-1:])
    where.append(np.array([float(len(points) - 1)]))
    return np.vstack(curve), np.concatenate(where)


@dataclass(frozen=True)
class _Meanders:
    """Random meander shape per spline segment (fixed once, scaled by a gain)."""

    broad_sign: FloatArray  # (segments,) +-1 times a size factor
    breaks: list[FloatArray]  # per segment: half-wave ends in u, from 0 to 1
    sizes: list[FloatArray]  # per segment: amplitude of each half-wave, km

    @classmethod
    def draw(cls, rng: np.random.Generator, seg_km: FloatArray) -> _Meanders:
        sign = rng.choice([-1.0, 1.0], size=len(seg_km)) * rng.uniform(0.5, 1.0, len(seg_km))
        breaks, sizes = [], []
        for length in seg_km:
            # Half-waves of 2-6 km with irregular lengths and sizes, as on a lowland river.
            count = max(1, round(length / 4.0))
            widths = rng.uniform(0.5, 1.5, count)
            breaks.append(np.concatenate([[0.0], np.cumsum(widths) / widths.sum()]))
            sizes.append(rng.uniform(0.2, 1.6, count) * rng.choice([-1.0, 1.0], count))
        return cls(sign, breaks, sizes)

    def offset(self, where: FloatArray, seg_km: FloatArray) -> FloatArray:
        """Offset along the normal (km) at fractional segment coordinates ``where``."""
        seg = np.minimum(where.astype(int), len(seg_km) - 1)
        u = where - seg
        # Broad bends: one or two half-waves per segment, a few % of its length.
        bends = np.maximum(1, np.round(seg_km / 40.0))[seg]
        out = 0.06 * seg_km[seg] * np.sin(np.pi * bends * u) * self.broad_sign[seg]
        for i in range(len(seg_km)):
            here = seg == i
            phase = np.interp(u[here], self.breaks[i], np.arange(len(self.breaks[i])))
            wave = np.floor(phase).astype(int).clip(0, len(self.sizes[i]) - 1)
            # sin(pi * phase) is zero at every half-wave end, so sizes may jump there.
            out[here] += self.sizes[i][wave] * np.sin(np.pi * phase)
        return out


def _meandered(base: FloatArray, offset: FloatArray, gain: float) -> FloatArray:
    """Move ``base`` (m, 2) km along its unit normal by ``gain * offset`` km."""
    tangent = np.gradient(base, axis=0)
    tangent /= np.hypot(*tangent.T)[:, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    return base + gain * offset[:, None] * normal


def syr_darya(rng: np.random.Generator) -> LineString:
    """The sample Syr Darya from upstream (south-east) to its mouth, EPSG:4326.

    Args:
        rng: Random generator for the meander directions and sizes.

    Returns:
        A simple LineString in lon/lat degrees, about 976 km long, through
        every published waypoint and riverside town.
    """
    lon, lat = np.asarray(control_points()).T
    knots = np.column_stack(to_utm_km(lon, lat))
    seg_km = np.hypot(*np.diff(knots, axis=0).T)
    base, where = _catmull_rom(knots, 160)
    offset = _Meanders.draw(rng, seg_km).offset(where, seg_km)
    low, high = 0.0, 3.0
    for _ in range(40):  # bisection on the meander gain to match the published length
        gain = 0.5 * (low + high)
        line = _meandered(base, offset, gain)
        length = float(np.hypot(*np.diff(line, axis=0).T).sum())
        low, high = (gain, high) if length < SYR_DARYA_LENGTH_KM else (low, gain)
    out_lon, out_lat = to_lonlat(line[:, 0], line[:, 1])
    return LineString(np.column_stack([out_lon, out_lat]).round(5))


@dataclass(frozen=True)
class RiverIndex:
    """Nearest-point look-up on the river, in UTM 41N km.

    Attributes:
        points: Densified river points, shape (n, 2), km, upstream first.
        chainage: Distance along the river from the upstream end, km, shape (n,).
    """

    points: FloatArray
    chainage: FloatArray

    @classmethod
    def from_line(cls, line: LineString) -> RiverIndex:
        """Densify ``line`` (EPSG:4326) every :data:`STEP_KM` in UTM km."""
        lon, lat = np.asarray(line.coords).T
        x, y = to_utm_km(lon, lat)
        utm = LineString(np.column_stack([x, y]))
        along = np.arange(0.0, utm.length, STEP_KM)
        pts = shapely.get_coordinates(shapely.line_interpolate_point(utm, along))
        return cls(pts, along)

    def nearest(self, x_km: FloatArray, y_km: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Distance to the river (km) and chainage of the nearest river point (km)."""
        tree = cKDTree(self.points)
        dist, idx = tree.query(np.column_stack([x_km.ravel(), y_km.ravel()]))
        return dist.reshape(x_km.shape), self.chainage[idx].reshape(x_km.shape)

    def chainage_of(self, lonlat: LonLat) -> float:
        """Chainage (km from the upstream end) of the river point nearest to ``lonlat``."""
        x, y = to_utm_km(np.array([lonlat[0]]), np.array([lonlat[1]]))
        return float(self.nearest(x, y)[1][0])
