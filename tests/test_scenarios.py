"""What-if scenarios on the line county of ``test_coverage`` (values worked by hand), the store, kill -9.

Line county: cells c1 (x=0, 100 people, town A), c2 (5 km, 200, A), c3 (10 km, 300, B); open hospital at
0, township centre at 10 km, 120 station ems1 at 0.5 km (1 ambulance), planned hospital at 5 km.
Scenario "middle": add a community centre at 5 km, move ems1 to 5 km, give it 3 ambulances.

- 15-min e-bike circle (250 m/min → 3.75 km): today c1, c3 → 400/600; middle adds c2 → 1.0 (fail → pass);
  town A 100/300 → 1.0 (fail → pass).
- 14-min response = 11 min drive at 500 m/min → 5.5 km: today c1, c2 → 0.5; from 5 km every cell → 1.0
  (fail → pass); town B 0 → 1 (fail → pass), town A 1 → 1.
- 5 km radius on the road (1.5 × straight): today c1 (0.75 km) → 1/6; from 5 km only c2 → 1/3.
- ambulances 1 → 3.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pyproj import Transformer

from analysis.errors import ParameterError
from analysis.scenarios import (
    ADDED_SOURCE,
    ScenarioStore,
    apply_changes,
    compare_documents,
    parse_scenario,
    run_scenario,
)
from analysis.store import connect
from tests.test_coverage import WORKING, X0, Y0, LineTravel, make_inputs

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

_TO_WGS = Transformer.from_crs(WORKING, "EPSG:4326", always_xy=True)
MID_LON, MID_LAT = (float(v) for v in _TO_WGS.transform(X0 + 5000, Y0))

MIDDLE = [
    {
        "op": "add",
        "kind": "community_centre",
        "lon": MID_LON,
        "lat": MID_LAT,
        "name_zh": "中段社区卫生服务中心",
    },
    {"op": "move", "facility_id": "ems1", "lon": MID_LON, "lat": MID_LAT},
    {"op": "set_ambulances", "facility_id": "ems1", "ambulances": 3},
]


def _by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in rows}


def test_apply_changes_copies_and_labels() -> None:
    inputs = make_inputs()
    before = inputs.facilities.copy()
    spec = parse_scenario("middle", "today", [*MIDDLE, {"op": "remove", "facility_id": "thc"}])
    changed = apply_changes(inputs, spec).facilities
    assert inputs.facilities.equals(before)  # the caller's inputs are untouched
    ids = list(changed["id"])
    assert "plan" not in ids and "thc" not in ids  # base today: planned ones left out; thc removed
    added = changed[changed["id"] == "scenario-add-1"].iloc[0]
    assert added["kind"] == "community_centre" and added["status"] == "open"
    assert added["source"] == ADDED_SOURCE and added["precision"] == "exact"
    assert added["town_code"] == "A"  # 5 km lies in town A's area
    assert pd.isna(added["beds"]) and pd.isna(added["ambulances"])  # not given: unknown, not zero
    ems = changed[changed["id"] == "ems1"].iloc[0]
    assert int(ems["ambulances"]) == 3
    assert ems.geometry.x == pytest.approx(MID_LON) and ems.geometry.y == pytest.approx(MID_LAT)
    planned = apply_changes(inputs, parse_scenario("p", "planned", [])).facilities
    assert planned.loc[planned["id"] == "plan", "status"].item() == "open"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ([{"op": "paint"}], "unknown op"),
        ([{"op": "add", "kind": "spa", "lon": 1, "lat": 2}], "kind must be one of"),
        ([{"op": "add", "kind": "aed", "lon": 200, "lat": 2}], "WGS-84"),
        ([{"op": "remove"}], "facility_id"),
        ([{"op": "set_beds", "facility_id": "hosp", "beds": -1}], "at least 0"),
        ([{"op": "set_beds", "facility_id": "hosp", "beds": 2.5}], "whole number"),
        ([{"op": "remove", "facility_id": "hosp", "lon": 1}], "unexpected fields"),
    ],
)
def test_bad_changes_are_refused(changes: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        parse_scenario("bad", "today", changes)


def test_unknown_facility_is_refused() -> None:
    spec = parse_scenario("x", "today", [{"op": "remove", "facility_id": "plan"}])
    with pytest.raises(ParameterError, match="no facility 'plan' in the base 'today'"):
        apply_changes(make_inputs(), spec)


def test_compare_worked_by_hand() -> None:
    inputs, travel = make_inputs(), LineTravel()
    today, _ = run_scenario(inputs, travel, "today")
    middle, _ = run_scenario(inputs, travel, parse_scenario("middle", "today", MIDDLE))
    result = compare_documents(today.document, middle.document, a_label={"id": "today"}, b_label={"id": "m"})
    standards = _by_id(result["standards"])
    circle = standards["service_circle_15min"]
    assert circle["a"] == pytest.approx(400 / 600) and circle["b"] == pytest.approx(1.0)
    assert circle["change"] == pytest.approx(200 / 600) and circle["flip"] == "fail→pass"
    response = standards["ems_response_14min"]
    assert (response["a"], response["b"], response["flip"]) == (
        pytest.approx(0.5),
        pytest.approx(1.0),
        "fail→pass",
    )
    radius = standards["ems_radius_5km"]
    assert (radius["a"], radius["b"], radius["flip"]) == (pytest.approx(1 / 6), pytest.approx(1 / 3), None)
    assert standards["ambulance_per_30k"]["a"] == 1 and standards["ambulance_per_30k"]["b"] == 3
    assert standards["aed_walk_access"]["change"] is None  # unknown stays unknown
    towns = {t["town_code"]: _by_id(t["standards"]) for t in result["towns"]}
    assert towns["A"]["service_circle_15min"]["a"] == pytest.approx(1 / 3)
    assert towns["A"]["service_circle_15min"]["flip"] == "fail→pass"
    assert towns["A"]["ems_response_14min"]["flip"] is None  # covered in both
    assert (
        towns["B"]["ems_response_14min"]["a"] == 0 and towns["B"]["ems_response_14min"]["flip"] == "fail→pass"
    )
    assert result["flips"] == {"standards": 2, "towns": 2}
    # the other way round the flips reverse
    back = compare_documents(middle.document, today.document, a_label={}, b_label={})
    assert _by_id(back["standards"])["ems_response_14min"]["flip"] == "pass→fail"


def test_built_in_scenarios_are_the_coverage_runs() -> None:
    from analysis.coverage import CoverageOptions, run_coverage

    inputs, travel = make_inputs(), LineTravel()
    planned, _ = run_scenario(inputs, travel, "planned")
    direct = run_coverage(inputs, travel, options=CoverageOptions(include_planned=True)).document
    assert planned.document["standards"] == direct["standards"]
    with pytest.raises(ParameterError, match="unknown scenario"):
        run_scenario(inputs, travel, "tomorrow")


def test_store_round_trip_and_delete(tmp_path: Path) -> None:
    store = ScenarioStore(tmp_path / "db.sqlite")
    spec = parse_scenario("middle", "today", MIDDLE)
    saved = store.add(spec, note="by hand")
    again = ScenarioStore(tmp_path / "db.sqlite").get(saved.id)
    assert again is not None and again.spec == spec and again.note == "by hand"
    assert [row["id"] for row in store.list()] == [saved.id]
    assert store.list()[0]["changes"] == 3
    assert store.delete(saved.id) and not store.delete(saved.id)
    with connect(tmp_path / "db.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM scenario_changes").fetchone()[0] == 0  # cascaded


_WRITER = textwrap.dedent(
    """
    import sys
    from analysis.scenarios import ScenarioStore, parse_scenario

    store = ScenarioStore(sys.argv[1])
    changes = [
        {"op": "add", "kind": "aed", "lon": 118.5 + i * 1e-4, "lat": 24.7, "name_zh": "x" * 200}
        for i in range(400)
    ]
    n = 0
    while True:
        n += 1
        saved = store.add(parse_scenario(f"s{n}", "today", changes))
        print(saved.id, flush=True)  # acknowledged: the transaction has committed
    """
)


def test_kill_9_during_writes_loses_nothing_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "county.sqlite"
    ScenarioStore(path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    acknowledged: list[str] = []
    try:
        assert proc.stdout is not None
        while len(acknowledged) < 8:
            line = proc.stdout.readline()
            assert line, "the writer died before writing"
            acknowledged.append(line.strip())
    finally:
        proc.send_signal(signal.SIGKILL)  # in the middle of the next write, most likely
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    store = ScenarioStore(path)
    with connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute(
            "SELECT s.id, s.n_changes, COUNT(c.position) FROM scenarios s "
            "LEFT JOIN scenario_changes c ON c.scenario_id = s.id GROUP BY s.id"
        ).fetchall()
    assert all(n == 400 and count == 400 for _, n, count in rows)  # none half-written
    ids = {row[0] for row in rows}
    assert set(acknowledged) <= ids  # every acknowledged one is there
    assert len(ids) <= len(acknowledged) + 1  # at most the one being committed as it died
    first = store.get(acknowledged[0])
    assert first is not None and len(first.spec.changes) == 400


@pytest.fixture
def tiny_client(tmp_path: Path) -> Iterator[TestClient]:
    from app.config import Settings
    from app.deps import AppState
    from app.main import create_app

    settings = Settings(database_file=tmp_path / "tiny.sqlite")
    app = create_app(settings)
    app.state.healthcircle = AppState(
        inputs=make_inputs(),
        travel=LineTravel(),  # type: ignore[arg-type]
        settings=settings,
        database_file=tmp_path / "tiny.sqlite",
        data_fingerprint="tiny line county",
    )
    with TestClient(app) as client:
        yield client
    app.state.healthcircle.close()


def test_compare_endpoint_on_the_tiny_county(tiny_client: TestClient) -> None:
    created = tiny_client.post("/api/scenarios", json={"name": "middle", "base": "today", "changes": MIDDLE})
    assert created.status_code == 201, created.text
    scenario_id = created.json()["id"]
    assert [s["id"] for s in tiny_client.get("/api/scenarios").json()] == [scenario_id]
    coverage = tiny_client.get(f"/api/scenarios/{scenario_id}/coverage")
    assert coverage.status_code == 200, coverage.text
    doc = coverage.json()
    assert doc["what_if"]["name"] == "middle"
    plain = tiny_client.get("/api/coverage").json()
    assert set(plain) <= set(doc)  # the same document, with the what-if block beside it
    assert _by_id(doc["standards"])["ems_response_14min"]["value"] == pytest.approx(1.0)
    result = tiny_client.get("/api/compare", params={"a": "today", "b": scenario_id}).json()
    standards = _by_id(result["standards"])
    assert standards["service_circle_15min"]["change"] == pytest.approx(1 / 3)
    assert standards["ems_response_14min"]["flip"] == "fail→pass"
    assert result["flips"] == {"standards": 2, "towns": 2}
    assert result["b"]["name"] == "middle"
    page = tiny_client.get("/maps/compare", params={"a": "today", "b": scenario_id, "measure": "covered_ems"})
    assert page.status_code == 200 and "People gained: 300" in page.text
    assert tiny_client.delete(f"/api/scenarios/{scenario_id}").status_code == 204
    assert tiny_client.get(f"/api/scenarios/{scenario_id}").status_code == 404
    assert tiny_client.get("/api/compare", params={"a": "today", "b": scenario_id}).status_code == 404


def test_scenario_errors_are_422(tiny_client: TestClient) -> None:
    bad = tiny_client.post(
        "/api/scenarios", json={"name": "x", "changes": [{"op": "remove", "facility_id": "nowhere"}]}
    )
    assert bad.status_code == 422 and "no facility 'nowhere'" in bad.json()["detail"]
    assert tiny_client.get("/api/scenarios").json() == []  # nothing saved
    missing = tiny_client.post("/api/scenarios", json={"name": "x", "siting_job": "nope"})
    assert missing.status_code == 422 and "siting_job" in missing.json()["detail"]


def test_siting_sites_saved_as_a_scenario_in_one_call(tiny_client: TestClient) -> None:
    points = [[float(v) for v in _TO_WGS.transform(X0 + x, Y0)] for x in (2500.0, 9500.0)]
    candidates = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": p}} for p in points],
    }
    siting = tiny_client.post("/api/siting", json={"kind": "ems", "count": 1, "candidates": candidates})
    assert siting.status_code == 200, siting.text
    doc = siting.json()
    created = tiny_client.post("/api/scenarios", json={"name": "recommended", "siting_job": doc["job_id"]})
    assert created.status_code == 201, created.text
    changes = created.json()["changes"]
    assert [(c["op"], c["kind"]) for c in changes] == [("add", "ems_station")]
    assert (changes[0]["lon"], changes[0]["lat"]) == (doc["sites"][0]["lon"], doc["sites"][0]["lat"])
    result = tiny_client.get("/api/compare", params={"a": "today", "b": created.json()["id"]}).json()
    response = _by_id(result["standards"])["ems_response_14min"]
    # the station at 9.5 km adds c3 (300 people, 1 km away): 0.5 → 1.0; the one at 2.5 km would add nothing
    assert doc["sites"][0]["added_population"] == pytest.approx(300.0)
    assert (response["a"], response["b"]) == (pytest.approx(0.5), pytest.approx(1.0))


def test_added_aed_counts_on_top_of_the_reported_ones() -> None:
    # the line county lists no AED and reports 60: adding one gives 61, never 1
    inputs = make_inputs()
    spec = parse_scenario("aed", "today", [{"op": "add", "kind": "aed", "lon": MID_LON, "lat": MID_LAT}])
    facilities = apply_changes(inputs, spec).facilities
    aeds = facilities[facilities["kind"] == "aed"]
    assert len(aeds) == 61
    assert aeds.geometry.notna().sum() == 1  # the reported ones stay without a location
    assert set(aeds.loc[aeds.geometry.isna(), "precision"]) == {"unknown"}
    today, _ = run_scenario(inputs, LineTravel(), "today")
    with_aed, _ = run_scenario(inputs, LineTravel(), spec)
    assert _by_id(today.document["standards"])["aed_per_10k"]["value"] == 60
    assert _by_id(with_aed.document["standards"])["aed_per_10k"]["value"] == 61
