"""A county-sized road graph end to end: cold report, warm coverage, a new threshold, the server.

Run with ``python -m benchmarks.county`` (``make bench``). The graph is generated: a 57 m grid over
the Jinjiang outline (about 220,000 nodes), primary streets every 17th row, secondary every 17th
column, residential streets elsewhere (every fifth row one-way), written as GraphML the way
``healthcircle network fetch`` writes a real county. It is generated once into the system's temp
folder and reused (it is test data, not a county's roads). The default data (facilities, towns,
population) is Jinjiang's.

Measured, each against its baseline in the same run:

- cold ``healthcircle report`` in a fresh process: the first run reads the GraphML and writes
  the prepared store next to it; the next cold run reads the store (the everyday start);
- warm ``run_coverage`` (engine loaded, travel not yet asked) against its raw floor on a second
  engine of the same store: every point set joined to the roads once per profile, plus one raw
  ``scipy.sparse.csgraph.dijkstra(min_only=True)`` per distinct (profile, facility subset) the run
  asked; the accessibility measure's (facility × cell) matrix is timed apart;
- a run that only changes ``minutes`` / ``dispatch_minutes`` / a target, in the same process
  (travel and the parts no threshold changes are remembered);
- ``healthcircle serve`` with worker processes: start-up until ``/healthz`` answers, the first
  coverage request, requests that change only a threshold (each landing on whichever worker is
  free, which reads the travel answers the others wrote to the shared folder), a cached request,
  and the RSS of the server and of its workers afterwards.

The last line printed is JSON. Timings are wall-clock on a shared machine: compare ratios.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import shapely

#: Grid spacing of the generated county graph, metres.
SPACING_M = 57.0
ROOT = Path(__file__).resolve().parent.parent


def _outline() -> Any:
    from analysis import settings
    from analysis.datasets import DATA_DIR, load_boundary

    return load_boundary(DATA_DIR / "boundary.geojson").to_crs(settings.WORKING_CRS).geometry.union_all()


def write_county_graphml(path: Path, *, spacing_m: float = SPACING_M) -> tuple[int, int]:
    """Write the generated grid over the county outline as osmnx GraphML (gzipped).

    Parameters
    ----------
    path
        Target ``.graphml.gz``.
    spacing_m
        Grid spacing.

    Returns
    -------
    tuple of int
        Nodes and directed edges written.
    """
    from analysis import settings

    outline = _outline()
    minx, miny, maxx, maxy = outline.bounds
    xs = np.arange(minx, maxx, spacing_m)
    ys = np.arange(miny, maxy, spacing_m)
    gx, gy = np.meshgrid(xs, ys)
    inside = shapely.contains_xy(outline, gx, gy)
    ids = np.full(gx.shape, -1, dtype=np.int64)
    ids[inside] = np.arange(int(inside.sum())) + 1
    rows, cols = np.indices(gx.shape)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
    ]
    for key, owner, name in (
        ("d0", "graph", "crs"),
        ("d1", "node", "x"),
        ("d2", "node", "y"),
        ("d3", "edge", "highway"),
        ("d4", "edge", "length"),
        ("d5", "edge", "oneway"),
    ):
        lines.append(f'<key id="{key}" for="{owner}" attr.name="{name}" attr.type="string" />')
    lines.append('<graph edgedefault="directed">')
    nx_, ny_ = gx[inside], gy[inside]
    lines.extend(
        f'<node id="{i}"><data key="d1">{x:.2f}</data><data key="d2">{y:.2f}</data></node>'
        for i, x, y in zip(ids[inside].tolist(), nx_.tolist(), ny_.tolist(), strict=True)
    )
    n_edges = 0
    for du, dv in ((0, 1), (1, 0)):
        a = ids[: ids.shape[0] - du, : ids.shape[1] - dv]
        b = ids[du:, dv:]
        ok = (a > 0) & (b > 0)
        r = rows[: ids.shape[0] - du, : ids.shape[1] - dv][ok]
        c = cols[: ids.shape[0] - du, : ids.shape[1] - dv][ok]
        highway = np.where(
            (du == 0) & (r % 17 == 0),
            "primary",
            np.where((du == 1) & (c % 17 == 0), "secondary", "residential"),
        )
        oneway = (highway == "residential") & (du == 0) & (r % 5 == 2)
        for u, v, hw, ow in zip(
            a[ok].tolist(), b[ok].tolist(), highway.tolist(), oneway.tolist(), strict=True
        ):
            flag = "True" if ow else "False"
            lines.append(
                f'<edge source="{u}" target="{v}" id="0"><data key="d3">{hw}</data>'
                f'<data key="d4">{spacing_m}</data><data key="d5">{flag}</data></edge>'
            )
            n_edges += 1
            if not ow:
                lines.append(
                    f'<edge source="{v}" target="{u}" id="0"><data key="d3">{hw}</data>'
                    f'<data key="d4">{spacing_m}</data><data key="d5">False</data></edge>'
                )
                n_edges += 1
    lines.append(f'<data key="d0">{settings.WORKING_CRS}</data>')
    lines.append("</graph></graphml>")
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=3) as fh:
        fh.write("\n".join(lines))
    return int(inside.sum()), n_edges


def _timed_run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall-clock seconds and peak resident memory (MB) of one fresh process running *cmd*."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return seconds, usage.ru_maxrss / 1024.0


def cold_reports(graph: Path, out_dir: Path) -> dict[str, float]:
    """``healthcircle report`` in fresh processes, building the store, then using it: seconds and peak MB."""
    from analysis.travel.store import store_path

    store_path(graph).unlink(missing_ok=True)
    exe = str(Path(sys.executable).with_name("healthcircle"))
    cmd = [exe, "report", "--network", str(graph), "--out", str(out_dir / "report.json")]
    first_s, first_mb = _timed_run(cmd)
    second_s, second_mb = _timed_run(cmd)
    return {
        "cold_report_building_store_s": first_s,
        "cold_report_building_store_peak_mb": first_mb,
        "cold_report_s": second_s,
        "cold_report_peak_mb": second_mb,
    }


class _Timed:
    """Wraps a travel model, adds up the seconds spent in its travel calls and records the questions."""

    def __init__(self, travel: Any) -> None:
        self._travel = travel
        self.seconds = 0.0
        self.questions: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.network_source = travel.network_source
        self.crs = travel.crs
        self.snap_distance_m = self._wrap("snap_distance_m", travel.snap_distance_m)
        self.matrix = self._wrap("matrix", travel.matrix)
        self.nearest = self._wrap("nearest", travel.nearest)
        self.nearest_distance_m = self._wrap("nearest_distance_m", travel.nearest_distance_m)
        if hasattr(travel, "nearest_minutes"):
            self.nearest_minutes = self._wrap("nearest_minutes", travel.nearest_minutes)

    def _wrap(self, name: str, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.questions.append((name, args, kwargs))
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0

        return timed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._travel, name)


def raw_floor(model: Any, questions: list[tuple[str, tuple[Any, ...], dict[str, Any]]]) -> dict[str, float]:
    """Seconds of the least travel work a run needs, on an engine that has answered nothing yet.

    Every point set the run asked about is joined to the roads once per profile (the engine's
    snapping), and every distinct nearest-facility question is one raw
    ``scipy.sparse.csgraph.dijkstra(min_only=True)`` from the facilities' road ends (no
    virtual nodes, no access legs, no same-road shortcut: less than the engine does). The
    accessibility measure's (facility × cell) matrix is timed apart: it is not a multi-source run;
    its own raw floor is one bounded dijkstra per facility.
    """
    from scipy.sparse.csgraph import dijkstra

    profile_graph = model._profile  # the engine's prepared graph of each profile
    snapped: set[tuple[str, bytes]] = set()
    snap_s = runs_s = matrix_s = matrix_floor_s = 0.0
    n_runs = 0
    seen: set[tuple[Any, ...]] = set()
    for name, args, kwargs in questions:
        if name == "matrix":
            t0 = time.perf_counter()
            model.matrix(*args, **kwargs)
            matrix_s += time.perf_counter() - t0
            # its raw floor: one bounded dijkstra per facility, from one end of its road
            pg = profile_graph(kwargs["profile"])
            sources = model._snap(pg, np.asarray(args[0], dtype=np.float64))
            graph = pg.forward if kwargs.get("direction", "from_sources") == "from_sources" else pg.backward
            cutoff = kwargs.get("cutoff_minutes")
            t0 = time.perf_counter()
            dijkstra(
                graph,
                directed=True,
                indices=sources.nodes[:, 0],
                limit=np.inf if cutoff is None else cutoff * 60,
            )
            matrix_floor_s += time.perf_counter() - t0
            continue
        profile = kwargs["profile"]
        pg = profile_graph(profile)
        points = [args[-1]] if name == "snap_distance_m" else [args[0], args[1]]
        for xy in points:
            key = (profile, np.ascontiguousarray(xy).tobytes())
            if key not in snapped:
                snapped.add(key)
                t0 = time.perf_counter()
                model._snap(pg, np.asarray(xy, dtype=np.float64))
                snap_s += time.perf_counter() - t0
        if name == "snap_distance_m":
            continue
        # minutes without the nearest source are the same search as with it
        asked = "nearest" if name == "nearest_minutes" else name
        question = (asked, profile, kwargs.get("direction"), np.ascontiguousarray(args[0]).tobytes())
        if question in seen:
            continue
        seen.add(question)
        sources = model._snap(pg, np.asarray(args[0], dtype=np.float64))
        if name == "nearest_distance_m":
            graph = pg.forward_m
        else:
            graph = pg.forward if kwargs.get("direction", "from_sources") == "from_sources" else pg.backward
        t0 = time.perf_counter()
        dijkstra(graph, directed=True, indices=np.unique(sources.nodes), min_only=True)
        runs_s += time.perf_counter() - t0
        n_runs += 1
    return {
        "raw_floor_s": snap_s + runs_s,
        "raw_floor_snap_s": snap_s,
        "raw_floor_runs_s": runs_s,
        "raw_floor_runs": n_runs,
        "accessibility_matrix_s": matrix_s,
        "raw_matrix_floor_s": matrix_floor_s,
    }


def warm_coverage(graph: Path) -> dict[str, float]:
    """Warm ``run_coverage`` against the raw travel floor, and a threshold-only request."""
    from analysis.county import load_county, load_county_inputs
    from analysis.coverage import CoverageOptions, run_coverage
    from analysis.datasets import DATA_DIR
    from analysis.travel import load_travel_model

    county = load_county(DATA_DIR)
    inputs = load_county_inputs(county)
    model = load_travel_model(graph, crs=county.crs)
    timed = _Timed(model)
    t0 = time.perf_counter()
    run_coverage(inputs, timed)  # type: ignore[arg-type]
    warm_s = time.perf_counter() - t0
    travel_s = timed.seconds
    # the floor on a second engine of the same store, which has joined nothing to its roads yet
    floor = raw_floor(load_travel_model(graph, crs=county.crs), timed.questions)
    requests = []
    for options in (
        CoverageOptions(minutes=10.0),
        CoverageOptions(minutes=12.0),
        CoverageOptions(dispatch_minutes=5.0),
        CoverageOptions(aed_walk_radius_m=150.0),
        CoverageOptions(ems_minutes=12.0),
    ):
        t0 = time.perf_counter()
        run_coverage(inputs, timed, options=options)  # type: ignore[arg-type]
        requests.append(time.perf_counter() - t0)
    return {
        "warm_run_coverage_s": warm_s,
        "warm_travel_s": travel_s,
        **floor,
        "warm_over_raw_floor": warm_s / floor["raw_floor_s"],
        # the accessibility measure needs every facility's catchment: its raw floor counted too
        "warm_over_raw_floor_with_matrix": warm_s / (floor["raw_floor_s"] + floor["raw_matrix_floor_s"]),
        "new_threshold_request_s": float(np.median(requests)),
        "new_threshold_travel_s": timed.seconds - travel_s,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pss_mb(pid: int) -> float:
    """Proportional set size: pages shared between the server and its forked workers counted once in all."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1]) / 1024.0
    return float("nan")


#: Longest wait for the server to answer before the benchmark gives up on it.
STARTUP_LIMIT_S = 300.0


def _get(url: str, timeout_s: float = 300.0) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout_s) as r:
        r.read()
    return time.perf_counter() - t0


def server(graph: Path) -> dict[str, float]:
    """``healthcircle serve`` (worker processes on): start-up until ``/healthz`` answers, the first
    coverage request, requests that change only a threshold (each a new document computed by
    whichever worker is free), and the RSS of the server and its workers afterwards."""
    port = _free_port()
    env = {**os.environ, "HEALTHCIRCLE_NETWORK_FILE": str(graph), "HEALTHCIRCLE_WORKER_PROCESSES": "true"}
    exe = str(Path(sys.executable).with_name("healthcircle"))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [exe, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = t0 + STARTUP_LIMIT_S
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            if time.perf_counter() > deadline:
                msg = f"the server did not answer /healthz within {STARTUP_LIMIT_S:.0f} s"
                raise RuntimeError(msg)
            try:
                _get(f"{base}/healthz", timeout_s=2)
                break
            except OSError:
                if proc.poll() is not None:
                    msg = "the server exited during start-up"
                    raise RuntimeError(msg) from None
                time.sleep(0.1)
        startup_s = time.perf_counter() - t0
        first_request_s = _get(f"{base}/api/coverage")
        queries = ["minutes=10", "minutes=12", "dispatch_minutes=5", "minutes=14", "dispatch_minutes=4"]
        threshold_s = [_get(f"{base}/api/coverage?{q}") for q in queries]
        cached_s = _get(f"{base}/api/coverage?minutes=10")
        rss = _rss_mb(proc.pid)
        try:
            listed = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text()
            children = [int(pid) for pid in listed.split()]
        except OSError:
            children = []
        workers_rss = sum(_rss_mb(pid) for pid in children) if children else float("nan")
        pss_total = _pss_mb(proc.pid) + sum(_pss_mb(pid) for pid in children)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {
        "server_startup_s": startup_s,
        "server_first_coverage_s": first_request_s,
        "server_threshold_request_s": float(np.median(threshold_s)),
        "server_threshold_request_max_s": float(np.max(threshold_s)),
        "server_cached_request_s": cached_s,
        "server_rss_mb": rss,
        "server_workers_rss_mb": workers_rss,
        "server_and_workers_pss_mb": pss_total,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print a final JSON line.

    Parameters
    ----------
    argv
        Command-line arguments (``--spacing-m``, ``--folder``).

    Returns
    -------
    dict
        The JSON record.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--spacing-m", type=float, default=SPACING_M)
    parser.add_argument(
        "--folder",
        type=Path,
        default=Path(tempfile.gettempdir()) / "healthcircle-bench",
        help="Where the generated graph and its store are kept.",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="Only the cold reports (time, peak memory), e.g. on a 1.6M-node graph (--spacing-m 21.3).",
    )
    args = parser.parse_args(argv)
    folder = args.folder
    graph = folder / f"county-grid-{args.spacing_m:g}m.graphml.gz"
    counts = graph.with_name(graph.name + ".counts.json")
    if not graph.is_file():
        t0 = time.perf_counter()
        n, m = write_county_graphml(graph, spacing_m=args.spacing_m)
        counts.write_text(json.dumps({"graph_nodes": n, "graph_edges": m}))
        print(f"generated {n:,} nodes, {m:,} edges → {graph} ({time.perf_counter() - t0:.0f} s)")
    record: dict[str, Any] = {"benchmark": "county", "graph": graph.name}
    if counts.is_file():
        record.update(json.loads(counts.read_text()))
    with tempfile.TemporaryDirectory() as tmp:
        record.update(cold_reports(graph, Path(tmp)))
    r = record
    print(
        f"cold report: {r['cold_report_building_store_s']:.1f} s and "
        f"{r['cold_report_building_store_peak_mb']:.0f} MB building the store, "
        f"{r['cold_report_s']:.1f} s and {r['cold_report_peak_mb']:.0f} MB with it "
        "(targets < 10 s at 220k nodes; < 8 GB at 1.6M nodes)"
    )
    if args.report_only:
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in record.items()}))
        sys.stdout.flush()
        return record
    record.update(warm_coverage(graph))
    r = record
    print(
        f"warm run_coverage: {r['warm_run_coverage_s']:.2f} s, of which travel {r['warm_travel_s']:.2f} s; "
        f"raw floor {r['raw_floor_s']:.2f} s (snap {r['raw_floor_snap_s']:.2f} s + {r['raw_floor_runs']} "
        f"runs {r['raw_floor_runs_s']:.2f} s) → {r['warm_over_raw_floor']:.2f}× (targets < 0.8 s, ≤ 1.3×; "
        f"the accessibility matrix alone {r['accessibility_matrix_s']:.2f} s, its raw floor "
        f"{r['raw_matrix_floor_s']:.2f} s: {r['warm_over_raw_floor_with_matrix']:.2f}× with it); "
        "new threshold: "
        f"{r['new_threshold_request_s'] * 1000:.0f} ms (travel {r['new_threshold_travel_s'] * 1000:.1f} ms; "
        "target < 50 ms)"
    )
    record.update(server(graph))
    r = record
    print(
        f"server: up in {r['server_startup_s']:.1f} s (target < 10 s), first coverage "
        f"{r['server_first_coverage_s']:.1f} s, threshold {r['server_threshold_request_s'] * 1000:.0f} ms "
        f"(slowest {r['server_threshold_request_max_s'] * 1000:.0f} ms; target < 50 ms), cached "
        f"{r['server_cached_request_s'] * 1000:.0f} ms, RSS {r['server_rss_mb']:.0f} MB "
        f"(target < 1 GB) + workers {r['server_workers_rss_mb']:.0f} MB; server and workers together "
        f"{r['server_and_workers_pss_mb']:.0f} MB PSS (shared pages counted once)"
    )
    from analysis.travel import load_travel_model

    model = load_travel_model(graph)
    record["nodes"] = len(model.node_ids)  # type: ignore[attr-defined]
    record = {k: round(v, 4) if isinstance(v, float) else v for k, v in record.items()}
    print(json.dumps(record))
    sys.stdout.flush()
    return record


if __name__ == "__main__":
    main()
