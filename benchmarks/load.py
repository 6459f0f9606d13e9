"""The service under load: many concurrent clients on a mixed workload (``python -m benchmarks.load``).

Starts ``healthcircle serve`` on 127.0.0.1 (loopback only) with the default data, waits for ``/healthz``,
warms a few scenarios, then runs ``CLIENTS`` concurrent clients for ``DURATION_S`` seconds. Each client
loops: pick a request from the mix, send it (timeout ``TIMEOUT_S``), think ``THINK_S`` (uniform), repeat;
on a 503 it waits ``Retry-After`` as the answer asks. A separate prober times ``/healthz`` every
``PROBE_EVERY_S``; a sampler reads the server's resident memory from ``/proc``. The run is bounded by its
duration and by ``MAX_REQUESTS``. The server is stopped at the end.

The mix (weights in ``MIX``):

* ``coverage_cached`` — ``/api/coverage`` on one of a few pre-warmed scenarios;
* ``coverage_new`` — ``/api/coverage`` with mode walk/ebike/car, minutes 5-30, include_planned, dispatch
  0-5 min drawn at random (936 scenarios: mostly new, computed in the worker pool);
* ``isochrones`` — ``/api/isochrones`` for a kind and a few bands;
* ``map_coverage`` — ``/maps/coverage`` on a scenario drawn from a small set;
* ``siting`` — a small ``POST /api/siting`` (EMS, 1-3 sites);
* ``facilities`` — ``/api/facilities`` (cheap, never computed).

Prints per-endpoint p50/p95/p99 and status counts, throughput, ``/healthz`` latency during the load, peak
RSS, the machine's load average, and, last, one JSON line. Targets: no timeouts, no 5xx other than the
deliberate 503, at least 95 % of answers 2xx, cached ``/api/coverage`` p99 under 100 ms, ``/healthz`` p99
under 50 ms, peak RSS under 1 GB. The machine may be shared: its load average is printed with the numbers.
"""

from __future__ import annotations

import asyncio
import json
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


def _rss_mb(pid: int) -> float:
    """Resident memory of *pid* and its children, MB (0 when it is gone)."""
    total_kb = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


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


async def _client(
    base: str, index: int, deadline: float, recorder: Recorder, http: httpx.AsyncClient
) -> None:
    rng = random.Random(SEED + index)
    kinds, weights = list(MIX), list(MIX.values())
    await asyncio.sleep(rng.uniform(0, THINK_S[1]))  # do not start in lock-step
    while time.monotonic() < deadline and recorder.sent < MAX_REQUESTS:
        kind = rng.choices(kinds, weights)[0]
        method, path, query, body = _request(rng, kind)
        recorder.sent += 1
        start = time.perf_counter()
        retry_after = 0.0
        try:
            response = await http.request(method, base + path, params=query, json=body, timeout=TIMEOUT_S)
            status = str(response.status_code)
            if response.status_code == 503:
                retry_after = float(response.headers.get("retry-after", "1"))
        except httpx.TimeoutException:
            status = "timeout"
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        recorder.add(kind, status, (time.perf_counter() - start) * 1000)
        await asyncio.sleep(max(retry_after, rng.uniform(*THINK_S)))


async def _prober(base: str, deadline: float, http: httpx.AsyncClient) -> tuple[list[float], Counter[str]]:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    while time.monotonic() < deadline:
        start = time.perf_counter()
        try:
            response = await http.get(base + "/healthz", timeout=TIMEOUT_S)
            statuses[str(response.status_code)] += 1
            latencies.append((time.perf_counter() - start) * 1000)
        except httpx.HTTPError as exc:
            statuses[type(exc).__name__] += 1
        await asyncio.sleep(PROBE_EVERY_S)
    return latencies, statuses


async def _sampler(pid: int, deadline: float) -> float:
    peak = 0.0
    while time.monotonic() < deadline:
        peak = max(peak, _rss_mb(pid))
        await asyncio.sleep(0.25)
    return max(peak, _rss_mb(pid))


async def _run(base: str, pid: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=CLIENTS + 10, max_keepalive_connections=CLIENTS + 10)
    async with httpx.AsyncClient(limits=limits) as http, httpx.AsyncClient() as probe_http:
        for query in CACHED_SCENARIOS:  # warm the cached scenarios (not timed)
            (await http.get(base + "/api/coverage", params=query, timeout=300)).raise_for_status()
        for query in MAP_SCENARIOS:
            (await http.get(base + "/maps/coverage", params=query, timeout=300)).raise_for_status()
        rss_start = _rss_mb(pid)
        cpu_start, client_start = _cpu_s(pid), time.process_time()
        recorder = Recorder()
        start = time.monotonic()
        deadline = start + DURATION_S
        sampler = asyncio.ensure_future(_sampler(pid, deadline + 5))
        prober = asyncio.ensure_future(_prober(base, deadline, probe_http))
        await asyncio.gather(*(_client(base, i, deadline, recorder, http) for i in range(CLIENTS)))
        elapsed = time.monotonic() - start
        server_cpu, client_cpu = _cpu_s(pid) - cpu_start, time.process_time() - client_start
        health_ms, health_status = await prober
        peak_rss = await sampler
        after = time.perf_counter()
        quiet = await probe_http.get(base + "/healthz", timeout=TIMEOUT_S)
        healthz_after_ms = (time.perf_counter() - after) * 1000
        quiet.raise_for_status()
    return {
        "recorder": recorder,
        "elapsed_s": elapsed,
        "health_ms": health_ms,
        "health_status": health_status,
        "rss_start_mb": rss_start,
        "peak_rss_mb": peak_rss,
        "healthz_after_ms": healthz_after_ms,
        "server_cpu_s": server_cpu,
        "client_cpu_s": client_cpu,
    }


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
            run = asyncio.run(_run(base, proc.pid))
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
            "status": dict(run["health_status"]),
            "p50_ms": _quantile(health, 0.50),
            "p99_ms": _quantile(health, 0.99),
            "max_ms": round(max(health), 2) if health else None,
            "after_load_ms": round(run["healthz_after_ms"], 2),
        },
        "rss_mb": {"after_warm_up": round(run["rss_start_mb"], 1), "peak": round(run["peak_rss_mb"], 1)},
        "cpu_seconds": {
            "server_main_process": round(run["server_cpu_s"], 1),
            "load_generator": round(run["client_cpu_s"], 1),
        },
        "load_average_1min": {"before": round(load_before[0], 2), "after": round(load_after[0], 2)},
        "cpu_count": os.cpu_count(),
        "targets": TARGETS,
    }
    cached = endpoints.get("coverage_cached", {}).get("p99_ms")
    health_p99 = result["healthz"]["p99_ms"]
    result["passed"] = bool(
        timeouts == 0
        and server_errors == 0
        and (result["share_2xx"] or 0) >= TARGETS["share_2xx_min"]
        and cached is not None
        and cached < TARGETS["coverage_cached_p99_ms_max"]
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
    health = result["healthz"]
    print(f"  /healthz under load: p50={health['p50_ms']} p99={health['p99_ms']} max={health['max_ms']} ms")
    print(
        f"  peak RSS {result['rss_mb']['peak']} MB; "
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
                "rss_mb",
            )
        }
    _print("healthcircle serve", result)
    print(json.dumps(result))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
