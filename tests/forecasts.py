"""Tiny forecast files over the tiny world (tests/world.py), in real services' layouts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

ISSUED = datetime(2026, 4, 10, tzinfo=UTC)
LON = np.arange(59.625, 62.5, 0.25)
LAT = np.arange(45.375, 43.5, -0.25)


def pm10(path: Path, per_day: list[dict[str, float]], issued: datetime = ISSUED) -> Path:
    """A CAMS-like PM10 file (kg m-3, time/latitude/longitude), one value per district.

    ``per_day[d]`` maps "A"/"B"/"C" to µg/m3 on day d; cells take their district's value
    (A west of lon 61, B south-east, C north-east).
    """
    lon, lat = np.meshgrid(LON, LAT)
    data = []
    for values in per_day:
        field = np.where(lon < 61, values["A"], np.where(lat < 44.5, values["B"], values["C"]))
        data.append(field * 1e-9)  # µg/m3 -> kg m-3
    times = pd.date_range(issued.replace(tzinfo=None), periods=len(per_day), freq="D")
    ds = xr.Dataset(
        {"pm10": (("time", "latitude", "longitude"), np.array(data), {"units": "kg m**-3"})},
        coords={"time": times, "latitude": LAT, "longitude": LON % 360},
    )
    ds = ds.assign_coords(forecast_reference_time=np.datetime64(issued.replace(tzinfo=None)))
    ds.to_netcdf(path)
    return path


def with_dust_alerts(build_root: Path, folder: Path) -> Path:
    """A copy of the tiny world's output root in ``folder``, with dust alerts published.

    Day 1: A red, B yellow; day 2: A orange (from :func:`pm10`, issued :data:`ISSUED`).
    Returns the copied root.
    """
    import shutil

    from aralrisk.layers import alerts

    root = folder / "root"
    shutil.copytree(build_root, root, symlinks=True)
    path = pm10(
        folder / "pm10.nc",
        [{"A": 200.0, "B": 60.0, "C": 20.0}, {"A": 120.0, "B": 20.0, "C": 20.0}],
    )
    alerts.run([str(path)], root, now=ISSUED)
    return root
