"""A surface from a gridded population raster (WorldPop, GHSL GeoTIFF), clipped to the county."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis import settings
from analysis.errors import CRSError, DataError
from analysis.population.geometry import outline_of, projected
from analysis.population.surface import PopulationSurface

logger = logging.getLogger(__name__)

#: Raster pixels whose share inside the boundary is below this are dropped as slivers
#: (a 100 m pixel × 1e-6 is 0.01 m²); their people are negligible.
_SLIVER_SHARE = 1e-6


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

    outline = outline_of(boundary, raster_crs)
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
    towns_w = projected(towns, settings.WORKING_CRS, "towns layer")
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
