"""Time of day: peak-hour minutes are free-flow minutes times the profile's factor."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import settings
from analysis.coverage import CoverageOptions, resolve_options, run_coverage
from analysis.coverage.period import PeakTravel, at_period
from analysis.errors import ParameterError
from tests.test_coverage import LineTravel, make_inputs


def test_offpeak_is_the_model_itself_and_bad_period_refused() -> None:
    travel = LineTravel()
    assert at_period(travel, "offpeak") is travel
    with pytest.raises(ParameterError, match="period 'night'"):
        resolve_options(CoverageOptions(period="night"))
    assert resolve_options().period == settings.DEFAULT_PERIOD


def test_peak_scales_minutes_not_distances() -> None:
    base = LineTravel()
    peak = at_period(base, "peak")
    assert isinstance(peak, PeakTravel)
    src, dst = np.array([[0.0, 0.0]]), np.array([[1000.0, 0.0], [3000.0, 0.0]])
    car = settings.PEAK_FACTOR_BY_PROFILE["car"]
    assert peak.matrix(src, dst, profile="car") == pytest.approx(base.matrix(src, dst, profile="car") * car)
    # a cutoff is asked in peak minutes: 5 peak minutes reach 5 / 1.3 free-flow minutes (1,923 m)
    cut = peak.matrix(src, dst, profile="car", cutoff_minutes=5.0)
    assert np.isfinite(cut[0, 0])
    assert np.isinf(cut[0, 1])
    assert peak.nearest_distance_m(src, dst, profile="car")[0] == pytest.approx([1500.0, 4500.0])


def test_run_at_peak() -> None:
    factor = settings.PEAK_FACTOR_BY_PROFILE["ambulance"]
    run = run_coverage(make_inputs(), LineTravel(), options=CoverageOptions(period="peak"))
    # ambulance from x=500 at 500 m/min: drive 1, 9, 19 min, times the factor, + 3 min dispatch
    assert run.cells["ems_response_minutes"].tolist() == pytest.approx(
        [1 * factor + 3, 9 * factor + 3, 19 * factor + 3]
    )
    doc = run.document
    assert doc["period"] == "peak"
    assert doc["assumptions"]["PEAK_FACTOR_BY_PROFILE"] == settings.PEAK_FACTOR_BY_PROFILE
    assert any("Peak hour" in b for b in doc["banners"])
    # the radius is a distance: the same share at any hour
    off = run_coverage(make_inputs(), LineTravel()).document
    radius = {r["id"]: r["value"] for r in doc["standards"]}["ems_radius_5km"]
    assert radius == {r["id"]: r["value"] for r in off["standards"]}["ems_radius_5km"]
    assert off["period"] == "offpeak"
