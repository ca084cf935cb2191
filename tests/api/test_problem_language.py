"""Problem details in Kazakh, Russian and English (issue 14, point 1).

``type``, ``title`` and ``status`` stay English; ``detail`` follows ``?lang=`` and
``Accept-Language`` and the answer says which in ``Content-Language``. Each failing
request below is asked in Kazakh (by header) and in Russian (by ``?lang=``), and its
detail must be the exact translated sentence, with the request's values kept as they are;
English stays the sentence it was.
"""

from __future__ import annotations

import ast
import dataclasses
import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aralrisk.api import i18n, problem_text
from aralrisk.api.problem_text import Text, localize_detail, render, validation_text
from aralrisk.geo.errors import ConfigError, InputError, NotFoundError
from aralrisk.layers.result import BuildResult

SQUARE = [[60.2, 44.2], [60.8, 44.2], [60.8, 44.8], [60.2, 44.8], [60.2, 44.2]]
WEIGHT_EN = (
    "the weight of 'dust' must be a finite number >= 0 and at most 1000000 (weights are "
    "relative: dust:2,river_flood:1 weighs dust twice)"
)
NBSP = "\xa0"


@dataclass(frozen=True)
class Case:
    """A failing request and its detail in each language."""

    name: str
    method: str
    url: str
    status: int
    en: str
    kk: str
    ru: str
    json_body: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


CASES = [
    Case(
        "unknown district",
        "GET",
        "/districts/ZZ",
        404,
        "unknown district 'ZZ'; the districts are listed at /districts",
        "белгісіз аудан 'ZZ'; аудандар тізімі — /districts",
        "неизвестный район 'ZZ'; список районов — /districts",
    ),
    Case(
        "unknown layer",
        "GET",
        "/layers/lava",
        404,
        "unknown layer 'lava'; the layers are listed at /layers",
        "белгісіз қабат 'lava'; қабаттар тізімі — /layers",
        "неизвестный слой 'lava'; список слоёв — /layers",
    ),
    Case(
        "bad weight (a sentence of layers.registry)",
        "GET",
        "/districts?weights=dust:-1",
        422,
        WEIGHT_EN,
        "'dust' салмағы шекті сан болуы керек: >= 0 және ең көбі 1000000 (салмақтар "
        "салыстырмалы: dust:2,river_flood:1 шаңға екі есе салмақ береді)",
        "вес 'dust' должен быть конечным числом >= 0 и не больше 1000000 (веса относительны: "
        "dust:2,river_flood:1 придаёт пыли двойной вес)",
    ),
    Case(
        "unknown weight profile",
        "GET",
        "/districts?profile=lava",
        422,
        "unknown weight profile 'lava'; choose one of equal, public_health, agriculture, "
        "infrastructure",
        "белгісіз салмақ профилі 'lava'; мыналардың бірін таңдаңыз: equal, public_health, "
        "agriculture, infrastructure",
        "неизвестный профиль весов 'lava'; выберите один из: equal, public_health, "
        "agriculture, infrastructure",
    ),
    Case(
        "repeated weights",
        "GET",
        "/districts?weights=dust:1&weights=river_flood:2",
        422,
        "query parameter 'weights' is given twice; give it once (several weights go in one: "
        "weights=dust:2,river_flood:1)",
        "'weights' сұрау параметрі екі рет берілген; оны бір рет беріңіз (бірнеше салмақ бір "
        "параметрге жазылады: weights=dust:2,river_flood:1)",
        "параметр запроса 'weights' задан дважды; задайте его один раз (несколько весов "
        "пишутся в одном параметре: weights=dust:2,river_flood:1)",
    ),
    Case(
        "tile that cannot exist",
        "GET",
        "/layers/composite/tiles/3/99/1.png",
        422,
        "tile 3/99/1 does not exist: at zoom 3, x and y run from 0 to 7",
        "3/99/1 тайлы жоқ: 3 масштаб деңгейінде x пен y 0…7 аралығында болады",
        "тайла 3/99/1 не существует: на уровне масштаба 3 x и y лежат в пределах от 0 до 7",
    ),
    Case(
        "zoom outside the layer's range",
        "GET",
        "/layers/flood_rp10/tiles/1/1/1.png",
        404,
        "layer 'flood_rp10' has tiles from zoom 5 to 9; zoom 1 is outside that range",
        "'flood_rp10' қабатының тайлдары 5–9 масштаб деңгейлерінде бар; 1 деңгейі бұл "
        "аралықтан тыс",
        "у слоя 'flood_rp10' есть тайлы на уровнях масштаба 5–9; уровень 1 вне этого диапазона",
    ),
    Case(
        "non-numeric query parameter",
        "GET",
        "/point?lon=abc&lat=44.5",
        422,
        "query parameter 'lon' must be a number, not 'abc'",
        "'lon' сұрау параметрі сан болуы керек, 'abc' емес",
        "параметр запроса 'lon': ожидается число, а не 'abc'",
    ),
    Case(
        "missing query parameter",
        "GET",
        "/point?lon=60.5",
        422,
        "query parameter 'lat' is required",
        "'lat' сұрау параметрі міндетті түрде берілуі керек",
        "требуется параметр запроса 'lat'",
    ),
    Case(
        "parameter above its limit",
        "GET",
        "/districts?simplify=5",
        422,
        "query parameter 'simplify' must be at most 0.05",
        "'simplify' сұрау параметрі ең көбі 0,05 болуы керек",
        "параметр запроса 'simplify': ожидается значение не больше 0,05",
    ),
    Case(
        "value outside a choice",
        "GET",
        "/districts?method=median",
        422,
        "query parameter 'method' must be one of 'geometric', 'max', not 'median'",
        "'method' сұрау параметрі мыналардың бірі болуы керек: 'geometric', 'max'; 'median' емес",
        "параметр запроса 'method': ожидается одно из значений 'geometric', 'max', а не 'median'",
    ),
    Case(
        "path parameter of the wrong form",
        "GET",
        "/layers/%2e%2e",
        422,
        "path parameter 'layer_id' does not match the pattern '^[a-z][a-z0-9_]{0,63}$'",
        "'layer_id' жол параметрі '^[a-z][a-z0-9_]{0,63}$' үлгісіне сәйкес келмейді",
        "параметр пути 'layer_id': значение не соответствует шаблону '^[a-z][a-z0-9_]{0,63}$'",
    ),
    Case(
        "point outside the region",
        "GET",
        "/point?lon=10&lat=10",
        422,
        "the point (10, 10) is outside the region of this build; its districts lie within "
        "lon 60 to 62, lat 44 to 45",
        "(10, 10) нүктесі осы жинақтың аймағынан тыс; жинақтың аудандары бойлық 60…62, ендік "
        "44…45 аралығында жатыр",
        "точка (10, 10) находится вне региона этой сборки; районы сборки лежат в пределах "
        "долготы 60…62, широты 44…45",
    ),
    Case(
        "place filter",
        "GET",
        "/places?district=Z",
        422,
        "unknown district 'Z'; known: A, B, C, D",
        "белгісіз аудан 'Z'; белгілілері: A, B, C, D",
        "неизвестный район 'Z'; известные: A, B, C, D",
    ),
    Case(
        "no alerts published",
        "GET",
        "/alerts",
        404,
        "no alerts are published: run `aralrisk alerts --forecast FILE` for this build",
        "ешбір ескерту жарияланбаған: осы жинақ үшін `aralrisk alerts --forecast FILE` іске "
        "қосыңыз",
        "предупреждения не опубликованы: выполните `aralrisk alerts --forecast FILE` для этой "
        "сборки",
    ),
    Case(
        "405",
        "DELETE",
        "/districts",
        405,
        "Method Not Allowed: /districts takes GET, not DELETE",
        "әдіске рұқсат жоқ: /districts мекенжайы DELETE емес, GET әдістерін қабылдайды",
        "метод не разрешён: /districts принимает GET, а не DELETE",
    ),
    Case(
        "no such route",
        "GET",
        "/nowhere",
        404,
        "no such resource: /nowhere",
        "мұндай ресурс жоқ: /nowhere",
        "такого ресурса нет: /nowhere",
    ),
    Case(
        "bad JSON to /zonal",
        "POST",
        "/zonal",
        422,
        "the body is not valid JSON (error at character 20)",
        "сұрау денесі жарамды JSON емес (қате таңбаның нөмірі: 20)",
        "тело запроса — некорректный JSON (ошибка в символе 20)",
        content=b'{"type": "Polygon", ',
        headers={"Content-Type": "application/json"},
    ),
    Case(
        "missing /zonal body",
        "POST",
        "/zonal",
        422,
        "the body is required",
        "сұрау денесі міндетті түрде берілуі керек",
        "требуется тело запроса",
    ),
    Case(
        "ring not closed (our validator's sentence)",
        "POST",
        "/zonal",
        422,
        "the body at Polygon.coordinates: every ring must end at its first position (a "
        "closed ring)",
        "сұрау денесінің Polygon.coordinates өрісі: әр сақина өзінің бірінші нүктесімен "
        "аяқталуы керек (тұйық сақина)",
        "поле Polygon.coordinates тела запроса: каждое кольцо должно заканчиваться своей "
        "первой точкой (замкнутое кольцо)",
        json_body={"type": "Polygon", "coordinates": [[*SQUARE[:-1], [60.3, 44.3]]]},
    ),
    Case(
        "a line instead of a polygon",
        "POST",
        "/zonal",
        422,
        "the body at Feature.geometry has the type 'LineString', which is not taken here; "
        "the types taken are 'Polygon', 'MultiPolygon'",
        "сұрау денесінің Feature.geometry өрісі: 'LineString' түрі мұнда қабылданбайды; "
        "қабылданатын түрлер: 'Polygon', 'MultiPolygon'",
        "поле Feature.geometry тела запроса: тип 'LineString' здесь не принимается; "
        "принимаются типы: 'Polygon', 'MultiPolygon'",
        json_body={
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "LineString", "coordinates": [[60, 44], [61, 45]]},
        },
    ),
    Case(
        "two features",
        "POST",
        "/zonal",
        422,
        "the FeatureCollection holds 2 features and /zonal takes exactly one: send one "
        "Feature, or merge the polygons into one MultiPolygon first (QGIS: Dissolve)",
        "FeatureCollection ішінде 2 объект бар, ал /zonal дәл біреуін қабылдайды: бір "
        "Feature жіберіңіз немесе алдымен көпбұрыштарды бір MultiPolygon-ға біріктіріңіз "
        "(QGIS: Dissolve)",
        "в FeatureCollection объектов: 2, а /zonal принимает ровно один: пришлите один "
        "Feature или сначала объедините многоугольники в один MultiPolygon (QGIS: Dissolve)",
        json_body={
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {},
                    "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
                }
            ]
            * 2,
        },
    ),
    Case(
        "polygon over the area limit (numbers in the language's format)",
        "POST",
        "/zonal",
        422,
        "the polygon covers 8,922,276 km2 and at most 500,000 km2 are accepted; query a "
        "smaller area",
        f"көпбұрыш 8{NBSP}922{NBSP}276 км² аумақты қамтиды, ал ең көбі 500{NBSP}000 км² "
        "қабылданады; кішірек аумақты сұраңыз",
        f"многоугольник покрывает 8{NBSP}922{NBSP}276 км², а принимается не больше "
        f"500{NBSP}000 км²; запросите меньшую площадь",
        json_body={
            "type": "Polygon",
            "coordinates": [[[40, 30], [80, 30], [80, 55], [40, 55], [40, 30]]],
        },
    ),
    Case(
        "/zonal body that is not JSON",
        "POST",
        "/zonal",
        415,
        "the body must be GeoJSON sent as Content-Type: application/json, and it came as "
        "'text/plain' (curl: add -H 'Content-Type: application/json')",
        "сұрау денесі Content-Type: application/json тақырыбымен жіберілген GeoJSON болуы "
        "керек, ал ол 'text/plain' ретінде келді (curl: -H 'Content-Type: application/json' "
        "қосыңыз)",
        "тело запроса должно быть GeoJSON с Content-Type: application/json, а пришло как "
        "'text/plain' (curl: добавьте -H 'Content-Type: application/json')",
        content=b"hello",
        headers={"Content-Type": "text/plain"},
    ),
    Case(
        "gzipped /zonal body (answered before the application)",
        "POST",
        "/zonal",
        415,
        "request bodies are accepted uncompressed only, not with Content-Encoding 'gzip': "
        "send the JSON as it is",
        "сұрау денесі тек сығылмаған күйде қабылданады, Content-Encoding 'gzip' "
        "қабылданбайды: JSON-ды сол күйінде жіберіңіз",
        "тело запроса принимается только несжатым, без Content-Encoding 'gzip': пришлите "
        "JSON как есть",
        content=gzip.compress(json.dumps({"type": "Polygon", "coordinates": [SQUARE]}).encode()),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    ),
]


def _ask(client: TestClient, case: Case, lang: str | None) -> Any:
    headers = dict(case.headers)
    url = case.url
    if lang == "kk":
        headers["Accept-Language"] = "kk-KZ,kk;q=0.9,ru;q=0.5"
    elif lang == "ru":
        url += ("&" if "?" in url else "?") + "lang=ru"
    return client.request(
        case.method, url, json=case.json_body, content=case.content, headers=headers
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_detail_follows_the_language(client: TestClient, case: Case) -> None:
    answers = {lang: _ask(client, case, lang) for lang in (None, "kk", "ru")}
    for lang, response in answers.items():
        assert response.status_code == case.status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["content-language"] == (lang or "en")
        body = response.json()
        # Machine fields stay English whatever the language.
        assert body["status"] == case.status
        assert body["title"] == answers[None].json()["title"]
        assert body["title"].isascii()
    details = {lang or "en": r.json()["detail"] for lang, r in answers.items()}
    assert details == {"en": case.en, "kk": case.kk, "ru": case.ru}
    assert details["kk"] != details["en"] and details["ru"] != details["en"]


def test_unknown_tile_layer_in_the_requests_language(client: TestClient) -> None:
    """The tile sources' sentence (api.tiles.sources, a NotFoundError) is translated at
    the API boundary, its layer ids kept."""
    url = "/layers/lava/tiles/5/20/11.png"
    en = client.get(url)
    kk = client.get(url, headers={"Accept-Language": "kk"})
    ru = client.get(url + "?lang=ru")
    assert [r.status_code for r in (en, kk, ru)] == [404, 404, 404]
    prefix = "no tiles for layer 'lava'; layers with tiles: "
    assert en.json()["detail"].startswith(prefix)
    known = en.json()["detail"].removeprefix(prefix)
    assert "composite" in known.split(", ")
    assert kk.json()["detail"] == f"'lava' қабатының тайлдары жоқ; тайлдары бар қабаттар: {known}"
    assert ru.json()["detail"] == f"у слоя 'lava' нет тайлов; слои с тайлами: {known}"
    assert [r.headers["content-language"] for r in (en, kk, ru)] == ["en", "kk", "ru"]


def test_oversized_body_in_the_requests_language(make_client: Callable[..., TestClient]) -> None:
    small = make_client(max_body_bytes=100)
    body = json.dumps({"type": "Polygon", "coordinates": [SQUARE * 4]}).encode()
    headers = {"Content-Type": "application/json"}
    en = small.post("/zonal", content=body, headers=headers)
    kk = small.post("/zonal", content=body, headers={**headers, "Accept-Language": "kk"})
    ru = small.post("/zonal?lang=ru", content=body, headers=headers)
    assert [r.status_code for r in (en, kk, ru)] == [413, 413, 413]
    assert en.json()["detail"] == "the request body is larger than 100 bytes"
    assert kk.json()["detail"] == "сұрау денесі 100 байттан үлкен"
    assert ru.json()["detail"] == "тело запроса больше 100 байт"
    assert [r.headers["content-language"] for r in (en, kk, ru)] == ["en", "kk", "ru"]
    assert {r.json()["title"] for r in (en, kk, ru)} == {"Content Too Large"}


def test_no_build_is_said_in_the_requests_language(
    make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    client = make_client(build_dir=tmp_path / "nothing")
    ru = client.get("/districts", headers={"Accept-Language": "ru"})
    assert ru.status_code == 503
    assert ru.json()["detail"] == "ни одна сборка ещё не опубликована: выполните `aralrisk build`"
    kk = client.get("/healthz?lang=kk")
    assert kk.status_code == 503
    assert kk.json()["detail"] == (
        "әзірге ешбір жинақ жарияланбаған: `aralrisk build` іске қосыңыз"
    )
    assert client.get("/layers").json()["detail"] == (
        "no build is published yet: run `aralrisk build`"
    )


def test_alerts_day_in_the_requests_language(alert_client: TestClient) -> None:
    url = "/alerts?day=2026-05-01"
    en = alert_client.get(url)
    kk = alert_client.get(url, headers={"Accept-Language": "kk"})
    ru = alert_client.get(url + "&lang=ru")
    assert [r.status_code for r in (en, kk, ru)] == [422, 422, 422]
    assert en.json()["detail"] == (
        "day 2026-05-01 is not forecast; forecast days: 2026-04-10, 2026-04-11"
    )
    assert kk.json()["detail"] == (
        "2026-05-01 күніне болжам жоқ; болжам күндері: 2026-04-10, 2026-04-11"
    )
    assert ru.json()["detail"] == "на 2026-05-01 прогноза нет; дни прогноза: 2026-04-10, 2026-04-11"
    level = alert_client.get("/alerts?level=purple&lang=kk")
    assert level.json()["detail"] == (
        "белгісіз деңгей 'purple'; белгілілері: none, orange, red, yellow"
    )
    day = alert_client.get("/alerts?day=tomorrow", headers={"Accept-Language": "ru"})
    assert day.json()["detail"] == (
        "параметр запроса 'day': ожидается дата в виде YYYY-MM-DD, а не 'tomorrow'"
    )


# ------------------------------------------------------------------ every sentence


def _problem_message_ids() -> set[str]:
    """The msgids of every problem sentence the API can write by itself."""
    ids = set(problem_text.FOREIGN)
    ids |= set(problem_text._BY_TYPE.values()) | set(problem_text._WHERE.values())
    for message in i18n.extract_messages():
        files = {f for f, _ in message.locations}
        if message.id and files and all(f.startswith(i18n._SERVER_ONLY) for f in files):
            ids.add(str(message.id))
    return ids


def test_every_problem_sentence_is_translated() -> None:
    """A problem sentence missing from a catalog (or untranslated) fails here."""
    ids = _problem_message_ids()
    assert len(ids) > 100
    for lang in ("kk", "ru"):
        messages = i18n.translator(lang).messages
        missing = sorted(m for m in ids if m not in messages)
        assert missing == [], f"{lang}: run python -m aralrisk.api.i18n and translate"


def _calls(tree: ast.AST, name: str) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called == name:
                yield node


def test_every_api_error_sentence_is_marked() -> None:
    """An ``ApiError`` or ``Text`` written with a plain or f-string sentence would reach a
    Kazakh or Russian client in English: its message must be ``N_("...")``, a name bound
    to one, or the sentence of a caught error (``str(exc)``)."""
    api = Path(i18n.__file__).resolve().parent
    unmarked = []
    for path in sorted(api.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, position in (("ApiError", 1), ("Text", 0)):
            for call in _calls(tree, name):
                if len(call.args) <= position:
                    continue
                arg = call.args[position]
                if isinstance(arg, ast.Constant | ast.JoinedStr | ast.BinOp):
                    unmarked.append(f"{path.name}:{call.lineno}")
    assert unmarked == []


# ------------------------------------------------------------------ validation sentences


def _error(kind: str, **ctx: Any) -> dict[str, Any]:
    return {"type": kind, "loc": ("query", "simplify"), "input": "x", "ctx": ctx}


@pytest.mark.parametrize(
    ("error", "en"),
    [
        (_error("int_parsing"), "query parameter 'simplify' must be a whole number, not 'x'"),
        (_error("greater_than", gt=0), "query parameter 'simplify' must be greater than 0"),
        (_error("less_than", lt=1.5), "query parameter 'simplify' must be less than 1.5"),
        (
            _error("string_too_short", min_length=2),
            "query parameter 'simplify' must be at least 2 characters long",
        ),
        (_error("bool_parsing"), "query parameter 'simplify' must be true or false, not 'x'"),
        (
            {"type": "extra_forbidden", "loc": ("body", "name"), "input": 1},
            "the body at name is not a field this request takes; leave it out",
        ),
        (
            {"type": "union_tag_not_found", "loc": ("body",), "ctx": {"discriminator": "'type'"}},
            "the body needs a 'type' member",
        ),
        (
            {"type": "uuid_parsing", "loc": ("header", "x-id"), "input": "?"},
            "header 'x-id' is not valid (uuid_parsing)",
        ),
    ],
)
def test_validation_sentences_are_ours_in_every_language(error: dict[str, Any], en: str) -> None:
    text = validation_text([error])
    assert render(text, "en") == en
    for lang in ("kk", "ru"):
        written = render(text, lang)
        assert written != en
        # The English words of our sentence do not remain (values may).
        for word in ("must", "parameter", "body", "field", "valid", "member"):
            assert word not in written, (lang, written)


def test_numbers_of_a_validation_limit_follow_the_language() -> None:
    text = validation_text([_error("less_than_equal", le=1000000)])
    assert render(text, "en") == "query parameter 'simplify' must be at most 1,000,000"
    assert render(text, "ru").endswith(f"не больше 1{NBSP}000{NBSP}000")


# ------------------------------------------------------------------ sentences from outside


def _raised(make: Callable[[], object]) -> str:
    with pytest.raises((ConfigError, InputError, NotFoundError)) as caught:
        make()
    return str(caught.value).strip("'\"")


def test_foreign_sentences_are_still_the_ones_raised(built: BuildResult, tmp_path: Path) -> None:
    """The templates of api.problem_text.FOREIGN match what geo, layers and the tile,
    asset and build-store modules raise today: a reworded sentence fails here."""
    from aralrisk.api import state
    from aralrisk.api.map import assets
    from aralrisk.api.tiles.sources import basemap_source, hydrography_path, tile_source
    from aralrisk.layers import publish, scoring
    from aralrisk.layers.registry import check_weight, parse_weights

    registry = built.registry
    no_basemap = dataclasses.replace(built, manifest={**built.manifest, "basemap": {}})
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / publish.MANIFEST).write_text("{", encoding="utf-8")
    raised = [
        _raised(lambda: parse_weights("garbage")),
        _raised(lambda: parse_weights("dust:1,dust:2")),
        _raised(lambda: parse_weights(",")),
        _raised(lambda: check_weight("dust", -1.0)),
        _raised(lambda: registry.resolve_weights("lava")),
        _raised(lambda: registry.resolve_weights(None, {"lava": 1.0})),
        _raised(lambda: registry.resolve_weights(None, {"poverty": 1.0})),
        _raised(lambda: registry.resolve_weights(None, {h.id: 0.0 for h in registry.hazards})),
        _raised(lambda: scoring.weighting(registry, None, None, "median")),
        _raised(lambda: registry["lava"]),
        _raised(lambda: registry.hazard("lava")),
        _raised(lambda: built.raster("lava")),
        _raised(lambda: basemap_source(no_basemap)),
        _raised(lambda: hydrography_path(no_basemap)),
        _raised(lambda: tile_source(built, "lava")),
        _raised(lambda: assets.asset("lava", "x.js")),
        _raised(lambda: assets.asset("map", "lava.js")),
        _raised(lambda: publish.resolve_build(tmp_path / "empty")),
        _raised(lambda: publish.read_manifest(damaged)),
        state.NO_BUILD,
        state.VANISHED,
    ]
    for sentence in raised:
        for lang in ("kk", "ru"):
            assert localize_detail(sentence, lang) != sentence, (lang, sentence)


def test_a_nested_reason_is_translated_too() -> None:
    english = (
        "the published build cannot be served (build b1 has an unreadable manifest.json): "
        "publish a build again with `aralrisk build`"
    )
    assert localize_detail(english, "ru") == (
        "опубликованную сборку нельзя обслуживать (файл manifest.json сборки b1 не читается): "
        "опубликуйте сборку заново командой `aralrisk build`"
    )
    assert render(Text(english), "en") == english
