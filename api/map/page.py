"""The risk map page: a folium (Leaflet) map plus our panel, legends and queries.

folium writes the page skeleton (the Leaflet map, the scale bar, the view of the
build's region); our scripts (``static/*.js``) add everything that talks to the API:
the basemap and layer tiles from their TileJSON, the district choropleth, popups
(risk class, hazard level and people exposed side by side), the ranking table (by
risk, hazard level or people exposed), profile selector, legends, point query and
fullscreen button. They read
their settings from a JSON block of the page (:func:`map_config`).

Two renderings share this code:

* **served** (``GET /map``): Leaflet and our scripts are linked from ``static/...``
  routes and every URL is relative to the page, so the page is the same under any host
  or path prefix and can be generated once per build and cached;
* **static** (``aralrisk map --out``): scripts and styles are inlined and the data the
  scripts would fetch is embedded (see :mod:`api.map.export`), so the file works from
  a USB stick.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from html import escape
from typing import Any, Literal, cast

import folium
from branca.element import Element, Figure

from aralrisk.api import i18n
from aralrisk.api.i18n import Translator
from aralrisk.api.map import csp
from aralrisk.api.map.assets import MAP_SCRIPTS, MAP_STYLES, asset, asset_url
from aralrisk.api.routers.catalog import surface_summaries
from aralrisk.geo import index
from aralrisk.layers.registry import score_legend
from aralrisk.layers.result import BuildResult, classes_from_manifest
from aralrisk.layers.specs import HAZARD_LEVEL_COLORS

Mode = Literal["served", "static"]

#: The optional online basemap (only offered when ``Settings.basemap_online``).
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ORIGIN = "https://tile.openstreetmap.org"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)

#: API routes the scripts call, relative to the page (``/map``), so a path prefix
#: given by a reverse proxy is kept. ``{id}`` and ``{code}`` are filled in by the scripts.
ROUTES = {
    "layers": "layers",
    "profiles": "profiles",
    "districts": "districts",
    "point": "point",
    "basemap": "basemap/tilejson.json",
    "hydrography": "basemap/hydrography.geojson",
    "composite": "composite/tilejson.json",
    "layer_tilejson": "layers/{id}/tilejson.json",
    "report": "districts/{code}/report",
    "oblast_report": "report",
}

#: Derived surfaces the map offers as overlays of their own (the composite hazard is the
#: weighted overlay, drawn with the chosen weights).
SURFACE_OVERLAYS = ("exposed", "vulnerability", "lack_of_coping")


@dataclass(frozen=True)
class MapPage:
    """A generated map page and the Content-Security-Policy that lets it run.

    Attributes:
        html: The page.
        csp: Its ``Content-Security-Policy`` (hashes of its own inline blocks).
        version: The build version it shows.
    """

    html: str
    csp: str
    version: str


def attribution(build: BuildResult, tr: Translator | None = None) -> str:
    """The map attribution: the build's sources, flagged when the data are illustrative."""
    tr = tr or i18n.translator(i18n.DEFAULT_LANG)
    text = str(build.manifest.get("attribution") or build.manifest.get("title") or "aralrisk")
    if build.manifest.get("illustrative"):
        text += " · " + tr("illustrative sample data, not for decisions")
    return text


def _district_names(build: BuildResult) -> dict[str, dict[str, str]]:
    """Code -> {language: official name} of the build's districts that have one.

    Only the corrections of api/locale/districts.toml travel in the page: the districts
    themselves (names included) are fetched from /districts, never inlined.
    """
    return i18n.official_names(build.districts["code"].astype(str))


def map_config(
    build: BuildResult, *, online_basemap: bool, mode: Mode, lang: str = i18n.DEFAULT_LANG
) -> dict[str, Any]:
    """The settings the page's scripts read (JSON-serialisable), in language ``lang``.

    Args:
        build: The build shown.
        online_basemap: Offer OpenStreetMap as an optional overlay.
        mode: ``served`` (data from the API) or ``static`` (data embedded later).
        lang: The page's language (titles, labels and legends are translated here; the
            scripts translate their own words with ``AR.t``).
    """
    tr = i18n.translator(lang)
    manifest = build.manifest
    scoring = manifest.get("scoring", {})
    classes = classes_from_manifest(manifest)
    surfaces = {s["id"]: s for s in surface_summaries(build, tr)}
    return {
        "mode": mode,
        "lang": lang,
        # The language's decimal and group marks from CLDR (Babel), as the reports print
        # them: a browser's own locale data may lack them (Chromium formats Kazakh
        # numbers as English ones: 78,568, which reads as 78.568 there).
        "number": i18n.number_symbols(lang),
        "languages": [{"id": k, "name": i18n.LANGUAGE_NAMES[k]} for k in i18n.LANGUAGES],
        # Code -> {language: official name}: labels and the ranking use the page's
        # language, a card names the district in the other two as well.
        "district_names": _district_names(build),
        "created_label": tr.date(str(manifest["created"])) if manifest.get("created") else "",
        "title": str(manifest.get("title") or "aralrisk"),
        "version": build.version,
        "created": manifest.get("created"),
        "illustrative": bool(manifest.get("illustrative")),
        "attribution": attribution(build, tr),
        "bounds": manifest.get("bounds"),
        "defaults": {
            "profile": scoring.get("profile", "equal"),
            "method": scoring.get("method", "geometric"),
        },
        "routes": ROUTES,
        "surfaces": [surfaces[i] for i in SURFACE_OVERLAYS if i in surfaces],
        "classes": {"name": classes.name, "labels": list(classes.labels)},
        "risk_classes": [
            {"name": name, "title": tr(name), **legend}
            for name, legend in zip(
                classes.labels,
                i18n.localize_legend([c.model_dump() for c in score_legend(classes)], "", tr),
                strict=True,
            )
        ],
        "hazards": [
            {"id": h.id, "title": tr(h.title), "group": h.group, "context": h.context}
            for h in build.registry.hazards
        ],
        "level_labels": {str(k): tr(v) for k, v in index.LEVEL_LABELS.items()},
        "level_legend": [
            {"color": HAZARD_LEVEL_COLORS[k], "label": tr(index.LEVEL_LABELS[k])}
            for k in (index.HIGH, index.MEDIUM, index.LOW, index.VERY_LOW, index.NO_DATA)
        ],
        "osm": {"url": OSM_TILES, "attribution": OSM_ATTRIBUTION} if online_basemap else None,
    }


def _json_block(element_id: str, data: Any) -> str:
    """``data`` as a non-executed JSON ``<script>`` block, safe to embed in HTML."""
    # "<" escaped as \u003c: no "</script>" or "<!--" can end the block early.
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def _leaflet_css_inline() -> str:
    """Leaflet's CSS with its images as ``data:`` URIs (a file has no server to ask)."""

    def as_data(match: re.Match[str]) -> str:
        image = asset("leaflet", match.group(1))
        encoded = base64.b64encode(image.body).decode("ascii")
        return f"url(data:{image.media_type};base64,{encoded})"

    return re.sub(r"url\((images/[A-Za-z0-9_.-]+)\)", as_data, asset("leaflet", "leaflet.css").text)


def _folium_map(build: BuildResult) -> folium.Map:
    """The Leaflet map of the build's region, with no tiles (the scripts add ours)."""
    west, south, east, north = build.manifest.get("bounds") or (-180.0, -85.0, 180.0, 85.0)
    fmap = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=7,
        tiles=None,
        control_scale=True,
    )
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap


def render_page(
    build: BuildResult,
    *,
    online_basemap: bool,
    mode: Mode = "served",
    embedded: dict[str, Any] | None = None,
    lang: str = i18n.DEFAULT_LANG,
) -> str:
    """The map page's HTML.

    Args:
        build: The build shown.
        online_basemap: Offer OpenStreetMap as an optional overlay.
        mode: ``served`` links assets from our static routes and fetches data from the
            API; ``static`` inlines the assets and embeds ``embedded``.
        embedded: The data of a static page (see :mod:`api.map.export`).
        lang: The page's language (``kk``, ``ru`` or ``en``).
    """
    tr = i18n.translator(lang)
    fmap = _folium_map(build)
    figure = cast(Figure, fmap.get_root())  # folium.Map adds itself to a Figure
    figure.title = str(build.manifest.get("title") or "aralrisk risk map")
    config = map_config(build, online_basemap=online_basemap, mode=mode, lang=lang)
    config["map"] = fmap.get_name()
    if mode == "served":
        # folium's CDN links replaced by our routes; its other plugins (jQuery,
        # Bootstrap, Font Awesome, awesome-markers) are not needed and are dropped.
        fmap.default_js = [("leaflet", asset_url("leaflet", "leaflet.js"))]
        fmap.default_css = [("leaflet_css", asset_url("leaflet", "leaflet.css"))]
        for name in MAP_STYLES:
            figure.header.add_child(
                Element(f'<link rel="stylesheet" href="{asset_url("map", name)}"/>')
            )
        for name in MAP_SCRIPTS:
            # Deferred: they run after the page (and folium's inline map script) is parsed.
            figure.header.add_child(
                Element(f'<script defer src="{asset_url("map", name)}"></script>')
            )
    else:
        fmap.default_js = []
        fmap.default_css = []
        figure.header.add_child(Element(f"<style>{_leaflet_css_inline()}</style>"))
        figure.header.add_child(Element(f"<script>{asset('leaflet', 'leaflet.js').text}</script>"))
        for name in MAP_STYLES:
            figure.header.add_child(Element(f"<style>{asset('map', name).text}</style>"))
        config["embedded"] = embedded or {}
        # Inline scripts cannot be deferred: ours start on DOMContentLoaded instead.
        script = "\n".join(asset("map", name).text for name in MAP_SCRIPTS)
        figure.header.add_child(Element(f"<script>{script}</script>"))
    figure.header.add_child(Element('<meta name="color-scheme" content="light"/>'))
    # No icon: stops the browser asking the server for /favicon.ico (a 404).
    figure.header.add_child(Element('<link rel="icon" href="data:,"/>'))
    figure.html.add_child(Element(_json_block("ar-config", config)))
    figure.html.add_child(Element(_json_block("ar-messages", tr.js_catalog())))
    panel_label = escape(tr("Risk panel"))
    needs_js = escape(tr("The risk map needs JavaScript."))
    figure.html.add_child(
        Element(
            f'<aside id="ar-panel" aria-label="{panel_label}">'
            f"<noscript>{needs_js}</noscript></aside>"
        )
    )
    html = figure.render()
    # folium's viewport forbids zooming (maximum-scale=1.0, user-scalable=no): on a phone
    # a planner must be able to pinch-zoom the panel and the popups, so it is replaced.
    html = re.sub(
        r'<meta name="viewport"[^>]*>',
        '<meta name="viewport" content="width=device-width, initial-scale=1.0"/>',
        html,
        count=1,
    )
    # folium writes a bare <html>: the page's language is set on it for screen readers,
    # hyphenation and the browser's choice of fonts.
    return re.sub(r"<html(?=[\s>])", f'<html lang="{lang}"', html, count=1)


def build_page(
    build: BuildResult, *, online_basemap: bool, lang: str = i18n.DEFAULT_LANG
) -> MapPage:
    """The served page of ``build`` in ``lang`` with its Content-Security-Policy."""
    html = render_page(build, online_basemap=online_basemap, mode="served", lang=lang)
    sources = (OSM_ORIGIN,) if online_basemap else ()
    return MapPage(html, csp.policy(html, img_sources=sources), build.version)
