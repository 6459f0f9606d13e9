"""Shortest-path queries between points joined to the roads (compiled Dijkstra, no Python loops per node).

Each source becomes a virtual node wired to the two ends of its road by the cost of getting
there along it (plus its access leg); one ``scipy.sparse.csgraph.dijkstra`` run from all of
them gives every node its nearest source. A target takes the better of its road's two ends.
A source and a target on the *same* road may also meet along that road without reaching
either end: :func:`same_road_pairs` and :func:`along_same_road` add that way.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from analysis import settings
from analysis.travel.profile_graph import ProfileGraph
from analysis.travel.segment_index import SAME_PLACE_FRACTION
from analysis.travel.snapping import Metric, Snapped, part


def augment(graph: sp.csr_matrix, nodes: np.ndarray, cost: np.ndarray) -> sp.csr_matrix:
    """*graph* plus one virtual node per source, joined to its road's ends by *cost*.

    Parameters
    ----------
    graph
        (n, n) CSR weights.
    nodes
        (k, 2) node indices of each source's road ends.
    cost
        (k, 2) cost from each source to those ends (``inf``: no edge).

    Returns
    -------
    scipy.sparse.csr_matrix
        (n + k, n + k) matrix; source i is node n + i.
    """
    n = graph.shape[0]
    k = len(nodes)
    cost = cost.copy()
    same = nodes[:, 0] == nodes[:, 1]
    cost[same, 0] = np.minimum(cost[same, 0], cost[same, 1])
    cost[same, 1] = np.inf
    ok = np.isfinite(cost)
    counts = ok.sum(axis=1)
    indptr = np.concatenate([graph.indptr, graph.indptr[-1] + np.cumsum(counts)])
    indices = np.concatenate([graph.indices, nodes[ok].astype(graph.indices.dtype)])
    # explicit zeros stay edges in a CSR built from its arrays, so a zero leg is exact
    data = np.concatenate([graph.data, cost[ok]])
    return sp.csr_matrix((data, indices, indptr), shape=(n + k, n + k))


def multi_source(
    graph: sp.csr_matrix, nodes: np.ndarray, cost: np.ndarray, limit: float
) -> tuple[np.ndarray, np.ndarray]:
    """One min-only Dijkstra from all sources at once.

    Parameters
    ----------
    graph
        (n, n) CSR weights in the direction of travel.
    nodes, cost
        Each source's road ends and the cost to them (see :func:`augment`).
    limit
        Search bound, in the unit of the weights.

    Returns
    -------
    tuple of numpy.ndarray
        ``(cost, source)`` per node: the cheapest cost from any source and that source's
        index (-1 where unreached).
    """
    n = graph.shape[0]
    k = len(nodes)
    aug = augment(graph, nodes, cost)
    dist, _, src = dijkstra(
        aug,
        directed=True,
        indices=np.arange(n, n + k),
        min_only=True,
        limit=limit,
        return_predecessors=True,
    )
    src = np.where(src >= n, src - n, -1).astype(np.int64)
    src[~np.isfinite(dist)] = -1
    return dist[:n], src[:n]


def multi_source_cost(graph: sp.csr_matrix, nodes: np.ndarray, cost: np.ndarray, limit: float) -> np.ndarray:
    """The costs of :func:`multi_source` alone, from a search that keeps no predecessors.

    The same numbers to the last bit (the same search; only which source reached a node is not
    kept), about a fifth faster.

    Parameters
    ----------
    graph, nodes, cost, limit
        As for :func:`multi_source`.

    Returns
    -------
    numpy.ndarray
        The cheapest cost from any source per node.
    """
    n = graph.shape[0]
    aug = augment(graph, nodes, cost)
    dist = dijkstra(aug, directed=True, indices=np.arange(n, n + len(nodes)), min_only=True, limit=limit)
    return np.asarray(dist[:n])


def source_runs(
    aug: sp.csr_matrix, n_nodes: int, n_sources: int, limit: float
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Dijkstra from each virtual source node of *aug*, in memory-bounded chunks.

    Parameters
    ----------
    aug
        Augmented graph from :func:`augment`.
    n_nodes, n_sources
        Numbers of graph nodes and of sources.
    limit
        Search bound.

    Yields
    ------
    tuple of numpy.ndarray
        ``(rows, dist)``: source indices and their (len(rows), n_nodes + n_sources) costs.
    """
    chunk = max(1, settings.MATRIX_CHUNK_CELLS // (n_nodes + n_sources))
    for start in range(0, n_sources, chunk):
        rows = np.arange(start, min(start + chunk, n_sources))
        yield rows, np.atleast_2d(dijkstra(aug, directed=True, indices=n_nodes + rows, limit=limit))


def join_ends(dist: np.ndarray, nodes: np.ndarray, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best of each target's two road ends.

    Parameters
    ----------
    dist
        (..., n_nodes) cost to every node.
    nodes
        (m, 2) road ends of each target.
    cost
        (m, 2) cost from each end to the target.

    Returns
    -------
    tuple of numpy.ndarray
        (..., m) value per target and which end (0/1) gave it.
    """
    both = np.stack([dist[..., nodes[:, 0]] + cost[:, 0], dist[..., nodes[:, 1]] + cost[:, 1]], axis=-1)
    end = np.argmin(both, axis=-1)
    return np.take_along_axis(both, end[..., None], axis=-1)[..., 0], end


def same_road_pairs(source_road: np.ndarray, target_road: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (source, target) pair on the same road.

    Parameters
    ----------
    source_road, target_road
        Road index of each source and target (-1: none).

    Returns
    -------
    tuple of numpy.ndarray
        ``(source_index, target_index)`` of each pair, ordered by target.
    """
    empty = np.zeros(0, dtype=np.int64)
    on_road = source_road[source_road >= 0]
    if len(on_road) == 0 or len(target_road) == 0:
        return empty, empty
    # few targets share a road with a source: find those first (one lookup each), search only them
    marked = np.zeros(int(max(on_road.max(), target_road.max())) + 1, dtype=bool)
    marked[on_road] = True
    near = np.flatnonzero((target_road >= 0) & marked[np.maximum(target_road, 0)])
    order = np.argsort(source_road, kind="stable")
    sorted_roads = source_road[order]
    roads = target_road[near]
    lo = np.searchsorted(sorted_roads, roads, side="left")
    counts = np.searchsorted(sorted_roads, roads, side="right") - lo
    total = int(counts.sum())
    targets = np.repeat(near, counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(lo, counts)
    return order[offsets], targets


def along_same_road(
    pg: ProfileGraph, frac_from: np.ndarray, frac_to: np.ndarray, road: np.ndarray, metric: Metric
) -> np.ndarray:
    """Cost of going along a road from one position on it to another, without leaving it.

    Parameters
    ----------
    pg
        Profile graph.
    frac_from, frac_to
        Positions along the road (0 at its start, 1 at its end).
    road
        Road index of each pair.
    metric
        ``"seconds"`` or ``"metres"``.

    Returns
    -------
    numpy.ndarray
        Cost per pair; ``inf`` where the road is one-way the other way.
    """
    fwd = (pg.road_fwd_s if metric == "seconds" else pg.road_fwd_m)[road]
    back = (pg.road_back_s if metric == "seconds" else pg.road_back_m)[road]
    ahead = frac_to >= frac_from
    cost = np.where(ahead, part(frac_to - frac_from, fwd), part(frac_from - frac_to, back))
    # two feet a rounding error apart are one place: no detour round a one-way loop between them
    same_place = np.abs(frac_to - frac_from) <= SAME_PLACE_FRACTION
    return np.where(same_place, 0.0, cost)


def direct_costs(
    pg: ProfileGraph,
    s_snap: Snapped,
    t_snap: Snapped,
    *,
    metric: Metric,
    from_sources: bool,
    s_leg: np.ndarray,
    t_leg: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source-to-target costs along a shared road, access legs included.

    Parameters
    ----------
    pg
        Profile graph.
    s_snap, t_snap
        Joins of the sources and targets.
    metric
        ``"seconds"`` or ``"metres"``.
    from_sources
        Travel from source to target (else from target to source).
    s_leg, t_leg
        Access-leg cost of each source and target.

    Returns
    -------
    tuple of numpy.ndarray
        ``(source_index, target_index, cost)`` for every pair on the same road.
    """
    si, ti = same_road_pairs(s_snap.road, t_snap.road)
    ok = s_snap.joined[si] & t_snap.joined[ti]
    si, ti = si[ok], ti[ok]
    road = t_snap.road[ti]
    fs, ft = s_snap.frac[si], t_snap.frac[ti]
    along = (
        along_same_road(pg, fs, ft, road, metric)
        if from_sources
        else along_same_road(pg, ft, fs, road, metric)
    )
    return si, ti, along + s_leg[si] + t_leg[ti]
