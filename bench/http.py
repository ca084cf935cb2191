"""HTTP load for the server benchmarks: a fresh uvicorn process, keep-alive clients.

:func:`serve` starts one uvicorn process for an application factory and waits until it
answers; :func:`hammer` fetches a list of URLs with N concurrent keep-alive clients
(httpx, one thread each, pulling from one shared queue) and records every latency;
:func:`probe` samples another URL (``/healthz``) meanwhile.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def serve(app: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """One fresh uvicorn process serving ``app`` (``module:factory``); yields its base URL."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", app,
        "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/docs", timeout=1.0)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{app} did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class Run:
    """Latencies of one pass over the tile list."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q) * 1000) if self.latencies else float("nan")


def hammer(urls: Sequence[str], clients: int) -> Run:
    """Fetch every URL once with ``clients`` concurrent keep-alive clients."""
    todo: queue.SimpleQueue[str] = queue.SimpleQueue()
    for url in urls:
        todo.put(url)
    run = Run()
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(timeout=60.0) as http:
            while True:
                try:
                    url = todo.get_nowait()
                except queue.Empty:
                    return
                start = time.perf_counter()
                response = http.get(url)
                elapsed = time.perf_counter() - start
                ok = response.status_code == 200 and response.headers["content-type"] == "image/png"
                with lock:
                    run.latencies.append(elapsed)
                    run.errors += not ok

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - start
    return run


def _probe_loop(url: str, every: float, ready: Any, stop: Any, results: Any) -> None:
    latencies = []
    with httpx.Client(timeout=10.0) as http:
        http.get(url)  # connect before the measured load starts
        ready.set()
        while not stop.is_set():
            start = time.perf_counter()
            http.get(url)
            latencies.append(time.perf_counter() - start)
            stop.wait(every)
    results.send(latencies)


@contextlib.contextmanager
def probe(url: str, every: float = 0.05) -> Iterator[list[float]]:
    """Latencies of ``GET url`` every ``every`` seconds while the block runs.

    The probe runs in a process of its own: in the process of the load clients it
    would also measure their contention for the GIL, not only the server's answer.
    """
    latencies: list[float] = []
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    ready, stop = context.Event(), context.Event()
    process = context.Process(target=_probe_loop, args=(url, every, ready, stop, sender))
    process.start()
    if not ready.wait(timeout=60):
        process.kill()
        raise RuntimeError(f"the probe of {url} did not start")
    try:
        yield latencies
    finally:
        stop.set()
        latencies.extend(receiver.recv())
        process.join()
