"""The JavaScript, CSS and images of the map, served from installed Python packages.

Nothing the map needs comes from a CDN: Leaflet is read from the ``XStatic-Leaflet``
distribution and our own scripts and styles from this package's ``static`` folder.
Each bundle is a fixed folder; a request names a file by its relative path and gets
it only if that file was listed when the bundle was first read, so a path never
reaches the file system unchecked.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from aralrisk.geo.errors import NotFoundError

#: Our own scripts and styles (package data, see pyproject ``package-data``).
OWN_STATIC = Path(__file__).with_name("static")

#: Scripts of the map page, in load order (each uses what the ones before define).
MAP_SCRIPTS = (
    "util.js",
    "layers.js",
    "cards.js",
    "ranking.js",
    "districts.js",
    "controls.js",
    "share.js",
    "places.js",
    "search.js",
    "alerts.js",
    "offline.js",
    "main.js",
)
MAP_STYLES = ("map.css", "places.css", "alerts.css")

_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


def _leaflet_dir() -> Path:
    from xstatic.pkg import leaflet

    return Path(leaflet.BASE_DIR)


#: Bundle name -> function giving its folder (looked up lazily: importing this module
#: must not fail where a bundle is missing, only serving from it).
BUNDLES = {"leaflet": _leaflet_dir, "map": lambda: OWN_STATIC}


@dataclass(frozen=True)
class Asset:
    """One static file.

    Attributes:
        body: Its bytes.
        media_type: Its ``Content-Type``.
        digest: Hex SHA-256 of the body (the ETag, and the ``?v=`` of its URL).
    """

    body: bytes
    media_type: str
    digest: str

    @property
    def text(self) -> str:
        """The body as UTF-8 text (scripts and styles)."""
        return self.body.decode("utf-8")


@cache
def _listing(bundle: str) -> dict[str, Path]:
    """Relative path -> file of every file in ``bundle`` (read once per process)."""
    if bundle not in BUNDLES:
        raise NotFoundError(f"no static bundle {bundle!r}; bundles: {', '.join(BUNDLES)}")
    root = BUNDLES[bundle]().resolve()
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


@cache
def asset(bundle: str, name: str) -> Asset:
    """The file ``name`` of ``bundle`` (``"leaflet"`` or ``"map"``).

    Raises:
        NotFoundError: No such bundle, or the bundle has no such file.
    """
    files = _listing(bundle)
    if name not in files:
        raise NotFoundError(f"no static file {name!r} in {bundle!r}")
    path = files[name]
    media_type = _MEDIA_TYPES.get(path.suffix) or (
        mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    body = path.read_bytes()
    return Asset(body, media_type, hashlib.sha256(body).hexdigest())


def asset_url(bundle: str, name: str) -> str:
    """Relative URL of an asset with its digest, e.g. ``static/leaflet/leaflet.js?v=1a2b``.

    Relative, so the page works under any path prefix; the digest changes the URL
    whenever the file changes, so browsers may cache assets for a long time.
    """
    return f"static/{bundle}/{name}?v={asset(bundle, name).digest[:12]}"
