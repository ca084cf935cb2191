"""The printable one-page preparedness report of a district (HTML, or PDF via weasyprint).

:func:`~api.map.report_data.report_context` gathers what a district planner needs
from a build; :func:`render_report` adds the map inset and fills the Jinja2 template;
:func:`report_pdf` prints it. The HTML is self-contained (styles inline, the inset a
``data:`` image) so it can be saved, mailed or printed. :func:`render_oblast_report` is
the oblast's one-page summary (map, ranking, hazard levels, date of the data).

Reports are written in Kazakh, Russian or English: each language has its own Jinja
environment whose ``_`` and number filters are that language's (an environment is
shared by threads, so nothing language-specific is switched on a shared one).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

import geopandas as gpd
import jinja2

from aralrisk.api import hazards, i18n
from aralrisk.api.i18n import Translator
from aralrisk.api.map import inset
from aralrisk.api.map.assets import OWN_STATIC
from aralrisk.api.map.guidance import TopicAdvice
from aralrisk.api.map.planner import planner_context
from aralrisk.api.map.report_alerts import alerts_html
from aralrisk.api.map.report_data import build_facts, fmt, report_context
from aralrisk.geo.errors import NotFoundError
from aralrisk.layers.result import BuildResult, classes_from_manifest

TEMPLATES = OWN_STATIC.parent / "templates"

__all__ = [
    "PdfUnavailable",
    "pdf_filename",
    "render_oblast_report",
    "render_report",
    "report_context",
    "report_pdf",
]


def two_columns(advice: list[TopicAdvice]) -> tuple[list[TopicAdvice], list[TopicAdvice]]:
    """Topics in two columns of about equal length, keeping their order top to bottom.

    The split is made here rather than by CSS columns, which weasyprint balances by
    laying the text out many times.
    """
    size = advice_size
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


#: Characters of advice (as :func:`advice_size` counts them) above which the report is
#: set denser to stay on one A4 page: two high hazards and a medium one are about
#: 3,200 (Kyzylorda in the sample), three high and a medium one about 3,800, every
#: hazard high about 5,000 (which then just fits).
DENSE_ADVICE = 3000
#: Above this the report is set denser still: Russian and Kazakh run about a quarter
#: longer than English, so the same advice needs it there.
DENSER_ADVICE = 3700
#: :data:`DENSE_ADVICE` in Russian and Kazakh: their tables (layer titles, level rules,
#: hazard names) run longer as well as their advice. Aral in Russian, 2,900 characters
#: of advice with two high hazards, overflowed its summary page by three lines.
DENSE_ADVICE_LONG = 2600


def advice_size(topic: TopicAdvice) -> int:
    """Characters of text plus a heading's worth per topic and per bullet."""
    advice = topic.advice
    if topic.level < 1:  # printed as one line
        return 120 + len(advice.meaning) + sum(len(a) for a in advice.actions)
    return 120 + len(advice.meaning) + sum(60 + len(a) for a in advice.actions)


def _water(build: BuildResult) -> gpd.GeoDataFrame | None:
    rel = build.manifest.get("basemap", {}).get("hydrography")
    path = build.path / str(rel) if rel else None
    if path is None or not path.is_file():
        return None
    water = gpd.read_file(path)
    return water if "kind" in water.columns else None


def _people(value: float | None, tr: Translator) -> str:
    """People for print: ``≈ 1,234`` (an en dash for no data)."""
    return "–" if value is None else f"≈ {tr.number(value)}"


def _score(value: float | None, tr: Translator) -> str:
    """A 0-10 score with one decimal (an en dash for no data)."""
    return "–" if value is None else tr.number(value, 1)


def _percent(share: float | None, tr: Translator) -> str:
    return "–" if share is None else f"{tr.number(100 * share)}%"


def _present(value: Any) -> float | None:
    """A finite number, or ``None`` (NaN and missing alike)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if x == x else None


@cache
def _environment(lang: str = i18n.DEFAULT_LANG) -> jinja2.Environment:
    tr = i18n.translator(lang)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda value, units="": fmt(value, units, tr)
    env.filters["people"] = lambda value: _people(_present(value), tr)
    env.filters["score"] = lambda value: _score(_present(value), tr)
    env.filters["percent"] = lambda share: _percent(_present(share), tr)
    env.filters["css"] = lambda text: str(text).lower().replace(" ", "-")
    # The language's translator (a `_` given with the page's context still wins).
    env.globals["_"] = tr
    env.globals["lang"] = lang
    return env


def _other_districts(build: BuildResult, code: str | None, lang: str) -> list[dict[str, str]]:
    """Every district but ``code``, named in ``lang``, in the build's rank order."""
    return [
        {"code": str(r["code"]), "name": i18n.district_name(str(r["code"]), lang, r)}
        for r in build.districts.to_dict("records")
        if str(r["code"]) != code
    ]


def pdf_filename(title: str, build: BuildResult) -> str:
    """The PDF's file name: the title (a district's name) and the build date.

    ``Аральский район`` gives ``Аральский-район-2026-03-01.pdf``; the router adds an
    ASCII fallback for old clients (RFC 6266).
    """
    text = unicodedata.normalize("NFC", title)
    stem = re.sub(r"\W+", "-", text).strip("-") or "report"
    created = str(build.manifest.get("created") or "")[:10]
    return f"{stem}-{created}.pdf" if created else f"{stem}.pdf"


def _untranslated(message: str, /, **values: Any) -> str:
    """``message`` as written (English), its ``{name}`` placeholders filled."""
    return message.format(**values) if values else message


def render_report(build: BuildResult, code: str, *, lang: str = i18n.DEFAULT_LANG) -> str:
    """The report of district ``code`` as one self-contained HTML page in ``lang``.

    Raises:
        NotFoundError: The build has no such district.
    """
    if code not in set(build.districts["code"].astype(str)):
        raise NotFoundError(f"unknown district {code!r}; the districts are listed at /districts")
    tr = i18n.translator(lang)
    context: dict[str, Any] = report_context(build, code, tr)
    classes = classes_from_manifest(build.manifest)
    names = i18n.district_names(build.districts.to_dict("records"), lang)
    png = inset.inset_png(build.districts, code, _water(build), classes, names=names)
    context["inset"] = inset.data_uri(png)
    context["advice_columns"] = two_columns(context["advice"])
    size = sum(advice_size(t) for t in context["advice"])
    context["long"] = lang != "en"
    context["dense"] = size > (DENSE_ADVICE_LONG if context["long"] else DENSE_ADVICE)
    context["denser"] = size > DENSER_ADVICE or (context["long"] and context["dense"])
    context["others"] = _other_districts(build, code, lang)
    context["lang"] = lang
    # Page 2: settlements in high-hazard areas, contacts, season calendar, data dates.
    context["planner"] = planner_context(build, code, lang)
    # The report opens with the district's alerts, when forecasts were published.
    context["alerts_html"] = alerts_html(build.path, code, lang)
    css = (OWN_STATIC / "report.css").read_text(encoding="utf-8")
    return _environment(lang).get_template("report.html.j2").render(css=css, **context)


#: The oblast map of the one-pager, in inches (about 17 x 11 cm on A4).
OBLAST_MAP_SIZE = (6.7, 4.3)


def oblast_context(build: BuildResult, tr: Translator) -> dict[str, Any]:
    """What the oblast one-pager shows, in the build's rank order.

    Every district's risk, hazard level, people exposed and each (weighted) hazard's
    level, and the build's dates.
    """
    shown = [h for h in build.registry.hazards if not h.context]
    rows = []
    for row in build.districts.to_dict("records"):
        code = str(row["code"])
        rank = _present(row.get("rank"))
        levels = [hazards.level_code(row.get(f"{h.id}_level")) for h in shown]
        rows.append(
            {
                "code": code,
                "name": i18n.district_name(code, tr.lang, row),
                "rank": int(rank) if rank is not None else None,
                "risk": _present(row.get("risk")),
                "risk_class": str(row.get("risk_class") or "no data"),
                "risk_label": tr(str(row.get("risk_class") or "no data")),
                "level": hazards.level_code(row.get("hazard_level")),
                "level_label": tr(hazards.level_label(row.get("hazard_level"))),
                "people_exposed": _present(row.get("people_exposed")),
                "levels": [(k, tr(hazards.level_label(k))) for k in levels],
            }
        )
    manifest = build.manifest
    classes = classes_from_manifest(manifest)
    return {
        "rows": rows,
        "hazards": [tr(h.title) for h in shown],
        "classes": classes.name,
        "risk_classes": [(tr(name), inset.class_color(name, classes)) for name in classes.labels],
        "build": build_facts(build, tr),
    }


def render_oblast_report(build: BuildResult, *, lang: str = i18n.DEFAULT_LANG) -> str:
    """The oblast on one A4 page in ``lang``: map, ranking, hazard levels, date of the data."""
    tr = i18n.translator(lang)
    context = oblast_context(build, tr)
    classes = classes_from_manifest(build.manifest)
    names = i18n.district_names(build.districts.to_dict("records"), lang)
    png = inset.inset_png(
        build.districts, None, _water(build), classes, names=names, size=OBLAST_MAP_SIZE
    )
    context["map"] = inset.data_uri(png)
    css = (OWN_STATIC / "report.css").read_text(encoding="utf-8")
    return _environment(lang).get_template("oblast.html.j2").render(css=css, **context)


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
