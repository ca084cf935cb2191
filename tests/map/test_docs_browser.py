"""``/docs`` and ``/redoc`` render in a real browser with no request leaving the server.

Issue 13, finding 7: both pages loaded Swagger UI and ReDoc from a CDN and were blank
offline. Now their assets come from an installed package and a Content-Security-Policy
keeps the browser on this server: every request that completes is to the live server
(ReDoc's "Redocly" logo URL is refused by the policy, so it is never fetched).
"""

from __future__ import annotations

import pytest

#: Page, and an element that exists only once the UI has rendered the API.
PAGES = [("/docs", ".opblock-summary-path"), ("/redoc", "h2")]


@pytest.mark.parametrize(("path", "rendered"), PAGES, ids=["swagger-ui", "redoc"])
def test_docs_render_offline(browser: object, live_server: str, path: str, rendered: str) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    fetched: list[str] = []
    page.on("requestfinished", lambda request: fetched.append(request.url))
    try:
        page.goto(live_server + path)
        page.wait_for_selector(rendered, timeout=30_000)
        text = page.inner_text("body")
    finally:
        page.close()
    assert "/districts" in text  # the API's own routes are listed
    outside = [u for u in fetched if not u.startswith((live_server, "data:", "blob:"))]
    assert outside == []
    assert any("/docs/assets/" in u for u in fetched)
    assert any(u.endswith("/openapi.json") for u in fetched)
