"""Nearest-facility travel times on a road-like graph: this engine against two networkx baselines.

Run with ``python -m benchmarks.travel`` (``make bench``). The graph is a perturbed grid of
100,000 nodes with primary/secondary/residential classes, one-way residential streets and
50 facilities placed on nodes. All three methods run on the same weighted directed graph (the
engine's car profile after its strongly-connected-component filter) and must agree to 1e-6 min:

(a) ``NetworkTravel.nearest`` — one multi-source Dijkstra in compiled code (scipy.sparse.csgraph),
    including snapping every node with a KD-tree;
(b) ``networkx.multi_source_dijkstra_path_length``;
(c) the osmnx-example method: ``networkx.ego_graph`` per facility (radius in seconds), shortest
    paths inside each ego graph, then the minimum over facilities.

The last line printed is JSON with the timings, speed-ups and peak memory.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
import tracemalloc
from typing import Any

import networkx as nx
import numpy as np

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


def _peak_mb(fn: Any) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print a final JSON line.

    Parameters
    ----------
    argv
        Command-line arguments (``--nodes``, ``--facilities``, ``--ego-radius-min``, ``--seed``).

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
        "--ego-radius-min",
        type=float,
        default=None,
        help="Radius of each ego graph in minutes (default: none, i.e. whole graph).",
    )
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
    print(f"engine: CSR matrix for profile car built in {build_s:.2f} s (once per graph and profile)")

    rng = np.random.default_rng(args.seed + 1)
    kept = pg.node_index
    fac_nodes = rng.choice(kept, size=args.facilities, replace=False)
    node_xy = engine.node_xy
    targets_xy = node_xy[kept]
    fac_xy = node_xy[fac_nodes]

    # (a) this engine, best of 5 after one warm-up: node_minutes() is the nearest-facility time of
    # every node (one multi-source Dijkstra); nearest() adds KD-tree snapping of every target point
    engine.node_minutes(fac_xy, profile="car")
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        node_min, _ = engine.node_minutes(fac_xy, profile="car")
        runs.append(time.perf_counter() - t0)
    engine_s = min(runs)
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        res = engine.nearest(fac_xy, targets_xy, profile="car")
        runs.append(time.perf_counter() - t0)
    nearest_s = min(runs)
    print(f"(a) engine node_minutes(): {engine_s:.4f} s (best of 5)")
    print(f"    engine nearest() incl. snapping {len(kept):,} target points: {nearest_s:.4f} s (best of 5)")

    # the very same weighted graph for networkx (seconds, parallel edges reduced to the fastest)
    D = nx.from_scipy_sparse_array(pg.forward, create_using=nx.DiGraph, edge_attribute="weight")  # noqa: N806
    sources = [int(f) for f in fac_nodes]

    # (b) networkx multi-source Dijkstra
    t0 = time.perf_counter()
    nx_len = nx.multi_source_dijkstra_path_length(D, sources, weight="weight")
    networkx_s = time.perf_counter() - t0
    nx_min = np.full(len(node_xy), np.inf)
    nx_min[np.fromiter(nx_len.keys(), dtype=np.int64)] = np.fromiter(nx_len.values(), dtype=float) / 60.0
    print(f"(b) networkx.multi_source_dijkstra_path_length: {networkx_s:.3f} s")

    # (c) ego graph per facility, then minimum
    radius_s = None if args.ego_radius_min is None else args.ego_radius_min * 60.0
    ego_min = np.full(len(node_xy), np.inf)
    t0 = time.perf_counter()
    for f in sources:
        ego = nx.ego_graph(D, f, radius=radius_s if radius_s is not None else float("inf"), distance="weight")
        lengths = nx.single_source_dijkstra_path_length(ego, f, weight="weight")
        idx = np.fromiter(lengths.keys(), dtype=np.int64)
        ego_min[idx] = np.minimum(ego_min[idx], np.fromiter(lengths.values(), dtype=float) / 60.0)
    ego_graph_s = time.perf_counter() - t0
    note = "whole graph" if radius_s is None else f"radius {args.ego_radius_min} min"
    print(f"(c) ego_graph per facility ({note}) + minimum: {ego_graph_s:.2f} s")

    # agreement (ego graphs with a radius only see nodes within it)
    a = res.minutes
    b = nx_min[kept]
    c = ego_min[kept]
    assert np.array_equal(np.isinf(a), np.isinf(b)), "engine and networkx disagree on reachability"
    finite = np.isfinite(a)
    max_diff_nx = float(np.max(np.abs(a[finite] - b[finite])))
    within = np.isfinite(c)
    max_diff_ego = float(np.max(np.abs(a[within] - c[within])))
    max_diff_nodes = float(np.max(np.abs(node_min[kept][finite] - a[finite])))
    assert max_diff_nx < 1e-6, f"engine vs networkx differ by {max_diff_nx} min"
    assert max_diff_ego < 1e-6, f"engine vs ego graphs differ by {max_diff_ego} min"
    assert max_diff_nodes < 1e-6
    if radius_s is not None:
        assert np.all(a[~within] > args.ego_radius_min - 1e-9)
    print(
        f"agreement: max |engine - networkx| = {max_diff_nx:.2e} min, "
        f"max |engine - ego graphs| = {max_diff_ego:.2e} min over {int(within.sum()):,} nodes"
    )

    engine_peak_mb = _peak_mb(lambda: engine.node_minutes(fac_xy, profile="car"))
    nearest_peak_mb = _peak_mb(lambda: engine.nearest(fac_xy, targets_xy, profile="car"))
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(
        f"memory: engine call peak {engine_peak_mb:.1f} MB (tracemalloc); process max RSS {max_rss_mb:.0f} MB"
    )

    record = {
        "nodes": len(G),
        "nodes_in_car_graph": len(kept),
        "facilities": int(args.facilities),
        "engine_s": round(engine_s, 4),
        "networkx_s": round(networkx_s, 3),
        "ego_graph_s": round(ego_graph_s, 2),
        "speedup_vs_networkx": round(networkx_s / engine_s, 1),
        "speedup_vs_ego_graph": round(ego_graph_s / engine_s, 1),
        "peak_memory_mb": round(engine_peak_mb, 1),
        "nearest_peak_memory_mb": round(nearest_peak_mb, 1),
        "process_max_rss_mb": round(max_rss_mb, 0),
        "engine_build_s": round(build_s, 2),
        "engine_nearest_with_snapping_s": round(nearest_s, 4),
        "ego_graph_radius": note,
    }
    print(json.dumps(record))
    sys.stdout.flush()
    return record


if __name__ == "__main__":
    main()
