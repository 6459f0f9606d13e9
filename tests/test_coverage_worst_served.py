"""The worst-served tenth, and per-town EMS fractiles, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.coverage import run_coverage
from analysis.coverage.towns import TownIndex
from analysis.coverage.worst_served import worst_served
from tests.test_coverage import LineTravel, make_inputs

POP = np.array([100.0, 200.0, 300.0, 400.0])
TIMES = np.array([5.0, 10.0, 20.0, 30.0])
TOWNS = TownIndex(np.array(["X", "X", "Y", "Y"], dtype=object), POP)
IDS = np.array(["a", "b", "c", "d"])


def test_worst_tenth_is_the_slowest_cell() -> None:
    out = worst_served(TIMES, TOWNS, IDS)
    # 10 % of 1,000 = 100 people: the slowest cell (400 people at 30 min) holds them all
    assert out["population"] == 400.0
    assert out["cells"] == ["d"]
    assert out["median_minutes"] == 30.0
    assert out["max_minutes"] == 30.0
    assert out["threshold_minutes"] == 30.0
    assert out["towns"] == [
        {"town_code": "Y", "population": 400.0, "share_of_town": pytest.approx(400 / 700)}
    ]


def test_worst_half_spans_two_cells() -> None:
    out = worst_served(TIMES, TOWNS, IDS, share=0.5)
    # 500 people: 400 at 30 min then 300 at 20 min (the crossing cell is taken whole)
    assert out["population"] == 700.0
    assert out["cells"] == ["d", "c"]
    assert out["threshold_minutes"] == 20.0
    assert out["median_minutes"] == 30.0  # 350 of 700 reached within the 30-min cell


def test_unreached_come_first() -> None:
    out = worst_served(np.array([5.0, np.inf, 20.0, 30.0]), TOWNS, IDS, share=0.3)
    assert out["cells"] == ["b", "d"]
    assert out["population_unreached"] == 200.0
    assert out["max_minutes"] is None


def test_ems_town_p90_and_people_beyond_target() -> None:
    # ambulance at 500 m/min from x=500: drive 1, 9, 19 min; + 3 min dispatch = 4, 12, 22
    doc = run_coverage(make_inputs(), LineTravel()).document
    ems = {r["id"]: r for r in doc["standards"]}["ems_response_14min"]
    towns = {r["town_code"]: r for r in ems["towns"]}
    # town A: 100 people at 4 min, 200 at 12 -> p90 12; nobody beyond 14
    assert towns["A"]["p90_minutes"] == pytest.approx(12.0)
    assert towns["A"]["population_beyond_target"] == 0.0
    # town B: 300 people at 22 min -> all beyond
    assert towns["B"]["p90_minutes"] == pytest.approx(22.0)
    assert towns["B"]["population_beyond_target"] == 300.0
    table = {t["town_code"]: t for t in doc["towns"]}
    assert table["B"]["ems_p90_minutes"] == pytest.approx(22.0)
    assert table["B"]["ems_population_beyond_target"] == 300.0
    worst = doc["worst_served"]["ems_response"]
    assert worst["cells"] == [3]
    assert worst["median_minutes"] == pytest.approx(22.0)
