"""Spreading people onto the working grid: by building footprint area, or by pixel area share.

Both keep the county total: every person of the input lands in exactly one grid cell, cut to the outline.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from analysis import settings
from analysis.errors import DataError, ParameterError
from analysis.population import PopulationSurface

logger = logging.getLogger(__name__)


def _outline(boundary: gpd.GeoDataFrame, crs: str) -> Any:
    geoms = boundary.to_crs(crs).geometry
    return shapely.make_valid(shapely.union_all(geoms[geoms.notna()].to_numpy()))


def grid_cells(outline: Any, cell_m: float) -> np.ndarray:
    """Squares of side *cell_m* aligned to multiples of it, cut to the outline (rows north to south).

    Parameters
    ----------
    outline
        (Multi)Polygon in a projected CRS.
    cell_m
        Side of a square, metres.

    Returns
    -------
    numpy.ndarray
        Polygons with an area (squares outside the outline are dropped).
    """
    minx, miny, maxx, maxy = outline.bounds
    x0 = np.floor(minx / cell_m) * cell_m
    y1 = np.ceil(maxy / cell_m) * cell_m
    ncol = max(1, int(np.ceil((maxx - x0) / cell_m)))
    nrow = max(1, int(np.ceil((y1 - miny) / cell_m)))
    rows, cols = np.meshgrid(np.arange(nrow), np.arange(ncol), indexing="ij")
    xs = x0 + cols.ravel() * cell_m
    ys = y1 - (rows.ravel() + 1) * cell_m
    boxes = shapely.box(xs, ys, xs + cell_m, ys + cell_m)
    shapely.prepare(outline)
    keep = shapely.intersects(outline, boxes)
    pieces = shapely.intersection(boxes[keep], outline)
    return pieces[shapely.area(pieces) > 0]


def _spread(pieces: np.ndarray, weights: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Sum *weights* of *pieces* over *cells*, each piece split in proportion to its overlap with each cell.

    Shares are of the piece's overlap with all cells, not of its own area, so a piece that pokes out of
    the outline where the projection bends its edge keeps all its weight.
    """
    tree = shapely.STRtree(cells)
    piece_idx, cell_idx = tree.query(pieces, predicate="intersects")
    overlap = shapely.area(shapely.intersection(pieces[piece_idx], cells[cell_idx]))
    overlap_total = np.zeros(len(pieces), dtype=np.float64)
    np.add.at(overlap_total, piece_idx, overlap)
    denominator = overlap_total[piece_idx]
    share = np.divide(overlap, denominator, out=np.zeros_like(overlap), where=denominator > 0)
    out = np.zeros(len(cells), dtype=np.float64)
    np.add.at(out, cell_idx, weights[piece_idx] * share)
    return out


def _surface(
    cells: np.ndarray, population: np.ndarray, *, crs: str, method: str, source: str, modelled: bool
) -> PopulationSurface:
    gdf = gpd.GeoDataFrame(
        {
            "cell_id": np.arange(len(cells), dtype=np.int64),
            "population": population.astype(np.float64),
            "town_code": [None] * len(cells),
            "method": method,
        },
        geometry=cells,
        crs=crs,
    ).to_crs(settings.GEOGRAPHIC_CRS)
    return PopulationSurface(cells=gdf, source=source, modelled=modelled)


def from_buildings(
    buildings: gpd.GeoDataFrame,
    *,
    boundary: gpd.GeoDataFrame,
    total: float,
    crs: str,
    cell_m: float | None = None,
    what: str = "building footprints",
) -> PopulationSurface:
    """Spread a known population total over building footprint area (dasymetric mapping).

    Each grid cell gets ``total × (footprint area in the cell) / (footprint area in the county)``; cells
    without buildings get 0. The result is *modelled*: it says where buildings are, not who lives there.

    Parameters
    ----------
    buildings
        Footprint polygons with a CRS (e.g. from :func:`analysis.county_init.osm.buildings_from_osm`).
    boundary
        County outline; footprints are cut to it.
    total
        People to spread (e.g. the census total).
    crs
        Projected working CRS of the grid.
    cell_m
        Grid cell side; ``None`` → ``settings.POPULATION_CELL_M``.
    what
        Plain words naming the footprints, for the surface's source.

    Returns
    -------
    analysis.population.PopulationSurface
        ``modelled`` is True; cells cover the whole outline.

    Raises
    ------
    ParameterError
        *total* is not a positive number.
    DataError
        No footprint lies inside the outline.
    """
    if not (np.isfinite(total) and total > 0):
        msg = f"--population-total must be a positive number of people, got {total!r}."
        raise ParameterError(msg)
    size = float(settings.POPULATION_CELL_M if cell_m is None else cell_m)
    outline = _outline(boundary, crs)
    shapes = buildings.to_crs(crs).geometry.to_numpy() if len(buildings) else np.array([])
    pieces = shapely.intersection(shapes, outline) if len(shapes) else shapes
    pieces = pieces[shapely.area(pieces) > 0] if len(pieces) else pieces
    floor = float(shapely.area(pieces).sum()) if len(pieces) else 0.0
    if floor <= 0:
        msg = (
            f"no {what} lie inside the county outline, so the total cannot be spread over them; "
            "check that the extract covers the county, or use --census or --raster instead."
        )
        raise DataError(msg)
    cells = grid_cells(outline, size)
    area_in_cell = _spread(pieces, shapely.area(pieces), cells)
    population = float(total) * area_in_cell / area_in_cell.sum()
    source = (
        f"modelled: population total {total:,.0f} spread over {len(pieces):,} {what} "
        f"({floor / 1e6:,.3f} km² of footprint) within the outline, in proportion to footprint area"
    )
    method = "dasymetric: total × footprint area in the cell / footprint area in the county"
    logger.info(
        "population surface with %d cells from %d footprints, total %.0f", len(cells), len(pieces), total
    )
    return _surface(cells, population, crs=crs, method=method, source=source, modelled=True)


def to_grid(
    surface: PopulationSurface, *, boundary: gpd.GeoDataFrame, crs: str, cell_m: float | None = None
) -> PopulationSurface:
    """Aggregate a fine surface (e.g. raster pixels) onto the working grid by area share.

    Parameters
    ----------
    surface
        Cells with ``population`` (e.g. from :func:`analysis.population.from_raster`).
    boundary
        County outline.
    crs
        Projected working CRS of the grid.
    cell_m
        Grid cell side; ``None`` → ``settings.POPULATION_CELL_M``.

    Returns
    -------
    analysis.population.PopulationSurface
        Same total (to rounding), same ``source`` and ``modelled`` flag.

    Raises
    ------
    DataError
        The surface has no cell inside the outline.
    """
    size = float(settings.POPULATION_CELL_M if cell_m is None else cell_m)
    if size <= 0:
        msg = f"cell_m must be positive, got {cell_m!r}."
        raise ParameterError(msg)
    outline = _outline(boundary, crs)
    pieces = surface.cells.to_crs(crs).geometry.to_numpy()
    cells = grid_cells(outline, size)
    population = _spread(pieces, surface.populations, cells)
    if not population.sum() > 0 and surface.total > 0:
        msg = (
            "the population surface has no people inside the county outline; check that it covers the county."
        )
        raise DataError(msg)
    method = (
        f"{surface.cells['method'].iloc[0] if len(surface.cells) else ''}; aggregated to the {size:g} m grid"
    )
    logger.info("surface of %d cells aggregated to %d grid cells", len(pieces), len(cells))
    return _surface(
        cells, population, crs=crs, method=method, source=surface.source, modelled=surface.modelled
    )
