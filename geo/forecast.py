"""Gridded forecasts read into one shape: (member, time, y, x) of valid times.

Forecast services lay their files out in a few ways, and all of them read here:

* a ``time`` axis of **valid times** (CAMS NetCDF from the Atmosphere Data Store, most
  national forecasts), with the issue time in a scalar ``forecast_reference_time``
  coordinate or a global attribute;
* a **reference time plus lead time**, as GRIB files converted with cfgrib or
  ``grib_to_netcdf`` have (ECMWF open data, GloFAS, CAMS): a scalar ``time`` (or
  ``forecast_reference_time``) and a ``step`` (or ``forecast_period``) axis of
  timedeltas; the valid time is their sum (a ``valid_time`` coordinate, if present,
  is the same thing and is not needed);
* optional **ensemble members** along ``number`` (ECMWF/GloFAS), ``realization`` (CF,
  iris) or ``member``/``ensemble_member``; a deterministic forecast gets one member;
* any **grid**: longitude/latitude (``lon``/``lat``/``longitude``/``latitude``, with
  0..360 longitudes turned into -180..180 as GIS tools expect) or projected x/y with
  a CF grid mapping.

Units are checked to parse as CF units here; converting them to the units a hazard is
judged in belongs to the caller's catalog. Nothing here knows about hazards or places.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from aralrisk.geo._files import PathLike, base_name, require_file
from aralrisk.geo.errors import InputError, warn_input
from aralrisk.geo.io import _check_units, _is_time, _open_dataset, find_variable

__all__ = ["Forecast", "read_forecast"]

_X_NAMES = ("x", "lon", "longitude", "rlon")
_Y_NAMES = ("y", "lat", "latitude", "rlat")
_GEOGRAPHIC = ("lon", "longitude", "lat", "latitude")
_MEMBER_NAMES = ("number", "realization", "member", "ensemble_member", "ensemble")
_STEP_NAMES = ("step", "forecast_period", "lead_time", "leadtime")
_REFERENCE_NAMES = ("forecast_reference_time", "reference_time", "time")
_VALID_NAMES = ("valid_time", "time")
#: Global attributes that may hold the issue time when no coordinate does.
_ISSUE_ATTRS = ("forecast_reference_time", "issue_time", "issued", "date_created")
#: Global attributes copied into :attr:`Forecast.metadata` (CF and ACDD names).
_META_ATTRS = (
    "title",
    "institution",
    "source",
    "references",
    "license",
    "licence",
    "comment",
    "history",
)


@dataclass(frozen=True)
class Forecast:
    """One gridded forecast variable.

    Attributes:
        name: The file's base name (never a full path: messages may reach clients).
        variable: The variable read.
        data: Lazily chunked DataArray of dims ``(member, time, y, x)``: ``time`` holds
            the valid times (numpy datetime64, UTC), ``member`` the ensemble members
            (one member, ``0``, for a deterministic forecast); 1-D ``x``/``y``
            coordinates in the CRS written with rioxarray (EPSG:4326 for a
            longitude/latitude grid without a grid mapping), ``y`` as in the file.
            Values are in :attr:`units`; NaN (or the file's fill value) is no data.
        units: The variable's CF units as written in the file, e.g. ``"kg m**-3"``.
        issued: The forecast's reference (issue) time, timezone-aware UTC.
        metadata: The file's global attributes among CF/ACDD's ``title``,
            ``institution``, ``source``, ``references``, ``license``, ``comment``,
            ``history``.
    """

    name: str
    variable: str
    data: xr.DataArray = field(repr=False)
    units: str
    issued: datetime
    metadata: Mapping[str, str]

    @property
    def members(self) -> int:
        """Number of ensemble members (1 for a deterministic forecast)."""
        return int(self.data.sizes["member"])

    @property
    def valid_times(self) -> pd.DatetimeIndex:
        """The valid times, UTC."""
        return pd.DatetimeIndex(self.data["time"].to_numpy()).tz_localize(UTC)


def variables(path: PathLike) -> list[str]:
    """Names of the data variables of a forecast file (to tell which forecast it is).

    Raises:
        InputError: The file is missing or not a readable NetCDF file or Zarr store.
    """
    require_file(path, "forecast file")
    with _open_dataset(Path(path), base_name(path)) as ds:
        return [str(v) for v in ds.data_vars]


def read_forecast(path: PathLike, variable: str, *, aliases: Sequence[str] = ()) -> Forecast:
    """Read one forecast variable from NetCDF or Zarr (see the module docstring for layouts).

    Args:
        path: A NetCDF file or a Zarr store.
        variable: The variable, e.g. ``"pm10"``.
        aliases: Other names of the same variable, tried in order (e.g. ``"dis24"``
            for ``"dis"``).

    Returns:
        A :class:`Forecast`.

    Raises:
        InputError: The file is unreadable; no candidate variable exists; it has no
            time axis (neither valid times nor reference + lead times), more than one
            reference time, extra dimensions, no x/y axis, no or unparsable units, or
            a projected grid without a grid mapping. One sentence each.

    Warns:
        InputWarning: The file does not say when it was issued; the first valid time
            is taken as the issue time.
    """
    name = base_name(path)
    require_file(path, "forecast file")
    ds = _open_dataset(Path(path), name)
    found = find_variable(ds, name, [variable, *aliases])
    da = ds[found]
    _check_units(da, name, found)
    da, geographic = _spatial_dims(da, name, found)
    da, issued = _time_axis(da, ds.attrs, name, found)
    da = _member_axis(da, name, found)
    crs = da.rio.crs
    if crs is None:
        if not geographic:
            raise InputError(
                f"{name}: variable {found!r} has projected x/y coordinates but no grid "
                "mapping: add a CF grid_mapping variable or write one with "
                "`ds.rio.write_crs(...)`"
            )
        crs = "EPSG:4326"
    if geographic:
        da = _wrap_longitudes(da)
    da = da.rio.set_spatial_dims(x_dim="x", y_dim="y").rio.write_crs(crs)
    metadata = {k: str(ds.attrs[k]) for k in _META_ATTRS if k in ds.attrs}
    return Forecast(name, found, da, str(da.attrs["units"]), issued, metadata)


def _spatial_dims(da: xr.DataArray, name: str, var: str) -> tuple[xr.DataArray, bool]:
    renames: dict[Any, str] = {}
    geographic = False
    for dim in da.dims:
        key = str(dim).lower()
        if key in _X_NAMES:
            renames[dim] = "x"
        elif key in _Y_NAMES:
            renames[dim] = "y"
        geographic |= key in _GEOGRAPHIC
    da = da.rename({k: v for k, v in renames.items() if k != v})
    for axis in ("x", "y"):
        if axis not in da.dims:
            raise InputError(
                f"{name}: variable {var!r} has no {axis} axis (dims "
                f"{', '.join(map(str, da.dims))}): name them lon/lat or x/y"
            )
    return da, geographic


def _time_axis(
    da: xr.DataArray, attrs: Mapping[str, Any], name: str, var: str
) -> tuple[xr.DataArray, datetime]:
    """Make one ``time`` dimension of valid times; return it with the issue time."""
    dims = [str(d) for d in da.dims]
    step = next((d for d in dims if d.lower() in _STEP_NAMES), None)
    da, reference = _reference(da, dims, name, var)
    dims = [str(d) for d in da.dims]
    if step is not None:
        lead = da[step]
        if not np.issubdtype(lead.dtype, np.timedelta64):
            raise InputError(
                f"{name}: the lead times {step!r} of {var!r} are not decoded as durations: "
                "give them CF units such as 'hours'"
            )
        if reference is None:
            raise InputError(
                f"{name}: variable {var!r} has lead times ({step!r}) but no reference "
                "time: add a scalar 'time' or 'forecast_reference_time' coordinate"
            )
        valid = np.datetime64(reference.replace(tzinfo=None), "ns") + lead.to_numpy()
        # The valid_time coordinate cfgrib writes would clash with the new axis.
        da = da.drop_vars([c for c in ("valid_time", "time") if c in da.coords], errors="ignore")
        da = da.rename({step: "time"}).assign_coords(time=("time", valid))
        return da, reference
    time_dim = next(
        (
            d
            for d in dims
            if d.lower() in _VALID_NAMES or (d in da.coords and _is_time(da[d]) and d != "member")
        ),
        None,
    )
    if time_dim is None:
        raise InputError(
            f"{name}: variable {var!r} has no time axis (dims {', '.join(dims)}): a "
            "forecast needs valid times ('time') or lead times ('step') with a reference time"
        )
    coord = da[time_dim] if time_dim in da.coords else None
    if coord is None or not np.issubdtype(coord.dtype, np.datetime64):
        raise InputError(
            f"{name}: the time axis of {var!r} is not decoded as dates in the standard "
            "calendar: give it CF units such as 'hours since 2026-01-01'"
        )
    if time_dim != "time":
        da = da.drop_vars("time", errors="ignore").rename({time_dim: "time"})
    if reference is None:
        reference = _issue_from_attrs(attrs)
    if reference is None:
        first = pd.Timestamp(da["time"].to_numpy().min()).to_pydatetime()
        reference = first.replace(tzinfo=UTC)
        warn_input(
            f"{name} does not say when it was issued (no forecast_reference_time): its "
            f"first valid time {reference:%Y-%m-%d %H:%M} UTC is taken as the issue time",
            stacklevel=3,
        )
    return da, reference


def _reference(
    da: xr.DataArray, dims: list[str], name: str, var: str
) -> tuple[xr.DataArray, datetime | None]:
    """The reference time from a scalar (or size-1) coordinate, if any.

    A size-1 reference-time dimension is squeezed away (kept as a scalar coordinate).
    """
    for key in _REFERENCE_NAMES:
        if key not in da.coords:
            continue
        coord = da[key]
        if not np.issubdtype(coord.dtype, np.datetime64):
            continue
        if key in dims and coord.size > 1:
            if key == "time" and not any(d.lower() in _STEP_NAMES for d in dims):
                return da, None  # a 'time' axis of valid times, not a reference time
            raise InputError(
                f"{name}: variable {var!r} holds {coord.size} forecast runs ({key!r}): "
                "select one run before reading it, e.g. with `ds.isel({key}=-1)`"
            )
        if coord.size != 1:
            continue
        if key in dims and any(d.lower() in _STEP_NAMES for d in dims):
            da = da.squeeze(key)
        elif key in dims:
            continue  # a one-step axis of valid times: read as such below
        return da, _utc(coord.to_numpy().reshape(-1)[0])
    return da, None


def _issue_from_attrs(attrs: Mapping[str, Any]) -> datetime | None:
    for key in _ISSUE_ATTRS:
        if key in attrs:
            try:
                return _utc(attrs[key])
            except (ValueError, TypeError):
                continue
    return None


def _utc(value: Any) -> datetime:
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    result: datetime = stamp.to_pydatetime()
    return result


def _member_axis(da: xr.DataArray, name: str, var: str) -> xr.DataArray:
    """Name the ensemble axis ``member`` (adding one of size 1) and order the dims."""
    member = next((str(d) for d in da.dims if str(d).lower() in _MEMBER_NAMES), None)
    if member is None:
        # A scalar 'number' coordinate (a control forecast from cfgrib) would clash.
        da = da.drop_vars([c for c in _MEMBER_NAMES if c in da.coords]).expand_dims(member=[0])
    elif member != "member":
        da = da.drop_vars("member", errors="ignore").rename({member: "member"})
    # Size-1 leftovers (a single level, a size-1 reference time) go away.
    extra = [d for d in da.dims if d not in ("member", "time", "y", "x")]
    if any(da.sizes[d] > 1 for d in extra):
        raise InputError(
            f"{name}: variable {var!r} has extra dimensions ({', '.join(map(str, extra))}): "
            "select one level before reading it, e.g. with `ds.isel(...)`"
        )
    da = da.squeeze(extra, drop=True).transpose("member", "time", "y", "x")
    return da.sortby("time")


def _wrap_longitudes(da: xr.DataArray) -> xr.DataArray:
    """Longitudes 0..360 (CAMS, GloFAS, ECMWF) to -180..180, ascending."""
    x = da["x"].to_numpy()
    if x.size == 0 or float(np.nanmax(x)) <= 180.0:
        return da
    wrapped = (x + 180.0) % 360.0 - 180.0
    return da.assign_coords(x=("x", wrapped, dict(da["x"].attrs))).sortby("x")
