"""District alerts as Common Alerting Protocol (CAP 1.2) messages and an Atom feed.

One CAP ``<alert>`` per district, hazard and **event** (consecutive forecast days at
yellow or above), with an ``<info>`` block in English, Kazakh and Russian, the district
outline as ``<polygon>`` and its code as ``<geocode>``. Mapping (docs/methodology.md):

* ``severity``: yellow -> Moderate, orange -> Severe, red -> Extreme (as the European
  MeteoAlarm colours map to CAP); a Cancel is Minor;
* ``certainty``: an ensemble's probability (the event's highest share of members over
  the level's threshold) above 0.5 -> Likely, else Possible (CAP's own ~50% split); a
  deterministic forecast gives no probability and is Likely; a Cancel is Unlikely;
* ``urgency``: onset at or before the message was sent -> Immediate; within 24 hours ->
  Expected; later -> Future; a Cancel is Past;
* ``onset``/``expires``: the start of the event's first UTC day and the end of its last.

Against the previously published messages (:func:`messages`): the first new event of a
district and hazard that had an active message is an **Update** referencing it; an
active message whose district and hazard has no event in the newer forecast gets a
**Cancel** referencing it; other events are new **Alert** messages.

XML is written with the standard library (:mod:`xml.etree.ElementTree`).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

if TYPE_CHECKING:
    from aralrisk.layers.forecasts import DailyForecast

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
DEFAULT_SENDER = "aralrisk@aralrisk.invalid"
SENDER_NAME = "aralrisk (forecast-based district alerts)"
SEVERITY = {"yellow": "Moderate", "orange": "Severe", "red": "Extreme"}
AWARENESS = {
    "yellow": "2; yellow; Moderate",
    "orange": "3; orange; Severe",
    "red": "4; red; Extreme",
}
CATEGORY = {"dust": ("Met", "Health"), "heat": ("Met", "Health"), "river_flood": ("Met",)}
LANGUAGES = ("en-GB", "kk-KZ", "ru-RU")

# Sentences per language, written by us; {placeholders} are filled per message. Dates are
# ISO (2026-03-12) so no month name has to be declined, and counts stand before "чел." /
# "адам" so no Russian numeral agreement is needed.
EVENT = {
    "dust": {"en-GB": "Dust storm", "kk-KZ": "Шаңды дауыл", "ru-RU": "Пыльная буря"},
    "river_flood": {"en-GB": "River flood", "kk-KZ": "Өзен тасқыны", "ru-RU": "Речное наводнение"},
    "heat": {"en-GB": "Heat wave", "kk-KZ": "Аптап ыстық", "ru-RU": "Аномальная жара"},
}
LEVEL_WORDS = {
    "yellow": {
        "en-GB": "Yellow warning",
        "kk-KZ": "Сары қауіп деңгейі",
        "ru-RU": "Жёлтый уровень опасности",
    },
    "orange": {
        "en-GB": "Orange warning",
        "kk-KZ": "Қызғылт сары қауіп деңгейі",
        "ru-RU": "Оранжевый уровень опасности",
    },
    "red": {
        "en-GB": "Red warning",
        "kk-KZ": "Қызыл қауіп деңгейі",
        "ru-RU": "Красный уровень опасности",
    },
}
WHAT = {
    "dust": {
        "en-GB": "daily mean PM10 above {threshold} µg/m³ (highest {value:.0f} µg/m³)",
        "kk-KZ": "PM10 тәуліктік орташа концентрациясы {threshold} мкг/м³-ден жоғары "
        "(ең жоғары мәні {value:.0f} мкг/м³)",
        "ru-RU": "среднесуточная концентрация PM10 выше {threshold} мкг/м³ "
        "(наибольшая {value:.0f} мкг/м³)",
    },
    "heat": {
        "en-GB": "daily maximum temperature above {threshold} °C (highest {value:.0f} °C)",
        "kk-KZ": "ауаның ең жоғары тәуліктік температурасы {threshold} °C-тан жоғары "
        "(ең жоғары мәні {value:.0f} °C)",
        "ru-RU": "максимальная температура воздуха выше {threshold} °C (наибольшая {value:.0f} °C)",
    },
    "river_flood": {
        "en-GB": "river discharge above the {threshold}-year return-period flow "
        "(probability {probability:.0f}%)",
        "kk-KZ": "өзендегі су шығыны {threshold} жылда бір рет қайталанатын шығыннан жоғары "
        "(ықтималдығы {probability:.0f}%)",
        "ru-RU": "расход воды в реке выше расхода {threshold}-летней повторяемости "
        "(вероятность {probability:.0f}%)",
    },
}
PEOPLE = {
    "en-GB": "People where the threshold is exceeded: {people}; children under 5: "
    "{children}; people over 65: {elderly}.",
    "kk-KZ": "Шекті мәннен асқан аумақтағы тұрғындар: {people} адам; 5 жасқа дейінгі "
    "балалар: {children}; 65 жастан асқандар: {elderly}.",
    "ru-RU": "Население в зоне превышения порога: {people} чел.; дети до 5 лет: "
    "{children}; старше 65 лет: {elderly}.",
}
SETTLEMENTS = {
    "en-GB": "Settlements: {names}.",
    "kk-KZ": "Елді мекендер: {names}.",
    "ru-RU": "Населённые пункты: {names}.",
}
FORECAST_OF = {
    "en-GB": "Forecast issued {issued} UTC; days: {days}.",
    "kk-KZ": "Болжам {issued} UTC уақытында шығарылды; күндер: {days}.",
    "ru-RU": "Прогноз выпущен {issued} UTC; дни: {days}.",
}
INSTRUCTION = {
    "dust": {
        "en-GB": "Limit time outdoors, keep windows closed, and protect children, older "
        "people and people with heart or lung disease.",
        "kk-KZ": "Далада болуды шектеңіз, терезелерді жабық ұстаңыз, балаларды, қарт "
        "адамдарды және жүрек пен өкпе аурулары бар адамдарды қорғаңыз.",
        "ru-RU": "Ограничьте пребывание на улице, держите окна закрытыми, берегите детей, "
        "пожилых людей и людей с болезнями сердца и лёгких.",
    },
    "heat": {
        "en-GB": "Drink water often, stay out of the sun from 11:00 to 17:00 and check on "
        "older neighbours.",
        "kk-KZ": "Суды жиі ішіңіз, сағат 11:00-ден 17:00-ге дейін күн астында болмаңыз, "
        "қарт көршілеріңізге көңіл бөліңіз.",
        "ru-RU": "Пейте больше воды, избегайте солнца с 11:00 до 17:00, навещайте пожилых соседей.",
    },
    "river_flood": {
        "en-GB": "Follow the local emergency services, keep away from the river banks and "
        "dikes, and be ready to move people and livestock to higher ground.",
        "kk-KZ": "Жергілікті төтенше жағдайлар қызметтерінің нұсқауларын орындаңыз, өзен "
        "жағасы мен бөгеттерден аулақ болыңыз, адамдар мен малды биік жерге көшіруге "
        "дайын болыңыз.",
        "ru-RU": "Следуйте указаниям местных служб по чрезвычайным ситуациям, держитесь "
        "подальше от берегов реки и дамб, будьте готовы перевести людей и скот на "
        "возвышенность.",
    },
}
CANCELLED = {
    "en-GB": "Cancelled: the forecast issued {issued} UTC no longer reaches the warning "
    "thresholds in {district}.",
    "kk-KZ": "Күші жойылды: {issued} UTC уақытында шығарылған болжам бойынша {district} "
    "аумағында шекті мәндерден асу күтілмейді.",
    "ru-RU": "Отменено: по прогнозу, выпущенному {issued} UTC, пороговые значения в "
    "районе «{district}» больше не превышаются.",
}
LEVEL_SHORT = {
    "yellow": {"en-GB": "yellow", "kk-KZ": "сары", "ru-RU": "жёлтый"},
    "orange": {"en-GB": "orange", "kk-KZ": "қызғылт сары", "ru-RU": "оранжевый"},
    "red": {"en-GB": "red", "kk-KZ": "қызыл", "ru-RU": "красный"},
}
NAME_COLUMN = {"en-GB": "name", "kk-KZ": "name_kk", "ru-RU": "name_ru"}
ILLUSTRATIVE_NOTE = "Illustrative: made from illustrative sample forecasts, not a real warning."


def iso(moment: datetime) -> str:
    """CAP's date-time form: seconds and an explicit offset, never ``Z`` (UTC here)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Message:
    """One CAP message: its record (what the feed and the next diff need) and XML.

    ``xml`` is None for a message carried over from an earlier run (its file is kept).
    """

    record: dict[str, Any]
    xml: bytes | None

    @property
    def identifier(self) -> str:
        """The CAP identifier (also the file name, without ``.xml``)."""
        return str(self.record["identifier"])


def events(rows: pd.DataFrame) -> list[pd.DataFrame]:
    """Runs of consecutive days at yellow or above, for one forecast and district."""
    active = rows[rows["level_rank"] > 0].sort_values("day")
    runs: list[list[int]] = []
    last: date | None = None
    for index, day in zip(active.index, active["day"], strict=True):
        current = date.fromisoformat(day)
        if last is None or current - last > timedelta(days=1):
            runs.append([])
        runs[-1].append(index)
        last = current
    return [active.loc[pd.Index(r)] for r in runs]


def messages(
    table: pd.DataFrame,
    dailies: Sequence[DailyForecast],
    previous: Sequence[Mapping[str, Any]],
    outlines: Mapping[str, shapely.Geometry],
    *,
    sender: str,
    sent: datetime,
    status: str,
    geocode: str,
) -> list[Message]:
    """The CAP messages of a run: new, updated and cancelled alerts, and carried ones.

    Args:
        table: :func:`layers.alerts.district_alerts` rows of every forecast of the run.
        dailies: The run's forecasts (issue times, sources).
        previous: The records of the currently published messages.
        outlines: District outlines (EPSG:4326) by code.
        sender: CAP ``sender``.
        sent: CAP ``sent`` of the new messages.
        status: ``Actual``, or ``Exercise`` for illustrative data.
        geocode: The ``valueName`` of the district code (e.g. ``ADM2_PCODE``).
    """
    by_id = {d.spec.id: d for d in dailies}
    out: list[Message] = []
    for record in previous:
        # Other forecasts' messages stay published until they expire.
        if (
            record["forecast"] not in by_id
            and record["msgType"] != "Cancel"
            and datetime.fromisoformat(record["expires"]) > sent
        ):
            out.append(Message(dict(record), None))
    for forecast_id, daily in by_id.items():
        rows = table[table["forecast"] == forecast_id]
        active_before = [
            r
            for r in previous
            if r["forecast"] == forecast_id
            and r["msgType"] != "Cancel"
            and datetime.fromisoformat(r["expires"]) > daily.issued
        ]
        for code, district_rows in rows.groupby("code", sort=True):
            before = [r for r in active_before if r["code"] == code]
            runs = events(district_rows)
            for n, event in enumerate(runs):
                refs = before if n == 0 else []
                out.append(
                    _message(
                        event, daily, refs, outlines[str(code)], n, sender, sent, status, geocode
                    )
                )
            if not runs and before:
                out.append(
                    _cancel(
                        district_rows.iloc[0], daily, before, outlines[str(code)],
                        sender, sent, status, geocode,
                    )
                )  # fmt: skip
    return out


def _identifier(sender: str, daily: DailyForecast, code: str, n: int, kind: str) -> str:
    host = sender.split("@")[-1]
    return f"{host}.{daily.spec.hazard}.{code}.{daily.issued:%Y%m%dT%H%MZ}.{kind}{n + 1}"


def _message(
    event: pd.DataFrame,
    daily: DailyForecast,
    before: Sequence[Mapping[str, Any]],
    outline: shapely.Geometry,
    n: int,
    sender: str,
    sent: datetime,
    status: str,
    geocode: str,
) -> Message:
    from aralrisk.layers.forecasts import day_bounds

    spec = daily.spec
    top = event.iloc[int(np.argmax(event["level_rank"].to_numpy()))]
    level = str(top["level"])
    onset = day_bounds(date.fromisoformat(event["day"].iloc[0]))[0]
    expires = day_bounds(date.fromisoformat(event["day"].iloc[-1]))[1]
    ensemble = daily.forecast.members > 1
    # At the event's top level: a lower level's threshold is exceeded more often.
    top_rows = event[event["level_rank"] == event["level_rank"].max()]
    probability = float(top_rows["probability"].max()) if ensemble else float("nan")
    certainty = "Likely" if not ensemble or probability > 0.5 else "Possible"
    urgency = "Immediate" if onset <= sent else "Expected" if onset - sent <= _DAY else "Future"
    code = str(top["code"])
    identifier = _identifier(sender, daily, code, n, "a")
    msg_type = "Update" if before else "Alert"
    threshold = spec.thresholds[_level_index(spec, level)]
    # People are those above the event's top level's threshold, on its worst day.
    worst = top_rows
    fill: dict[str, Any] = {
        "threshold": (
            f"{threshold.value:g}"
            if threshold.value is not None
            else threshold.return_period or threshold.label
        ),
        "value": float(event["value_max"].max()),
        "probability": 100 * probability if ensemble else 100.0,
        "people": f"{int(worst['people_exposed'].max()):,}".replace(",", " "),
        "children": _count(worst["children_under5"].max()),
        "elderly": _count(worst["elderly_over65"].max()),
        "issued": f"{daily.issued:%Y-%m-%d %H:%M}",
        "days": {
            lang: ", ".join(
                f"{d} ({LEVEL_SHORT[lv][lang]})"
                for d, lv in zip(event["day"], event["level"], strict=True)
            )
            for lang in LANGUAGES
        },
    }
    settlements = sorted({s for names in event["settlements"] for s in names})
    notes = sorted({s for texts in event["notes"] for s in texts})
    alert = _alert_head(identifier, sender, sent, status, msg_type, before)
    for lang in LANGUAGES:
        district = _district_name(top, lang)
        info = _sub(alert, "info")
        _text(info, "language", lang)
        for category in CATEGORY.get(spec.hazard, ("Met",)):
            _text(info, "category", category)
        _text(info, "event", EVENT[spec.hazard][lang])
        _text(info, "responseType", "Monitor" if level == "yellow" else "Prepare")
        _text(info, "urgency", urgency)
        _text(info, "severity", SEVERITY[level])
        _text(info, "certainty", certainty)
        _event_code(info, spec.hazard)
        _text(info, "effective", iso(sent))
        _text(info, "onset", iso(onset))
        _text(info, "expires", iso(expires))
        _text(info, "senderName", SENDER_NAME)
        event_name = EVENT[spec.hazard][lang]
        if lang != "en-GB":  # after a colon Kazakh and Russian go on in lower case
            event_name = event_name[:1].lower() + event_name[1:]
        headline = f"{LEVEL_WORDS[level][lang]}: {event_name}, {district}"
        _text(info, "headline", headline)
        description = [
            WHAT[spec.hazard][lang].format(**fill) + ".",
            PEOPLE[lang].format(**fill),
            FORECAST_OF[lang].format(**{**fill, "days": fill["days"][lang]}),
        ]
        if settlements:
            description.insert(2, SETTLEMENTS[lang].format(names=", ".join(settlements)))
        if lang == "en-GB":
            description += notes
        _text(info, "description", " ".join(_upper_first(s) for s in description))
        _text(info, "instruction", INSTRUCTION[spec.hazard][lang])
        _text(info, "web", spec.url)
        _parameters(info, level, probability if ensemble else None, event, daily)
        _area(info, district, outline, geocode, code)
    record = {
        "identifier": identifier,
        "sender": sender,
        "sent": iso(sent),
        "msgType": msg_type,
        "status": status,
        "forecast": spec.id,
        "hazard": spec.hazard,
        "code": code,
        "name": str(top["name"]),
        "level": level,
        "onset": iso(onset),
        "expires": iso(expires),
        "issued": iso(daily.issued),
        "headline": f"{LEVEL_WORDS[level]['en-GB']}: {EVENT[spec.hazard]['en-GB']}, {top['name']}",
        "references": [r["identifier"] for r in before],
        "severity": SEVERITY[level],
        "certainty": certainty,
        "urgency": urgency,
        "people_exposed": int(worst["people_exposed"].max()),
    }
    return Message(record, _serialise(alert))


def _cancel(
    row: pd.Series,
    daily: DailyForecast,
    before: Sequence[Mapping[str, Any]],
    outline: shapely.Geometry,
    sender: str,
    sent: datetime,
    status: str,
    geocode: str,
) -> Message:
    spec = daily.spec
    code = str(row["code"])
    identifier = _identifier(sender, daily, code, 0, "c")
    alert = _alert_head(identifier, sender, sent, status, "Cancel", before)
    expires = max(datetime.fromisoformat(r["expires"]) for r in before)
    for lang in LANGUAGES:
        district = _district_name(row, lang)
        info = _sub(alert, "info")
        _text(info, "language", lang)
        for category in CATEGORY.get(spec.hazard, ("Met",)):
            _text(info, "category", category)
        _text(info, "event", EVENT[spec.hazard][lang])
        _text(info, "responseType", "AllClear")
        _text(info, "urgency", "Past")
        _text(info, "severity", "Minor")
        _text(info, "certainty", "Unlikely")
        _event_code(info, spec.hazard)
        _text(info, "effective", iso(sent))
        _text(info, "expires", iso(max(expires, sent)))
        _text(info, "senderName", SENDER_NAME)
        cancelled = CANCELLED[lang].format(
            issued=f"{daily.issued:%Y-%m-%d %H:%M}", district=district
        )
        _text(
            info, "headline", f"{EVENT[spec.hazard][lang]}, {district}: {cancelled.split(':')[0]}"
        )
        _text(info, "description", cancelled)
        _text(info, "web", spec.url)
        _area(info, district, outline, geocode, code)
    record = {
        "identifier": identifier,
        "sender": sender,
        "sent": iso(sent),
        "msgType": "Cancel",
        "status": status,
        "forecast": spec.id,
        "hazard": spec.hazard,
        "code": code,
        "name": str(row["name"]),
        "level": "none",
        "onset": iso(sent),
        "expires": iso(max(expires, sent)),
        "issued": iso(daily.issued),
        "headline": f"{EVENT[spec.hazard]['en-GB']}, {row['name']}: cancelled",
        "references": [r["identifier"] for r in before],
        "severity": "Minor",
        "certainty": "Unlikely",
        "urgency": "Past",
        "people_exposed": 0,
    }
    return Message(record, _serialise(alert))


_DAY = timedelta(days=1)


def _level_index(spec: Any, level: str) -> int:
    return next(k for k, t in enumerate(spec.thresholds) if t.level == level)


def worst_people(event: pd.DataFrame) -> float:
    """People exposed on the event's days at its top level (the most of them)."""
    top = event[event["level_rank"] == event["level_rank"].max()]
    return float(top["people_exposed"].max())


def _count(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "n/a"
    return f"{int(number):,}".replace(",", " ") if math.isfinite(number) else "n/a"


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _district_name(row: pd.Series, lang: str) -> str:
    value = row.get(NAME_COLUMN[lang])
    return str(value) if isinstance(value, str) and value.strip() else str(row["name"])


def _alert_head(
    identifier: str,
    sender: str,
    sent: datetime,
    status: str,
    msg_type: str,
    before: Sequence[Mapping[str, Any]],
) -> ET.Element:
    alert = ET.Element(f"{{{CAP_NS}}}alert")
    _text(alert, "identifier", identifier)
    _text(alert, "sender", sender)
    _text(alert, "sent", iso(sent))
    _text(alert, "status", status)
    _text(alert, "msgType", msg_type)
    _text(alert, "source", "aralrisk")
    _text(alert, "scope", "Public")
    if status == "Exercise":
        _text(alert, "note", ILLUSTRATIVE_NOTE)
    if before:
        refs = " ".join(f"{r['sender']},{r['identifier']},{r['sent']}" for r in before)
        _text(alert, "references", refs)
    return alert


def _event_code(info: ET.Element, hazard: str) -> None:
    code = _sub(info, "eventCode")
    _text(code, "valueName", "aralrisk:hazard")
    _text(code, "value", hazard)


def _parameters(
    info: ET.Element,
    level: str,
    probability: float | None,
    event: pd.DataFrame,
    daily: DailyForecast,
) -> None:
    params = {
        # MeteoAlarm's form, which European CAP clients read: "level; colour; severity".
        "awareness_level": AWARENESS[level],
        "people_exposed": str(int(worst_people(event))),
        "forecast_issued": iso(daily.issued),
        "forecast_source": daily.spec.source,
        "forecast_licence": daily.licence,
        "lead_days": ",".join(str(v) for v in event["lead_days"]),
    }
    if probability is not None:
        params["probability"] = f"{probability:.2f}"
    for name, value in params.items():
        param = _sub(info, "parameter")
        _text(param, "valueName", name)
        _text(param, "value", value)


def _area(info: ET.Element, desc: str, outline: shapely.Geometry, geocode: str, code: str) -> None:
    area = _sub(info, "area")
    _text(area, "areaDesc", desc)
    for ring in _rings(outline):
        _text(area, "polygon", ring)
    gc = _sub(area, "geocode")
    _text(gc, "valueName", geocode)
    _text(gc, "value", code)


def _rings(geom: shapely.Geometry) -> list[str]:
    """CAP polygons: exterior rings as closed 'lat,lon' lists (WGS 84), one per part."""
    parts = list(getattr(geom, "geoms", [geom]))
    rings = []
    for part in parts:
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        coords = list(part.exterior.coords)
        if coords[0] != coords[-1]:
            coords.append(coords[0])
        rings.append(" ".join(f"{lat:.4f},{lon:.4f}" for lon, lat in coords))
    return rings


def _sub(parent: ET.Element, tag: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = _sub(parent, tag)
    element.text = text
    return element


def _serialise(root: ET.Element) -> bytes:
    ET.register_namespace("", root.tag[1:].split("}")[0])
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def atom_feed(messages: Sequence[Message], updated: datetime, title: str | None = None) -> bytes:
    """An Atom 1.0 feed listing the messages, each linking its CAP file (``<id>.xml``).

    Links are relative to the feed (``feed.xml`` and the CAP files share a folder in
    the API: ``/alerts/feed.xml`` and ``/alerts/<id>.xml``).
    """

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", "urn:aralrisk:alerts")
    sub(feed, "title", title or "aralrisk district alerts (CAP 1.2)")
    sub(feed, "updated", iso(updated))
    author = sub(feed, "author")
    sub(author, "name", SENDER_NAME)
    sub(feed, "link", rel="self", href="feed.xml", type="application/atom+xml")
    for message in messages:
        record = message.record
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:aralrisk:cap:{record['identifier']}")
        sub(entry, "title", str(record["headline"]))
        sub(entry, "updated", str(record["sent"]))
        sub(
            entry,
            "link",
            rel="alternate",
            type="application/cap+xml",
            href=f"{record['identifier']}.xml",
        )
        summary = (
            f"{record['msgType']}: {record['headline']}, {record['onset']} to "
            f"{record['expires']} (severity {record['severity']}, certainty "
            f"{record['certainty']}, urgency {record['urgency']})"
        )
        sub(entry, "summary", summary)
    ET.register_namespace("", ATOM_NS)
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
