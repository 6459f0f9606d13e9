"""Shortfall counts per town and county, with unknown fleets and beds kept unknown."""

from __future__ import annotations

import pandas as pd

from analysis.coverage import run_coverage
from analysis.coverage.shortfalls import county_shortfalls, shortfall, town_shortfalls
from tests.test_coverage import LineTravel, base_facilities, facility, make_inputs


def test_shortfall_rules() -> None:
    assert shortfall(3, 1.0, 0) == {
        "needed": 3,
        "have": 1,
        "have_at_least": 1,
        "sites_unknown": 0,
        "shortfall": 2,
        "shortfall_at_most": 2,
    }
    # one site's fleet unknown and the known ones short: unknown, at most 1 more
    unknown = shortfall(3, 2.0, 1)
    assert unknown["shortfall"] is None
    assert unknown["have"] is None
    assert unknown["shortfall_at_most"] == 1
    # the known ones already meet the need: nothing short, whatever the unknown site has
    assert shortfall(3, 3.0, 1)["shortfall"] == 0


def test_town_shortfalls_by_hand() -> None:
    ems = pd.DataFrame(
        {"town_code": ["T1", "T1", "T2", None], "ambulances": [2, pd.NA, 1, 5]},
    )
    medical = pd.DataFrame({"town_code": ["T1", "T2", "T2"], "beds": [300, 10, pd.NA]})
    aeds = pd.DataFrame({"town_code": ["T1", "T1"]})
    rows = {
        r["town_code"]: r
        for r in town_shortfalls(
            {"T1": 65_000.0, "T2": 10_000.0}, ems_sites=ems, aed_sites=aeds, medical=medical
        )
    }
    # T1: ceil(65,000 / 30,000) = 3 ambulances, 2 known + 1 unknown site -> unknown, at most 1
    assert rows["T1"]["ambulances"]["needed"] == 3
    assert rows["T1"]["ambulances"]["shortfall"] is None
    assert rows["T1"]["ambulances"]["shortfall_at_most"] == 1
    # T2: 1 needed, 1 known
    assert rows["T2"]["ambulances"]["shortfall"] == 0
    # AEDs: T1 needs ceil(6.5) = 7 and has 2; T2 needs 1 and has none
    assert rows["T1"]["aeds"]["shortfall"] == 5
    assert rows["T2"]["aeds"]["shortfall"] == 1
    # beds: T1 needs ceil(65,000 * 4.2 / 1000) = 273 and has 300; T2 needs 42, 10 known + 1 unknown
    assert rows["T1"]["beds"]["needed"] == 273
    assert rows["T1"]["beds"]["shortfall"] == 0
    assert rows["T2"]["beds"]["needed"] == 42
    assert rows["T2"]["beds"]["shortfall"] is None
    assert rows["T2"]["beds"]["shortfall_at_most"] == 32


def test_town_aeds_unknown_without_a_list() -> None:
    rows = town_shortfalls(
        {"T1": 25_000.0},
        ems_sites=pd.DataFrame({"town_code": [], "ambulances": []}),
        aed_sites=pd.DataFrame({"town_code": []}),
        medical=pd.DataFrame({"town_code": [], "beds": []}),
    )
    assert rows[0]["aeds"]["needed"] == 3
    assert rows[0]["aeds"]["shortfall"] is None
    assert rows[0]["aeds"]["shortfall_at_most"] == 3


def test_county_shortfalls_reported_and_unknown() -> None:
    out = county_shortfalls(
        2_061_551.0,
        ems_sites=pd.DataFrame({"ambulances": [pd.NA, 4]}),
        aed_count=60,
        medical=pd.DataFrame({"beds": [1432, pd.NA]}),
        reported_beds=8144.0,
    )
    assert out["ambulances"]["needed"] == 69
    assert out["ambulances"]["shortfall"] is None
    assert out["ambulances"]["shortfall_at_most"] == 65
    assert out["aeds"]["needed"] == 207
    assert out["aeds"]["shortfall"] == 147
    assert out["beds"]["needed"] == 8659  # ceil(2,061,551 * 4.2 / 1000) = ceil(8658.5)
    assert out["beds"]["shortfall"] is None
    assert out["beds_reported"]["shortfall"] == 515
    assert (
        county_shortfalls(10.0, ems_sites=pd.DataFrame(), aed_count=None, medical=pd.DataFrame())["aeds"][
            "shortfall"
        ]
        is None
    )


def test_run_coverage_shortfalls_in_towns() -> None:
    rows = [*base_facilities(), facility("ems2", "ems_station", 9000.0, town_code="B", ambulances=None)]
    rows[3]["town_code"] = "A"
    doc = run_coverage(make_inputs(rows), LineTravel()).document
    towns = {t["town_code"]: t for t in doc["towns"]}
    # A: 300 people need 1 ambulance; ems1 (1 ambulance) sits in A
    assert towns["A"]["ambulances_short"] == 0
    # B: 300 people need 1; its only site's fleet is unknown
    assert towns["B"]["ambulances_short"] is None
    assert towns["B"]["ambulances_short_at_most"] == 1
    # beds: A needs ceil(300 * 4.2 / 1000) = 2 and hosp (100 beds, town A) has them
    assert towns["A"]["beds_short"] == 0
    assert towns["B"]["beds_short"] is None  # the township centre's beds are unknown
    county = doc["shortfalls"]["county"]
    assert county["aeds"]["shortfall"] == 0  # 60 reported AEDs for 600 people (1 needed)
    ranking = doc["town_ranking"]["towns"]
    assert [t["rank"] for t in ranking] == [1, 2]
    assert {t["town_code"] for t in ranking} == {"A", "B"}
