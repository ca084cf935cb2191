"""Colours of the tiles: discrete classes of a layer's values, scores and hillshade.

Tiles are class maps, never continuous ramps, so that a colour on the map means the
same as in the legend of ``GET /layers`` and in the level a district or ``/point``
reports: classes are cut with the same functions as the build (:func:`geo.index.value_level`
for raw values, :func:`geo.index.risk_class` for 0-10 scores; a value equal to a
threshold falls in the upper class). Palette index 0 is transparent (no data); the
classes follow from 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import numpy.typing as npt

from aralrisk.api.tiles.png import Palette, hex_rgb
from aralrisk.geo import index
from aralrisk.layers.registry import SCORE_COLORS, LayerSpec
from aralrisk.layers.specs import EXPOSED_BREAKS, EXPOSED_COLORS

TRANSPARENT = (0, 0, 0, 0)
Classifier = Callable[[npt.NDArray[np.floating]], npt.NDArray[np.integer]]


def _level_classifier(thresholds: tuple[float, ...]) -> Classifier:
    def classify(values: npt.NDArray[np.floating]) -> npt.NDArray[np.integer]:
        return index.value_level(values, thresholds)

    return classify


@dataclass(frozen=True)
class ClassColors:
    """A discrete colour scale: values cut at increasing thresholds, one colour a class.

    Attributes:
        name: What the classes are (``"levels of flood_rp10"``, ``"score classes"``).
        thresholds: The ``len(colors) - 1`` class boundaries, in the values' units.
        colors: ``#rrggbb`` colour of each class, lowest first.
        classify: Values (NaN = no data) to class numbers 0.. (negative = no data).
    """

    name: str
    thresholds: tuple[float, ...]
    colors: tuple[str, ...]
    classify: Classifier = field(repr=False, compare=False)
    palette: Palette = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.colors) != len(self.thresholds) + 1:
            raise ValueError("a class scale needs one colour more than thresholds")
        palette = Palette([TRANSPARENT, *((*hex_rgb(c), 255) for c in self.colors)])
        object.__setattr__(self, "palette", palette)

    def indices(self, values: npt.NDArray[np.floating]) -> npt.NDArray[np.uint8]:
        """Palette indices of ``values``: 0 where NaN, else class number + 1."""
        classes = self.classify(values)
        return np.where(classes >= 0, classes + 1, 0).astype(np.uint8)


def layer_colors(spec: LayerSpec) -> ClassColors:
    """A layer's raw values in its four level colours (very low .. high).

    Raises:
        ValueError: The layer has no levels or colours (a district-table column).
    """
    if spec.levels is None or spec.colors is None:
        raise ValueError(f"layer {spec.id!r} has no level thresholds or colours")
    return ClassColors(
        f"levels of {spec.id}", spec.levels, spec.colors, _level_classifier(spec.levels)
    )


@cache
def score_colors(classes: index.RiskClasses = index.INFORM_2025) -> ClassColors:
    """0-10 scores and composites in the five classes of an INFORM release."""

    def classify(values: npt.NDArray[np.floating]) -> npt.NDArray[np.integer]:
        return index.risk_class(values, classes)

    return ClassColors(f"score classes ({classes.name})", classes.breaks, SCORE_COLORS, classify)


#: 0-10 scores and composites in the five INFORM 2025 classes.
SCORE_CLASSES = score_colors()


def _exposed_classes(values: npt.NDArray[np.floating]) -> npt.NDArray[np.integer]:
    found = np.searchsorted(np.asarray(EXPOSED_BREAKS), values, side="right")
    with np.errstate(invalid="ignore"):
        nobody = np.isnan(values) | (values <= 0)
    return np.where(nobody, -1, found)


EXPOSED_CLASSES = ClassColors(
    "people exposed per km2", EXPOSED_BREAKS, EXPOSED_COLORS, _exposed_classes
)


def _grey_ramp() -> Palette:
    # Hillshade 1-255 (0 = no data) lightened into 120-250 so that coloured layers
    # drawn over it stay readable.
    greys: list[tuple[int, int, int, int]] = [TRANSPARENT]
    for value in range(1, 256):
        grey = 120 + round(130 * (value - 1) / 254)
        greys.append((grey, grey, grey, 255))
    return Palette(greys)


#: Palette of the offline basemap: hillshade values are the palette indices.
HILLSHADE = _grey_ramp()


def hillshade_png(shade: npt.NDArray[np.generic], valid: npt.NDArray[np.bool_]) -> bytes:
    """A hillshade tile (uint8, 0 = no data) as an indexed grey PNG."""
    return HILLSHADE.encode(np.where(valid, shade, 0).astype(np.uint8))
