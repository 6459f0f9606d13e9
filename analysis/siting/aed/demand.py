"""AED demand at the scale of a walk: points at most ``AED_DEMAND_SPACING_M`` apart inside populated cells.

A 200 m walk is smaller than a 500 m population cell; counting a cell's people at its centre makes every
site that reaches a centre add the whole cell. Here each populated cell's people are shared equally
among the points of a square lattice that fall inside it (the surface says nothing finer); a cell too
small for the lattice gets one point inside it. The lattice is one for the whole county, so points of
neighbouring cells never coincide.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from analysis import settings
from analysis.errors import ParameterError

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WalkDemand:
    """Demand points of a walk-scale model.

    Attributes
    ----------
    xy
        (n, 2) coordinates in the projected CRS they were made in.
    population
        People at each point (a cell's people shared equally among its points).
    cell
        Row of the population cell each point comes from.
    spacing_m
        Lattice spacing, metres.
    """

    xy: np.ndarray
    population: np.ndarray
    cell: np.ndarray
    spacing_m: float

    def __len__(self) -> int:
        return int(self.population.size)


def walk_demand_points(
    cells: gpd.GeoDataFrame, *, spacing_m: float | None = None, crs: str | None = None
) -> WalkDemand:
    """Demand points at most *spacing_m* apart inside each populated cell, sharing its population.

    Parameters
    ----------
    cells
        Population cells (polygons with ``population``), any CRS; not modified.
    spacing_m
        Lattice spacing; ``settings.AED_DEMAND_SPACING_M`` when None.
    crs
        Projected CRS of the points; ``settings.WORKING_CRS`` when None.

    Returns
    -------
    WalkDemand
        Points on the lattice ``(k + 1/2) × spacing`` inside populated cells (a point on the edge of two
        cells goes to the first); a populated cell with no lattice point gets its representative point.
        The points' populations sum to the cells'.

    Raises
    ------
    ParameterError
        If the spacing is not a positive number of metres.
    """
    import shapely

    spacing = settings.AED_DEMAND_SPACING_M if spacing_m is None else float(spacing_m)
    if not (math.isfinite(spacing) and spacing > 0):
        msg = f"demand spacing must be a positive number of metres, got {spacing_m}"
        raise ParameterError(msg)
    population = cells["population"].to_numpy(dtype=np.float64)
    rows = np.flatnonzero(population > 0)
    if rows.size == 0:
        return WalkDemand(np.empty((0, 2)), np.empty(0), np.empty(0, dtype=np.int64), spacing)
    geoms = cells.geometry.to_crs(crs or settings.WORKING_CRS).to_numpy()[rows]
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    xs = np.arange(math.floor(minx / spacing) * spacing + spacing / 2, maxx, spacing)
    ys = np.arange(math.floor(miny / spacing) * spacing + spacing / 2, maxy, spacing)
    mesh_x, mesh_y = np.meshgrid(xs, ys)
    lattice = shapely.points(mesh_x.ravel(), mesh_y.ravel())
    tree = shapely.STRtree(geoms)
    point_i, geom_i = tree.query(lattice, predicate="intersects")
    # one cell per point (the first, on a shared edge), in lattice order
    first = np.unique(point_i, return_index=True)[1]
    point_i, geom_i = point_i[first], geom_i[first]
    xy = np.column_stack([mesh_x.ravel()[point_i], mesh_y.ravel()[point_i]])
    owner = geom_i.astype(np.int64)
    empty = np.setdiff1d(np.arange(rows.size), owner)
    if empty.size:
        inner = shapely.point_on_surface(geoms[empty])
        xy = np.vstack([xy, np.column_stack([shapely.get_x(inner), shapely.get_y(inner)])])
        owner = np.concatenate([owner, empty])
    counts = np.bincount(owner, minlength=rows.size)
    share = population[rows][owner] / counts[owner]
    order = np.lexsort((xy[:, 0], xy[:, 1], owner))  # by cell, then row by row: deterministic
    logger.info(
        "%d AED demand points every %g m in %d populated cells (%d smaller than the lattice)",
        len(xy),
        spacing,
        rows.size,
        empty.size,
    )
    return WalkDemand(xy=xy[order], population=share[order], cell=rows[owner[order]], spacing_m=spacing)
