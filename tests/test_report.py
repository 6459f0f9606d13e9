"""The report's numbers by hand: shares within t minutes, town shortfalls, beds as a lower bound."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.report import share_within, town_shortfalls, value_text


def test_share_within_by_hand() -> None:
    # 100 people at 2 min, 300 at 5 min, 600 never reached: 10 % by 2 min, 40 % from 5 min on
    minutes = np.array([5.0, 2.0, math.inf])
    population = np.array([300.0, 100.0, 600.0])
    assert share_within(minutes, population, [0, 2, 4, 5, 30]) == [0.0, 0.1, 0.1, 0.4, 0.4]
    assert share_within(minutes, np.zeros(3), [5]) == [0.0]


def test_town_shortfall_in_people() -> None:
    document = {
        "standards": [{"id": "service_circle_15min", "target": 0.95}],
        "towns": [
            {"name_zh": "甲", "name_en": "A", "population": 10_000.0, "service_circle_share": 0.75},
            {"name_zh": "乙", "name_en": "B", "population": 2_000.0, "service_circle_share": 0.99},
            {"name_zh": "丙", "name_en": "C", "population": None, "service_circle_share": 0.5},
            {"name_zh": "丁", "name_en": "D", "population": 500.0, "service_circle_share": None},
        ],
    }
    rows = town_shortfalls(document)
    assert [r["name"] for r in rows] == ["丙 C", "甲 A", "乙 B"]  # lowest share first, no-share town left out
    assert rows[1]["shortfall_people"] == pytest.approx(2_000.0)  # (0.95 - 0.75) × 10,000
    assert rows[2]["shortfall_people"] == 0.0 and rows[0]["shortfall_people"] is None


def test_beds_are_a_lower_bound_with_reporting_count() -> None:
    result = {
        "id": "beds_per_1000",
        "value": 0.6946,
        "unit": "beds per 1,000 people",
        "beds_known": 1432.0,
        "beds_unknown_at": ["a", "b", "c"],
    }
    facilities = pd.DataFrame(
        {"kind": ["hospital", "hospital", "township_centre", "ems_station"], "beds": [1432, None, None, 5]}
    )
    text = value_text(result, facilities=facilities)
    assert text.startswith("≥ 0.69") and "lower bound" in text and "1/4" in text and "1,432" in text
    assert "3 家机构床位未知" in value_text(result)


def test_shares_read_as_percent() -> None:
    assert value_text({"id": "x", "value": 0.419, "unit": "share of population"}) == "41.9%"
    assert value_text({"id": "x", "value": 60, "unit": "AEDs"}) == "60 台 AEDs"
