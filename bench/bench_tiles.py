"""Tile server benchmark: aralrisk next to TiTiler on the same COGs, over HTTP.

Run on demand (not part of pytest)::

    python -m bench.bench_tiles            # full run, about 3 minutes
    python -m bench.bench_tiles --quick    # 40 tiles, a smoke run

What is measured, side by side in one run:

* **layer tiles**: a 16,000 x 8,800 float32 score COG over the oblast (made once by
  :mod:`bench.synthetic`), 256 px PNG, coloured in the five INFORM score classes.
  TiTiler (``titiler.core`` ``TilerFactory``) gets the same classes as an interval
  colormap (``?colormap=[[[lo, hi], rgba], ...]``), so both draw identical pixels;
  aralrisk serves the COG as the ``dust_days`` score layer of a benchmark build.
* **composite tiles**: two such COGs combined by INFORM's adjusted geometric mean
  with equal weights, then classed. TiTiler reads a two-band VRT of the two COGs
  with the equivalent band expression, INFORM's adjusted geometric mean of two equal
  weights ``(10 - sqrt(((10 - b1) * 0.9 + 1) * ((10 - b2) * 0.9 + 1))) * 10 / 9``;
  aralrisk computes ``/composite/tiles`` with :func:`layers.scoring.composite_cells`.

aralrisk is one uvicorn process; TiTiler runs as its best deployment on this machine,
two uvicorn processes on one socket (``--titiler-workers``, default 2; 1 gives the
single-process comparison of earlier rounds). The composite is measured once more with
aralrisk on as many processes (``aralrisk serve --workers 2``; ``--aralrisk-workers``).
Servers listen on 127.0.0.1 (no access log) and start fresh for every client count: the
first pass over the tile list is *cold* (nothing cached, no dataset open; the OS page
cache is warm for both), the second *warm* (aralrisk then answers from its rendered-tile
cache; TiTiler has none). Clients are httpx keep-alive connections in threads pulling
from one shared list. While aralrisk is hammered by 8 clients a probe measures
``/healthz``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import httpx
import morecantile
import numpy as np
from fastapi import FastAPI
from shapely.geometry import box

from aralrisk.geo.grid import GridSpec
from aralrisk.geo.index import RISK_CLASS_BREAKS
from aralrisk.geo.io import raster_grid
from aralrisk.layers.outputs import catalog_dict
from aralrisk.layers.registry import SCORE_COLORS, load_catalog
from bench.http import Run, hammer, probe, serve
from bench.synthetic import DATA_DIR, OBLAST_BOUNDS, synthetic_cog

TMS = morecantile.tms.get("WebMercatorQuad")
#: INFORM's adjusted geometric mean of two equal-weight scores as a TiTiler expression.
AGM_EXPRESSION = "(10-sqrt(((10-b1)*0.9+1)*((10-b2)*0.9+1)))*10/9"
BUILD_ROOT = DATA_DIR / "tiles-build"
HAZARDS = ("dust_days", "flood_rp100")  # the layers of two hazards: dust and river flood
#: Places a planner zooms in on: Kyzylorda city (z9) and Aralsk on the old shore (z10).
VIEWPORTS = {9: (65.51, 44.85), 10: (61.67, 46.80)}


# ------------------------------------------------------------------ data


def score_cogs() -> tuple[Path, Path]:
    """The two large score COGs (made on the first run, about 2 minutes each)."""
    return (
        synthetic_cog(DATA_DIR / "score_a.tif", seed=0),
        synthetic_cog(DATA_DIR / "score_b.tif", seed=1),
    )


def bench_build(cogs: Sequence[Path]) -> Path:
    """A minimal published build whose hazard layers are the benchmark COGs.

    The layout is what :func:`layers.result.open_build` reads (``current`` symlink,
    ``manifest.json``, ``districts.parquet``, ``layers/*.tif``); the COGs are linked,
    not copied.
    """
    stamp = "".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in cogs)
    version = "bench-" + hashlib.sha256(stamp.encode()).hexdigest()[:12]
    build_dir = BUILD_ROOT / "builds" / version
    if not (build_dir / "manifest.json").is_file():
        (build_dir / "layers").mkdir(parents=True, exist_ok=True)
        layers = {}
        for layer_id, cog in zip(HAZARDS, cogs, strict=True):
            for suffix in (".tif", ".score.tif"):
                link = build_dir / "layers" / f"{layer_id}{suffix}"
                link.unlink(missing_ok=True)
                link.symlink_to(cog)
            layers[layer_id] = {
                "raw": f"layers/{layer_id}.tif",
                "score": f"layers/{layer_id}.score.tif",
            }
        catalog = load_catalog().subset(list(HAZARDS))
        gpd.GeoDataFrame(
            {"code": ["KZ-BENCH"], "name": ["Oblast"]},
            geometry=[box(*OBLAST_BOUNDS)],
            crs="EPSG:4326",
        ).to_parquet(build_dir / "districts.parquet")
        manifest = {
            "version": version,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "code_version": "bench",
            "title": "Tile benchmark",
            "attribution": "synthetic benchmark data",
            "illustrative": True,
            "bounds": list(OBLAST_BOUNDS),
            "grid": GridSpec(*raster_grid(cogs[0])).to_dict(),
            "districts": {"count": 1, "id_field": "code", "name_field": "name", "names": {}},
            "layers": layers,
            "rasters": {},
            "basemap": {},
            "catalog": catalog_dict(catalog),
            "scoring": {"profile": "equal", "method": "geometric", "overrides": {}},
            "outputs": {},
        }
        (build_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    current = BUILD_ROOT / "current"
    current.unlink(missing_ok=True)
    current.symlink_to(Path("builds") / version)
    return BUILD_ROOT


def composite_vrt(cogs: Sequence[Path]) -> Path:
    """A two-band VRT stacking the score COGs, for TiTiler's band expression."""
    import rasterio

    with rasterio.open(cogs[0]) as ds:
        width, height, transform, crs = ds.width, ds.height, ds.transform, ds.crs
    bands = "".join(
        f"""  <VRTRasterBand dataType="Float32" band="{i}">
    <NoDataValue>nan</NoDataValue>
    <SimpleSource>
      <SourceFilename relativeToVRT="0">{cog}</SourceFilename>
      <SourceBand>1</SourceBand>
      <SrcRect xOff="0" yOff="0" xSize="{width}" ySize="{height}"/>
      <DstRect xOff="0" yOff="0" xSize="{width}" ySize="{height}"/>
    </SimpleSource>
  </VRTRasterBand>
"""
        for i, cog in enumerate(cogs, start=1)
    )
    geo = ", ".join(repr(v) for v in transform.to_gdal())
    text = (
        f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}">\n'
        f"  <SRS>{crs.to_wkt()}</SRS>\n  <GeoTransform>{geo}</GeoTransform>\n{bands}"
        "</VRTDataset>\n"
    )
    path = DATA_DIR / "composite.vrt"
    path.write_text(text)
    return path


# ------------------------------------------------------------------ tiles and servers


def titiler_app() -> FastAPI:
    """TiTiler's own COG endpoints, as a user would deploy them (uvicorn factory)."""
    from titiler.core.factory import TilerFactory

    app = FastAPI(title="TiTiler (benchmark)")
    app.include_router(TilerFactory().router)
    return app


def tile_list(count: int) -> list[morecantile.Tile]:
    """``count`` distinct tiles at zooms 6-10 over the oblast, in the order a map asks.

    Every tile of zooms 6-8 over the oblast, then a screen-sized block around Kyzylorda
    at zoom 9 and around Aralsk at zoom 10 (each nearest the centre first).
    """
    west, south, east, north = OBLAST_BOUNDS
    tiles: list[morecantile.Tile] = []
    for z in (6, 7, 8):
        tiles += list(TMS.tiles(west, south, east, north, [z]))
    rest = max(0, count - len(tiles))
    for z, (lon, lat) in VIEWPORTS.items():
        centre = TMS.tile(lon, lat, z)
        around = [
            morecantile.Tile(centre.x + dx, centre.y + dy, z)
            for dx in range(-8, 9)
            for dy in range(-8, 9)
        ]
        around.sort(key=lambda t: (t.x - centre.x) ** 2 + (t.y - centre.y) ** 2)
        tiles += around[: (rest + 1) // 2 if z == 9 else rest // 2]
    return tiles[:count]


def interval_colormap() -> str:
    """The score classes as a TiTiler interval colormap (``lo <= v < hi``).

    INFORM classes a score once rounded to one decimal, half up (2.15 is Low, as 2.2):
    :func:`aralrisk.geo.index.risk_class`. On raw values that puts each class's lower
    bound half a decimal below its break, so TiTiler is given ``break - 0.05``.
    """
    bounds = [-1e9, *(b - 0.05 for b in RISK_CLASS_BREAKS), 1e9]
    classes = []
    for i, color in enumerate(SCORE_COLORS):
        rgb = [int(color[k : k + 2], 16) for k in (1, 3, 5)]
        classes.append([[bounds[i], bounds[i + 1]], [*rgb, 255]])
    return json.dumps(classes, separators=(",", ":"))


# ------------------------------------------------------------------ the benchmark


@dataclass(frozen=True)
class Case:
    """One side of a comparison: a server and how to ask it for tile ``z/x/y``."""

    server: str
    kind: str
    app: str
    url: str  # format string with {base}, {z}, {x}, {y}
    env: tuple[tuple[str, str], ...] = ()

    def urls(self, base: str, tiles: Sequence[morecantile.Tile]) -> list[str]:
        return [self.url.format(base=base, z=t.z, x=t.x, y=t.y) for t in tiles]


def cases(cogs: Sequence[Path], build_root: Path, vrt: Path) -> list[Case]:
    query = httpx.QueryParams({"colormap": interval_colormap()})
    ours_env = (("ARALRISK_BUILD_DIR", str(build_root)),)
    # rio-tiler's PNG writer warns on every tile that the image has no georeference.
    titiler_env = (("PYTHONWARNINGS", "ignore:Dataset has no geotransform"),)
    return [
        Case(
            "TiTiler",
            "layer",
            "bench.bench_tiles:titiler_app",
            "{base}/tiles/WebMercatorQuad/{z}/{x}/{y}.png?" + str(query.set("url", str(cogs[0]))),
            titiler_env,
        ),
        Case(
            "aralrisk",
            "layer",
            "aralrisk.api.app:create_app",
            "{base}/layers/dust_days/tiles/{z}/{x}/{y}.png?values=score",
            ours_env,
        ),
        Case(
            "TiTiler",
            "composite",
            "bench.bench_tiles:titiler_app",
            "{base}/tiles/WebMercatorQuad/{z}/{x}/{y}.png?"
            + str(query.set("url", str(vrt)).set("expression", AGM_EXPRESSION)),
            titiler_env,
        ),
        Case(
            "aralrisk",
            "composite",
            "aralrisk.api.app:create_app",
            "{base}/composite/tiles/{z}/{x}/{y}.png?method=geometric&weights="
            + ",".join(f"{h}:1" for h in ("dust", "river_flood")),
            ours_env,
        ),
    ]


def same_pixels(a: bytes, b: bytes) -> float:
    """Share of identical RGBA pixels of two PNGs."""
    from PIL import Image

    with Image.open(io.BytesIO(a)) as ia, Image.open(io.BytesIO(b)) as ib:
        pa, pb = np.asarray(ia.convert("RGBA")), np.asarray(ib.convert("RGBA"))
    if pa.shape != pb.shape:
        return 0.0
    # Transparent pixels match whatever colour values they carry.
    same = (pa == pb).all(axis=-1) | ((pa[..., 3] == 0) & (pb[..., 3] == 0))
    return float(same.mean())


def measure(
    case: Case,
    tiles: Sequence[morecantile.Tile],
    clients: int,
    health: list[float] | None = None,
    workers: int = 1,
) -> dict[str, Run]:
    """Cold and warm passes of ``case`` on a fresh server (``health``: probe /healthz)."""
    with serve(case.app, dict(case.env), workers=workers) as server:
        base = server.base
        urls = case.urls(base, tiles)
        # A tile outside the list first: imports, the first open and, for aralrisk,
        # loading the build are start-up costs, not tile costs. Asked on several
        # connections, so that every process of a multi-process server is warmed.
        centre = TMS.tile((OBLAST_BOUNDS[0] + OBLAST_BOUNDS[2]) / 2, 45.0, 5)
        for _ in range(4 * workers):
            httpx.get(case.urls(base, [centre])[0], timeout=60)
        if health is not None:
            with probe(base + "/healthz") as latencies:
                cold = hammer(urls, clients)
            health.extend(latencies)
        else:
            cold = hammer(urls, clients)
        warm = hammer(urls, clients)
    return {"cold": cold, "warm": warm}


def compare_outputs(pair: Sequence[Case], tiles: Sequence[morecantile.Tile]) -> float:
    """Mean share of identical pixels between two servers' tiles (a sample of 12)."""
    sample = tiles[:: max(1, len(tiles) // 12)]
    with (
        serve(pair[0].app, dict(pair[0].env)) as a_server,
        serve(pair[1].app, dict(pair[1].env)) as b_server,
    ):
        shares = []
        for a_url, b_url in zip(
            pair[0].urls(a_server.base, sample), pair[1].urls(b_server.base, sample), strict=True
        ):
            a, b = httpx.get(a_url, timeout=60), httpx.get(b_url, timeout=60)
            ok = a.status_code == b.status_code == 200
            shares.append(same_pixels(a.content, b.content) if ok else 0.0)
    return float(np.mean(shares))


#: The head of the tables :func:`_row` fills.
TABLE_HEADER = (
    "| tiles | clients | cache | TiTiler tiles/s | p50 ms | p99 ms "
    "| aralrisk tiles/s | p50 ms | p99 ms | throughput x | p99 no worse |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|"
)


def _row(kind: str, clients: int, state: str, t: Run, o: Run) -> str:
    errors = f" ({t.errors}/{o.errors} errors)" if t.errors or o.errors else ""
    p99 = "yes" if o.percentile(99) <= t.percentile(99) else "NO"
    return (
        f"| {kind} | {clients} | {state} | {t.rate:.1f} | {t.percentile(50):.0f} | "
        f"{t.percentile(99):.0f} | {o.rate:.1f} | {o.percentile(50):.0f} | "
        f"{o.percentile(99):.0f} | {o.rate / t.rate:.2f}{errors} | {p99} |"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=200, help="tiles in the list")
    parser.add_argument("--quick", action="store_true", help="40 tiles, 1 and 8 clients")
    parser.add_argument(
        "--titiler-workers", type=int, default=2, help="TiTiler's uvicorn processes"
    )
    parser.add_argument(
        "--aralrisk-workers",
        type=int,
        default=2,
        help="aralrisk's processes for the extra composite rows (0: no extra rows)",
    )
    args = parser.parse_args(argv)
    count = 40 if args.quick else args.tiles
    started = time.time()
    cogs = score_cogs()
    build_root = bench_build(cogs)
    vrt = composite_vrt(cogs)
    tiles = tile_list(count)
    zooms = sorted({t.z for t in tiles})
    all_cases = cases(cogs, build_root, vrt)
    print(
        f"tile benchmark: {len(tiles)} tiles at zooms {zooms[0]}-{zooms[-1]}, 256 px PNG, "
        f"5 score classes; COGs {cogs[0].stat().st_size / 1e6:.0f} MB each (16,000 x 8,800 "
        f"float32); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
        f"aralrisk 1 uvicorn process, TiTiler {args.titiler_workers}"
    )
    for kind, pair in (("layer", all_cases[:2]), ("composite", all_cases[2:])):
        share = compare_outputs(pair, tiles)
        print(f"identical pixels, aralrisk vs TiTiler {kind} tiles: {share:.2%}")
    results: dict[tuple[str, str, int], dict[str, Run]] = {}
    health: list[float] = []
    for clients in (1, 8):
        for case in all_cases:
            probe_health = health if case.server == "aralrisk" and clients > 1 else None
            workers = args.titiler_workers if case.server == "TiTiler" else 1
            results[(case.server, case.kind, clients)] = measure(
                case, tiles, clients, probe_health, workers
            )
    print()
    print(TABLE_HEADER)
    for kind in ("layer", "composite"):
        for clients in (1, 8):
            for state in ("cold", "warm"):
                t = results[("TiTiler", kind, clients)][state]
                o = results[("aralrisk", kind, clients)][state]
                print(_row(kind, clients, state, t, o))
    if args.aralrisk_workers > 1:
        # Both servers as deployed for throughput: the composite again, aralrisk on as
        # many processes as TiTiler (one process's renders share one interpreter lock).
        ours = next(c for c in all_cases if c.server == "aralrisk" and c.kind == "composite")
        print(
            f"\ncomposite tiles, aralrisk {args.aralrisk_workers} processes "
            f"(TiTiler {args.titiler_workers}, from the rows above):"
        )
        print(TABLE_HEADER)
        for clients in (1, 8):
            runs = measure(ours, tiles, clients, None, args.aralrisk_workers)
            for state in ("cold", "warm"):
                t = results[("TiTiler", "composite", clients)][state]
                print(_row("composite", clients, state, t, runs[state]))
    if health:
        p50, p99 = (float(np.percentile(health, q) * 1000) for q in (50, 99))
        print(
            f"\n/healthz while 8 clients fetch cold tiles: p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms ({len(health)} probes)"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
