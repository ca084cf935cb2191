"""``aralrisk alerts``: forecasts in, district alerts and CAP messages published.

Registered on the command line by :mod:`api.cli`; the work is
:func:`layers.alerts.run`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def alerts(
    forecast: Annotated[
        list[str],
        typer.Option(
            "--forecast",
            "-f",
            help="Forecast file (NetCDF/Zarr), recognised by its variable (pm10, dis24, "
            "mx2t24/tasmax), or ID=FILE; repeat for several.",
        ),
    ],
    build_dir: Annotated[
        Path, typer.Option("--build", "-b", help="Output root (or build) the alerts are for.")
    ] = Path("build"),
    thresholds: Annotated[
        Path | None,
        typer.Option(
            help="Folder of threshold rasters (e.g. discharge_rp2.nc); default: beside "
            "each forecast."
        ),
    ] = None,
    sender: Annotated[
        str | None, typer.Option(help="CAP sender, e.g. warnings@example.org.")
    ] = None,
) -> None:
    """Turn forecasts into district alerts, CAP 1.2 messages and an Atom feed.

    Publishes BUILD/alerts/current atomically: alerts.geojson, alerts.csv, cap/*.xml and
    feed.xml. A newer forecast of the same kind updates or cancels the published
    messages; a failure leaves them as they were.
    """
    from aralrisk.layers import alerts as engine
    from aralrisk.layers import cap

    published = engine.run(
        forecast, build_dir, thresholds_dir=thresholds, sender=sender or cap.DEFAULT_SENDER
    )
    state = engine.read_state(published)
    typer.echo(f"published alerts {state['version']} in {build_dir / engine.ALERTS}/current")
    for forecast_id, meta in state["forecasts"].items():
        typer.echo(
            f"  {forecast_id}: issued {meta['issued']}, {meta['members']} member(s), "
            f"{len(meta['days'])} day(s), {meta['source']} ({meta['licence']})"
        )
    for message in state["messages"]:
        typer.echo(
            f"  {message['msgType']:<6} {message['level']:<6} {message['headline']} "
            f"({message['onset'][:10]} to {message['expires'][:10]})"
        )
    if not state["messages"]:
        typer.echo("  no district reaches an alert level")
