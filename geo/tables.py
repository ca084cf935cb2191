"""Read a per-zone attribute table (CSV) keyed by the zones' id field."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from aralrisk.geo._files import PathLike, base_name, require_file
from aralrisk.geo.errors import InputError, warn_input


def read_table(
    path: PathLike, id_field: str, ids: Sequence[str], columns: Sequence[str] = ()
) -> pd.DataFrame:
    """Read a CSV with one row per zone and return it indexed by ``ids``.

    Lines starting with ``#`` are comments (the sample's table says it is illustrative
    there). Ids are compared as strings.

    Args:
        path: The CSV file (UTF-8, comma-separated).
        id_field: Column holding the zone id (e.g. ``"ADM2_PCODE"``).
        ids: The zone ids, in the order of the result's rows.
        columns: Columns that must be present and numeric.

    Returns:
        A frame indexed by ``ids`` (index named ``id_field``) with ``columns`` as
        float64; NaN where a zone has no row or no value.

    Raises:
        InputError: The file is missing or not a CSV, lacks ``id_field`` or one of
            ``columns``, repeats an id, or holds text in a numeric column.

    Warns:
        InputWarning: Some zones have no row (their values are NaN) or the table has
            rows for unknown ids (ignored).
    """
    name = base_name(path)
    require_file(path, "table")
    try:
        table = pd.read_csv(path, comment="#", dtype={id_field: str}, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputError(f"{name} is not a readable CSV table: save it as UTF-8 CSV") from err
    missing = [c for c in (id_field, *columns) if c not in table.columns]
    if missing:
        raise InputError(
            f"{name} has no column {', '.join(map(repr, missing))}: its columns are "
            f"{', '.join(map(str, table.columns))}"
        )
    table[id_field] = table[id_field].astype(str).str.strip()
    repeated = table[id_field][table[id_field].duplicated()].unique().tolist()
    if repeated:
        raise InputError(f"{name} has several rows for {', '.join(repeated)}: keep one per id")
    out = table.set_index(id_field)[list(columns)]
    for column in columns:
        try:
            out[column] = pd.to_numeric(out[column]).astype("float64")
        except (ValueError, TypeError) as err:
            raise InputError(f"{name}: column {column!r} holds text where numbers belong") from err
    wanted = [str(i) for i in ids]
    absent = [i for i in wanted if i not in out.index]
    if absent:
        warn_input(
            f"{name} has no row for {', '.join(absent)}: their values are missing (no data)",
            stacklevel=2,
        )
    unknown = sorted(set(out.index) - set(wanted))
    if unknown:
        warn_input(
            f"{name} has rows for unknown ids {', '.join(unknown)}: they are ignored",
            stacklevel=2,
        )
    result = out.reindex(wanted)
    result.index.name = id_field
    return result
