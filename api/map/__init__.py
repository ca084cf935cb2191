"""The offline risk map and the district preparedness reports.

* :mod:`api.map.page` — the folium map page served at ``/map`` (cached per build);
* :mod:`api.map.assets` — Leaflet and our scripts, served from installed packages;
* :mod:`api.map.csp` — a Content-Security-Policy from the page's own inline code;
* :mod:`api.map.export` / :mod:`api.map.images` — the self-contained HTML export;
* :mod:`api.map.report` / :mod:`api.map.inset` / :mod:`api.map.guidance` — the
  printable one-page report of a district, with preparedness advice per hazard level.

The routes are in :mod:`api.routers.map`.
"""
