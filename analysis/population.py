"""Population surface: grid cells with head counts, and how they were made.

The surface is a GeoDataFrame of polygons (EPSG:4326) with ``cell_id``, ``population``,
``town_code`` and ``method``. It is built either from town totals (census tables, spread
uniformly over each town's land) or from a gridded raster (WorldPop / GHSL GeoTIFF). Every
surface says in plain words how it was made, and whether it is modelled.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from analysis import settings
from analysis.errors import CRSError, DataError, ParameterError

logger = logging.getLogger(__name__)

#: Columns of every population surface, in order (plus ``geometry``).
CELL_COLUMNS: tuple[str, ...] = ("cell_id", "population", "town_code", "method")

#: Raster pixels whose share inside the boundary is below this are dropped as slivers
#: (a 100 m pixel × 1e-6 is 0.01 m²); their people are negligible.
_SLIVER_SHARE = 1e-6


@dataclass(frozen=True)
class PopulationSurface:
    """People per grid cell.

    Attributes
    ----------
    cells
        EPSG:4326 polygons with columns ``cell_id``, ``population`` (float), ``town_code``
        and ``method`` (other columns such as ``source`` and ``precision`` may follow).
    source
        Plain words on where the counts come from, e.g. "modelled: 2020 census county total
        spread uniformly over approximate town areas".
    modelled
        True when the counts are spread by a model rather than observed per cell.
    """

    cells: gpd.GeoDataFrame
    source: str
    modelled: bool

    @property
    def total(self) -> float:
        """Sum of the cell populations."""
        return float(self.cells["population"].sum())

    @property
    def populations(self) -> np.ndarray:
        """Cell populations as a float64 array of shape (n,)."""
        return self.cells["population"].to_numpy(dtype=np.float64)

    def points_xy(self, crs: str | None = None) -> np.ndarray:
        """Cell centroids in a projected CRS.

        Parameters
        ----------
        crs
            Target CRS; ``None`` means ``settings.WORKING_CRS``.

        Returns
        -------
        numpy.ndarray
            Array of shape (n, 2) with x and y in metres.
        """
        target = crs or settings.WORKING_CRS
        if len(self.cells) == 0:
            return np.empty((0, 2), dtype=np.float64)
        centroids = self.cells.geometry.to_crs(target).centroid
        return np.column_stack([centroids.x.to_numpy(), centroids.y.to_numpy()]).astype(np.float64)


def _projected(gdf: gpd.GeoDataFrame, crs: str, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        msg = f"The {what} has no coordinate reference system; set it (e.g. gdf.set_crs('EPSG:4326'))."
        raise CRSError(msg)
    return gdf.to_crs(crs)


def _outline(boundary: gpd.GeoDataFrame, crs: str) -> BaseGeometry:
    geoms = _projected(boundary, crs, "boundary").geometry
    geoms = geoms[geoms.notna() & ~geoms.is_empty]
    if len(geoms) == 0:
        msg = "The boundary has no polygon; pass the county outline as a (Multi)Polygon layer."
        raise DataError(msg)
    return shapely.make_valid(shapely.union_all(geoms.to_numpy()))


def _grid(outline: BaseGeometry, cell_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Square cells aligned to multiples of *cell_m* covering the outline's bounds.

    Returns boxes ordered north to south, then west to east, with their row and column.
    """
    minx, miny, maxx, maxy = outline.bounds
    x0 = math.floor(minx / cell_m) * cell_m
    y1 = math.ceil(maxy / cell_m) * cell_m
    ncol = max(1, math.ceil((maxx - x0) / cell_m))
    nrow = max(1, math.ceil((y1 - miny) / cell_m))
    grid_rows, grid_cols = np.meshgrid(np.arange(nrow), np.arange(ncol), indexing="ij")
    rows, cols = grid_rows.ravel(), grid_cols.ravel()
    xs = x0 + cols * cell_m
    ys = y1 - (rows + 1) * cell_m
    boxes = shapely.box(xs, ys, xs + cell_m, ys + cell_m)
    return boxes, rows, cols


def from_town_totals(
    towns: gpd.GeoDataFrame,
    totals: Mapping[str, float],
    *,
    boundary: gpd.GeoDataFrame,
    county_total: float | None = None,
    cell_m: float | None = None,
    crs: str | None = None,
    source: str | None = None,
) -> PopulationSurface:
    """Spread town populations uniformly over the land of each town, on a square grid.

    Each grid square (aligned to multiples of *cell_m* in *crs*) is cut by the boundary and by
    the town polygons, so a square on a town border becomes one cell per town and every town's
    cells add up to its total. Within a town people are spread in proportion to land area.

    Parameters
    ----------
    towns
        Town polygons with a ``town_code`` column; rows with null geometry are towns whose
        area is unknown.
    totals
        Population per ``town_code``. Towns may be missing from it.
    boundary
        County outline; cells are clipped to it.
    county_total
        If given, the remainder ``county_total - sum(totals)`` is spread over the located towns
        that have no total of their own, in proportion to their area. Totals of towns with
        unknown area join that remainder (their land lies inside the neighbours'
        approximate areas).
    cell_m
        Side of a grid square in metres; ``None`` means ``settings.POPULATION_CELL_M``.
    crs
        Projected CRS of the grid; ``None`` means ``settings.WORKING_CRS``.
    source
        Plain-words description stored on the surface; a default is written if omitted.

    Returns
    -------
    PopulationSurface
        Cells in EPSG:4326 with ``cell_id``, ``population``, ``town_code``, ``method``.

    Raises
    ------
    DataError
        A total is negative or not a number, a ``town_code`` is missing or unknown, or the
        people of a town cannot be placed (no area and no other town to absorb them).
    ParameterError
        *cell_m* is not positive.
    """
    cell_size = float(settings.POPULATION_CELL_M if cell_m is None else cell_m)
    work_crs = crs or settings.WORKING_CRS
    if not cell_size > 0:
        msg = f"cell_m must be a positive number of metres, got {cell_m!r}."
        raise ParameterError(msg)
    if "town_code" not in towns.columns:
        msg = "The towns table has no 'town_code' column; add one with each town's code."
        raise DataError(msg)

    clean: dict[str, float] = {}
    for code, value in totals.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            msg = f"Population of town {code!r} is not a number ({value!r}); write a whole number."
            raise DataError(msg) from None
        if not math.isfinite(number) or number < 0:
            msg = f"Population of town {code!r} is {value!r}; populations must be zero or positive."
            raise DataError(msg)
        clean[str(code)] = number

    outline = _outline(boundary, work_crs)
    towns_w = _projected(towns, work_crs, "towns layer")
    codes = [str(c) for c in towns_w["town_code"]]
    unknown = sorted(set(clean) - set(codes))
    if unknown:
        msg = (
            f"Population given for town code(s) {', '.join(unknown)} "
            "that are not in the towns layer; check the codes."
        )
        raise DataError(msg)

    areas: dict[str, BaseGeometry] = {}
    for code, geom in zip(codes, towns_w.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        land = shapely.intersection(shapely.make_valid(geom), outline)
        if land.is_empty or land.area <= 0:
            continue
        areas[code] = land

    # Work out what each located town holds.
    town_population: dict[str, float] = {}
    method: dict[str, str] = {}
    pooled = 0.0
    for code in codes:
        if code in clean:
            if code in areas:
                town_population[code] = clean[code]
                method[code] = "town census total spread uniformly over the town's land"
            else:
                pooled += clean[code]
    if county_total is not None:
        if county_total < sum(clean.values()):
            msg = (
                f"county_total {county_total:,.0f} is smaller than the sum of the town totals "
                f"{sum(clean.values()):,.0f}; check both figures."
            )
            raise DataError(msg)
        pooled += float(county_total) - sum(clean.values())
    if pooled > 0:
        receivers = [c for c in areas if c not in town_population]
        share_text = "share of the county remainder spread over the towns without a census total"
        if not receivers:
            receivers = list(areas)
            share_text = "people of towns with unknown area spread over all located towns"
        if not receivers:
            msg = "No town has a known area, so no people can be placed; give the towns polygons."
            raise DataError(msg)
        receiver_area = sum(areas[c].area for c in receivers)
        for code in receivers:
            town_population[code] = town_population.get(code, 0.0) + pooled * areas[code].area / receiver_area
            method[code] = f"{share_text}, in proportion to (approximate) town area, then uniformly over land"

    boxes, rows, cols = _grid(outline, cell_size)
    tree = shapely.STRtree(boxes)
    records: list[tuple[int, int, str, float, str, shapely.Geometry]] = []
    for code in codes:
        if code not in areas or code not in town_population:
            continue
        land = areas[code]
        idx = tree.query(land, predicate="intersects")
        pieces = shapely.intersection(boxes[idx], land)
        piece_area = shapely.area(pieces)
        keep = piece_area > 0
        total_area = float(piece_area[keep].sum())
        for i, piece, a in zip(idx[keep], pieces[keep], piece_area[keep], strict=True):
            records.append(
                (
                    int(rows[i]),
                    int(cols[i]),
                    code,
                    town_population[code] * float(a) / total_area,
                    method[code],
                    piece,
                )
            )
    records.sort(key=lambda r: (r[0], r[1], r[2]))
    cells = gpd.GeoDataFrame(
        {
            "cell_id": np.arange(len(records), dtype=np.int64),
            "population": np.array([r[3] for r in records], dtype=np.float64),
            "town_code": [r[2] for r in records],
            "method": [r[4] for r in records],
        },
        geometry=[r[5] for r in records],
        crs=work_crs,
    ).to_crs(settings.GEOGRAPHIC_CRS)
    text = source or "modelled: town population totals spread uniformly over town land areas"
    logger.info(
        "population surface with %d cells and %.0f people from %d town totals",
        len(cells),
        cells["population"].sum(),
        len(clean),
    )
    return PopulationSurface(cells=cells, source=text, modelled=True)


def from_census_table(
    csv_path: str | Path,
    towns: gpd.GeoDataFrame,
    *,
    boundary: gpd.GeoDataFrame,
    county_total: float | None = None,
    cell_m: float | None = None,
    crs: str | None = None,
) -> PopulationSurface:
    """Build a surface from a census table with columns ``town_code`` and ``population``.

    Parameters
    ----------
    csv_path
        CSV file, one row per town.
    towns
        Town polygons with ``town_code`` (see :func:`from_town_totals`).
    boundary
        County outline.
    county_total
        Optional county total; see :func:`from_town_totals`.
    cell_m
        Grid cell side in metres (``None`` → setting).
    crs
        Projected CRS of the grid (``None`` → setting).

    Returns
    -------
    PopulationSurface

    Raises
    ------
    DataError
        The file is empty, a column is missing, a code repeats, or a population is not a
        non-negative number (the message names the row).
    """
    from analysis.datasets.tables import read_table

    path = Path(csv_path)
    table = read_table(
        path, what="census table", example_header="town_code,population", require_rows=False
    ).frame
    missing = [c for c in ("town_code", "population") if c not in table.columns]
    if missing:
        msg = f"{path} has no column(s) {', '.join(missing)}; the census table needs 'town_code,population'."
        raise DataError(msg)
    if len(table) == 0:
        msg = f"{path} has a header but no rows; add one row per town."
        raise DataError(msg)
    totals: dict[str, float] = {}
    for i, (code, value) in enumerate(zip(table["town_code"], table["population"], strict=True), start=1):
        where = f"{path.name} row {i} (town {code})"
        code = code.strip()
        if not code:
            msg = f"{where}: town_code is empty; fill it in."
            raise DataError(msg)
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            msg = f"{where}: population {value!r} is not a number; write digits only, e.g. 174248."
            raise DataError(msg) from None
        if not math.isfinite(number) or number < 0:
            msg = f"{where}: population {value!r} is negative or not finite; populations must be >= 0."
            raise DataError(msg)
        if code in totals:
            msg = f"{where}: town_code {code} appears twice; keep one row per town."
            raise DataError(msg)
        totals[code] = number
    source = f"modelled: census table {path.name} spread uniformly over town land areas"
    return from_town_totals(
        towns, totals, boundary=boundary, county_total=county_total, cell_m=cell_m, crs=crs, source=source
    )


def from_raster(
    path: str | Path,
    *,
    boundary: gpd.GeoDataFrame,
    towns: gpd.GeoDataFrame | None = None,
    band: int = 1,
    source: str | None = None,
) -> PopulationSurface:
    """Read a gridded population raster (WorldPop, GHSL GeoTIFF) as cells clipped to a boundary.

    Each pixel becomes one cell cut to the boundary. A pixel on the edge keeps the share of
    its count equal to the share of its area inside the boundary, so the surface total is the
    raster's count inside the boundary. Nodata and negative values count as zero people.

    Parameters
    ----------
    path
        GeoTIFF with people per pixel and a CRS.
    boundary
        County outline.
    towns
        Optional town polygons; a cell takes the ``town_code`` of the town containing its
        centroid.
    band
        Raster band with the counts.
    source
        Plain-words description; defaults to the file name.

    Returns
    -------
    PopulationSurface
        ``modelled`` is False (the counts are the raster's, only clipped).

    Raises
    ------
    ImportError
        rasterio is not installed (``pip install 'healthcircle[raster]'``).
    CRSError
        The raster has no CRS.
    DataError
        No pixel overlaps the boundary.
    """
    try:
        import rasterio
    except ImportError as exc:  # pragma: no cover - depends on the environment
        msg = "Reading population rasters needs rasterio: pip install 'healthcircle[raster]'."
        raise ImportError(msg) from exc

    raster_path = Path(path)
    with rasterio.open(raster_path) as src:
        if src.crs is None:
            msg = (
                f"{raster_path} has no CRS; WorldPop and GHSL files carry one, so re-export it with its CRS."
            )
            raise CRSError(msg)
        raster_crs = src.crs.to_wkt()
        values = src.read(band, masked=True).astype(np.float64).filled(0.0)
        transform = src.transform
        height, width = values.shape
    values = np.where(np.isfinite(values) & (values > 0), values, 0.0)

    outline = _outline(boundary, raster_crs)
    grid_cols, grid_rows = np.meshgrid(np.arange(width), np.arange(height))
    rows, cols = grid_rows.ravel(), grid_cols.ravel()
    a, b, c, d, e, f = transform.a, transform.b, transform.c, transform.d, transform.e, transform.f
    x_left, y_top = a * cols + b * rows + c, d * cols + e * rows + f
    x_right, y_bottom = a * (cols + 1) + b * (rows + 1) + c, d * (cols + 1) + e * (rows + 1) + f
    pixels = shapely.box(
        np.minimum(x_left, x_right),
        np.minimum(y_top, y_bottom),
        np.maximum(x_left, x_right),
        np.maximum(y_top, y_bottom),
    )
    idx = shapely.STRtree(pixels).query(outline, predicate="intersects")
    idx.sort()
    pieces = shapely.intersection(pixels[idx], outline)
    share = shapely.area(pieces) / shapely.area(pixels[idx])
    keep = share > _SLIVER_SHARE
    idx, pieces, share = idx[keep], pieces[keep], share[keep]
    if len(idx) == 0:
        msg = f"No pixel of {raster_path} overlaps the boundary; check that the raster covers the county."
        raise DataError(msg)
    population = values[rows[idx], cols[idx]] * share
    raw_total = float((values[rows[idx], cols[idx]]).sum())
    cells = gpd.GeoDataFrame(
        {
            "cell_id": np.arange(len(idx), dtype=np.int64),
            "population": population.astype(np.float64),
            "town_code": [None] * len(idx),
            "method": "raster pixel count; edge pixels keep the share of their area inside the boundary",
        },
        geometry=pieces,
        crs=raster_crs,
    ).to_crs(settings.GEOGRAPHIC_CRS)
    if towns is not None:
        cells["town_code"] = _town_of_centroids(cells, towns)
    logger.info(
        "population surface with %d cells and %.0f people from raster %s (%.0f in touching pixels)",
        len(cells),
        cells["population"].sum(),
        raster_path.name,
        raw_total,
    )
    return PopulationSurface(cells=cells, source=source or f"raster {raster_path.name}", modelled=False)


def _town_of_centroids(cells: gpd.GeoDataFrame, towns: gpd.GeoDataFrame) -> list[Any]:
    towns_w = _projected(towns, settings.WORKING_CRS, "towns layer")
    towns_w = towns_w[towns_w.geometry.notna() & ~towns_w.geometry.is_empty]
    centroids = cells.geometry.to_crs(settings.WORKING_CRS).centroid
    joined = gpd.sjoin(
        gpd.GeoDataFrame(geometry=centroids, crs=settings.WORKING_CRS),
        towns_w[["town_code", "geometry"]],
        how="left",
        predicate="within",
    )
    joined = joined[~joined.index.duplicated(keep="first")]
    return [None if pd.isna(c) else str(c) for c in joined["town_code"]]


def _cell_number(value: Any, where: str, field: str) -> float:
    if isinstance(value, bool) or value is None:
        msg = f"{where}: {field} is {value!r}; write a number."
        raise DataError(msg)
    try:
        number = float(value)
    except (TypeError, ValueError):
        msg = f"{where}: {field} {value!r} is not a number; write digits only."
        raise DataError(msg) from None
    if not math.isfinite(number):
        msg = f"{where}: {field} is {value!r}; write a finite number."
        raise DataError(msg)
    return number


def load_population(path: str | Path | None = None) -> PopulationSurface:
    """Read a population surface written as GeoJSON (the format of ``data/population.geojson``).

    Parameters
    ----------
    path
        GeoJSON FeatureCollection of Polygon cells with a ``population`` property; ``None``
        means the embedded default.

    Returns
    -------
    PopulationSurface

    Raises
    ------
    DataError
        The file is empty, a cell is not a polygon, or a population is not a number or is
        negative (the message names the feature).
    """
    if path is None:
        from analysis.datasets import get_path

        path = get_path("population")
    from analysis.datasets.geojson import (
        check_geojson_crs,
        feature_list,
        feature_properties,
        parse_geometry,
        read_json,
    )
    from analysis.datasets.values import as_code, as_int_id

    file = Path(path)
    if not file.exists():
        msg = (
            f"Population file {file} does not exist; build it with `healthcircle init {file.parent} "
            "--census TOWNS.csv` (or --raster FILE.tif, or --population-total N --from-buildings)."
        )
        raise DataError(msg)
    doc = read_json(file, "population")
    check_geojson_crs(doc, file)
    features = feature_list(doc, name=str(file), what="population cells")
    geoms = []
    rows: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    for i, feature in enumerate(features, start=1):
        where = f"{file.name} feature {i}"
        props = feature_properties(feature, where=where)
        geometry = feature.get("geometry")
        if geometry is None:
            msg = f"{where}: geometry is None; a population cell must be a Polygon."
            raise DataError(msg)
        geom = parse_geometry(
            geometry, where=where, allowed=("Polygon", "MultiPolygon"), what="population cell"
        )
        number = _cell_number(props.get("population"), where, "population")
        if number < 0:
            msg = f"{where}: population is {number:g}; populations cannot be negative."
            raise DataError(msg)
        props["population"] = number
        try:
            cell_id = as_int_id(props.get("cell_id", i - 1))
        except ValueError as exc:
            shown = "null" if props.get("cell_id") is None else repr(str(props.get("cell_id"))[:40])
            msg = f"{where}: cell_id {shown} {exc}; number the cells 0, 1, 2, ..."
            raise DataError(msg) from None
        if cell_id in seen:
            msg = f"{where}: cell_id {cell_id} is also used by feature {seen[cell_id]}; ids must be unique."
            raise DataError(msg)
        seen[cell_id] = i
        props["cell_id"] = cell_id
        try:
            props["town_code"] = as_code(props.get("town_code"))
        except ValueError as exc:
            msg = f"{where}: town_code {str(props.get('town_code'))[:40]!r} {exc}; write the code or null."
            raise DataError(msg) from None
        props.setdefault("method", "unknown")
        rows.append(props)
        geoms.append(geom)
    cells = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=settings.GEOGRAPHIC_CRS)
    cells["population"] = cells["population"].astype(np.float64)
    cells["cell_id"] = cells["cell_id"].astype(np.int64)
    first = rows[0]
    source = str(doc.get("source") or first.get("source") or f"file {file.name}")
    declared = doc.get("modelled")
    if declared is not None and not isinstance(declared, bool):
        msg = f"{file.name}: 'modelled' is {declared!r}; write true or false."
        raise DataError(msg)
    # the collection's own flag wins; older files say it per feature (precision "modelled")
    modelled = (
        declared if declared is not None else any(str(r.get("precision", "")) == "modelled" for r in rows)
    )
    if modelled and not source.startswith("modelled"):
        source = f"modelled: {doc.get('method') or first.get('method', '')}; {source}".strip()
    logger.info(
        "population surface with %d cells and %.0f people read from %s",
        len(cells),
        cells["population"].sum(),
        file.name,
    )
    return PopulationSurface(cells=cells, source=source, modelled=modelled)


def save_population(surface: PopulationSurface, path: str | Path, *, method: str | None = None) -> Path:
    """Write a surface as GeoJSON that :func:`load_population` reads back unchanged.

    The collection carries ``source``, ``modelled`` and ``method``; each cell carries its own ``method``,
    ``source`` and ``precision`` (``modelled`` or ``count``), so the *modelled* flag survives every
    round trip and any tool that reads only the features still sees it.

    Parameters
    ----------
    surface
        The surface (not modified).
    path
        GeoJSON file to write; parent folders are created.
    method
        Plain-words method of the whole surface; default the first cell's ``method``.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    cells = surface.cells.to_crs(settings.GEOGRAPHIC_CRS)
    first_method = str(cells["method"].iloc[0]) if len(cells) and "method" in cells else ""
    precision = "modelled" if surface.modelled else "count"
    features = []
    for record, geom in zip(
        cells.drop(columns=cells.geometry.name).to_dict(orient="records"), cells.geometry, strict=True
    ):
        props = {k: (None if _missing(v) else _plain(v)) for k, v in record.items()}
        props["source"] = surface.source
        props["precision"] = precision
        features.append({"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)})
    doc = {
        "type": "FeatureCollection",
        "name": "population",
        "source": surface.source,
        "modelled": bool(surface.modelled),
        "method": method or first_method,
        "features": features,
    }
    file.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    logger.info("population surface with %d cells written to %s", len(cells), file)
    return file


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


__all__ = [
    "CELL_COLUMNS",
    "PopulationSurface",
    "from_census_table",
    "from_raster",
    "from_town_totals",
    "load_population",
    "save_population",
]
