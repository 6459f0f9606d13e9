"""Settings of the web service, read from ``HEALTHCIRCLE_*`` environment variables.

The analysis library never reads the environment; this module is the one place that does, and the app passes
the values on explicitly.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: OpenStreetMap's standard tiles. Offline the tiles simply fail to load and the map still shows its layers.
OSM_TILES_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


class Settings(BaseSettings):
    """Where the data are, how to listen, and a few rendering choices.

    Every field can be set with an environment variable of the same name in capitals with the
    ``HEALTHCIRCLE_`` prefix, e.g. ``HEALTHCIRCLE_DATA_DIR=/srv/county``.
    """

    model_config = SettingsConfigDict(env_prefix="HEALTHCIRCLE_", extra="ignore")

    data_dir: Path | None = Field(
        default=None,
        description="County folder (county.toml, boundary, facilities, population, towns, facts; see "
        "`healthcircle init`); unset means the embedded Jinjiang folder data/.",
    )
    network_file: Path | None = Field(
        default=None,
        description="Road graph as GraphML(.gz); unset means the data folder's network/drive.graphml.gz when "
        "present, else straight-line travel estimates.",
    )
    host: str = Field(default="127.0.0.1", description="Address `healthcircle serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port `healthcircle serve` listens on.")
    tiles_url: str = Field(
        default=OSM_TILES_URL,
        description="Base-map tile URL template for the maps; empty for no base map.",
    )
    tiles_attribution: str = Field(
        default="&copy; OpenStreetMap contributors",
        description="Attribution shown with the base-map tiles.",
    )
    database_file: Path | None = Field(
        default=None,
        description="SQLite file of siting jobs, results and scenarios; unset means healthcircle.sqlite "
        "in the data folder.",
    )
    siting_workers: int = Field(default=1, ge=1, le=8, description="Siting jobs run at once.")
    cache_bytes: int = Field(
        default=256_000_000,
        ge=1_000_000,
        description="Memory budget of cached coverage runs, maps and documents, bytes; the least recently "
        "used are dropped beyond it.",
    )
    workers: int = Field(
        default_factory=lambda: max(1, os.cpu_count() or 1),
        ge=1,
        le=64,
        description="Computations (new coverage scenarios, maps, isochrones, siting) run at once; default "
        "the number of CPU cores.",
    )
    queue: int = Field(
        default=4,
        ge=0,
        le=1000,
        description="Computations allowed to wait for a worker; beyond that requests get 503 with "
        "Retry-After at once. Cached answers never wait.",
    )
    worker_processes: bool = Field(
        default=True,
        description="Run the computations in forked worker processes (true) or in threads of the server "
        "process (false). Processes keep the event loop, cached answers and /healthz responsive while "
        "they compute; each holds a copy of the loaded data.",
    )
    travel_cache_dir: Path | None = Field(
        default=None,
        description="Folder where travel answers (minutes from every cell to the nearest facility of each "
        "facility set) are kept and shared by the worker processes, so a request that only changes a "
        "threshold never recomputes travel, whichever worker takes it; unset means a fresh temporary folder "
        "per server, removed when it stops.",
    )
    travel_cache_bytes: int = Field(
        default=1_000_000_000,
        ge=1_000_000,
        description="Bound of the travel answers folder, bytes; the least recently used go first beyond it.",
    )
    retry_after_s: int = Field(default=5, ge=1, le=3600, description="Retry-After of a 503, seconds.")
    max_body_bytes: int = Field(
        default=5_000_000, ge=1_000, description="Largest accepted request body, bytes; larger gets 413."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description='Origins allowed to call the API from a browser (CORS), e.g. ["https://example.org"]; '
        "empty (the default) sends no CORS headers.",
    )


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (cached; tests pass their own ``Settings`` to ``create_app``)."""
    return Settings()
