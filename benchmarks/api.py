"""Warm ``GET /api/coverage`` latency with the default data (``python -m benchmarks.api``).

Starts the app in-process (lifespan loads the data once), makes one request to warm the scenario cache,
then times ``REQUESTS`` identical requests through Starlette's test client (ASGI, no sockets). Prints a
human summary and, last, one JSON line: ``{"benchmark": "api_coverage_warm", "median_ms": ..., ...}``.
The target is a median under 50 ms.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import warnings

#: Timed requests (after one warm-up request).
REQUESTS = 200
#: Target for the warm median, milliseconds.
TARGET_MEDIAN_MS = 50.0
PATH = "/api/coverage"


def main() -> int:
    """Run the benchmark; return 0 when the median meets the target."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    with TestClient(create_app(Settings())) as client:
        start = time.perf_counter()
        first = client.get(PATH)
        cold_ms = (time.perf_counter() - start) * 1000
        first.raise_for_status()
        timings_ms = []
        for _ in range(REQUESTS):
            start = time.perf_counter()
            response = client.get(PATH)
            timings_ms.append((time.perf_counter() - start) * 1000)
            response.raise_for_status()
    timings_ms.sort()
    median = statistics.median(timings_ms)
    p95 = timings_ms[int(0.95 * (len(timings_ms) - 1))]
    print(
        f"GET {PATH}: first {cold_ms:.1f} ms, warm median {median:.2f} ms, p95 {p95:.2f} ms over {REQUESTS}"
    )
    result = {
        "benchmark": "api_coverage_warm",
        "requests": REQUESTS,
        "cold_ms": round(cold_ms, 2),
        "median_ms": round(median, 3),
        "p95_ms": round(p95, 3),
        "max_ms": round(timings_ms[-1], 3),
        "bytes": len(first.content),
        "target_median_ms": TARGET_MEDIAN_MS,
        "passed": median < TARGET_MEDIAN_MS,
    }
    print(json.dumps(result))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
