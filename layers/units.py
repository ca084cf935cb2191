"""Units of the catalog and of input files, in one CF-aware registry: xclim's.

Rasters and climate series are read with the same unit registry (xclim's, built on
cf-xarray's pint registry), so ``"g L-1"``, ``"g/L"``, ``"kg m-3"``, ``"degC"`` and
``"mm d-1"`` mean the same everywhere. Two words that registry does not know are
translated first: counts of people (``person``, ``people``, ``inhabitants``) are plain
numbers, and ``decade`` is ten years (pint's own "decade" is a factor of ten).
Expressions are parsed when the catalog is loaded, so a typo fails at start-up rather
than producing silently wrong values.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pint

from aralrisk.geo.errors import ConfigError, InputError

# Whole words only: "person" in "person/km**2", not in a longer name.
_WORDS = {
    r"\b(?:persons?|people|inhabitants?|capita)\b": "1",
    r"\bdecades?\b": "(10 * year)",
}


def _registry() -> Any:
    from xclim.core.units import units

    return units


@cache
def _quantity(expression: str) -> Any:
    text = expression.strip()
    for pattern, replacement in _WORDS.items():
        text = re.sub(pattern, replacement, text)
    quantity = _registry().parse_expression(text or "1")
    if not isinstance(quantity, pint.Quantity):  # a bare number, e.g. "1"
        quantity = _registry().Quantity(float(quantity), "dimensionless")
    return quantity


def parse_units(expression: str) -> Any:
    """Parse a unit expression into a pint quantity of magnitude 1 (or a scale factor).

    Raises:
        ConfigError: The expression is not a unit (names it and pint's reason).
    """
    try:
        return _quantity(str(expression))
    except (pint.errors.PintError, ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(f"unknown units {expression!r}: {exc}") from None


def is_compatible(source: str, target: str) -> bool:
    """True when values in ``source`` units can be converted to ``target`` units."""
    return bool(parse_units(source).is_compatible_with(parse_units(target)))


def convert(
    values: npt.NDArray[np.floating], source: str, target: str, what: str
) -> npt.NDArray[np.floating]:
    """Convert ``values`` from ``source`` to ``target`` units (no copy if they are equal).

    Args:
        values: The numbers, any shape.
        source: Their units, e.g. ``"cm"`` or ``"mg L-1"``.
        target: The units wanted.
        what: The file or variable, named in an error.

    Raises:
        InputError: The units are unknown or incompatible (e.g. a depth in seconds),
            naming ``what``.
    """
    try:
        src, dst = parse_units(source), parse_units(target)
    except ConfigError as err:
        raise InputError(f"{what}: {err}; fix the file's units tag") from None
    if src == dst:
        return values
    if not src.is_compatible_with(dst):
        raise InputError(
            f"{what} is in {source!r}, which cannot be converted to {target!r}; "
            "fix the file's units tag or choose the right input"
        )
    # A scale factor in an expression ("K/decade" is K per 10 years) multiplies the
    # values; offset units (degC) have none and convert through pint directly.
    scale_in, scale_out = float(src.magnitude), float(dst.magnitude)
    quantity = _registry().Quantity(np.asarray(values) * scale_in, src.units)
    converted: npt.NDArray[np.floating] = quantity.to(dst.units, "hydro").magnitude / scale_out
    return converted
