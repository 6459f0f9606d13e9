"""``healthcircle serve``: run the web service with uvicorn."""

from __future__ import annotations

import os
import sys

import typer

from app.cli.common import DATA_DIR_ENV, DataDirOption, data_folder

#: GIL switch interval of the server process, seconds (Python's default is 0.005).
GIL_SWITCH_INTERVAL_S = 0.0005


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
        from pydantic import ValidationError

        from analysis.errors import HealthcircleError
        from app.cli.common import fail
        from app.config import get_settings
        from app.main import build_state, create_app

        if data_dir is not None:
            # the app reads its settings from the environment: hand the folder on the same way
            os.environ[DATA_DIR_ENV] = str(data_folder(data_dir).resolve())
            get_settings.cache_clear()

        try:
            settings = get_settings()
        except ValidationError as exc:
            first = exc.errors()[0]
            name = "HEALTHCIRCLE_" + "_".join(str(p) for p in first["loc"]).upper()
            fail(f"{name}: {first['msg']}; fix or unset the environment variable.", 2)
        # Load the data before listening: a bad data folder or road graph is one line, not a traceback.
        try:
            state = build_state(settings)
        except (HealthcircleError, OSError) as exc:
            fail(f"cannot start: {exc}", 2)
        app = create_app(settings)
        app.state.healthcircle = state
        # Computations run in worker threads; a short GIL switch interval lets the event loop answer cached
        # documents and /healthz between their steps instead of waiting 5 ms (the default) at each turn.
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        uvicorn.run(
            app,
            host=host if host is not None else settings.host,
            port=port if port is not None else settings.port,
        )
