"""Service settings, read from ``ARALRISK_*`` environment variables.

Example: ``ARALRISK_BUILD_DIR=/srv/aralrisk/build ARALRISK_CORS_ORIGINS=https://akimat.kz``.

A list setting (``ARALRISK_CORS_ORIGINS``) is written as operators write it, comma
separated (``https://a.kz,https://b.kz``), or as a JSON list (``["https://a.kz"]``).
A bad value of any setting is refused with one sentence naming the variable and what it
takes (:class:`SettingError`), never with pydantic's multi-line report.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from annotated_types import Ge, Gt
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from aralrisk.geo.errors import ConfigError

ENV_PREFIX = "ARALRISK_"


class SettingError(ConfigError):
    """An ``ARALRISK_*`` setting has a value the service cannot use."""


class Settings(BaseSettings):
    """Everything the service can be told; defaults are safe for a single machine.

    Raises:
        SettingError: A setting (from the environment or given) is invalid; the one
            sentence names the ``ARALRISK_*`` variable and the values it takes.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True)

    build_dir: Path = Field(
        default=Path("build"), description="output root of `aralrisk build` (serves current)"
    )
    root_path: str = Field(default="", description="path prefix when behind a reverse proxy")
    # NoDecode: pydantic-settings would otherwise insist on JSON for a list, and refuse
    # the plain `https://akimat.kz` every operator writes first.
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="origins allowed to call the API from a browser, comma separated",
    )
    api_key: SecretStr | None = Field(
        default=None, description="enables state-changing endpoints (POST /builds) when set"
    )
    max_body_bytes: int = Field(default=1_000_000, gt=0, description="largest request body")
    max_zonal_vertices: int = Field(default=20_000, gt=3)
    max_zonal_area_km2: float = Field(default=500_000.0, gt=0)
    tile_cache_size: int = Field(default=2048, ge=0, description="rendered tiles kept in memory")
    basemap_online: bool = Field(
        default=True, description="offer OpenStreetMap as an optional (online) map layer"
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as err:
            raise SettingError(_sentence(err)) from None
        except SettingsError as err:  # pragma: no cover - NoDecode leaves nothing to decode
            raise SettingError(f"an {ENV_PREFIX}* setting could not be read: {err}") from None

    @field_validator("api_key")
    @classmethod
    def _not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        """A blank key would let a request without any key rebuild: refuse it."""
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("the API key is blank")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        """``a,b`` or ``["a", "b"]`` (or one origin) as a list; blanks dropped."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                raise ValueError("not a valid JSON list") from None
        return [part.strip() for part in text.split(",") if part.strip()]


def _expected(name: str) -> str:
    """What setting ``name`` takes, in words, from its type and bounds."""
    field = Settings.model_fields[name]
    kinds: dict[object, str] = {
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        str: "text",
    }
    kind = kinds.get(field.annotation, "")
    if name == "cors_origins":
        kind = "a comma-separated list of origins such as https://a.kz,https://b.kz"
    elif name == "build_dir":
        kind = "a folder path"
    elif name == "api_key":
        kind = "a secret text (not blank)"
    for bound in field.metadata:
        if isinstance(bound, Gt):
            kind += f" greater than {bound.gt}"
        elif isinstance(bound, Ge):
            kind += f" of {bound.ge} or more"
    return kind or "a valid value"


def _default(name: str) -> str:
    """The default of setting ``name`` as it would be written in the environment."""
    default = Settings.model_fields[name].get_default(call_default_factory=True)
    if isinstance(default, bool):
        return str(default).lower()
    if default is None or default == []:
        return "none"
    return str(default)


def _sentence(err: ValidationError) -> str:
    """One sentence for every invalid setting: the variable, its value, what it takes."""
    parts = []
    for error in err.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        if name not in Settings.model_fields:
            parts.append(error["msg"])
            continue
        variable = f"{ENV_PREFIX}{name.upper()}"
        # The API key is a secret: never repeat it, not even in an error.
        shown = "" if name == "api_key" else f"={str(error.get('input'))[:60]!r}"
        parts.append(
            f"{variable}{shown} is not valid: set it to {_expected(name)}, or unset it "
            f"for the default ({_default(name)})"
        )
    return "; ".join(parts)


def misspelt_variables(environ: Mapping[str, str]) -> list[str]:
    """Warnings for ``ARALRISK_*`` variables that look like a misspelt setting.

    pydantic-settings ignores variables it does not know, so ``ARALRISK_CORS_ORIGIN``
    (no S) would silently leave CORS off. Only near misses are reported: other
    ``ARALRISK_*`` variables may belong to other tools.
    """
    known = [f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields]
    warnings = []
    for variable in sorted(environ):
        if not variable.upper().startswith(ENV_PREFIX) or variable.upper() in known:
            continue
        close = difflib.get_close_matches(variable.upper(), known, n=1, cutoff=0.85)
        if close:
            warnings.append(f"{variable} is not a setting and is ignored: did you mean {close[0]}?")
    return warnings
