"""Parameters and documents of the tile routes: path ids, query dataclasses, TileJSON.

Validated before any GDAL call: a zoom beyond :data:`MAX_ZOOM`, an odd tile size or an
unknown ``values`` is a 422 at once. ``target=risk`` on the composite is a 422 that
says where risk is (a district index: ``/districts`` and the ``exposed`` layer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Path, Query
from pydantic import BaseModel, Field

from aralrisk.api.deps import on_loop
from aralrisk.api.i18n import N_
from aralrisk.api.problems import ApiError
from aralrisk.api.tiles.sources import Values

#: Deepest zoom a URL may name (about 2 m per pixel); deeper is a 422 at once.
MAX_ZOOM = 24
#: Why there are no risk tiles, and where to look instead (one sentence).
RISK_HAS_NO_TILES = N_(
    "risk is a district index (it rests on the people exposed across a whole district), "
    "so it has no tiles: get district risk from /districts, and see where the people "
    "exposed live on the `exposed` layer (/layers/exposed/tiles)"
)


class TileJSON(BaseModel):
    """A TileJSON 3.0.0 document (https://github.com/mapbox/tilejson-spec)."""

    tilejson: Literal["3.0.0"] = "3.0.0"
    name: str = Field(examples=["River flood depth, 10-year return period (m)"])
    description: str
    attribution: str
    scheme: Literal["xyz"] = "xyz"
    tiles: list[str] = Field(
        examples=[["http://127.0.0.1:8000/layers/flood_rp10/tiles/{z}/{x}/{y}.png"]]
    )
    minzoom: int = Field(examples=[5])
    maxzoom: int = Field(examples=[11])
    bounds: list[float] = Field(description="west, south, east, north in degrees")
    # A list, not a tuple: OpenAPI 3.1 has no tuple schema that every tool reads. The
    # union keeps the zoom an int (pydantic's smart union keeps an exact type match).
    center: list[float | int] = Field(
        min_length=3,
        max_length=3,
        description="longitude, latitude (degrees) and zoom (an integer, as TileJSON 3.0.0 "
        "requires)",
        examples=[[64.5, 45.0, 7]],
    )


LayerId = Annotated[
    str,
    Path(
        pattern=r"^[a-z][a-z0-9_]{0,63}$",
        description="A spatial layer id from `GET /layers`, or a derived surface: "
        "`composite`, `exposed`, `vulnerability`, `lack_of_coping`",
        examples=["flood_rp10"],
    ),
]
TileZ = Annotated[int, Path(ge=0, le=MAX_ZOOM, description="Zoom level")]
TileX = Annotated[int, Path(ge=0, description="Column, 0 at 180° W")]
TileY = Annotated[int, Path(ge=0, description="Row, 0 at the north edge of Web Mercator")]


@dataclass(frozen=True)
class TileParams:
    """Query parameters of every tile route."""

    tilesize: Annotated[
        int,
        Query(
            ge=256,
            le=512,
            multiple_of=256,
            description="Tile width and height in pixels: 256, or 512 for high-DPI screens",
        ),
    ] = 256


@dataclass(frozen=True)
class LayerTileParams(TileParams):
    """Query parameters of layer tiles."""

    values: Annotated[
        Values,
        Query(
            description="`raw`: the layer's values in its level colours; `score`: its "
            "0-10 score in the INFORM classes. Derived surfaces have one colouring each."
        ),
    ] = "raw"


@dataclass(frozen=True)
class CompositeParams(TileParams):
    """Query parameters of composite tiles (besides the weights)."""

    target: Annotated[
        Literal["hazard", "risk"],
        Query(
            description="`hazard`: the multi-hazard composite. `risk` is refused (422): "
            "risk is a district index, see `/districts` and the `exposed` layer"
        ),
    ] = "hazard"

    def check(self) -> None:
        """Refuse ``target=risk`` with the sentence saying where risk is.

        Raises:
            ApiError: 422 for ``target=risk``.
        """
        if self.target == "risk":
            raise ApiError(422, RISK_HAS_NO_TILES)


#: The parameter classes as route dependencies, built on the event loop (api/deps.py).
TileQuery = Annotated[TileParams, Depends(on_loop(TileParams))]
LayerTileQuery = Annotated[LayerTileParams, Depends(on_loop(LayerTileParams))]
CompositeQuery = Annotated[CompositeParams, Depends(on_loop(CompositeParams))]
