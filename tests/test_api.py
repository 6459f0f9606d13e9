"""HTTP API: every endpoint with the default Jinjiang data, and every kind of rejected parameter."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import shapely
import shapely.geometry
from fastapi import FastAPI

from analysis import settings as defaults
from analysis.datasets import FACILITY_KINDS, load_inputs
from analysis.errors import DataError, NetworkError, ParameterError, SolverError
from analysis.maps import KIND_STYLE, UNKNOWN_LOCATION_LABEL
from analysis.standards import STANDARD_IDS
from app.config import Settings
from app.main import create_app
from app.schemas import FacilityKind, Profile

with warnings.catch_warnings():
    # Starlette prefers the httpx2 fork; plain httpx works the same for these tests.
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(Settings())


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def facilities() -> Any:
    return load_inputs().facilities


def _assert_422(response: Any, parameter: str, *fragments: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"].startswith(f"{parameter}:") or f"| {parameter}:" in body["detail"], body
    for fragment in fragments:
        assert fragment in body["detail"], body["detail"]
    assert any(e["parameter"] == parameter for e in body["errors"])


# --- vocabularies -----------------------------------------------------------------------------------------


def test_enums_match_the_library() -> None:
    assert tuple(k.value for k in FacilityKind) == tuple(FACILITY_KINDS)
    assert tuple(p.value for p in Profile) == tuple(defaults.PROFILES)
    assert set(KIND_STYLE) == set(FACILITY_KINDS)


# --- service ------------------------------------------------------------------------------------------------


def test_healthz(client: TestClient, facilities: Any) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["network_source"] == defaults.STRAIGHT_LINE_SOURCE
    assert body["facilities"] == len(facilities)
    assert body["cells"] > 1000


def test_state_is_loaded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.main as main

    calls = {"inputs": 0, "travel": 0}
    real_inputs, real_travel = main.load_county_inputs, main.load_travel_model

    def count_inputs(*args: Any, **kwargs: Any) -> Any:
        calls["inputs"] += 1
        return real_inputs(*args, **kwargs)

    def count_travel(*args: Any, **kwargs: Any) -> Any:
        calls["travel"] += 1
        return real_travel(*args, **kwargs)

    monkeypatch.setattr(main, "load_county_inputs", count_inputs)
    monkeypatch.setattr(main, "load_travel_model", count_travel)
    with TestClient(create_app(Settings())) as c:
        for _ in range(3):
            assert c.get("/healthz").status_code == 200
            assert c.get("/api/facilities").status_code == 200
    assert calls == {"inputs": 1, "travel": 1}


def test_missing_network_file_stops_the_server(tmp_path: Any) -> None:
    # A configured road graph that is not there must not silently become a straight-line estimate.
    app = create_app(Settings(network_file=tmp_path / "absent.graphml.gz"))
    with pytest.raises(NetworkError, match="does not exist"), TestClient(app):
        pass


def test_static_leaflet_is_served(client: TestClient) -> None:
    r = client.get("/static/vendor/leaflet-1.9.4/leaflet.js")
    assert r.status_code == 200
    assert "1.9.4" in r.text
    assert client.get("/static/vendor/jquery-3.7.1/jquery.min.js").status_code == 200
    assert client.get("/static/vendor/leaflet-1.9.4/leaflet.css").status_code == 200


def test_openapi_documents_every_endpoint(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/healthz",
        "/api/standards",
        "/api/facilities",
        "/api/towns",
        "/api/coverage",
        "/api/isochrones",
    ):
        assert path in spec["paths"], path
    coverage = spec["paths"]["/api/coverage"]["get"]
    names = {p["name"] for p in coverage["parameters"]}
    assert {"mode", "minutes", "profile", "include_planned", "dispatch_minutes"} <= names
    assert "422" in coverage["responses"]
    assert "examples" in spec["components"]["schemas"]["CoverageDocument"]
    assert client.get("/docs").status_code == 200


# --- data endpoints -----------------------------------------------------------------------------------------


def test_standards(client: TestClient) -> None:
    r = client.get("/api/standards")
    assert r.status_code == 200
    body = r.json()
    assert [s["id"] for s in body] == list(STANDARD_IDS)
    assert all(s["name_zh"] and s["name_en"] for s in body)


def test_facilities_all(client: TestClient, facilities: Any) -> None:
    r = client.get("/api/facilities")
    assert r.status_code == 200
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == len(facilities)
    nulls = [f for f in body["features"] if f["geometry"] is None]
    assert len(nulls) == int(facilities.geometry.isna().sum())
    assert all(f["properties"]["precision"] == "unknown" for f in nulls)
    for f in body["features"]:
        assert f["id"] == f["properties"]["id"]
        if f["geometry"] is not None:
            lon, lat = f["geometry"]["coordinates"]
            assert 118.0 < lon < 119.0 and 24.4 < lat < 25.1, "coordinates must be WGS-84 lon/lat"
        beds = f["properties"]["beds"]
        assert beds is None or isinstance(beds, int)


def test_facilities_filter_by_kind(client: TestClient, facilities: Any) -> None:
    r = client.get("/api/facilities", params=[("kind", "hospital"), ("kind", "ems_station")])
    assert r.status_code == 200
    kinds = {f["properties"]["kind"] for f in r.json()["features"]}
    assert kinds == {"hospital", "ems_station"}
    expected = int(facilities["kind"].isin(["hospital", "ems_station"]).sum())
    assert len(r.json()["features"]) == expected


def test_facilities_without_planned(client: TestClient, facilities: Any) -> None:
    r = client.get("/api/facilities", params={"include_planned": "false"})
    statuses = {f["properties"]["status"] for f in r.json()["features"]}
    assert statuses == {"open"}
    assert len(r.json()["features"]) == int((facilities["status"] != "planned").sum())


def test_facilities_unknown_kind(client: TestClient) -> None:
    _assert_422(client.get("/api/facilities", params={"kind": "spa"}), "kind", "hospital", "village_clinic")


def test_towns(client: TestClient) -> None:
    r = client.get("/api/towns")
    assert r.status_code == 200
    features = r.json()["features"]
    assert len(features) == 19
    assert all(len(f["properties"]["town_code"]) == 9 for f in features)
    assert any(f["geometry"] is None for f in features), "towns without a located seat keep geometry null"


# --- coverage -----------------------------------------------------------------------------------------------


def test_coverage_document(client: TestClient) -> None:
    r = client.get("/api/coverage")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    doc = r.json()
    for key in ("network_source", "population_source", "assumptions", "standards", "towns", "scenario"):
        assert key in doc
    assert doc["network_source"] == defaults.STRAIGHT_LINE_SOURCE
    assert [s["id"] for s in doc["standards"]] == list(STANDARD_IDS)
    assert len(doc["towns"]) == 19
    circle = next(s for s in doc["standards"] if s["id"] == "service_circle_15min")
    assert 0.0 <= circle["value"] <= 1.0


def test_coverage_matches_library_run(client: TestClient) -> None:
    from analysis.coverage import CoverageOptions, run_coverage
    from analysis.travel import StraightLineTravel

    expected = run_coverage(
        load_inputs(), StraightLineTravel(), options=CoverageOptions(profile="walk", minutes=10)
    )
    got = client.get("/api/coverage", params={"mode": "walk", "minutes": 10}).json()
    want = {s["id"]: s["value"] for s in expected.document["standards"]}
    for s in got["standards"]:
        if isinstance(want[s["id"]], float) and math.isfinite(want[s["id"]]):
            assert s["value"] == pytest.approx(want[s["id"]])


def test_coverage_short_address_and_cache(client: TestClient, app: FastAPI) -> None:
    a = client.get("/api/coverage", params={"mode": "car", "minutes": 12})
    b = client.get("/coverage", params={"mode": "car", "minutes": 12})
    assert a.status_code == b.status_code == 200
    assert a.content == b.content
    cache = app.state.healthcircle.cache
    size = len(cache)
    client.get("/api/coverage", params={"profile": "car", "minutes": 12.0})
    assert len(cache) == size, "the same scenario must not be computed again"


def test_coverage_modes_are_ordered(client: TestClient) -> None:
    def share(mode: str) -> float:
        doc = client.get("/api/coverage", params={"mode": mode}).json()
        return float(next(s["value"] for s in doc["standards"] if s["id"] == "service_circle_15min"))

    assert share("walk") <= share("ebike") <= share("car")


def test_coverage_include_planned(client: TestClient) -> None:
    doc = client.get("/api/coverage", params={"include_planned": "true"}).json()
    assert doc["scenario"]["include_planned"] is True


def test_coverage_period(client: TestClient) -> None:
    off = client.get("/api/coverage").json()
    peak = client.get("/api/coverage", params={"period": "peak"}).json()
    assert off["period"] == "offpeak"
    assert peak["period"] == "peak"
    assert peak["peak_factors"]["car"] == defaults.PEAK_FACTOR_BY_PROFILE["car"]

    def share(doc: dict) -> float:
        return float(next(s["value"] for s in doc["standards"] if s["id"] == "ems_response_14min"))

    assert share(peak) < share(off)
    for key in ("accessibility", "equity", "shortfalls", "worst_served", "town_ranking"):
        assert key in peak
    r = client.get("/api/coverage", params={"period": "night"})
    assert r.status_code == 422
    assert "period" in r.text


def test_accessibility_map(client: TestClient) -> None:
    r = client.get("/maps/accessibility", params={"period": "peak"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "Bed accessibility (E2SFCA)" in r.text
    assert "/static/vendor" in r.text


def test_coverage_headline_ranges(client: TestClient) -> None:
    doc = client.get("/api/coverage").json()
    sens = doc["population_sensitivity"]
    assert sens["headline_model"] == "tiered"
    assert [m["name"] for m in sens["models"]] == ["tiered", "area_only"]
    circle = next(s for s in doc["standards"] if s["id"] == "service_circle_15min")
    spread = circle["population_range"]
    assert spread["low"] <= circle["value"] <= spread["high"]
    assert spread["text"].startswith("depends on the population model: ")
    page = client.get("/report").text
    assert 'data-range="population"' in page and "depends on the population model" in page


def test_coverage_profile_alias_and_conflict(client: TestClient) -> None:
    a = client.get("/api/coverage", params={"profile": "walk"})
    b = client.get("/api/coverage", params={"mode": "walk"})
    assert a.content == b.content
    assert client.get("/api/coverage", params={"mode": "walk", "profile": "walk"}).status_code == 200
    _assert_422(client.get("/api/coverage", params={"mode": "walk", "profile": "car"}), "profile", "mode")


@pytest.mark.parametrize(
    ("params", "parameter", "fragment"),
    [
        ({"minutes": "-5"}, "minutes", "from 1 to 120"),
        ({"minutes": "0"}, "minutes", "from 1 to 120"),
        ({"minutes": "1000"}, "minutes", "from 1 to 120"),
        ({"minutes": "abc"}, "minutes", "from 1 to 120"),
        ({"minutes": "nan"}, "minutes", "from 1 to 120"),
        ({"minutes": "inf"}, "minutes", "from 1 to 120"),
        ({"mode": "plane"}, "mode", "ambulance, car, ebike, walk"),
        ({"profile": "rocket"}, "profile", "ambulance, car, ebike, walk"),
        ({"include_planned": "maybe"}, "include_planned", "true or false"),
        ({"dispatch_minutes": "-1"}, "dispatch_minutes", "from 0 to 30"),
        ({"dispatch_minutes": "99"}, "dispatch_minutes", "from 0 to 30"),
    ],
)
@pytest.mark.parametrize(
    "path", ["/api/coverage", "/coverage", "/maps/coverage", "/maps/ems", "/maps/accessibility", "/report"]
)
def test_coverage_bad_parameters(
    client: TestClient, path: str, params: dict[str, str], parameter: str, fragment: str
) -> None:
    _assert_422(client.get(path, params=params), parameter, fragment)


# --- isochrones ---------------------------------------------------------------------------------------------


def test_isochrones(client: TestClient, facilities: Any) -> None:
    r = client.get(
        "/api/isochrones", params={"kind": "ems_station", "minutes": "5,10,14", "profile": "ambulance"}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert body["minutes"] == [5, 10, 14]
    assert body["profile"] == "ambulance"
    stations = facilities[(facilities["kind"] == "ems_station") & (facilities["status"] != "planned")]
    located = stations[stations.geometry.notna()]
    assert len(body["features"]) == 3 * len(located)
    assert sorted(body["unlocated"]) == sorted(stations.loc[stations.geometry.isna(), "id"])
    for f in body["features"]:
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert f["properties"]["minutes"] in (5, 10, 14)
        assert f["properties"]["kind"] == "ems_station"
        lon, lat = (
            f["geometry"]["coordinates"][0][0][:2] if f["geometry"]["type"] == "Polygon" else (118.5, 24.7)
        )
        assert 118.0 < lon < 119.0 and 24.0 < lat < 25.5


def test_isochrones_buffer_on_roads(tmp_path: Any) -> None:
    from analysis.network import graph_from_xml, save_graphml
    from tests.test_network import OSM_DIR

    graph = save_graphml(graph_from_xml(OSM_DIR / "jinjiang_small.osm"), tmp_path / "g.graphml.gz")
    with TestClient(create_app(Settings(network_file=graph))) as c:
        params = {"kind": "ems_station", "minutes": "5", "profile": "ambulance"}
        areas = []
        for width in (40, 160):
            body = c.get("/api/isochrones", params={**params, "buffer_m": str(width)}).json()
            assert body["buffer_m"] == width
            areas.append(sum(shapely.geometry.shape(f["geometry"]).area for f in body["features"]))
        assert 0 < areas[0] < areas[1]
        assert c.get("/api/isochrones", params=params).json()["buffer_m"] == defaults.ISOCHRONE_BUFFER_M


def test_straight_line_isochrones_have_no_buffer(client: TestClient) -> None:
    body = client.get("/api/isochrones", params={"kind": "ems_station", "buffer_m": "200"}).json()
    assert body["buffer_m"] is None and body["features"]


def test_isochrones_defaults(client: TestClient) -> None:
    body = client.get("/api/isochrones", params={"kind": "township_centre"}).json()
    assert body["minutes"] == [defaults.SERVICE_CIRCLE_MINUTES]
    assert body["profile"] == defaults.SERVICE_CIRCLE_PROFILE
    ems = client.get("/api/isochrones", params={"kind": "ems_centre", "minutes": " 14 , 5 ,5"}).json()
    assert ems["minutes"] == [5, 14]
    assert ems["profile"] == "ambulance"


def test_isochrones_of_a_kind_without_sites(client: TestClient, facilities: Any) -> None:
    absent = [k for k in FACILITY_KINDS if k not in set(facilities["kind"])]
    if not absent:
        pytest.skip("every kind is present in the default data")
    body = client.get("/api/isochrones", params={"kind": absent[0]}).json()
    assert body["features"] == []


@pytest.mark.parametrize(
    ("params", "parameter", "fragment"),
    [
        ({"kind": "ems_station", "minutes": "5,abc"}, "minutes", "'abc' is not a number"),
        ({"kind": "ems_station", "minutes": "0"}, "minutes", "1-60"),
        ({"kind": "ems_station", "minutes": "-5"}, "minutes", "1-60"),
        ({"kind": "ems_station", "minutes": "61"}, "minutes", "1-60"),
        ({"kind": "ems_station", "minutes": "nan"}, "minutes", "1-60"),
        ({"kind": "ems_station", "minutes": "5,,10"}, "minutes", "'' is not a number"),
        ({"kind": "ems_station", "minutes": "1,2,3,4,5,6,7"}, "minutes", "at most 6"),
        ({"kind": "ems_station", "minutes": "1" * 80}, "minutes", "64 characters"),
        ({"kind": "hospice"}, "kind", "hospital"),
        ({"minutes": "5"}, "kind", "one of"),
        ({"kind": "ems_station", "profile": "horse"}, "profile", "ambulance"),
        ({"kind": "ems_station", "buffer_m": "0"}, "buffer_m", "above 0"),
        ({"kind": "ems_station", "buffer_m": "-20"}, "buffer_m", "above 0"),
        ({"kind": "ems_station", "buffer_m": "nan"}, "buffer_m", "up to 1000"),
        ({"kind": "ems_station", "buffer_m": "5000"}, "buffer_m", "up to 1000"),
    ],
)
def test_isochrones_bad_parameters(
    client: TestClient, params: dict[str, str], parameter: str, fragment: str
) -> None:
    _assert_422(client.get("/api/isochrones", params=params), parameter, fragment)


# --- pages and maps ---------------------------------------------------------------------------------------


def test_landing_page(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    page = r.text
    for link in (
        'href="/maps/coverage"',
        'href="/maps/ems"',
        'href="/api/coverage"',
        'href="/docs"',
        'href="/report"',
        'href="/maps/siting?kind=ems"',
        'href="/maps/siting?kind=facility"',
        'href="/maps/siting?kind=aed"',
        'href="/maps/coverage?include_planned=true"',
    ):
        assert link in page
    assert page.index("服务圈") < page.index("coverage")
    assert "straight-line" in page


def test_report_page(client: TestClient) -> None:
    r = client.get("/report", params={"mode": "walk"})
    assert r.status_code == 200
    assert "15分钟医疗卫生服务圈" in r.text and "Qingyang" in r.text
    for chart in ("coverage", "towns", "ems"):  # the CLI's report: same renderer, same charts
        assert f'id="chart-{chart}"' in r.text
    assert 'data-status="fail"' in r.text and "≥ 95.0%" in r.text and "lower bound" in r.text
    assert "service_circle_share" not in r.text.split("<h2>假设与来源")[0]  # no raw column names


def test_report_title_follows_minutes(client: TestClient) -> None:
    page = client.get("/report", params={"minutes": 10}).text
    assert "<h1>晋江市 10分钟医疗卫生服务圈" in page and "Jinjiang 10-minute" in page


def _offline(page: str) -> None:
    assert "/static/vendor/leaflet-1.9.4/leaflet.js" in page
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page and "code.jquery" not in page


def test_coverage_map(client: TestClient, facilities: Any) -> None:
    r = client.get("/maps/coverage")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    _offline(page)
    open_kinds = set(facilities.loc[facilities["status"] != "planned", "kind"])
    for kind in open_kinds:
        # folium writes layer names into its script as JSON strings (non-ASCII escaped)
        assert json.dumps(KIND_STYLE[kind][0])[1:-1] in page, kind
    assert UNKNOWN_LOCATION_LABEL in page
    assert "hc-banner" in page
    assert len(r.content) < 3_000_000


def test_coverage_map_accepts_coverage_parameters(client: TestClient) -> None:
    r = client.get("/maps/coverage", params={"mode": "walk", "minutes": 10, "include_planned": "true"})
    assert r.status_code == 200
    assert "10分钟" in r.text


def test_ems_map(client: TestClient) -> None:
    r = client.get("/maps/ems", params={"dispatch_minutes": 0})
    assert r.status_code == 200
    _offline(r.text)
    assert "worst-served" in r.text
    assert "14-min drive from each 120 site" in r.text  # dispatch 0: the whole response is the drive


# --- library errors become 4xx ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ParameterError("radius_m must be positive; pass 200"), 422),
        (DataError("bad row 3"), 422),
        (SolverError("infeasible"), 409),
    ],
)
def test_library_errors_are_4xx(error: Exception, status: int) -> None:
    app = create_app(Settings())

    @app.get("/boom")
    def boom() -> None:
        raise error

    with TestClient(app) as c:
        r = c.get("/boom")
    assert r.status_code == status
    assert r.json()["detail"] == str(error)
