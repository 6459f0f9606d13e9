"""150 network isochrones on a 100,000-node road-like graph, against the previous builder and convex hulls.

Run with ``python -m benchmarks.isochrones`` (``make bench``). On the travel benchmark's
perturbed grid (:func:`benchmarks.travel.synthetic_graph`), 50 facilities on nodes, bands of 5,
10 and 15 minutes on foot, all in one process on the same engine:

- ``NetworkTravel.isochrones`` as it is (band built from the blocks the reached roads enclose,
  :mod:`analysis.travel.road_band`);
- the same call with the previous shape builder, kept below as the named baseline "per-shape
  union_all (previous)": every reached piece buffered, then one ``shapely.union_all`` per shape;
- the convex hull of the nodes reached within each band (the common quick method, which
  wrongly includes every place between reached roads).

Then larger shapes (10 facilities, 2/4/6 minutes by car), current against previous builder only.

Shapes are compared shape by shape: area ratio to the previous builder's, and the symmetric
difference. The same comparison runs on the real OpenStreetMap extract in ``tests/data``
(Kouvola, ODbL), where most edges carry their own curved geometry.

The last line printed is JSON. Timings are wall-clock on a shared machine: compare the ratios.
"""

from __future__ import annotations

import argparse
import json
import logging
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
from analysis.travel.model import Direction
from analysis.travel.profile_graph import ProfileGraph
from benchmarks.travel import synthetic_graph

#: The real extract the tests use, and a projected CRS for it (UTM 35N).
KOUVOLA = Path(__file__).resolve().parent.parent / "tests" / "data" / "osm" / "kouvola.osm.pbf"
KOUVOLA_CRS = "EPSG:32635"

BASELINE_NAME = "per-shape union_all (previous)"


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
) -> shapely.Geometry:
    """The previous shape builder, unchanged: buffer every reached piece, union them all.

    *edges* (a hint the current builder takes) is ignored: this one scans every edge, as it did.
    """
    del edges
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
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """(current s, previous s, current shapes, previous shapes) in the engine's CRS."""

    def current() -> np.ndarray:
        return engine.isochrones(xy, profile=profile, minutes=bands).to_crs(engine.crs).geometry.to_numpy()

    def previous() -> np.ndarray:
        with mock.patch.object(engine_module, "reach_shape", previous_reach_shape):
            return current()

    current()  # the profile is prepared once per graph, outside the timings
    new_s, new = _best(current, repeat)
    old_s, old = _best(previous, repeat)
    return new_s, old_s, new, old


def _hulls(engine: NetworkTravel, xy: np.ndarray, bands: list[float], profile: str) -> np.ndarray:
    """Convex hull of the nodes reached within each band of each source."""
    out = []
    for f in xy:
        node_min, _ = engine.node_minutes(f[None, :], profile=profile, cutoff_minutes=bands[-1])
        for band in bands:
            pts = engine.node_xy[node_min <= band]
            out.append(shapely.convex_hull(shapely.multipoints(pts)) if len(pts) else shapely.Point())
    return np.array(out, dtype=object)


def kouvola_figures(*, facilities: int, seed: int) -> dict[str, Any]:
    """Current against previous builder on the real extract (walk 5/10/15 and car 2/4/6 min)."""
    from analysis.network import graph_from_pbf

    engine = NetworkTravel.from_graph(graph_from_pbf(KOUVOLA), crs=KOUVOLA_CRS)
    rng = np.random.default_rng(seed)
    lo, hi = engine.node_xy.min(axis=0), engine.node_xy.max(axis=0)
    xy = rng.uniform(lo, hi, size=(facilities, 2))  # off the nodes: access legs and own roads too
    out: dict[str, Any] = {"kouvola_sources": facilities}
    for profile, bands in (("walk", [5.0, 10.0, 15.0]), ("car", [2.0, 4.0, 6.0])):
        new_s, old_s, new, old = _run_both(engine, xy, bands, profile, 1)
        cmp = _compare(new, old)
        print(
            f"Kouvola {profile} {bands}: {len(new)} shapes, current {new_s:.2f} s, previous {old_s:.2f} s; "
            f"area ratio {cmp['area_ratio_min']:.5f}..{cmp['area_ratio_max']:.5f}"
        )
        out[f"kouvola_{profile}_current_s"] = round(new_s, 3)
        out[f"kouvola_{profile}_previous_s"] = round(old_s, 3)
        out.update({f"kouvola_{profile}_{k}": round(v, 6) for k, v in cmp.items()})
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print a final JSON line.

    Parameters
    ----------
    argv
        Command-line arguments (``--cols``, ``--rows``, ``--facilities``, ``--repeat``,
        ``--car-facilities``, ``--seed``).

    Returns
    -------
    dict
        The JSON record.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cols", type=int, default=400)
    parser.add_argument("--rows", type=int, default=250)
    parser.add_argument("--facilities", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=2, help="Timed runs of each method (best kept).")
    parser.add_argument("--car-facilities", type=int, default=10, help="Facilities of the car bands.")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    G = synthetic_graph(args.cols, args.rows, seed=args.seed)  # noqa: N806
    engine = NetworkTravel.from_graph(G, network_source="synthetic benchmark grid")
    print(f"graph: {len(G):,} nodes, {G.number_of_edges():,} edges")
    rng = np.random.default_rng(args.seed + 1)
    kept = engine._profile("car").node_index  # the travel benchmark's facilities
    fac_xy = engine.node_xy[rng.choice(kept, size=args.facilities, replace=False)]
    bands = [5.0, 10.0, 15.0]

    new_s, old_s, new, old = _run_both(engine, fac_xy, bands, "walk", args.repeat)
    hull_s, hulls = _best(lambda: _hulls(engine, fac_xy, bands, "walk"), args.repeat)
    cmp = _compare(new, old)
    new_area, hull_area = float(shapely.area(new).sum()), float(shapely.area(hulls).sum())
    print(
        f"{len(new)} isochrones (walk, {bands} min): current {new_s:.2f} s, {BASELINE_NAME} {old_s:.2f} s "
        f"({old_s / new_s:.1f}x), convex hulls {hull_s:.2f} s; area current / previous "
        f"{cmp['area_ratio_total']:.6f} "
        f"(per shape {cmp['area_ratio_min']:.5f}..{cmp['area_ratio_max']:.5f}); "
        f"hulls cover {hull_area / new_area:.2f}x the area"
    )
    record: dict[str, Any] = {
        "benchmark": "isochrones",
        "nodes": len(G),
        "facilities": int(args.facilities),
        "isochrones": len(new),
        "profile": "walk",
        "bands_min": bands,
        "current_s": round(new_s, 3),
        "previous_s": round(old_s, 3),
        "previous_name": BASELINE_NAME,
        "speedup_vs_previous": round(old_s / new_s, 2),
        "convex_hull_s": round(hull_s, 3),
        "current_area_km2": round(new_area / 1e6, 3),
        "convex_hull_area_km2": round(hull_area / 1e6, 3),
        **{k: round(v, 6) for k, v in cmp.items()},
    }
    # larger shapes: the previous builder's work grows with the area reached, this one's mostly
    # with the band's edge
    car_bands = [2.0, 4.0, 6.0]
    car_xy = fac_xy[: args.car_facilities]
    car_new_s, car_old_s, car_new, car_old = _run_both(engine, car_xy, car_bands, "car", 1)
    car_cmp = _compare(car_new, car_old)
    print(
        f"{len(car_new)} isochrones (car, {car_bands} min): current {car_new_s:.2f} s, previous "
        f"{car_old_s:.2f} s ({car_old_s / car_new_s:.1f}x); area ratio "
        f"{car_cmp['area_ratio_min']:.5f}..{car_cmp['area_ratio_max']:.5f}"
    )
    record.update(
        {
            "car_isochrones": len(car_new),
            "car_bands_min": car_bands,
            "car_current_s": round(car_new_s, 3),
            "car_previous_s": round(car_old_s, 3),
            "car_speedup_vs_previous": round(car_old_s / car_new_s, 2),
            **{f"car_{k}": round(v, 6) for k, v in car_cmp.items()},
        }
    )
    record.update(kouvola_figures(facilities=12, seed=args.seed + 2))
    print(json.dumps(record))
    sys.stdout.flush()
    return record


if __name__ == "__main__":
    main()
