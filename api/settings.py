"""Service settings, read from ``ARALRISK_*`` environment variables.

Example: ``ARALRISK_BUILD_DIR=/srv/aralrisk/build ARALRISK_CORS_ORIGINS='["https://akimat.kz"]'``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service can be told; defaults are safe for a single machine."""

    model_config = SettingsConfigDict(env_prefix="ARALRISK_", frozen=True)

    build_dir: Path = Field(
        default=Path("build"), description="output root of `aralrisk build` (serves current)"
    )
    root_path: str = Field(default="", description="path prefix when behind a reverse proxy")
    cors_origins: list[str] = Field(
        default_factory=list, description="origins allowed to call the API from a browser"
    )
    api_key: SecretStr | None = Field(
        default=None, description="enables state-changing endpoints (POST /builds) when set"
    )
    max_body_bytes: int = Field(default=1_000_000, gt=0, description="largest request body")
    max_zonal_vertices: int = Field(default=20_000, gt=3)
    max_zonal_area_km2: float = Field(default=500_000.0, gt=0)
    tile_cache_size: int = Field(default=2048, ge=0, description="rendered tiles kept in memory")
    basemap_online: bool = Field(
        default=True, description="offer OpenStreetMap as an optional (online) map layer"
    )
