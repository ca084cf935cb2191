"""A strict Content-Security-Policy for pages whose inline code we generated.

folium writes the map's set-up as inline ``<script>`` and ``<style>`` blocks. Rather
than allow every inline script (``'unsafe-inline'``, which would let an injected
script run too), the policy lists the SHA-256 of each inline block of the page. Pages
are generated once per build and cached, so the hashes are computed once; a block
that was not in the generated page cannot run.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser

#: Script ``type`` values a browser executes (an absent type is JavaScript too).
_EXECUTABLE = {"", "text/javascript", "application/javascript", "module"}


@dataclass
class InlineCode:
    """The inline scripts and styles of a page, as CSP hash sources."""

    scripts: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    style_attributes: int = 0


def csp_hash(text: str) -> str:
    """The CSP source of an inline block: ``'sha256-<base64>'``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


class _Collector(HTMLParser):
    """Collects the text of inline ``<script>`` and ``<style>`` elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found = InlineCode()
        self._open: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "style" in values:
            self.found.style_attributes += 1
        if tag == "script" and "src" not in values:
            kind = (values.get("type") or "").strip().lower()
            self._open = "script" if kind in _EXECUTABLE else None
        elif tag == "style":
            self._open = "style"
        self._text = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag == self._open:
            text = "".join(self._text)
            target = self.found.scripts if tag == "script" else self.found.styles
            target.append(csp_hash(text))
        self._open = None
        self._text = []


def inline_code(html: str) -> InlineCode:
    """The hash sources of every inline script and style block of ``html``."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.found


def policy(
    html: str, *, img_sources: Iterable[str] = (), connect: bool = True, meta: bool = False
) -> str:
    """A Content-Security-Policy allowing ``html``'s own inline blocks and nothing else.

    Everything else must come from the page's own origin: scripts, styles, fonts,
    images (plus ``data:`` images, which the offline export and the report inset use)
    and, when ``connect`` is true, ``fetch`` calls.

    Args:
        html: The page.
        img_sources: Further image origins, e.g. the OpenStreetMap tile server when the
            optional online basemap is offered.
        connect: Allow ``fetch`` to the page's origin (the map); off for the report.
        meta: The policy goes in a ``<meta>`` element (a file has no headers), where
            browsers ignore ``frame-ancestors`` with a console error: leave it out.
    """
    found = inline_code(html)
    scripts = " ".join(["'self'", *dict.fromkeys(found.scripts)])
    styles = " ".join(["'self'", *dict.fromkeys(found.styles)])
    images = " ".join(["'self'", "data:", *img_sources])
    directives = [
        "default-src 'none'",
        f"script-src {scripts}",
        f"style-src {styles}",
        f"img-src {images}",
        "font-src 'self'",
        "connect-src 'self'" if connect else "connect-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
    if not meta:
        directives.append("frame-ancestors 'self'")
    return "; ".join(directives)
