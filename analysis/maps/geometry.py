"""Geometry prepared for drawing: WGS-84, rounded coordinates, simplified outlines, GeoJSON features."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis import settings

#: Decimal places of drawn coordinates: 5 decimals of a degree is ~1 m, finer than any input.
COORD_DECIMALS = 5
#: Simplification tolerance for drawn outlines, degrees (~10 m): invisible at county zoom, much smaller page.
DISPLAY_SIMPLIFY_DEG = 1e-4


def rounded(geoms: Iterable[Any]) -> np.ndarray:
    """Copies of *geoms* with coordinates rounded to ``COORD_DECIMALS`` (vectorised; None stays None)."""
    arr = np.array(list(geoms), dtype=object)
    if len(arr) == 0:
        return arr
    arr[pd.isna(arr)] = None
    coords = shapely.get_coordinates(arr)
    return shapely.set_coordinates(arr, np.round(coords, COORD_DECIMALS))


def geometry_dict(geom: Any) -> dict[str, Any] | None:
    """GeoJSON geometry of *geom* with rounded coordinates; ``None`` when empty."""
    geom = rounded([geom])[0]
    if geom is None or geom.is_empty:
        return None
    gi: dict[str, Any] = geom.__geo_interface__
    return gi


def feature(geom: Any, properties: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One GeoJSON feature of *geom*."""
    return {"type": "Feature", "geometry": geometry_dict(geom), "properties": dict(properties or {})}


def feature_collection(
    gdf: gpd.GeoDataFrame, properties: Iterable[Mapping[str, Any]], ids: Sequence[Any] | None = None
) -> dict[str, Any]:
    """GeoJSON of the located rows of *gdf*, one properties mapping per row (unlocated rows dropped)."""
    features = []
    geoms = rounded(gdf.geometry)
    texts: list[Any] = list(shapely.to_geojson(geoms)) if len(geoms) else []
    for i, (text, props) in enumerate(zip(texts, properties, strict=True)):
        geometry = json.loads(text) if text is not None else None
        if geometry is not None and geometry.get("coordinates", geometry.get("geometries")):
            fid = str(ids[i]) if ids is not None else str(i)
            features.append({"type": "Feature", "id": fid, "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features}


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """*gdf* in WGS-84 (a new frame when it had to be reprojected)."""
    if gdf.crs is not None and gdf.crs.to_string() != settings.GEOGRAPHIC_CRS:
        return gdf.to_crs(settings.GEOGRAPHIC_CRS)
    return gdf


def located(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The rows of *gdf* that have a (non-empty) geometry."""
    return gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]


def simplified(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Only the geometries of *gdf*, simplified for display (``DISPLAY_SIMPLIFY_DEG``)."""
    return gpd.GeoDataFrame(geometry=gdf.geometry.simplify(DISPLAY_SIMPLIFY_DEG), crs=gdf.crs)


def bounds(*frames: gpd.GeoDataFrame | None) -> list[float]:
    """WGS-84 bounds of the first of *frames* that has any geometry.

    Raises
    ------
    ValueError
        If none has.
    """
    for gdf in frames:
        if gdf is not None and len(gdf) and gdf.geometry.notna().any():
            b = to_wgs84(gdf).total_bounds
            if np.all(np.isfinite(b)):
                return [float(x) for x in b]
    msg = "Nothing to map: the cells, boundary and facilities have no geometry; check the input files."
    raise ValueError(msg)
