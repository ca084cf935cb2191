"""Small file helpers shared by the readers and writers of :mod:`geo.io`.

Messages name files by base name only (see :mod:`geo.errors`), and every output is
written under a temporary name in its final folder and then renamed, so that a reader
never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from aralrisk.geo.errors import InputError

PathLike = str | os.PathLike[str]


def base_name(path: PathLike) -> str:
    """Return the base name of ``path`` for use in user-facing messages."""
    return Path(path).name


def require_file(path: PathLike, what: str) -> Path:
    """Return ``path`` as a :class:`Path`, or raise :class:`InputError` if it does not exist.

    Args:
        path: The file (or directory store such as Zarr) to check.
        what: What the file should be, e.g. ``"district file"``, for the message.
    """
    resolved = Path(path)
    if not resolved.exists():
        raise InputError(
            f"{what} {base_name(path)} does not exist: check the path and its spelling"
        )
    return resolved


@contextlib.contextmanager
def atomic_path(final: PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``final``; rename it onto ``final`` on success.

    The temporary name keeps the suffix of ``final`` (GDAL picks drivers by suffix) and
    lives in the same folder, so :func:`os.replace` is an atomic rename on one file
    system. On error the temporary file is removed and ``final`` is left untouched.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.stem}.{uuid.uuid4().hex[:12]}.tmp{final.suffix}")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
