"""The ``aralrisk`` command line.

Every subcommand has ``--help``. Errors a user can fix (a missing file, a bad
weight, a broken raster) end the command with exit status 2 and one readable
sentence on standard error, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from geo.errors import InputError, NotFoundError

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

    return wrapper


@app.callback()
def _root() -> None:
    """Environmental hazard and risk indices for Kyzylorda oblast."""


@app.command()
@user_errors
def sample(
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write the sample data set into.")
    ] = Path("data/sample"),
) -> None:
    """Generate the illustrative Kyzylorda sample data set (deterministic, from published facts)."""
    from layers.sample import make_sample

    written = make_sample(out)
    typer.echo(f"wrote {len(written)} files to {out}")


def main() -> None:
    """Entry point of the ``aralrisk`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover - exercised through the console script
    main()
