"""Per-town quantiles at once are each town's own weighted quantile."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.coverage.numeric import weighted_quantile
from analysis.coverage.towns import TownIndex


def test_quantiles_by_hand() -> None:
    towns = TownIndex(["a", "a", "a", "b", None], np.array([1.0, 1.0, 2.0, 0.0, 3.0]))
    # a: values 10, 2, 5 with weights 1, 1, 2 -> cumulative 1, 3, 4 at 2, 5, 10
    got = towns.quantiles(np.array([10.0, 2.0, 5.0, 7.0, np.inf]), 0.5)
    assert got["a"] == 5.0
    assert math.isnan(got["b"])  # nobody lives there
    assert got[None] == math.inf


@pytest.mark.parametrize("seed", range(40))
def test_quantiles_are_each_towns_weighted_quantile(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 200))
    codes = rng.choice(np.array(["a", "b", "c", "d", None], dtype=object), size=n)
    population = rng.choice([0.0, 1.0, 2.5, np.nan], size=n) * (rng.random(n) if seed % 2 else 1.0)
    values = rng.choice([1.0, 2.0, np.inf, np.nan], size=n) + (rng.random(n) if seed % 3 else 0.0)
    towns = TownIndex(codes, population)
    for q in (0.0, 0.5, 0.9, 1.0):
        got = towns.quantiles(values, q)
        for i, code in enumerate(towns.codes):
            mine = towns.index == i
            expected = weighted_quantile(values[mine], towns.population[mine], q)
            assert got[code] == expected or (math.isnan(got[code]) and math.isnan(expected))
