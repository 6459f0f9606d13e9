"""Candidate sites: a grid inside the county, a user file, and the checks that keep them inside."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis import settings
from analysis.errors import DataError, ParameterError

if TYPE_CHECKING:
    import geopandas as gpd


def county_outline(boundary: gpd.GeoDataFrame, crs: str) -> Any:
    import shapely

    geoms = boundary.to_crs(crs).geometry
    geoms = geoms[geoms.notna() & ~geoms.is_empty]
    if geoms.empty:
        msg = "the county boundary has no geometry; check data/boundary.geojson"
        raise DataError(msg)
    outline = shapely.make_valid(shapely.union_all(geoms.to_numpy()))
    shapely.prepare(outline)
    return outline


def grid_candidates(
    boundary: gpd.GeoDataFrame, *, spacing_m: float | None = None, crs: str | None = None
) -> np.ndarray:
    """Points on a square grid inside the county outline.

    Parameters
    ----------
    boundary
        County outline (any CRS).
    spacing_m
        Grid spacing; ``settings.CANDIDATE_SPACING_M`` when None.
    crs
        Projected CRS of the returned coordinates; ``settings.WORKING_CRS`` when None.

    Returns
    -------
    numpy.ndarray
        (n, 2) x, y of the grid points inside the outline, cell-centred on multiples of the spacing.

    Raises
    ------
    ParameterError
        If the spacing is not positive.
    """
    import shapely

    spacing = settings.CANDIDATE_SPACING_M if spacing_m is None else float(spacing_m)
    if not (math.isfinite(spacing) and spacing > 0):
        msg = f"candidate spacing must be a positive number of metres, got {spacing_m}"
        raise ParameterError(msg)
    outline = county_outline(boundary, crs or settings.WORKING_CRS)
    minx, miny, maxx, maxy = outline.bounds
    xs = np.arange(math.floor(minx / spacing) * spacing + spacing / 2, maxx, spacing)
    ys = np.arange(math.floor(miny / spacing) * spacing + spacing / 2, maxy, spacing)
    mesh_x, mesh_y = np.meshgrid(xs, ys)
    gx, gy = mesh_x.ravel(), mesh_y.ravel()
    inside = np.asarray(shapely.contains_xy(outline, gx, gy), dtype=bool)
    return np.column_stack([gx[inside], gy[inside]])


def load_candidates(path: str | Path) -> gpd.GeoDataFrame:
    """Read candidate sites from GeoJSON, GeoPackage or CSV (``lon``/``lat`` columns, WGS-84).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:4326 with the file's other columns.

    Raises
    ------
    DataError
        If the file is missing, unreadable, has no coordinates or holds non-point geometries.
    """
    import geopandas as gpd

    from analysis.datasets import LONLAT_COLUMNS
    from analysis.datasets.geojson import (
        check_geojson_crs,
        feature_list,
        feature_properties,
        parse_geometry,
        read_json,
    )
    from analysis.datasets.tables import read_table

    file = Path(path)
    if not file.exists():
        msg = f"candidate file {file} does not exist; check the path"
        raise DataError(msg)
    suffix = file.suffix.lower()
    if suffix == ".csv":
        table = read_table(file, what="candidate sites", example_header="lon,lat").frame
        cols = set(table.columns)
        pair = next(((a, b) for a, b in LONLAT_COLUMNS if a in cols and b in cols), None)
        if pair is None:
            msg = f"{file.name}: no lon/lat columns; name them 'lon' and 'lat' (or 经度/纬度, WGS-84 degrees)"
            raise DataError(msg)
        lon = pd.to_numeric(table[pair[0]].str.strip(), errors="coerce")
        lat = pd.to_numeric(table[pair[1]].str.strip(), errors="coerce")
        finite = np.isfinite(lon.to_numpy(dtype=float)) & np.isfinite(lat.to_numpy(dtype=float))
        bad = np.flatnonzero(~finite)
        if bad.size:
            row = int(bad[0]) + 1
            msg = f"{file.name}: row {row} (line {row + 1}) has no numeric lon/lat; fix or remove it"
            raise DataError(msg)
        table[pair[0]], table[pair[1]] = lon, lat
        return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(lon, lat), crs=settings.GEOGRAPHIC_CRS)
    if suffix in (".geojson", ".json"):
        doc = read_json(file, "candidate sites")
        check_geojson_crs(doc, file)
        rows: list[dict[str, Any]] = []
        points = []
        for i, feature in enumerate(feature_list(doc, name=file.name, what="candidate sites"), start=1):
            where = f"{file.name} feature {i}"
            rows.append(feature_properties(feature, where=where))
            geometry = feature.get("geometry")
            if geometry is None:
                msg = f"{where} has no geometry; every candidate must be a Point (lon, lat)"
                raise DataError(msg)
            points.append(parse_geometry(geometry, where=where, allowed=("Point",), what="candidate site"))
        return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=points, crs=settings.GEOGRAPHIC_CRS)
    try:
        gdf = gpd.read_file(file)
    except Exception as exc:  # GDAL raises many exception types for a broken file
        msg = (
            f"cannot read candidate file {file.name}: {str(exc)[:120]}; "
            "use GeoJSON, GeoPackage or CSV with lon/lat"
        )
        raise DataError(msg) from None
    if gdf.crs is None:
        gdf = gdf.set_crs(settings.GEOGRAPHIC_CRS)
    return gdf.to_crs(settings.GEOGRAPHIC_CRS)


def _deg(value: float) -> str:
    return f"{value:.5f}" if abs(value) < 1000 else f"{value:.3g}"


def candidates_xy(
    gdf_candidates: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame,
    *,
    crs: str | None = None,
    tolerance_m: float | None = None,
) -> np.ndarray:
    """Check user candidate sites and return their projected coordinates.

    Parameters
    ----------
    gdf_candidates
        Candidate Points (with a CRS; EPSG:4326 assumed when missing).
    boundary
        County outline.
    crs
        Projected CRS of the result; ``settings.WORKING_CRS`` when None.
    tolerance_m
        How far outside the outline a candidate may lie;
        ``settings.CANDIDATE_BOUNDARY_TOLERANCE_M`` when None.

    Returns
    -------
    numpy.ndarray
        (n, 2) x, y in *crs*.

    Raises
    ------
    ParameterError
        If there are no candidates, a geometry is missing or not a Point, or a candidate lies
        outside the county (the message lists the first few by row number and lon/lat).
    """
    import shapely

    crs = crs or settings.WORKING_CRS
    tolerance = settings.CANDIDATE_BOUNDARY_TOLERANCE_M if tolerance_m is None else tolerance_m
    if len(gdf_candidates) == 0:
        msg = "the candidate list is empty; give at least one candidate site"
        raise ParameterError(msg)
    gdf = gdf_candidates.copy()
    if gdf.crs is None:
        gdf = gdf.set_crs(settings.GEOGRAPHIC_CRS)
    geom = gdf.geometry
    bad = np.flatnonzero((geom.isna() | geom.is_empty | (geom.geom_type != "Point")).to_numpy())
    if bad.size:
        msg = f"candidate {int(bad[0]) + 1} has no Point geometry; every candidate must be a point (lon, lat)"
        raise ParameterError(msg)
    projected = gdf.to_crs(crs).geometry
    xy = np.column_stack([projected.x.to_numpy(), projected.y.to_numpy()])
    area = county_outline(boundary, crs).buffer(tolerance) if tolerance > 0 else county_outline(boundary, crs)
    inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
    if not inside.all():
        outside = np.flatnonzero(~inside)
        wgs = gdf.to_crs(settings.GEOGRAPHIC_CRS).geometry
        listed = ", ".join(f"#{i + 1} ({_deg(wgs.iloc[i].x)}, {_deg(wgs.iloc[i].y)})" for i in outside[:5])
        more = f" and {outside.size - 5} more" if outside.size > 5 else ""
        msg = (
            f"{outside.size} of {len(gdf)} candidate sites lie outside the county: {listed}{more}; "
            "candidates must be inside the county outline (lon, lat in WGS-84 degrees)"
        )
        raise ParameterError(msg)
    return xy
