"""Where builds live on disk, and how one is published without readers ever seeing half.

Layout under the output root (``build/`` by default)::

    build/
      current -> builds/20261123T101500Z-1a2b3c4d    (relative symlink: the served build)
      builds/<version>/manifest.json, districts.*, layers/*.tif, ...
      .staging/<version>/                              (a build in progress)
      .lock                                            (held while a build runs)

A build is written entirely inside ``.staging/<version>/``; ``manifest.json`` is written
last. Publishing renames the finished directory into ``builds/`` (one atomic rename on
the same file system) and then swaps the ``current`` symlink atomically (a new link
under a temporary name, then :func:`os.replace`). A build that fails or is killed at any
point therefore leaves ``current`` pointing at the previous, complete build.

One build at a time per root: :func:`root_lock` takes an exclusive ``flock`` on
``.lock`` for the whole build, across processes (another ``aralrisk build``, a second
API worker's ``POST /builds``), and a second build waits for it or is refused with one
sentence. Leftovers in ``.staging`` can then only be those of a killed build, and the
build holding the lock removes them. Nothing published is ever deleted unless asked:
:func:`prune` keeps every named build and, of the others, as many as the caller says.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aralrisk.geo.errors import ConfigError, InputError, NotFoundError

MANIFEST = "manifest.json"
CURRENT = "current"
BUILDS = "builds"
STAGING = ".staging"
LOCK = ".lock"


class BuildInProgress(ConfigError):
    """Another build holds the output root's lock."""


@contextlib.contextmanager
def root_lock(root: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the output root's build lock (``root/.lock``, an exclusive ``flock``).

    Args:
        root: The output root.
        wait: Seconds to wait for another build to finish; 0 refuses at once.

    Raises:
        BuildInProgress: Another process (or thread) builds into ``root`` and did not
            finish within ``wait`` seconds; the sentence names its process and start.
    """
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK
    handle = path.open("a+", encoding="utf-8")
    deadline = time.monotonic() + max(0.0, wait)
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as err:
                if err.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise BuildInProgress(
                        f"another build is writing into {root.name or root} ({holder}): "
                        "wait for it to finish, or build into another folder"
                    ) from None
                time.sleep(0.1)
        handle.seek(0)
        handle.truncate()
        started = datetime.now(UTC).isoformat(timespec="seconds")
        handle.write(f"process {os.getpid()}, started {started}")
        handle.flush()
        yield
    finally:
        # Closing the file releases the lock; the file itself stays (deleting it could
        # let two builds lock two different files of the same name).
        handle.close()


def new_version(config_digest: str) -> str:
    """A sortable, unique build version: UTC time plus a short digest and random part."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{config_digest[:8]}{uuid.uuid4().hex[:4]}"


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def staging(root: Path, version: str) -> Iterator[Path]:
    """A fresh staging directory for one build; removed if the build raises.

    Call it while holding :func:`root_lock`: the staging directories left over are then
    those of killed builds, and are removed first.
    """
    base = root / STAGING
    if base.exists():
        for stale in base.iterdir():
            shutil.rmtree(stale, ignore_errors=True)
    work = base / version
    work.mkdir(parents=True)
    try:
        yield work
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def write_manifest(directory: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` (last file of a build) with the outputs' sizes and sha256."""
    outputs = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            rel = path.relative_to(directory).as_posix()
            outputs[rel] = {"size": path.stat().st_size, "sha256": sha256(path)}
    manifest = {**manifest, "outputs": outputs}
    tmp = directory / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=False, default=str), encoding="utf-8")
    os.replace(tmp, directory / MANIFEST)
    return directory / MANIFEST


def publish(root: Path, work: Path) -> Path:
    """Move a finished staging directory into ``builds/`` and point ``current`` at it.

    Returns:
        The published build directory.
    """
    if not (work / MANIFEST).is_file():
        raise InputError("the build is incomplete (no manifest): it was not published")
    builds = root / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    final = builds / work.name
    os.replace(work, final)
    link = root / CURRENT
    tmp_link = root / f".{CURRENT}.{uuid.uuid4().hex[:8]}"
    os.symlink(Path(BUILDS) / work.name, tmp_link)
    os.replace(tmp_link, link)
    return final


def prune(root: Path, keep: int) -> list[str]:
    """Delete the oldest unnamed builds, keeping ``keep`` of them besides the current one.

    Named builds (``build(..., name=...)``) are never deleted, nor is the current one.
    Call it while holding :func:`root_lock`.

    Returns:
        The versions deleted.
    """
    if keep < 0:
        raise ConfigError(f"keep must be 0 or more builds, got {keep}")
    builds = root / BUILDS
    if not builds.is_dir():
        return []
    current = (root / CURRENT).resolve() if (root / CURRENT).exists() else None
    unnamed = []
    for path in sorted(p for p in builds.iterdir() if (p / MANIFEST).is_file()):
        with contextlib.suppress(InputError):
            if path.resolve() != current and not read_manifest(path).get("name"):
                unnamed.append(path)
    doomed = unnamed[: max(0, len(unnamed) - keep)]
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)
    return [p.name for p in doomed]


def find_named(root: Path, name: str) -> Path:
    """The newest published build of ``root`` with this name.

    Raises:
        NotFoundError: No build of that name.
    """
    builds = root / BUILDS
    found = []
    if builds.is_dir():
        for path in sorted(p for p in builds.iterdir() if (p / MANIFEST).is_file()):
            with contextlib.suppress(InputError):
                if read_manifest(path).get("name") == name:
                    found.append(path)
    if not found:
        raise NotFoundError(f"no build named {name!r} in {root.name or root}")
    return found[-1]


def resolve_build(path: Path) -> Path:
    """The build directory for ``path``: a build itself, or a root with ``current``.

    Raises:
        NotFoundError: Nothing is published there yet.
        InputError: The build directory is incomplete (no or unreadable manifest).
    """
    path = Path(path)
    if (path / CURRENT).exists():
        path = (path / CURRENT).resolve()
    elif not (path / MANIFEST).exists():
        raise NotFoundError(
            f"no published build in {path.name or path}: run `aralrisk build` first"
        )
    if not (path / MANIFEST).is_file():
        raise InputError(f"build {path.name} is incomplete: it has no {MANIFEST}")
    return path


def read_manifest(build_dir: Path) -> dict[str, Any]:
    """The parsed manifest of a build directory.

    Raises:
        InputError: The manifest is missing or is not valid JSON.
    """
    try:
        manifest: dict[str, Any] = json.loads((build_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"build {build_dir.name} has an unreadable {MANIFEST}") from err
    return manifest


def verify(build_dir: Path, manifest: dict[str, Any], *, checksums: bool = False) -> None:
    """Check that every output listed in the manifest is present (and, optionally, intact).

    Raises:
        InputError: An output is missing, has another size or (with ``checksums``)
            another sha256.
    """
    for rel, meta in manifest.get("outputs", {}).items():
        path = build_dir / rel
        if not path.is_file() or path.stat().st_size != meta["size"]:
            raise InputError(f"build {build_dir.name} is damaged: {rel} is missing or truncated")
        if checksums and sha256(path) != meta["sha256"]:
            raise InputError(f"build {build_dir.name} is damaged: {rel} has changed")
