"""``healthcircle report``: every standard of the plan, county-wide and town by town."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from analysis.errors import HealthcircleError, ParameterError
from app.cli.common import (
    DataDirOption,
    NetworkOption,
    county_line,
    fail,
    load_folder,
    load_folder_inputs,
    resolve_network,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ReportFormat(StrEnum):
    """Output formats of the report."""

    json = "json"
    csv = "csv"
    html = "html"


@contextmanager
def _progress() -> Iterator[Callable[[str, Callable[[], T]], T]]:
    """A spinner on stderr (stdout stays clean for JSON/CSV/HTML) around each long step."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:

        def step(description: str, work: Callable[[], T]) -> T:
            task = progress.add_task(description, total=1)
            result = work()
            progress.update(task, completed=1)
            progress.remove_task(task)
            return result

        yield step


def _write_text(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"已写入 Written: {out}", err=True)


def _write_csv(document: dict[str, Any], out: Path | None) -> None:
    from analysis.report import standards_frame, towns_frame

    standards = standards_frame(document)
    if out is None:
        typer.echo(standards.to_csv(index=False), nl=False)
        return
    if out.is_dir() or out.suffix == "":
        out.mkdir(parents=True, exist_ok=True)
        standards_path, towns_path = out / "standards.csv", out / "towns.csv"
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        standards_path, towns_path = out, out.with_name(f"{out.stem}_towns{out.suffix}")
    # utf-8-sig so that spreadsheet programs show the Chinese names
    standards.to_csv(standards_path, index=False, encoding="utf-8-sig")
    towns_frame(document).to_csv(towns_path, index=False, encoding="utf-8-sig")
    typer.echo(f"已写入 Written: {standards_path}, {towns_path}", err=True)


def report(
    format: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            "-f",
            help=(
                "json: one document (as GET /api/coverage). csv: one row per standard; with --out DIR "
                "writes DIR/standards.csv and DIR/towns.csv, with --out FILE.csv writes FILE.csv and "
                "FILE_towns.csv, without --out prints the standards CSV. html: one self-contained page "
                "to email (chart embedded)."
            ),
        ),
    ] = ReportFormat.json,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File (or folder for csv) to write; default stdout.")
    ] = None,
    include_planned: Annotated[
        bool,
        typer.Option(
            "--include-planned",
            help=(
                "Count planned facilities (e.g. 和敏院区, opening 2026) as open; "
                "the report compares with the current network."
            ),
        ),
    ] = False,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="Headline mode of the 15-minute circle: walk, ebike, car or ambulance (default ebike).",
        ),
    ] = None,
    minutes: Annotated[
        float | None, typer.Option("--minutes", help="Threshold of the service circle, minutes (default 15).")
    ] = None,
    dispatch_minutes: Annotated[
        float | None,
        typer.Option(
            "--dispatch-minutes",
            help="Call-to-departure delay added to ambulance drive time (default 3; 0 = drive only).",
        ),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="Time of day: offpeak (free flow, default) or peak (minutes times a factor per mode).",
        ),
    ] = None,
    data_dir: DataDirOption = None,
    network: NetworkOption = None,
) -> None:
    """Check coverage against every standard of the plan; print or write the report.

    对照规划指标评估覆盖情况（15分钟医疗服务圈、14分钟急救圈、每3万人1辆救护车、AED…）。
    """
    from analysis.county import stamp_county
    from analysis.coverage import CoverageOptions, resolve_options, run_coverage
    from analysis.travel import load_travel_model

    options = CoverageOptions(
        profile=profile,
        minutes=minutes,
        dispatch_minutes=dispatch_minutes,
        include_planned=include_planned,
        period=period,
    )
    try:
        resolve_options(options)
    except ParameterError as exc:
        fail(str(exc), 2)
    network_path = resolve_network(network, data_dir)
    county = load_folder(data_dir)
    options = county.coverage_options(options)
    try:
        with _progress() as step:
            inputs = step("读取数据 Loading data…", lambda: load_folder_inputs(county))
            travel = step(
                "载入出行模型 Loading travel model…", lambda: load_travel_model(network_path, crs=county.crs)
            )
            run = step("计算覆盖 Computing coverage…", lambda: run_coverage(inputs, travel, options=options))
            document = stamp_county(run.document, county)
            if format is ReportFormat.html:
                from analysis.report import render_html

                facilities = inputs.facilities
                if not options.include_planned and "status" in facilities:
                    facilities = facilities[facilities["status"] != "planned"]
                page = step(
                    "生成报告 Rendering HTML…",
                    lambda: render_html(document, cells=run.cells, facilities=facilities),
                )
    except ParameterError as exc:
        fail(str(exc), 2)
    except (HealthcircleError, OSError) as exc:
        fail(str(exc))
    if format is ReportFormat.json:
        _write_text(json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False), out)
    elif format is ReportFormat.csv:
        _write_csv(document, out)
    else:
        _write_text(page, out)
    typer.echo(county_line(county), err=True)


def register(cli: typer.Typer) -> None:
    """Add this module's commands to *cli*."""
    cli.command("report")(report)
