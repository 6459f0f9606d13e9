"""How the service holds up: worker pool and admission (503), body limit (413), compressed cached
documents with ETags, security headers, CORS, offline API docs and short, accurate error bodies."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request

from app import jobs as app_jobs
from app.cache import ByteBoundedCache
from app.compute import ClientGoneError, ComputePool, ServiceBusyError, Work, register_work
from app.config import Settings
from app.main import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(Settings(workers=1, queue=0, retry_after_s=7, max_body_bytes=1_000_000))


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


# --- the pool on its own ------------------------------------------------------------------------------


class _Gone:
    """A stand-in request whose client has disconnected."""

    async def is_disconnected(self) -> bool:
        return True


def test_pool_refuses_at_once_when_full_and_drops_abandoned_jobs() -> None:
    pool = ComputePool(ByteBoundedCache(10_000), workers=1, queue=1, retry_after_s=3)
    release = threading.Event()
    ran: list[str] = []

    def blocker() -> str:
        ran.append("blocker")
        release.wait(10)
        return "done"

    def queued() -> str:
        ran.append("queued")
        return "never needed"

    async def scenario() -> None:
        running = asyncio.ensure_future(pool.run("a", blocker))
        await asyncio.sleep(0.1)
        waiting = asyncio.ensure_future(pool.run("b", queued, _Gone()))  # type: ignore[arg-type]
        await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        with pytest.raises(ServiceBusyError) as busy:
            await pool.run("c", queued)
        assert time.perf_counter() - t0 < 0.1
        assert busy.value.retry_after_s == 3
        # the client of "b" went away: its queued job is dropped before it ever runs
        with pytest.raises(ClientGoneError):
            await waiting
        assert pool.dropped == 1
        release.set()
        assert await running == "done"
        # "a" is cached now: served without a worker even if the pool were full
        assert await pool.run("a", queued) == "done"

    asyncio.run(scenario())
    assert ran == ["blocker"]
    pool.shutdown()


def test_pool_single_flight_shares_one_job() -> None:
    pool = ComputePool(ByteBoundedCache(10_000), workers=2, queue=0, retry_after_s=1)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    async def scenario() -> list[int]:
        # three askers for one key take one admission slot between them (queue=0, workers=2)
        return list(await asyncio.gather(*(pool.run("k", compute) for _ in range(3))))

    assert asyncio.run(scenario()) == [42, 42, 42]
    assert calls == [1]
    pool.shutdown()


# --- through HTTP -------------------------------------------------------------------------------------


def _block_pool(app: FastAPI, release: threading.Event) -> threading.Thread:
    """Occupy the single worker of *app* until *release* is set."""
    pool = app.state.healthcircle.pool

    def hold() -> None:
        asyncio.run(pool.run(("test", "block"), lambda: release.wait(30)))

    thread = threading.Thread(target=hold)
    thread.start()
    deadline = time.time() + 5
    while pool.running == 0 and time.time() < deadline:
        time.sleep(0.01)
    assert pool.running == 1
    return thread


def test_full_pool_answers_503_with_retry_after_while_cached_and_healthz_answer(
    app: FastAPI, client: TestClient
) -> None:
    assert client.get("/api/coverage").status_code == 200  # cached before the pool fills
    release = threading.Event()
    thread = _block_pool(app, release)
    try:
        t0 = time.perf_counter()
        busy = client.get("/api/coverage", params={"minutes": 17})
        assert time.perf_counter() - t0 < 2.0
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "7"
        assert "busy" in busy.json()["detail"]
        assert client.get("/api/coverage").status_code == 200
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
    finally:
        release.set()
        thread.join(30)
    assert client.get("/api/coverage", params={"minutes": 17}).status_code == 200


def test_body_over_the_limit_is_413(client: TestClient) -> None:
    body = json.dumps({"kind": "aed", "padding": "x" * 1_200_000})
    response = client.post("/api/siting", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "1 MB" in response.json()["detail"]


def test_422_quotes_only_a_short_prefix_of_bad_input(client: TestClient) -> None:
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [118.6, 24.7]},
        "properties": {},
    }
    body = {
        "kind": "ems",
        "count": 1,
        "candidates": {"type": "FeatureCollection", "features": [feature] * 5001},
    }
    response = client.post("/api/siting", json=body)
    assert response.status_code == 422
    assert len(response.content) < 2000
    assert "candidates" in response.json()["detail"]


def test_truncated_json_body_names_the_body(client: TestClient) -> None:
    response = client.post(
        "/api/siting", content=b'{"kind": "ems", "count": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["parameter"] == "body"
    assert "not valid JSON" in error["message"]


def test_isochrone_minutes_422_quotes_its_own_range(client: TestClient) -> None:
    response = client.get("/api/isochrones", params={"kind": "ems_station", "minutes": "90"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "from 1 to 60" in detail and "120" not in detail


def test_cached_documents_are_gzipped_once_with_etag_and_304(client: TestClient) -> None:
    first = client.get("/maps/coverage", headers={"accept-encoding": "gzip"})
    assert first.status_code == 200
    assert first.headers["content-encoding"] == "gzip"
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    again = client.get("/maps/coverage", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    plain = client.get("/maps/coverage", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text == first.text
    cache = client.app.state.healthcircle.cache  # type: ignore[attr-defined]
    payloads = [value for key, (value, _) in cache._data.items() if key[0] == "map_coverage_payload"]
    assert len(payloads) == 1  # one compressed copy, made once, for every request above
    assert gzip.decompress(payloads[0].gzipped) == payloads[0].body == plain.content


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/", "/healthz", "/api/coverage", "/static/vendor/leaflet-1.9.4/leaflet.js", "/nowhere"):
        response = client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin", path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "https://tile.openstreetmap.org" in csp, path
        assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0], path
    page = client.get("/maps/coverage")
    script_src = page.headers["content-security-policy"].split("script-src", 1)[1].split(";", 1)[0]
    assert "'sha256-" in script_src  # the map's own inline scripts, by hash


def test_cors_is_off_by_default_and_configurable(client: TestClient) -> None:
    origin = {"origin": "https://example.org"}
    assert "access-control-allow-origin" not in client.get("/healthz", headers=origin).headers
    with TestClient(create_app(Settings(cors_origins=["https://example.org"]))) as other:
        allowed = other.get("/healthz", headers=origin)
        assert allowed.headers["access-control-allow-origin"] == "https://example.org"


def test_docs_and_redoc_are_served_offline(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    redoc = client.get("/redoc")
    assert "/static/vendor/redoc-2.5.1/redoc.standalone.js" in redoc.text
    assert "fonts.googleapis" not in redoc.text and "cdn" not in redoc.text.lower()
    for asset in (
        "/static/vendor/swagger-ui-5.35.0/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui-5.35.0/swagger-ui.css",
        "/static/vendor/redoc-2.5.1/redoc.standalone.js",
    ):
        assert client.get(asset).status_code == 200, asset
    assert "'sha256-" in docs.headers["content-security-policy"]


def test_html_endpoints_document_their_422(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/maps/coverage", "/maps/ems", "/report", "/maps/siting"):
        responses = paths[path]["get"]["responses"]
        assert "422" in responses, path
        assert "application/json" in responses["422"]["content"], path


def test_worker_processes_compute_the_same_documents(client: TestClient) -> None:
    # `healthcircle serve` computes in forked worker processes; the answers are those of the threads
    with TestClient(create_app(Settings(worker_processes=True, workers=1))) as forked:
        for path, query in (("/api/coverage", {"minutes": 12}), ("/api/isochrones", {"kind": "hospital"})):
            a = forked.get(path, params=query)
            b = client.get(path, params=query)
            assert a.status_code == b.status_code == 200
            assert a.content == b.content
        page = forked.get("/maps/coverage", params={"mode": "car"})
        assert page.status_code == 200 and "leaflet" in page.text.lower()
        pool = forked.app.state.healthcircle.pool  # type: ignore[attr-defined]
        assert pool.processes
        assert len(pool.cache) >= 3  # the documents came back to this process's cache


# --- worker processes: clients that go away -----------------------------------------------------------


@register_work("test_mark_and_sleep")
def _mark_and_sleep(_state: object, marker: str, seconds: float) -> str:
    """Slow test work (runs in a forked worker): leave a mark when it starts, then sleep."""
    Path(marker).write_text("started")
    time.sleep(seconds)
    return f"slept {seconds}"


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, FastAPI]]:
    """A real uvicorn server on loopback, computing in one forked worker process, with a slow test route."""
    import uvicorn

    app = create_app(
        Settings(worker_processes=True, workers=1, queue=4, database_file=tmp_path / "db.sqlite")
    )

    @app.get("/test/slow")
    async def slow(request: Request, marker: str, seconds: float) -> str:
        pool = request.app.state.healthcircle.pool
        work = Work("test_mark_and_sleep", (marker, seconds))
        result: str = await pool.run(("slow", marker), work, request)
        return result

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 120
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "the test server did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(30)


def test_a_running_computation_ends_when_its_client_goes_away(
    live_server: tuple[str, FastAPI], tmp_path: Path
) -> None:
    base, app = live_server
    pool = app.state.healthcircle.pool
    marker = tmp_path / "long"
    old_pids = pool.worker_pids
    with pytest.raises(httpx.TimeoutException):  # the client gives up after 1 s of a 60 s computation
        httpx.get(f"{base}/test/slow", params={"marker": str(marker), "seconds": 60}, timeout=1.0)
    assert marker.exists()  # it had started
    deadline = time.time() + 10
    while pool.terminated == 0 and time.time() < deadline:
        time.sleep(0.05)
    assert pool.terminated == 1
    # the worker is free again at once (a fresh process), not after the 60 s
    t0 = time.perf_counter()
    quick = httpx.get(f"{base}/test/slow", params={"marker": str(tmp_path / "q"), "seconds": 0}, timeout=20)
    assert quick.status_code == 200 and quick.json() == "slept 0.0"
    assert time.perf_counter() - t0 < 10
    assert pool.worker_pids != old_pids and pool.running == 0


def test_a_queued_computation_whose_client_left_never_runs(
    live_server: tuple[str, FastAPI], tmp_path: Path
) -> None:
    base, app = live_server
    pool = app.state.healthcircle.pool
    first, second = tmp_path / "first", tmp_path / "second"
    results: list[int] = []

    def occupy() -> None:
        response = httpx.get(f"{base}/test/slow", params={"marker": str(first), "seconds": 2}, timeout=30)
        results.append(response.status_code)

    holder = threading.Thread(target=occupy)
    holder.start()
    deadline = time.time() + 10
    while not first.exists():
        assert time.time() < deadline
        time.sleep(0.02)
    with pytest.raises(httpx.TimeoutException):  # waits behind the first, gives up after 0.5 s
        httpx.get(f"{base}/test/slow", params={"marker": str(second), "seconds": 0}, timeout=0.5)
    holder.join(30)
    assert results == [200]  # the job whose client stayed finished
    time.sleep(0.5)
    assert not second.exists()  # the abandoned one was dropped before it started
    assert pool.dropped == 1 and pool.terminated == 0


def test_siting_solves_in_a_worker_process(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(worker_processes=True, workers=1, database_file=tmp_path / "db.sqlite")
    with TestClient(create_app(settings)) as forked:
        # after the workers forked, the serving process loses the ability to solve: an answer can only
        # have come from a worker process
        def no_solving_here(*_args: object) -> None:
            raise AssertionError("siting solved in the serving process")

        monkeypatch.setattr(app_jobs, "siting_document", no_solving_here)
        response = forked.post("/api/siting", json={"kind": "ems", "count": 2})
        assert response.status_code == 200, response.text
        doc = response.json()
        job = forked.get(f"/api/siting/jobs/{doc['job_id']}").json()
        assert job["status"] == "done"
        assert job["progress"] is not None and job["progress"]["phase"]  # progress came back from the worker
    monkeypatch.undo()
    threads = client.post("/api/siting", json={"kind": "ems", "count": 2}).json()
    assert [(s["lon"], s["lat"]) for s in doc["sites"]] == [(s["lon"], s["lat"]) for s in threads["sites"]]
    assert doc["coverage"] == threads["coverage"]


def test_siting_jobs_beyond_the_limit_get_503_but_a_waiting_request_is_joined(tmp_path: Path) -> None:
    from analysis.siting.jobs import JobStore
    from analysis.siting.request import normalise_request, request_key

    settings = Settings(siting_workers=1, queue=0, retry_after_s=9, database_file=tmp_path / "db.sqlite")
    with TestClient(create_app(settings)) as limited:
        state = limited.app.state.healthcircle  # type: ignore[attr-defined]
        # one unfinished job fills the single slot (written as the store writes it, not run here)
        request = normalise_request({"kind": "ems", "count": 1})
        key = request_key(request, data_fingerprint=state.data_fingerprint)
        JobStore(tmp_path / "db.sqlite").create(key, request, budget_seconds=60)
        busy = limited.post("/api/siting", json={"kind": "ems", "count": 2})
        assert busy.status_code == 503, busy.text
        assert busy.headers["Retry-After"] == "9" and "busy" in busy.json()["detail"]
        # the same request as the unfinished job is not refused: it joins that job
        joined = limited.post("/api/siting", json={"kind": "ems", "count": 1, "time_limit_s": 5})
        assert joined.status_code in (200, 202), joined.text
