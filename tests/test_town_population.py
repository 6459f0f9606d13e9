"""The tiered town-population rule on a tiny county worked out by hand."""

from __future__ import annotations

import pytest

from analysis.errors import DataError
from analysis.town_population import PublishedFigure, best_figure, counted_rank, tiered_totals


def fig(
    town: str, population: float, *, year: str = "2017", counted: str = "resident", trust: str = "medium"
):
    return PublishedFigure(town, year, population, counted, f"src-{town}-{population:g}", trust)


def test_counted_rank() -> None:
    assert counted_rank("census_2010_resident") == 0
    assert counted_rank("yearbook_style_resident(常住)") == 1
    assert counted_rank("户籍46693+外来12627") == 1  # registered plus migrants: resident
    assert counted_rank("total(2010)") == 2
    assert counted_rank("approx(约1.46万)") == 3
    assert counted_rank("household_registered(户籍)") == 4


def test_best_figure_order() -> None:
    # trust first, even over a newer figure
    assert best_figure([fig("X", 1, trust="low", year="2020"), fig("X", 2, trust="medium")]).population == 2
    # same trust: resident before registered
    resident = fig("X", 5, counted="resident")
    registered = fig("X", 9, counted="household_registered(户籍)")
    assert best_figure([registered, resident]) is resident
    # same trust and kind: the latest year; an unknown year counts as oldest
    assert best_figure([fig("X", 1, year="2003"), fig("X", 2, year="2010")]).population == 2
    assert best_figure([fig("X", 1, year="unknown(post-1997)"), fig("X", 2, year="1997")]).population == 2
    # a tie on everything: the smaller figure
    assert (
        best_figure([fig("X", 10_000, year="unknown"), fig("X", 1_600, year="unknown")]).population == 1_600
    )
    with pytest.raises(DataError, match="trust grade"):
        best_figure([fig("X", 1, trust="excellent")])


TOWNS = [
    {"town_code": "A", "name_zh": "甲", "area_m2": 5.0},  # census
    {"town_code": "B", "name_zh": "乙", "area_m2": 1.0},
    {"town_code": "C", "name_zh": "丙", "area_m2": 3.0},
    {"town_code": "D", "name_zh": "丁", "area_m2": 2.0},  # located, no figure: area
    {"town_code": "E", "name_zh": "戊", "area_m2": None},  # no figure, no location
    {"town_code": "F", "name_zh": "己", "area_m2": None},  # figure, no location
]


def test_tiered_totals_by_hand() -> None:
    figures = [
        fig("乙", 100),
        fig("乙", 999, trust="low"),
        fig("丙", 300, counted="household_registered(户籍)", trust="low"),
        fig("己", 200, year="2010", counted="total"),
    ]
    out = tiered_totals(TOWNS, figures, census={"A": 200.0}, county_total=1200.0)
    # density of located towns with figures: (100 + 300) / (1 + 3) = 100 per unit -> D gets 200
    # remainder 1200 - 200 = 1000 over 100 + 300 + 200 (D) + 200 (F) = 800: scale 1.25
    assert out["A"].population == 200.0 and out["A"].method == "census"
    assert out["B"].population == pytest.approx(125.0)
    assert out["B"].published == 100 and out["B"].trust == "medium" and out["B"].year == "2017"
    assert out["C"].population == pytest.approx(375.0)
    assert out["D"].population == pytest.approx(250.0) and out["D"].method == "area"
    assert out["F"].population == pytest.approx(250.0) and out["F"].method == "published"
    assert out["E"].population is None and out["E"].method == "none"
    assert sum(f.population for f in out.values() if f.population is not None) == pytest.approx(1200.0)


def test_census_above_total_refused() -> None:
    with pytest.raises(DataError, match="more than the county total"):
        tiered_totals(TOWNS, [], census={"A": 2000.0}, county_total=1000.0)
