"""The travel engine on a 100,000-node road-like graph, each figure against a fair baseline in the same run.

Run with ``python -m benchmarks.travel`` (``make bench``). The graph is a perturbed grid of
100,000 nodes with primary/secondary/residential classes and one-way residential streets; 50
facilities sit on nodes; 100,000 population cells are random points between the roads.

(a) Nearest facility of every cell by car within the cutoff: ``NetworkTravel.nearest``
    *including* joining every cell to its road (the engine's memory of joins is cleared before
    each timed run; the one-off build of the profile's index of road segments, at its first
    snap, is timed and printed on its own), against the practical floor — raw ``scipy.sparse.csgraph.dijkstra
    (min_only=True)`` from the facility nodes on the engine's own CSR matrix, with no snapping —
    and against ``networkx.multi_source_dijkstra_path_length`` and the osmnx-example method
    (``networkx.ego_graph`` per facility with radius = the cutoff, then the minimum), both on node
    times only. The three node-time methods must agree to 1e-6 s.
(b) The full 50 × N matrix (N = as many nodes as cells, targets on nodes) against scipy's
    Dijkstra from the same nodes (agreement to 1e-9 min).

The 150 isochrones (50 facilities × 5/10/15 min on foot) against the previous shape builder and
convex hulls are in :mod:`benchmarks.isochrones`.

The last line printed is JSON. Timings are wall-clock on a shared machine: compare the ratios.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
from typing import Any

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import dijkstra

from analysis.travel import NetworkTravel


def synthetic_graph(n_cols: int, n_rows: int, *, spacing_m: float = 100.0, seed: int = 0) -> nx.MultiDiGraph:
    """Perturbed grid with road classes and one-way streets, in EPSG:32650 metres.

    Parameters
    ----------
    n_cols, n_rows
        Grid size (nodes = n_cols * n_rows).
    spacing_m
        Grid spacing.
    seed
        Random seed.

    Returns
    -------
    networkx.MultiDiGraph
        osmnx-style graph: node ``x``/``y``; edge ``highway``, ``length``, ``oneway``.
    """
    rng = np.random.default_rng(seed)
    n = n_cols * n_rows
    grid_x, grid_y = np.meshgrid(np.arange(n_cols), np.arange(n_rows))
    ix, iy = grid_x.ravel(), grid_y.ravel()
    x = 650_000.0 + ix * spacing_m + rng.uniform(-0.3, 0.3, n) * spacing_m
    y = 2_730_000.0 + iy * spacing_m + rng.uniform(-0.3, 0.3, n) * spacing_m
    node = np.arange(n).reshape(n_rows, n_cols)
    # horizontal edges on row r get the class of row r, vertical ones of column c
    h_u, h_v = node[:, :-1].ravel(), node[:, 1:].ravel()
    v_u, v_v = node[:-1, :].ravel(), node[1:, :].ravel()
    h_line, v_line = iy[h_u], ix[v_u]

    def classes(line: np.ndarray) -> np.ndarray:
        return np.where(line % 10 == 0, "primary", np.where(line % 5 == 0, "secondary", "residential"))

    u = np.concatenate([h_u, v_u])
    v = np.concatenate([h_v, v_v])
    hw = np.concatenate([classes(h_line), classes(v_line)])
    # a few missing links make the grid less regular
    keep = rng.random(len(u)) > 0.05
    u, v, hw = u[keep], v[keep], hw[keep]
    length = np.hypot(x[u] - x[v], y[u] - y[v]) * rng.uniform(1.0, 1.15, len(u))  # slight bends
    oneway = (hw == "residential") & (rng.random(len(u)) < 0.2)
    flip = oneway & (rng.random(len(u)) < 0.5)
    u, v = np.where(flip, v, u), np.where(flip, u, v)
    G: nx.MultiDiGraph = nx.MultiDiGraph(crs="EPSG:32650")  # noqa: N806
    G.add_nodes_from((int(i), {"x": float(x[i]), "y": float(y[i])}) for i in range(n))
    for a, b, h, ln, ow in zip(
        u.tolist(), v.tolist(), hw.tolist(), length.tolist(), oneway.tolist(), strict=True
    ):
        G.add_edge(a, b, highway=h, length=ln, oneway=ow)
        if not ow:
            G.add_edge(b, a, highway=h, length=ln, oneway=ow)
    return G


def _best(fn: Any, repeat: int, before: Any = None) -> tuple[float, Any]:
    """Best wall-clock of *repeat* runs of *fn* (after *before* each time), and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        if before is not None:
            before()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print a final JSON line.

    Parameters
    ----------
    argv
        Command-line arguments (``--cols``, ``--rows``, ``--facilities``, ``--targets``, ``--cutoff-min``,
        ``--seed``).

    Returns
    -------
    dict
        The JSON record.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cols", type=int, default=400)
    parser.add_argument("--rows", type=int, default=250)
    parser.add_argument("--facilities", type=int, default=50)
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--cutoff-min", type=float, default=10.0, help="Cutoff of the searches, minutes.")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    t0 = time.perf_counter()
    G = synthetic_graph(args.cols, args.rows, seed=args.seed)  # noqa: N806
    print(
        f"graph: {len(G):,} nodes, {G.number_of_edges():,} edges ({time.perf_counter() - t0:.1f} s to build)"
    )
    t0 = time.perf_counter()
    engine = NetworkTravel.from_graph(G, network_source="synthetic benchmark grid")
    pg = engine._profile("car")
    build_s = time.perf_counter() - t0
    print(f"engine: profile car prepared in {build_s:.2f} s (once per graph and profile)")

    rng = np.random.default_rng(args.seed + 1)
    kept = pg.node_index
    node_xy = engine.node_xy
    fac_nodes = rng.choice(kept, size=args.facilities, replace=False)
    fac_xy = node_xy[fac_nodes]
    # population cells: random points between the roads, none on a node
    lo, hi = node_xy[kept].min(axis=0), node_xy[kept].max(axis=0)
    cells_xy = rng.uniform(lo, hi, size=(args.targets, 2))
    cutoff_s = args.cutoff_min * 60.0
    forget = engine._snaps.clear  # every timed engine run joins the cells to the roads afresh

    # (a) nearest facility of every cell, snapping included, against the raw floor; the first
    # snap of a profile builds its index of the roads' segments (once per graph and profile)
    t0 = time.perf_counter()
    segments = pg.topology.segments
    index_build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    engine.nearest(fac_xy, cells_xy, profile="car", cutoff_minutes=args.cutoff_min)
    first_nearest_s = time.perf_counter() - t0
    nearest_s, _ = _best(
        lambda: engine.nearest(fac_xy, cells_xy, profile="car", cutoff_minutes=args.cutoff_min), 5, forget
    )
    snap_s, _ = _best(lambda: engine.snap(cells_xy, profile="car"), 3, forget)
    raw_s, raw = _best(
        lambda: dijkstra(pg.forward, directed=True, indices=fac_nodes, min_only=True, limit=cutoff_s), 5
    )
    print(
        f"(a) engine nearest() for {args.targets:,} cells incl. snapping: {nearest_s:.4f} s "
        f"(snapping alone {snap_s:.4f} s); raw scipy min_only Dijkstra, no snapping: {raw_s:.4f} s "
        f"-> {nearest_s / raw_s:.1f}x the floor"
    )
    fallback = "built" if "_samples" in segments.__dict__ else "not needed"
    print(
        f"    once per profile: the roads' segment index built in {index_build_s:.3f} s "
        f"({segments.n_segments:,} segments, grid of {segments.grid.cell_m:.0f} m cells listing those within "
        f"{segments.grid.reach_m:.0f} m, {segments.grid.nbytes / 1e6:.1f} MB; k-d tree fallback {fallback}); "
        f"first nearest() after it {first_nearest_s:.4f} s"
    )
    D = nx.from_scipy_sparse_array(pg.forward, create_using=nx.DiGraph, edge_attribute="weight")  # noqa: N806
    sources = [int(f) for f in fac_nodes]
    t0 = time.perf_counter()
    nx_len = nx.multi_source_dijkstra_path_length(D, sources, weight="weight", cutoff=cutoff_s)
    networkx_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ego_min = np.full(len(node_xy), np.inf)
    for f in sources:
        ego = nx.ego_graph(D, f, radius=cutoff_s, distance="weight")
        lengths = nx.single_source_dijkstra_path_length(ego, f, weight="weight")
        idx = np.fromiter(lengths.keys(), dtype=np.int64)
        ego_min[idx] = np.minimum(ego_min[idx], np.fromiter(lengths.values(), dtype=float))
    ego_graph_s = time.perf_counter() - t0
    print(
        f"    networkx multi-source (cutoff): {networkx_s:.3f} s; ego graph per facility "
        f"(radius = cutoff) + minimum: {ego_graph_s:.2f} s (node times only, no snapping)"
    )
    nx_min = np.full(len(node_xy), np.inf)
    nx_min[np.fromiter(nx_len.keys(), dtype=np.int64)] = np.fromiter(nx_len.values(), dtype=float)
    reached = np.isfinite(raw)
    assert np.array_equal(reached, np.isfinite(nx_min)) and np.array_equal(reached, np.isfinite(ego_min))
    max_diff = float(
        max(np.max(np.abs(raw[reached] - nx_min[reached])), np.max(np.abs(raw[reached] - ego_min[reached])))
    )
    assert max_diff < 1e-6, f"node times differ by {max_diff} s"

    # (b) the full 50 x N matrix against scipy's from the same nodes
    n_matrix = min(args.targets, len(kept))
    target_idx = rng.choice(kept, size=n_matrix, replace=False)
    m_targets = node_xy[target_idx]
    engine.matrix(fac_xy, m_targets, profile="car")
    matrix_s, m = _best(lambda: engine.matrix(fac_xy, m_targets, profile="car"), 3, forget)
    scipy_m_s, sm = _best(lambda: dijkstra(pg.forward, directed=True, indices=fac_nodes)[:, target_idx], 3)
    matrix_diff = float(np.max(np.abs(m - sm / 60.0)[np.isfinite(sm)]))
    assert matrix_diff < 1e-9
    print(
        f"(b) {args.facilities} x {n_matrix:,} matrix (targets on nodes): engine {matrix_s:.3f} s, "
        f"scipy {scipy_m_s:.3f} s (max diff {matrix_diff:.1e} min)"
    )

    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    record = {
        "benchmark": "travel",
        "nodes": len(G),
        "nodes_in_car_graph": len(kept),
        "facilities": int(args.facilities),
        "cells": int(args.targets),
        "cutoff_min": args.cutoff_min,
        "engine_nearest_with_snapping_s": round(nearest_s, 4),
        "engine_snapping_s": round(snap_s, 4),
        "scipy_min_only_s": round(raw_s, 4),
        "nearest_over_scipy": round(nearest_s / raw_s, 2),
        "snap_index_build_s": round(index_build_s, 3),
        "snap_index_mb": round(segments.grid.nbytes / 1e6, 1),
        "snap_tree_fallback_built": fallback == "built",
        "engine_first_nearest_s": round(first_nearest_s, 4),
        "nearest_with_index_build_over_scipy": round((index_build_s + nearest_s) / raw_s, 1),
        "networkx_multi_source_s": round(networkx_s, 3),
        "ego_graph_s": round(ego_graph_s, 2),
        "speedup_vs_networkx": round(networkx_s / nearest_s, 1),
        "speedup_vs_ego_graph": round(ego_graph_s / nearest_s, 1),
        "matrix_targets": n_matrix,
        "engine_matrix_s": round(matrix_s, 3),
        "scipy_matrix_s": round(scipy_m_s, 3),
        "matrix_over_scipy": round(matrix_s / scipy_m_s, 2),
        "engine_build_s": round(build_s, 2),
        "process_max_rss_mb": round(max_rss_mb, 0),
    }
    print(json.dumps(record))
    sys.stdout.flush()
    return record


if __name__ == "__main__":
    main()
