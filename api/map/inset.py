"""The map inset of a district report: the district and its neighbours by risk class.

Drawn with matplotlib's object API (a :class:`~matplotlib.figure.Figure` of its own,
no pyplot state), so reports can be rendered in worker threads at the same time.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from aralrisk.geo import index
from aralrisk.layers.registry import SCORE_COLORS

NO_DATA_COLOR = "#bdbdbd"
SEA_COLOR = "#a6cee3"
RIVER_COLOR = "#1f78b4"
#: Inset size in inches and resolution: sharp when printed at about 8 x 6 cm.
SIZE = (3.4, 2.6)  # 64 x 49 mm at the report scale
DPI = 170


def class_color(risk_class: Any, classes: index.RiskClasses = index.INFORM_2025) -> str:
    """The colour of a risk class name of an INFORM release (grey for no data)."""
    try:
        return SCORE_COLORS[classes.labels.index(str(risk_class))]
    except ValueError:
        return NO_DATA_COLOR


def _view(
    target: gpd.GeoSeries, region: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """Bounds around the district with room for its neighbours, inside the region."""
    west, south, east, north = target.total_bounds
    pad = max(0.5 * max(east - west, north - south), 0.3)
    r_west, r_south, r_east, r_north = region
    return (
        max(west - pad, r_west),
        max(south - pad, r_south),
        min(east + pad, r_east),
        min(north + pad, r_north),
    )


def inset_png(
    districts: gpd.GeoDataFrame,
    code: str | None,
    water: gpd.GeoDataFrame | None = None,
    classes: index.RiskClasses = index.INFORM_2025,
    names: Mapping[str, str] | None = None,
    size: tuple[float, float] = SIZE,
) -> bytes:
    """A PNG of district ``code`` (bold outline) and its neighbours filled by risk class.

    Args:
        districts: The build's districts (EPSG:4326) with ``code``, ``name`` and
            ``risk_class``.
        code: The district to show; ``None`` shows the whole oblast, no district bold.
        water: Optional hydrography (EPSG:4326) with a ``kind`` column.
        classes: The INFORM release whose class labels ``risk_class`` holds.
        names: Code -> the name to print (the report's language); default ``name``.
        size: Inches (width, height).
    """
    names = names or {}
    if code is None:
        target = districts.iloc[0:0]
        view = tuple(districts.total_bounds)
    else:
        target = districts.loc[districts["code"].astype(str) == code]
        view = _view(target.geometry, tuple(districts.total_bounds))
    fig = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    colors = [class_color(c, classes) for c in districts["risk_class"]]
    districts.plot(ax=ax, color=colors, edgecolor="#607d8b", linewidth=0.5, alpha=0.85)
    if water is not None and not water.empty:
        seas = water[water["kind"] == "sea_present"]
        rivers = water[water["kind"] == "river"]
        if not seas.empty:
            seas.plot(ax=ax, color=SEA_COLOR, edgecolor=RIVER_COLOR, linewidth=0.4)
        if not rivers.empty:
            rivers.plot(ax=ax, color=RIVER_COLOR, linewidth=0.9)
    if not target.empty:
        target.boundary.plot(ax=ax, color="#000000", linewidth=2.0)
    west, south, east, north = view
    labels = []
    # Largest districts first: a label that would overlap one already placed is dropped
    # (the district stays coloured and outlined), so no name is printed over another.
    # (The report's own district first.) Shapely's planar area in degrees is enough to
    # rank sizes, and asks geopandas for no projection.
    order = districts.assign(
        _own=districts["code"].astype(str) == code, _area=[g.area for g in districts.geometry]
    ).sort_values(["_own", "_area"], ascending=False)
    for _, row in order.iterrows():
        point = row.geometry.representative_point()
        if not (west < point.x < east and south < point.y < north):
            continue
        bold = str(row["code"]) == code
        label = ax.annotate(
            names.get(str(row["code"]), str(row["name"])),
            (point.x, point.y),
            ha="center",
            va="center",
            fontsize=7.5 if bold else 6,
            fontweight="bold" if bold else "normal",
            color="#000000" if bold else "#37474f",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
        )
        labels.append(label)
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    # Degrees of longitude shrink with latitude: keep the shapes' true proportions.
    ax.set_aspect(1.0 / max(math.cos(math.radians((south + north) / 2)), 0.1))
    ax.set_axis_off()
    _declutter(fig, labels)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="#eef1f2")
    return buffer.getvalue()


def _declutter(fig: Figure, labels: list[Any]) -> None:
    """Remove every label whose box overlaps one kept before it (labels in priority order)."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    kept: list[Any] = []
    for label in labels:
        box = label.get_window_extent(renderer)
        if any(box.overlaps(other) for other in kept):
            label.remove()
        else:
            kept.append(box)


def data_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI (the report is one self-contained file)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
