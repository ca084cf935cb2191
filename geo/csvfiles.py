"""CSV as spreadsheets and GIS read it: UTF-8 with BOM, no formulas, a ``.csvt`` beside.

Every CSV the project writes (the build's ``districts.csv`` and ``district_layers.csv``,
the API's ``/districts.csv``) goes through :func:`csv_bytes`:

* **UTF-8 with a byte order mark.** Excel opens a CSV without one in the system's
  ANSI code page and shows Cyrillic district names (``Қызылорда``) as mojibake; with
  the BOM it reads UTF-8. pandas (``encoding="utf-8-sig"``, or the default, which skips
  it), GDAL's CSV driver and Python's ``csv`` with ``utf-8-sig`` read it as before.
* **No formulas.** A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return is run as a formula by spreadsheets (CSV injection); such cells get
  a leading ``'``, as the OWASP CSV injection guidance advises. Only text columns are
  touched: numbers (negative ones too) stay numbers.
* **Column types for GDAL.** :func:`write_csv` writes ``<name>.csvt`` beside the file,
  the one-line type list GDAL's CSV driver (QGIS, ``ogr2ogr``) reads so that codes stay
  text and numbers are numbers instead of every column being a string.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from pandas.api import types

from aralrisk.geo._files import PathLike, atomic_path

#: UTF-8 byte order mark: tells Excel the file is UTF-8.
BOM = "\ufeff"
#: First characters that make a spreadsheet cell a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _escape(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def escape_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` whose text cells cannot start a formula (prefixed with ``'``).

    Numeric and boolean columns are left alone, so ``-1.5`` stays a number.
    """
    out = table.copy()
    for column in out.columns:
        series = out[column]
        if types.is_object_dtype(series.dtype) or types.is_string_dtype(series.dtype):
            out[column] = series.map(_escape)
    return out


def unescape(value: str) -> str:
    """The text of a cell as it was before :func:`escape_formulas` (``'=x`` -> ``=x``).

    For code that reads its own CSV back (a build's ``places.csv``).
    """
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


def csv_bytes(table: pd.DataFrame) -> bytes:
    """``table`` (without its index) as UTF-8 CSV with BOM and escaped formulas."""
    buffer = io.StringIO()
    escape_formulas(table).to_csv(buffer, index=False, lineterminator="\n")
    return (BOM + buffer.getvalue()).encode("utf-8")


def gdal_type(series: pd.Series) -> str:
    """The GDAL CSV driver's type of a column (``Integer(Boolean)``, ``Real``, ...)."""
    dtype = series.dtype
    if types.is_bool_dtype(dtype):
        return "Integer(Boolean)"
    if types.is_integer_dtype(dtype):
        return "Integer64"
    if types.is_float_dtype(dtype):
        return "Real"
    return "String"


def csvt(table: pd.DataFrame) -> str:
    """The ``.csvt`` line of ``table``: its columns' GDAL types, quoted, in order."""
    return ",".join(f'"{gdal_type(table[column])}"' for column in table.columns) + "\n"


def write_csv(table: pd.DataFrame, path: PathLike) -> Path:
    """Write ``table`` to ``path`` (:func:`csv_bytes`) and its types to ``.csvt`` beside.

    Both files are written atomically (a reader never sees half a file).

    Returns:
        The CSV's path (the ``.csvt`` is ``path`` with that suffix).
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(csv_bytes(table))
    with atomic_path(path.with_suffix(".csvt")) as tmp:
        tmp.write_text(csvt(table), encoding="ascii")
    return path
