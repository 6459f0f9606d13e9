"""150 network isochrones on a 100,000-node road-like graph, by car and on foot, against older ways.

Run with ``python -m benchmarks.isochrones`` (``make bench``). On the travel benchmark's
perturbed grid (:func:`benchmarks.travel.synthetic_graph`), 50 facilities on nodes, bands of 5,
10 and 15 minutes (150 shapes) by car and again on foot, all in one process on the same engine:

- ``NetworkTravel.isochrones`` as it is: the network's blocks found once per road topology
  (:mod:`analysis.travel.road_faces`), each shape grown from the blocks its reached roads close
  (:mod:`analysis.travel.road_band`). Its first call, which finds the blocks, is timed apart,
  and so is finding the blocks alone;
- the same call with the builder of commit 35196f3, kept below unchanged as the named baseline
  "per-shape union_all": every reached piece buffered, then one ``shapely.union_all`` per shape.
  It is timed on all 150 shapes of each mode, however long that takes;
- the convex hull of the nodes reached within each band (the common quick method, which
  wrongly includes every place between reached roads).

Shapes are compared shape by shape: area ratio to the previous builder's, and the symmetric
difference. The same comparison runs on the real OpenStreetMap extract in ``tests/data``
(Kouvola, ODbL), where most edges carry their own curved geometry and bridges cross roads.

The last line printed is JSON. Timings are wall-clock on a shared machine (the load is printed):
compare the ratios, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import shapely
import shapely.ops

import analysis.travel.engine as engine_module
from analysis.travel import NetworkTravel
from analysis.travel.isochrone_shapes import BLOCKS_MIN_EDGES_SHARE
from analysis.travel.model import Direction
from analysis.travel.profile_graph import ProfileGraph
from analysis.travel.road_faces import RoadFaces
from benchmarks.travel import synthetic_graph

#: The real extract the tests use, and a projected CRS for it (UTM 35N).
KOUVOLA = Path(__file__).resolve().parent.parent / "tests" / "data" / "osm" / "kouvola.osm.pbf"
KOUVOLA_CRS = "EPSG:32635"

BASELINE_NAME = "per-shape union_all (the builder of commit 35196f3)"
#: The bands of every comparison, minutes.
BANDS = [5.0, 10.0, 15.0]


def previous_reach_shape(
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
    faces: Any = None,
) -> shapely.Geometry:
    """The previous shape builder, unchanged: buffer every reached piece, union them all.

    *edges* and *faces* (hints the current builder takes) are ignored: this one scans every
    edge and finds no blocks, as it did.
    """
    del edges, faces
    x, y = arrays["x"], arrays["y"]
    u, v, w = pg.edge_u, pg.edge_v, pg.edge_s
    if direction == "from_sources":
        tu = node_s[u]
        ok = tu < band_s
        f = np.clip((band_s - tu[ok]) / w[ok], 0.0, 1.0)
        lo, hi = np.zeros_like(f), f
    else:
        tv = node_s[v]
        ok = tv < band_s
        f = np.clip((band_s - tv[ok]) / w[ok], 0.0, 1.0)
        lo, hi = 1.0 - f, np.ones_like(f)
    eu, ev, w_ok = u[ok], v[ok], w[ok]
    geom_idx, rev = pg.edge_geom[ok], pg.edge_reversed[ok]
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
    s = ~is_curved
    x0, y0, x1, y1 = x[eu[s]], y[eu[s]], x[ev[s]], y[ev[s]]
    ax, ay = x0 + lo[s] * (x1 - x0), y0 + lo[s] * (y1 - y0)
    bx, by = x0 + hi[s] * (x1 - x0), y0 + hi[s] * (y1 - y0)
    coords = np.stack([np.column_stack([ax, ay]), np.column_stack([bx, by])], axis=1)
    if len(coords):
        parts.extend(np.asarray(shapely.linestrings(coords), dtype=object).ravel().tolist())
    for k in np.flatnonzero(is_curved):
        line = geoms_src[geom_idx[k]]
        if rev[k]:
            line = shapely.reverse(line)
        if lo[k] <= 0.0 and hi[k] >= 1.0:
            parts.append(line)
        else:
            parts.append(shapely.ops.substring(line, lo[k], hi[k], normalized=True))
    px, py = float(source_xy[0]), float(source_xy[1])
    jx, jy = float(join_xy[0]), float(join_xy[1])
    if np.isfinite(leg_s) and leg_s > 0 and (jx, jy) != (px, py):
        frac = min(1.0, band_s / leg_s)
        parts.append(shapely.linestrings([[px, py], [px + frac * (jx - px), py + frac * (jy - py)]]))
    if road >= 0 and leg_s < band_s:
        rest = band_s - leg_s
        line = pg.topology.road_line(road)
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
    pieces = shapely.buffer(np.array(parts, dtype=object), buffer_m, quad_segs=4)
    return shapely.union_all(pieces)


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall-clock of *repeat* runs of *fn*, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _compare(new: np.ndarray, old: np.ndarray) -> dict[str, float]:
    """Area ratios and symmetric difference of two equal-length arrays of shapes."""
    a_new, a_old = shapely.area(new), shapely.area(old)
    sym = shapely.area(shapely.symmetric_difference(new, old))
    return {
        "area_ratio_total": float(a_new.sum() / a_old.sum()),
        "area_ratio_min": float((a_new / a_old).min()),
        "area_ratio_max": float((a_new / a_old).max()),
        "symmetric_difference_max_share": float((sym / a_old).max()),
    }


def _run_both(
    engine: NetworkTravel, xy: np.ndarray, bands: list[float], profile: str, repeat: int
) -> dict[str, Any]:
    """Current builder (its first call, and the best of *repeat* later ones) and previous builder.

    The profile graph is prepared before any timing (both builders need it). The current
    builder's first call also finds the network's blocks (once per road topology), so it is timed
    on its own: what a first request pays. The blocks are then found once more, timed alone.
    """

    def current() -> np.ndarray:
        return engine.isochrones(xy, profile=profile, minutes=bands).to_crs(engine.crs).geometry.to_numpy()

    def previous() -> np.ndarray:
        with mock.patch.object(engine_module, "reach_shape", previous_reach_shape):
            return current()

    def with_blocks() -> np.ndarray:
        with mock.patch.object(engine_module, "network_blocks", lambda pg, reached: pg.topology.faces):
            return current()

    topology = engine._profile(profile).topology
    first_s, new = _best(current, 1)
    faces_s, faces = _best(lambda: RoadFaces.from_roads(topology.road_coords, topology.road_offsets), 1)
    new_s, new = _best(current, repeat)
    old_s, old = _best(previous, repeat)
    out = {
        "first_s": first_s,
        "faces_s": faces_s,
        "faces": len(faces.faces),
        "blocks_found": topology.found_faces() is not None,
        "current_s": new_s,
        "previous_s": old_s,
        "new": new,
        "old": old,
    }
    if not out["blocks_found"]:
        # the shapes were too small to use the network's blocks: time them also forced to (what
        # a lower BLOCKS_MIN_EDGES_SHARE would give once the blocks are found)
        with_blocks()
        out["with_blocks_s"], out["with_blocks"] = _best(with_blocks, repeat)
    return out


def _hulls(engine: NetworkTravel, xy: np.ndarray, bands: list[float], profile: str) -> np.ndarray:
    """Convex hull of the nodes reached within each band of each source."""
    out = []
    for f in xy:
        node_min, _ = engine.node_minutes(f[None, :], profile=profile, cutoff_minutes=bands[-1])
        for band in bands:
            pts = engine.node_xy[node_min <= band]
            out.append(shapely.convex_hull(shapely.multipoints(pts)) if len(pts) else shapely.Point())
    return np.array(out, dtype=object)


def _figures(prefix: str, run: dict[str, Any]) -> dict[str, Any]:
    """The JSON fields of one comparison, named with *prefix*."""
    cmp = _compare(run["new"], run["old"])
    out: dict[str, Any] = {
        f"{prefix}isochrones": len(run["new"]),
        f"{prefix}current_s": round(run["current_s"], 3),
        f"{prefix}current_first_call_s": round(run["first_s"], 3),
        f"{prefix}blocks_s": round(run["faces_s"], 3),
        f"{prefix}blocks": run["faces"],
        f"{prefix}network_blocks_used": bool(run["blocks_found"]),
        f"{prefix}previous_s": round(run["previous_s"], 3),
        f"{prefix}speedup_vs_previous": round(run["previous_s"] / run["current_s"], 2),
        f"{prefix}speedup_first_call_vs_previous": round(run["previous_s"] / run["first_s"], 2),
        **{f"{prefix}{k}": round(v, 6) for k, v in cmp.items()},
    }
    if "with_blocks_s" in run:
        wb = _compare(run["with_blocks"], run["old"])
        out[f"{prefix}with_network_blocks_s"] = round(run["with_blocks_s"], 3)
        speedup = run["previous_s"] / run["with_blocks_s"]
        out[f"{prefix}with_network_blocks_speedup_vs_previous"] = round(speedup, 2)
        out.update({f"{prefix}with_network_blocks_{k}": round(v, 6) for k, v in wb.items()})
    return out


def _line(label: str, run: dict[str, Any]) -> str:
    """The printed lines of a comparison."""
    cmp = _compare(run["new"], run["old"])
    blocks = (
        f"the network's {run['faces']:,} blocks found in the first call, alone {run['faces_s']:.2f} s"
        if run["blocks_found"]
        else f"each shape's own blocks: no source reaches {BLOCKS_MIN_EDGES_SHARE:.0%} of the edges, "
        f"the share that has the network's {run['faces']:,} found ({run['faces_s']:.2f} s)"
    )
    text = (
        f"{label}: {len(run['new'])} shapes, current {run['current_s']:.2f} s "
        f"(first call {run['first_s']:.2f} s; {blocks}), {BASELINE_NAME} {run['previous_s']:.2f} s: "
        f"{run['previous_s'] / run['current_s']:.1f}x ({run['previous_s'] / run['first_s']:.1f}x with the "
        f"first call); area current / previous {cmp['area_ratio_total']:.6f} (per shape "
        f"{cmp['area_ratio_min']:.5f}..{cmp['area_ratio_max']:.5f}, symmetric difference at most "
        f"{cmp['symmetric_difference_max_share']:.2e} of a shape)"
    )
    if "with_blocks_s" in run:
        wb = _compare(run["with_blocks"], run["old"])
        text += (
            f"\n  with the network's blocks found beforehand: {run['with_blocks_s']:.2f} s, "
            f"{run['previous_s'] / run['with_blocks_s']:.1f}x; area ratio per shape "
            f"{wb['area_ratio_min']:.5f}..{wb['area_ratio_max']:.5f}"
        )
    return text


def kouvola_figures(*, facilities: int, seed: int) -> dict[str, Any]:
    """Current against previous builder on the real extract (walk 5/10/15 and car 5/10/15 min)."""
    from analysis.network import graph_from_pbf

    engine = NetworkTravel.from_graph(graph_from_pbf(KOUVOLA), crs=KOUVOLA_CRS)
    rng = np.random.default_rng(seed)
    lo, hi = engine.node_xy.min(axis=0), engine.node_xy.max(axis=0)
    xy = rng.uniform(lo, hi, size=(facilities, 2))  # off the nodes: access legs and own roads too
    out: dict[str, Any] = {"kouvola_sources": facilities}
    for profile in ("walk", "car"):
        run = _run_both(engine, xy, BANDS, profile, 1)
        print(_line(f"Kouvola (real OpenStreetMap extract) {profile} {BANDS} min", run))
        out.update(_figures(f"kouvola_{profile}_", run))
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print a final JSON line.

    Parameters
    ----------
    argv
        Command-line arguments (``--cols``, ``--rows``, ``--facilities``, ``--repeat``, ``--seed``).

    Returns
    -------
    dict
        The JSON record.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cols", type=int, default=400)
    parser.add_argument("--rows", type=int, default=250)
    parser.add_argument("--facilities", type=int, default=50)
    parser.add_argument(
        "--repeat", type=int, default=2, help="Timed runs of each method on foot (best kept; by car one)."
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    G = synthetic_graph(args.cols, args.rows, seed=args.seed)  # noqa: N806
    engine = NetworkTravel.from_graph(G, network_source="synthetic benchmark grid")
    print(f"graph: {len(G):,} nodes, {G.number_of_edges():,} edges; machine load {os.getloadavg()[0]:.1f}")
    rng = np.random.default_rng(args.seed + 1)
    kept = engine._profile("car").node_index  # the travel benchmark's facilities
    fac_xy = engine.node_xy[rng.choice(kept, size=args.facilities, replace=False)]
    record: dict[str, Any] = {
        "benchmark": "isochrones",
        "nodes": len(G),
        "facilities": int(args.facilities),
        "bands_min": BANDS,
        "previous_name": BASELINE_NAME,
    }
    for profile, label, repeat in (("car", "by car", 1), ("walk", "on foot", args.repeat)):
        run = _run_both(engine, fac_xy, BANDS, profile, repeat)
        hull_s, hulls = _best(lambda p=profile: _hulls(engine, fac_xy, BANDS, p), 1)
        new_area, hull_area = float(shapely.area(run["new"]).sum()), float(shapely.area(hulls).sum())
        print(_line(f"{args.facilities} facilities x {BANDS} min {label}", run))
        print(f"  convex hulls of the reached nodes {hull_s:.2f} s, {hull_area / new_area:.2f}x the area")
        record.update(_figures(f"{profile}_", run))
        record[f"{profile}_convex_hull_s"] = round(hull_s, 3)
        record[f"{profile}_current_area_km2"] = round(new_area / 1e6, 3)
        record[f"{profile}_convex_hull_area_km2"] = round(hull_area / 1e6, 3)
    record["machine_load_1min"] = round(os.getloadavg()[0], 2)
    record.update(kouvola_figures(facilities=12, seed=args.seed + 2))
    print(json.dumps(record))
    sys.stdout.flush()
    return record


if __name__ == "__main__":
    main()
