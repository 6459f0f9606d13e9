"""Where a surface is laid: the outline in a projected CRS and the square grid over it."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from analysis.errors import CRSError, DataError


def projected(gdf: gpd.GeoDataFrame, crs: str, what: str) -> gpd.GeoDataFrame:
    """*gdf* in *crs*; a layer without a CRS is refused (its coordinates cannot be placed)."""
    if gdf.crs is None:
        msg = f"The {what} has no coordinate reference system; set it (e.g. gdf.set_crs('EPSG:4326'))."
        raise CRSError(msg)
    return gdf.to_crs(crs)


def outline_of(boundary: gpd.GeoDataFrame, crs: str) -> BaseGeometry:
    """The county outline in *crs* as one valid geometry."""
    geoms = projected(boundary, crs, "boundary").geometry
    geoms = geoms[geoms.notna() & ~geoms.is_empty]
    if len(geoms) == 0:
        msg = "The boundary has no polygon; pass the county outline as a (Multi)Polygon layer."
        raise DataError(msg)
    return shapely.make_valid(shapely.union_all(geoms.to_numpy()))


def square_grid(outline: BaseGeometry, cell_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
