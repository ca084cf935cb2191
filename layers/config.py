"""Build configuration: which inputs, which grid, which layers, which weights.

A build is described by a small TOML file (the sample's is ``data/sample/build.toml``)::

    title = "Kyzylorda oblast"
    attribution = "Boundaries: ...; water: Natural Earth"

    [districts]
    path = "districts.geojson"      # GeoJSON, GeoPackage, Shapefile or GeoParquet
    id_field = "ADM2_PCODE"
    name_field = "ADM2_EN"
    names = { kk = "ADM2_KK", ru = "ADM2_RU" }

    [grid]
    crs = "EPSG:4326"
    resolution = 0.01               # in CRS units

    [inputs.dust_days]
    path = "dust_days.tif"

    [inputs.climate]
    path = "climate.nc"
    variables = { tasmax = "tasmax", pr = "pr" }

    [inputs.vulnerability]
    path = "vulnerability.csv"
    id_field = "ADM2_PCODE"

    [inputs.places]                 # optional: settlements (OSM place points)
    path = "places.geojson"
    radius_km = 3

    [scoring]
    profile = "equal"
    method = "geometric"

Relative paths are relative to the configuration file. Every layer of the catalog whose
input is configured is built, unless ``layers = [...]`` names a subset.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aralrisk.geo.errors import ConfigError
from aralrisk.geo.index import RISK_CLASS_RELEASES, CompositeMethod, RiskClasses
from aralrisk.layers.registry import MAX_WEIGHT, check_weight

__all__ = ["BuildConfig", "InputConfig", "ProfileConfig", "load_config", "parse_config"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DistrictsConfig(_Model):
    """The district (zone) file and its fields."""

    path: Path
    id_field: str
    name_field: str | None = None
    names: dict[str, str] = Field(
        default_factory=dict, description="other-language name fields by language code"
    )
    layer: str | None = Field(default=None, description="layer name inside a GeoPackage")
    note_field: str | None = Field(
        default=None, description="field with a note a planner should read beside the numbers"
    )


class GridConfig(_Model):
    """The analysis grid every input is aligned to."""

    crs: str = "EPSG:4326"
    resolution: float = Field(default=0.01, gt=0)
    bounds: tuple[float, float, float, float] | None = Field(
        default=None, description="west, south, east, north in CRS units; districts' by default"
    )
    buffer: float = Field(default=0.05, ge=0, description="margin around the districts")


class InputConfig(_Model):
    """One input file. Its kind follows from the extension (raster, series or table).

    Examples:
        >>> climate = InputConfig(path="climate.nc", variables={"tasmax": "tmax"})
        >>> climate.kind, InputConfig(path="table.csv", id_field="code").kind
        ('series', 'table')
    """

    path: Path
    variables: dict[str, str] = Field(
        default_factory=dict, description="climate variable name in the file, by role"
    )
    id_field: str | None = Field(default=None, description="district id column of a table")
    units: str | None = Field(default=None, description="units of a raster without a units tag")
    radius_km: float | None = Field(
        default=None,
        gt=0,
        le=50,
        description="places only: km around a settlement that count as its people and its "
        "surroundings (layers.places.DEFAULT_RADIUS_KM by default)",
    )
    boundaries: Path | None = Field(
        default=None,
        description="tables only: the district file the table is keyed to, when it is not "
        "the build's; its values are transferred by population-weighted areal "
        "interpolation (layers/transfer.py)",
    )
    boundaries_id_field: str | None = Field(
        default=None, description="id field of `boundaries` (default: the table's id_field)"
    )
    match: Literal["code", "name"] = Field(
        default="code",
        description="tables only: match rows to districts by code, or by name in any "
        "language of the districts (name_field, names)",
    )
    name_field: str | None = Field(
        default=None, description="tables only: the table's district name column (match=name)"
    )

    @property
    def kind(self) -> Literal["raster", "series", "table", "vector"]:
        """``raster`` (GeoTIFF), ``series`` (NetCDF/Zarr), ``table`` (CSV) or ``vector``."""
        suffix = self.path.suffix.lower()
        if suffix in {".nc", ".nc4", ".netcdf", ".zarr"}:
            return "series"
        if suffix in {".csv", ".tsv", ".txt"}:
            return "table"
        if suffix in {".geojson", ".json", ".gpkg", ".shp", ".parquet", ".geoparquet"}:
            return "vector"
        return "raster"


class ClassesConfig(_Model):
    """Risk class cut-offs of a release not built in (INFORM revises them)."""

    name: str = Field(description="the release, e.g. 'INFORM Risk 2026 (v0.8.0)'")
    breaks: tuple[float, float, float, float]
    labels: tuple[str, str, str, str, str] = ("Very Low", "Low", "Medium", "High", "Very High")


class ScoringConfig(_Model):
    """Default weights of a build (requests to the API can change them on the fly)."""

    profile: str = "equal"
    method: CompositeMethod = "geometric"
    weights: dict[str, float] = Field(default_factory=dict)
    min_coverage: float = Field(
        default=0.5, ge=0, le=1, description="below this data coverage a level is 'no data'"
    )
    classes: str | ClassesConfig = Field(
        default="INFORM 2025",
        description="risk class cut-offs: a release name, or {name, breaks[, labels]}",
    )

    def risk_classes(self) -> RiskClasses:
        """The configured cut-offs.

        Raises:
            ConfigError: An unknown release name, or breaks that do not increase.
        """
        if isinstance(self.classes, str):
            try:
                return RISK_CLASS_RELEASES[self.classes]
            except KeyError:
                raise ConfigError(
                    f"unknown risk classes {self.classes!r}; name one of "
                    f"{', '.join(RISK_CLASS_RELEASES)} or give {{name, breaks}}"
                ) from None
        try:
            return RiskClasses(self.classes.name, self.classes.breaks, self.classes.labels)
        except ValueError as err:
            raise ConfigError(f"[scoring] classes: {err}") from None

    @field_validator("weights")
    @classmethod
    def _finite(cls, value: dict[str, float]) -> dict[str, float]:
        # The one check of a weight, as for the CLI and the API (ConfigError: ValueError).
        return {layer: check_weight(layer, weight) for layer, weight in value.items()}


class ProfileConfig(_Model):
    """A weight profile declared in the build configuration (``[profiles.<id>]``).

    Hazards not listed take ``default`` (context hazards 0), as in the catalogue's
    profiles; ``base`` starts from a catalogue profile's weights instead.

    Examples:
        The catalogue's equal weights, dust weighed twice (:func:`layers.profiles.apply`
        adds it to a registry):

        >>> ProfileConfig(title="Dust first", base="equal", weights={"dust": 2})
        ProfileConfig(title='Dust first', description='', base='equal', default=None,
                      weights={'dust': 2.0})
    """

    title: str | None = Field(default=None, description="shown in legends (default: the id)")
    description: str = ""
    base: str | None = Field(default=None, description="a catalogue profile to start from")
    default: float | None = Field(
        default=None,
        ge=0,
        le=MAX_WEIGHT,
        allow_inf_nan=False,
        description="weight of unlisted hazards (default 1, or the base's)",
    )
    weights: dict[str, float] = Field(default_factory=dict, description="hazard id -> weight")

    @field_validator("weights")
    @classmethod
    def _finite(cls, value: dict[str, float]) -> dict[str, float]:
        # The one check of a weight, as for the CLI and the API (ConfigError: ValueError).
        return {hazard: check_weight(hazard, weight) for hazard, weight in value.items()}


class OutputConfig(_Model):
    """How the districts-as-given output (``districts_input.*``) is written."""

    crs: str = Field(
        default="input",
        description="'input' (the district file's own CRS) or any CRS, e.g. 'EPSG:32641'",
    )

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str) -> str:
        if value.strip().lower() == "input":
            return "input"
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            CRS.from_user_input(value)
        except CRSError:
            raise ValueError(
                f"{value!r} is not a CRS; write 'input' or e.g. 'EPSG:32641'"
            ) from None
        return value


class BasemapConfig(_Model):
    """What the offline basemap is drawn from."""

    elevation: str | None = Field(default=None, description="input name of an elevation raster")
    hydrography: Path | None = Field(default=None, description="rivers and lakes (vector file)")


class BuildConfig(_Model):
    """A whole build configuration (see the module docstring for the TOML form).

    Examples:
        Read by :func:`load_config`; the tiny world's, its paths made absolute:

        >>> config = load_config(world_dir / "build.toml")
        >>> config.title, config.districts.id_field, config.grid.resolution
        ('Tiny world', 'code', 0.05)
        >>> config.inputs["climate"].kind, config.inputs["climate"].path.is_absolute()
        ('series', True)
    """

    title: str = "aralrisk build"
    attribution: str = ""
    illustrative: bool = Field(default=False, description="true for the sample data set")
    districts: DistrictsConfig
    grid: GridConfig = GridConfig()
    inputs: dict[str, InputConfig] = Field(default_factory=dict)
    layers: list[str] | None = None
    scoring: ScoringConfig = ScoringConfig()
    basemap: BasemapConfig = BasemapConfig()
    output: OutputConfig = OutputConfig()
    profiles: dict[str, ProfileConfig] = Field(
        default_factory=dict, description="weight profiles of this build, by id"
    )

    def resolved(self, base: Path) -> BuildConfig:
        """The same configuration with relative paths made relative to ``base``."""

        def fix(path: Path) -> Path:
            return path if path.is_absolute() else (base / path)

        inputs = {
            name: spec.model_copy(update={"path": fix(spec.path)})
            for name, spec in self.inputs.items()
        }
        inputs = {
            name: spec.model_copy(update={"boundaries": fix(spec.boundaries)})
            if spec.boundaries is not None
            else spec
            for name, spec in inputs.items()
        }
        hydro = self.basemap.hydrography
        return self.model_copy(
            update={
                "districts": self.districts.model_copy(update={"path": fix(self.districts.path)}),
                "inputs": inputs,
                "basemap": self.basemap.model_copy(
                    update={"hydrography": fix(hydro) if hydro else None}
                ),
            }
        )

    def with_districts(
        self, path: Path, id_field: str, name_field: str | None = None
    ) -> BuildConfig:
        """The same build on another district file (other-language names are dropped)."""
        districts = DistrictsConfig(path=path, id_field=id_field, name_field=name_field)
        return self.model_copy(update={"districts": districts})


def _describe(exc: ValidationError, source: str) -> str:
    # A misspelt key shows up twice (unknown key, and the real key missing): name the typo.
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "the file"
    if first["type"] == "extra_forbidden":
        return f"{source}: unknown setting {where}: check its spelling"
    return f"{source}: {where}: {first['msg']}"


#: Path prefixes of data that lives on a server (URLs and GDAL's virtual file systems).
REMOTE_PREFIXES = ("http://", "https://", "ftp://", "s3://", "gs://", "az://", "/vsi")


def _refuse_remote(document: dict[str, Any], source: str) -> None:
    """Refuse inputs on a server: a build reads local files only.

    Without this a URL becomes a local path with one slash dropped, and the user is told
    the file "does not exist", a file error for what is a network question.
    """
    paths = {"districts.path": (document.get("districts") or {}).get("path")}
    paths["basemap.hydrography"] = (document.get("basemap") or {}).get("hydrography")
    for name, spec in (document.get("inputs") or {}).items():
        if isinstance(spec, dict):
            paths[f"inputs.{name}.path"] = spec.get("path")
    for key, value in paths.items():
        if isinstance(value, str) and value.strip().lower().startswith(REMOTE_PREFIXES):
            raise ConfigError(
                f"{source}: {key} {value!r} is on a server; builds read local files only: "
                "download it first, e.g. with `curl -O URL` or `gdal_translate`, and give "
                "its local path"
            )


def parse_config(document: dict[str, Any], base: Path, source: str = "config") -> BuildConfig:
    """Validate a configuration mapping; relative paths are taken from ``base``.

    Raises:
        ConfigError: One sentence naming the setting that is wrong (a path on a
            server, ``http://...`` or ``/vsicurl/...``, included).

    Examples:
        The least a build needs, districts and one input; the rest takes defaults:

        >>> config = parse_config(
        ...     {"districts": {"path": "districts.geojson", "id_field": "code"},
        ...      "inputs": {"dust_days": {"path": "dust.tif"}}}, base=world_dir)
        >>> config.districts.path == world_dir / "districts.geojson", config.grid.crs
        (True, 'EPSG:4326')
        >>> parse_config({"districts": {"path": "d.geojson", "id_field": "code"},
        ...               "grid": {"resolution": -1}}, base=world_dir)
        Traceback (most recent call last):
        ...
        aralrisk.geo.errors.ConfigError: config: grid.resolution: Input should be greater than 0
    """
    _refuse_remote(document, source)
    try:
        return BuildConfig.model_validate(document).resolved(base)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None


def load_config(path: Path) -> BuildConfig:
    """Read and validate a build configuration TOML file.

    ``path`` may also be a folder holding a ``build.toml`` (a data folder such as the
    sample's); that file is read.

    Raises:
        ConfigError: If the file is missing, is not TOML or has a wrong setting.

    Examples:
        >>> config = load_config(world_dir / "build.toml")
        >>> sorted(config.inputs)[:4], config.scoring.profile, config.scoring.method
        (['climate', 'dust_days', 'elevation', 'flood_rp10'], 'equal', 'geometric')
        >>> load_config(world_dir).title  # the folder holding build.toml
        'Tiny world'
    """
    path = Path(path)
    if path.is_dir():
        # A data folder is what users point at: take its build.toml, or say what is missing.
        if not (path / "build.toml").is_file():
            raise ConfigError(
                f"{path.name or path} is a folder, not a build configuration, and holds no "
                "build.toml: pass the configuration file itself, e.g. --config FOLDER/build.toml"
            )
        path = path / "build.toml"
    if not path.is_file():
        raise ConfigError(
            f"build configuration {path.name} not found; run `aralrisk sample` to make the "
            "sample data set and its build.toml, or pass --config FILE"
        )
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name} is not a valid TOML file: {exc}") from None
    return parse_config(document, path.resolve().parent, path.name)
