"""District alerts from forecasts: levels, people exposed, settlements; published atomically.

For each district, hazard and forecast day (docs/methodology.md, "Early warning"):

* every cell of the build grid gets, per threshold of the forecast's spec, the share of
  ensemble members above it (0 or 1 for a deterministic forecast; see
  :func:`layers.forecasts.daily_fields`); a cell **counts** when that share is at
  least the spec's ``min_probability``;
* the district reaches a threshold's level when the counted cells hold at least
  ``min_share`` of its people (``measure = "people"``; the area when the build has no
  people raster), of its area (``"area"``), or any cell at all (``"any"``, a river
  reach); its level is the highest level reached (none, yellow, orange, red);
* **people exposed** are the build's people in counted cells at the district's level
  (at the lowest threshold when it has none), summed by the same zonal pass as the
  build's people exposed (:meth:`geo.zonal.ZoneIndex.stats`, ``weight_above``); the
  children under 5 and people over 65 among them are those people times the district's
  shares in the vulnerability table (no finer ages exist);
* **settlements affected** are the build's places (``places.geojson``, when the build
  has them) whose cell counts at the district's level;
* the **probability** (ensembles only) is the highest share of members above the
  level's threshold over the district's cells.

:func:`run` is the command ``aralrisk alerts``: it computes the alerts of every
forecast given, turns them into CAP messages against the previously published ones
(:mod:`layers.cap`), and publishes the GeoJSON, CSV, CAP files and Atom feed into
``<root>/alerts`` the way builds are published: everything is written into a staging
folder, renamed into ``alerts/runs/``, and the ``current`` link is swapped last, so a
failure at any point leaves the published alerts as they were.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr
from pyproj import Transformer

from aralrisk.geo.csvfiles import write_csv
from aralrisk.geo.errors import InputError, NotFoundError
from aralrisk.geo.grid import GridSpec
from aralrisk.geo.io import read_raster, write_cog
from aralrisk.geo.zonal import ZoneIndex
from aralrisk.layers import cap, publish
from aralrisk.layers.forecasts import (
    LEVELS,
    DailyForecast,
    daily_fields,
    load_forecasts,
    parse_forecast_args,
)
from aralrisk.layers.result import BuildResult, open_build

ALERTS = "alerts"
RUNS = "runs"
STATE = "alerts.json"
#: Runs kept under alerts/runs besides the current one (older ones are removed; every
#: CAP message ever issued is carried forward into each run's cap/ folder).
KEEP_RUNS = 5
#: Vertices of a district outline in GeoJSON and CAP: enough to recognise the district,
#: few enough for CAP clients and SMS gateways that cap message size.
MAX_VERTICES = 100
#: Vulnerability columns whose shares (percent of people) split the people exposed.
AGE_SHARES = {"children_under5": "children_under5_value", "elderly_over65": "elderly_over65_value"}


@dataclass(frozen=True)
class BuildContext:
    """What alerts need from a build: its grid, zones, people, districts and places."""

    build: BuildResult
    grid: GridSpec
    zones: ZoneIndex
    people: np.ndarray | None
    districts: gpd.GeoDataFrame
    places: gpd.GeoDataFrame | None

    @classmethod
    def of(cls, build: BuildResult) -> BuildContext:
        """Read the grid, burn the districts and load the people of ``build``."""
        grid = GridSpec.from_dict(build.manifest["grid"])
        districts = build.districts
        zones = ZoneIndex(districts, grid, "code")
        try:
            people: np.ndarray | None = np.asarray(
                read_raster(build.raster("people")).to_numpy(), dtype=np.float64
            )
        except NotFoundError:
            people = None
        places_path = build.path / "places.geojson"
        places = gpd.read_file(places_path) if places_path.is_file() else None
        return cls(build, grid, zones, people, districts, places)


def district_alerts(ctx: BuildContext, forecast: DailyForecast) -> pd.DataFrame:
    """One row per district and forecast day (see the module docstring for the rules).

    Columns: ``forecast``, ``hazard``, ``code``, ``name``, ``day`` (ISO date),
    ``lead_days``, ``issued`` (ISO, UTC), ``level`` (none/yellow/orange/red),
    ``level_rank`` (0-3), ``threshold`` (the level's label), ``measure``, ``share``
    (0-1 of people or area counted at the level; for ``any`` the area share),
    ``probability`` (0-1, ensembles only, else NaN), ``value_max`` (district maximum of
    the daily value, ensemble median; ``units``), ``people_exposed``,
    ``children_under5``, ``elderly_over65``, ``settlements`` (list of names),
    ``notes`` (list), ``members``, ``source``, ``licence``, ``coverage`` (0-1 of the
    district's area with forecast data).

    Raises:
        InputError: The forecast has no value over any district.
    """
    spec = forecast.spec
    zones, people = ctx.zones, ctx.people
    population = (
        np.asarray(zones.stats(people).sum, dtype=np.float64) if people is not None else None
    )
    measure = spec.measure if (spec.measure != "people" or people is not None) else "area"
    n_levels, n_days = forecast.probability.shape[:2]
    n = len(zones)
    share = np.zeros((n_levels, n_days, n))
    exposed = np.zeros((n_levels, n_days, n))
    pmax = np.zeros((n_levels, n_days, n))
    coverage = np.zeros((n_days, n))
    value_max = np.zeros((n_days, n))
    # A hair below min_probability: frac_above counts values strictly above it.
    cut = spec.min_probability * (1 - 1e-9)
    for d in range(n_days):
        vstats = zones.stats(forecast.value[d])
        value_max[d] = vstats.max
        for k in range(n_levels):
            st = zones.stats(forecast.probability[k, d], weights=people, thresholds=[cut])
            coverage[d] = np.maximum(coverage[d], np.nan_to_num(st.coverage))
            area = np.nan_to_num(st.frac_above[:, 0])
            exposed[k, d] = np.nan_to_num(st.weight_above[:, 0])
            pmax[k, d] = np.nan_to_num(st.max)
            if measure == "people" and population is not None:
                with np.errstate(invalid="ignore", divide="ignore"):
                    share[k, d] = np.where(population > 0, exposed[k, d] / population, 0.0)
            else:
                share[k, d] = area
    if not (coverage > 0).any():
        raise InputError(
            f"{forecast.forecast.name} does not overlap the districts: no district has a "
            "forecast value; give a forecast of this region"
        )
    rows: list[dict[str, Any]] = []
    table = ctx.districts.set_index("code")
    ensemble = forecast.forecast.members > 1
    for d, day in enumerate(forecast.days):
        for z, code in enumerate(zones.ids):
            level = 0
            for k, threshold in enumerate(spec.thresholds):
                met = (
                    share[k, d, z] > 0
                    if measure == "any"
                    else share[k, d, z] >= threshold.min_share and share[k, d, z] > 0
                )
                if met and coverage[d, z] > 0:
                    level = LEVELS.index(threshold.level)
            k = _threshold_index(spec.thresholds, level)
            people_k = float(exposed[k, d, z]) if people is not None else float("nan")
            row = table.loc[code]
            rows.append(
                {
                    "forecast": spec.id,
                    "hazard": spec.hazard,
                    "code": str(code),
                    "name": str(row["name"]),
                    "name_kk": str(row.get("name_kk", "") or ""),
                    "name_ru": str(row.get("name_ru", "") or ""),
                    "day": day.isoformat(),
                    "lead_days": int(forecast.lead_days[d]),
                    "issued": cap.iso(forecast.issued),
                    "level": LEVELS[level],
                    "level_rank": level,
                    "threshold": spec.thresholds[k].label if level else "",
                    "measure": measure,
                    "share": float(share[k, d, z]),
                    "probability": float(pmax[k, d, z]) if ensemble else float("nan"),
                    "value_max": float(value_max[d, z]),
                    "units": spec.units_label,
                    "people_exposed": round(people_k),
                    **{
                        group: _age_share(people_k, row.get(column))
                        for group, column in AGE_SHARES.items()
                    },
                    "settlements": _settlements(ctx, forecast, k, d, str(code)) if level else [],
                    "notes": spec.notes_for(day) if level else [],
                    "members": forecast.forecast.members,
                    "source": spec.source,
                    "licence": forecast.licence,
                    "coverage": float(coverage[d, z]),
                }
            )
    return pd.DataFrame(rows)


def _threshold_index(thresholds: Sequence[Any], level: int) -> int:
    """Index of the threshold of ``level`` (the lowest one for no level)."""
    for k, t in enumerate(thresholds):
        if LEVELS.index(t.level) == level:
            return k
    return 0


def _age_share(people: float, percent: Any) -> float:
    try:
        value = float(percent)
    except (TypeError, ValueError):
        return float("nan")
    return round(people * value / 100.0) if np.isfinite(value) and np.isfinite(people) else np.nan


def _settlements(
    ctx: BuildContext, forecast: DailyForecast, k: int, d: int, code: str
) -> list[str]:
    """Names of the build's places in ``code`` whose cell counts at threshold ``k``."""
    if ctx.places is None or ctx.places.empty or "name" not in ctx.places:
        return []
    places = ctx.places
    if "district" in places:
        places = places[places["district"].astype(str) == code]
    if places.empty:
        return []
    to_grid = Transformer.from_crs(places.crs or "EPSG:4326", ctx.grid.crs, always_xy=True)
    xs, ys = to_grid.transform(places.geometry.x.to_numpy(), places.geometry.y.to_numpy())
    cols, rows = ~ctx.grid.transform * (np.asarray(xs), np.asarray(ys))
    rows, cols = np.floor(rows).astype(int), np.floor(cols).astype(int)
    inside = (rows >= 0) & (rows < ctx.grid.height) & (cols >= 0) & (cols < ctx.grid.width)
    prob = forecast.probability[k, d]
    names = []
    for name, r, c, ok in zip(places["name"], rows, cols, inside, strict=True):
        if ok and np.isfinite(prob[r, c]) and prob[r, c] >= forecast.spec.min_probability:
            names.append(str(name))
    return sorted(names)


# --- publishing ------------------------------------------------------------------------


def alerts_root(build_root: Path) -> Path:
    """The alerts folder of an output root (``<root>/alerts``)."""
    return build_root / ALERTS


def current_alerts(build_root: Path) -> Path | None:
    """The published alerts run of ``build_root``, or None when none was published."""
    link = alerts_root(build_root) / publish.CURRENT
    if not link.exists():
        return None
    return link.resolve()


def read_state(run_dir: Path | None) -> dict[str, Any]:
    """The state of a published run: forecasts (id -> issue time...) and messages."""
    if run_dir is None or not (run_dir / STATE).is_file():
        return {"forecasts": {}, "messages": []}
    state: dict[str, Any] = json.loads((run_dir / STATE).read_text(encoding="utf-8"))
    return state


def run(
    forecasts: Sequence[str],
    build_root: Path = Path("build"),
    *,
    thresholds_dir: Path | None = None,
    sender: str = cap.DEFAULT_SENDER,
    now: datetime | None = None,
) -> Path:
    """Compute, diff and publish the alerts of ``forecasts``; return the published run.

    Args:
        forecasts: Forecast files, each ``FILE`` (recognised by its variable) or
            ``ID=FILE`` with an id of ``forecasts.toml``.
        build_root: The output root (its ``current`` build) or a build directory; the
            alerts go to ``<build_root>/alerts``.
        thresholds_dir: Folder of threshold rasters (default: beside each forecast).
        sender: The CAP ``sender`` of the messages.
        now: The messages' ``sent`` time (default: now, UTC).

    Raises:
        InputError: A bad forecast (one sentence); the published alerts are unchanged.
        NotFoundError: No build under ``build_root``.
    """
    if not forecasts:
        raise InputError("no forecast given: add --forecast FILE")
    sent = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    specs = load_forecasts()
    build = open_build(build_root)
    root = alerts_root(build_root)
    with publish.root_lock(root):
        previous = read_state(current_alerts(build_root))
        ctx = BuildContext.of(build)
        parsed = parse_forecast_args(forecasts, specs)
        seen = [spec.id for _, spec in parsed]
        if len(seen) != len(set(seen)):
            raise InputError("two files of the same forecast were given: give one of each")
        frames, dailies = [], []
        for path, spec in parsed:
            daily = daily_fields(path, spec, ctx.grid, thresholds_dir=thresholds_dir)
            _check_newer(daily, previous)
            frames.append(district_alerts(ctx, daily))
            dailies.append(daily)
        table = pd.concat(frames, ignore_index=True)
        outlines = _outlines(ctx.districts)
        messages = cap.messages(
            table,
            dailies,
            previous["messages"],
            outlines,
            sender=sender,
            sent=sent,
            status="Exercise" if _illustrative(build, dailies) else "Actual",
            geocode=str(build.manifest["districts"].get("id_field") or "code"),
        )
        return _publish(root, table, outlines, messages, dailies, previous, build, sent, ctx.grid)


def _check_newer(daily: DailyForecast, previous: Mapping[str, Any]) -> None:
    before = previous["forecasts"].get(daily.spec.id)
    if before is None:
        return
    published = datetime.fromisoformat(before["issued"])
    if daily.issued <= published:
        raise InputError(
            f"{daily.forecast.name} was issued {cap.iso(daily.issued)}, not after the "
            f"{daily.spec.id} already published (issued {before['issued']}): give a newer "
            "forecast"
        )


def _illustrative(build: BuildResult, dailies: Sequence[DailyForecast]) -> bool:
    flags = [str(d.forecast.metadata.get("comment", "")).lower() for d in dailies]
    return bool(build.manifest.get("illustrative")) or any("illustrative" in f for f in flags)


def _outlines(districts: gpd.GeoDataFrame) -> dict[str, shapely.Geometry]:
    """District outlines in EPSG:4326 with at most about MAX_VERTICES vertices each."""
    out = {}
    for code, geom in zip(districts["code"], districts.to_crs(4326).geometry, strict=True):
        out[str(code)] = simplify(geom, MAX_VERTICES)
    return out


def simplify(geom: shapely.Geometry, max_vertices: int) -> shapely.Geometry:
    """Simplify (topology kept) with a growing tolerance until few enough vertices."""
    minx, miny, maxx, maxy = geom.bounds
    tolerance = max(maxx - minx, maxy - miny) / 1000.0
    simple = geom
    while shapely.get_num_coordinates(simple) > max_vertices and tolerance < 10:
        simple = shapely.simplify(geom, tolerance, preserve_topology=True)
        tolerance *= 1.6
    return simple


def _publish(
    root: Path,
    table: pd.DataFrame,
    outlines: Mapping[str, shapely.Geometry],
    messages: Sequence[cap.Message],
    dailies: Sequence[DailyForecast],
    previous: Mapping[str, Any],
    build: BuildResult,
    sent: datetime,
    grid: GridSpec,
) -> Path:
    version = f"{sent:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    staging = root / publish.STAGING / version
    staging.mkdir(parents=True)
    try:
        old = current_alerts(root.parent)
        (staging / "cap").mkdir()
        if old is not None and (old / "cap").is_dir():
            # Every message stays readable by its identifier: references point at them.
            for path in (old / "cap").glob("*.xml"):
                shutil.copy2(path, staging / "cap" / path.name)
        for message in messages:
            if message.xml is None:  # carried over: its file was copied above
                continue
            (staging / "cap" / f"{message.identifier}.xml").write_bytes(message.xml)
        (staging / "feed.xml").write_bytes(cap.atom_feed(messages, sent))
        _write_tables(staging, table, outlines)
        fields = _write_level_rasters(staging, dailies, grid)
        forecasts = dict(previous["forecasts"])
        for daily in dailies:
            forecasts[daily.spec.id] = {
                "issued": cap.iso(daily.issued),
                "file": daily.forecast.name,
                "title": daily.spec.title,
                "source": daily.spec.source,
                "licence": daily.licence,
                "members": daily.forecast.members,
                "days": [d.isoformat() for d in daily.days],
                "hazard": daily.spec.hazard,
                "rasters": fields.get(daily.spec.id, {}),
            }
        state = {
            "version": version,
            "created": cap.iso(sent),
            "build": build.version,
            "forecasts": forecasts,
            "messages": [m.record for m in messages],
            "counts": table.groupby("level")["code"].count().to_dict(),
        }
        (staging / STATE).write_text(json.dumps(state, indent=1), encoding="utf-8")
        runs = root / RUNS
        runs.mkdir(parents=True, exist_ok=True)
        final = runs / version
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    link = root / f".{publish.CURRENT}.{uuid.uuid4().hex[:8]}"
    os.symlink(Path(RUNS) / version, link)
    os.replace(link, root / publish.CURRENT)
    _prune(runs, keep=version)
    return final


def cell_levels(daily: DailyForecast) -> np.ndarray:
    """(days, y, x) uint8 alert level of each build cell, 255 without data.

    A cell's level is the highest threshold whose share of members above it reaches
    ``min_probability`` (0 none .. 3 red): the map's forecast layer. A district's
    level also asks the share of its people or area (:func:`district_alerts`).
    """
    prob = daily.probability
    levels = np.zeros(prob.shape[1:], dtype=np.uint8)
    for k, threshold in enumerate(daily.spec.thresholds):
        reached = np.nan_to_num(prob[k], nan=0.0) >= daily.spec.min_probability
        levels[reached] = LEVELS.index(threshold.level)
    levels[~np.isfinite(prob).any(axis=0)] = 255
    return levels


def _write_level_rasters(
    folder: Path, dailies: Sequence[DailyForecast], grid: GridSpec
) -> dict[str, dict[str, str]]:
    """Write ``levels/<forecast>/<day>.tif``, each day's cell levels as a COG.

    uint8, 255 no data: the map's forecast layer. Returns {forecast: {day: path}},
    paths relative to the run.
    """
    written: dict[str, dict[str, str]] = {}
    for daily in dailies:
        levels = cell_levels(daily)
        for d, day in enumerate(daily.days):
            rel = f"levels/{daily.spec.id}/{day.isoformat()}.tif"
            da = grid.write_georeference(
                xr.DataArray(levels[d].astype(np.float32), dims=("y", "x"))
            )
            write_cog(
                da.where(da != 255),
                folder / rel,
                nodata=255,
                dtype="uint8",
                overview_resampling="nearest",
                tags={"units": "1", "description": f"{daily.spec.id} cell alert level, {day}"},
            )
            written.setdefault(daily.spec.id, {})[day.isoformat()] = rel
    return written


def _prune(runs: Path, keep: str) -> None:
    older = sorted(p for p in runs.iterdir() if p.is_dir() and p.name != keep)
    for path in older[:-KEEP_RUNS] if len(older) > KEEP_RUNS else []:
        shutil.rmtree(path, ignore_errors=True)


def _write_tables(
    folder: Path, table: pd.DataFrame, outlines: Mapping[str, shapely.Geometry]
) -> None:
    """alerts.geojson (one feature per district, hazard and day) and alerts.csv."""
    features = []
    for record in table.to_dict(orient="records"):
        props = {k: _jsonable(v) for k, v in record.items()}
        props["id"] = f"{record['forecast']}:{record['code']}:{record['day']}"
        features.append(
            {
                "type": "Feature",
                "id": props["id"],
                "geometry": shapely.geometry.mapping(outlines[record["code"]]),
                "properties": props,
            }
        )
    collection = {"type": "FeatureCollection", "features": features}
    (folder / "alerts.geojson").write_text(json.dumps(collection), encoding="utf-8")
    flat = table.copy()
    for column in ("settlements", "notes"):
        flat[column] = ["; ".join(v) for v in flat[column]]
    write_csv(flat, folder / "alerts.csv")  # BOM, escaped formulas, .csvt beside


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value
