"""``POST /api/siting`` (and ``GET /maps/siting``) with the default Jinjiang data."""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analysis.datasets import get_path
from app.config import Settings
from app.main import create_app

with warnings.catch_warnings():
    # Starlette prefers the httpx2 fork; plain httpx works the same for these tests.
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.skipif(
    not get_path("population").exists(), reason="default data not built (python -m analysis.build_default)"
)

INSIDE = [[118.60, 24.71], [118.53, 24.65]]
OUTSIDE = [120.0, 30.0]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings())) as c:
        yield c


def _collection(points: list[list[float]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": p}, "properties": {}}
            for p in points
        ],
    }


def _assert_422(response: Any, *fragments: str) -> str:
    assert response.status_code == 422, response.text
    detail: str = response.json()["detail"]
    for fragment in fragments:
        assert fragment in detail, detail
    return detail


def test_ranked_sites(client: TestClient) -> None:
    response = client.post("/api/siting", json={"kind": "ems", "count": 3})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert [s["rank"] for s in doc["sites"]] == [1, 2, 3]
    added = [s["added_population"] for s in doc["sites"]]
    assert all(a > 0 for a in added) and added == sorted(added, reverse=True)
    assert doc["baseline_coverage"] < doc["sites"][0]["cumulative_coverage"] < doc["coverage"] + 1e-9
    assert doc["solver"].startswith("HiGHS")
    modelled = [a for a in doc["assumptions"] if a.startswith("population is modelled")]
    assert len(modelled) == 1 and "modelled: modelled" not in modelled[0]
    # the CLI and the API give the same answer for the same parameters
    again = client.post("/api/siting", json={"kind": "ems", "count": 3, "model": "mclp"}).json()
    assert again["sites"] == doc["sites"]


def test_user_candidates(client: TestClient) -> None:
    response = client.post("/api/siting", json={"kind": "ems", "count": 1, "candidates": _collection(INSIDE)})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["candidate_count"] == 2
    assert len(doc["sites"]) == 1
    assert [doc["sites"][0]["lon"], doc["sites"][0]["lat"]] in [pytest.approx(p, abs=1e-5) for p in INSIDE]


def test_count_zero(client: TestClient) -> None:
    _assert_422(
        client.post("/api/siting", json={"kind": "ems", "count": 0}), "count", "greater than or equal to 1"
    )


def test_count_above_the_candidates(client: TestClient) -> None:
    body = {"kind": "ems", "count": 3, "candidates": _collection(INSIDE)}
    _assert_422(client.post("/api/siting", json=body), "count", "only 2 candidates")
    _assert_422(client.post("/api/siting", json={"kind": "ems", "count": 501}), "count", "less than or equal")


def test_unknown_field(client: TestClient) -> None:
    _assert_422(client.post("/api/siting", json={"kind": "ems", "count": 1, "spacing": 1}), "spacing")


def test_unknown_kind(client: TestClient) -> None:
    _assert_422(
        client.post("/api/siting", json={"kind": "hospital", "count": 1}), "kind", "ems, facility, aed"
    )


def test_candidates_outside_the_county(client: TestClient) -> None:
    body = {"kind": "ems", "count": 1, "candidates": _collection([INSIDE[0], OUTSIDE])}
    _assert_422(client.post("/api/siting", json=body), "candidates", "outside the county", "#2")


def test_candidates_not_points(client: TestClient) -> None:
    collection = _collection(INSIDE)
    collection["features"][1]["geometry"] = {
        "type": "LineString",
        "coordinates": [[118.6, 24.7], [118.61, 24.7]],
    }
    _assert_422(
        client.post("/api/siting", json={"kind": "ems", "count": 1, "candidates": collection}), "Point"
    )
    empty = {"type": "FeatureCollection", "features": []}
    _assert_422(
        client.post("/api/siting", json={"kind": "ems", "count": 1, "candidates": empty}), "candidates"
    )


def test_missing_count_and_unknown_model(client: TestClient) -> None:
    _assert_422(client.post("/api/siting", json={"kind": "ems"}), "count")
    _assert_422(client.post("/api/siting", json={"kind": "ems", "count": 1, "model": "best"}), "model")


def test_siting_map(client: TestClient) -> None:
    response = client.get("/maps/siting", params={"kind": "ems", "count": 2})
    assert response.status_code == 200, response.text
    page = response.text
    assert "Recommended sites" in page
    # numbered markers (folium escapes the DivIcon html inside its JSON)
    assert 'data-rank=\\"1\\"\\u003e1\\u003c' in page
    assert 'data-rank=\\"2\\"\\u003e2\\u003c' in page
    assert "Added by new sites" in page
    assert "/static/vendor/leaflet" in page
    assert "cdn.jsdelivr" not in page
    assert client.get("/maps/siting", params={"kind": "ems", "count": 0}).status_code == 422


def _wait_for_job(client: TestClient, job_id: str, *, timeout_s: float = 60.0) -> dict[str, Any]:
    began = time.monotonic()
    while True:
        response = client.get(f"/api/siting/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in ("done", "failed") or time.monotonic() - began > timeout_s:
            return job
        time.sleep(0.1)


def _answer(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/siting", json=body)
    if response.status_code == 202:
        job = _wait_for_job(client, response.json()["id"])
        assert job["status"] == "done", job
        result: dict[str, Any] = job["result"]
        return result
    assert response.status_code == 200, response.text
    doc: dict[str, Any] = response.json()
    return doc


def test_same_request_same_sites_on_map_api_and_cli(client: TestClient) -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    doc = _answer(client, {"kind": "ems", "count": 3})
    assert doc["optimal"] is True and doc["gap_percent"] == 0.0
    assert "cell_rank" not in doc
    page = client.get("/maps/siting", params={"kind": "ems", "count": 3}).text
    for site in doc["sites"]:
        assert f"{site['lat']:.5f}, {site['lon']:.5f}" in page  # the marker popups of the same sites
    assert "最优解 proven optimal" in page
    result = CliRunner().invoke(cli, ["site", "--kind", "ems", "--count", "3", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sites"] == doc["sites"]


def test_time_limited_answer_is_labelled_and_not_kept_as_final(client: TestClient) -> None:
    # 8 health facilities by MCLP cannot be proven optimal within 0.1 s: the run stops at its budget
    body = {"kind": "facility", "count": 8, "time_limit_s": 0.1}
    doc = _answer(client, body)
    assert doc["optimal"] is False and doc["time_limited"] is True
    assert doc["gap_percent"] is None or doc["gap_percent"] > 0
    assert doc["solution_label"].startswith("时限内最好解 best found in")
    assert doc["budget_seconds"] == pytest.approx(0.1)
    assert len(doc["sites"]) == 8
    page = client.get("/maps/siting", params={"kind": "facility", "count": 8, "time_limit_s": 0.1}).text
    assert "Not proven optimal" in page
    # not cached as the answer: asking again runs again (continuing from the best sites found)
    second = client.post("/api/siting", json=body)
    if second.status_code == 200:
        assert second.json()["job_id"] != doc["job_id"]  # a new run answered, not the stored one
    else:
        assert second.status_code == 202
        assert second.json()["id"] != doc["job_id"]
    # with a real budget the same request is proven optimal and covers at least as many people
    full = _answer(client, {"kind": "facility", "count": 8, "time_limit_s": 120})
    assert full["optimal"] is True and full["covered_population"] >= doc["covered_population"] - 1e-6


def test_unknown_job(client: TestClient) -> None:
    response = client.get("/api/siting/jobs/nope")
    assert response.status_code == 404 and "POST /api/siting" in response.json()["detail"]


def test_job_api_survives_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.routes.siting as siting_routes

    monkeypatch.setattr(siting_routes, "API_WAIT_S", 0.0)  # every request becomes a job
    settings = Settings(database_file=tmp_path / "county.sqlite")
    body = {"kind": "facility", "count": 2}
    with TestClient(create_app(settings)) as first:
        response = first.post("/api/siting", json=body)
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        assert response.headers["location"] == f"/api/siting/jobs/{job_id}"
        assert response.json()["status"] in ("queued", "running", "done")
    # a job a killed server left queued (written as the store writes it, no server running)
    from analysis.siting.jobs import JobStore
    from analysis.siting.request import normalise_request

    left = JobStore(tmp_path / "county.sqlite").create(
        "left-over", normalise_request({"kind": "ems", "count": 1}), budget_seconds=60
    )
    # a new server on the same database finds both jobs and (re)runs them to the end
    with TestClient(create_app(settings)) as second:
        resumed = _wait_for_job(second, left.id)
        assert resumed["status"] == "done" and len(resumed["result"]["sites"]) == 1
        job = _wait_for_job(second, job_id)
        assert job["status"] == "done", job
        assert job["result"]["optimal"] is True and len(job["result"]["sites"]) == 2
        assert job["progress"]["elapsed_seconds"] >= 0
        # the proven answer is now stored for the request: a repeat is answered at once
        monkeypatch.setattr(siting_routes, "API_WAIT_S", 5.0)
        again = second.post("/api/siting", json=body)
        assert again.status_code == 200 and again.json()["sites"] == job["result"]["sites"]


def test_mexclp_needs_the_ambulances_per_station(client: TestClient) -> None:
    body = {"kind": "ems", "count": 2, "model": "mexclp"}
    refused = client.post("/api/siting", json=body)
    assert refused.status_code == 422 and "unknown" in refused.json()["detail"]
    assert "assume_unknown_ambulances" in refused.json()["detail"]
    bad = client.post("/api/siting", json={**body, "busy_fraction": 1.5})
    assert bad.status_code == 422 and "busy_fraction" in bad.text
