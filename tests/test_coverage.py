"""Coverage against the standards on tiny hand-made inputs with a line-shaped travel model.

The test county is a straight east-west line (working CRS offsets from X0, Y0 in metres):

    x =      0     500    5000   10000
    cells    c1           c2     c3          populations 100, 200, 300
    sites    hosp  ems1   plan   thc         plan = planned hospital (opens 2026)

Towns: A holds c1 and c2 (300 people), B holds c3 (300), C has no known area. ``LineTravel``
moves along the line at fixed speeds (m/min): walk 50, ebike 250, car 500, ambulance 500, and
its road distance is 1.5 × the straight line, so every expected value below is worked by hand.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from analysis import settings
from analysis.coverage import (
    CELL_COLUMNS,
    CoverageOptions,
    aed_per_10k,
    ambulance_per_30k,
    beds_per_1000,
    coverage_curve,
    ems_response_14min,
    negative_pressure_share_40,
    resolve_options,
    run_coverage,
    service_circle_15min,
    village_clinic_each_village,
    washing_centre_per_subcentre,
    weighted_quantile,
)
from analysis.datasets import Inputs
from analysis.errors import ParameterError
from analysis.population import PopulationSurface
from analysis.standards import STANDARD_IDS
from analysis.travel import NearestResult

X0, Y0 = 656_000.0, 2_744_000.0
WORKING = "EPSG:32650"

CELLS = [("c1", 1, 0.0, 100.0, "A"), ("c2", 2, 5000.0, 200.0, "A"), ("c3", 3, 10000.0, 300.0, "B")]


class LineTravel:
    """Travel along a straight road: minutes = distance / speed; road distance = 1.5 × straight.

    ``reach_m`` makes points farther than that from every source unreachable (inf), as cells
    beyond a network's snap limit would be.
    """

    SPEED_M_PER_MIN: ClassVar[dict[str, float]] = {
        "walk": 50.0,
        "ebike": 250.0,
        "car": 500.0,
        "ambulance": 500.0,
    }
    DETOUR = 1.5

    def __init__(self, *, reach_m: float = math.inf) -> None:
        self.crs = WORKING
        self.network_source = "test line road"
        self.reach_m = reach_m
        self.calls: list[str] = []

    def _straight(self, sources_xy: np.ndarray, targets_xy: np.ndarray) -> np.ndarray:
        s = np.asarray(sources_xy, dtype=float).reshape(-1, 2)
        t = np.asarray(targets_xy, dtype=float).reshape(-1, 2)
        d = np.hypot(s[:, None, 0] - t[None, :, 0], s[:, None, 1] - t[None, :, 1])
        d[d > self.reach_m] = np.inf
        return d

    def matrix(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Literal["from_sources", "to_sources"] = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> np.ndarray:
        self.calls.append(f"matrix:{profile}:{direction}")
        out = self._straight(sources_xy, targets_xy) / self.SPEED_M_PER_MIN[profile]
        if cutoff_minutes is not None:
            out[out > cutoff_minutes] = np.inf
        return out

    def nearest(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Literal["from_sources", "to_sources"] = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> NearestResult:
        self.calls.append(f"nearest:{profile}")
        m = self.matrix(sources_xy, targets_xy, profile=profile, cutoff_minutes=cutoff_minutes)
        idx = np.where(np.isfinite(m.min(axis=0)), m.argmin(axis=0), -1)
        return NearestResult(m.min(axis=0), idx, np.zeros(m.shape[1]))

    def nearest_distance_m(
        self, sources_xy: np.ndarray, targets_xy: np.ndarray, *, profile: str, cutoff_m: float | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        self.calls.append(f"distance:{profile}")
        d = self._straight(sources_xy, targets_xy) * self.DETOUR
        best, idx = d.min(axis=0), d.argmin(axis=0)
        if cutoff_m is not None:
            best = np.where(best <= cutoff_m, best, np.inf)
        return best, np.where(np.isfinite(best), idx, -1)

    def isochrones(
        self,
        sources_xy: np.ndarray,
        *,
        profile: str,
        minutes: Sequence[float],
        direction: Literal["from_sources", "to_sources"] = "from_sources",
        source_ids: Sequence[str] | None = None,
    ) -> gpd.GeoDataFrame:
        raise NotImplementedError


def _point(x: float) -> shapely.Point:
    return shapely.Point(X0 + x, Y0)


def facility(fid: str, kind: str, x: float | None, **attrs: Any) -> dict[str, Any]:
    row = {
        "id": fid,
        "name_zh": f"{fid}院",
        "name_en": fid,
        "kind": kind,
        "tier": None,
        "community": None,
        "town_code": None,
        "beds": None,
        "ambulances": None,
        "negative_pressure_ambulances": None,
        "status": "open",
        "opens": None,
        "source": "test",
        "precision": "exact" if x is not None else "unknown",
        "note": "",
        "geometry": _point(x) if x is not None else None,
    }
    row.update(attrs)
    return row


def base_facilities() -> list[dict[str, Any]]:
    return [
        facility("hosp", "hospital", 0.0, beds=100, community="hosp", town_code="A"),
        facility("thc", "township_centre", 10000.0, community="tcm", town_code="B"),
        facility("plan", "hospital", 5000.0, beds=900, status="planned", opens="2026", community="hosp"),
        facility("ems1", "ems_station", 500.0, ambulances=1, negative_pressure_ambulances=0),
        facility("lost", "community_centre", None),
    ]


FACTS = {
    "census_population_2020": {"id": "census_population_2020", "value": 600, "unit": "people"},
    "aed_public_count": {"id": "aed_public_count", "value": 60, "year": 2022, "source": "test paper"},
    "villages_communities": {"id": "villages_communities", "value": 2},
}


def make_inputs(facilities: list[dict[str, Any]] | None = None, *, facts: dict | None = None) -> Inputs:
    """Tiny Inputs on the line (see module docstring); geometry given in the working CRS."""
    rows = facilities if facilities is not None else base_facilities()
    fac = gpd.GeoDataFrame(rows, geometry="geometry", crs=WORKING).to_crs(settings.GEOGRAPHIC_CRS)
    cells = gpd.GeoDataFrame(
        {
            "cell_id": [c[1] for c in CELLS],
            "population": [c[3] for c in CELLS],
            "town_code": [c[4] for c in CELLS],
            "method": "test",
        },
        geometry=[shapely.box(X0 + c[2] - 50, Y0 - 50, X0 + c[2] + 50, Y0 + 50) for c in CELLS],
        crs=WORKING,
    ).to_crs(settings.GEOGRAPHIC_CRS)
    towns = gpd.GeoDataFrame(
        {
            "town_code": ["A", "B", "C"],
            "name_zh": ["甲镇", "乙镇", "丙镇"],
            "name_en": ["A town", "B town", "C town"],
            "kind": "town",
            "seat_known": [True, True, False],
            "precision": ["approximate", "approximate", "unknown"],
            "source": "test",
            "census_2020": [None, None, None],
            "community": ["hosp", "tcm", "hosp"],
        },
        geometry=[
            shapely.box(X0 - 100, Y0 - 100, X0 + 7000, Y0 + 100),
            shapely.box(X0 + 7000, Y0 - 100, X0 + 10100, Y0 + 100),
            None,
        ],
        crs=WORKING,
    ).to_crs(settings.GEOGRAPHIC_CRS)
    boundary = gpd.GeoDataFrame(
        geometry=[shapely.box(X0 - 100, Y0 - 100, X0 + 10100, Y0 + 100)], crs=WORKING
    ).to_crs(settings.GEOGRAPHIC_CRS)
    population = PopulationSurface(cells=cells, source="test cells on a line", modelled=True)
    return Inputs(facilities=fac, boundary=boundary, towns=towns, population=population, facts=facts or FACTS)


def by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in document["standards"]}


def town(result: dict[str, Any], code: str) -> dict[str, Any]:
    return next(r for r in result["towns"] if r["town_code"] == code)


# --- the 15-minute circle ----------------------------------------------------------------------
def test_service_circle_by_mode_and_tier() -> None:
    doc = run_coverage(make_inputs(), LineTravel()).document
    circle = by_id(doc)["service_circle_15min"]
    # ebike 250 m/min: nearest open facility c1 0 (hosp), c2 20 (hosp/thc 5 km), c3 0 (thc)
    assert circle["value"] == pytest.approx(400 / 600)
    assert circle["profile"] == "ebike"
    assert circle["passed"] is False  # 2/3 < 95%
    assert circle["by_mode"]["ebike"]["township"] == pytest.approx(400 / 600)
    assert circle["by_mode"]["ebike"]["hospital"] == pytest.approx(100 / 600)  # only c1 near hosp
    assert circle["by_mode"]["walk"]["any"] == pytest.approx(400 / 600)  # c2 100 min on foot
    assert circle["by_mode"]["car"]["any"] == pytest.approx(1.0)  # c2 10 min by car
    assert circle["population_considered"] == pytest.approx(600)
    assert circle["assumptions"]["SERVICE_CIRCLE_PROFILE"] == "ebike"
    assert circle["assumptions"]["CIRCLE_REQUIRED_SHARE"] == settings.CIRCLE_REQUIRED_SHARE
    # per town: A = c1 (covered) + c2 (not) -> 100/300; B = c3 -> 1; C location unknown
    assert town(circle, "A")["value"] == pytest.approx(1 / 3)
    assert town(circle, "B")["value"] == pytest.approx(1.0)
    assert town(circle, "A")["value_hospital"] == pytest.approx(1 / 3)
    assert town(circle, "B")["value_hospital"] == pytest.approx(0.0)
    assert town(circle, "C")["value"] is None
    assert "location unknown" in town(circle, "C")["note"]


def test_headline_profile_and_minutes_options() -> None:
    doc = run_coverage(make_inputs(), LineTravel(), options=CoverageOptions(profile="car")).document
    assert by_id(doc)["service_circle_15min"]["value"] == pytest.approx(1.0)
    assert by_id(doc)["service_circle_15min"]["passed"] is True
    doc = run_coverage(make_inputs(), LineTravel(), options=CoverageOptions(minutes=20)).document
    assert by_id(doc)["service_circle_15min"]["value"] == pytest.approx(1.0)  # c2 at 20.0 min


def test_curve_is_share_within_each_minute() -> None:
    doc = run_coverage(make_inputs(), LineTravel()).document
    curve = by_id(doc)["service_circle_15min"]["curve"]
    assert curve["minutes"][:3] == [0, 1, 2]
    assert len(curve["ebike"]) == settings.CURVE_MAX_MINUTES + 1
    # ebike: 0 min for c1, c3 (400); 20 min for c2
    assert curve["ebike"][19] == pytest.approx(400 / 600)
    assert curve["ebike"][20] == pytest.approx(1.0)


# --- the ambulance response ---------------------------------------------------------------------
def test_ems_response_share_median_p90_and_worst() -> None:
    doc = run_coverage(make_inputs(), LineTravel()).document
    ems = by_id(doc)["ems_response_14min"]
    # ems1 at 500 m, 500 m/min: drive 1, 9, 19 min; + 3 dispatch = 4, 12, 22
    assert ems["value"] == pytest.approx(300 / 600)
    assert ems["median_minutes"] == pytest.approx(12.0)  # cumulative 100, 300 (= half), 600
    assert ems["p90_minutes"] == pytest.approx(22.0)
    assert ems["passed"] is False
    assert ems["assumptions"]["EMS_DISPATCH_MINUTES"] == 3.0
    worst = ems["worst_served"]["cells"]
    assert [c["cell_id"] for c in worst] == [3, 2, 1]
    assert worst[0]["response_minutes"] == pytest.approx(22.0)
    assert ems["worst_served"]["towns"][0]["town_code"] == "B"
    assert town(ems, "A")["value"] == pytest.approx(1.0)
    assert town(ems, "A")["median_minutes"] == pytest.approx(12.0)  # 100 at 4, 200 at 12
    assert town(ems, "B")["value"] == pytest.approx(0.0)


def test_dispatch_minutes_is_added() -> None:
    options = CoverageOptions(dispatch_minutes=6)
    run = run_coverage(make_inputs(), LineTravel(), options=options)
    # 7, 15, 25 -> only c1 within 14
    assert by_id(run.document)["ems_response_14min"]["value"] == pytest.approx(100 / 600)
    assert run.cells["ems_response_minutes"].tolist() == pytest.approx([7.0, 15.0, 25.0])


def test_ems_radius_network_and_straight_line() -> None:
    doc = run_coverage(make_inputs(), LineTravel()).document
    radius = by_id(doc)["ems_radius_5km"]
    # straight 500, 4500, 9500 m -> c1, c2; by road ×1.5: 750, 6750, 14250 -> c1 only
    assert radius["value"] == pytest.approx(100 / 600)
    assert radius["straight_line_share"] == pytest.approx(300 / 600)
    assert radius["passed"] is False
    assert town(radius, "A")["straight_line_value"] == pytest.approx(1.0)


# --- counts --------------------------------------------------------------------------------------
def test_fleet_ratios_when_known() -> None:
    doc = run_coverage(make_inputs(), LineTravel()).document
    amb = by_id(doc)["ambulance_per_30k"]
    assert amb["value"] == 1 and amb["target"] == 1  # ceil(600 / 30000)
    assert amb["passed"] is True
    assert amb["stations"][0]["population"] == pytest.approx(600)
    neg = by_id(doc)["negative_pressure_share_40"]
    assert neg["value"] == 0.0 and neg["passed"] is False


def test_unknown_fleet_is_unknown_never_guessed() -> None:
    rows = [*base_facilities(), facility("ems2", "ems_subcentre", None)]
    doc = run_coverage(make_inputs(rows), LineTravel()).document
    amb = by_id(doc)["ambulance_per_30k"]
    assert amb["value"] is None
    assert amb["passed"] is None
    assert amb["status"] == "unknown"
    assert amb["value_text"] == "unknown"
    assert amb["target"] == 1
    assert "ems2" in amb["note"] and "Not guessed" in amb["note"]
    assert by_id(doc)["negative_pressure_share_40"]["passed"] is None


def test_ambulance_function_directly() -> None:
    sites = pd.DataFrame({"id": ["a", "b"], "name_zh": ["甲", "乙"], "ambulances": [2, 3]})
    result = ambulance_per_30k(sites, 150_001, catchment_population={"a": 60_000, "b": 90_001})
    assert result["value"] == 5 and result["target"] == 6 and result["passed"] is False
    assert [s["needed"] for s in result["stations"]] == [2, 4]
    assert [s["passed"] for s in result["stations"]] == [True, False]
    npr = negative_pressure_share_40(sites.assign(negative_pressure_ambulances=[1, 1]))
    assert npr["value"] == pytest.approx(0.4) and npr["passed"] is True


def test_aed_count_only_uses_reported_count() -> None:
    doc = run_coverage(make_inputs(), LineTravel()).document
    aed = by_id(doc)["aed_per_10k"]
    assert aed["value"] == 60 and aed["target"] == 1  # ceil(600 / 10000)
    assert aed["passed"] is True
    assert aed["count_source"] == "reported count"
    assert "No AED locations" in aed["note"] and "60" in aed["note"]
    walk = by_id(doc)["aed_walk_access"]
    assert walk["value"] is None and walk["passed"] is None
    assert "No AED locations" in walk["note"]


def test_aed_count_function_needs_reported_or_located() -> None:
    empty = pd.DataFrame({"id": [], "kind": []})
    result = aed_per_10k(empty, 2_061_551, facts={})
    assert result["value"] is None and result["passed"] is None and result["target"] == 207
    result = aed_per_10k(empty, 2_061_551, facts={"aed_public_count": {"value": 60}})
    assert result["value"] == 60 and result["passed"] is False


def test_aed_locations_give_walk_access() -> None:
    rows = [*base_facilities(), facility("aed1", "aed", 100.0)]
    doc = run_coverage(make_inputs(rows), LineTravel()).document
    aed = by_id(doc)["aed_per_10k"]
    assert aed["value"] == 1 and aed["count_source"] == "locations" and aed["passed"] is True
    walk = by_id(doc)["aed_walk_access"]
    # aed1 100 m from c1: 150 m by road <= 200 m; c2, c3 far
    assert walk["value"] == pytest.approx(100 / 600)
    assert walk["passed"] is None  # no plan target


def test_beds_known_and_unknown() -> None:
    doc = run_coverage(make_inputs(), LineTravel()).document
    beds = by_id(doc)["beds_per_1000"]
    assert beds["value"] == pytest.approx(100 / 600 * 1000)
    assert beds["passed"] is True  # a lower bound already above 4.2
    assert {"thc (thc院)", "lost (lost院)"} <= set(beds["beds_unknown_at"])
    communities = {c["community"]: c for c in beds["communities"]}
    assert communities["hosp"]["value"] == pytest.approx(100 / 300 * 1000)
    assert communities["tcm"]["beds_unknown_at"] == ["thc (thc院)"]


def test_beds_short_with_unknowns_is_unknown() -> None:
    fac = pd.DataFrame({"id": ["a", "b"], "name_zh": ["甲", "乙"], "beds": [1000, None], "community": "x"})
    result = beds_per_1000(fac, 1_000_000, facts={"hospital_beds_2020": {"value": 4000}})
    assert result["value"] == pytest.approx(1.0)
    assert result["passed"] is None
    assert result["reported"]["per_1000"] == pytest.approx(4.0)
    result = beds_per_1000(fac.iloc[:1], 1_000_000)
    assert result["passed"] is False


def test_village_and_washing_data_not_supplied() -> None:
    doc = run_coverage(make_inputs(), LineTravel()).document
    village = by_id(doc)["village_clinic_each_village"]
    assert village["passed"] is None and "not supplied" in village["note"]
    washing = by_id(doc)["washing_centre_per_subcentre"]
    assert washing["passed"] is None and "not supplied" in washing["note"]
    clinics = pd.DataFrame({"id": ["v1", "v2"], "kind": ["village_clinic"] * 2})
    assert village_clinic_each_village(clinics, facts=FACTS)["passed"] is True
    subs = pd.DataFrame(
        {"id": ["s1", "s2", "w1"], "kind": ["ems_subcentre", "ems_subcentre", "washing_centre"]}
    )
    result = washing_centre_per_subcentre(subs, subcentre_of={"w1": "s1"})
    assert result["value"] == 1 and result["target"] == 2 and result["passed"] is False


# --- scenario ------------------------------------------------------------------------------------
def test_planned_facility_counts_only_with_include_planned() -> None:
    inputs = make_inputs()
    current = run_coverage(inputs, LineTravel()).document
    planned = run_coverage(inputs, LineTravel(), options=CoverageOptions(include_planned=True)).document
    assert by_id(current)["service_circle_15min"]["value"] == pytest.approx(400 / 600)
    assert by_id(planned)["service_circle_15min"]["value"] == pytest.approx(1.0)  # plan sits on c2
    assert by_id(planned)["service_circle_15min"]["by_mode"]["ebike"]["hospital"] == pytest.approx(0.5)
    assert by_id(planned)["beds_per_1000"]["value"] == pytest.approx(1000 / 600 * 1000)
    for doc in (current, planned):
        changes = {c["id"]: c for c in doc["scenario"]["changes"]}
        assert changes["service_circle_15min"]["value_current"] == pytest.approx(400 / 600)
        assert changes["service_circle_15min"]["value_with_planned"] == pytest.approx(1.0)
        assert changes["service_circle_15min.hospital"]["change"] == pytest.approx(0.5 - 1 / 6)
        assert [p["id"] for p in doc["scenario"]["planned_facilities"]] == ["plan"]
    assert current["scenario"]["include_planned"] is False
    assert planned["scenario"]["include_planned"] is True
    reasons = {f["id"]: f["reason"] for f in current["cells_left_out"]["facilities"]}
    assert "planned" in reasons["plan"]
    assert "plan" not in {f["id"] for f in planned["cells_left_out"]["facilities"]}


def test_no_planned_facilities_means_one_scenario() -> None:
    rows = [r for r in base_facilities() if r["status"] != "planned"]
    doc = run_coverage(
        make_inputs(rows), LineTravel(), options=CoverageOptions(include_planned=True)
    ).document
    assert doc["scenario"]["changes"] == []
    assert "No planned facilities" in doc["scenario"]["note"]


# --- the document and the cells ------------------------------------------------------------------
def test_document_shape_towns_and_left_out() -> None:
    inputs = make_inputs()
    run = run_coverage(inputs, LineTravel())
    doc = run.document
    assert doc["network_source"] == "test line road"
    assert doc["population_source"] == "test cells on a line"
    assert [r["id"] for r in doc["standards"]] == list(STANDARD_IDS)
    for r in doc["standards"]:
        for key in ("id", "name_zh", "name_en", "target", "value", "unit", "passed", "population_considered"):
            assert key in r
        assert isinstance(r["assumptions"], dict) and "note" in r
    assert [t["town_code"] for t in doc["towns"]] == ["A", "B", "C"]
    c = doc["towns"][2]
    assert c["location"] == "location unknown" and c["population"] is None
    assert c["population_note"] == "counted in neighbouring approximate areas"
    assert doc["towns"][0]["population"] == pytest.approx(300)
    assert doc["cells_left_out"]["population_counted"] == pytest.approx(600)
    lost = next(f for f in doc["cells_left_out"]["facilities"] if f["id"] == "lost")
    assert lost["reason"].startswith("not placed: location unknown")
    assert doc["cells_left_out"]["cells"] == []
    assert any("人口为模型估算" in b for b in doc["banners"])
    # never mutated the caller's inputs
    assert "minutes_any" not in inputs.population.cells.columns


def test_document_is_strict_json() -> None:
    import json

    doc = run_coverage(make_inputs(), LineTravel(reach_m=6000)).document
    json.dumps(doc, allow_nan=False)


def test_cells_frame_columns_and_values() -> None:
    cells = run_coverage(make_inputs(), LineTravel()).cells
    assert list(cells.columns) == [*CELL_COLUMNS, "geometry"]
    assert cells.crs.to_string() == settings.GEOGRAPHIC_CRS
    assert cells["minutes_any"].tolist() == pytest.approx([0.0, 20.0, 0.0], abs=1e-6)
    assert cells["minutes_hospital"].tolist() == pytest.approx([0.0, 20.0, 40.0], abs=1e-6)
    ids = cells["nearest_facility_id"].tolist()
    assert ids[0] == "hosp" and ids[2] == "thc"
    assert ids[1] in ("hosp", "thc")  # a tie at 5 km either way
    assert cells["nearest_ems_id"].tolist() == ["ems1"] * 3
    assert cells["covered_15min"].tolist() == [True, False, True]
    assert cells["covered_ems"].tolist() == [True, True, False]


def test_unreached_cells_are_listed_and_count_as_not_covered() -> None:
    doc = run_coverage(make_inputs(), LineTravel(reach_m=6000)).document
    # c3 (10 km from hosp, 5 km from thc) is reached by thc; from ems1 at 500 m c3 is 9.5 km: unreached
    ems = by_id(doc)["ems_response_14min"]
    assert ems["value"] == pytest.approx(300 / 600)
    assert ems["population_considered"] == pytest.approx(600)
    assert ems["p90_minutes"] is None  # falls among the unreached
    left = doc["cells_left_out"]["cells"]
    assert any(entry["cell_ids"] == [3] and "120" in entry["reason"] for entry in left)
    assert doc["cells_left_out"]["population_counted"] == pytest.approx(600)


class RoadLineTravel(LineTravel):
    """A line road from x = 0 to 6 km: its nodes every 500 m; c3 (10 km) is beyond the snap limit."""

    node_xy = np.array([(X0 + x, Y0) for x in range(0, 6001, 500)], dtype=float)

    def snap_distance_m(self, points_xy: np.ndarray, *, profile: str) -> np.ndarray:
        p = np.asarray(points_xy, dtype=float).reshape(-1, 2)
        return np.hypot(
            p[:, None, 0] - self.node_xy[None, :, 0], p[:, None, 1] - self.node_xy[None, :, 1]
        ).min(axis=1)

    def _straight(self, sources_xy: np.ndarray, targets_xy: np.ndarray) -> np.ndarray:
        t = np.asarray(targets_xy, dtype=float).reshape(-1, 2)
        s = np.asarray(sources_xy, dtype=float).reshape(-1, 2)
        for points in (s, t):
            # as a road network would: refuse points far from its nodes
            assert (points[:, 0] <= X0 + 6000 + settings.MAX_SNAP_DISTANCE_M).all()
        return super()._straight(s, t)


def test_cells_and_sites_beyond_the_snap_limit_are_left_out_and_listed() -> None:
    doc = run_coverage(make_inputs(), RoadLineTravel()).document
    left = doc["cells_left_out"]
    far_cells = [c for c in left["cells"] if "MAX_SNAP_DISTANCE_M" in c["reason"]]
    assert far_cells[0]["cell_ids"] == [3] and far_cells[0]["population"] == pytest.approx(300)
    far_sites = {f["id"] for f in left["facilities"] if "MAX_SNAP_DISTANCE_M" in f["reason"]}
    assert far_sites == {"thc"}  # at 10 km
    circle = by_id(doc)["service_circle_15min"]
    assert circle["value"] == pytest.approx(100 / 600)  # c1 only: c2 20 min from hosp, c3 not reached
    assert circle["population_considered"] == pytest.approx(600)
    assert left["population_counted"] == pytest.approx(600)


def test_travel_once_per_facility_set_and_never_for_a_new_threshold() -> None:
    travel = LineTravel()
    first = run_coverage(make_inputs(), travel, options=CoverageOptions(include_planned=True)).document
    calls = list(travel.calls)
    nearest = [c for c in calls if c.startswith("nearest:")]
    # one multi-source run per (scenario, mode, tier) at most, plus the ambulance run per scenario
    n_modes, n_tiers = 3, 3
    assert 0 < len(nearest) <= 2 * (n_modes * n_tiers + 1)
    # the only full matrix is the accessibility measure's (its profile, every facility)
    assert [c for c in calls if c.endswith(":to_sources")] == [f"matrix:{settings.E2SFCA_PROFILE}:to_sources"]
    assert calls.count("distance:ambulance") == 1
    # new thresholds, dispatch delay or targets: no new travel, and the same answers as a fresh model
    for options in (
        CoverageOptions(include_planned=True, minutes=10),
        CoverageOptions(include_planned=True, dispatch_minutes=5),
        CoverageOptions(include_planned=True, aed_walk_radius_m=150),
    ):
        travel.calls.clear()
        doc = run_coverage(make_inputs(), travel, options=options).document
        assert travel.calls == []
        assert doc == run_coverage(make_inputs(), LineTravel(), options=options).document
    assert (
        first
        == run_coverage(make_inputs(), LineTravel(), options=CoverageOptions(include_planned=True)).document
    )


# --- options -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "match"),
    [
        (CoverageOptions(profile="bus"), "profile 'bus' is not a travel profile"),
        (CoverageOptions(ems_profile="boat"), "ems_profile 'boat'"),
        (CoverageOptions(minutes=0), "minutes must be more than 0 and at most 180"),
        (CoverageOptions(minutes=181), "minutes must be more than 0 and at most 180"),
        (CoverageOptions(minutes=float("nan")), "minutes must be"),
        (CoverageOptions(dispatch_minutes=-1), "dispatch_minutes must be at least 0 and at most 60"),
        (CoverageOptions(aed_walk_radius_m=0), "aed_walk_radius_m must be more than 0"),
    ],
)
def test_bad_options_are_parameter_errors(options: CoverageOptions, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        resolve_options(options)
    with pytest.raises(ParameterError, match=match):
        run_coverage(make_inputs(), LineTravel(), options=options)


def test_defaults_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "SERVICE_CIRCLE_PROFILE", "walk")
    monkeypatch.setattr(settings, "EMS_DISPATCH_MINUTES", 0.0)
    resolved = resolve_options()
    assert resolved.profile == "walk" and resolved.dispatch_minutes == 0.0


# --- pure helpers ----------------------------------------------------------------------------------
def test_weighted_quantile_by_hand() -> None:
    values = np.array([10.0, 2.0, 5.0, np.inf])
    weights = np.array([1.0, 1.0, 2.0, 0.0])  # zero weight ignored
    assert weighted_quantile(values, weights, 0.5) == 5.0  # cumulative 1, 3, 4 -> 2 reached at 5
    assert weighted_quantile(values, weights, 0.9) == 10.0
    assert weighted_quantile(values, weights, 0.0) == 2.0
    assert math.isinf(weighted_quantile(np.array([1.0, np.inf]), np.array([1.0, 3.0]), 0.5))
    assert math.isnan(weighted_quantile(np.array([]), np.array([]), 0.5))


def test_coverage_curve_by_hand() -> None:
    curve = coverage_curve(np.array([0.5, 2.0, np.inf]), np.array([1.0, 1.0, 2.0]), max_minutes=3)
    assert curve == pytest.approx([0.0, 0.25, 0.5, 0.5])


def test_service_circle_function_directly() -> None:
    minutes = {"ebike": {"any": np.array([5.0, 16.0, np.inf]), "township": np.array([5.0, 30.0, np.inf])}}
    result = service_circle_15min(minutes, np.array([1.0, 1.0, 2.0]), town_codes=["x", "x", None])
    assert result["value"] == pytest.approx(0.25)
    assert result["by_mode"]["ebike"]["township"] == pytest.approx(0.25)
    rows = {r["town_code"]: r for r in result["towns"]}
    assert rows["x"]["value"] == pytest.approx(0.5) and rows[None]["value"] == pytest.approx(0.0)
    with pytest.raises(ParameterError, match="profile 'walk' has no travel times"):
        service_circle_15min(minutes, np.ones(3), profile="walk")


def test_ems_function_all_unreached() -> None:
    result = ems_response_14min(np.full(2, np.inf), np.array([1.0, 1.0]))
    assert result["value"] == 0.0 and result["passed"] is False
    assert math.isinf(result["median_minutes"])
    assert result["worst_served"]["cells"][0]["reached"] is False


def test_runs_on_a_road_network_model() -> None:
    """The same line as a residential road (car 25 km/h, e-bike 15 km/h) in the real engine."""
    import networkx as nx

    from analysis.travel import NetworkTravel

    graph: nx.MultiDiGraph = nx.MultiDiGraph(crs=WORKING)
    xs = list(range(0, 10001, 500))
    for x in xs:
        graph.add_node(x, x=X0 + x, y=Y0)
    for a, b in itertools.pairwise(xs):
        for u, v in ((a, b), (b, a)):
            graph.add_edge(u, v, highway="residential", length=500.0, oneway=False)
    travel = NetworkTravel.from_graph(graph, crs=WORKING, network_source="test road")
    doc = run_coverage(make_inputs(), travel, options=CoverageOptions(profile="car")).document
    assert doc["network_source"] == "test road"
    circle = by_id(doc)["service_circle_15min"]
    # car: c2 is 5 km from hosp and thc = 12 min at 25 km/h; cells sit on road nodes
    assert circle["value"] == pytest.approx(1.0)
    assert circle["by_mode"]["ebike"]["any"] == pytest.approx(400 / 600)  # 5 km at 15 km/h = 20 min
    assert doc["cells_left_out"]["cells"] == []


def test_no_120_sites_means_no_ambulance_coverage() -> None:
    rows = [r for r in base_facilities() if r["kind"] != "ems_station"]
    run = run_coverage(make_inputs(rows), LineTravel())
    ems = by_id(run.document)["ems_response_14min"]
    assert ems["value"] == 0.0 and ems["passed"] is False
    assert by_id(run.document)["ambulance_per_30k"]["note"].startswith("No 120 sites in the data")
    assert run.cells["nearest_ems_id"].tolist() == [None] * 3
    assert run.cells["ems_response_minutes"].isna().all()
    assert by_id(run.document)["service_circle_15min"]["value"] == pytest.approx(400 / 600)


def test_no_health_facilities_means_no_circle_coverage() -> None:
    rows = [r for r in base_facilities() if r["kind"] == "ems_station"]
    run = run_coverage(make_inputs(rows), LineTravel())
    assert by_id(run.document)["service_circle_15min"]["value"] == 0.0
    assert run.cells["nearest_facility_id"].tolist() == [None] * 3
    assert run.cells["minutes_any"].isna().all()
    assert run.cells["nearest_ems_id"].tolist() == ["ems1"] * 3


def test_far_cell_without_population_is_listed_once() -> None:
    inputs = make_inputs()
    cells = inputs.population.cells.copy()
    cells["population"] = [100.0, 200.0, np.nan]  # c3 is also beyond the snap limit
    population = PopulationSurface(cells=cells, source="test cells on a line", modelled=True)
    doc = run_coverage(dataclasses.replace(inputs, population=population), RoadLineTravel()).document
    left = doc["cells_left_out"]["cells"]
    assert [entry["cell_ids"] for entry in left] == [[3]]
    assert left[0]["reason"].startswith("population missing") and left[0]["population"] is None


def test_cut_off_fragment_never_aborts_a_run_and_long_legs_are_reported() -> None:
    """A road along x = 0..6 km, and a cut-off 200 m fragment beside c3 (x = 10 km).

    c3 is 4 km from the main road but 50 m from the fragment: before, the check used every
    node (the fragment's too), the engine snapped to the main part only and the run stopped.
    """
    import networkx as nx

    from analysis.travel import NetworkTravel

    graph: nx.MultiDiGraph = nx.MultiDiGraph(crs=WORKING)
    xs = list(range(0, 6001, 500))
    for x in xs:
        graph.add_node(x, x=X0 + x, y=Y0 - 800.0)
    for a, b in itertools.pairwise(xs):
        for u, v in ((a, b), (b, a)):
            graph.add_edge(u, v, highway="residential", length=500.0, oneway=False)
    graph.add_node("f1", x=X0 + 9900.0, y=Y0 + 50.0)
    graph.add_node("f2", x=X0 + 10100.0, y=Y0 + 50.0)
    graph.add_edge("f1", "f2", highway="residential", length=200.0, oneway=False)
    graph.add_edge("f2", "f1", highway="residential", length=200.0, oneway=False)
    travel = NetworkTravel.from_graph(graph, crs=WORKING, network_source="test road")
    doc = run_coverage(make_inputs(), travel, options=CoverageOptions(profile="car")).document
    legs = {entry["profile"]: entry for entry in doc["access_legs"]}
    # every cell joins the main road 800 m away (a long leg), c3 is beyond the limit
    car = legs["car"]
    assert car["cells_long_leg"] == 2 and car["population_long_leg"] == pytest.approx(300)
    assert car["longest_leg_m"] == pytest.approx(800.0)
    assert car["cells_beyond_limit"] == 1 and car["population_beyond_limit"] == pytest.approx(300)
    assert any("800 m" in b and "car" in b for b in doc["banners"])
    far = [c for c in doc["cells_left_out"]["cells"] if "MAX_SNAP_DISTANCE_M" in c["reason"]]
    assert far[0]["cell_ids"] == [3]


def test_negative_pressure_lower_bound_quoted() -> None:
    sites = pd.DataFrame(
        {"id": ["s1"], "name_zh": ["站"], "ambulances": [pd.NA], "negative_pressure_ambulances": [pd.NA]}
    )
    facts = {
        "negative_pressure_ambulances_known_min": {
            "id": "negative_pressure_ambulances_known_min",
            "value": 6,
            "date": "2020-02-23",
            "source": "news",
        }
    }
    result = negative_pressure_share_40(sites, facts=facts)
    assert result["value"] is None and result["status"] == "unknown"
    assert result["known_at_least"]["negative_pressure_ambulances"] == 6
    assert result["value_text"] == "≥ 6 known; share unknown"
    assert "At least 6 negative-pressure ambulances are known (2020-02-23)" in result["note"]
