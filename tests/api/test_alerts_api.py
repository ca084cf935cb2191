"""GET /alerts (GeoJSON and its filters), /alerts/feed.xml, /alerts/{id}.xml, /version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aralrisk.layers import alerts
from tests.forecasts import pm10


def test_alerts_geojson_and_filters(alert_client: TestClient) -> None:
    response = alert_client.get("/alerts")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["count"] == 4 * 2  # four districts, two days
    assert body["forecasts"]["dust_pm10_forecast"]["issued"] == "2026-04-10T00:00:00+00:00"
    orange = alert_client.get("/alerts", params={"level": "orange"}).json()
    assert sorted(
        (f["properties"]["code"], f["properties"]["level"]) for f in orange["features"]
    ) == [
        ("A", "orange"),
        ("A", "red"),
    ]
    one = alert_client.get(
        "/alerts", params={"district": "B", "day": "2026-04-10", "hazard": "dust"}
    ).json()
    assert [f["properties"]["level"] for f in one["features"]] == ["yellow"]
    assert one["features"][0]["geometry"]["type"] == "Polygon"


@pytest.mark.parametrize(
    ("params", "phrase"),
    [
        ({"hazard": "tsunami"}, "unknown hazard"),
        ({"level": "purple"}, "unknown level"),
        ({"district": "ZZ"}, "unknown district"),
        ({"day": "2026-05-01"}, "is not forecast"),
        ({"day": "tomorrow"}, "day"),
    ],
)
def test_bad_filters_are_422_problems(
    alert_client: TestClient, params: dict[str, str], phrase: str
) -> None:
    response = alert_client.get("/alerts", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert phrase in response.json()["detail"]


def test_feed_and_cap_messages(alert_client: TestClient) -> None:
    feed = alert_client.get("/alerts/feed.xml")
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    identifiers = [
        line.split('href="')[1].split('.xml"')[0]
        for line in feed.text.splitlines()
        if 'type="application/cap+xml"' in line
    ]
    assert len(identifiers) == 2
    for identifier in identifiers:
        cap = alert_client.get(f"/alerts/{identifier}.xml")
        assert cap.status_code == 200
        assert cap.headers["content-type"].startswith("application/cap+xml")
        assert "<msgType>Alert</msgType>" in cap.text
    assert alert_client.get("/alerts/nothing.here.xml").status_code == 404
    assert alert_client.get("/alerts/bad%20id.xml").status_code == 422


def test_version_names_the_alerts(alert_client: TestClient, client: TestClient) -> None:
    section = alert_client.get("/version").json()["alerts"]
    assert section["messages"] == 2
    assert "dust_pm10_forecast" in section["forecasts"]
    assert client.get("/version").json()["alerts"] is None  # nothing published there


def test_no_alerts_published_is_404(client: TestClient) -> None:
    response = client.get("/alerts")
    assert response.status_code == 404
    assert "aralrisk alerts" in response.json()["detail"]


def test_command_publishes_and_refuses_in_one_sentence(build_root: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aralrisk.api.cli import app

    root = tmp_path / "root"
    shutil.copytree(build_root, root, symlinks=True)
    good = pm10(tmp_path / "pm10.nc", [{"A": 200.0, "B": 60.0, "C": 20.0}])
    runner = CliRunner()
    result = runner.invoke(app, ["alerts", "--forecast", str(good), "--build", str(root)])
    assert result.exit_code == 0, result.output
    assert "dust_pm10_forecast: issued 2026-04-10" in result.output
    assert "Red warning: Dust storm, A" in result.output
    published = alerts.current_alerts(root)
    # The same forecast again is not newer: refused, and the published alerts stay.
    again = runner.invoke(app, ["alerts", "-f", f"dust_pm10_forecast={good}", "-b", str(root)])
    assert again.exit_code == 2
    assert "not after the dust_pm10_forecast already published" in again.output
    assert alerts.current_alerts(root) == published
    unknown = runner.invoke(app, ["alerts", "-f", "tsunami=x.nc", "-b", str(root)])
    assert unknown.exit_code == 2 and "unknown forecast 'tsunami'" in unknown.output


def test_reports_open_with_the_districts_alerts(
    alert_client: TestClient, client: TestClient
) -> None:
    a = alert_client.get("/districts/A/report")
    assert a.status_code == 200
    head = a.text.split('class="headline row"')[0]  # the block comes before the headline
    assert 'data-box="alerts"' in head
    assert '<li data-level="red" data-hazard="dust">2026-04-10: red' in head
    assert '<li data-level="orange" data-hazard="dust">2026-04-11: orange' in head
    c = alert_client.get("/districts/C/report")
    assert "No alert issued for this district: forecast of 2026-04-10 00:00." in c.text
    ru = alert_client.get("/districts/A/report", params={"lang": "ru"})
    assert "Предупреждения на ближайшие дни" in ru.text and "пыльная буря" in ru.text
    # A build without published alerts: no block at all.
    assert 'data-box="alerts"' not in client.get("/districts/A/report").text


def test_forecast_layer_tiles(alert_client: TestClient) -> None:
    import io

    import morecantile
    import numpy as np
    from PIL import Image

    tile = morecantile.tms.get("WebMercatorQuad").tile(60.5, 44.5, 6)  # over A
    url = f"/alerts/tiles/dust_pm10_forecast/2026-04-10/{tile.z}/{tile.x}/{tile.y}.png"
    response = alert_client.get(url)
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    indices = np.asarray(Image.open(io.BytesIO(response.content)))
    assert (indices == 4).any()  # red cells (palette: 0 no data, 1 none, 2-4 levels)
    day2 = alert_client.get(url.replace("2026-04-10", "2026-04-11"))
    assert (np.asarray(Image.open(io.BytesIO(day2.content))) == 3).any()  # orange
    assert alert_client.get(url.replace("dust_pm10", "heat")).status_code == 422
    assert alert_client.get(url.replace("2026-04-10", "2026-05-01")).status_code == 422
