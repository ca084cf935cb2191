"""The ``aralrisk`` command line.

Every subcommand has ``--help``. Errors a user can fix (a missing file, a bad
weight, a broken raster) end the command with exit status 2 and one readable
sentence on standard error, never a traceback.
"""

from __future__ import annotations

import errno
import math
import os
import socket
import warnings
from collections.abc import Callable, Mapping
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TextIO, TypeVar

import typer

from aralrisk.geo.errors import InputError, InputWarning, NotFoundError

if TYPE_CHECKING:
    from aralrisk.layers.result import BuildResult

app = typer.Typer(
    name="aralrisk",
    help="Environmental hazard and risk indices for Kyzylorda oblast: sample data, builds, "
    "the tile/GeoJSON service and the offline risk map.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

P = ParamSpec("P")
R = TypeVar("R")

#: Exit status for errors in the user's input (files, config, weights).
EXIT_INPUT = 2


def fail(message: str, code: int = EXIT_INPUT) -> typer.Exit:
    """Print one sentence to standard error and return the exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def user_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors a user can fix into one sentence and exit status 2."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (InputError, NotFoundError) as exc:
            raise fail(str(exc).strip()) from None
        except KeyboardInterrupt:
            raise fail("interrupted; nothing was published", 130) from None
        except OSError as exc:
            raise fail(os_error_sentence(exc)) from None

    return wrapper


#: What to do about a file error, by errno.
_FILE_ADVICE = {
    errno.EEXIST: "it already exists where a folder is needed: move it, or choose another path",
    errno.ENOTDIR: "a part of that path is a file, not a folder: choose another path",
    errno.EISDIR: "it is a folder: give a file",
    errno.ENOENT: "check the path and its spelling",
    errno.EACCES: "check its permissions, or choose another path",
    errno.EPERM: "check its permissions, or choose another path",
    errno.EROFS: "the disk is read-only: choose another path",
    errno.ENOSPC: "the disk is full: free some space, or write elsewhere",
    errno.EDQUOT: "the disk quota is used up: free some space, or write elsewhere",
}


def os_error_sentence(exc: OSError) -> str:
    """One sentence for an operating-system error: a network error, or which file and why.

    The file is named as the command used it (the path the user gave, or one under it):
    the user runs the command on their own machine. Network failures (refused, timed
    out, unknown host) are said to be network errors, never file errors.
    """
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror | socket.herror) or (
        type(exc).__name__ == "CommClosedError"  # distributed's lost connection
    ):
        return f"network error: {exc.strerror or exc}; check the address and that the server runs"
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is None:
        return f"could not read or write a file: {reason}"
    name = os.fsdecode(exc.filename)
    advice = _FILE_ADVICE.get(exc.errno or 0, "check the path, its permissions and free space")
    if exc.filename2 is not None:
        name = f"{name} -> {os.fsdecode(exc.filename2)}"
    return f"could not read or write {name}: {reason}; {advice}"


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Input warnings as one line without source paths; others as Python prints them."""
    if issubclass(category, InputWarning):
        typer.echo(f"warning: {message}", err=True)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


_default_showwarning = warnings.showwarning


@app.callback()
def _root() -> None:
    """Environmental hazard and risk indices for Kyzylorda oblast."""
    warnings.showwarning = _show_warning


@app.command()
@user_errors
def sample(
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write the sample data set into.")
    ] = Path("data/sample"),
) -> None:
    """Generate the illustrative Kyzylorda sample data set (deterministic, from published facts)."""
    from aralrisk.layers.sample import make_sample

    written = make_sample(out)
    typer.echo(f"wrote {len(written)} files to {out}")


@app.command()
@user_errors
def build(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Build configuration TOML, or a folder holding build.toml "
            "(default: the sample's).",
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output root; publishes OUT/current.")
    ] = Path("build"),
    boundaries: Annotated[
        Path | None, typer.Option(help="Use this district file instead of the config's.")
    ] = None,
    id_field: Annotated[
        str | None, typer.Option(help="District code field of --boundaries, e.g. ADM2_PCODE.")
    ] = None,
    name_field: Annotated[
        str | None, typer.Option(help="District name field of --boundaries, e.g. ADM2_EN.")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="Weight profile: equal, public_health, agriculture, ...")
    ] = None,
    output_crs: Annotated[
        str | None,
        typer.Option(
            help="CRS of districts_input.* (every field of your district file, with the "
            "results): 'input' (your file's own, the default) or e.g. EPSG:32641."
        ),
    ] = None,
    define_profile: Annotated[
        list[str] | None,
        typer.Option(
            help="Declare a weight profile, NAME=hazard:weight,... (unnamed hazards 0), e.g. "
            "'herders=drought:3,dust:2'; repeat for several; choose it with --profile NAME."
        ),
    ] = None,
    weights: Annotated[
        str | None,
        typer.Option(
            help="Hazard weights on top of the profile, e.g. 'dust:2,river_flood:1' (hazards: "
            "river_flood, salinity, dust, heat, drought; context: warming, drought_status); "
            "a hazard layer id weighs within its hazard, e.g. 'flood_rp10:2'."
        ),
    ] = None,
    method: Annotated[
        str | None, typer.Option(help="How hazards combine: geometric (INFORM) or max.")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Run on a Dask distributed scheduler, tcp://HOST:PORT.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Run on a local Dask cluster of N processes.")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            help="Name this build (e.g. baseline): it is never pruned, and "
            "open_build(OUT, name=NAME) finds it later."
        ),
    ] = None,
    keep: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="After publishing, delete the oldest unnamed builds of OUT beyond N (the "
            "current build and named builds are always kept). Default: delete nothing.",
        ),
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="If another build is writing into OUT, wait for it to finish (--wait) or "
            "stop at once with an error (--no-wait, the default).",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Build hazard, risk and district indices from a configuration and publish them.

    Every build stays in OUT/builds/ until you prune: --keep N deletes the oldest unnamed
    ones, and a build made with --name is never deleted.
    """
    from aralrisk.layers.config import load_config
    from aralrisk.layers.pipeline import DEFAULT_CONFIG
    from aralrisk.layers.pipeline import build as run_build
    from aralrisk.layers.publish import BUILDS, BuildInProgress
    from aralrisk.layers.registry import parse_weights

    if name is not None and (not name.strip() or not name.isprintable() or len(name) > 100):
        raise fail(f"--name {name!r} is not a usable name: use up to 100 printable characters")

    cfg = load_config(config or DEFAULT_CONFIG)
    if boundaries is not None:
        if not id_field:
            raise fail("--boundaries needs --id-field, the column holding district codes")
        cfg = cfg.with_districts(boundaries, id_field, name_field)
    elif id_field or name_field:
        raise fail("--id-field and --name-field go with --boundaries FILE")
    if define_profile:
        from aralrisk.layers.profiles import parse_profile

        declared = dict(cfg.profiles)
        for text in define_profile:
            key, declared[key] = parse_profile(text)
        cfg = cfg.model_copy(update={"profiles": declared})
    if output_crs is not None:
        from aralrisk.layers.config import OutputConfig

        cfg = cfg.model_copy(update={"output": OutputConfig(crs=output_crs)})
    before = set(_published_builds(out / BUILDS))

    def run(wait_seconds: float) -> BuildResult:
        return run_build(
            cfg,
            out=out,
            profile=profile,
            weights=parse_weights(weights) if weights else None,
            method=method,
            progress=not quiet,
            scheduler=scheduler,
            workers=workers,
            name=name,
            keep=keep,
            wait=wait_seconds,
        )

    try:
        result = run(0.0)
    except BuildInProgress:
        if not wait:
            raise
        # Say why nothing happens, then wait as long as the other build takes.
        typer.echo(f"another build is writing into {out}: waiting for it to finish", err=True)
        result = run(math.inf)
    named = f" named {name!r}" if name else ""
    typer.echo(f"published build {result.version}{named} in {out}/current")
    removed = sorted(before - set(_published_builds(out / BUILDS)))
    if removed:
        typer.echo(f"pruned {len(removed)} older unnamed build(s): {', '.join(removed)}")
    classes = result.manifest.get("scoring", {}).get("classes", {}).get("name", "INFORM")
    typer.echo(f"rank, district, risk ({classes} classes), hazard level, people exposed:")
    for code, row in result.table().iterrows():
        typer.echo(summary_line(str(code), row.to_dict()))


def _published_builds(folder: Path) -> list[str]:
    """Names of the build folders under ``OUT/builds`` (none if it does not exist)."""
    return [p.name for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []


def _number(value: Any) -> float | None:
    try:
        found = float(value)
    except (TypeError, ValueError):
        return None
    return found if math.isfinite(found) else None


def summary_line(code: str, row: Mapping[Any, Any]) -> str:
    """One district of a build as ``aralrisk build`` prints it.

    Rank (``—`` when not ranked), code, name, risk and class, the hazard level beside it
    with the hazards at that level, the people exposed to any hazard, and the drivers.
    """
    from aralrisk.geo.index import LEVEL_LABELS, NO_DATA

    rank = _number(row.get("rank"))
    risk = _number(row.get("risk"))
    level = _number(row.get("hazard_level"))
    label = LEVEL_LABELS.get(int(level) if level is not None else NO_DATA, "no data")
    at_level = ", ".join(str(h) for h in (row.get("hazard_level_hazards") or []))
    people = _number(row.get("people_exposed"))
    drivers = ", ".join(str(d["hazard"]) for d in (row.get("drivers") or []))
    shown_rank = str(int(rank)) if rank is not None else "—"
    shown_risk = f"{risk:4.1f}" if risk is not None else "   –"
    shown_people = f"{people:,.0f}" if people is not None else "–"
    return (
        f"{shown_rank:>2}  {code}  {row.get('name')!s:<16} "
        f"risk {shown_risk} {row.get('risk_class')!s:<9}  "
        f"hazard {label:<8} exposed {shown_people:>9}  "
        f"{label} hazards: {at_level or '–'}; drivers: {drivers or '–'}"
    )


def _servable_version(root: Path) -> str:
    """Version of the build published under ``root``, checked as the service will read it.

    Raises:
        InputError: Nothing is published there, or the published build is damaged; the
            sentence says which and gives the command that builds into ``root``.
    """
    from aralrisk.layers.result import open_build

    command = f"`aralrisk build --out {root}` (or `make run` for the sample)"
    try:
        return open_build(root).version
    except NotFoundError:
        raise InputError(
            f"no build is published in {root}: check the --build path (or "
            f"ARALRISK_BUILD_DIR), or build into it first with {command}"
        ) from None
    except InputError as exc:
        raise InputError(
            f"the build published in {root} cannot be served ({exc}): build it again with {command}"
        ) from None


@app.command()
@user_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (the API is stateless).")
    ] = 1,
    build_dir: Annotated[
        Path,
        typer.Option(
            "--build",
            envvar="ARALRISK_BUILD_DIR",
            help="Output root of `aralrisk build` to serve (its `current` build).",
        ),
    ] = Path("build"),
    root_path: Annotated[
        str,
        typer.Option(
            envvar="ARALRISK_ROOT_PATH",
            help="Path prefix when behind a reverse proxy, e.g. /aralrisk.",
        ),
    ] = "",
) -> None:
    """Serve the HTTP API and the risk map of the build published under --build.

    Serving never builds: with nothing (or a damaged build) published there it stops
    with one sentence and the command to run first (`aralrisk build --out DIR`, or
    `make run`, which builds the sample and serves it). ARALRISK_* settings are checked
    before the server starts.
    """
    import uvicorn

    from aralrisk.api.settings import Settings, misspelt_variables

    # The workers read their settings again; a bad one is one sentence here, not a
    # traceback in each worker.
    Settings(build_dir=build_dir, root_path=root_path)
    for warning in misspelt_variables(os.environ):
        typer.echo(f"warning: {warning}", err=True)
    version = _servable_version(build_dir)
    # Workers are separate processes that read their settings from the environment.
    os.environ["ARALRISK_BUILD_DIR"] = str(build_dir.resolve())
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - display only
    shown = f"[{shown}]" if ":" in shown else shown
    typer.echo(f"serving build {version}: open http://{shown}:{port}/map")
    uvicorn.run(
        "aralrisk.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        root_path=root_path.rstrip("/"),
        log_level="info",
    )


BuildOption = Annotated[
    Path,
    typer.Option(
        "--build",
        envvar="ARALRISK_BUILD_DIR",
        help="Output root of `aralrisk build` (its `current` build is used).",
    ),
]


@app.command("map")
@user_errors
def map_export(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="An .html file (the map alone), or a folder or .zip: the offline copy with "
            "every district report, the settlements and the values at any point.",
        ),
    ] = Path("map.html"),
    build_dir: BuildOption = Path("build"),
    osm: Annotated[
        bool,
        typer.Option(
            "--osm/--no-osm",
            help="Offer OpenStreetMap as an optional layer (used only when switched on "
            "and online).",
        ),
    ] = True,
    lang: Annotated[
        str, typer.Option(help="Language of the offline copy's map and reports: kk, ru or en.")
    ] = "en",
) -> None:
    """Export the risk map for use offline: one HTML file, or a folder (or zip) with reports."""
    from aralrisk.api.map.export import export_map
    from aralrisk.layers.result import open_build

    if lang not in ("kk", "ru", "en"):
        raise fail(f"unknown language {lang!r}; choose kk, ru or en")
    result = open_build(build_dir)
    if out.suffix.lower() != ".html":
        from aralrisk.api.map.offline import export_offline, size_mb

        written = export_offline(result, out, online_basemap=osm, lang=lang)
        reports = sum(1 for p in written if p.parent.name == "reports")
        typer.echo(
            f"wrote the offline copy of build {result.version} to {out} "
            f"({size_mb(written):.1f} MB; {reports} report files): open index.html"
        )
        return
    html = export_map(result, online_basemap=osm, lang=lang)
    out.write_text(html, encoding="utf-8")
    size = out.stat().st_size / 1e6
    typer.echo(f"wrote the map of build {result.version} to {out} ({size:.1f} MB)")
    for code, row in result.table().iterrows():
        typer.echo(summary_line(str(code), row.to_dict()))


@app.command()
@user_errors
def report(
    code: Annotated[str, typer.Argument(help="District code, e.g. KZ433200.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            dir_okay=False,
            help="File to write: PDF if it ends in .pdf, else HTML (default: CODE.html).",
        ),
    ] = None,
    build_dir: BuildOption = Path("build"),
) -> None:
    """Write the printable preparedness report of one district (HTML or PDF)."""
    from aralrisk.api.map.report import PdfUnavailable, render_report, report_pdf
    from aralrisk.layers.result import open_build

    result = open_build(build_dir)
    codes = [str(c) for c in result.districts["code"]]
    if code not in codes:
        raise fail(f"unknown district {code!r}; the districts are {', '.join(codes)}")
    target = out or Path(f"{code}.html")
    html = render_report(result, code)
    if target.suffix.lower() == ".pdf":
        try:
            target.write_bytes(report_pdf(html))
        except PdfUnavailable as exc:
            raise fail(str(exc)) from None
    else:
        target.write_text(html, encoding="utf-8")
    row = result.table().loc[code].to_dict()
    typer.echo(f"wrote the report of {code} to {target}")
    typer.echo(summary_line(code, row))


@app.command()
@user_errors
def compare(
    a: Annotated[
        Path, typer.Argument(metavar="A", help="Build A: an output root or a build folder.")
    ],
    b: Annotated[
        Path, typer.Argument(metavar="B", help="Build B, the scenario: a root or a build folder.")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the changes to a .csv or a .gpkg file."),
    ] = None,
) -> None:
    """Compare two builds: per district the change of risk, class, rank and layers (B - A)."""
    from aralrisk.layers.compare import run

    run(a, b, out, typer.echo)


# `aralrisk alerts` lives in its own module (api/alerts_command.py).
from aralrisk.api.alerts_command import alerts as _alerts  # noqa: E402

app.command(name="alerts")(user_errors(_alerts))


def main() -> None:
    """Entry point of the ``aralrisk`` console script.

    A mistyped option or value (``--port 70000``, ``--keep -1``, an unknown option) is
    one line on standard error with exit status 2, like every other mistake, instead of
    the framework's framed usage panel.
    """
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # click's usage errors, vendored by Typer
        message = " ".join(str(exc.format_message()).split())
        context = getattr(exc, "ctx", None)
        where = f" (see `{context.command_path} --help`)" if context is not None else ""
        if message:  # empty when the help was shown instead (no arguments at all)
            typer.echo(f"error: {message}{where}", err=True)
        raise SystemExit(getattr(exc, "exit_code", EXIT_INPUT)) from None
    except typer.Abort:  # pragma: no cover - Ctrl-C at a prompt; there are none today
        raise SystemExit(130) from None
    # Without standalone mode an exit status comes back as the return value.
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover - exercised through the console script
    main()
