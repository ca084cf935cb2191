"""API latency benchmark (issue 7.5): ``/districts`` with custom weights, ``/healthz`` under load.

Run on demand (not part of pytest)::

    python -m bench.bench_api            # 200 /districts requests, 30 s of tile load
    python -m bench.bench_api --quick    # 20 requests, 5 s of tile load, a smoke run

The sample (``data/sample/build.toml``) is built once into ``bench/.data/`` (rebuilt
when the sample files change, or with ``--rebuild``) and served by one fresh uvicorn
process (``api.app:create_app``) on a free 127.0.0.1 port, as ``aralrisk serve`` runs
it. Clients are httpx keep-alive connections; no request sends ``If-None-Match``, so
every answer is computed, not a 304.

* ``/districts`` with custom weights: sequential requests, each with other weights
  (hazard subsets, weights 0.5-5, both methods) so that nothing is answered from a
  per-weights cache, plus the issue's own ``weights=dust_days:2,flood_rp100:1&method=max``.
  Target: p50 under 50 ms.
* ``/healthz`` idle, then while 8 clients fetch distinct (cold) tiles of every layer at
  every served zoom in another process; the probe asks every 25 ms. Target: p99 under
  10 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import multiprocessing
import os
import queue
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.http import Server, hammer, serve
from bench.synthetic import DATA_DIR

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
ISSUE_QUERY = "weights=dust:2,river_flood:1&method=max"
DISTRICTS_P50_MS = 50.0
HEALTHZ_P99_MS = 10.0
#: Derived surfaces have one colouring; other layers have raw values and scores.
DERIVED = ("composite", "exposed", "vulnerability", "lack_of_coping")


# ------------------------------------------------------------------ the served build


def sample_build(resolution: float | None = None, rebuild: bool = False) -> Path:
    """The sample built once under ``bench/.data`` (optionally on a finer grid).

    The folder name carries a digest of the sample files (names, sizes, mtimes) and the
    resolution, so a regenerated sample is built again.
    """
    from aralrisk.layers.config import load_config
    from aralrisk.layers.pipeline import DEFAULT_CONFIG, build

    stamp = "".join(
        f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns};"
        for p in sorted(SAMPLE.iterdir())
        if p.is_file()
    )
    digest = hashlib.sha256(f"{stamp}{resolution}".encode()).hexdigest()[:12]
    suffix = f"-{resolution:g}deg" if resolution else ""
    root = DATA_DIR / f"sample-build{suffix}-{digest}"
    if rebuild or not (root / "current" / "manifest.json").is_file():
        cfg = load_config(DEFAULT_CONFIG)
        if resolution:
            cfg = cfg.model_copy(
                update={"grid": cfg.grid.model_copy(update={"resolution": resolution})}
            )
        print(f"building the sample into {root.relative_to(ROOT)} ...", flush=True)
        start = time.perf_counter()
        build(cfg, out=root, progress=False)
        print(f"built in {time.perf_counter() - start:.0f} s", flush=True)
    return root


@contextlib.contextmanager
def serve_build(build_root: Path) -> Iterator[Server]:
    """One fresh uvicorn process serving ``build_root`` on a free 127.0.0.1 port."""
    with serve(
        "aralrisk.api.app:create_app", {"ARALRISK_BUILD_DIR": str(build_root)}, ready="/version"
    ) as server:
        yield server


# ------------------------------------------------------------------ requests


def hazards(base: str) -> list[str]:
    """Ids of the served build's hazards (what weights name)."""
    catalog = httpx.get(base + "/hazards", timeout=30).json()
    return [hazard["id"] for hazard in catalog["hazards"]]


def weight_queries(hazard_ids: Sequence[str], count: int, seed: int = 1) -> list[str]:
    """``count`` different ``weights=...&method=...`` queries over ``hazard_ids``."""
    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        chosen = rng.sample(list(hazard_ids), rng.randint(1, len(hazard_ids)))
        weights = ",".join(f"{h}:{rng.choice((0.5, 1, 1.5, 2, 3, 5))}" for h in chosen)
        queries.append(f"weights={weights}&method={rng.choice(('geometric', 'max'))}")
    return queries


def tile_layers(base: str) -> dict[str, dict[str, Any]]:
    """TileJSON (bounds, zoom range) of every layer of the build that has tiles."""
    catalog = httpx.get(base + "/layers", timeout=30).json()
    ids = [layer["id"] for layer in catalog["layers"]] + list(DERIVED)
    found = {}
    with httpx.Client(timeout=30) as http:
        for layer_id in dict.fromkeys(ids):
            response = http.get(f"{base}/layers/{layer_id}/tilejson.json")
            if response.status_code == 200:
                found[layer_id] = response.json()
    return found


def tile_paths(
    layers: dict[str, dict[str, Any]], zooms: Sequence[int], count: int, seed: int = 2
) -> list[str]:
    """``count`` random distinct tile paths of ``layers`` at ``zooms`` over their bounds.

    Zooms a layer does not serve are skipped for it; every zoom is equally likely.
    """
    import morecantile

    tms = morecantile.tms.get("WebMercatorQuad")
    rng = random.Random(seed)
    paths: set[str] = set()
    attempts = 0
    while len(paths) < count and attempts < 50 * count:
        attempts += 1
        layer_id = rng.choice(list(layers))
        info = layers[layer_id]
        usable = [z for z in zooms if info["minzoom"] <= z <= info["maxzoom"]]
        if not usable:
            continue
        z = rng.choice(usable)
        west, south, east, north = info["bounds"]
        tile = tms.tile(rng.uniform(west, east), rng.uniform(south, north), z)
        values = None if layer_id in DERIVED else rng.choice(("raw", "score"))
        query = f"?values={values}" if values else ""
        paths.add(f"/layers/{layer_id}/tiles/{z}/{tile.x}/{tile.y}.png{query}")
    return sorted(paths, key=lambda _: rng.random())


@dataclass
class Latencies:
    """Seconds per request, and the failures."""

    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def ms(self, q: float) -> float:
        return float(np.percentile(self.seconds, q) * 1000) if self.seconds else float("nan")


def timed_gets(base: str, paths: Sequence[str]) -> Latencies:
    """GET every path in turn on one keep-alive connection."""
    out = Latencies()
    with httpx.Client(base_url=base, timeout=30) as http:
        for path in paths:
            start = time.perf_counter()
            response = http.get(path)
            response.read()
            out.seconds.append(time.perf_counter() - start)
            if response.status_code != 200:
                out.errors.append(f"{response.status_code} {path}")
    return out


def _hammer(base: str, paths: list[str], clients: int, seconds: float, result: Any) -> None:
    """(In its own process.) ``clients`` threads fetch ``paths`` for ``seconds``."""
    run = hammer([base + path for path in paths], clients, seconds)
    result.put({"seconds": run.seconds, "latencies": run.latencies, "errors": run.failures})


def healthz_under_tiles(
    base: str, paths: list[str], clients: int, seconds: float
) -> tuple[Latencies, Latencies, float]:
    """Probe ``/healthz`` every 25 ms while ``clients`` fetch tiles in another process."""
    ctx = multiprocessing.get_context("spawn")
    result = ctx.Queue()
    worker = ctx.Process(target=_hammer, args=(base, paths, clients, seconds, result))
    worker.start()
    time.sleep(1.0)  # the other process starts and its clients connect
    health = Latencies()
    with httpx.Client(base_url=base, timeout=10) as http:
        while worker.is_alive():
            start = time.perf_counter()
            response = http.get("/healthz")
            health.seconds.append(time.perf_counter() - start)
            if response.status_code != 200:
                health.errors.append(str(response.status_code))
            time.sleep(0.025)
            with contextlib.suppress(queue.Empty):
                done = result.get_nowait()
                break
        else:
            done = result.get(timeout=30)
    worker.join()
    tiles = Latencies(seconds=done["latencies"], errors=done["errors"])
    return health, tiles, done["seconds"]


# ------------------------------------------------------------------ the benchmark


def _row(name: str, lat: Latencies, target: str, met: bool | None) -> str:
    verdict = "" if met is None else ("yes" if met else "**no**")
    return (
        f"| {name} | {len(lat.seconds)} | {len(lat.errors)} | {lat.ms(50):.1f} | "
        f"{lat.ms(90):.1f} | {lat.ms(99):.1f} | {max(lat.seconds, default=0) * 1000:.1f} | "
        f"{target} | {verdict} |"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, 5 s of tiles")
    parser.add_argument("--requests", type=int, default=200, help="/districts requests")
    parser.add_argument("--seconds", type=float, default=30.0, help="tile load duration")
    parser.add_argument("--rebuild", action="store_true", help="build the sample again")
    args = parser.parse_args(argv)
    requests = 20 if args.quick else args.requests
    seconds = 5.0 if args.quick else args.seconds
    root = sample_build(rebuild=args.rebuild)
    with serve_build(root) as server:
        base = server.base
        hazard_ids = hazards(base)
        custom = [f"/districts?{q}" for q in weight_queries(hazard_ids, requests)]
        timed_gets(base, custom[:5] + ["/healthz"] * 5)  # first-request costs
        districts = timed_gets(base, custom)
        issue = timed_gets(base, [f"/districts?{ISSUE_QUERY}"] * requests)
        plain = timed_gets(base, ["/districts"] * requests)
        idle = timed_gets(base, ["/healthz"] * requests)
        layers = tile_layers(base)
        zooms = sorted({z for info in layers.values() for z in (info["minzoom"], info["maxzoom"])})
        paths = tile_paths(layers, range(zooms[0], zooms[-1] + 1), 4000 if not args.quick else 600)
        health, tiles, spent = healthz_under_tiles(base, paths, 8, seconds)
    print(
        f"\nAPI benchmark on the sample ({len(hazard_ids)} hazards, "
        f"{len(layers)} tiled layers, zooms {zooms[0]}-{zooms[-1]}); one uvicorn process; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        "\n| request | n | errors | p50 ms | p90 ms | p99 ms | max ms | target | met |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    p50_target = f"p50 < {DISTRICTS_P50_MS:.0f} ms"
    print(
        _row(
            "/districts, varied custom weights",
            districts,
            p50_target,
            districts.ms(50) < DISTRICTS_P50_MS,
        )
    )
    print(_row(f"/districts?{ISSUE_QUERY}", issue, p50_target, issue.ms(50) < DISTRICTS_P50_MS))
    print(_row("/districts (build's weights)", plain, "", None))
    print(_row("/healthz, idle", idle, "", None))
    print(
        _row(
            "/healthz while 8 clients fetch tiles",
            health,
            f"p99 < {HEALTHZ_P99_MS:.0f} ms",
            health.ms(99) < HEALTHZ_P99_MS,
        )
    )
    print(_row("tiles (8 clients, cold), meanwhile", tiles, "", None))
    print(f"\ntiles: {len(tiles.seconds) / spent:.1f} tiles/s over {spent:.0f} s")
    for lat in (districts, issue, plain, idle, health, tiles):
        for error in lat.errors[:3]:
            print(f"error: {error}")


if __name__ == "__main__":
    main()
