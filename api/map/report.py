"""The printable one-page preparedness report of a district (HTML, or PDF via weasyprint).

:func:`~api.map.report_data.report_context` gathers what a district planner needs
from a build; :func:`render_report` adds the map inset and fills the Jinja2 template;
:func:`report_pdf` prints it. The HTML is self-contained (styles inline, the inset a
``data:`` image) so it can be saved, mailed or printed.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import geopandas as gpd
import jinja2

from aralrisk.api.map import inset
from aralrisk.api.map.assets import OWN_STATIC
from aralrisk.api.map.guidance import TopicAdvice
from aralrisk.api.map.planner import planner_context
from aralrisk.api.map.report_data import fmt, report_context
from aralrisk.geo.errors import NotFoundError
from aralrisk.layers.result import BuildResult, classes_from_manifest

TEMPLATES = OWN_STATIC.parent / "templates"

__all__ = ["PdfUnavailable", "render_report", "report_context", "report_pdf"]


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


def _people(value: float | None) -> str:
    """People for print: ``≈ 1,234`` (an en dash for no data)."""
    return "–" if value is None else f"≈ {value:,.0f}"


def _score(value: float | None) -> str:
    """A 0-10 score with one decimal (an en dash for no data)."""
    return "–" if value is None else f"{value:.1f}"


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt
    env.filters["people"] = _people
    env.filters["score"] = _score
    env.filters["percent"] = _percent
    env.filters["css"] = lambda text: str(text).lower().replace(" ", "-")
    # The translator: a `_` given with the page's context wins over this English fallback.
    env.globals.setdefault("_", _untranslated)
    return env


def _untranslated(message: str, /, **values: Any) -> str:
    """``message`` as written (English), its ``{name}`` placeholders filled."""
    return message.format(**values) if values else message


def render_report(build: BuildResult, code: str) -> str:
    """The report of district ``code`` as one self-contained HTML page.

    Raises:
        NotFoundError: The build has no such district.
    """
    if code not in set(build.districts["code"].astype(str)):
        raise NotFoundError(f"unknown district {code!r}; the districts are listed at /districts")
    context: dict[str, Any] = report_context(build, code)
    classes = classes_from_manifest(build.manifest)
    png = inset.inset_png(build.districts, code, _water(build), classes)
    context["inset"] = inset.data_uri(png)
    context["advice_columns"] = two_columns(context["advice"])
    context["dense"] = sum(advice_size(t) for t in context["advice"]) > DENSE_ADVICE
    # Page 2: settlements in high-hazard areas, contacts, season calendar, data dates.
    context["planner"] = planner_context(build, code, str(context.get("lang") or "en"))
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
