"""Pieces every command shares: failing with a bilingual message, and finding the road graph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from analysis.datasets import network_path

#: ``--data-dir``, shared by every command that reads a county's data.
DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Folder laid out like data/ (facilities, towns, population, facts)."),
]
#: ``--network``, shared by every command that computes travel times.
NetworkOption = Annotated[
    Path | None,
    typer.Option(
        "--network",
        help=(
            "Road graph (GraphML, .gz allowed). Default: the data folder's network/drive.graphml.gz when "
            "present, else travel is a straight-line estimate (the output says so)."
        ),
    ),
]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print *message* on stderr and leave with exit *code* (1: data or run failed, 2: bad option)."""
    typer.echo(f"错误 Error: {message}", err=True)
    raise typer.Exit(code)


def resolve_network(network: Path | None, data_dir: Path | None = None) -> Path | None:
    """The road graph a command should use, or ``None`` for the straight-line estimate.

    An explicit ``--network`` must exist, and so must an explicit ``--data-dir``; otherwise the data
    folder's own graph is used when present.
    """
    if data_dir is not None and not data_dir.is_dir():
        fail(f"data folder {data_dir} not found; pass a folder laid out like data/.")
    if network is not None:
        if not network.is_file():
            fail(
                f"road graph {network} not found; build it with `healthcircle network fetch` "
                "or leave out --network."
            )
        return network
    return network_path(data_dir)
