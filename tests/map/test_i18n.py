"""Kazakh, Russian and English: catalogs complete, negotiation, pages and reports per language."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from aralrisk.api import i18n
from aralrisk.api.map.page import render_page
from aralrisk.api.map.report import pdf_filename, render_oblast_report, render_report
from aralrisk.layers.result import BuildResult


def _catalog(lang: str) -> dict[str, str]:
    with i18n.po_path(lang).open("rb") as handle:
        return {m.id: m.string for m in read_po(handle, locale=lang) if m.id}


def _used(guidance: bool) -> set[str]:
    """Messages the sources use (Babel extraction), the guidance's or all others."""
    return {
        m.id
        for m in i18n.extract_messages()
        if m.id and all(f.endswith("guidance.toml") for f, _ in m.locations) == guidance
    }


def test_every_message_of_the_pages_is_in_every_catalog() -> None:
    """Extract with Babel from the Python, Jinja, JavaScript and TOML sources: a string a
    page uses but a catalog lacks (or leaves untranslated in kk/ru) fails here."""
    used = _used(False) | _used(True)
    assert len(used) > 250  # the map, the reports, the catalog and the guidance
    for lang in i18n.LANGUAGES:
        catalog = _catalog(lang)
        assert sorted(used - set(catalog)) == [], f"{lang}: run python -m aralrisk.api.i18n"
        if lang != "en":
            missing = sorted(k for k in _used(False) if not catalog[k])
            assert missing == [], f"{lang}: untranslated"


def test_the_guidance_is_translated() -> None:
    for lang in ("kk", "ru"):
        catalog = _catalog(lang)
        assert sorted(k for k in _used(True) if not catalog[k]) == [], lang


def test_translations_keep_their_placeholders() -> None:
    for lang in ("kk", "ru"):
        for msgid, msgstr in _catalog(lang).items():
            assert set(re.findall(r"\{\w+\}", msgstr)) == set(re.findall(r"\{\w+\}", msgid)), msgid


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("kk", None, "kk"),
        ("RU", "kk", "ru"),
        (None, "ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        (None, "de-DE, kk-KZ;q=0.5, ru;q=0.4", "kk"),
        (None, "fr", "en"),
        ("xx", None, "en"),
        (None, None, "en"),
    ],
)
def test_language_negotiation(query: str | None, header: str | None, expected: str) -> None:
    assert i18n.negotiate(query, header) == expected


def test_numbers_and_dates_follow_the_language() -> None:
    assert i18n.translator("en").number(12345.6, 1) == "12,345.6"
    assert i18n.translator("ru").number(12345.6, 1) == "12\xa0345,6"
    assert i18n.translator("ru").date("2026-03-04") == "4 марта 2026\u202fг."
    assert i18n.translator("kk").date("2026-03-04").startswith("2026")


def test_official_place_names() -> None:
    assert i18n.district_name("KZ435200", "ru") == "Шиелийский район"  # not "Чиилийский"
    assert i18n.district_name("KZ431900", "ru") == "Байконур"
    assert i18n.district_name("KZ431900", "kk") == "Байқоңыр"
    assert i18n.district_name("A", "kk", {"name": "Alpha", "name_kk": "Альфа"}) == "Альфа"


def test_map_page_in_each_language(built: BuildResult) -> None:
    ru = render_page(built, online_basemap=False, lang="ru")
    assert '<html lang="ru"' in ru
    assert '"lang":"ru"' in ru and "Речной паводок" in ru  # hazard titles in the config
    assert "Население под угрозой" in ru  # the scripts' catalogue
    kk = render_page(built, online_basemap=False, lang="kk")
    assert '<html lang="kk"' in kk and "Өзен тасқыны" in kk
    en = render_page(built, online_basemap=False)
    assert '<html lang="en"' in en and "Речной" not in en


def test_report_in_kazakh_and_russian(sample_build_root: object) -> None:
    from aralrisk.layers.result import open_build

    build = open_build(sample_build_root)  # type: ignore[arg-type]
    ru = render_report(build, "KZ435200", lang="ru")
    assert '<html lang="ru">' in ru
    assert "<h1>Шиелийский район</h1>" in ru
    assert "Рекомендуемые меры готовности" in ru and "Назад к карте" in ru
    kk = render_report(build, "KZ435200", lang="kk")
    assert "<h1>Шиелі ауданы</h1>" in kk and "Ұсынылатын дайындық шаралары" in kk
    # Numbers per locale: Russian groups thousands with a no-break space.
    assert re.search(r"≈ \d{1,3}\xa0\d{3}", ru)
    oblast = render_oblast_report(build, lang="ru")
    assert "Сводка по области" in oblast and oblast.count("<tr data-code=") == 9


def test_api_titles_follow_accept_language(client: TestClient) -> None:
    ru = client.get("/layers", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert ru.status_code == 200
    assert ru.headers["content-language"] == "ru"
    assert "Accept-Language" in ru.headers["vary"]
    titles = {layer["id"]: layer["title"] for layer in ru.json()["layers"]}
    assert titles["flood_rp10"] == "Глубина речного паводка, повторяемость 1 раз в 10 лет"
    legend = next(la for la in ru.json()["layers"] if la["id"] == "flood_rp10")["legend"]
    assert legend[0]["label"].startswith("очень низкий: ниже")
    assert ru.json()["layers"][0]["units"] == "m"  # machine fields stay English
    en = client.get("/layers")
    assert en.headers["etag"] != ru.headers["etag"]
    assert {la["id"]: la["title"] for la in en.json()["layers"]}["flood_rp10"].startswith("River")
    kk = client.get("/profiles?lang=kk")
    assert {p["id"]: p["title"] for p in kk.json()["profiles"]}["equal"] == "Тең салмақтар"


def test_pdf_is_named_after_the_district(client: TestClient, built: BuildResult) -> None:
    assert pdf_filename("Аральский район", built).startswith("Аральский-район")
    response = client.get("/districts/A/report?format=pdf&lang=kk")
    if response.status_code == 501:
        pytest.skip("weasyprint is not installed")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('inline; filename="')
    assert "filename*=UTF-8''%D0%90%D0%BB%D1%8C%D1%84%D0%B0" in disposition  # Альфа


def test_oblast_one_pager(client: TestClient) -> None:
    page = client.get("/report?lang=en")
    assert page.status_code == 200
    html = page.text
    assert "Oblast summary" in html and "<caption>" in html
    assert 'src="data:image/png;base64,' in html  # the map
    assert html.count("<tr data-code=") == 4
    assert "Back to map" in html and "Download PDF" in html
    pdf = client.get("/report?format=pdf")
    if pdf.status_code != 501:
        assert pdf.content.startswith(b"%PDF")
        assert "filename*=UTF-8''Oblast-summary" in pdf.headers["content-disposition"]


#: The districts with the densest reports of the sample.
DENSEST = ("KZ433200", "KZ434400", "KZ431000", "KZ431900")


@pytest.fixture(scope="module")
def english_pages(sample_build_root: object) -> dict[str, int]:
    """Pages of the English PDF report of each of :data:`DENSEST` (rendered once)."""
    weasyprint = pytest.importorskip("weasyprint")
    from aralrisk.layers.result import open_build

    build = open_build(sample_build_root)  # type: ignore[arg-type]
    return {
        code: len(weasyprint.HTML(string=render_report(build, code)).render().pages)
        for code in DENSEST
    }


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_summary_stays_one_page_in_longer_languages(
    sample_build_root: object, english_pages: dict[str, int], lang: str
) -> None:
    """Russian and Kazakh run longer than English: the PDF has as many pages as the
    English one (the summary page, then the planner's page) for the densest districts."""
    weasyprint = pytest.importorskip("weasyprint")
    from aralrisk.layers.result import open_build

    build = open_build(sample_build_root)  # type: ignore[arg-type]
    for code in DENSEST:
        other = weasyprint.HTML(string=render_report(build, code, lang=lang)).render()
        assert len(other.pages) == english_pages[code], code


def test_problem_details_follow_accept_language(client: TestClient) -> None:
    ru = client.get("/districts/ZZ/report", headers={"Accept-Language": "ru"})
    assert ru.status_code == 404
    body = ru.json()
    assert body["detail"] == "неизвестный район 'ZZ'; список районов — /districts"
    assert body["title"] == "Not Found"  # machine fields stay English
    assert ru.headers["content-language"] == "ru"
    kk = client.get("/layers/nope?lang=kk")
    assert kk.json()["detail"] == "белгісіз қабат 'nope'; қабаттар тізімі — /layers"
    en = client.get("/layers/nope")
    assert en.json()["detail"] == "unknown layer 'nope'; the layers are listed at /layers"
    # A sentence without a translation stays as it is.
    from aralrisk.api.problem_text import localize_detail

    assert localize_detail("something new happened", "ru") == "something new happened"
