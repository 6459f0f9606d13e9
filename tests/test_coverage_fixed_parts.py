"""What no threshold changes is remembered across runs, handed out as copies, and forgotten with a setting."""

from __future__ import annotations

import json

import pytest

from analysis import settings
from analysis.coverage import CoverageOptions, resolve_options, run_coverage
from analysis.coverage.fixed_parts import fixed_parts
from analysis.coverage.travel_cache import remembering
from tests.test_coverage import LineTravel, by_id, make_inputs


def test_a_threshold_run_reuses_the_parts_and_writes_a_fresh_runs_document() -> None:
    inputs, travel = make_inputs(), LineTravel()
    run_coverage(inputs, travel, options=CoverageOptions(include_planned=True))
    parts = fixed_parts(inputs, remembering(travel), resolve_options(CoverageOptions(minutes=9)))
    hits = parts.hits
    changed = CoverageOptions(include_planned=True, minutes=9, dispatch_minutes=6)
    doc = run_coverage(inputs, travel, options=changed).document
    assert parts.hits > hits
    fresh = run_coverage(make_inputs(), LineTravel(), options=changed).document
    assert json.dumps(doc, sort_keys=True) == json.dumps(fresh, sort_keys=True)
    # what a run adds to its copies does not reach the next run
    doc["towns"][0]["name_zh"] = "changed"
    by_id(doc)["beds_per_1000"]["value"] = -1
    again = run_coverage(inputs, travel, options=changed).document
    assert json.dumps(again, sort_keys=True) == json.dumps(fresh, sort_keys=True)


def test_another_profile_or_a_changed_setting_is_computed_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    inputs, travel = make_inputs(), LineTravel()
    before = by_id(run_coverage(inputs, travel).document)["beds_per_1000"]
    monkeypatch.setattr(settings, "BEDS_PER_1000", 0.001)
    after = by_id(run_coverage(inputs, travel).document)["beds_per_1000"]
    assert before["target"] != after["target"] and after["target"] == 0.001
    a = fixed_parts(inputs, remembering(travel), resolve_options(CoverageOptions(profile="walk")))
    b = fixed_parts(inputs, remembering(travel), resolve_options(CoverageOptions(profile="car")))
    assert a is not b
