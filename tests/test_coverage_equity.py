"""Gini, Palma, CV and Lorenz points against textbook values and an independent pairwise formula."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.coverage.equity import coefficient_of_variation, gini, inequality, lorenz_points, palma


def pairwise_gini(values: list[float], weights: list[float]) -> float:
    """Weighted mean absolute difference over twice the mean: shares no code with the engine."""
    total_w = sum(weights)
    mean = sum(v * w for v, w in zip(values, weights, strict=True)) / total_w
    pairs = sum(
        wi * wj * abs(vi - vj)
        for (vi, wi), (vj, wj) in itertools.product(zip(values, weights, strict=True), repeat=2)
    )
    return pairs / (2 * total_w**2 * mean)


def test_gini_equal_times_is_zero() -> None:
    assert gini(np.full(5, 12.0), np.array([1.0, 2.0, 3.0, 4.0, 5.0])) == pytest.approx(0.0, abs=1e-12)


def test_gini_all_at_one_value_but_one() -> None:
    # n people, all of the total held by one: the textbook (n - 1) / n
    assert gini(np.array([0.0, 0.0, 0.0, 1.0]), np.ones(4)) == pytest.approx(0.75)
    assert gini(np.array([0.0] * 9 + [7.0]), np.ones(10)) == pytest.approx(0.9)


def test_gini_weighted_by_hand() -> None:
    # values 1 (3 people) and 3 (1 person): Lorenz 0 -> (0.75, 0.5) -> (1, 1); area 0.375 -> G = 0.25
    assert gini(np.array([1.0, 3.0]), np.array([3.0, 1.0])) == pytest.approx(0.25)
    # a cell of 3 people is the same as three cells of 1
    assert gini(np.array([1.0, 1.0, 1.0, 3.0]), np.ones(4)) == pytest.approx(0.25)


def test_gini_undefined_and_unreached() -> None:
    assert gini(np.zeros(3), np.ones(3)) is None
    assert gini(np.array([1.0]), np.array([0.0])) is None
    # unreached people are left out, not counted as infinitely far
    assert gini(np.array([1.0, 3.0, np.inf]), np.array([3.0, 1.0, 5.0])) == pytest.approx(0.25)
    out = inequality(np.array([1.0, 3.0, np.inf, np.nan]), np.array([3.0, 1.0, 5.0, 2.0]))
    assert out["population"] == 4.0
    assert out["population_left_out"] == 7.0
    assert out["mean"] == pytest.approx(1.5)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.just(0.0), st.floats(1e-3, 100.0)), st.floats(0.1, 50.0)),
        min_size=1,
        max_size=12,
    )
)
def test_gini_matches_pairwise_formula(rows: list[tuple[float, float]]) -> None:
    values = [r[0] for r in rows]
    weights = [r[1] for r in rows]
    if all(v == 0 for v in values):
        assert gini(np.array(values), np.array(weights)) is None
        return
    assert gini(np.array(values), np.array(weights)) == pytest.approx(
        pairwise_gini(values, weights), abs=1e-9
    )


def test_palma_by_hand() -> None:
    # 1..10, one person each: bottom 40 % hold 1+2+3+4 = 10, top 10 % hold 10 -> 1.0
    assert palma(np.arange(1.0, 11.0), np.ones(10)) == pytest.approx(1.0)
    # nine at 1, one at 11 (total 20): bottom 40 % hold 4/20, top 10 % hold 11/20 -> 2.75
    assert palma(np.array([1.0] * 9 + [11.0]), np.ones(10)) == pytest.approx(2.75)
    # the same people as two cells (9 at 1, 1 at 11): the curve splits the cell evenly
    assert palma(np.array([1.0, 11.0]), np.array([9.0, 1.0])) == pytest.approx(2.75)
    # bottom 40 % hold nothing: undefined
    assert palma(np.array([0.0] * 5 + [1.0]), np.ones(6)) is None


def test_cv_by_hand() -> None:
    assert coefficient_of_variation(np.array([1.0, 3.0]), np.ones(2)) == pytest.approx(0.5)
    # weights 3 and 1: mean 1.5, variance (3 * 0.25 + 1 * 2.25) / 4 = 0.75
    assert coefficient_of_variation(np.array([1.0, 3.0]), np.array([3.0, 1.0])) == pytest.approx(
        np.sqrt(0.75) / 1.5
    )
    assert coefficient_of_variation(np.zeros(2), np.ones(2)) is None


def test_lorenz_points() -> None:
    points = lorenz_points(np.array([1.0, 3.0]), np.array([3.0, 1.0]), n=5)
    assert [p[0] for p in points] == [0.0, 0.25, 0.5, 0.75, 1.0]
    # the first 75 % of people hold half of the total, linearly in between
    assert [p[1] for p in points] == pytest.approx([0.0, 1 / 6, 1 / 3, 0.5, 1.0])
    assert lorenz_points(np.zeros(3), np.ones(3)) == []
