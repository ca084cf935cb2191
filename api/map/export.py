"""``aralrisk map --out map.html``: the risk map as one self-contained file.

For e-mail or a USB stick: Leaflet, our scripts and styles are inlined, and everything
the served page fetches from the API is embedded — the districts (geometry once, the
results under every weight profile and method, so the selector still works), the
catalog with its legends, the profiles, the water outlines and, instead of tiles, one
picture per layer (:mod:`api.map.images`), the composite and risk once per profile and
method. Only point values and district reports need the live service.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from aralrisk.api import features, i18n
from aralrisk.api.i18n import Translator
from aralrisk.api.map import csp, images
from aralrisk.api.map.page import OSM_ORIGIN, render_page
from aralrisk.api.routers.catalog import layer_summary, realised_profile, surface_summaries
from aralrisk.api.tiles.render import layer_shares
from aralrisk.layers import scoring
from aralrisk.layers.result import COMBINED, BuildResult, classes_from_manifest
from aralrisk.layers.specs import EXPOSED_BREAKS, EXPOSED_COLORS

#: Outline tolerance of the exported districts (degrees, about 100 m): the file stays
#: small and a planner sees no difference at oblast scale.
SIMPLIFY_DEG = 0.001
METHODS = ("geometric", "max")


def catalog(build: BuildResult, tr: Translator | None = None) -> dict[str, Any]:
    """The layer catalog as ``GET /layers`` gives it (in ``tr``'s language), no tile URLs."""
    return {
        "build": build.version,
        "classes": classes_from_manifest(build.manifest).name,
        "layers": [layer_summary(build, spec, tr) for spec in build.registry.values()],
        "surfaces": surface_summaries(build, tr),
    }


def usable_profiles(build: BuildResult, tr: Translator | None = None) -> list[dict[str, Any]]:
    """The weight profiles that weight at least one of the build's hazards."""
    tr = tr or i18n.translator(i18n.DEFAULT_LANG)
    out = []
    for profile in build.registry.profiles.values():
        realised = realised_profile(build, profile.id)
        if not realised["weights"]:
            continue
        out.append(
            {
                "id": profile.id,
                "title": tr(profile.title),
                "description": tr(profile.description),
                **realised,
            }
        )
    return out


def district_shapes(build: BuildResult) -> dict[str, Any]:
    """Code -> outline and the properties that do not change with weights."""
    out = {}
    for row in build.districts.to_dict("records"):
        feature = features.feature(row, SIMPLIFY_DEG)
        props = {k: v for k, v in feature["properties"].items() if k not in COMBINED}
        out[str(row["code"])] = {"geometry": feature["geometry"], "properties": props}
    return out


def district_scores(build: BuildResult, profile: str, method: str) -> dict[str, Any]:
    """The weight-dependent results of every district under one profile and method."""
    table = build.rescore(profile, None, method)
    weighting = build.weighting(profile, None, method)
    properties = {}
    for row in table.to_dict("records"):
        props = features.properties(row)
        properties[str(row["code"])] = {k: v for k, v in props.items() if k in COMBINED}
    return {
        "order": [str(c) for c in table["code"]],
        "properties": properties,
        "weights": weighting.to_dict()["weights"],
    }


class _Pictures:
    """Reprojects each build raster once and colours it (a few per layer)."""

    def __init__(self, build: BuildResult) -> None:
        self.build = build
        self._rasters: dict[str, images.MercatorRaster] = {}

    def raster(self, name: str) -> images.MercatorRaster:
        if name not in self._rasters:
            self._rasters[name] = images.to_web_mercator(str(self.build.raster(name)))
        return self._rasters[name]

    @staticmethod
    def picture(rgba: np.ndarray, bounds: list[list[float]]) -> dict[str, Any]:
        return {"url": images.png_data_uri(rgba), "bounds": bounds}

    def composite(self, weighting: scoring.Weighting) -> dict[str, Any]:
        """The composite hazard under ``weighting``, as the composite tiles draw it."""
        shares = layer_shares(self.build.registry, weighting)
        layers = self.build.manifest.get("layers", {})
        ids = [
            s.id
            for s in self.build.registry.hazard_layers
            if shares.get(s.id, 0.0) > 0 and "score" in layers.get(s.id, {})
        ]
        scores = {i: self.raster(f"{i}_score").values for i in ids}
        bounds = self.raster(f"{ids[0]}_score").bounds
        values = scoring.composite_cells(scores, self.build.registry, weighting)
        return self.picture(images.score_rgba(values, weighting.classes), bounds)


def pictures(build: BuildResult, profiles: list[str]) -> dict[str, Any]:
    """Every picture of the export: basemap, layers, derived surfaces, composites."""
    made = _Pictures(build)
    classes = classes_from_manifest(build.manifest)
    out: dict[str, Any] = {}
    if "hillshade" in build.manifest.get("basemap", {}):
        shade = made.raster("hillshade")
        out["hillshade"] = made.picture(images.hillshade_rgba(shade.values), shade.bounds)
    for layer_id, meta in build.manifest.get("layers", {}).items():
        spec = build.registry.get(layer_id)
        if "raw" not in meta or spec is None or spec.levels is None or spec.colors is None:
            continue
        raw = made.raster(layer_id)
        out[layer_id] = made.picture(
            images.classify(raw.values, spec.levels, spec.colors), raw.bounds
        )
    rasters = build.manifest.get("rasters", {})
    for name in ("vulnerability", "lack_of_coping"):
        if name in rasters:
            surface = made.raster(name)
            out[name] = made.picture(images.score_rgba(surface.values, classes), surface.bounds)
    if "exposed" in rasters:
        exposed = made.raster("exposed")
        # Nobody exposed (0) is transparent, as on the tiles.
        values = np.where(exposed.values > 0, exposed.values, np.nan)
        out["exposed"] = made.picture(
            images.classify(values, EXPOSED_BREAKS, EXPOSED_COLORS), exposed.bounds
        )
    for profile in profiles:
        for method in METHODS:
            weighting = build.weighting(profile, None, method)
            out[f"hazard|{profile}|{method}"] = made.composite(weighting)
    return out


def _hydrography(build: BuildResult) -> Any:
    rel = build.manifest.get("basemap", {}).get("hydrography")
    path = build.path / str(rel) if rel else None
    if path is None or not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


@contextmanager
def _quiet_numpy() -> Iterator[None]:
    # All-NaN cells (outside the districts) are expected in the composite arithmetic.
    with np.errstate(invalid="ignore", divide="ignore"):
        yield


def embedded_data(build: BuildResult, lang: str = i18n.DEFAULT_LANG) -> dict[str, Any]:
    """Everything the static page's scripts read instead of calling the API, in ``lang``."""
    tr = i18n.translator(lang)
    profiles = usable_profiles(build, tr)
    ids = [p["id"] for p in profiles]
    with _quiet_numpy():
        scores = {f"{p}|{m}": district_scores(build, p, m) for p in ids for m in METHODS}
        images_ = pictures(build, ids)
    scoring_defaults = build.manifest.get("scoring", {})
    return {
        "layers": catalog(build, tr),
        "profiles": {
            "build": build.version,
            "default": scoring_defaults.get("profile", "equal"),
            "method": scoring_defaults.get("method", "geometric"),
            "profiles": profiles,
        },
        "districts": district_shapes(build),
        "scores": scores,
        "hydrography": _hydrography(build),
        "images": images_,
    }


def export_map(
    build: BuildResult,
    *,
    online_basemap: bool = True,
    lang: str = i18n.DEFAULT_LANG,
    extra: dict[str, Any] | None = None,
) -> str:
    """The self-contained map page of ``build`` (one HTML file, no server needed).

    Args:
        build: The build to export.
        online_basemap: Offer OpenStreetMap as an optional layer (needs internet when
            switched on; everything else works offline).
        lang: The page's language (``kk``, ``ru`` or ``en``).
        extra: More data for the page's scripts, merged into the embedded data (the
            offline folder adds settlements, point values and report links:
            :mod:`api.map.offline`).
    """
    html = render_page(
        build,
        online_basemap=online_basemap,
        mode="static",
        embedded={**embedded_data(build, lang), **(extra or {})},
        lang=lang,
    )
    # A file has no response headers: its policy travels in a <meta> element, which
    # keeps the page from loading anything but its own inline code and pictures.
    sources = (OSM_ORIGIN,) if online_basemap else ()
    policy = csp.policy(html, img_sources=sources, connect=False, meta=True)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}"/>'
    return html.replace("<head>", "<head>\n" + meta, 1)
