"""The printable one-page preparedness report of a district (HTML, or PDF via weasyprint).

:func:`report_context` gathers what a district planner needs from a build (pure: no
I/O but reading the build's own hydrography for the inset); :func:`render_report`
fills the Jinja2 template; :func:`report_pdf` prints it. The HTML is self-contained
(styles inline, the inset a ``data:`` image) so it can be saved, mailed or printed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2

from api.map import inset
from api.map.assets import OWN_STATIC
from api.map.guidance import TopicAdvice, guidance_for
from geo import index
from geo.errors import NotFoundError
from layers.registry import LayerSpec
from layers.result import BuildResult

TEMPLATES = Path(__file__).with_name("templates")
COMBINATION = {
    "geometric": "adjusted geometric mean across hazard groups (INFORM)",
    "max": "maximum across hazard groups",
}


@dataclass(frozen=True)
class HazardLine:
    """One hazard of the district: its value, level and the threshold behind the level."""

    id: str
    title: str
    value: str
    level: int
    level_label: str
    threshold: str
    people_high: float | None
    source: str


@dataclass(frozen=True)
class Indicator:
    """A vulnerability or coping indicator, with the people it stands for when a share."""

    title: str
    value: str
    people: float | None


def _number(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _fmt(value: float | None, units: str = "") -> str:
    if value is None:
        return "no data"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    text = f"{value:,.{digits}f}"
    return f"{text} {units}".strip()


def threshold_text(spec: LayerSpec, level: int) -> str:
    """The rule behind a level, ThinkHazard!-style, e.g. ``> 0.5 m on ≥ 1% of the area``."""
    if spec.levels is None or level in (index.NO_DATA, index.NOT_APPLICABLE):
        return "–"
    share = f"{100 * spec.area_fraction:g}%"
    units = spec.units_label
    if level == index.VERY_LOW:
        return f"< {share} of the area above {spec.levels[0]:g} {units}"
    threshold = spec.levels[min(level, index.HIGH) - 1]
    return f"> {threshold:g} {units} on ≥ {share} of the area"


def hazard_lines(build: BuildResult, row: dict[str, Any]) -> list[HazardLine]:
    """Every hazard layer of the build for one district row, in catalog order."""
    lines = []
    for spec in build.registry.hazards:
        if f"{spec.id}_level" not in row:
            continue
        level = int(row[f"{spec.id}_level"])
        lines.append(
            HazardLine(
                id=spec.id,
                title=spec.title,
                value=_fmt(_number(row.get(f"{spec.id}_value")), spec.units_label),
                level=level,
                level_label=index.LEVEL_LABELS.get(level, "no data"),
                threshold=threshold_text(spec, level),
                people_high=_number(row.get(f"{spec.id}_people_high")),
                source=spec.source,
            )
        )
    return lines


def indicators(
    build: BuildResult, row: dict[str, Any], role: str, population: float | None
) -> list[Indicator]:
    """Vulnerability or coping indicators; shares of the population become people."""
    out = []
    for spec in build.registry.by_role(role):  # type: ignore[arg-type]
        value = _number(row.get(f"{spec.id}_value"))
        if f"{spec.id}_value" not in row:
            continue
        share = spec.units == "percent" and value is not None and population is not None
        people = value / 100.0 * population if share else None  # type: ignore[operator]
        out.append(Indicator(spec.title, _fmt(value, spec.units_label), people))
    return out


def two_columns(advice: list[TopicAdvice]) -> tuple[list[TopicAdvice], list[TopicAdvice]]:
    """Topics in two columns of about equal length, keeping their order top to bottom.

    The split is made here rather than by CSS columns, which weasyprint balances by
    laying the text out many times.
    """

    def size(topic: TopicAdvice) -> int:
        # Characters of text plus a heading's worth per topic and per bullet.
        advice = topic.advice
        return 120 + len(advice.meaning) + sum(60 + len(a) for a in advice.actions)

    total = sum(size(t) for t in advice)
    best, best_gap = 0, float("inf")
    running = 0
    for i in range(len(advice) + 1):
        gap = abs(total - 2 * running)
        if gap < best_gap:
            best, best_gap = i, gap
        if i < len(advice):
            running += size(advice[i])
    return advice[:best], advice[best:]


def _water(build: BuildResult) -> gpd.GeoDataFrame | None:
    rel = build.manifest.get("basemap", {}).get("hydrography")
    path = build.path / str(rel) if rel else None
    if path is None or not path.is_file():
        return None
    water = gpd.read_file(path)
    return water if "kind" in water.columns else None


def report_context(build: BuildResult, code: str) -> dict[str, Any]:
    """Everything the report template shows for district ``code``.

    Raises:
        NotFoundError: The build has no such district.
    """
    table = build.districts
    match = table.loc[table["code"].astype(str) == code]
    if match.empty:
        raise NotFoundError(f"unknown district {code!r}; the districts are listed at /districts")
    row = match.iloc[0].to_dict()
    population = _number(row.get("population"))
    hazards = hazard_lines(build, row)
    levels = {line.id: line.level for line in hazards}
    advice: list[TopicAdvice] = guidance_for(levels)
    manifest = build.manifest
    scoring = manifest.get("scoring", {})
    method = str(row.get("method") or scoring.get("method", "geometric"))
    sources = dict.fromkeys(spec.source for spec in build.registry.values() if spec.source)
    png = inset.inset_png(table, code, _water(build))
    return {
        "district": {
            "code": code,
            "name": row.get("name"),
            "name_kk": row.get("name_kk"),
            "name_ru": row.get("name_ru"),
            "population": population,
            "area_km2": _number(row.get("area_km2")),
        },
        "risk": {
            "value": _number(row.get("risk")),
            "class": row.get("risk_class"),
            "color": inset.class_color(row.get("risk_class")),
            "rank": int(row["rank"]),
            "of": len(table),
            "confidence": row.get("confidence"),
            "min_coverage": _number(row.get("min_coverage")),
            "dimensions": [
                ("Hazard (all hazards combined)", _number(row.get("hazard"))),
                ("Exposure (people)", _number(row.get("exposure"))),
                ("Vulnerability", _number(row.get("vulnerability"))),
                ("Lack of coping capacity", _number(row.get("coping"))),
            ],
            "profile": row.get("profile") or scoring.get("profile"),
            "method": COMBINATION.get(method, method),
        },
        "drivers": list(row.get("drivers") or []),
        "hazards": hazards,
        "vulnerable": indicators(build, row, "vulnerability", population),
        "coping": indicators(build, row, "coping", population),
        "advice": advice,
        "advice_columns": two_columns(advice),
        "risk_classes": list(
            zip(
                index.RISK_CLASS_LABELS,
                (inset.class_color(n) for n in index.RISK_CLASS_LABELS),
                strict=True,
            )
        ),
        "inset": inset.data_uri(png),
        "sources": list(sources),
        "build": {
            "title": manifest.get("title"),
            "version": build.version,
            "created": str(manifest.get("created") or "")[:10],
            "code_version": manifest.get("code_version"),
            "attribution": manifest.get("attribution"),
            "illustrative": bool(manifest.get("illustrative")),
        },
    }


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _fmt
    env.filters["people"] = lambda v: "–" if v is None else f"≈ {v:,.0f}"
    return env


def render_report(build: BuildResult, code: str) -> str:
    """The report of district ``code`` as one self-contained HTML page.

    Raises:
        NotFoundError: The build has no such district.
    """
    context = report_context(build, code)
    css = (OWN_STATIC / "report.css").read_text(encoding="utf-8")
    return _environment().get_template("report.html.j2").render(css=css, **context)


class PdfUnavailable(RuntimeError):
    """weasyprint (or the Pango library it needs) is not installed."""


def report_pdf(html: str) -> bytes:
    """The report printed to PDF (A4, one page) with weasyprint.

    Raises:
        PdfUnavailable: weasyprint or Pango is missing; says how to install them.
    """
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango missing from the system
        raise PdfUnavailable(
            "PDF output needs weasyprint and the Pango library: pip install 'aralrisk[pdf]' "
            "and, on Debian, apt-get install libpango-1.0-0 libpangoft2-1.0-0"
        ) from exc
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
