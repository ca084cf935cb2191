"""Languages of the map, the reports and the API's human sentences: Kazakh, Russian, English.

One gettext domain, ``aralrisk``, whose catalogs are the ``.po`` files under
``api/locale/<lang>/LC_MESSAGES/aralrisk.po`` (package data, so a wheel carries them).
They are read with Babel's own :func:`~babel.messages.pofile.read_po` when first used:
no compiled ``.mo`` has to be made at build or install time, and a clean clone works as
an installed wheel does.

How to use it (docs/i18n.md says more):

* Python: ``tr = translator(lang)`` then ``tr("River flood")`` or
  ``tr("rank {rank} of {count}", rank=1, count=9)`` (``{name}`` placeholders, filled
  after translation); mark a string that is translated later with :func:`N_`.
* Jinja: the templates get ``_`` (the translator) in their context:
  ``{{ _("Hazard level") }}``.
* JavaScript: ``AR.t("Risk class")`` or ``AR.t("rank {rank} of {count}", {rank: 1, count: 9})``;
  the page embeds the catalogue of its language (:meth:`Translator.js_catalog`).
* Strings that live in data files (layers/catalog.toml, api/map/guidance.toml) are
  extracted by :func:`extract_toml` and translated where they are shown.

``python -m aralrisk.api.i18n`` re-extracts every message and merges the result into the
three ``.po`` files (new strings get an empty translation, which the tests refuse for
Kazakh and Russian).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any

from babel import Locale, negotiate_locale
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

#: The languages, in the order the language switch lists them.
LANGUAGES = ("kk", "ru", "en")
#: The source language of every message, and the answer when nothing else matches.
DEFAULT_LANG = "en"
#: Each language named in itself (the switch shows these).
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
DOMAIN = "aralrisk"
LOCALE_DIR = Path(__file__).with_name("locale")
#: Official place names per language, with their sources (docs/i18n.md).
PLACE_NAMES_FILE = LOCALE_DIR / "districts.toml"


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (translated where shown)."""
    return message


def number_symbols(lang: str) -> dict[str, str]:
    """The decimal and group marks of ``lang`` (CLDR, through Babel).

    >>> number_symbols("en"), number_symbols("kk")["decimal"], ord(number_symbols("ru")["group"])
    ({'decimal': '.', 'group': ','}, ',', 160)
    """
    return {"decimal": get_decimal_symbol(lang), "group": get_group_symbol(lang)}


# Messages that reach the pages from data rather than from a call in the code: the
# level labels of geo.index and the INFORM class names (both machine values of the API
# too, so they stay English there), and the groups of the catalog.
_MARKED = (
    N_("no data"),
    N_("not applicable"),
    N_("very low"),
    N_("low"),
    N_("medium"),
    N_("high"),
    N_("Very Low"),
    N_("Low"),
    N_("Medium"),
    N_("High"),
    N_("Very High"),
    N_("minutes"),
    N_("people"),
)


@dataclass(frozen=True)
class Translator:
    """The messages of one language, and its number and date formats.

    Attributes:
        lang: ``kk``, ``ru`` or ``en``.
        messages: msgid -> translation (only non-empty translations).
        js_ids: The msgids the page's scripts may ask for (see :meth:`js_catalog`).
    """

    lang: str
    messages: Mapping[str, str] = field(default_factory=dict)
    js_ids: frozenset[str] = frozenset()

    @property
    def locale(self) -> Locale:
        """The Babel locale of the language."""
        return Locale.parse(self.lang)

    def gettext(self, message: str, /, **values: Any) -> str:
        """``message`` in this language (itself when untranslated), placeholders filled."""
        text = self.messages.get(message) or message
        return text.format(**values) if values else text

    __call__ = gettext

    def number(self, value: float, digits: int = 0) -> str:
        """``value`` with ``digits`` decimals in the language's format (``12 345,6``)."""
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return format_decimal(value, format=pattern, locale=self.lang)

    def date(self, value: dt.date | str) -> str:
        """A date in the language's long format (``4 марта 2026 г.``); text kept as is."""
        if isinstance(value, str):
            try:
                day = dt.date.fromisoformat(value[:10])
            except ValueError:
                return value
        else:
            day = value
        return format_date(day, "long", locale=self.lang)

    def js_catalog(self) -> dict[str, str]:
        """The translations the map's scripts use, for embedding in the page as JSON."""
        return {k: v for k, v in self.messages.items() if k in self.js_ids}


def po_path(lang: str) -> Path:
    """The ``.po`` file of ``lang``."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


#: Sources whose messages are problem details (api/problem_text.py) or report-only
#: text: the map's scripts never show them.
_SERVER_ONLY = (
    "api/problem_text.py",
    "api/problems.py",
    "api/params.py",
    "api/geojson.py",
    "api/zonal.py",
    "api/sampling.py",
    "api/apidocs.py",
    "api/middleware.py",
    "api/tiles/params.py",
    "api/routers/",
)


def _for_scripts(locations: Iterable[tuple[str, int | None]]) -> bool:
    # The long guidance texts, the report template and the problem details never reach
    # the map's scripts: leaving them out keeps the page small.
    return any(
        not (f.endswith(("guidance.toml", ".j2")) or f.startswith(_SERVER_ONLY))
        for f, _ in locations
    )


@cache
def translator(lang: str) -> Translator:
    """The translator of ``lang`` (one of :data:`LANGUAGES`), read once per process.

    Raises:
        ValueError: ``lang`` is not one of the languages.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; languages: {', '.join(LANGUAGES)}")
    path = po_path(lang)
    if not path.is_file():
        return Translator(lang)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    messages = {}
    js_ids = set()
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        if isinstance(message.string, str) and message.string:
            messages[message.id] = message.string
        if _for_scripts(message.locations):
            js_ids.add(message.id)
    return Translator(lang, messages, frozenset(js_ids))


def _accepted(header: str) -> list[str]:
    """The languages of an ``Accept-Language`` header, most preferred first."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                quality = 0.0
        if name and quality > 0:
            weighted.append((-quality, position, name.strip()))
    return [name for _, _, name in sorted(weighted)]


def negotiate(lang: str | None = None, accept_language: str | None = None) -> str:
    """The language to answer in: ``lang`` if it is one, else ``Accept-Language``'s best.

    Args:
        lang: An explicit choice (``?lang=``); ignored unless one of :data:`LANGUAGES`.
        accept_language: The request's ``Accept-Language`` header.
    """
    if lang:
        chosen = lang.strip().lower()[:2]
        if chosen in LANGUAGES:
            return chosen
    if accept_language:
        # Babel matches "ru-RU" to "ru" (and "kk-KZ" to "kk") with sep="-".
        found = negotiate_locale(_accepted(accept_language), LANGUAGES, sep="-")
        if found:
            return found
    return DEFAULT_LANG


def request_lang(request: Any) -> str:
    """The language of a Starlette/FastAPI request: ``?lang=``, then ``Accept-Language``."""
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


# ------------------------------------------------------------------ legends and names


def _num(value: float, tr: Translator) -> str:
    """A threshold as the legend prints it (``0.5``, ``1 000``), in the language's format."""
    digits = 0 if float(value).is_integer() else len(f"{value:g}".split(".")[-1])
    return tr.number(value, digits)


def range_label(low: float | None, high: float | None, units: str, tr: Translator) -> str:
    """``"below 5 m"``, ``"5–10 m"`` or ``"10 m and above"`` in the translator's language."""
    suffix = f" {tr(units)}" if units else ""
    if low is None and high is not None:
        return tr("below {value}", value=_num(high, tr) + suffix)
    if high is None and low is not None:
        return tr("{value} and above", value=_num(low, tr) + suffix)
    return f"{_num(low or 0.0, tr)}–{_num(high or 0.0, tr)}{suffix}"


def localize_legend(
    legend: Iterable[Mapping[str, Any]], units: str, tr: Translator
) -> list[dict[str, Any]]:
    """A legend (classes with ``label``, ``min``, ``max``) with labels in ``tr``'s language.

    Labels of the form ``"name: range"`` keep their (translated) name; the range is
    written again from ``min`` and ``max`` with the language's number format.
    """
    if tr.lang == DEFAULT_LANG:
        # English labels stay exactly as the catalog writes them (the API's own).
        return [dict(cls) for cls in legend]
    out = []
    for cls in legend:
        label = str(cls.get("label", ""))
        name, sep, _ = label.partition(": ")
        text = range_label(cls.get("min"), cls.get("max"), units, tr)
        out.append({**cls, "label": f"{tr(name)}: {text}" if sep else text})
    return out


@cache
def _place_names() -> dict[str, dict[str, str]]:
    if not PLACE_NAMES_FILE.is_file():
        return {}
    data = tomllib.loads(PLACE_NAMES_FILE.read_text(encoding="utf-8"))
    return {code: dict(entry) for code, entry in data.get("districts", {}).items()}


def district_name(code: str, lang: str, row: Mapping[str, Any] | None = None) -> str:
    """A district's official name in ``lang`` (api/locale/districts.toml), else the row's.

    The boundaries' own ``name_kk``/``name_ru``/``name`` are the fallback, for builds of
    other districts (the tiny test world).
    """
    found = _place_names().get(str(code), {}).get(lang)
    if found:
        return found
    row = row or {}
    key = {"kk": "name_kk", "ru": "name_ru"}.get(lang, "name")
    return str(row.get(key) or row.get("name") or code)


def official_names(codes: Iterable[str]) -> dict[str, dict[str, str]]:
    """Code -> {language: name} from api/locale/districts.toml, for the codes it has."""
    table = _place_names()
    return {str(c): dict(table[str(c)]) for c in codes if str(c) in table}


def district_names(rows: Iterable[Mapping[str, Any]], lang: str) -> dict[str, str]:
    """Code -> name in ``lang`` of every district row."""
    return {str(r["code"]): district_name(str(r["code"]), lang, r) for r in rows}


# ------------------------------------------------------------------ extraction

#: Keywords of the gettext calls in our Python, Jinja and JavaScript sources.
KEYWORDS: dict[str, Any] = {"_": None, "gettext": None, "N_": None, "tr": None, "AR.t": None}
#: Which extractor reads which file (paths relative to a package folder).
METHOD_MAP = [
    ("**.py", "python"),
    ("**/templates/**.j2", "jinja2.ext:babel_extract"),
    ("**/static/**.js", "javascript"),
    ("**/catalog.toml", "aralrisk.api.i18n:extract_toml"),
    ("**/guidance.toml", "aralrisk.api.i18n:extract_toml"),
]
#: Keys of the data files whose values people read.
TOML_KEYS = ("title", "description", "units_label", "district_units_label", "about", "meaning")
TOML_LISTS = ("actions",)


def _toml_strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in TOML_KEYS and isinstance(value, str):
                yield value
            elif key in TOML_LISTS and isinstance(value, list):
                yield from (v for v in value if isinstance(v, str))
            else:
                yield from _toml_strings(value)


def extract_toml(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extraction method for our TOML data files (catalog, guidance).

    Yields ``(lineno, funcname, message, comments)`` for every human string (titles,
    descriptions, units, guidance). The line is that of the string's first words, so
    the ``.po`` location points at it.
    """
    raw = fileobj.read().decode("utf-8")
    lines = raw.splitlines()
    for text in _toml_strings(tomllib.loads(raw)):
        head = text[:30]
        lineno = next((i + 1 for i, line in enumerate(lines) if head in line), 1)
        yield lineno, "_", text, []


def _package_dirs() -> list[tuple[str, Path]]:
    """The folders whose sources carry messages, with the prefix of their locations."""
    api = Path(__file__).resolve().parent
    import aralrisk.layers

    layers = Path(aralrisk.layers.__file__).resolve().parent
    return [("api", api), ("layers", layers)]


def extract_messages() -> Catalog:
    """Every message of the Python, Jinja and JavaScript sources and the TOML data."""
    catalog = Catalog(domain=DOMAIN, project="aralrisk", charset="utf-8")
    for prefix, folder in _package_dirs():
        for filename, lineno, message, comments, context in extract_from_dir(
            folder, METHOD_MAP, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            if isinstance(message, tuple):  # a plural form: we use none
                message = message[0]
            if not message:
                continue
            catalog.add(
                message,
                None,
                [(f"{prefix}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def update_catalogs() -> dict[str, int]:
    """Merge the extracted messages into each ``.po`` file; returns untranslated counts."""
    template = extract_messages()
    untranslated = {}
    for lang in LANGUAGES:
        path = po_path(lang)
        if path.is_file():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=lang, domain=DOMAIN)
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN, project="aralrisk")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True, include_previous=False)
        untranslated[lang] = sum(1 for m in catalog if m.id and not m.string)
    translator.cache_clear()
    return untranslated


if __name__ == "__main__":
    for name, count in update_catalogs().items():
        sys.stdout.write(f"{po_path(name)}: {count} untranslated\n")
