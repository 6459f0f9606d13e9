"""``healthcircle serve``: run the web service with uvicorn."""

from __future__ import annotations

import typer


def register(cli: typer.Typer) -> None:
    """Add the ``serve`` command to *cli*."""

    @cli.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(8000, help="TCP port."),
    ) -> None:
        """Serve maps and the coverage API (default data: Jinjiang 晋江市)."""
        import uvicorn

        uvicorn.run("app.main:create_app", factory=True, host=host, port=port)
