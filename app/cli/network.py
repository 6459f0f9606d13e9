"""``healthcircle network fetch`` (build the road graph) and ``healthcircle isochrones``."""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from analysis import settings
from analysis.datasets import NETWORK_FILE
from analysis.errors import HealthcircleError
from app.cli.common import (
    DataDirOption,
    NetworkOption,
    county_line,
    data_folder,
    fail,
    load_folder,
    resolve_network,
)

if TYPE_CHECKING:
    from analysis.county import County
from app.schemas import MAX_BANDS, MAX_ISOCHRONE_MINUTES

logger = logging.getLogger(__name__)


def _parse_minutes(text: str) -> list[float]:
    try:
        values = sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError:
        fail(f"--minutes must be numbers separated by commas (e.g. 5,10,15), got {text[:40]!r}.", 2)
    shown = text if len(text) <= 40 else text[:37] + "..."
    if not values or not all(math.isfinite(v) for v in values) or values[0] <= 0:
        fail(f"--minutes must be positive numbers (e.g. 5,10,15), got {shown!r}.", 2)
    if values[-1] > MAX_ISOCHRONE_MINUTES or len(values) > MAX_BANDS:
        fail(
            f"--minutes allows at most {MAX_BANDS} bands, each up to {MAX_ISOCHRONE_MINUTES:g} minutes "
            f"(as the web service), got {shown!r}.",
            2,
        )
    return values


def fetch(
    boundary: Annotated[
        Path | None,
        typer.Option(
            "--boundary", help="County outline (GeoJSON); default the county folder's boundary.geojson."
        ),
    ] = None,
    network_type: Annotated[str, typer.Option("--network-type", help="drive, walk, bike or all.")] = "drive",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="GraphML file to write (.gz = gzipped); default the folder's network/."),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option("--cache-dir", help="osmnx HTTP cache folder; default the folder's network/cache."),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Download the OpenStreetMap road graph of the county and save it (needs internet).

    下载县域 OpenStreetMap 路网并保存。
    """
    import geopandas as gpd

    from analysis.network import NETWORK_TYPES, graph_from_osm, save_graphml

    folder = data_folder(data_dir)
    path = boundary if boundary is not None else folder / "boundary.geojson"
    out = out if out is not None else folder / NETWORK_FILE
    cache_dir = cache_dir if cache_dir is not None else folder / "network" / "cache"
    if not path.is_file():
        fail(
            f"boundary file {path} not found; give the county folder its outline "
            "(`healthcircle init DIR --boundary FILE`) or pass --boundary."
        )
    if network_type not in NETWORK_TYPES:
        fail(f"--network-type must be one of {', '.join(NETWORK_TYPES)}, got {network_type!r}.", 2)
    try:
        outline = gpd.read_file(path).to_crs(settings.GEOGRAPHIC_CRS).geometry.union_all()
        typer.echo(
            f"正在下载路网 Downloading the {network_type} road network for {path.name} (takes minutes)…"
        )
        t0 = time.perf_counter()
        G = graph_from_osm(outline, network_type=network_type, cache_dir=cache_dir)  # type: ignore[arg-type]  # noqa: N806
        save_graphml(G, out)
        _prepare(out, data_dir)
    except (HealthcircleError, OSError) as exc:
        fail(str(exc))
    typer.echo(
        f"路网已保存 Saved road graph: {len(G):,} nodes, {G.number_of_edges():,} edges → {out} "
        f"({time.perf_counter() - t0:.0f} s)"
    )


def _prepare(graph_path: Path, data_dir: Path | None) -> Path:
    """Write the prepared network store of *graph_path* in the county's working CRS."""
    from analysis.travel.loading import load_network_travel
    from analysis.travel.store import store_path

    county = load_folder(data_dir)
    load_network_travel(graph_path, crs=county.crs, index_roads=False)
    return store_path(graph_path)


def import_(
    source: Annotated[
        Path, typer.Argument(help="Road extract: .osm.pbf, .osm (.bz2) or GraphML (.graphml[.gz]).")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="GraphML file to write (.gz = gzipped); default the folder's network/."),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Import a road graph from a file (no internet) and prepare it for fast loading.

    从本地文件导入路网（.osm.pbf / .osm / GraphML）并预处理。
    """
    from analysis.network import graph_from_pbf, graph_from_xml, save_graphml
    from analysis.travel.loading import import_graphml
    from analysis.travel.store import store_path

    folder = data_folder(data_dir)
    out = out if out is not None else folder / NETWORK_FILE
    name = source.name.lower()
    t0 = time.perf_counter()
    try:
        if name.endswith((".graphml", ".graphml.gz")):
            # streamed into the store, never held as a networkx graph; the old graph stays on failure
            model = import_graphml(source, out, crs=load_folder(data_dir).crs)
            nodes, edges = len(model.node_ids), model.n_edges
        else:
            G = graph_from_pbf(source) if name.endswith(".pbf") else graph_from_xml(source)  # noqa: N806
            nodes, edges = len(G), G.number_of_edges()
            save_graphml(G, out)
            del G
            _prepare(out, data_dir)
    except (HealthcircleError, OSError) as exc:
        fail(str(exc))
    typer.echo(
        f"路网已导入 Imported road graph: {nodes:,} nodes, {edges:,} edges → {out}; "
        f"prepared store {store_path(out).name} ({time.perf_counter() - t0:.0f} s)"
    )


def prepare(
    network_file: NetworkOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Write (or refresh) the prepared store of the county's road graph, for a start in seconds.

    预处理路网，加快启动。
    """
    network_path = resolve_network(network_file, data_dir)
    if network_path is None or not network_path.is_file():
        fail("no road graph to prepare; run `healthcircle network fetch` or `network import` first.")
    t0 = time.perf_counter()
    try:
        prepared = _prepare(network_path, data_dir)
    except (HealthcircleError, OSError) as exc:
        fail(str(exc))
    typer.echo(f"路网已预处理 Prepared {network_path} → {prepared} ({time.perf_counter() - t0:.1f} s)")


def _load_facilities(path: Path | None, county: County) -> Any:
    from analysis.county import folder_path
    from analysis.datasets import load_boundary, load_facilities

    boundary = load_boundary(folder_path(county, "boundary"))
    chosen = path if path is not None else folder_path(county, "facilities")
    return load_facilities(chosen, boundary=boundary, working_crs=county.crs)


def isochrones(
    kind: Annotated[
        list[str],
        typer.Option(
            "--kind", help="Facility kind(s): hospital, township_centre, ems_station, ... (repeatable)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="GeoJSON file to write (WGS-84).")],
    minutes: Annotated[str, typer.Option("--minutes", help="Bands in minutes, comma-separated.")] = "5,10,15",
    profile: Annotated[str, typer.Option("--profile", help="ambulance, car, ebike or walk.")] = "car",
    network_file: NetworkOption = None,
    facilities: Annotated[
        Path | None, typer.Option("--facilities", help="Facilities file; default the county folder's.")
    ] = None,
    data_dir: DataDirOption = None,
    direction: Annotated[
        str, typer.Option("--direction", help="from_sources, to_sources or auto (EMS sites send out).")
    ] = "auto",
    include_planned: Annotated[
        bool, typer.Option("--include-planned", help="Include planned facilities.")
    ] = False,
    buffer_m: Annotated[
        float | None,
        typer.Option(
            "--buffer-m",
            help="How far from a reached road a place still counts as reached, metres (default 75); "
            "straight-line estimates are circles and ignore it.",
        ),
    ] = None,
) -> None:
    """Write travel-time bands around facilities as GeoJSON.

    按出行时间生成设施服务范围（等时圈）。Without a road graph the bands are straight-line estimates
    and say so.
    """
    from analysis.datasets import EMS_KINDS, to_working_crs
    from analysis.network import check_profile
    from analysis.travel import NetworkTravel, load_travel_model
    from analysis.travel.checks import check_buffer_m

    kinds = [k.strip() for part in kind for k in part.split(",") if k.strip()]
    bands = _parse_minutes(minutes)
    try:
        check_profile(profile)
    except HealthcircleError as exc:
        fail(str(exc), 2)
    if direction not in ("auto", "from_sources", "to_sources"):
        fail(f"--direction must be from_sources, to_sources or auto, got {direction!r}.", 2)
    try:
        width = check_buffer_m(buffer_m, settings.ISOCHRONE_BUFFER_M)
    except HealthcircleError as exc:
        fail(f"--buffer-m: {exc}", 2)
    county = load_folder(data_dir)
    network_path = resolve_network(network_file, data_dir)
    try:
        fac = _load_facilities(facilities, county)
        unknown = sorted(set(kinds) - set(fac["kind"]))
        if unknown:
            fail(
                f"no facilities of kind {', '.join(unknown)}; "
                f"kinds present: {', '.join(sorted(set(fac['kind'])))}."
            )
        fac = fac[fac["kind"].isin(kinds)]
        if not include_planned and "status" in fac:
            fac = fac[fac["status"] != "planned"]
        missing = fac.geometry.isna() | fac.geometry.is_empty
        if missing.any():
            typer.echo(
                f"注意 Note: {int(missing.sum())} facilities have no known location and are left out: "
                + ", ".join(str(i) for i in fac.loc[missing, "id"]),
                err=True,
            )
        located = fac[~missing]
        if located.empty:
            fail("no located facilities of the requested kind(s); nothing to draw.")
        travel = load_travel_model(network_path, crs=county.crs)
        xy = to_working_crs(located, travel.crs).get_coordinates().to_numpy()
        chosen = direction
        if direction == "auto":
            chosen = "from_sources" if set(kinds) <= set(EMS_KINDS) else "to_sources"
        ids = [str(i) for i in located["id"]]
        if isinstance(travel, NetworkTravel):
            gdf = travel.isochrones(
                xy,
                profile=profile,
                minutes=bands,
                direction=chosen,  # type: ignore[arg-type]
                source_ids=ids,
                buffer_m=width,
            )
        else:
            gdf = travel.isochrones(
                xy,
                profile=profile,
                minutes=bands,
                direction=chosen,  # type: ignore[arg-type]
                source_ids=ids,
            )
        names = located.set_index(located["id"].astype(str))[["name_zh", "name_en", "kind"]]
        gdf = gdf.join(names, on="source_id")
        gdf["profile"] = profile
        gdf["direction"] = chosen
        out.parent.mkdir(parents=True, exist_ok=True)
        gdf.to_file(out, driver="GeoJSON")
    except (HealthcircleError, OSError) as exc:
        fail(str(exc))
    typer.echo(
        f"等时圈已保存 Wrote {len(gdf)} isochrones ({len(located)} facilities × {len(bands)} bands, "
        f"{profile}, "
        f"{chosen}; {travel.network_source}) → {out}"
    )
    typer.echo(county_line(county))


def register(cli: typer.Typer) -> None:
    """Add the ``network`` group and the ``isochrones`` command to *cli*."""
    group = typer.Typer(
        help="路网 Road network: download, import and prepare the county's road graph.", no_args_is_help=True
    )
    group.command("fetch")(fetch)
    group.command("import")(import_)
    group.command("prepare")(prepare)
    cli.add_typer(group, name="network")
    cli.command("isochrones")(isochrones)
