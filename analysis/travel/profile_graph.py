"""The road graph of one travel profile: CSR matrices for shortest paths and the roads points join.

A directed edge is what the router follows; a *road* is the physical line a point lies on.
Both directions of a two-way street, and a walker's reverse of a one-way street, are one road
with a cost per direction; parallel edges between the same two nodes along different lines
are different roads. A point on a road therefore goes back along *its own* line, never along
another street that happens to join the same two nodes.
"""

# A road graph is `G`, as in osmnx and networkx.

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from analysis import network, settings
from analysis.errors import NetworkError

logger = logging.getLogger(__name__)

#: Shortest edge time (s) or length (m): keeps zero-length edges as edges in the sparse matrix.
MIN_EDGE_COST = 1e-9


@dataclass(frozen=True)
class ProfileGraph:
    """Everything the engine needs for one profile.

    Attributes
    ----------
    forward, backward, forward_m
        (n_nodes, n_nodes) CSR: fastest seconds u → v, its transpose, shortest metres u → v
        (parallel edges reduced to the cheapest, which is exact between nodes).
    edge_u, edge_v, edge_s, edge_geom, edge_reversed
        The directed edges the profile may use (in the largest strongly connected part):
        node indices, seconds, index into the graph's edge list, and whether the edge is a
        walker's reverse of a one-way edge.
    node_index, node_tree
        Node indices kept and a k-d tree over them (for snapping to nodes).
    road_u, road_v
        Node indices at the start and end of each road's line.
    road_fwd_s, road_back_s, road_fwd_m, road_back_m
        Cost of the whole road from start to end and from end to start (``inf`` where the
        profile may not go that way).
    road_lines, road_tree
        Each road's line, oriented start → end, and an STRtree over them.
    """

    forward: sp.csr_matrix
    backward: sp.csr_matrix
    forward_m: sp.csr_matrix
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_s: np.ndarray
    edge_geom: np.ndarray
    edge_reversed: np.ndarray
    node_index: np.ndarray
    node_tree: cKDTree
    road_u: np.ndarray
    road_v: np.ndarray
    road_fwd_s: np.ndarray
    road_back_s: np.ndarray
    road_fwd_m: np.ndarray
    road_back_m: np.ndarray
    road_lines: np.ndarray
    road_tree: shapely.STRtree


def csr_min(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    """CSR matrix with the smallest weight of parallel edges (scipy would sum them).

    Parameters
    ----------
    u, v
        Node indices of each edge.
    w
        Edge weights (positive).
    n
        Number of nodes.

    Returns
    -------
    scipy.sparse.csr_matrix
        (n, n) matrix.
    """
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    u, v, w = u[first], v[first], w[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    return sp.csr_matrix((w, v.astype(np.int32), indptr.astype(np.int32)), shape=(n, n))


def edge_lines(
    arrays: dict[str, Any],
    curved: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    geom_idx: np.ndarray,
    reverse: np.ndarray,
) -> np.ndarray:
    """LineString of each directed edge, oriented u → v (curved geometry where the graph has it).

    Parameters
    ----------
    arrays
        :func:`analysis.network.graph_arrays` of the graph.
    curved
        Per graph edge: whether it has its own geometry.
    u, v, geom_idx, reverse
        Directed edges: end nodes, index into the graph's edges, walker's reverse flag.

    Returns
    -------
    numpy.ndarray
        Object array of LineStrings.
    """
    x, y = arrays["x"], arrays["y"]
    coords = np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], axis=1)
    lines = np.asarray(shapely.linestrings(coords), dtype=object)
    geoms = arrays["geometry"]
    k = np.flatnonzero(curved[geom_idx])
    if len(k):
        own = np.array([geoms[i] for i in geom_idx[k]], dtype=object)
        lines[k] = np.where(reverse[k], shapely.reverse(own), own)
    return lines


def _roads(
    u: np.ndarray, v: np.ndarray, secs: np.ndarray, length_m: np.ndarray, lines: np.ndarray
) -> dict[str, np.ndarray]:
    """Group directed edges into roads: edges along the same line (either way) are one road."""
    wkb_f = shapely.to_wkb(lines)
    wkb_r = shapely.to_wkb(shapely.reverse(lines))
    forward = np.asarray(wkb_f <= wkb_r, dtype=bool)
    key = np.where(forward, wkb_f, wkb_r)
    codes, _ = pd.factorize(pd.Series(key, dtype=object), sort=False)
    codes = np.asarray(codes, dtype=np.int64)
    n_roads = int(codes.max()) + 1 if len(codes) else 0
    first = np.full(n_roads, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))
    start = np.where(forward, u, v)[first]
    end = np.where(forward, v, u)[first]
    road_lines = np.where(forward[first], lines[first], shapely.reverse(lines[first]))
    fwd_s = np.full(n_roads, np.inf)
    back_s = np.full(n_roads, np.inf)
    fwd_m = np.full(n_roads, np.inf)
    back_m = np.full(n_roads, np.inf)
    np.minimum.at(fwd_s, codes[forward], secs[forward])
    np.minimum.at(back_s, codes[~forward], secs[~forward])
    np.minimum.at(fwd_m, codes[forward], length_m[forward])
    np.minimum.at(back_m, codes[~forward], length_m[~forward])
    return {
        "road_u": start,
        "road_v": end,
        "road_fwd_s": fwd_s,
        "road_back_s": back_s,
        "road_fwd_m": fwd_m,
        "road_back_m": back_m,
        "road_lines": np.asarray(road_lines, dtype=object),
    }


def build_profile_graph(arrays: dict[str, Any], curved: np.ndarray, *, profile: str) -> ProfileGraph:
    """Prepare the graph of one profile: usable edges, largest strongly connected part, roads.

    Parameters
    ----------
    arrays
        :func:`analysis.network.graph_arrays` of the (projected) graph.
    curved
        Per graph edge: whether it has its own geometry.
    profile
        One of ``settings.PROFILES``.

    Returns
    -------
    ProfileGraph
        The prepared graph.

    Raises
    ------
    NetworkError
        If no road is open to the profile.
    """
    t0 = time.perf_counter()
    n = len(arrays["node_ids"])
    speeds = network.edge_speeds_kmh(arrays["highway"], arrays["maxspeed"], profile=profile)
    factor = settings.PEAK_HOUR_FACTOR if profile in ("ambulance", "car") else 1.0
    allowed = speeds > 0
    if not allowed.any():
        msg = f"No road in the graph is open to profile {profile!r}; use another profile or a fuller graph."
        raise NetworkError(msg)
    geom_idx = np.flatnonzero(allowed)
    u, v = arrays["u"][allowed], arrays["v"][allowed]
    length = arrays["length_m"][allowed]
    secs = length / (speeds[allowed] / 3.6) * factor
    reverse = np.zeros(len(u), dtype=bool)
    if profile == "walk":
        # pedestrians may walk both ways along one-way streets
        ow = arrays["oneway"][allowed]
        u, v = np.concatenate([u, v[ow]]), np.concatenate([v, u[ow]])
        secs = np.concatenate([secs, secs[ow]])
        length = np.concatenate([length, length[ow]])
        geom_idx = np.concatenate([geom_idx, geom_idx[ow]])
        reverse = np.concatenate([reverse, np.ones(int(ow.sum()), dtype=bool)])
    secs = np.maximum(secs, MIN_EDGE_COST)
    length = np.maximum(length, MIN_EDGE_COST)
    # largest strongly connected component of this profile's graph
    adj = sp.csr_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    n_comp, labels = connected_components(adj, directed=True, connection="strong")
    used = np.zeros(n, dtype=bool)
    used[u] = True
    used[v] = True
    counts = np.bincount(labels[used], minlength=n_comp)
    biggest = int(np.argmax(counts))
    keep_node = (labels == biggest) & used
    keep_edge = keep_node[u] & keep_node[v]
    logger.info(
        "Profile %s: kept %d of %d nodes (largest strongly connected component); dropped %d nodes "
        "and %d edges in %d smaller components; %d edges closed to this profile",
        profile,
        int(keep_node.sum()),
        n,
        int(used.sum() - keep_node.sum()),
        int((~keep_edge).sum()),
        max(int(np.unique(labels[used]).size) - 1, 0),
        int((~allowed).sum()),
    )
    if not keep_edge.any():
        msg = (
            f"The roads open to profile {profile!r} form no connected network (only one-way dead ends); "
            "use a fuller graph."
        )
        raise NetworkError(msg)
    u, v, secs, length = u[keep_edge], v[keep_edge], secs[keep_edge], length[keep_edge]
    geom_idx, reverse = geom_idx[keep_edge], reverse[keep_edge]
    forward = csr_min(u, v, secs, n)
    node_index = np.flatnonzero(keep_node)
    lines = edge_lines(arrays, curved, u, v, geom_idx, reverse)
    roads = _roads(u, v, secs, length, lines)
    pg = ProfileGraph(
        forward=forward,
        backward=forward.T.tocsr(),
        forward_m=csr_min(u, v, length, n),
        edge_u=u,
        edge_v=v,
        edge_s=secs,
        edge_geom=geom_idx,
        edge_reversed=reverse,
        node_index=node_index,
        node_tree=cKDTree(np.column_stack([arrays["x"][node_index], arrays["y"][node_index]])),
        road_tree=shapely.STRtree(roads["road_lines"]),
        **roads,
    )
    logger.info(
        "Profile %s: %d edges on %d roads prepared in %.3f s",
        profile,
        len(u),
        len(roads["road_u"]),
        time.perf_counter() - t0,
    )
    return pg
