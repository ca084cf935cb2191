"""Cache hits at wire speed: aralrisk's tile already rendered, next to TiTiler, with wrk.

Run on demand (not part of pytest; needs the ``wrk`` load client, ``apt-get install wrk``)::

    python -m bench.bench_cache            # 10 s per row, about 2 minutes
    python -m bench.bench_cache --quick    # 3 s per row, a smoke run

A Python client tops out near 350-400 requests per second on a 2-core machine, below
what a cache hit reaches, so the load comes from ``wrk`` (C, keep-alive connections),
cycling through the tile list of :mod:`bench.bench_tiles` with a small Lua script.
Measured side by side in one run, at 1 and 8 connections:

* **TiTiler, best deployment**: two uvicorn processes on one socket, rendering the
  same COG tiles with the same classes (TiTiler has no rendered-tile cache, so every
  request renders).
* **aralrisk, cache hit**: one uvicorn process, every tile of the list fetched once
  before the run, so each request is answered from memory.
* **floors of the same server**: one uvicorn process answering a constant 200 from a
  bare ASGI callable (what any response costs: the HTTP server and the loopback), and
  aralrisk's ``/healthz`` (a constant answer through FastAPI and its middlewares).

Target (issue 16.1): aralrisk's cache hits >= 20x TiTiler's best deployment, p99 no
worse.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from bench.bench_tiles import bench_build, cases, composite_vrt, score_cogs, tile_list
from bench.http import serve

CONSTANT = b"ok"


async def constant_app(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
    """A bare ASGI app answering ``200 ok`` to everything: the HTTP server's floor."""
    if scope["type"] == "lifespan":
        return
    await send(  # type: ignore[operator]
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"2")],
        }
    )
    await send({"type": "http.response.body", "body": CONSTANT})  # type: ignore[operator]


def constant_factory() -> object:
    """uvicorn ``--factory`` entry of :func:`constant_app`."""
    return constant_app


@dataclass(frozen=True)
class WrkRun:
    """What wrk reports: requests per second, latency percentiles (ms), errors."""

    rate: float
    p50: float
    p99: float
    errors: int


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(urls: Sequence[str], connections: int, seconds: float) -> WrkRun:
    """Run wrk over ``urls`` (cycled in order) with ``connections`` keep-alive clients."""
    base = "{0.scheme}://{0.netloc}".format(urlsplit(urls[0]))
    paths = [u[len(base) :] for u in urls]
    lua = (
        "paths = {"
        + ",".join(f"[==[{p}]==]" for p in paths)
        + "}\n"
        + (
            "local i = 0\n"
            "request = function()\n"
            "  i = i % #paths + 1\n"
            '  return wrk.format("GET", paths[i])\n'
            "end\n"
        )
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        threads = min(2, connections)
        done = subprocess.run(
            [
                *("wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency"),
                *("-s", script.name, base),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script.name)
    out = done.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses|timeout)\D+(\d+)", out))
    return WrkRun(rate, p50, p99, errors)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=200, help="tiles in the list")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each row")
    parser.add_argument("--quick", action="store_true", help="40 tiles, 3 s per row")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    count, seconds = (40, 3.0) if args.quick else (args.tiles, args.seconds)
    started = time.time()
    cogs = score_cogs()
    build_root = bench_build(cogs)
    tiles = tile_list(count)
    titiler, ours = cases(cogs, build_root, composite_vrt(cogs))[:2]
    print(
        f"cache-hit benchmark: {len(tiles)} tiles (zooms {tiles[0].z}-{tiles[-1].z}), wrk, "
        f"{seconds:g} s per row; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    rows: list[tuple[str, int, WrkRun]] = []
    for clients in (1, 8):
        with serve(titiler.app, dict(titiler.env), workers=2) as server:
            urls = titiler.urls(server.base, tiles)
            httpx.get(urls[0], timeout=60)
            rows.append(("TiTiler, 2 processes, renders", clients, wrk(urls, clients, seconds)))
        env = dict(ours.env)
        with serve(ours.app, env, ready="/healthz") as server:
            urls = ours.urls(server.base, tiles)
            with httpx.Client(timeout=60) as client:
                for url in urls:  # every tile rendered once: the run measures hits
                    assert client.get(url).status_code == 200, url
            rows.append(("aralrisk, 1 process, cache hit", clients, wrk(urls, clients, seconds)))
            rows.append(
                (
                    "aralrisk /healthz (FastAPI floor)",
                    clients,
                    wrk([server.base + "/healthz"], clients, seconds),
                )
            )
        with serve("bench.bench_cache:constant_factory", ready="/") as server:
            rows.append(
                (
                    "bare ASGI constant (server floor)",
                    clients,
                    wrk([server.base + "/"], clients, seconds),
                )
            )
    print()
    print("| server | clients | requests/s | p50 ms | p99 ms | x TiTiler | p99 no worse |")
    print("|---|---|---|---|---|---|---|")
    for name, clients, run in rows:
        reference = next(r for n, c, r in rows if c == clients and n.startswith("TiTiler"))
        ratio = run.rate / reference.rate
        better = "yes" if run.p99 <= reference.p99 else "NO"
        errors = f" ({run.errors} errors)" if run.errors else ""
        print(
            f"| {name} | {clients} | {run.rate:,.0f}{errors} | {run.p50:.2f} | {run.p99:.2f} "
            f"| {ratio:.1f} | {better} |"
        )
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
