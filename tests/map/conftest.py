"""Fixtures of the map tests: the tiny-world build, a live server and a headless Chromium.

The build and clients are the API tests' own fixtures (imported, so both suites test
the same world), and so is the world whose district B has no risk value
(:mod:`tests.api.unranked`). ``live_server`` runs the real application with uvicorn in a thread on
a free 127.0.0.1 port; ``browser`` is Debian's chromium driven by Playwright (never a
downloaded browser). Without ``/usr/bin/chromium`` the browser tests are skipped, except
on CI (``CI`` set), where they must run and fail instead.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from aralrisk.api.app import create_app
from aralrisk.api.settings import Settings
from tests.api.unranked import unranked, unranked_root

__all__ = ["unranked", "unranked_root"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[str]:
    """Base URL of the real application served by uvicorn on 127.0.0.1 (tiny world)."""
    with serve(settings) as base:
        yield base


@pytest.fixture(scope="session")
def sample_server(sample_build_root: Path) -> Iterator[str]:
    """Base URL of the real application serving the embedded 9-district sample."""
    with serve(Settings(build_dir=sample_build_root)) as base:
        yield base


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """Serve ``create_app(settings)`` with uvicorn in a thread on a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # a free port, held until uvicorn takes the socket
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="session")
def unranked_server(unranked_root: Path) -> Iterator[str]:
    """Base URL of the application serving the tiny world whose B has no risk value."""
    with serve(Settings(build_dir=unranked_root)) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless chromium, launched by Playwright with ``executable_path``."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing on CI: .ci/run installs it with apt-get")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI runs these")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def wait_until(page: Any, expression: str, timeout: float = 15.0) -> Any:
    """Poll a JavaScript expression (or function) with ``page.evaluate`` until it is truthy.

    Not ``page.wait_for_function``: when its predicate is not true at once it polls with
    ``eval`` inside the page, which the map's Content Security Policy forbids (no
    'unsafe-eval'), so it failed whenever the page was slower than the test.
    ``page.evaluate`` goes through the DevTools protocol, outside the page's policy.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout:g} s: {expression}")
        time.sleep(0.05)
