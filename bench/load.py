"""Loopback load test (issue 8.3): 32 clients, a realistic mix, errors, p99 and server memory.

Run on demand (not part of pytest)::

    python -m bench.load                   # 32 clients for 2 minutes
    python -m bench.load --duration 300    # longer
    python -m bench.load --quick           # 10 seconds, a smoke run

The sample is built once into ``bench/.data/`` on a 0.005-degree grid (half the
sample's cell size, so that its layers are served down to zoom 12: native zoom 8 plus
4 over-zoom levels) and served by one fresh uvicorn process (``api.app:create_app``)
on a free 127.0.0.1 port. Nothing leaves the machine.

``--clients`` asyncio clients (httpx, one keep-alive connection each) send requests
back to back until ``--duration`` is over, each request drawn at random:

* 80% **tiles**: a random layer (every layer with tiles, composite and risk included,
  raw values or scores), a zoom drawn uniformly from 5-12, the tile under a random
  point of the layer's bounds;
* 15% **/districts** with varied custom weights (random hazard subsets, weights
  0.5-5, geometric or max);
* 5% **/point** at a random point inside the districts.

Reported: requests, errors (any status but 200, any transport error: must be zero),
p50/p99/max latency per kind, and the server process's RSS sampled every second, in
the first minute against the last minute (must not grow by more than 10%; with
``--duration`` under two minutes the first and last halves are compared).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np

from bench.bench_api import DERIVED, hazards, sample_build, serve_build, tile_layers

KINDS = ("tile", "districts", "point")
MIX = (0.80, 0.15, 0.05)
ZOOMS = range(5, 13)
RESOLUTION_DEG = 0.005
MAX_GROWTH = 0.10


@dataclass
class Results:
    """Every request's kind, start (s from the start), latency and outcome."""

    kind: list[str] = field(default_factory=list)
    start: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    rss: list[tuple[float, float]] = field(default_factory=list)


class Mix:
    """Draws the next request path at random (seeded)."""

    def __init__(
        self,
        layers: dict[str, dict[str, Any]],
        hazard_ids: Sequence[str],
        outline: Any,
        seed: int,
    ) -> None:
        import morecantile
        import shapely

        self.tms = morecantile.tms.get("WebMercatorQuad")
        self.layers = layers
        self.hazards = list(hazard_ids)
        self.rng = random.Random(seed)
        served = {
            z for info in layers.values() for z in range(info["minzoom"], info["maxzoom"] + 1)
        }
        self.zooms = [z for z in ZOOMS if z in served]
        # Points inside the districts: a point outside every district is rightly a 422.
        rng = np.random.default_rng(seed)
        west, south, east, north = outline.bounds
        x, y = rng.uniform(west, east, 20_000), rng.uniform(south, north, 20_000)
        inside = shapely.contains_xy(outline, x, y)
        self.points = list(zip(x[inside].tolist(), y[inside].tolist(), strict=True))

    def next(self) -> tuple[str, str]:
        rng = self.rng
        kind = rng.choices(KINDS, MIX)[0]
        if kind == "tile":
            layer_id = rng.choice(list(self.layers))
            info = self.layers[layer_id]
            zooms = [z for z in self.zooms if info["minzoom"] <= z <= info["maxzoom"]]
            z = rng.choice(zooms)
            west, south, east, north = info["bounds"]
            tile = self.tms.tile(rng.uniform(west, east), rng.uniform(south, north), z)
            query = "" if layer_id in DERIVED else f"?values={rng.choice(('raw', 'score'))}"
            return kind, f"/layers/{layer_id}/tiles/{z}/{tile.x}/{tile.y}.png{query}"
        if kind == "districts":
            chosen = rng.sample(self.hazards, rng.randint(1, len(self.hazards)))
            weights = ",".join(f"{h}:{rng.choice((0.5, 1, 1.5, 2, 3, 5))}" for h in chosen)
            method = rng.choice(("geometric", "max"))
            return kind, f"/districts?weights={weights}&method={method}"
        lon, lat = rng.choice(self.points)
        return kind, f"/point?lon={lon:.5f}&lat={lat:.5f}"


async def client(base: str, mix: Mix, stop: float, t0: float, out: Results) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60.0) as http:
        while time.perf_counter() < stop:
            kind, path = mix.next()
            start = time.perf_counter()
            try:
                response = await http.get(path)
                status = response.status_code
            except httpx.HTTPError as exc:
                status = -1
                out.errors[f"{kind} {type(exc).__name__}"] += 1
            elapsed = time.perf_counter() - start
            out.kind.append(kind)
            out.start.append(start - t0)
            out.latency.append(elapsed)
            if status not in (200, -1):
                out.errors[f"{kind} HTTP {status}"] += 1
                if out.errors[f"{kind} HTTP {status}"] <= 3:
                    print(f"  {status} {path}", flush=True)


async def sample_rss(pid: int, stop: float, t0: float, out: Results) -> None:
    import psutil

    proc = psutil.Process(pid)
    while time.perf_counter() < stop:
        out.rss.append((time.perf_counter() - t0, float(proc.memory_info().rss)))
        await asyncio.sleep(1.0)


async def run_load(base: str, pid: int, mix: Mix, clients: int, duration: float) -> Results:
    out = Results()
    t0 = time.perf_counter()
    stop = t0 + duration
    tasks = [client(base, mix, stop, t0, out) for _ in range(clients)]
    await asyncio.gather(sample_rss(pid, stop, t0, out), *tasks)
    out.rss.append((time.perf_counter() - t0, _rss(pid)))
    return out


def _rss(pid: int) -> float:
    import psutil

    return float(psutil.Process(pid).memory_info().rss)


def report(out: Results, duration: float, clients: int, zooms: Sequence[int]) -> bool:
    kinds = np.asarray(out.kind)
    latency = np.asarray(out.latency) * 1000
    total = len(kinds)
    errors = sum(out.errors.values())
    print(
        f"\nload test: {clients} clients for {duration:.0f} s, {total} requests "
        f"({total / duration:.1f}/s), {errors} errors; tiles at zooms {zooms[0]}-{zooms[-1]}; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print("\n| kind | share | requests | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    for kind in KINDS:
        lat = latency[kinds == kind]
        if not lat.size:
            continue
        p50, p90, p99 = np.percentile(lat, (50, 90, 99))
        print(
            f"| {kind} | {lat.size / total:.0%} | {lat.size} | {p50:.0f} | {p90:.0f} | "
            f"{p99:.0f} | {lat.max():.0f} |"
        )
    p50, p99 = np.percentile(latency, (50, 99))
    print(f"| all | 100% | {total} | {p50:.0f} | - | {p99:.0f} | {latency.max():.0f} |")
    for what, count in out.errors.most_common():
        print(f"error: {what}: {count}")
    window = min(60.0, duration / 2)
    first = [rss for t, rss in out.rss if t <= window]
    last = [rss for t, rss in out.rss if t >= duration - window]
    growth_peak = max(last) / max(first) - 1
    growth_mean = statistics.mean(last) / statistics.mean(first) - 1
    mb = 1e6
    print(
        f"\nserver RSS, first {window:.0f} s: mean {statistics.mean(first) / mb:.0f} MB, "
        f"peak {max(first) / mb:.0f} MB; last {window:.0f} s: mean "
        f"{statistics.mean(last) / mb:.0f} MB, peak {max(last) / mb:.0f} MB; growth "
        f"{growth_peak:+.1%} (peaks), {growth_mean:+.1%} (means); target <= +{MAX_GROWTH:.0%}"
    )
    # The timeline shows whether memory levels off (bounded caches filling) or keeps
    # climbing (a leak): mean RSS per 30 s.
    steps = np.arange(0.0, duration, 30.0)
    timeline = [
        statistics.mean(r for t, r in out.rss if start <= t < start + 30.0) / mb
        for start in steps
        if any(start <= t < start + 30.0 for t, _ in out.rss)
    ]
    print("server RSS per 30 s (mean MB): " + ", ".join(f"{v:.0f}" for v in timeline))
    ok = errors == 0 and growth_peak <= MAX_GROWTH
    print(
        f"zero errors: {'yes' if errors == 0 else 'NO'}; memory within "
        f"+{MAX_GROWTH:.0%}: {'yes' if growth_peak <= MAX_GROWTH else 'NO'}"
    )
    return ok


def outline(base: str) -> Any:
    """The union of the served districts (from ``/districts``)."""
    import shapely
    from shapely.geometry import shape

    features = httpx.get(base + "/districts", timeout=60).json()["features"]
    return shapely.union_all([shape(f["geometry"]) for f in features])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--quick", action="store_true", help="10 seconds, a smoke run")
    parser.add_argument("--seed", type=int, default=8, help="seed of the request mix")
    parser.add_argument(
        "--resolution", type=float, default=RESOLUTION_DEG, help="build grid cell, degrees"
    )
    parser.add_argument("--rebuild", action="store_true", help="build the sample again")
    args = parser.parse_args(argv)
    duration = 10.0 if args.quick else args.duration
    root = sample_build(resolution=args.resolution, rebuild=args.rebuild)
    with serve_build(root) as server:
        base = server.base
        layers = tile_layers(base)
        mix = Mix(layers, hazards(base), outline(base), args.seed)
        if mix.zooms != list(ZOOMS):
            print(f"note: the build serves tiles at zooms {mix.zooms} of {list(ZOOMS)}")
        # One request of each kind first: imports and first opens are start-up costs.
        with httpx.Client(base_url=base, timeout=60) as http:
            for _ in range(10):
                http.get(mix.next()[1])
        print(
            f"{args.clients} clients for {duration:.0f} s against {base} "
            f"({len(layers)} tiled layers) ...",
            flush=True,
        )
        out = asyncio.run(run_load(base, server.pid, mix, args.clients, duration))
    ok = report(out, duration, args.clients, mix.zooms)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
