"""First run and sample build: what a newcomer waits for (issue 16, points 3 and 5).

Run on demand (not part of pytest), on an idle machine::

    python -m bench.bench_first_run              # both parts
    python -m bench.bench_first_run --build-only # the sample build, 3 fresh processes

What is measured, in one run:

* **the sample build**: ``aralrisk build`` on ``data/sample/build.toml`` in a fresh
  process, three times; the process's wall clock, the time its imports take
  (``python -c 'import aralrisk.layers.pipeline'``, the floor every build pays), and the
  build's own steps from its ``manifest.json`` (the table of ``timings``). Side by side
  with the floor of the same work in GDAL: ``gdalwarp`` of the sample's raster inputs
  onto the build grid (bilinear, COG) when ``gdalwarp`` is installed; and, as many
  times, a fresh process that builds the sample's climate layers alone (its districts
  and ``climate.nc``, no other input): the part of the build no second core can hide,
  since every climate layer needs xclim imported and the daily series read first.
* **the first run**: ``git clone`` of this repository into an empty folder, then
  ``make run`` with empty package caches (``UV_CACHE_DIR`` and ``PIP_CACHE_DIR`` point
  to new folders), until ``GET /map`` answers 200: the time to a served map,
  installation included, with the time of each stage (environment, packages, sample,
  build, serving) read from the output as it arrives.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.http import free_port

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
PYTHON = sys.executable
#: Output lines of `make run` that start a stage, in order.
STAGES = (
    ("environment", "-m venv"),
    ("packages", "pip install"),
    ("sample", "aralrisk sample"),
    ("build", "aralrisk build"),
    ("serving", "aralrisk serve"),
)


def _aralrisk() -> str:
    return str(Path(PYTHON).with_name("aralrisk"))


def sample_build(rounds: int) -> None:
    """Time ``aralrisk build`` of the sample in fresh processes; print the tables."""
    walls, imports, steps = [], [], []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([PYTHON, "-c", "import aralrisk.layers.pipeline"], check=True)
        imports.append(time.perf_counter() - start)
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            subprocess.run(
                [_aralrisk(), "build", "--config", str(SAMPLE / "build.toml"), "--out", out],
                check=True,
                capture_output=True,
            )
            walls.append(time.perf_counter() - start)
            manifest = json.loads((Path(out) / "current" / "manifest.json").read_text())
            steps.append(manifest["timings"])
    climate = [_climate_only_build() for _ in range(rounds)]
    floor = _gdalwarp_floor()
    median = statistics.median
    print("\n## Sample build (`aralrisk build` on data/sample, fresh processes)\n")
    print("| measure | median s | runs |")
    print("|---|---|---|")
    print(f"| process wall clock | {median(walls):.2f} | {', '.join(f'{w:.2f}' for w in walls)} |")
    print(f"| imports alone | {median(imports):.2f} | {', '.join(f'{w:.2f}' for w in imports)} |")
    total = [sum(s.values()) for s in steps]
    print(
        f"| build steps (manifest) | {median(total):.2f} | {', '.join(f'{w:.2f}' for w in total)} |"
    )
    print(
        f"| climate layers alone, process | {median(climate):.2f} | "
        f"{', '.join(f'{w:.2f}' for w in climate)} |"
    )
    if floor is not None:
        print(f"| gdalwarp of the raster inputs (floor) | {floor:.2f} | 1 |")
    print("\n| step | median s |")
    print("|---|---|")
    for name in steps[0]:
        print(f"| {name} | {median(s[name] for s in steps):.3f} |")


#: A fresh process building the sample with its districts and climate inputs only.
_CLIMATE_ONLY = """
import sys
from aralrisk.layers.config import BasemapConfig, load_config
from aralrisk.layers.pipeline import build

config = load_config(sys.argv[1])
config = config.model_copy(
    update={"inputs": {"climate": config.inputs["climate"]}, "basemap": BasemapConfig()}
)
build(config, out=sys.argv[2], progress=False)
"""


def _climate_only_build() -> float:
    """Seconds of a fresh process building the sample's climate layers and nothing else."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run(
            [PYTHON, "-c", _CLIMATE_ONLY, str(SAMPLE / "build.toml"), out],
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - start


def _gdalwarp_floor() -> float | None:
    """Seconds for gdalwarp to put the sample's rasters onto its build grid as COGs."""
    gdalwarp = shutil.which("gdalwarp")
    if gdalwarp is None:
        return None
    from aralrisk.geo.grid import GridSpec

    with tempfile.TemporaryDirectory() as out:
        # The grid of a sample build: its published manifest says which.
        subprocess.run(
            [_aralrisk(), "build", "--config", str(SAMPLE / "build.toml"), "--out", out],
            check=True,
            capture_output=True,
        )
        grid = GridSpec.from_dict(
            json.loads((Path(out) / "current" / "manifest.json").read_text())["grid"]
        )
        left, bottom, right, top = grid.bounds
        start = time.perf_counter()
        for k, tif in enumerate(sorted(SAMPLE.glob("*.tif"))):
            subprocess.run(
                [gdalwarp, "-q", "-overwrite", "-r", "bilinear", "-t_srs", str(grid.crs),
                 "-te", str(left), str(bottom), str(right), str(top),
                 "-ts", str(grid.shape[1]), str(grid.shape[0]), "-of", "COG",
                 "-wo", "NUM_THREADS=ALL_CPUS", str(tif), f"{out}/{k}.tif"],
                check=True,
            )  # fmt: skip
        return time.perf_counter() - start


def first_run(port: int) -> None:
    """Clone, ``make run`` with empty caches, wait for /map; print the stage table."""
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "aralrisk"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        env = {
            **os.environ,
            "UV_CACHE_DIR": str(Path(tmp) / "uv-cache"),
            "PIP_CACHE_DIR": str(Path(tmp) / "pip-cache"),
            "PORT": str(port),
        }
        env.pop("VIRTUAL_ENV", None)
        start = time.perf_counter()
        marks: dict[str, float] = {}
        proc = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=clone,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            served = _wait_for_map(proc, port, start, marks)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print("\n## First run (`git clone` then `make run`, empty package caches)\n")
    print("| stage | starts at s |")
    print("|---|---|")
    for name, at in sorted(marks.items(), key=lambda kv: kv[1]):
        print(f"| {name} | {at:.1f} |")
    print(f"| map served (GET /map 200) | {served:.1f} |")
    print(f"\ntarget <= 120 s: {'met' if served <= 120 else 'NOT met'}")


def _wait_for_map(
    proc: subprocess.Popen[str], port: int, start: float, marks: dict[str, float]
) -> float:
    assert proc.stdout is not None  # piped above
    os.set_blocking(proc.stdout.fileno(), False)
    url = f"http://127.0.0.1:{port}/map"
    while True:
        for line in iter(proc.stdout.readline, ""):
            for name, text in STAGES:
                if text in line and name not in marks:
                    marks[name] = time.perf_counter() - start
        if proc.poll() is not None:
            raise SystemExit(f"make run ended with {proc.returncode} before the map was served")
        if "serving" in marks:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return time.perf_counter() - start
            except httpx.TransportError:
                pass
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-only", action="store_true", help="only the sample build")
    parser.add_argument("--rounds", type=int, default=3, help="sample builds to time")
    parser.add_argument("--quick", action="store_true", help="one sample build, no first run")
    args = parser.parse_args(argv)
    sample_build(1 if args.quick else args.rounds)
    if not (args.build_only or args.quick):
        first_run(free_port())


if __name__ == "__main__":
    main()
