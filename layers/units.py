"""Units of the catalog, checked with pint.

The catalog declares every layer's units as a pint expression (``"m"``, ``"g/L"``,
``"d/yr"``, ``"K/decade"``, ``"person/km**2"``); they are parsed when the catalog is
loaded, so a typo fails at start-up rather than producing silently wrong values. Input
rasters that carry a ``units`` tag are converted to the layer's units, or rejected when
the two are incompatible.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt
import pint

from geo.errors import ConfigError, InputError


@cache
def registry() -> pint.UnitRegistry[float]:
    """The unit registry of the project (pint defaults plus people and calendar decades)."""
    # pint's own "decade" is the logarithmic one (a factor of ten); a warming trend is per
    # ten years, so redefine it, quietly, in our private registry.
    ureg: pint.UnitRegistry[float] = pint.UnitRegistry(on_redefinition="ignore")
    ureg.define("decade = 10 * year")
    ureg.define("person = [population] = people = inhabitant")
    return ureg


def parse_units(expression: str) -> pint.Unit:
    """Parse a unit expression, raising :class:`ConfigError` with the expression if invalid."""
    try:
        return registry().Unit(expression)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError) as exc:
        raise ConfigError(f"unknown units {expression!r}: {exc}") from None


def convert(
    values: npt.NDArray[np.floating], source: str, target: str, what: str
) -> npt.NDArray[np.floating]:
    """Convert ``values`` from ``source`` to ``target`` units (no copy if they are equal).

    Raises:
        InputError: If the units are incompatible (e.g. a depth in seconds), naming ``what``.
    """
    src, dst = parse_units(source), parse_units(target)
    if src == dst:
        return values
    if not src.is_compatible_with(dst):
        raise InputError(
            f"{what} is in {source!r}, which cannot be converted to {target!r}; "
            "fix the file's units tag or choose the right input"
        )
    # Quantity.to handles offset units (degC -> K) as well as plain factors.
    converted: npt.NDArray[np.floating] = registry().Quantity(values, src).to(dst).magnitude
    return converted
