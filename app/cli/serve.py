"""``healthcircle serve``: run the web service with uvicorn."""

from __future__ import annotations

import typer


def register(cli: typer.Typer) -> None:
    """Add the ``serve`` command to *cli*."""

    @cli.command()
    def serve(
        host: str | None = typer.Option(
            None, help="Address to listen on [default: HEALTHCIRCLE_HOST or 127.0.0.1]."
        ),
        port: int | None = typer.Option(None, help="TCP port [default: HEALTHCIRCLE_PORT or 8000]."),
    ) -> None:
        """Serve maps and the coverage API (default data: Jinjiang 晋江市)."""
        import uvicorn

        from app.config import get_settings

        settings = get_settings()
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host if host is not None else settings.host,
            port=port if port is not None else settings.port,
        )
