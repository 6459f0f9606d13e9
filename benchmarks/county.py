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
- warm ``run_coverage`` (engine loaded, travel not yet asked: every cell joined to the roads once
  per profile, one multi-source run per facility set) against the floor of those travel calls
  alone, timed inside the same run;
- a request that only changes ``minutes`` / ``dispatch_minutes`` / a target (travel remembered);
- ``healthcircle serve`` start-up until ``/healthz`` answers, and its RSS after one coverage request.

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


def _timed_run(cmd: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def cold_reports(graph: Path, out_dir: Path) -> dict[str, float]:
    """Wall-clock seconds of ``healthcircle report`` in fresh processes: building the store, then using it."""
    from analysis.travel.store import store_path

    store_path(graph).unlink(missing_ok=True)
    exe = str(Path(sys.executable).with_name("healthcircle"))
    cmd = [exe, "report", "--network", str(graph), "--out", str(out_dir / "report.json")]
    first = _timed_run(cmd)
    second = _timed_run(cmd)
    return {"cold_report_building_store_s": first, "cold_report_s": second}


class _Timed:
    """Wraps a travel model and adds up the seconds spent in its travel calls."""

    def __init__(self, travel: Any) -> None:
        self._travel = travel
        self.seconds = 0.0
        self.network_source = travel.network_source
        self.crs = travel.crs
        self.snap_distance_m = self._wrap(travel.snap_distance_m)
        self.matrix = self._wrap(travel.matrix)
        self.nearest = self._wrap(travel.nearest)
        self.nearest_distance_m = self._wrap(travel.nearest_distance_m)

    def _wrap(self, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0

        return timed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._travel, name)


def warm_coverage(graph: Path) -> dict[str, float]:
    """Warm ``run_coverage`` against its travel floor, and a threshold-only request."""
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
    requests = []
    for options in (
        CoverageOptions(minutes=10.0),
        CoverageOptions(dispatch_minutes=5.0),
        CoverageOptions(aed_walk_radius_m=150.0),
    ):
        t0 = time.perf_counter()
        run_coverage(inputs, timed, options=options)  # type: ignore[arg-type]
        requests.append(time.perf_counter() - t0)
    return {
        "warm_run_coverage_s": warm_s,
        "warm_travel_floor_s": travel_s,
        "warm_over_floor": warm_s / travel_s if travel_s > 0 else float("nan"),
        "new_threshold_request_s": float(np.median(requests)),
        "new_threshold_travel_s": timed.seconds - travel_s,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1]) / 1024.0
    return float("nan")


#: Longest wait for the server to answer before the benchmark gives up on it.
STARTUP_LIMIT_S = 300.0


def server(graph: Path) -> dict[str, float]:
    """Seconds until ``healthcircle serve`` answers ``/healthz``, and its RSS after a coverage request."""
    port = _free_port()
    env = {**os.environ, "HEALTHCIRCLE_NETWORK_FILE": str(graph)}
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
    try:
        while True:
            if time.perf_counter() > deadline:
                msg = f"the server did not answer /healthz within {STARTUP_LIMIT_S:.0f} s"
                raise RuntimeError(msg)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    r.read()
                break
            except OSError:
                if proc.poll() is not None:
                    msg = "the server exited during start-up"
                    raise RuntimeError(msg) from None
                time.sleep(0.1)
        startup_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/coverage", timeout=300) as r:
            r.read()
        first_request_s = time.perf_counter() - t1
        rss = _rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"server_startup_s": startup_s, "server_first_coverage_s": first_request_s, "server_rss_mb": rss}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print a final JSON line.

    Parameters
    ----------
    argv
        Command-line arguments (``--spacing-m``).

    Returns
    -------
    dict
        The JSON record.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--spacing-m", type=float, default=SPACING_M)
    args = parser.parse_args(argv)
    folder = Path(tempfile.gettempdir()) / "healthcircle-bench"
    graph = folder / f"county-grid-{args.spacing_m:g}m.graphml.gz"
    if not graph.is_file():
        t0 = time.perf_counter()
        n, m = write_county_graphml(graph, spacing_m=args.spacing_m)
        print(f"generated {n:,} nodes, {m:,} edges → {graph} ({time.perf_counter() - t0:.0f} s)")
    record: dict[str, Any] = {"benchmark": "county", "graph": graph.name}
    with tempfile.TemporaryDirectory() as tmp:
        record.update(cold_reports(graph, Path(tmp)))
    print(
        f"cold report: {record['cold_report_building_store_s']:.1f} s building the store, "
        f"{record['cold_report_s']:.1f} s with it (target < 10 s)"
    )
    record.update(warm_coverage(graph))
    print(
        f"warm run_coverage: {record['warm_run_coverage_s']:.2f} s, of which travel "
        f"{record['warm_travel_floor_s']:.2f} s ({record['warm_over_floor']:.2f}× the travel floor; "
        f"targets < 0.8 s, ≤ 1.3×); new threshold: {record['new_threshold_request_s'] * 1000:.0f} ms "
        f"(travel {record['new_threshold_travel_s'] * 1000:.1f} ms; target < 50 ms)"
    )
    record.update(server(graph))
    print(
        f"server: up in {record['server_startup_s']:.1f} s (target < 10 s), first coverage "
        f"{record['server_first_coverage_s']:.1f} s, RSS {record['server_rss_mb']:.0f} MB (target < 1 GB)"
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
