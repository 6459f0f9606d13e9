"""``healthcircle serve``: run the web service with uvicorn."""

from __future__ import annotations

import os

import typer

from app.cli.common import DATA_DIR_ENV, DataDirOption, data_folder


def register(cli: typer.Typer) -> None:
    """Add the ``serve`` command to *cli*."""

    @cli.command()
    def serve(
        host: str | None = typer.Option(
            None, help="Address to listen on [default: HEALTHCIRCLE_HOST or 127.0.0.1]."
        ),
        port: int | None = typer.Option(None, help="TCP port [default: HEALTHCIRCLE_PORT or 8000]."),
        data_dir: DataDirOption = None,
    ) -> None:
        """Serve maps and the coverage API of a county folder (default: the embedded Jinjiang 晋江市)."""
        import uvicorn

        from app.config import get_settings

        if data_dir is not None:
            # the app reads its settings from the environment: hand the folder on the same way
            os.environ[DATA_DIR_ENV] = str(data_folder(data_dir).resolve())
            get_settings.cache_clear()

        settings = get_settings()
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host if host is not None else settings.host,
            port=port if port is not None else settings.port,
        )
