"""Building the road graph of one travel profile: which edges it opens, at what cost, and its roads.

:func:`build_profile_graph` keeps the edges a profile may use (its largest strongly connected
part), weighs them from the profile's speeds, groups both directions of a street into one road
and builds the CSR matrices shortest paths run on. The result is a
:class:`~analysis.travel.profile_graph.ProfileGraph`.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from analysis import network, settings
from analysis.errors import NetworkError
from analysis.travel.profile_graph import MIN_EDGE_COST, ProfileGraph, Topology, compact_index

logger = logging.getLogger(__name__)


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


def road_structure(
    u: np.ndarray, v: np.ndarray, lines: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Group directed edges into roads: edges along the same line (either way) are one road.

    Parameters
    ----------
    u, v
        Node indices of each edge.
    lines
        Each edge's line, oriented u → v.

    Returns
    -------
    tuple of numpy.ndarray
        ``(edge_road, edge_forward, road_u, road_v, road_first, road_coords, road_offsets)``.
    """
    wkb_f = shapely.to_wkb(lines)
    wkb_r = shapely.to_wkb(shapely.reverse(lines))
    forward = np.asarray(wkb_f <= wkb_r, dtype=bool)
    key = np.where(forward, wkb_f, wkb_r)
    codes, _ = pd.factorize(pd.Series(key, dtype=object), sort=False)
    codes = np.asarray(codes, dtype=np.int64)
    n_roads = int(codes.max()) + 1 if len(codes) else 0
    first = np.full(n_roads, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes)))
    return codes, forward, *road_ends(u, v, forward, first, lines)


def road_ends(
    u: np.ndarray, v: np.ndarray, forward: np.ndarray, first: np.ndarray, lines: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start and end node, first edge and oriented coordinates of each road from its first edge.

    Parameters
    ----------
    u, v, forward
        Per edge: end nodes and whether it runs along its road's orientation.
    first
        Per road: its first edge.
    lines
        Each edge's line, oriented u → v.

    Returns
    -------
    tuple of numpy.ndarray
        ``(road_u, road_v, road_first, road_coords, road_offsets)``.
    """
    start = np.where(forward, u, v)[first]
    end = np.where(forward, v, u)[first]
    coords, which = shapely.get_coordinates(lines[first], return_index=True)
    counts = np.bincount(which, minlength=len(first))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    # roads running against their first edge take its coordinates in reverse order
    flip = ~forward[first]
    pos = np.arange(len(coords))
    lo, hi = offsets[which], offsets[which + 1] - 1
    order = np.where(flip[which], lo + hi - pos, pos)
    return start, end, first, coords[order], offsets


def road_costs(topology: Topology, edge_cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cost of each whole road start → end and end → start: the cheapest edge along it each way.

    Parameters
    ----------
    topology
        Edges and roads.
    edge_cost
        Cost of each edge.

    Returns
    -------
    tuple of numpy.ndarray
        ``(forward, backward)`` per road, ``inf`` where no edge goes that way.
    """
    n_roads = len(topology.road_u)
    fw = topology.edge_forward
    codes = topology.edge_road
    fwd = np.full(n_roads, np.inf)
    back = np.full(n_roads, np.inf)
    np.minimum.at(fwd, codes[fw], edge_cost[fw])
    np.minimum.at(back, codes[~fw], edge_cost[~fw])
    return fwd, back


def profile_edges(
    arrays: dict[str, Any], *, profile: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """The directed edges a profile may use, before the connectivity filter.

    Parameters
    ----------
    arrays
        :func:`analysis.network.graph_arrays` of the (projected) graph.
    profile
        One of ``settings.PROFILES``.

    Returns
    -------
    tuple
        ``(u, v, seconds, metres, graph_edge_index, reversed, n_closed)``.

    Raises
    ------
    NetworkError
        If no road is open to the profile.
    """
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
    return u, v, secs, length, geom_idx, reverse, int((~allowed).sum())


def largest_part(u: np.ndarray, v: np.ndarray, n: int, *, profile: str, n_closed: int) -> np.ndarray:
    """Mask of the edges inside the largest strongly connected part of the graph (u, v).

    Parameters
    ----------
    u, v
        Node indices of each edge.
    n
        Number of nodes.
    profile
        Profile name, for the log line.
    n_closed
        Edges closed to the profile, for the log line.

    Returns
    -------
    numpy.ndarray
        Boolean mask over the edges.

    Raises
    ------
    NetworkError
        If the part holds no edge.
    """
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
        n_closed,
    )
    if not keep_edge.any():
        msg = (
            f"The roads open to profile {profile!r} form no connected network (only one-way dead ends); "
            "use a fuller graph."
        )
        raise NetworkError(msg)
    return keep_edge


def build_topology(
    arrays: dict[str, Any],
    curved: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    geom_idx: np.ndarray,
    reverse: np.ndarray,
) -> Topology:
    """The road structure of a set of kept edges (the expensive, shareable part).

    Parameters
    ----------
    arrays
        :func:`analysis.network.graph_arrays` of the graph.
    curved
        Per graph edge: whether it has its own geometry.
    u, v, geom_idx, reverse
        The kept edges.

    Returns
    -------
    Topology
        Edges, kept nodes, roads, and the trees to snap to them.
    """
    node_index = np.unique(np.concatenate([u, v]))
    lines = edge_lines(arrays, curved, u, v, geom_idx, reverse)
    edge_road, edge_forward, road_u, road_v, road_first, road_coords, road_offsets = road_structure(
        u, v, lines
    )
    return Topology(
        edge_u=compact_index(u),
        edge_v=compact_index(v),
        edge_geom=compact_index(geom_idx),
        edge_reversed=reverse,
        node_index=compact_index(node_index),
        node_x=arrays["x"],
        node_y=arrays["y"],
        edge_road=compact_index(edge_road),
        edge_forward=edge_forward,
        road_u=compact_index(road_u),
        road_v=compact_index(road_v),
        road_first=compact_index(road_first),
        road_coords=road_coords,
        road_offsets=compact_index(road_offsets),
    )


def weigh(
    topology: Topology,
    secs: np.ndarray,
    length_m: np.ndarray,
    n: int,
    *,
    shared: dict[bytes, Any] | None = None,
    topology_key: bytes = b"",
) -> ProfileGraph:
    """A profile graph from a topology and the profile's edge costs.

    Parameters
    ----------
    topology
        Edges and roads.
    secs, length_m
        Seconds and metres of each of the topology's edges.
    n
        Number of graph nodes.
    shared
        Cost arrays already built for other profiles: profiles on the same topology share
        their metre arrays, and those with the same seconds (e.g. two profiles with one speed
        table) share their second arrays too, instead of holding copies. New ones are added.
    topology_key
        Identity of *topology* in *shared* (the hash of its edges).

    Returns
    -------
    ProfileGraph
        The profile graph.
    """
    shared = {} if shared is None else shared
    u, v = topology.edge_u, topology.edge_v
    m_key = hashlib.sha256(b"metres" + topology_key + length_m.tobytes()).digest()
    s_key = hashlib.sha256(b"seconds" + topology_key + secs.tobytes()).digest()
    if m_key not in shared:
        shared[m_key] = (csr_min(u, v, length_m, n), *road_costs(topology, length_m))
    if s_key not in shared:
        forward = csr_min(u, v, secs, n)
        shared[s_key] = (forward, forward.T.tocsr(), secs, *road_costs(topology, secs))
    forward_m, fwd_m, back_m = shared[m_key]
    forward, backward, edge_s, fwd_s, back_s = shared[s_key]
    return ProfileGraph(
        topology=topology,
        forward=forward,
        backward=backward,
        forward_m=forward_m,
        edge_s=edge_s,
        road_fwd_s=fwd_s,
        road_back_s=back_s,
        road_fwd_m=fwd_m,
        road_back_m=back_m,
    )


def build_profile_graph(
    arrays: dict[str, Any],
    curved: np.ndarray,
    *,
    profile: str,
    topologies: dict[bytes, Topology] | None = None,
    shared: dict[bytes, Any] | None = None,
) -> ProfileGraph:
    """Prepare the graph of one profile: usable edges, largest strongly connected part, roads.

    Parameters
    ----------
    arrays
        :func:`analysis.network.graph_arrays` of the (projected) graph.
    curved
        Per graph edge: whether it has its own geometry.
    profile
        One of ``settings.PROFILES``.
    topologies
        Topologies already built for other profiles, by the edges they keep; a profile that
        keeps the same edges (e.g. car and ambulance) shares its arrays instead of copying
        them, and a new one is added.
    shared
        Cost arrays already built for other profiles (see :func:`weigh`).

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
    u, v, secs, length, geom_idx, reverse, n_closed = profile_edges(arrays, profile=profile)
    keep = largest_part(u, v, n, profile=profile, n_closed=n_closed)
    u, v, secs, length, geom_idx, reverse = (
        u[keep],
        v[keep],
        secs[keep],
        length[keep],
        geom_idx[keep],
        reverse[keep],
    )
    key = hashlib.sha256(geom_idx.tobytes() + reverse.tobytes()).digest()
    known = topologies.get(key) if topologies is not None else None
    topology = known if known is not None else build_topology(arrays, curved, u, v, geom_idx, reverse)
    if topologies is not None:
        topologies[key] = topology
    pg = weigh(topology, secs, length, n, shared=shared, topology_key=key)
    logger.info(
        "Profile %s: %d edges on %d roads prepared in %.3f s%s",
        profile,
        len(u),
        len(topology.road_u),
        time.perf_counter() - t0,
        " (roads shared with another profile)" if known is not None else "",
    )
    return pg
