"""The same build on a Dask distributed cluster equals the single-process build (issue 7)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from distributed import LocalCluster

from aralrisk.layers.config import load_config
from aralrisk.layers.pipeline import build
from tests import world


@pytest.mark.slow
def test_local_cluster_build_equals_single_process(tmp_path: Path) -> None:
    world.make_world(tmp_path / "world")
    # Raster layers only: they exercise reading, warping, zonal passes and COG writing on
    # the cluster; the climate indicators run through the same scheduler but cost minutes.
    cfg = load_config(tmp_path / "world" / "build.toml")
    config = cfg.model_copy(
        update={
            "layers": [
                "flood_rp10",
                "flood_rp100",
                "groundwater_salinity",
                "dust_days",
                "population",
                "poverty",
                "hospital_beds",
            ]
        }
    )
    single = build(config, out=tmp_path / "single", progress=False)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        clustered = build(
            config, out=tmp_path / "cluster", progress=False, scheduler=cluster.scheduler_address
        )
    assert clustered.version != single.version
    volatile = ["weights"]
    pd.testing.assert_frame_equal(
        single.table().drop(columns=volatile), clustered.table().drop(columns=volatile)
    )
    for name in ("flood_rp10", "groundwater_salinity", "dust_days_score", "composite", "exposed"):
        with rasterio.open(single.raster(name)) as a, rasterio.open(clustered.raster(name)) as b:
            np.testing.assert_array_equal(a.read(1), b.read(1), err_msg=name)
            assert a.transform == b.transform and a.crs == b.crs
