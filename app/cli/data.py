"""``healthcircle validate``: check a facility (or population) file before using it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from analysis.county import County, folder_path
from analysis.datasets import ValidationReport, load_boundary, read_text, validate_facilities
from analysis.datasets.geojson import parse_json
from analysis.errors import DataError, ParameterError
from analysis.population import load_population
from app.cli.common import DataDirOption, county_line, load_folder

#: Problems listed before the rest are summarised as a count.
MAX_PROBLEMS_SHOWN = 200


class Datum(StrEnum):
    """Datum of the input coordinates."""

    wgs84 = "wgs84"
    gcj02 = "gcj02"


def _looks_like_population(path: Path) -> bool:
    """A GeoJSON whose first feature has ``population`` and no ``kind`` is a population surface."""
    if path.suffix.lower() not in (".geojson", ".json"):
        return False
    try:
        doc = parse_json(read_text(path, what="data").text, name=str(path))
    except DataError:
        return False
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or not features or not isinstance(features[0], dict):
        return False
    props = features[0].get("properties") or {}
    return "population" in props and "kind" not in props


def _print_summary(report: ValidationReport) -> None:
    assert report.facilities is not None
    gdf = report.facilities
    typer.echo(f"{report.path}: {len(gdf)} facilities 设施, no problems found")
    if report.encoding is not None:
        typer.echo(f"read as 编码 encoding: {report.encoding}")
    for note in report.notes:
        typer.echo(f"注意 Note: {note}")
    typer.echo("by kind 类型:")
    for kind, n in report.counts_by("kind").items():
        typer.echo(f"  {kind:<18} {n:>5}")
    typer.echo("by precision 位置精度:")
    for precision, n in report.counts_by("precision").items():
        typer.echo(f"  {precision:<18} {n:>5}")
    unlocated = report.unlocated
    typer.echo(
        f"without location 无坐标: {len(unlocated)}" + (f" ({', '.join(unlocated)})" if unlocated else "")
    )
    planned = int((gdf["status"] == "planned").sum())
    if planned:
        typer.echo(f"planned 规划中: {planned}")


def _validate_folder(county: County) -> None:
    """Load every input of the folder; print one line per file, or the first problem (exit 1)."""
    from analysis.county import load_county_inputs

    try:
        inputs = load_county_inputs(county)
    except DataError as exc:
        typer.echo(f"1 problem in the county folder {county.folder}:\n  - {exc}", err=True)
        raise typer.Exit(1) from None
    fac = inputs.facilities
    located = int((fac.geometry.notna() & ~fac.geometry.is_empty).sum())
    typer.echo(county_line(county))
    typer.echo(f"  facilities 设施: {len(fac)} ({located} located)")
    typer.echo(
        f"  population 人口: {inputs.population.total:,.0f} people in {len(inputs.population.cells)} cells; "
        f"{inputs.population.source}"
    )
    typer.echo(f"  towns 乡镇: {len(inputs.towns)}" + ("" if len(inputs.towns) else " (no towns.geojson)"))
    typer.echo(f"  facts 统计数据: {len(inputs.facts)}")
    typer.echo("no problems found")


def register(cli: typer.Typer) -> None:
    """Add the ``validate`` command to *cli*."""

    @cli.command()
    def validate(
        path: Annotated[
            Path | None,
            typer.Argument(
                help=(
                    "Facilities (.geojson, .gpkg, .csv with lon/lat) or population GeoJSON; "
                    "default: every file of the county folder."
                )
            ),
        ] = None,
        crs: Annotated[
            Datum, typer.Option("--crs", help="Datum of the coordinates; gcj02 = AMap/Tencent points.")
        ] = Datum.wgs84,
        data_dir: DataDirOption = None,
    ) -> None:
        """Check a data file against the county's outline: counts by kind and precision, or every problem.

        Without PATH, checks every file of the folder (manifest, outline, facilities, population, towns,
        facts).
        """
        county = load_folder(data_dir)
        if path is None:
            _validate_folder(county)
            return
        if not path.exists():
            typer.echo(f"{path} does not exist; check the path.", err=True)
            raise typer.Exit(2)
        if _looks_like_population(path):
            try:
                surface = load_population(path)
            except DataError as exc:
                typer.echo(f"1 problem in {path}:\n  - {exc}", err=True)
                raise typer.Exit(1) from None
            typer.echo(
                f"{path}: population surface 人口 with {len(surface.cells)} "
                f"cells and {surface.total:,.0f} people; "
                f"{surface.source}"
            )
            return
        try:
            boundary = load_boundary(folder_path(county, "boundary"))
            report = validate_facilities(path, crs=crs.value, boundary=boundary, working_crs=county.crs)
        except DataError as exc:
            typer.echo(f"1 problem with the county folder {county.folder}:\n  - {exc}", err=True)
            raise typer.Exit(1) from None
        except ParameterError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        if report.ok:
            _print_summary(report)
            typer.echo(f"checked against the outline of {county_line(county)}")
            return
        problems = report.problems
        typer.echo(f"{len(problems)} problem(s) in {path}:", err=True)
        for problem in problems[:MAX_PROBLEMS_SHOWN]:
            typer.echo(f"  - {problem}", err=True)
        if len(problems) > MAX_PROBLEMS_SHOWN:
            typer.echo(f"  ... and {len(problems) - MAX_PROBLEMS_SHOWN} more", err=True)
        raise typer.Exit(1)
