"""Build benchmark (issue 7.1): time and peak memory of a 6-layer build at 2-3 sizes.

Run on demand (not part of pytest)::

    python -m bench.bench_build            # 4,000 x 2,200, 8,000 x 4,400, 16,000 x 8,800 cells
    python -m bench.bench_build --quick    # 500 x 275 and 1,000 x 550, a smoke run
    python -m bench.bench_build --sizes 8000x4400 --workers 2   # on a 2-process LocalCluster

What is built: :func:`layers.pipeline.build` on the sample's districts
(``data/sample/districts.geojson``, 9 districts) and vulnerability table, with five
synthetic float32 COG inputs over the oblast (:mod:`bench.synthetic`) of the same
size as the build grid: ``flood_rp10``, ``flood_rp100``, ``groundwater_salinity``,
``dust_days`` and ``population`` — 5 raster layers plus the district table (7 column
layers), every step of a real build: alignment (bilinear; sum-preserving for people),
zonal statistics, scores, composite, people-exposed and dimension rasters, COGs with
overviews, vectors, manifest. The grid resolution is chosen so that the build grid over
the districts has exactly the requested columns x rows.

Each build runs in a fresh subprocess. Its peak memory is measured twice: the kernel's
high-water mark of the build process (``ru_maxrss``, exact) and the resident set of
its whole process tree sampled every 50 ms with psutil (workers included when
``--workers`` starts a local cluster). The samples are matched against the build's
per-step ``timings`` in its manifest, so the table says in which step memory peaked.
Target (issue 7.1): peak RSS under 1.5 GB at 16,000 x 8,800 cells, and time growing
about linearly with the cell count (seconds per megacell about constant).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.synthetic import DATA_DIR, FULL_SIZE, synthetic_cog

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
FULL_SIZES = ((4_000, 2_200), (8_000, 4_400), FULL_SIZE)
QUICK_SIZES = ((500, 275), (1_000, 550))
#: The raster inputs of the benchmark build, their synthetic seeds and declared units.
RASTERS = {
    "flood_rp10": (0, "m"),
    "flood_rp100": (1, "m"),
    "groundwater_salinity": (2, "g/L"),
    "dust_days": (3, "d/yr"),
    "population": (4, "person"),
}
TARGET_RSS_BYTES = 1.5e9
BUFFER_DEG = 0.05  # the sample's margin around the districts
MB = 1e6


# ------------------------------------------------------------------ inputs and config


def input_cog(size: tuple[int, int], seed: int) -> Path:
    """The synthetic input COG of ``size`` (columns, rows) and ``seed``, made once.

    At the full size, seeds 0 and 1 are the score COGs the tile benchmark makes
    (``score_a.tif``, ``score_b.tif``): same function, same arguments, one file.
    """
    if size == FULL_SIZE and seed in (0, 1):
        name = ("score_a.tif", "score_b.tif")[seed]
    else:
        name = f"build_{size[0]}x{size[1]}_s{seed}.tif"
    return synthetic_cog(DATA_DIR / name, size, seed=seed)


def grid_for(size: tuple[int, int]) -> tuple[float, tuple[float, float, float, float]]:
    """Resolution and bounds of a grid of exactly ``size`` cells around the districts.

    Square cells; the bounds lie on whole multiples of the resolution (as
    :meth:`geo.grid.GridSpec.from_bounds` snaps them), centred on the districts with at
    least the sample's 0.05-degree margin.
    """
    import geopandas as gpd

    from aralrisk.geo.grid import GridSpec

    cols, rows = size
    west, south, east, north = (
        float(v) for v in gpd.read_file(SAMPLE / "districts.geojson").total_bounds
    )
    need_x, need_y = east - west + 2 * BUFFER_DEG, north - south + 2 * BUFFER_DEG
    res = float(max(need_x / cols, need_y / rows)) * 1.0001
    k_left = math.floor((west + east) / 2 / res - cols / 2)
    k_bottom = math.floor((south + north) / 2 / res - rows / 2)
    bounds = (k_left * res, k_bottom * res, (k_left + cols) * res, (k_bottom + rows) * res)
    grid = GridSpec.from_bounds(bounds, res, "EPSG:4326")
    assert grid.shape == (rows, cols), (grid.shape, size)
    return res, bounds


def write_config(size: tuple[int, int], folder: Path) -> Path:
    """A build TOML over the sample districts with the synthetic inputs of ``size``."""
    res, bounds = grid_for(size)
    lines = [
        f'title = "Build benchmark {size[0]} x {size[1]}"',
        'attribution = "synthetic benchmark data"',
        "illustrative = true",
        "",
        "[districts]",
        f'path = "{SAMPLE / "districts.geojson"}"',
        'id_field = "ADM2_PCODE"',
        'name_field = "ADM2_EN"',
        "",
        "[grid]",
        'crs = "EPSG:4326"',
        f"resolution = {res!r}",
        f"bounds = [{', '.join(repr(float(b)) for b in bounds)}]",
        "",
    ]
    for name, (seed, units) in RASTERS.items():
        lines += [
            f"[inputs.{name}]",
            f'path = "{input_cog(size, seed)}"',
            f'units = "{units}"',
            "",
        ]
    lines += [
        "[inputs.vulnerability]",
        f'path = "{SAMPLE / "vulnerability.csv"}"',
        'id_field = "ADM2_PCODE"',
        "",
    ]
    path = folder / "build.toml"
    path.write_text("\n".join(lines))
    return path


# ------------------------------------------------------------------ one build, measured


@dataclass
class Measured:
    """One build: sizes, times, memory, per-step figures."""

    size: tuple[int, int]
    wall: float = 0.0  # the subprocess, start to exit (imports included)
    build: float = 0.0  # layers.pipeline.build() only
    baseline_rss: float = 0.0  # the child after imports, before the build
    maxrss: float = 0.0  # kernel high-water mark of the build process
    sampled_peak: float = 0.0  # sampled RSS of the process tree
    peak_step: str = "?"
    timings: dict[str, float] = field(default_factory=dict)
    step_peaks: dict[str, float] = field(default_factory=dict)
    outputs: list[tuple[str, float, float]] = field(default_factory=list)  # name, s, peak
    warnings: int = 0

    @property
    def cells(self) -> int:
        return self.size[0] * self.size[1]

    @property
    def peak(self) -> float:
        return max(self.maxrss, self.sampled_peak)

    @property
    def per_mcell(self) -> float:
        return self.build / (self.cells / 1e6)


def _tree_rss(proc: Any) -> float:
    import psutil

    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total


def run_build(size: tuple[int, int], workers: int | None, keep: bool) -> Measured:
    """Write the config, run the build in a subprocess and sample its memory."""
    import psutil

    runs = DATA_DIR / "build-runs"
    runs.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{size[0]}x{size[1]}-", dir=runs))
    config = write_config(size, folder)
    out = folder / "out"
    cmd = [sys.executable, "-m", "bench.bench_build", "--child", str(config), str(out)]
    if workers:
        cmd += ["--workers", str(workers)]
    result = Measured(size)
    samples: list[tuple[float, float]] = []
    stderr_path = folder / "stderr.txt"
    start = time.time()
    with stderr_path.open("w") as err:
        # A crash in native code then still prints the Python stack of every thread.
        env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
        child = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True
        )
        proc = psutil.Process(child.pid)
        while child.poll() is None:
            with_tree = _tree_rss(proc)
            samples.append((time.time(), with_tree))
            time.sleep(0.05)
        stdout = child.stdout.read() if child.stdout else ""
    result.wall = time.time() - start
    report = next((line for line in stdout.splitlines() if line.startswith("RESULT ")), None)
    if child.returncode != 0 or report is None:
        tail = stderr_path.read_text()[-3000:]
        raise RuntimeError(f"build {size} failed (exit {child.returncode}):\n{tail}")
    data = json.loads(report.removeprefix("RESULT "))
    result.build = data["seconds"]
    result.baseline_rss = data["baseline_rss"]
    result.maxrss = max(data["maxrss"], data["maxrss_children"])
    result.timings = data["timings"]
    result.warnings = data["warnings"]
    result.sampled_peak = max((rss for _, rss in samples), default=0.0)
    # Steps in the order they ran (manifest timings keep it), matched to the samples.
    edges: list[tuple[str, float, float]] = []
    t = data["started"]
    for step, seconds in result.timings.items():
        edges.append((step, t, t + seconds))
        t += seconds
    edges.append(("manifest + publish", t, data["finished"]))
    for step, t0, t1 in edges:
        inside = [rss for ts, rss in samples if t0 <= ts <= t1]
        result.step_peaks[step] = max(inside, default=float("nan"))
    for name, t0, t1 in sorted(data["events"], key=lambda e: e[1]):
        inside = [rss for ts, rss in samples if t0 <= ts <= t1]
        result.outputs.append((name, t1 - t0, max(inside, default=float("nan"))))
    peak_time = max(samples, key=lambda s: s[1])[0] if samples else 0.0
    result.peak_step = next(
        (step for step, t0, t1 in edges if t0 <= peak_time <= t1), "start-up or exit"
    )
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def _trace_outputs() -> list[tuple[str, float, float]]:
    """Record when the build writes each COG and computes each zonal pass.

    Wraps (in this process only) the ``write_cog`` the pipeline module calls, the COG
    driver copy inside it, and ``ZoneIndex.stats``; the parent matches the times with
    its memory samples, so the report names the output being written at the peak.
    """
    from aralrisk.geo import cog
    from aralrisk.geo.zonal import ZoneIndex
    from aralrisk.layers import pipeline

    events: list[tuple[str, float, float]] = []

    def timed(label: Any, func: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.time()
            try:
                return func(*args, **kwargs)
            finally:
                events.append((label(*args, **kwargs), start, time.time()))

        return wrapper

    def cog_name(da: Any, path: Any, **_: Any) -> str:
        return f"write_cog {Path(path).name}"

    def copy_name(src: Any, dst: Any, **_: Any) -> str:
        return "  of which the COG driver copy"

    def stats_name(self: Any, *args: Any, **kwargs: Any) -> str:
        return "ZoneIndex.stats"

    pipeline.write_cog = timed(cog_name, pipeline.write_cog)  # type: ignore[assignment]
    cog.rasterio.shutil.copy = timed(copy_name, cog.rasterio.shutil.copy)
    ZoneIndex.stats = timed(stats_name, ZoneIndex.stats)  # type: ignore[method-assign]
    return events


def child(config: str, out: str, workers: int | None) -> None:
    """The measured process: one build, then one ``RESULT {json}`` line on stdout."""
    import warnings

    import psutil

    from aralrisk.geo.errors import InputWarning
    from aralrisk.layers.config import load_config
    from aralrisk.layers.pipeline import build

    cfg = load_config(Path(config))
    events = _trace_outputs()
    baseline = psutil.Process().memory_info().rss
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        started = time.time()
        t0 = time.perf_counter()
        result = build(cfg, out=out, progress=False, workers=workers)
        seconds = time.perf_counter() - t0
        finished = time.time()
    # Input warnings (e.g. a district partly outside the synthetic field) are expected.
    inputs = [w for w in caught if issubclass(w.category, InputWarning)]
    for message in sorted({str(w.message) for w in inputs}):
        print(f"input warning: {message}", file=sys.stderr)
    report = {
        "seconds": seconds,
        "started": started,
        "finished": finished,
        "baseline_rss": baseline,
        # Linux reports ru_maxrss in KiB.
        "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "maxrss_children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        "timings": result.manifest.get("timings", {}),
        "warnings": len(inputs),
        "events": events,
    }
    print("RESULT " + json.dumps(report), flush=True)


# ------------------------------------------------------------------ report


def gdal_floor(size: tuple[int, int]) -> dict[str, float] | None:
    """Seconds ``gdalwarp`` takes to put each input onto the build grid as a COG.

    The floor of a layer step: the same inputs, grid, resampling (bilinear; ``sum`` for
    the population), threads (``NUM_THREADS=ALL_CPUS``, ``-multi``) and COG layout
    (512 px DEFLATE blocks with a predictor, overviews). None without ``gdalwarp``.
    """
    gdalwarp = shutil.which("gdalwarp")
    if gdalwarp is None:
        return None
    _, (west, south, east, north) = grid_for(size)
    seconds = {}
    with tempfile.TemporaryDirectory(dir=DATA_DIR) as out:
        for name, (seed, _) in RASTERS.items():
            resampling = "sum" if name == "population" else "bilinear"
            start = time.perf_counter()
            subprocess.run(
                [gdalwarp, "-q", "-overwrite", "-multi", "-wo", "NUM_THREADS=ALL_CPUS",
                 "-r", resampling, "-t_srs", "EPSG:4326",
                 "-te", repr(west), repr(south), repr(east), repr(north),
                 "-ts", str(size[0]), str(size[1]), "-ot", "Float32", "-of", "COG",
                 "-co", "BLOCKSIZE=512", "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=YES",
                 "-co", "OVERVIEWS=AUTO", "-co", "NUM_THREADS=ALL_CPUS", "-co", "BIGTIFF=IF_SAFER",
                 str(input_cog(size, seed)), f"{out}/{name}.tif"],
                check=True,
            )  # fmt: skip
            seconds[name] = time.perf_counter() - start
    return seconds


def print_floor(results: Sequence[Measured], floors: Sequence[dict[str, float] | None]) -> None:
    """The build against GDAL's floor for the same inputs, per size and per layer step."""
    if not any(floors):
        print("\n(gdalwarp is not installed: no GDAL floor; apt-get install gdal-bin)")
        return
    print("\nagainst GDAL's floor (gdalwarp of every input onto the grid as a COG):")
    print("| grid | build s | floor s | build / floor | <= 1.5 |\n|---|---|---|---|---|")
    for r, floor in zip(results, floors, strict=True):
        if floor:
            total = sum(floor.values())
            ok = "yes" if r.build <= 1.5 * total else "**no**"
            print(
                f"| {r.size[0]:,} x {r.size[1]:,} | {r.build:.1f} | {total:.1f} | "
                f"{r.build / total:.2f} | {ok} |"
            )
    largest, floor = results[-1], floors[-1]
    if floor:
        print(f"\nper layer step of the {largest.size[0]:,} x {largest.size[1]:,} build:")
        print("| step | build s | gdalwarp s | x floor |\n|---|---|---|---|")
        for name, seconds in floor.items():
            step = largest.timings.get(name, float("nan"))
            print(f"| {name} | {step:.1f} | {seconds:.1f} | {step / seconds:.2f} |")
        other = largest.build - sum(largest.timings.get(n, 0.0) for n in floor)
        print(f"| everything else (zones, people, risk, outputs) | {other:.1f} | - | - |")


def _size(text: str) -> tuple[int, int]:
    cols, rows = text.lower().split("x")
    return int(cols), int(rows)


def print_tables(results: Sequence[Measured], workers: int | None) -> None:
    smallest = results[0].per_mcell
    print()
    print(
        "| grid (cols x rows) | Mcells | build s | s/Mcell | vs smallest | peak RSS MB "
        "(kernel) | peak RSS MB (sampled tree) | after imports MB | peak in step | < 1.5 GB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        ok = "yes" if r.peak < TARGET_RSS_BYTES else "**no**"
        print(
            f"| {r.size[0]:,} x {r.size[1]:,} | {r.cells / 1e6:.1f} | {r.build:.1f} | "
            f"{r.per_mcell:.3f} | {r.per_mcell / smallest:.2f} | {r.maxrss / MB:,.0f} | "
            f"{r.sampled_peak / MB:,.0f} | {r.baseline_rss / MB:,.0f} | {r.peak_step} | {ok} |"
        )
    largest = results[-1]
    print("\nper step: seconds / peak RSS MB of the process tree while the step ran")
    sizes = " | ".join(f"{r.size[0]:,} x {r.size[1]:,}" for r in results)
    print(f"| step | {sizes} |")
    print("|---" * (len(results) + 1) + "|")
    for step in largest.step_peaks:
        cells = []
        for r in results:
            seconds = r.timings.get(step, r.build - sum(r.timings.values()))
            peak = r.step_peaks.get(step, float("nan"))
            cells.append("-" if math.isnan(peak) else f"{seconds:.1f} / {peak / MB:,.0f}")
        print(f"| {step} | " + " | ".join(cells) + " |")
    print(f"\nper output of the {largest.size[0]:,} x {largest.size[1]:,} build (in order):")
    print("| output | seconds | peak RSS MB |\n|---|---|---|")
    for name, seconds, peak in largest.outputs:
        shown = "-" if math.isnan(peak) else f"{peak / MB:,.0f}"  # shorter than a sample
        print(f"| {name} | {seconds:.1f} | {shown} |")
    mode = f"LocalCluster of {workers} worker processes" if workers else "threaded scheduler"
    print(f"\n({mode}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f})")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two small sizes, a smoke run")
    parser.add_argument("--sizes", nargs="+", type=_size, help="grid sizes such as 8000x4400")
    parser.add_argument("--workers", type=int, default=None, help="local Dask cluster size")
    parser.add_argument("--keep", action="store_true", help="keep the build outputs")
    parser.add_argument("--no-floor", action="store_true", help="skip the gdalwarp floor")
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child, args.workers)
        return
    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    sizes = sorted(sizes, key=lambda s: s[0] * s[1])
    print(
        f"build benchmark: 5 raster layers + the district table at {len(sizes)} sizes, "
        "each build in a fresh subprocess"
    )
    for size in sizes:  # make every input first: their writing is not the build's time
        for seed, _ in RASTERS.values():
            input_cog(size, seed)
    results, floors = [], []
    for size in sizes:
        floors.append(None if args.no_floor else gdal_floor(size))
        r = run_build(size, args.workers, args.keep)
        print(
            f"  {size[0]:>6,} x {size[1]:<6,} build {r.build:7.1f} s, peak RSS "
            f"{r.peak / MB:6,.0f} MB (in {r.peak_step})",
            flush=True,
        )
        results.append(r)
    print_tables(results, args.workers)
    print_floor(results, floors)


if __name__ == "__main__":
    main()
