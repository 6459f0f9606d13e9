"""Isochrone shapes: the road parts reached within a band, widened by a buffer.

A shape is the union of the road pieces reachable within the band (edges cut where the band
ends, from node times), the source's own road from where it joins, and its access leg, each
widened by ``buffer_m``. A place far from every reached road is outside even if reached roads
surround it: these are not convex hulls.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
import shapely.ops

from analysis.travel.model import Direction
from analysis.travel.profile_graph import ProfileGraph


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
) -> shapely.Geometry:
    """Road parts within *band_s* seconds of one source, and its access leg, widened by *buffer_m*.

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
        :func:`analysis.network.graph_arrays` of the graph.
    curved
        Per graph edge: whether it has its own geometry.
    buffer_m
        Half-width of the band around reached roads, metres.

    Returns
    -------
    shapely.Geometry
        The shape, in the graph's CRS.
    """
    x, y = arrays["x"], arrays["y"]
    u, v, w = pg.edge_u, pg.edge_v, pg.edge_s
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
    geom_idx, rev = pg.edge_geom[ok], pg.edge_reversed[ok]
    # a street reached whole from both ends is drawn once
    full = (lo <= 0.0) & (hi >= 1.0)
    keep = ~full
    if full.any():
        key = np.column_stack([np.minimum(eu, ev), np.maximum(eu, ev), np.round(w_ok * 1000.0)])[full]
        _, first = np.unique(key, axis=0, return_index=True)
        keep[np.flatnonzero(full)[first]] = True
    eu, ev, lo, hi, geom_idx, rev = eu[keep], ev[keep], lo[keep], hi[keep], geom_idx[keep], rev[keep]
    geoms_src = arrays["geometry"]
    is_curved = curved[geom_idx]
    parts: list[shapely.Geometry] = []
    # straight edges, vectorised
    s = ~is_curved
    x0, y0, x1, y1 = x[eu[s]], y[eu[s]], x[ev[s]], y[ev[s]]
    ax, ay = x0 + lo[s] * (x1 - x0), y0 + lo[s] * (y1 - y0)
    bx, by = x0 + hi[s] * (x1 - x0), y0 + hi[s] * (y1 - y0)
    coords = np.stack([np.column_stack([ax, ay]), np.column_stack([bx, by])], axis=1)
    if len(coords):
        parts.extend(np.asarray(shapely.linestrings(coords), dtype=object).ravel().tolist())
    # curved edges: only their few partial ones need cutting
    for k in np.flatnonzero(is_curved):
        line = geoms_src[geom_idx[k]]
        if rev[k]:
            line = shapely.reverse(line)
        if lo[k] <= 0.0 and hi[k] >= 1.0:
            parts.append(line)
        else:
            parts.append(shapely.ops.substring(line, lo[k], hi[k], normalized=True))
    # the source's access leg to its road, cut at the band, and its own road from there
    px, py = float(source_xy[0]), float(source_xy[1])
    jx, jy = float(join_xy[0]), float(join_xy[1])
    if np.isfinite(leg_s) and leg_s > 0 and (jx, jy) != (px, py):
        frac = min(1.0, band_s / leg_s)
        parts.append(shapely.linestrings([[px, py], [px + frac * (jx - px), py + frac * (jy - py)]]))
    if road >= 0 and leg_s < band_s:
        rest = band_s - leg_s
        line = pg.topology.road_line(road)
        # travelling away from the source goes forward ahead of it; towards it, the reverse
        ahead_s, behind_s = (
            (pg.road_fwd_s[road], pg.road_back_s[road])
            if direction == "from_sources"
            else (pg.road_back_s[road], pg.road_fwd_s[road])
        )
        if np.isfinite(ahead_s):
            ahead = min(1.0, road_frac + rest / ahead_s)
            if ahead > road_frac:
                parts.append(shapely.ops.substring(line, road_frac, ahead, normalized=True))
        if np.isfinite(behind_s):
            behind = max(0.0, road_frac - rest / behind_s)
            if behind < road_frac:
                parts.append(shapely.ops.substring(line, behind, road_frac, normalized=True))
    parts.append(shapely.Point(px, py))
    # buffering each part and unioning is ~15x faster in GEOS than buffering one
    # MultiLineString of thousands of overlapping streets
    pieces = shapely.buffer(np.array(parts, dtype=object), buffer_m, quad_segs=4)
    return shapely.union_all(pieces)
