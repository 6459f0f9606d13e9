"""Who is within a walk of which site, as a sparse matrix: never the dense site × demand matrix.

Without a road network the walk is estimated from the straight line in the projected working CRS
(× ``settings.CIRCUITY_FACTOR``, as every straight-line distance of the product), and the pairs come from
a KD-tree (``scipy.spatial.cKDTree.sparse_distance_matrix``). On a road network the walk is measured on
the network's walking profile; since no walk is shorter than the straight line, only the demand within
the straight-line radius of a tile of sites is asked about.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from analysis import settings
from analysis.errors import ParameterError

if TYPE_CHECKING:
    from analysis.travel import TravelModel


@dataclass(frozen=True)
class WalkCoverage:
    """A sparse demand × site coverage matrix and how its distances were measured.

    Attributes
    ----------
    matrix
        Boolean scipy.sparse CSC matrix, shape (n_demand, n_sites).
    radius_m
        Walking distance counted as covered, metres.
    straight_radius_m
        The straight-line radius searched, metres (the walk divided by the circuity factor without a
        network; the walk itself on a network, as a bound).
    on_network
        Whether distances are walks on a road network.
    """

    matrix: sp.csc_matrix
    radius_m: float
    straight_radius_m: float
    on_network: bool


def straight_line_coverage(sites_xy: np.ndarray, demand_xy: np.ndarray, *, reach_m: float) -> sp.csc_matrix:
    """Demand × site pairs at most *reach_m* apart in a straight line, from a KD-tree.

    Parameters
    ----------
    sites_xy, demand_xy
        (n, 2) projected coordinates, metres.
    reach_m
        Largest straight-line distance counted, metres (inclusive).

    Returns
    -------
    scipy.sparse.csc_matrix
        Boolean, shape (n_demand, n_sites); a site on a demand point covers it.
    """
    from scipy.spatial import cKDTree

    n_d, n_s = len(demand_xy), len(sites_xy)
    if n_d == 0 or n_s == 0:
        return sp.csc_matrix((n_d, n_s), dtype=bool)
    pairs = cKDTree(demand_xy).sparse_distance_matrix(
        cKDTree(sites_xy), max_distance=reach_m * (1 + 1e-12), output_type="ndarray"
    )
    # the structure, not the values: a distance of 0 (a site on a demand point) is a cover too
    rows, cols = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64)
    return sp.csc_matrix((np.ones(rows.size, dtype=bool), (rows, cols)), shape=(n_d, n_s))


def _network_coverage(
    travel: TravelModel, sites_xy: np.ndarray, demand_xy: np.ndarray, *, radius_m: float
) -> sp.csc_matrix:
    from scipy.spatial import cKDTree

    n_d, n_s = len(demand_xy), len(sites_xy)
    speed_m_per_min = settings.DEFAULT_SPEED_KMH["walk"] * 1000.0 / 60.0
    minutes = radius_m / speed_m_per_min
    tile_m = settings.AED_NETWORK_TILE_M
    tiles = np.floor(sites_xy / tile_m).astype(np.int64)
    _, tile_of = np.unique(tiles, axis=0, return_inverse=True)
    tile_of = tile_of.ravel()
    demand_tree = cKDTree(demand_xy)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    half_diagonal = tile_m * math.sqrt(2.0) / 2.0
    for tile in range(int(tile_of.max()) + 1 if n_s else 0):
        site_cols = np.flatnonzero(tile_of == tile)
        centre = (np.floor(sites_xy[site_cols[0]] / tile_m) + 0.5) * tile_m
        near = np.asarray(demand_tree.query_ball_point(centre, half_diagonal + radius_m), dtype=np.int64)
        if near.size == 0:
            continue
        walk = travel.matrix(
            sites_xy[site_cols],
            demand_xy[near],
            profile="walk",
            direction="to_sources",
            cutoff_minutes=minutes,
        )
        s_i, d_i = np.nonzero(walk <= minutes)
        rows.append(near[d_i])
        cols.append(site_cols[s_i])
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    return sp.csc_matrix((np.ones(r.size, dtype=bool), (r, c)), shape=(n_d, n_s))


def walk_coverage(
    travel: TravelModel, sites_xy: np.ndarray, demand_xy: np.ndarray, *, radius_m: float
) -> WalkCoverage:
    """Which demand points are within *radius_m* of a walk of each site.

    Parameters
    ----------
    travel
        Travel model: a road network (walking profile, time at
        ``settings.DEFAULT_SPEED_KMH["walk"]`` within the radius' walking time) or the straight-line
        estimate (straight-line distance × ``settings.CIRCUITY_FACTOR`` within the radius).
    sites_xy, demand_xy
        (n, 2) coordinates in ``travel.crs``.
    radius_m
        Walking distance, metres.

    Returns
    -------
    WalkCoverage

    Raises
    ------
    ParameterError
        If the radius is not a positive number of metres.
    """
    if not (math.isfinite(radius_m) and radius_m > 0):
        msg = f"the walking radius must be a positive number of metres, got {radius_m}"
        raise ParameterError(msg)
    sites = np.asarray(sites_xy, dtype=np.float64).reshape(-1, 2)
    demand = np.asarray(demand_xy, dtype=np.float64).reshape(-1, 2)
    if travel.network_source == settings.STRAIGHT_LINE_SOURCE:
        reach = radius_m / settings.CIRCUITY_FACTOR
        matrix = straight_line_coverage(sites, demand, reach_m=reach)
        return WalkCoverage(matrix=matrix, radius_m=radius_m, straight_radius_m=reach, on_network=False)
    matrix = _network_coverage(travel, sites, demand, radius_m=radius_m)
    return WalkCoverage(matrix=matrix, radius_m=radius_m, straight_radius_m=radius_m, on_network=True)
