"""Isochrone shapes: the road parts reached within a band, widened by a buffer.

A shape is every place within ``buffer_m`` of the road pieces reachable within the band (edges
cut where the band ends, from node times), the source's own road from where it joins, its access
leg and the source itself. A place far from every reached road is outside even if reached roads
surround it: these are not convex hulls. The pieces are found with array operations
(:func:`reach_pieces`); the band around them is built from the blocks they enclose
(:func:`analysis.travel.road_band.road_band`), not by one overlay per piece.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from analysis.travel.model import Direction
from analysis.travel.profile_graph import ProfileGraph
from analysis.travel.road_band import band_of_blocks, road_band
from analysis.travel.road_faces import RoadFaces
from analysis.travel.substrings import substrings

#: A source whose widest band reaches at least this share of the profile's edges has its shapes
#: grown from the network's blocks (found once per road topology, a noding and polygonisation
#: of every road); smaller ones find their own blocks, which costs them less than finding all.
#: The choice depends on the source alone, so the same request always gives the same polygons.
BLOCKS_MIN_EDGES_SHARE: float = 0.02


def network_blocks(pg: ProfileGraph, n_reached: int) -> RoadFaces | None:
    """The blocks of the profile's roads for a source reaching *n_reached* edges, or None.

    Parameters
    ----------
    pg
        Profile graph.
    n_reached
        Edges the source's widest band reaches.

    Returns
    -------
    RoadFaces or None
        The network's blocks (found on first use) when the source reaches at least
        :data:`BLOCKS_MIN_EDGES_SHARE` of the edges, else None.
    """
    topology = pg.topology
    if n_reached < BLOCKS_MIN_EDGES_SHARE * len(topology.edge_u):
        return None
    return topology.faces


def reached_edges(pg: ProfileGraph, node_s: np.ndarray, band_s: float, direction: Direction) -> np.ndarray:
    """Indices of the edges entered within *band_s*: from their start (``from_sources``) or,
    towards the source, left from their end (``to_sources``)."""
    ends = pg.edge_u if direction == "from_sources" else pg.edge_v
    return np.flatnonzero(node_s[ends] < band_s)


def _edge_pieces(
    pg: ProfileGraph,
    node_s: np.ndarray,
    band_s: float,
    direction: Direction,
    arrays: dict[str, Any],
    curved: np.ndarray,
    edges: np.ndarray | None = None,
) -> np.ndarray:
    """The graph edges' parts reached within *band_s*, as LineStrings (among *edges* if given:
    any superset of :func:`reached_edges`, in increasing order)."""
    x, y = arrays["x"], arrays["y"]
    idx = reached_edges(pg, node_s, band_s, direction) if edges is None else edges
    u, v, w = pg.edge_u[idx], pg.edge_v[idx], pg.edge_s[idx]
    if direction == "from_sources":
        # along u -> v from u: covered fraction [0, f]
        tu = node_s[u]
        ok = tu < band_s
        f = np.clip((band_s - tu[ok]) / w[ok], 0.0, 1.0)
        lo, hi = np.zeros_like(f), f
    else:
        # travel u -> v ends at the source via v: covered fraction [1 - f, 1]
        tv = node_s[v]
        ok = tv < band_s
        f = np.clip((band_s - tv[ok]) / w[ok], 0.0, 1.0)
        lo, hi = 1.0 - f, np.ones_like(f)
    eu, ev, w_ok = u[ok], v[ok], w[ok]
    geom_idx, rev = pg.edge_geom[idx][ok], pg.edge_reversed[idx][ok]
    # a street reached whole from both ends is drawn once
    full = (lo <= 0.0) & (hi >= 1.0)
    keep = ~full
    if full.any():
        key = np.column_stack([np.minimum(eu, ev), np.maximum(eu, ev), np.round(w_ok * 1000.0)])[full]
        _, first = np.unique(key, axis=0, return_index=True)
        keep[np.flatnonzero(full)[first]] = True
    eu, ev, lo, hi, geom_idx, rev = eu[keep], ev[keep], lo[keep], hi[keep], geom_idx[keep], rev[keep]
    is_curved = curved[geom_idx]
    # straight edges: the two cut points
    s = ~is_curved
    x0, y0, x1, y1 = x[eu[s]], y[eu[s]], x[ev[s]], y[ev[s]]
    ax, ay = x0 + lo[s] * (x1 - x0), y0 + lo[s] * (y1 - y0)
    bx, by = x0 + hi[s] * (x1 - x0), y0 + hi[s] * (y1 - y0)
    coords = np.stack([np.column_stack([ax, ay]), np.column_stack([bx, by])], axis=1)
    straight = np.asarray(shapely.linestrings(coords), dtype=object).reshape(-1)
    # curved edges: their own lines, oriented u -> v, cut where partly reached
    src = arrays["geometry"]
    sel = geom_idx[is_curved]
    lines = np.fromiter((src[int(i)] for i in sel), dtype=object, count=len(sel))
    flip = rev[is_curved]
    if flip.any():
        lines[flip] = shapely.reverse(lines[flip])
    c_lo, c_hi = lo[is_curved], hi[is_curved]
    part = (c_lo > 0.0) | (c_hi < 1.0)
    if part.any():
        lines[part] = substrings(lines[part], c_lo[part], c_hi[part])
    return np.concatenate([straight, lines])


def reach_pieces(
    pg: ProfileGraph,
    node_s: np.ndarray,
    band_s: float,
    direction: Direction,
    *,
    source_xy: np.ndarray,
    join_xy: np.ndarray,
    leg_s: float,
    road: int,
    road_frac: float,
    arrays: dict[str, Any],
    curved: np.ndarray,
    edges: np.ndarray | None = None,
) -> np.ndarray:
    """The road pieces within *band_s* seconds of one source, its access leg and the source.

    Parameters
    ----------
    pg
        Profile graph.
    node_s
        (n_nodes,) seconds from (``from_sources``) or to (``to_sources``) the source.
    band_s
        The band, seconds.
    direction
        ``"from_sources"`` or ``"to_sources"``.
    source_xy, join_xy
        The source and where it joins its road.
    leg_s
        Seconds of its access leg (``inf`` when it did not join).
    road, road_frac
        Its road (-1 when joined to a node) and position along it.
    arrays
        :func:`analysis.network.graph_arrays` of the graph (``x``, ``y``, ``geometry``).
    curved
        Per graph edge: whether it has its own geometry.
    edges
        Edges to look at: any superset of :func:`reached_edges` in increasing order (e.g. those of
        a wider band); default those of this band.

    Returns
    -------
    numpy.ndarray
        LineStrings (reached edge parts, the source's road and access leg) and the source's
        Point, in the graph's CRS.
    """
    edge_part = _edge_pieces(pg, node_s, band_s, direction, arrays, curved, edges)
    source_part = _source_pieces(
        pg,
        band_s,
        direction,
        source_xy=source_xy,
        join_xy=join_xy,
        leg_s=leg_s,
        road=road,
        road_frac=road_frac,
    )
    return np.concatenate([edge_part, source_part])


def _source_pieces(
    pg: ProfileGraph,
    band_s: float,
    direction: Direction,
    *,
    source_xy: np.ndarray,
    join_xy: np.ndarray,
    leg_s: float,
    road: int,
    road_frac: float,
) -> np.ndarray:
    """The source's access leg and own road within *band_s*, and the source's Point."""
    extra: list[shapely.Geometry] = []
    px, py = float(source_xy[0]), float(source_xy[1])
    jx, jy = float(join_xy[0]), float(join_xy[1])
    # the source's access leg to its road, cut at the band, and its own road from there
    if np.isfinite(leg_s) and leg_s > 0 and (jx, jy) != (px, py):
        frac = min(1.0, band_s / leg_s)
        extra.append(shapely.linestrings([[px, py], [px + frac * (jx - px), py + frac * (jy - py)]]))
    if road >= 0 and leg_s < band_s:
        rest = band_s - leg_s
        line = pg.topology.road_line(road)
        # travelling away from the source goes forward ahead of it; towards it, the reverse
        ahead_s, behind_s = (
            (pg.road_fwd_s[road], pg.road_back_s[road])
            if direction == "from_sources"
            else (pg.road_back_s[road], pg.road_fwd_s[road])
        )
        spans = []
        if np.isfinite(ahead_s):
            ahead = min(1.0, road_frac + rest / ahead_s)
            if ahead > road_frac:
                spans.append((road_frac, ahead))
        if np.isfinite(behind_s):
            behind = max(0.0, road_frac - rest / behind_s)
            if behind < road_frac:
                spans.append((behind, road_frac))
        if spans:
            a, b = np.array(spans).T
            extra.extend(substrings(np.full(len(spans), line, dtype=object), a, b).tolist())
    extra.append(shapely.Point(px, py))
    tail = np.empty(len(extra), dtype=object)
    tail[:] = extra
    return tail


def road_reach(
    pg: ProfileGraph, node_s: np.ndarray, band_s: float, direction: Direction, edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Which roads are reached along all their length within *band_s*, and the other reached edges.

    A road is reached whole when one of its edges is, or when the parts reached from its two
    ends meet (a street walked into from both ends).

    Parameters
    ----------
    pg, node_s, band_s, direction
        As for :func:`reach_pieces`.
    edges
        Any superset of :func:`reached_edges`, in increasing order.

    Returns
    -------
    tuple of numpy.ndarray
        ``(road_full, partial)``: (n_roads,) booleans, and the indices (increasing) of the
        reached edges along roads not reached whole.
    """
    topo = pg.topology
    ends = pg.edge_u if direction == "from_sources" else pg.edge_v
    idx = edges[node_s[ends[edges]] < band_s]
    f = np.clip((band_s - node_s[ends[idx]]) / pg.edge_s[idx], 0.0, 1.0)
    roads = topo.edge_road[idx]
    # from_sources an edge is reached from its start, to_sources from its end
    at_start = topo.edge_forward[idx] == (direction == "from_sources")
    n_roads = len(topo.road_u)
    from_start = np.zeros(n_roads)
    from_end = np.zeros(n_roads)
    np.maximum.at(from_start, roads[at_start], f[at_start])
    np.maximum.at(from_end, roads[~at_start], f[~at_start])
    road_full = from_start + from_end >= 1.0
    return road_full, idx[~road_full[roads]]


def road_lines(pg: ProfileGraph, roads: np.ndarray) -> np.ndarray:
    """The lines of the given roads, oriented start → end, all at once."""
    topo = pg.topology
    starts = topo.road_offsets[roads]
    counts = topo.road_offsets[roads + 1] - starts
    if len(roads) == 0:
        return np.empty(0, dtype=object)
    first = np.cumsum(counts) - counts
    pos = np.arange(int(counts.sum())) - np.repeat(first - starts, counts)
    owner = np.repeat(np.arange(len(roads)), counts)
    return np.asarray(shapely.linestrings(topo.road_coords[pos], indices=owner), dtype=object)


def reach_shape(
    pg: ProfileGraph,
    node_s: np.ndarray,
    band_s: float,
    direction: Direction,
    *,
    source_xy: np.ndarray,
    join_xy: np.ndarray,
    leg_s: float,
    road: int,
    road_frac: float,
    arrays: dict[str, Any],
    curved: np.ndarray,
    buffer_m: float,
    edges: np.ndarray | None = None,
    faces: RoadFaces | None = None,
) -> shapely.Geometry:
    """Every place within *buffer_m* of the road parts within *band_s* seconds of one source.

    Parameters
    ----------
    pg, node_s, band_s, direction, source_xy, join_xy, leg_s, road, road_frac, arrays, curved, edges
        As for :func:`reach_pieces`.
    buffer_m
        Half-width of the band around reached roads, metres (positive).
    faces
        The blocks of the profile's roads (:func:`network_blocks`): the shape is grown from
        those its reached roads close. Without them the reached pieces' own blocks are found
        for this shape alone (:func:`analysis.travel.road_band.road_band`). Same shape either way.

    Returns
    -------
    shapely.Geometry
        The shape, in the graph's CRS.
    """
    if edges is None:
        edges = reached_edges(pg, node_s, band_s, direction)
    if faces is None:
        pieces = reach_pieces(
            pg,
            node_s,
            band_s,
            direction,
            source_xy=source_xy,
            join_xy=join_xy,
            leg_s=leg_s,
            road=road,
            road_frac=road_frac,
            arrays=arrays,
            curved=curved,
            edges=edges,
        )
        return road_band(pieces, buffer_m)
    road_full, partial = road_reach(pg, node_s, band_s, direction, edges)
    full_roads = np.flatnonzero(road_full)
    full_faces = faces.full_faces(full_roads)
    # a road reached whole in the full faces' union adds nothing to them grown by the buffer
    loose_roads = full_roads[~faces.roads_in(full_roads, full_faces)]
    loose = np.concatenate(
        [
            road_lines(pg, loose_roads),
            _edge_pieces(pg, node_s, band_s, direction, arrays, curved, partial),
            _source_pieces(
                pg,
                band_s,
                direction,
                source_xy=source_xy,
                join_xy=join_xy,
                leg_s=leg_s,
                road=road,
                road_frac=road_frac,
            ),
        ]
    )
    return band_of_blocks(faces.faces[full_faces], loose, buffer_m)
