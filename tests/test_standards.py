"""The plan's standards as data: every row of the standards table, with its settings."""

from __future__ import annotations

import pytest

from analysis import settings
from analysis.errors import ParameterError
from analysis.standards import STANDARD_IDS, STANDARDS, Standard, get_standard

EXPECTED_IDS = (
    "service_circle_15min",
    "ems_response_14min",
    "ems_radius_5km",
    "ambulance_per_30k",
    "negative_pressure_share_40",
    "aed_per_10k",
    "aed_walk_access",
    "beds_per_1000",
    "village_clinic_each_village",
    "washing_centre_per_subcentre",
)


def test_every_row_of_the_table_is_a_standard() -> None:
    assert STANDARD_IDS == EXPECTED_IDS
    assert len({s.id for s in STANDARDS}) == len(STANDARDS)


@pytest.mark.parametrize("standard", STANDARDS, ids=lambda s: s.id)
def test_standard_fields_are_complete(standard: Standard) -> None:
    assert standard.name_zh and standard.name_en
    assert standard.comparison in (">=", "<=", "report")
    assert standard.source and standard.evaluation and standard.unit
    assert isinstance(standard.target, float | str)
    for name in standard.settings:
        assert hasattr(settings, name), f"{standard.id} names a setting that does not exist: {name}"
    assert standard.label.startswith(standard.name_zh)


def test_plan_figures() -> None:
    assert get_standard("service_circle_15min").target == 15.0
    assert get_standard("ems_response_14min").target == 14.0
    assert get_standard("ems_radius_5km").target == 5000.0
    assert get_standard("ambulance_per_30k").target == 30000.0
    assert get_standard("negative_pressure_share_40").target == 0.40
    assert get_standard("aed_per_10k").target == 10000.0
    assert get_standard("beds_per_1000").target == 4.2
    assert "EMS_DISPATCH_MINUTES" in get_standard("ems_response_14min").settings
    assert "SERVICE_CIRCLE_PROFILE" in get_standard("service_circle_15min").settings
    assert "AED_WALK_RADIUS_M" in get_standard("aed_walk_access").settings


def test_standards_are_frozen() -> None:
    with pytest.raises(AttributeError):
        get_standard("beds_per_1000").target = 5.0  # type: ignore[misc]


def test_unknown_standard_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match=r"Unknown standard 'beds'.*beds_per_1000"):
        get_standard("beds")
