"""``healthcircle scenario add|list|show|delete|compare``: saved what-if scenarios of a county."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from analysis.errors import HealthcircleError, ParameterError
from app.cli.common import DataDirOption, NetworkOption, data_folder, fail, load_folder, resolve_network

if TYPE_CHECKING:
    from analysis.scenarios import ScenarioStore

app = typer.Typer(help="情景 What-if scenarios: save, list and compare changes to the facilities.")

#: ``--db``: the county database (the same setting as the server's).
DatabaseOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        envvar="HEALTHCIRCLE_DATABASE_FILE",
        help="SQLite file of scenarios and siting jobs. Default: healthcircle.sqlite in the data folder.",
    ),
]


def _store(db: Path | None, data_dir: Path | None) -> ScenarioStore:
    from analysis.scenarios import ScenarioStore
    from analysis.store import DATABASE_FILE

    try:
        return ScenarioStore(db if db is not None else data_folder(data_dir) / DATABASE_FILE)
    except HealthcircleError as exc:
        fail(str(exc))


def _point(text: str, option: str) -> tuple[float, float]:
    try:
        lon, lat = (float(v) for v in text.split(","))
    except ValueError:
        fail(f"{option}: expected lon,lat in WGS-84 degrees, got {text!r}", 2)
    return lon, lat


def _pair(text: str, option: str) -> tuple[str, str]:
    key, sep, value = text.partition("=" if "=" in text else ":")
    if not sep or not key or not value:
        fail(f"{option}: expected ID=VALUE, got {text!r}", 2)
    return key, value


def _changes(
    add: list[str],
    remove: list[str],
    move: list[str],
    ambulances: list[str],
    beds: list[str],
    file: Path | None,
) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    if file is not None:
        try:
            loaded = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            fail(f"cannot read {file}: {exc}", 2)
        changes += loaded if isinstance(loaded, list) else loaded.get("changes", [])
    for text in add:
        parts = text.split(":", 2)
        if len(parts) < 2:
            fail(f"--add: expected KIND:LON,LAT[:NAME], got {text!r}", 2)
        lon, lat = _point(parts[1], "--add")
        change: dict[str, Any] = {"op": "add", "kind": parts[0], "lon": lon, "lat": lat}
        if len(parts) == 3:
            change["name_zh"] = parts[2]
        changes.append(change)
    changes += [{"op": "remove", "facility_id": fid} for fid in remove]
    for text in move:
        fid, where = _pair(text, "--move")
        lon, lat = _point(where, "--move")
        changes.append({"op": "move", "facility_id": fid, "lon": lon, "lat": lat})
    for text in ambulances:
        fid, value = _pair(text, "--ambulances")
        changes.append(
            {"op": "set_ambulances", "facility_id": fid, "ambulances": _whole(value, "--ambulances")}
        )
    for text in beds:
        fid, value = _pair(text, "--beds")
        changes.append({"op": "set_beds", "facility_id": fid, "beds": _whole(value, "--beds")})
    return changes


def _whole(value: str, option: str) -> int:
    try:
        return int(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a whole number", 2)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Name of the scenario.")],
    base: Annotated[str, typer.Option("--base", help="today (open facilities) or planned.")] = "today",
    add_site: Annotated[
        list[str] | None, typer.Option("--add", help="KIND:LON,LAT[:NAME], e.g. ems_station:118.58,24.62")
    ] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="Facility id to close.")] = None,
    move: Annotated[list[str] | None, typer.Option("--move", help="ID=LON,LAT: place a facility.")] = None,
    ambulances: Annotated[list[str] | None, typer.Option("--ambulances", help="ID=N ambulances.")] = None,
    beds: Annotated[list[str] | None, typer.Option("--beds", help="ID=N beds.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="JSON list of changes (as the API).")] = None,
    data_dir: DataDirOption = None,
    db: DatabaseOption = None,
) -> None:
    """Save a scenario and print its id. 保存情景。"""
    from analysis.county import load_county_inputs
    from analysis.scenarios import apply_changes, parse_scenario

    changes = _changes(add_site or [], remove or [], move or [], ambulances or [], beds or [], file)
    try:
        spec = parse_scenario(name, base, changes)
        apply_changes(load_county_inputs(load_folder(data_dir)), spec)  # every facility id must exist
        stored = _store(db, data_dir).add(spec)
    except ParameterError as exc:
        fail(str(exc), 2)
    except HealthcircleError as exc:
        fail(str(exc))
    typer.echo(stored.id)
    typer.echo(f"已保存 Saved: {stored.spec.name} ({len(spec.changes)} changes, base {spec.base})", err=True)


@app.command("list")
def list_scenarios(data_dir: DataDirOption = None, db: DatabaseOption = None) -> None:
    """List saved scenarios (id, base, changes, name). 列出情景。"""
    for row in _store(db, data_dir).list():
        typer.echo(f"{row['id']}\t{row['base']}\t{row['changes']}\t{row['name']}")


@app.command("show")
def show(scenario_id: str, data_dir: DataDirOption = None, db: DatabaseOption = None) -> None:
    """Print a scenario as JSON. 显示情景。"""
    stored = _store(db, data_dir).get(scenario_id)
    if stored is None:
        fail(f"no scenario {scenario_id!r}; see `healthcircle scenario list`")
    typer.echo(json.dumps(stored.to_dict(), ensure_ascii=False, indent=2))


@app.command("delete")
def delete(scenario_id: str, data_dir: DataDirOption = None, db: DatabaseOption = None) -> None:
    """Delete a scenario. 删除情景。"""
    if not _store(db, data_dir).delete(scenario_id):
        fail(f"no scenario {scenario_id!r}; see `healthcircle scenario list`")


@app.command("compare")
def compare(
    a: Annotated[str, typer.Argument(help="Scenario id, or today / planned.")],
    b: Annotated[str, typer.Argument(help="Scenario id, or today / planned.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole comparison as JSON.")] = False,
    data_dir: DataDirOption = None,
    network: NetworkOption = None,
    db: DatabaseOption = None,
) -> None:
    """Compare two scenarios per standard and per town (= GET /api/compare). 情景对比。"""
    from analysis.county import load_county_inputs, stamp_county
    from analysis.scenarios import BUILT_IN, compare_documents, run_scenario
    from analysis.travel import load_travel_model
    from app.schemas import jsonable

    network_path = resolve_network(network, data_dir)
    county = load_folder(data_dir)
    store = _store(db, data_dir)
    docs = []
    labels = []
    try:
        inputs = load_county_inputs(county)
        travel = load_travel_model(network_path, crs=county.crs)
        for ref in (a, b):
            if ref in BUILT_IN:
                spec: Any = ref
                labels.append({"id": ref, "name": ref, "base": ref})
            else:
                stored = store.get(ref)
                if stored is None:
                    fail(f"no scenario {ref!r}; see `healthcircle scenario list`")
                spec = stored.spec
                labels.append({"id": stored.id, "name": stored.spec.name, "base": stored.spec.base})
            run, _ = run_scenario(inputs, travel, spec)
            docs.append(stamp_county(run.document, county))
    except ParameterError as exc:
        fail(str(exc), 2)
    except (HealthcircleError, OSError) as exc:
        fail(str(exc))
    result = jsonable(compare_documents(docs[0], docs[1], a_label=labels[0], b_label=labels[1]))
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2, allow_nan=False))
        return
    typer.echo(f"{labels[0]['name']} → {labels[1]['name']}")
    for row in result["standards"]:
        change = "—" if row["change"] is None else f"{row['change']:+.4g}"
        flip = f"  [{row['flip']}]" if row["flip"] else ""
        typer.echo(f"{row['id']:<30} {_fmt(row['a']):>10} {_fmt(row['b']):>10} {change:>10}{flip}")
    typer.echo(
        f"达标翻转 Flips: {result['flips']['standards']} standards, {result['flips']['towns']} town results"
    )


def _fmt(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.4g}"


def register(cli: typer.Typer) -> None:
    """Add ``scenario`` and its sub-commands to *cli*."""
    cli.add_typer(app, name="scenario")
