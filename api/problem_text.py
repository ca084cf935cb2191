"""The sentences of problem details, written in the request's language.

A problem's ``detail`` is held as a :class:`Text`: a message id (the English sentence,
marked with ``N_`` where it is written) and its named values. It becomes words only
when the response is made (:func:`render`), in the language of the request. Values are
inserted untranslated (codes, ids, coordinates, lists of ids) unless they are a
:class:`Quantity` (a number in the language's format) or a :class:`Text` themselves (a
phrase or a sentence translated in turn).

Two kinds of sentence cannot carry a message id, and are handled here:

* pydantic's validation errors (422): :func:`validation_text` writes our own sentence
  for each error type, naming the parameter; pydantic's English never reaches a client;
* the errors of the library (``geo``, ``layers``) and of the page, tile and build-store
  modules that the API passes on (``ConfigError``, ``InputError``, ``NotFoundError``, a
  build that cannot be served): their English sentence is matched against the
  templates of :data:`FOREIGN`, whose ``{name}`` parts are kept (:func:`localize_detail`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from aralrisk.api.i18n import DEFAULT_LANG, N_, Translator, translator


@dataclass(frozen=True)
class Text:
    """A message id and its values, written in a language when it is shown.

    Attributes:
        message: The English sentence with ``{name}`` placeholders (the msgid), or a
            sentence raised outside the API (matched against :data:`FOREIGN`).
        values: Placeholder -> value (str, number, :class:`Quantity` or :class:`Text`).
    """

    message: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self, DEFAULT_LANG)


@dataclass(frozen=True)
class Quantity:
    """A number written in the language's format (``12,345`` / ``12 345``).

    Attributes:
        value: The number.
        digits: Decimals shown; ``None``: as many as the number has (``0.05``).
    """

    value: float
    digits: int | None = 0

    def written(self, tr: Translator) -> str:
        """The number in ``tr``'s language."""
        digits = self.digits
        if digits is None:
            text = f"{self.value:g}"
            digits = 0 if "." not in text or "e" in text else len(text.split(".")[1])
        return tr.number(self.value, digits)


def _written(value: Any, lang: str, tr: Translator) -> str:
    if isinstance(value, Text):
        return render(value, lang)
    if isinstance(value, Quantity):
        return value.written(tr)
    return str(value)


def render(text: Text | str, lang: str) -> str:
    """``text`` in ``lang`` (``kk``, ``ru`` or ``en``), its values filled in.

    A message without values that the catalog does not know is a sentence raised
    outside the API: it is matched against :data:`FOREIGN` (and stays as it is when
    none fits).
    """
    if isinstance(text, str):
        text = Text(text)
    tr = translator(lang)
    if not text.values:
        if lang == DEFAULT_LANG or text.message in tr.messages:
            return tr(text.message)
        return localize_detail(text.message, lang)
    return tr(text.message, **{k: _written(v, lang, tr) for k, v in text.values.items()})


# ------------------------------------------------------------------ foreign sentences

#: Sentences of errors raised outside the API's own code (geo, layers, the page and tile
#: modules, the build store) that reach clients as a problem's ``detail``. Their
#: ``{name}`` parts are matched and kept (and translated in turn when they are one of
#: these sentences). Keep each exactly as its module writes it.
FOREIGN = (
    # layers.registry and layers.scoring: weights, profiles, methods (422).
    N_("cannot read weight {item}: write hazard:number, e.g. dust:2"),
    N_("{key} is given twice in weights: give each hazard or layer once"),
    N_("no weights given: write hazard:number pairs, e.g. dust:2"),
    N_(
        "the weight of {key} must be a finite number >= 0 and at most {most} (weights are "
        "relative: dust:2,river_flood:1 weighs dust twice)"
    ),
    N_("unknown weight profile {profile}; choose one of {profiles}"),
    N_("all weights are zero; give at least one hazard a positive weight"),
    N_("every layer of hazard {hazard} has weight zero; give one a positive weight"),
    N_(
        "layer {layer} is not a hazard layer and cannot be weighted; weight a hazard "
        "({hazards}) or one of its layers"
    ),
    N_("unknown hazard or layer {key} in weights; hazards: {hazards}"),
    N_("unknown composite method {method}; choose one of {methods}"),
    # layers.registry lookups (404).
    N_("unknown layer {layer}; known layers: {layers}"),
    N_("unknown hazard {hazard}; hazards: {hazards}"),
    N_("layer {layer} belongs to no hazard"),
    # api.map.report, api.map.assets, api.tiles.sources, layers.result (404, 501).
    N_("unknown district {code}; the districts are listed at /districts"),
    N_("no tiles for layer {layer}; layers with tiles: {layers}"),
    N_("no static bundle {bundle}; bundles: {bundles}"),
    N_("no static file {name} in {bundle}"),
    N_("this build has no basemap: configure [basemap] elevation"),
    N_("this build has no hydrography: configure [basemap] hydrography"),
    N_("this build has no hydrography file"),
    N_("the build has no raster {name}"),
    N_(
        "PDF output needs weasyprint and the Pango library: pip install 'aralrisk[pdf]' "
        "and, on Debian, apt-get install libpango-1.0-0 libpangoft2-1.0-0"
    ),
    # api.state and layers.result / layers.publish: no build can be served (503).
    N_("no build is published yet: run `aralrisk build`"),
    N_(
        "the served build's folder has disappeared or become unreadable: publish a build "
        "again with `aralrisk build`; the service picks it up by itself"
    ),
    N_(
        "the published build cannot be served ({reason}): publish a build again with "
        "`aralrisk build`"
    ),
    N_("it cannot be read"),
    N_("build {build} has a damaged {file}: it lacks {fields}; build it again"),
    N_("build {build} has an unreadable district table"),
    N_("build {build} has an unreadable {file}"),
    N_("build {build} is incomplete: it has no {file}"),
    N_("build {build} is damaged: {file} is missing or truncated"),
    N_("build {build} is damaged: {file} has changed"),
    N_("no published build in {root}: run `aralrisk build` first"),
)


@cache
def _foreign_patterns() -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for template in FOREIGN:
        parts = re.split(r"\{(\w+)\}", template)
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        out.append((template, re.compile(pattern, re.DOTALL)))
    return out


def localize_detail(detail: str, lang: str) -> str:
    """A sentence raised outside the API in ``lang`` when it fits one of :data:`FOREIGN`.

    The parts it holds are kept as they are, or translated in turn when they are such a
    sentence themselves (the reason a build cannot be served). Any other sentence is
    returned unchanged.
    """
    if lang == DEFAULT_LANG:
        return detail
    for template, pattern in _foreign_patterns():
        found = pattern.fullmatch(detail)
        if found:
            parts = {k: localize_detail(v, lang) for k, v in found.groupdict().items()}
            return translator(lang)(template, **parts)
    return detail


# ------------------------------------------------------------------ validation (422)

#: The sentence of each pydantic error type; ``{where}`` names the parameter.
_BY_TYPE = {
    "missing": N_("{where} is required"),
    "int_parsing": N_("{where} must be a whole number, not {input}"),
    "int_type": N_("{where} must be a whole number, not {input}"),
    "int_from_float": N_("{where} must be a whole number, not {input}"),
    "float_parsing": N_("{where} must be a number, not {input}"),
    "float_type": N_("{where} must be a number, not {input}"),
    "finite_number": N_("{where} must be a finite number"),
    "greater_than_equal": N_("{where} must be at least {limit}"),
    "greater_than": N_("{where} must be greater than {limit}"),
    "less_than_equal": N_("{where} must be at most {limit}"),
    "less_than": N_("{where} must be less than {limit}"),
    "multiple_of": N_("{where} must be a multiple of {limit}"),
    "literal_error": N_("{where} must be one of {choices}, not {input}"),
    "enum": N_("{where} must be one of {choices}, not {input}"),
    "string_too_short": N_("{where} must be at least {limit} characters long"),
    "string_too_long": N_("{where} must be at most {limit} characters long"),
    "string_pattern_mismatch": N_("{where} does not match the pattern {pattern}"),
    "string_type": N_("{where} must be text, not {input}"),
    "too_short": N_("{where} must have at least {limit} items, not {count}"),
    "too_long": N_("{where} must have at most {limit} items, not {count}"),
    "bool_parsing": N_("{where} must be true or false, not {input}"),
    "bool_type": N_("{where} must be true or false, not {input}"),
    "date_parsing": N_("{where} must be a date written YYYY-MM-DD, not {input}"),
    "date_type": N_("{where} must be a date written YYYY-MM-DD, not {input}"),
    "date_from_datetime_parsing": N_("{where} must be a date written YYYY-MM-DD, not {input}"),
    "date_from_datetime_inexact": N_("{where} must be a date written YYYY-MM-DD, not {input}"),
    "datetime_parsing": N_("{where} must be a date and time (ISO 8601), not {input}"),
    "datetime_type": N_("{where} must be a date and time (ISO 8601), not {input}"),
    "dict_type": N_("{where} must be a JSON object, not {input}"),
    "model_type": N_("{where} must be a JSON object, not {input}"),
    "model_attributes_type": N_("{where} must be a JSON object, not {input}"),
    "list_type": N_("{where} must be a JSON array, not {input}"),
    "tuple_type": N_("{where} must be a JSON array, not {input}"),
    "union_tag_invalid": N_(
        "{where} has the type {tag}, which is not taken here; the types taken are {choices}"
    ),
    "union_tag_not_found": N_("{where} needs a {key} member"),
    "extra_forbidden": N_("{where} is not a field this request takes; leave it out"),
    "value_error": N_("{where}: {reason}"),
    "assertion_error": N_("{where}: {reason}"),
}
#: Any other error type: the type's code stays as pydantic names it.
_OTHER = N_("{where} is not valid ({code})")
_WHERE = {
    "query": N_("query parameter {name}"),
    "path": N_("path parameter {name}"),
    "header": N_("header {name}"),
    "cookie": N_("cookie {name}"),
}
_LONGEST_INPUT = 40


def _where(loc: Sequence[Any]) -> Text:
    """The parameter an error is about: ``query parameter 'lat'``, ``the body at X.y``."""
    if loc and loc[0] == "body":
        rest = ".".join(str(part) for part in loc[1:])
        return Text(N_("the body at {path}"), {"path": rest}) if rest else Text(N_("the body"))
    if len(loc) >= 2 and loc[0] in _WHERE:
        name = ".".join(str(part) for part in loc[1:])
        return Text(_WHERE[loc[0]], {"name": repr(name)})
    return Text(N_("the request"))


def _input(value: Any) -> str:
    """The value a client sent, shortened (JSON's words for objects, lists and null)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{…}"
    if isinstance(value, list | tuple):
        return "[…]"
    if isinstance(value, str):
        return repr(value[:_LONGEST_INPUT] + ("…" if len(value) > _LONGEST_INPUT else ""))
    return repr(value)[:_LONGEST_INPUT]


def _choices(expected: str) -> str:
    """Pydantic's ``'a', 'b' or 'c'`` as ``'a', 'b', 'c'`` (no English ``or``)."""
    return ", ".join(part for part in re.split(r", | or ", expected) if part)


def _limit(value: Any) -> Quantity | str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Quantity(float(value), None)
    return str(value)


def _error_text(error: Mapping[str, Any]) -> Text:
    kind = str(error.get("type", ""))
    loc = tuple(error.get("loc", ()))
    ctx = error.get("ctx") or {}
    if kind == "json_invalid":
        position = loc[-1] if len(loc) > 1 else "?"
        return Text(
            N_("the body is not valid JSON (error at character {position})"),
            {"position": position},
        )
    values: dict[str, Any] = {"where": _where(loc), "input": _input(error.get("input"))}
    for key in ("ge", "gt", "le", "lt", "multiple_of", "min_length", "max_length"):
        if key in ctx:
            values["limit"] = _limit(ctx[key])
    values["count"] = ctx.get("actual_length", "")
    values["pattern"] = repr(ctx.get("pattern", ""))
    values["choices"] = _choices(str(ctx.get("expected") or ctx.get("expected_tags") or ""))
    values["tag"] = repr(ctx.get("tag", ""))
    values["key"] = str(ctx.get("discriminator", ""))
    values["code"] = kind
    # Our own validators raise ValueError with a marked sentence (api.geojson).
    values["reason"] = Text(str(ctx.get("error", "")).removeprefix("Value error, "))
    return Text(_BY_TYPE.get(kind, _OTHER), values)


def validation_text(errors: Sequence[Mapping[str, Any]]) -> Text:
    """One sentence for a request that failed validation: its first error, our words."""
    if not errors:
        return Text(N_("the request is invalid"))
    return _error_text(errors[0])
