"""The road graph of one travel profile: CSR matrices for shortest paths and the roads points join.

A directed edge is what the router follows; a *road* is the physical line a point lies on.
Both directions of a two-way street, and a walker's reverse of a one-way street, are one road
with a cost per direction; parallel edges between the same two nodes along different lines
are different roads. A point on a road therefore goes back along *its own* line, never along
another street that happens to join the same two nodes.

They are built by :func:`analysis.travel.profile_build.build_profile_graph`.
"""

# A road graph is `G`, as in osmnx and networkx.

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

from analysis.travel.road_faces import RoadFaces
from analysis.travel.segment_index import SegmentIndex

#: Shortest edge time (s) or length (m): keeps zero-length edges as edges in the sparse matrix.
MIN_EDGE_COST = 1e-9


@dataclass(frozen=True)
class Topology:
    """Which edges a profile uses and how they form roads; shared by profiles that open the same edges.

    Attributes
    ----------
    edge_u, edge_v, edge_geom, edge_reversed
        The directed edges the profile may use (in the largest strongly connected part):
        node indices, index into the graph's edge list, and whether the edge is a walker's
        reverse of a one-way edge.
    node_index
        Node indices kept (:attr:`node_tree` is a k-d tree over them, built on first use).
    node_x, node_y
        Coordinates of every graph node (the graph's own arrays, not copies).
    edge_road, edge_forward
        Per edge: its road, and whether it runs from the road's start to its end.
    road_u, road_v
        Node indices at the start and end of each road's line.
    road_first
        Per road: the edge whose line (reversed unless it runs forward) is the road's line.
    road_coords, road_offsets
        Each road's line, oriented start → end, as one (m, 2) coordinate array and the start
        of each road in it.
    """

    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_geom: np.ndarray
    edge_reversed: np.ndarray
    node_index: np.ndarray
    node_x: np.ndarray
    node_y: np.ndarray
    edge_road: np.ndarray
    edge_forward: np.ndarray
    road_u: np.ndarray
    road_v: np.ndarray
    road_first: np.ndarray
    road_coords: np.ndarray
    road_offsets: np.ndarray

    @cached_property
    def node_tree(self) -> cKDTree:
        """k-d tree over the kept nodes, for snapping to nodes (built on first use)."""
        return cKDTree(np.column_stack([self.node_x[self.node_index], self.node_y[self.node_index]]))

    @cached_property
    def segments(self) -> SegmentIndex:
        """The roads' segments indexed for nearest-road queries (built on first use)."""
        return SegmentIndex(self.road_coords, self.road_offsets)

    @cached_property
    def faces(self) -> RoadFaces:
        """The blocks the roads enclose, for isochrone shapes (built on first use)."""
        return RoadFaces.from_roads(self.road_coords, self.road_offsets)

    def found_faces(self) -> RoadFaces | None:
        """:attr:`faces` if they were found already, else None (without finding them)."""
        found: RoadFaces | None = self.__dict__.get("faces")
        return found

    def road_line(self, road: int) -> shapely.LineString:
        """One road's line, oriented start → end."""
        return shapely.LineString(self.road_coords[self.road_offsets[road] : self.road_offsets[road + 1]])


@dataclass(frozen=True)
class ProfileGraph:
    """Everything the engine needs for one profile: a :class:`Topology` and its costs.

    Attributes
    ----------
    topology
        The shared edge and road structure.
    forward, backward, forward_m
        (n_nodes, n_nodes) CSR: fastest seconds u → v, its transpose, shortest metres u → v
        (parallel edges reduced to the cheapest, which is exact between nodes).
    edge_s
        Seconds of each edge of the topology.
    road_fwd_s, road_back_s, road_fwd_m, road_back_m
        Cost of the whole road from start to end and from end to start (``inf`` where the
        profile may not go that way).
    """

    topology: Topology
    forward: sp.csr_matrix
    backward: sp.csr_matrix
    forward_m: sp.csr_matrix
    edge_s: np.ndarray
    road_fwd_s: np.ndarray
    road_back_s: np.ndarray
    road_fwd_m: np.ndarray
    road_back_m: np.ndarray

    # the topology's arrays, read through the profile graph
    @property
    def edge_u(self) -> np.ndarray:
        """Start node of each edge."""
        return self.topology.edge_u

    @property
    def edge_v(self) -> np.ndarray:
        """End node of each edge."""
        return self.topology.edge_v

    @property
    def edge_geom(self) -> np.ndarray:
        """Index of each edge in the graph's edge list."""
        return self.topology.edge_geom

    @property
    def edge_reversed(self) -> np.ndarray:
        """Whether each edge is a walker's reverse of a one-way edge."""
        return self.topology.edge_reversed

    @property
    def node_index(self) -> np.ndarray:
        """Node indices kept."""
        return self.topology.node_index

    @property
    def node_tree(self) -> cKDTree:
        """k-d tree over the kept nodes."""
        return self.topology.node_tree

    @property
    def road_u(self) -> np.ndarray:
        """Start node of each road."""
        return self.topology.road_u

    @property
    def road_v(self) -> np.ndarray:
        """End node of each road."""
        return self.topology.road_v


def compact_index(a: np.ndarray) -> np.ndarray:
    """An index array as int32 when every value fits (half the memory of int64), else as it is.

    Parameters
    ----------
    a
        Integer array (node, edge, road or coordinate indices).

    Returns
    -------
    numpy.ndarray
        *a* as int32, or *a* unchanged when it is not integer or a value needs 64 bits.
    """
    a = np.asarray(a)
    if a.dtype == np.int32 or a.dtype.kind not in "iu":
        return a
    if a.size and (int(a.min()) < np.iinfo(np.int32).min or int(a.max()) > np.iinfo(np.int32).max):
        return a
    return a.astype(np.int32)
