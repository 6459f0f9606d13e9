"""``POST /api/siting`` (and ``GET /maps/siting``) with the default Jinjiang data."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
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
    assert '"background:#e6550d\\"\\u003e1\\u003c' in page
    assert '"background:#e6550d\\"\\u003e2\\u003c' in page
    assert "Added by new sites" in page
    assert "/static/vendor/leaflet" in page
    assert "cdn.jsdelivr" not in page
    assert client.get("/maps/siting", params={"kind": "ems", "count": 0}).status_code == 422
