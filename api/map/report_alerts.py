"""The alert block that opens a district report: its current alerts, or that none was issued.

Read from the alerts published for the report's build (``<root>/alerts/current``, see
:mod:`layers.alerts`). The block's few sentences carry their Kazakh and Russian
translations here, like the CAP messages' (:mod:`layers.cap`), and are rendered to HTML
with every value escaped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from aralrisk.layers import alerts as engine
from aralrisk.layers.cap import EVENT
from aralrisk.layers.publish import BUILDS

_LANG = {"en": "en-GB", "kk": "kk-KZ", "ru": "ru-RU"}
TEXT = {
    "en": {
        "title": "Alerts for the next days",
        "none": "No alert issued for this district: forecast of {issued}.",
        "row": "{day}: {level} — {event}; {people} people exposed",
        "settlements": "settlements: {names}",
        "issued": "Forecasts of {issued}; alerts by aralrisk from {sources}.",
        "yellow": "yellow",
        "orange": "orange",
        "red": "red",
    },
    "kk": {
        "title": "Алдағы күндерге арналған ескертулер",
        "none": "Бұл аудан үшін ескерту шығарылған жоқ: {issued} болжамы.",
        "row": "{day}: {level} — {event}; қауіп аймағында {people} адам",
        "settlements": "елді мекендер: {names}",
        "issued": "{issued} болжамдары; ескертулер aralrisk арқылы жасалған, дереккөздер: "
        "{sources}.",
        "yellow": "сары деңгей",
        "orange": "қызғылт сары деңгей",
        "red": "қызыл деңгей",
    },
    "ru": {
        "title": "Предупреждения на ближайшие дни",
        "none": "Для этого района предупреждений нет: прогноз от {issued}.",
        "row": "{day}: {level} — {event}; в зоне воздействия: {people} чел.",
        "settlements": "населённые пункты: {names}",
        "issued": "Прогнозы от {issued}; предупреждения составлены aralrisk, источники: {sources}.",
        "yellow": "жёлтый уровень",
        "orange": "оранжевый уровень",
        "red": "красный уровень",
    },
}


def _root_of(build_dir: Path) -> Path:
    return build_dir.parent.parent if build_dir.parent.name == BUILDS else build_dir


def alerts_html(build_dir: Path, code: str, lang: str) -> Markup | None:
    """The block for district ``code`` in ``lang``, or None when no alerts are published.

    Lists the district's alerts (yellow and above) by day, hazard and level with the
    people exposed and the settlements affected; without any, says that no alert was
    issued and names the forecasts' issue times.
    """
    run = engine.current_alerts(_root_of(build_dir))
    if run is None:
        return None
    text = TEXT.get(lang, TEXT["en"])
    collection = json.loads((run / "alerts.geojson").read_text(encoding="utf-8"))
    state = engine.read_state(run)
    forecasts: dict[str, Any] = state.get("forecasts", {})
    issued = ", ".join(
        sorted({str(m["issued"])[:16].replace("T", " ") for m in forecasts.values()})
    )
    rows = [
        f["properties"]
        for f in collection["features"]
        if f["properties"]["code"] == code and f["properties"]["level_rank"] > 0
    ]
    rows.sort(key=lambda p: (p["day"], -p["level_rank"], p["hazard"]))
    parts = [
        Markup('<section class="alerts" data-box="alerts" aria-label="{}">').format(text["title"]),
        Markup("<h2>{}</h2>").format(text["title"]),
    ]
    if not rows:
        parts.append(
            Markup('<p data-alerts="none">{}</p>').format(text["none"].format(issued=issued))
        )
    else:
        items = []
        for p in rows:
            event = EVENT.get(p["hazard"], {}).get(_LANG.get(lang, "en-GB"), p["hazard"])
            if lang != "en":  # mid-sentence, Kazakh and Russian nouns are lower case
                event = event[:1].lower() + event[1:]
            line = text["row"].format(
                day=p["day"],
                level=text[p["level"]],
                event=event,
                people=f"{int(p['people_exposed']):,}".replace(",", " "),
            )
            if p.get("settlements"):
                line += "; " + text["settlements"].format(names=", ".join(p["settlements"]))
            items.append(
                Markup('<li data-level="{}" data-hazard="{}">{}</li>').format(
                    p["level"], p["hazard"], line
                )
            )
        parts.append(Markup("<ul>{}</ul>").format(Markup("").join(items)))
    sources = "; ".join(sorted({str(m.get("source", "")) for m in forecasts.values()}))
    parts.append(
        Markup('<p class="alerts-source">{}</p>').format(
            text["issued"].format(issued=issued, sources=sources)
        )
    )
    parts.append(Markup("</section>"))
    return Markup("").join(escape(p) for p in parts)


def alerts_version(build_dir: Path) -> str:
    """The published alerts run of the build's root ('' without one), for cache keys.

    Alerts are published independently of builds, so a report cached per build must
    also be keyed by the alerts it shows.
    """
    run = engine.current_alerts(_root_of(build_dir))
    return run.name if run is not None else ""
