"""Headline shares under two population models on the tiny line county, by hand."""

from __future__ import annotations

import pytest

from analysis.coverage import run_coverage
from analysis.coverage.sensitivity import range_text
from analysis.datasets import Inputs
from analysis.population import PopulationSurface
from tests.test_coverage import LineTravel, make_inputs


def with_second_model(populations: list[float]) -> Inputs:
    inputs = make_inputs()
    cells = inputs.population.cells.copy()
    cells["population_model"] = "tiered"
    cells["population_model_area_only"] = populations
    surface = PopulationSurface(cells=cells, source=inputs.population.source, modelled=True)
    return Inputs(
        facilities=inputs.facilities,
        boundary=inputs.boundary,
        towns=inputs.towns,
        population=surface,
        facts=inputs.facts,
    )


def test_range_text() -> None:
    assert range_text(0.38, 0.46, models=2) == "depends on the population model: 38–46 %"
    assert range_text(0.381, 0.384, models=2) == "depends on the population model: 38.1–38.4 %"
    assert range_text(0.419, 0.419, models=1) == "one population model: 41.9%"
    assert range_text(None, 0.4, models=2) == "unknown"


def test_two_models_by_hand() -> None:
    # cells of 100 / 200 / 300 people (tiered) or 50 / 500 / 50 (area only)
    # e-bike 15 min: cells 1 and 3 reach a facility (0 min), cell 2 does not (20 min)
    # ambulance response 4 / 12 / 22 min: cells 1 and 2 within 14
    run = run_coverage(with_second_model([50.0, 500.0, 50.0]), LineTravel())
    doc = run.document
    shares = doc["population_sensitivity"]["shares"]
    assert shares["service_circle_15min"]["values"] == pytest.approx(
        {"tiered": 400 / 600, "area_only": 100 / 600}
    )
    assert shares["ems_response_14min"]["values"] == pytest.approx(
        {"tiered": 300 / 600, "area_only": 550 / 600}
    )
    circle = next(r for r in doc["standards"] if r["id"] == "service_circle_15min")
    assert circle["value"] == pytest.approx(400 / 600)  # the headline model's value
    assert circle["population_range"]["text"] == "depends on the population model: 17–67 %"
    assert doc["population_sensitivity"]["headline_model"] == "tiered"
    assert doc["population_sensitivity"]["collapsed"] is False
    # the second model's people are the same 600: count standards do not move
    assert [m["total"] for m in doc["population_sensitivity"]["models"]] == [600.0, 600.0]


def test_one_model_collapses() -> None:
    doc = run_coverage(make_inputs(), LineTravel()).document
    sens = doc["population_sensitivity"]
    assert sens["collapsed"] is True
    circle = sens["shares"]["service_circle_15min"]
    assert circle["low"] == circle["high"] == pytest.approx(400 / 600)
    assert circle["text"] == "one population model: 66.7%"
