"""JSON that clients can parse: plain Python values, ``null`` for missing numbers.

Build tables hold NumPy scalars and ``NaN`` for "no data"; JSON has neither. Every
response body goes through :func:`plain` (or :func:`dumps`), so ``NaN`` and infinities
become ``null`` and nothing reaches the client that a strict JSON parser rejects.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import BaseModel


def plain(value: Any) -> Any:
    """``value`` with NumPy types made Python and non-finite floats made ``None``."""
    # Exact built-in types first: they are nearly every value of a body, and the ABC
    # checks below cost more than the rest of the work. Same results as the general path.
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict:
        return {str(k): plain(v) for k, v in value.items()}
    if kind is list:
        return [plain(v) for v in value]
    if isinstance(value, BaseModel):
        return plain(value.model_dump(mode="python", by_alias=True))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    # pandas.NA, NaT and other missing markers from a build table.
    try:
        if bool(value != value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def number(value: Any) -> float | None:
    """One float, or ``None`` for missing, NaN or infinite values."""
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON of ``value`` (through :func:`plain`; NaN is never written)."""
    return json.dumps(
        plain(value), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode("utf-8")


def members(value: Mapping[str, Any]) -> bytes:
    """:func:`dumps` of an object without its braces: ``"a":1,"b":2`` (empty if empty).

    Responses assembled from cached JSON parts splice these into objects with
    :func:`join_object`; the result is byte for byte :func:`dumps` of the whole.
    """
    return dumps(value)[1:-1]


def join_object(*parts: bytes) -> bytes:
    """A JSON object from the :func:`members` of its parts, in order (empty parts skipped)."""
    return b"{" + b",".join(part for part in parts if part) + b"}"
