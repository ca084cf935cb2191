"""HTTP load for the server benchmarks: a fresh uvicorn process, keep-alive clients.

:func:`serve` starts one uvicorn process for an application factory and waits until it
answers (:class:`Server`: base URL and pid); :func:`hammer` fetches a list of URLs with
N concurrent keep-alive clients (httpx, one thread each, pulling from one shared queue)
and records every latency;
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


@dataclass(frozen=True)
class Server:
    """A running benchmark server: its base URL and process id (to sample its memory)."""

    base: str
    pid: int


@contextlib.contextmanager
def serve(
    app: str, env: dict[str, str] | None = None, ready: str = "/docs", workers: int = 1
) -> Iterator[Server]:
    """A fresh uvicorn server for ``app`` (``module:factory``) on a free port.

    Started once ``GET ready`` answers 200 (aralrisk: ``/version``, once its build is
    loaded); stopped when the block ends. ``workers`` > 1 runs that many processes on
    one listening socket (uvicorn's own multi-process mode); ``pid`` is the parent's.
    """
    port = free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", app,
        "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    if workers > 1:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(base + ready, timeout=2.0).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{app} did not start")
            time.sleep(0.1)
        yield Server(base, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Run:
    """Latencies of one pass over a URL list, and what failed."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return len(self.failures)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q) * 1000) if self.latencies else float("nan")


def hammer(urls: Sequence[str], clients: int, seconds: float | None = None) -> Run:
    """Fetch every URL once with ``clients`` concurrent keep-alive clients.

    Stops early after ``seconds`` when given. A failure is any answer but a 200 PNG.
    """
    todo: queue.SimpleQueue[str] = queue.SimpleQueue()
    for url in urls:
        todo.put(url)
    run = Run()
    lock = threading.Lock()
    stop = time.monotonic() + seconds if seconds is not None else float("inf")

    def client() -> None:
        with httpx.Client(timeout=60.0) as http:
            while time.monotonic() < stop:
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
                    if not ok:
                        run.failures.append(f"{response.status_code} {url}")

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
