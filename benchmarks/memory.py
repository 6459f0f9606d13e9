"""Memory of the travel engine on generated road grids of growing size: does it grow linearly?

Run with ``python -m benchmarks.memory`` (``make bench``). For each size a perturbed road grid
(:func:`benchmarks.travel.synthetic_graph`) is made, and two fresh processes are measured by
their peak resident memory (``ru_maxrss``):

- *build*: make the networkx graph, prepare every profile and write the prepared store
  (what ``healthcircle network import`` and the first cold start do; the networkx graph is the
  largest part of it);
- *load + nearest*: read the store and answer one nearest-facility query by car for 100,000
  cells from 50 facilities, snapping included (what every later start and the server hold).

The baseline is the same process's memory right after ``import analysis.travel`` (the libraries
alone). The slope (MB per 100,000 nodes, least squares over the sizes) and the memory it implies
for a 1.6M-node graph are printed; the last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

#: Grid sizes measured by default (columns, rows): 100k, 400k and 1.6M nodes.
DEFAULT_SIZES = ((400, 250), (800, 500), (1600, 1000))
#: The graph size the target speaks of, nodes, and the target, MB.
TARGET_NODES = 1_600_000
TARGET_MB = 8192.0
STORE_KEY = "memory-benchmark"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _build(cols: int, rows: int, store: Path) -> dict[str, Any]:
    from analysis.travel import NetworkTravel
    from analysis.travel.store import write_store
    from benchmarks.travel import synthetic_graph

    base = _peak_mb()
    t0 = time.perf_counter()
    G = synthetic_graph(cols, rows)  # noqa: N806
    graph_mb = _peak_mb()
    model = NetworkTravel.from_graph(G, network_source="memory benchmark grid")
    nodes, edges = len(G), G.number_of_edges()
    del G
    profiles, unusable = model.prepare_all()
    model.release_graph_attributes()
    write_store(
        store,
        key=STORE_KEY,
        arrays=model._arrays,
        curved=model._curved,
        profiles=profiles,
        unusable=unusable,
        crs=model.crs,
        network_source=model.network_source,
    )
    return {
        "nodes": nodes,
        "edges": edges,
        "libraries_mb": base,
        "networkx_graph_peak_mb": graph_mb,
        "build_peak_mb": _peak_mb(),
        "build_s": time.perf_counter() - t0,
        "store_mb": store.stat().st_size / 1e6,
    }


def _load_and_nearest(store: Path, n_cells: int, n_facilities: int) -> dict[str, Any]:
    from analysis.travel import NetworkTravel
    from analysis.travel.store import read_store

    base = _peak_mb()
    t0 = time.perf_counter()
    prepared = read_store(store, key=STORE_KEY)
    assert prepared is not None
    model = NetworkTravel.from_prepared(prepared)
    load_s = time.perf_counter() - t0
    loaded_mb = _peak_mb()
    rng = np.random.default_rng(1)
    kept = model._profile("car").node_index
    xy = model.node_xy[kept]
    facilities = xy[rng.choice(len(kept), size=n_facilities, replace=False)]
    cells = rng.uniform(xy.min(axis=0), xy.max(axis=0), size=(n_cells, 2))
    t1 = time.perf_counter()
    result = model.nearest(facilities, cells, profile="car", cutoff_minutes=15.0)
    nearest_s = time.perf_counter() - t1
    return {
        "libraries_mb": base,
        "load_s": load_s,
        "loaded_peak_mb": loaded_mb,
        "nearest_s": nearest_s,
        "reached_share": float(np.isfinite(result.minutes).mean()),
        "load_and_nearest_peak_mb": _peak_mb(),
    }


def _child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", *args], check=True, capture_output=True, text=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _slope(nodes: list[int], mb: list[float]) -> tuple[float, float]:
    """Least-squares line mb = a + b * nodes: (b per 100k nodes, a)."""
    if len(nodes) < 2:
        return float("nan"), float("nan")
    b, a = np.polyfit(np.asarray(nodes, dtype=float), np.asarray(mb, dtype=float), 1)
    return float(b * 100_000), float(a)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark (or one measured child) and print a final JSON line.

    Parameters
    ----------
    argv
        ``--sizes 400x250,800x500`` (columns x rows of each grid), ``--cells``, ``--facilities``;
        ``--child build|load`` with ``--cols``/``--rows``/``--store`` runs one measured process.

    Returns
    -------
    dict
        The JSON record.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=",".join(f"{c}x{r}" for c, r in DEFAULT_SIZES))
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--facilities", type=int, default=50)
    parser.add_argument("--child", choices=("build", "load"))
    parser.add_argument("--cols", type=int)
    parser.add_argument("--rows", type=int)
    parser.add_argument("--store", type=Path)
    args = parser.parse_args(argv)
    if args.child == "build":
        record = _build(args.cols, args.rows, args.store)
        print(json.dumps(record))
        return record
    if args.child == "load":
        record = _load_and_nearest(args.store, args.cells, args.facilities)
        print(json.dumps(record))
        return record
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            cols, rows = (int(p) for p in size.lower().split("x"))
            store = Path(tmp) / f"grid-{cols}x{rows}.prepared.npz"
            built = _child(
                ["--child", "build", "--cols", str(cols), "--rows", str(rows), "--store", str(store)]
            )
            used = _child(
                [
                    "--child",
                    "load",
                    "--store",
                    str(store),
                    "--cells",
                    str(args.cells),
                    "--facilities",
                    str(args.facilities),
                ]
            )
            store.unlink()
            run = {**built, **{k: v for k, v in used.items() if k != "libraries_mb"}}
            runs.append(run)
            print(
                f"{run['nodes']:>9,} nodes: build peak {run['build_peak_mb']:.0f} MB "
                f"(networkx graph alone {run['networkx_graph_peak_mb']:.0f} MB, {run['build_s']:.0f} s), "
                f"store {run['store_mb']:.0f} MB; load + nearest peak "
                f"{run['load_and_nearest_peak_mb']:.0f} MB "
                f"(load {run['load_s']:.2f} s, nearest {run['nearest_s']:.2f} s; libraries "
                f"{run['libraries_mb']:.0f} MB)",
                flush=True,
            )
    nodes = [r["nodes"] for r in runs]
    build_slope, build_icpt = _slope(nodes, [r["build_peak_mb"] for r in runs])
    use_slope, use_icpt = _slope(nodes, [r["load_and_nearest_peak_mb"] for r in runs])
    record: dict[str, Any] = {
        "benchmark": "memory",
        "runs": [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()} for r in runs],
        "build_mb_per_100k_nodes": round(build_slope, 1),
        "load_and_nearest_mb_per_100k_nodes": round(use_slope, 1),
        "build_mb_at_1_6m_nodes": round(build_icpt + build_slope * TARGET_NODES / 100_000, 0),
        "load_and_nearest_mb_at_1_6m_nodes": round(use_icpt + use_slope * TARGET_NODES / 100_000, 0),
        "target_mb_at_1_6m_nodes": TARGET_MB,
        "largest_measured_nodes": max(nodes) if nodes else 0,
    }
    print(
        f"slope: build {build_slope:.0f} MB, load + nearest {use_slope:.0f} MB per 100k nodes; "
        f"at 1.6M nodes: build {record['build_mb_at_1_6m_nodes']:.0f} MB, load + nearest "
        f"{record['load_and_nearest_mb_at_1_6m_nodes']:.0f} MB (target {TARGET_MB:.0f} MB)"
    )
    print(json.dumps(record))
    sys.stdout.flush()
    return record


if __name__ == "__main__":
    main()
