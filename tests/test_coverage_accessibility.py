"""E2SFCA on a hand-worked 3-facility, 4-cell example, and on a tiny county run."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.coverage import CoverageOptions, run_coverage
from analysis.coverage.accessibility import band_weights, e2sfca, e2sfca_result
from analysis.coverage.towns import TownIndex
from tests.test_coverage import LineTravel, make_inputs

#  facility A (100 beds), B (50), C (30); cells of 1000, 2000, 500, 1500 people
MINUTES = np.array(
    [
        [5.0, 15.0, 25.0, 40.0],  # A: weights 1, 0.68, 0.22, 0
        [12.0, 8.0, 35.0, 18.0],  # B: 0.68, 1, 0, 0.68
        [np.inf, 30.0, 9.0, 22.0],  # C: 0, 0.22 (30 is inside the last band), 1, 0.22
    ]
)
SUPPLY = np.array([100.0, 50.0, 30.0])
POP = np.array([1000.0, 2000.0, 500.0, 1500.0])


def test_band_weights_edges() -> None:
    w = band_weights(np.array([0.0, 10.0, 10.01, 20.0, 30.0, 30.01, np.inf, np.nan]))
    assert w.tolist() == [1.0, 1.0, 0.68, 0.68, 0.22, 0.0, 0.0, 0.0]


def test_e2sfca_by_hand() -> None:
    score, ratio = e2sfca(MINUTES, SUPPLY, POP)
    # step 1, demand in each catchment:
    #   A: 1000*1 + 2000*0.68 + 500*0.22 = 2470;  B: 1000*0.68 + 2000 + 1500*0.68 = 3700
    #   C: 2000*0.22 + 500 + 1500*0.22 = 1270
    r_a, r_b, r_c = 100 / 2470, 50 / 3700, 30 / 1270
    assert ratio == pytest.approx([r_a, r_b, r_c])
    # step 2
    assert score == pytest.approx(
        [
            r_a + 0.68 * r_b,
            0.68 * r_a + r_b + 0.22 * r_c,
            0.22 * r_a + r_c,
            0.68 * r_b + 0.22 * r_c,
        ]
    )
    # every bed is in some populated catchment: people x score adds up to the 180 beds
    assert float((score * POP).sum()) == pytest.approx(180.0)


def test_e2sfca_facility_out_of_reach_adds_nothing() -> None:
    minutes = np.vstack([MINUTES, np.full(4, 45.0)])
    score, ratio = e2sfca(minutes, np.append(SUPPLY, 500.0), POP)
    assert np.isnan(ratio[3])
    assert score == pytest.approx(e2sfca(MINUTES, SUPPLY, POP)[0])


def test_e2sfca_result_towns_and_lower_bound() -> None:
    towns = TownIndex(np.array(["X", "X", "Y", "Y"], dtype=object), POP)
    block, score = e2sfca_result(
        MINUTES, SUPPLY, POP, towns=towns, capacity="beds", supply_unknown=2, facilities_counted=3
    )
    assert block["value"] == pytest.approx(180.0 / 5000.0 * 1000.0)
    x = (1000 * score[0] + 2000 * score[1]) / 3000
    assert [r["value"] for r in block["towns"]] == pytest.approx(
        [x, (500 * score[2] + 1500 * score[3]) / 2000]
    )
    assert block["lower_bound"] is True
    assert "lower bound" in block["note"]
    assert block["bands"][1] == {"upper_minutes": 20.0, "weight": 0.68}
    assert block["inequality"]["county"]["gini"] > 0


def test_run_coverage_beds_accessibility() -> None:
    # car at 500 m/min: the 100-bed hospital at x=0 is 0, 10 and 20 min from the three cells
    # (100, 200, 300 people): demand 100 + 200 + 0.68 * 300 = 304 + 200 = 504
    run = run_coverage(make_inputs(), LineTravel())
    beds = run.document["accessibility"]["beds"]
    per = 100 / 504 * 1000
    assert run.cells["e2sfca_beds"].tolist() == pytest.approx([per, per, 0.68 * per])
    assert beds["value"] == pytest.approx(100 / 600 * 1000)
    assert beds["facilities_counted"] == 1
    # the township centre and the unplaced community centre have unknown beds
    assert beds["facilities_unknown"] == 2
    towns = {r["town_code"]: r["value"] for r in beds["towns"]}
    assert towns == pytest.approx({"A": per, "B": 0.68 * per})
    assert {t["town_code"]: t["e2sfca_beds"] for t in run.document["towns"]}["B"] == pytest.approx(0.68 * per)
    # with the planned 900-bed hospital at x=5000 (10, 0, 10 min: demand 600) everyone gains
    planned = run_coverage(make_inputs(), LineTravel(), options=CoverageOptions(include_planned=True))
    per_plan = 900 / 600 * 1000
    assert planned.cells["e2sfca_beds"].tolist() == pytest.approx(
        [per + per_plan, per + per_plan, 0.68 * per + per_plan]
    )
    change = {c["id"]: c for c in planned.document["scenario"]["measure_changes"]}["e2sfca.beds"]
    assert change["change"] == pytest.approx(900 / 600 * 1000)


def test_any_capacity_column_a_folder_supplies() -> None:
    from tests.test_coverage import base_facilities

    rows = base_facilities()
    for row in rows:
        row["doctors"] = None
    rows[0]["doctors"] = 30  # the hospital at x=0: 0, 10, 20 min by car -> demand 504 as for beds
    run = run_coverage(make_inputs(rows), LineTravel())
    doctors = run.document["accessibility"]["doctors"]
    per = 30 / 504 * 1000
    assert [r["value"] for r in doctors["towns"]] == pytest.approx([per, 0.68 * per])
    assert doctors["unit"] == "doctors per 1,000 people"
    # a column nobody fills is not reported
    assert "nurses" not in run.document["accessibility"]


def test_known_capacity_without_a_location_is_named() -> None:
    from tests.test_coverage import base_facilities

    rows = base_facilities()
    rows[4]["beds"] = 40  # "lost": a community centre with no location
    beds = run_coverage(make_inputs(rows), LineTravel()).document["accessibility"]["beds"]
    assert beds["capacity_unplaced"] == [{"id": "lost", "beds": 40.0}]
    assert beds["facilities_unknown"] == 1  # only the township centre's beds are unknown now
    assert beds["lower_bound"] is True
    assert "40 beds at 1 facilities without a travel time (lost" in beds["note"]
