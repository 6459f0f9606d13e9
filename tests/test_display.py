"""Shared formatters: the same number reads the same in every map and report."""

from __future__ import annotations

import math

import pytest

from analysis import display


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "—"), (math.nan, "—"), (True, "是 yes"), (57474.8, "57,474.8"), (3.0, "3"), (0.695, "0.695")],
)
def test_text(value: object, expected: str) -> None:
    assert display.text(value) == expected


def test_people_are_whole() -> None:
    assert display.people_text(57474.8) == "57,475"
    assert display.people_text(None) == "—"


def test_minutes_and_shares() -> None:
    assert display.minutes_text(13.96) == "14.0"
    assert display.minutes_text(math.inf) == "未到达 not reached"
    assert display.share_text(0.4186) == "41.9%"


def test_share_target_reads_as_percent() -> None:
    result = {"target": 0.95, "comparison": ">=", "unit": "share of population"}
    assert display.format_target(result) == "≥ 95.0%"
    assert display.format_value(0.419, "share of population") == "41.9%"
    assert display.format_target({"target": None}) == "— (no target)"


def test_bilingual_name() -> None:
    assert display.bilingual_name({"name_zh": "青阳街道", "name_en": None}) == "青阳街道"
    assert display.bilingual_name({"name_zh": "青阳街道", "name_en": "Qingyang"}) == "青阳街道 Qingyang"


def test_modelled_is_said_once() -> None:
    assert display.modelled_phrase("modelled: census total") == "population is modelled: census total"
    assert display.modelled_phrase("modelled (tiered): census") == "population is modelled (tiered): census"
    assert display.modelled_phrase("WorldPop 2020") == "population is modelled: WorldPop 2020"
