"""``healthcircle site``: where the next 120 stations, health facilities or public AEDs should go."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from analysis import settings
from analysis.errors import HealthcircleError, ParameterError
from analysis.siting import SiteKind, SiteModel
from app.cli.common import (
    DataDirOption,
    NetworkOption,
    county_line,
    fail,
    load_folder,
    load_folder_inputs,
    resolve_network,
)


class SiteFormat(StrEnum):
    """Output formats."""

    json = "json"
    geojson = "geojson"
    csv = "csv"


def _render(document: dict[str, Any], fmt: SiteFormat) -> str:
    from analysis.siting import sites_frame, sites_geojson

    if fmt is SiteFormat.json:
        return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)
    if fmt is SiteFormat.geojson:
        return json.dumps(sites_geojson(document), ensure_ascii=False, indent=2, allow_nan=False)
    text: str = sites_frame(document).to_csv(index=False)
    return text


def _ambulances(pairs: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if not key or not value.isdigit():
            fail(f"--ambulances: expected ID=N (a whole number), got {pair!r}", 2)
        out[key] = int(value)
    return out


def site(
    kind: Annotated[
        SiteKind,
        typer.Option(
            "--kind",
            "-k",
            help=(
                "ems: 120 stations (14-min response incl. 3-min dispatch, ambulance). facility: health "
                "facilities (15-min circle). aed: public AEDs (200 m walk; demand every 100 m, candidates "
                "the folder's public places or else the demand lattice)."
            ),
        ),
    ],
    count: Annotated[
        int | None,
        typer.Option(
            "--count",
            "-n",
            min=1,
            help="Number of new sites. Default for aed: the gap to 1 per 10,000 people; required otherwise.",
        ),
    ] = None,
    candidates: Annotated[
        Path | None,
        typer.Option(
            "--candidates",
            help="Candidate sites (GeoJSON, GeoPackage, or CSV with lon/lat in WGS-84). Default: a grid.",
        ),
    ] = None,
    format: Annotated[
        SiteFormat, typer.Option("--format", "-f", help="json (full document), geojson (points) or csv.")
    ] = SiteFormat.json,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write; default stdout.")] = None,
    model: Annotated[
        SiteModel,
        typer.Option(
            "--model",
            help="mclp: most people covered; pmedian: least mean travel time; lscp: fewest sites (--share).",
        ),
    ] = SiteModel.mclp,
    share: Annotated[
        float, typer.Option("--share", min=0.0, max=1.0, help="Target coverage share for --model lscp.")
    ] = 1.0,
    profile: Annotated[
        str | None,
        typer.Option("--profile", help="Travel profile (default: ambulance, ebike, walk by kind)."),
    ] = None,
    include_planned: Annotated[
        bool, typer.Option("--include-planned", help="Count planned facilities as existing sites.")
    ] = False,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            min=0.1,
            help="Time budget of the run (model build and solve), seconds (default 60).",
        ),
    ] = None,
    busy_fraction: Annotated[
        float | None,
        typer.Option(
            "--busy-fraction",
            min=0.0,
            max=1.0,
            help="mexclp: share of time an ambulance is busy (default 0.3).",
        ),
    ] = None,
    ambulances: Annotated[
        list[str] | None,
        typer.Option("--ambulances", help="mexclp: ID=N ambulances at an open 120 site (repeat the option)."),
    ] = None,
    assume_unknown_ambulances: Annotated[
        int | None,
        typer.Option(
            "--assume-unknown-ambulances", min=0, help="mexclp: count stations of unknown fleet as N each."
        ),
    ] = None,
    data_dir: DataDirOption = None,
    network: NetworkOption = None,
) -> None:
    """Recommend new sites, ranked by the population each adds (existing sites stay).

    选址建议：新增急救站、医疗机构或AED的位置，按新增覆盖人口排序。
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from analysis.county import stamp_county
    from analysis.siting import load_candidates
    from analysis.siting.budget import Budget
    from analysis.siting.request import run_request
    from analysis.travel import load_travel_model

    network_path = resolve_network(network, data_dir)
    county = load_folder(data_dir)
    console = Console(stderr=True)
    seconds = settings.SOLVER_TIME_LIMIT_S if time_limit is None else time_limit
    request = {
        "kind": kind.value,
        "count": count,
        "model": model.value,
        "share": share,
        "profile": profile,
        "include_planned": include_planned,
        "ambulances": _ambulances(ambulances) if ambulances else None,
        "busy_fraction": busy_fraction,
        "assume_unknown_ambulances": assume_unknown_ambulances,
    }
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("读取数据 Loading data", total=seconds, detail="")
            inputs = load_folder_inputs(county)
            travel = load_travel_model(network_path, crs=county.crs)
            gdf_candidates = load_candidates(candidates) if candidates is not None else None

            def on_progress(progress: dict[str, Any]) -> None:
                gap = progress.get("gap_percent")
                detail = f"gap {gap:.2f} %" if gap is not None else ""
                bar.update(
                    task,
                    description=f"选址 Siting: {progress['message']}",
                    completed=min(float(progress["elapsed_seconds"]), seconds),
                    detail=detail,
                )

            budget = Budget(seconds, on_progress=on_progress)
            document = run_request(
                inputs, travel, request, budget=budget, candidates=gdf_candidates, setting=county.setting
            )
            document.pop("cell_rank", None)
    except ParameterError as exc:
        fail(str(exc), 2)
    except (HealthcircleError, OSError) as exc:
        fail(str(exc))
    document = stamp_county(document, county)
    text = _render(document, format)
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8-sig" if format is SiteFormat.csv else "utf-8")
        typer.echo(f"已写入 Written: {out}", err=True)
    typer.echo(county_line(county), err=True)
    if document.get("optimal") is False:
        typer.echo(f"注意 Note: {document['solution_label']}; raise --time-limit to continue", err=True)


def register(cli: typer.Typer) -> None:
    """Add this module's commands to *cli*."""
    cli.command("site")(site)
