"""Pieces every command shares: the county folder, bilingual failure messages, finding the road graph."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from analysis.datasets import network_path

if TYPE_CHECKING:
    from analysis.county import County
    from analysis.datasets import Inputs

#: Environment variable naming the county folder (the same as the server's setting).
DATA_DIR_ENV = "HEALTHCIRCLE_DATA_DIR"

#: ``--data-dir``, shared by every command that reads a county's data.
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar=DATA_DIR_ENV,
        help=(
            "County folder (county.toml, boundary, facilities, population, towns, facts; see "
            "`healthcircle init`). Default: the embedded Jinjiang folder data/."
        ),
    ),
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


def data_folder(data_dir: Path | None) -> Path:
    """The county folder a command works on: *data_dir*, else the embedded Jinjiang folder."""
    from analysis.datasets import DATA_DIR

    if data_dir is None:
        return DATA_DIR
    if not data_dir.is_dir():
        fail(f"data folder {data_dir} not found; create it with `healthcircle init {data_dir}`.")
    return data_dir


def load_folder(data_dir: Path | None) -> County:
    """Read the manifest of the county folder (failing with its message)."""
    from analysis.county import load_county
    from analysis.errors import HealthcircleError

    try:
        return load_county(data_folder(data_dir))
    except (HealthcircleError, OSError) as exc:
        fail(str(exc))


def load_folder_inputs(county: County) -> Inputs:
    """Every input of the county folder (failing with the message naming the file)."""
    from analysis.county import load_county_inputs
    from analysis.errors import HealthcircleError

    try:
        return load_county_inputs(county)
    except (HealthcircleError, OSError) as exc:
        fail(str(exc))


def county_line(county: County) -> str:
    """One line naming the county and its working CRS, printed with every result."""
    return f"县域 County: {county.label}; 坐标系 working CRS {county.crs} ({county.crs_source})"
