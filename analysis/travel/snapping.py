"""How a point joins the road network: the nearest road of a profile, and the costs along it.

A point joins its nearest road (a line of :class:`~analysis.travel.profile_graph.ProfileGraph`)
at the foot of the perpendicular, reached by a straight *access leg*; from there it travels
along that road to either end, each way at that direction's cost (or not at all where the
road is one-way). Points farther than ``settings.MAX_SNAP_DISTANCE_M`` from every road of the
profile do not join: they are unreached, never silently joined across a county.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from analysis import settings
from analysis.travel.profile_graph import ProfileGraph

Metric = Literal["seconds", "metres"]


@dataclass(frozen=True)
class Snapped:
    """Where points join the network.

    Attributes
    ----------
    nodes
        (n, 2) node indices at the start and end of each point's road; the same node twice
        when snapping to nodes.
    dist_m
        (n,) length of the access leg (point to where it joins).
    point_xy
        (n, 2) where each point joins.
    frac
        (n,) position along the road, 0 at its start and 1 at its end.
    road
        (n,) road index, -1 when snapped to a node.
    joined
        (n,) False where the point is beyond ``settings.MAX_SNAP_DISTANCE_M``: it does not
        join and every cost to or from it is ``inf``.
    """

    nodes: np.ndarray
    dist_m: np.ndarray
    point_xy: np.ndarray
    frac: np.ndarray
    road: np.ndarray
    joined: np.ndarray

    def along(self, pg: ProfileGraph, metric: Metric) -> tuple[np.ndarray, np.ndarray]:
        """Costs along each point's road to and from its two ends.

        Parameters
        ----------
        pg
            The profile graph the points were snapped to.
        metric
            ``"seconds"`` or ``"metres"``.

        Returns
        -------
        tuple of numpy.ndarray
            ``(enter, leave)``, each (n, 2): *enter* from the join point to (start, end) of
            the road, *leave* from (start, end) to the join point; ``inf`` where the road
            cannot be travelled that way or the point did not join.
        """
        n = len(self.dist_m)
        if self.road.size and self.road[0] < 0:
            zero_inf = np.column_stack([np.zeros(n), np.full(n, np.inf)])
            zero_inf[~self.joined] = np.inf
            return zero_inf, zero_inf.copy()
        fwd = (pg.road_fwd_s if metric == "seconds" else pg.road_fwd_m)[self.road]
        back = (pg.road_back_s if metric == "seconds" else pg.road_back_m)[self.road]
        t = self.frac
        enter = np.column_stack([part(t, back), part(1.0 - t, fwd)])
        leave = np.column_stack([part(t, fwd), part(1.0 - t, back)])
        enter[~self.joined] = np.inf
        leave[~self.joined] = np.inf
        return enter, leave


def part(fraction: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """fraction × weight, exactly 0 for a zero fraction even where the weight is inf (no way through).

    Parameters
    ----------
    fraction
        Share of a road, in [0, 1].
    weight
        Cost of the whole road.

    Returns
    -------
    numpy.ndarray
        The cost of that share.
    """
    with np.errstate(invalid="ignore"):
        return np.where(fraction <= 0.0, 0.0, fraction * weight)


def empty_snap() -> Snapped:
    """Snapped for no points."""
    empty = np.empty(0)
    return Snapped(
        np.empty((0, 2), np.int64), empty, np.empty((0, 2)), empty, np.empty(0, np.int64), np.empty(0, bool)
    )


def snap_to_roads(pg: ProfileGraph, xy: np.ndarray) -> Snapped:
    """Join each point to its nearest road of the profile (foot of the perpendicular).

    Parameters
    ----------
    pg
        Profile graph.
    xy
        (n, 2) checked coordinates in the graph's CRS.

    Returns
    -------
    Snapped
        The joins; points beyond ``settings.MAX_SNAP_DISTANCE_M`` have ``joined`` False.
    """
    if len(xy) == 0:
        return empty_snap()
    feet = pg.topology.segments.nearest(xy)
    road = feet.road
    nodes = np.column_stack([pg.road_u[road], pg.road_v[road]]).astype(np.int64)
    return Snapped(nodes, feet.dist_m, feet.xy, feet.frac, road, feet.dist_m <= settings.MAX_SNAP_DISTANCE_M)


def snap_to_nodes(pg: ProfileGraph, xy: np.ndarray, node_xy: np.ndarray) -> Snapped:
    """Join each point to its nearest node of the profile.

    Parameters
    ----------
    pg
        Profile graph.
    xy
        (n, 2) checked coordinates in the graph's CRS.
    node_xy
        (n_nodes, 2) coordinates of every graph node.

    Returns
    -------
    Snapped
        The joins (``road`` -1); points beyond ``settings.MAX_SNAP_DISTANCE_M`` have
        ``joined`` False.
    """
    n = len(xy)
    if n == 0:
        return empty_snap()
    dist, idx = pg.node_tree.query(xy, k=1)
    nodes = pg.node_index[idx].astype(np.int64)
    dist = np.asarray(dist, dtype=np.float64)
    return Snapped(
        np.column_stack([nodes, nodes]),
        dist,
        node_xy[nodes],
        np.zeros(n),
        np.full(n, -1, np.int64),
        dist <= settings.MAX_SNAP_DISTANCE_M,
    )
