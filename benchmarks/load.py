"""The service under load: many concurrent clients on a mixed workload (``python -m benchmarks.load``).

Starts ``healthcircle serve`` on 127.0.0.1 (loopback only) with the default data, waits for ``/healthz``,
warms a few scenarios, then runs ``CLIENTS`` concurrent clients for ``DURATION_S`` seconds. Each client
loops: pick a request from the mix, send it (timeout ``TIMEOUT_S``), think ``THINK_S`` (uniform), repeat;
on a 503 it waits ``Retry-After`` as the answer asks. A prober in a process of its own (so that the
load generator's busy event loop does not add to what it measures) alternately times ``/healthz`` and a
cached ``/api/coverage`` every ``PROBE_EVERY_S``; the clients' own event-loop lag is measured too (it is
part of every latency the clients see). A sampler reads the server's resident memory from ``/proc``.
The run is bounded by its duration and by ``MAX_REQUESTS``. The server is stopped at the end.

The mix (weights in ``MIX``):

* ``coverage_cached`` — ``/api/coverage`` on one of a few pre-warmed scenarios;
* ``coverage_new`` — ``/api/coverage`` with mode walk/ebike/car, minutes 5-30, include_planned, dispatch
  0-5 min drawn at random (936 scenarios: mostly new, computed in the worker pool);
* ``isochrones`` — ``/api/isochrones`` for a kind and a few bands;
* ``map_coverage`` — ``/maps/coverage`` on a scenario drawn from a small set;
* ``siting`` — a small ``POST /api/siting`` (EMS, 1-3 sites);
* ``facilities`` — ``/api/facilities`` (cheap, never computed).

Prints per-endpoint p50/p95/p99 and status counts, throughput, ``/healthz`` and cached ``/api/coverage``
latency as the prober sees them during the load, peak RSS (resident memory of the server and its workers
summed, so pages they share are counted once per process; PSS, which counts them once, is printed
beside it), the machine's load average, and, last, one JSON line. Targets: no timeouts, no 5xx other
than the deliberate 503, at least 95 % of answers 2xx, cached ``/api/coverage`` p99 under 100 ms (both as
the clients see it and as the prober sees it), ``/healthz`` p99 under 50 ms, peak RSS under 1 GB. The
machine may be shared: its load average is printed with the numbers.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx

from benchmarks.rawhttp import Connection, HTTPStatusError

CLIENTS = int(os.environ.get("LOAD_CLIENTS", "200"))
DURATION_S = float(os.environ.get("LOAD_DURATION_S", "60"))
#: Hard cap on requests sent, whatever the duration.
MAX_REQUESTS = 200_000
TIMEOUT_S = 30.0
THINK_S = (0.2, 1.0)
PROBE_EVERY_S = 0.1
HOST = "127.0.0.1"
SEED = 20261201

MIX: dict[str, float] = {
    "coverage_cached": 0.45,
    "coverage_new": 0.10,
    "isochrones": 0.10,
    "map_coverage": 0.15,
    "siting": 0.05,
    "facilities": 0.15,
}
if os.environ.get("LOAD_MIX"):  # e.g. LOAD_MIX='{"coverage_cached": 1}' to isolate one endpoint
    MIX = {k: float(v) for k, v in json.loads(os.environ["LOAD_MIX"]).items()}
CACHED_SCENARIOS: list[dict[str, str | int]] = [
    {},
    {"mode": "walk"},
    {"mode": "car", "minutes": 10},
    {"include_planned": "true"},
]
MAP_SCENARIOS: list[dict[str, str | int]] = [{}, {"mode": "walk"}, {"include_planned": "true"}]

TARGETS = {
    "timeouts": 0,
    "server_errors_other_than_503": 0,
    "share_2xx_min": 0.95,
    "coverage_cached_p99_ms_max": 100.0,
    "healthz_p99_ms_max": 50.0,
    "peak_rss_mb_max": 1000.0,
}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _family(pid: int) -> list[int]:
    """*pid* and its child processes (the worker processes of the server)."""
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return sorted(set(pids))


def _memory_mb(pid: int, *, field: str = "VmRSS:", file: str = "status") -> float:
    """Memory of *pid* and its children by the ``/proc/<pid>/<file>`` line *field*, MB (0 when gone)."""
    total_kb = 0
    for p in _family(pid):
        try:
            for line in Path(f"/proc/{p}/{file}").read_text().splitlines():
                if line.startswith(field):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


def _rss_mb(pid: int) -> float:
    """Resident memory of *pid* and its children summed, MB (shared pages counted in each process)."""
    return _memory_mb(pid)


def _pss_mb(pid: int) -> float:
    """Proportional set size of *pid* and its children summed, MB (shared pages counted once)."""
    return _memory_mb(pid, field="Pss:", file="smaps_rollup")


def _cpu_s(pid: int) -> float:
    """CPU seconds used so far by *pid* (user + system), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _request(rng: random.Random, kind: str) -> tuple[str, str, dict[str, Any] | None, Any]:
    """(method, path, query, json body) of one request of *kind*."""
    if kind == "coverage_cached":
        return "GET", "/api/coverage", rng.choice(CACHED_SCENARIOS), None
    if kind == "coverage_new":
        query = {
            "mode": rng.choice(["walk", "ebike", "car"]),
            "minutes": rng.randint(5, 30),
            "include_planned": rng.choice(["true", "false"]),
            "dispatch_minutes": rng.randint(0, 5),
        }
        return "GET", "/api/coverage", query, None
    if kind == "isochrones":
        minutes = ",".join(str(m) for m in sorted(rng.sample([5, 10, 14, 15, 20, 30], 2)))
        return (
            "GET",
            "/api/isochrones",
            {"kind": rng.choice(["ems_station", "hospital"]), "minutes": minutes},
            None,
        )
    if kind == "map_coverage":
        return "GET", "/maps/coverage", rng.choice(MAP_SCENARIOS), None
    if kind == "siting":
        return "POST", "/api/siting", None, {"kind": "ems", "count": rng.randint(1, 3), "model": "mclp"}
    return "GET", "/api/facilities", None, None


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


class Recorder:
    """Latencies and statuses by endpoint."""

    def __init__(self) -> None:
        self.latency_ms: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, Counter[str]] = defaultdict(Counter)
        self.sent = 0

    def add(self, kind: str, status: str, ms: float) -> None:
        self.status[kind][status] += 1
        if status.isdigit() and 200 <= int(status) < 300:
            self.latency_ms[kind].append(ms)


async def _client(host: str, port: int, index: int, deadline: float, recorder: Recorder) -> None:
    rng = random.Random(SEED + index)
    kinds, weights = list(MIX), list(MIX.values())
    connection = Connection(host, port)
    await asyncio.sleep(rng.uniform(0, THINK_S[1]))  # do not start in lock-step
    while time.monotonic() < deadline and recorder.sent < MAX_REQUESTS:
        kind = rng.choices(kinds, weights)[0]
        method, path, query, body = _request(rng, kind)
        recorder.sent += 1
        start = time.perf_counter()
        retry_after = 0.0
        try:
            code, headers, _ = await connection.request(
                method, path, query=query, json_body=body, timeout_s=TIMEOUT_S
            )
            status = str(code)
            if code == 503:
                retry_after = float(headers.get("retry-after", "1"))
        except TimeoutError:
            status = "timeout"
        except (OSError, asyncio.IncompleteReadError, HTTPStatusError) as exc:
            status = type(exc).__name__
        recorder.add(kind, status, (time.perf_counter() - start) * 1000)
        await asyncio.sleep(max(retry_after, rng.uniform(*THINK_S)))
    connection.close()


def _probe_main(host: str, port: int, duration_s: float, conn: Any) -> None:
    """The prober (a process of its own): time ``/healthz`` and a cached ``/api/coverage`` in turn.

    Sends back ``{"healthz": [...], "coverage_cached": [...], "status": {...}}`` (milliseconds).
    """
    latencies: dict[str, list[float]] = {"healthz": [], "coverage_cached": []}
    statuses: Counter[str] = Counter()
    paths = {"healthz": "/healthz", "coverage_cached": "/api/coverage"}
    http_conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)
    deadline = time.monotonic() + duration_s
    turn = 0
    while time.monotonic() < deadline:
        name = ("healthz", "coverage_cached")[turn % 2]
        turn += 1
        start = time.perf_counter()
        try:
            http_conn.request("GET", paths[name], headers={"Accept-Encoding": "gzip"})
            response = http_conn.getresponse()
            response.read()
            statuses[f"{name} {response.status}"] += 1
            if response.status == 200:
                latencies[name].append((time.perf_counter() - start) * 1000)
        except (OSError, http.client.HTTPException) as exc:
            statuses[f"{name} {type(exc).__name__}"] += 1
            http_conn.close()
            http_conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)
        time.sleep(PROBE_EVERY_S / 2)
    http_conn.close()
    conn.send({**latencies, "status": dict(statuses)})
    conn.close()


async def _loop_lag(deadline: float) -> list[float]:
    """How late the load generator's event loop wakes from a 10 ms sleep, ms (its own share of latency)."""
    lags: list[float] = []
    while time.monotonic() < deadline:
        start = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(max((time.perf_counter() - start) * 1000 - 10.0, 0.0))
    return lags


async def _sampler(pid: int, deadline: float) -> tuple[float, float]:
    """Peak RSS and PSS of the server and its workers, MB, read in a thread (off the clients' loop)."""
    loop = asyncio.get_running_loop()
    peak_rss = peak_pss = 0.0
    while True:
        peak_rss = max(peak_rss, await loop.run_in_executor(None, _rss_mb, pid))
        peak_pss = max(peak_pss, await loop.run_in_executor(None, _pss_mb, pid))
        if time.monotonic() >= deadline:
            return peak_rss, peak_pss
        await asyncio.sleep(0.5)


async def _run(base: str, pid: int) -> dict[str, Any]:
    async with httpx.AsyncClient() as http, httpx.AsyncClient() as probe_http:
        for query in CACHED_SCENARIOS:  # warm the cached scenarios (not timed)
            (await http.get(base + "/api/coverage", params=query, timeout=300)).raise_for_status()
        for query in MAP_SCENARIOS:
            (await http.get(base + "/maps/coverage", params=query, timeout=300)).raise_for_status()
        rss_start = _rss_mb(pid)
        cpu_start, client_start = _cpu_s(pid), time.process_time()
        recorder = Recorder()
        host, port = base.rsplit("/", 1)[1].split(":")
        receiver, sender = multiprocessing.Pipe(duplex=False)
        prober = multiprocessing.get_context("spawn").Process(
            target=_probe_main, args=(host, int(port), DURATION_S, sender), daemon=True
        )
        prober.start()
        start = time.monotonic()
        deadline = start + DURATION_S
        sampler = asyncio.ensure_future(_sampler(pid, deadline + 5))
        lag = asyncio.ensure_future(_loop_lag(deadline))
        await asyncio.gather(*(_client(host, int(port), i, deadline, recorder) for i in range(CLIENTS)))
        elapsed = time.monotonic() - start
        server_cpu, client_cpu = _cpu_s(pid) - cpu_start, time.process_time() - client_start
        probed = await asyncio.get_running_loop().run_in_executor(None, receiver.recv)
        prober.join(10)
        peak_rss, peak_pss = await sampler
        lags = await lag
        after = time.perf_counter()
        quiet = await probe_http.get(base + "/healthz", timeout=TIMEOUT_S)
        healthz_after_ms = (time.perf_counter() - after) * 1000
        quiet.raise_for_status()
    return {
        "recorder": recorder,
        "elapsed_s": elapsed,
        "health_ms": probed["healthz"],
        "probe_coverage_ms": probed["coverage_cached"],
        "probe_status": probed["status"],
        "client_loop_lag_ms": lags,
        "rss_start_mb": rss_start,
        "peak_rss_mb": peak_rss,
        "peak_pss_mb": peak_pss,
        "healthz_after_ms": healthz_after_ms,
        "server_cpu_s": server_cpu,
        "client_cpu_s": client_cpu,
    }


def _run_loop(coro: Any) -> Any:
    """Run *coro* on uvloop when installed (a lighter event loop for the 200 clients), else asyncio."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def _wait_until_up(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 300) -> None:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if proc.poll() is not None:
            msg = f"the server exited with code {proc.returncode} before answering"
            raise RuntimeError(msg)
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    msg = "the server did not answer /healthz in time"
    raise RuntimeError(msg)


def _serve_and_run(extra_env: dict[str, str]) -> dict[str, Any]:
    """Start a server with *extra_env* settings, load it, stop it; the summary of the run."""
    port = _free_port()
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HEALTHCIRCLE_DATABASE_FILE": str(Path(tmp) / "load.sqlite"), **extra_env}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from app.cli import main; main()",
                "serve",
                "--host",
                HOST,
                "--port",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_until_up(base, proc)
            load_before = os.getloadavg()
            run = _run_loop(_run(base, proc.pid))
            load_after = os.getloadavg()
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
    return _summary(run, load_before, load_after)


def _summary(
    run: dict[str, Any], load_before: tuple[float, ...], load_after: tuple[float, ...]
) -> dict[str, Any]:
    recorder: Recorder = run["recorder"]
    endpoints: dict[str, Any] = {}
    total: Counter[str] = Counter()
    for kind in MIX:
        counts = recorder.status.get(kind, Counter())
        total.update(counts)
        lat = recorder.latency_ms.get(kind, [])
        endpoints[kind] = {
            "requests": sum(counts.values()),
            "status": dict(sorted(counts.items())),
            "p50_ms": _quantile(lat, 0.50),
            "p95_ms": _quantile(lat, 0.95),
            "p99_ms": _quantile(lat, 0.99),
        }
    answered = sum(total.values())
    ok = sum(n for s, n in total.items() if s.isdigit() and 200 <= int(s) < 300)
    server_errors = sum(n for s, n in total.items() if s.isdigit() and int(s) >= 500 and s != "503")
    timeouts = total.get("timeout", 0)
    health = run["health_ms"]
    probe_cov = run["probe_coverage_ms"]
    lags = run["client_loop_lag_ms"]
    result: dict[str, Any] = {
        "benchmark": "load",
        "clients": CLIENTS,
        "duration_s": round(run["elapsed_s"], 1),
        "requests": answered,
        "throughput_rps": round(answered / run["elapsed_s"], 1),
        "status": dict(sorted(total.items())),
        "share_2xx": round(ok / answered, 4) if answered else None,
        "timeouts": timeouts,
        "server_errors_other_than_503": server_errors,
        "endpoints": endpoints,
        "healthz": {
            "probes": len(health),
            "p50_ms": _quantile(health, 0.50),
            "p99_ms": _quantile(health, 0.99),
            "max_ms": round(max(health), 2) if health else None,
            "after_load_ms": round(run["healthz_after_ms"], 2),
        },
        "coverage_cached_probe": {
            "probes": len(probe_cov),
            "p50_ms": _quantile(probe_cov, 0.50),
            "p99_ms": _quantile(probe_cov, 0.99),
            "max_ms": round(max(probe_cov), 2) if probe_cov else None,
        },
        "probe_status": run["probe_status"],
        "load_generator_loop_lag_ms": {
            "p50": _quantile(lags, 0.50),
            "p99": _quantile(lags, 0.99),
            "max": round(max(lags), 2) if lags else None,
        },
        "rss_mb": {
            "after_warm_up": round(run["rss_start_mb"], 1),
            "peak": round(run["peak_rss_mb"], 1),
            "peak_pss": round(run["peak_pss_mb"], 1),
        },
        "cpu_seconds": {
            "server_main_process": round(run["server_cpu_s"], 1),
            "load_generator": round(run["client_cpu_s"], 1),
        },
        "load_average_1min": {"before": round(load_before[0], 2), "after": round(load_after[0], 2)},
        "cpu_count": os.cpu_count(),
        "targets": TARGETS,
    }
    cached = endpoints.get("coverage_cached", {}).get("p99_ms")
    cached_probe = result["coverage_cached_probe"]["p99_ms"]
    health_p99 = result["healthz"]["p99_ms"]
    result["passed"] = bool(
        timeouts == 0
        and server_errors == 0
        and (result["share_2xx"] or 0) >= TARGETS["share_2xx_min"]
        and cached is not None
        and cached < TARGETS["coverage_cached_p99_ms_max"]
        and cached_probe is not None
        and cached_probe < TARGETS["coverage_cached_p99_ms_max"]
        and health_p99 is not None
        and health_p99 < TARGETS["healthz_p99_ms_max"]
        and run["peak_rss_mb"] < TARGETS["peak_rss_mb_max"]
    )
    return result


def _print(label: str, result: dict[str, Any]) -> None:
    print(
        f"{label}: {CLIENTS} clients × {result['duration_s']} s: {result['requests']} answers, "
        f"{result['throughput_rps']} /s, status {result['status']}"
    )
    for kind, row in result["endpoints"].items():
        print(
            f"  {kind:<16} n={row['requests']:<6} p50={row['p50_ms']} p95={row['p95_ms']} "
            f"p99={row['p99_ms']} {row['status']}"
        )
    health, probe = result["healthz"], result["coverage_cached_probe"]
    print(f"  /healthz under load: p50={health['p50_ms']} p99={health['p99_ms']} max={health['max_ms']} ms")
    print(
        f"  cached /api/coverage (prober): p50={probe['p50_ms']} p99={probe['p99_ms']} "
        f"max={probe['max_ms']} ms"
    )
    lag = result["load_generator_loop_lag_ms"]
    print(f"  load generator's event-loop lag: p50={lag['p50']} p99={lag['p99']} max={lag['max']} ms")
    print(
        f"  peak RSS {result['rss_mb']['peak']} MB (PSS {result['rss_mb']['peak_pss']} MB); "
        f"server CPU {result['cpu_seconds']['server_main_process']} s; "
        f"load average {result['load_average_1min']['before']} → {result['load_average_1min']['after']}"
    )


def main() -> int:
    """Run the load benchmark (and, with ``LOAD_BASELINE=1``, the baseline first); 0 when targets are met."""
    result = _serve_and_run({})
    if os.environ.get("LOAD_BASELINE") == "1":
        # Baseline in the same run: the same server computing in threads with no admission limit.
        baseline = _serve_and_run({"HEALTHCIRCLE_WORKER_PROCESSES": "false", "HEALTHCIRCLE_QUEUE": "1000"})
        _print("baseline (threads, no admission limit)", baseline)
        result["baseline_threads_no_admission"] = {
            k: baseline[k]
            for k in (
                "requests",
                "throughput_rps",
                "status",
                "share_2xx",
                "timeouts",
                "endpoints",
                "healthz",
                "coverage_cached_probe",
                "load_generator_loop_lag_ms",
                "rss_mb",
            )
        }
    _print("healthcircle serve", result)
    print(json.dumps(result))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
