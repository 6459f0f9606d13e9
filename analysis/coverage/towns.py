"""Cells grouped by town for per-town sums, shares and quantiles."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.coverage.numeric import (
    _share,
    weighted_quantile,
)


class TownIndex:
    """Cells grouped by town, for per-town sums with ``np.bincount``.

    Build it once per run and pass it as ``town_codes`` to the metric functions to avoid
    regrouping.

    Parameters
    ----------
    town_codes
        Per-cell town code (``None``/NaN = no town).
    population
        Per-cell population.
    """

    def __init__(self, town_codes: np.ndarray | Sequence[Any] | None, population: np.ndarray) -> None:
        self.population = np.nan_to_num(np.asarray(population, dtype=np.float64))
        n = len(self.population)
        raw = np.asarray(town_codes, dtype=object) if town_codes is not None else np.full(n, None)
        self.index, uniques = pd.factorize(raw, use_na_sentinel=False)
        self.codes: list[Any] = [None if c is None or pd.isna(c) else str(c) for c in uniques]
        self.n = len(self.codes)
        self.town_population = np.bincount(self.index, weights=self.population, minlength=self.n)
        self.cell_codes = raw

    @classmethod
    def of(cls, town_codes: TownCodes, population: np.ndarray) -> TownIndex:
        """*town_codes* itself when it is already a TownIndex, else a new one."""
        return town_codes if isinstance(town_codes, TownIndex) else cls(town_codes, population)

    def sums(self, weights: np.ndarray) -> np.ndarray:
        """Sum of *weights* per town."""
        return np.bincount(self.index, weights=np.nan_to_num(weights), minlength=self.n)

    def _covered_shares(self, covered: np.ndarray) -> tuple[np.ndarray, list[float | None]]:
        covered_pop = self.sums(self.population * np.asarray(covered, dtype=bool))
        values = [_share(float(c), float(p)) for c, p in zip(covered_pop, self.town_population, strict=True)]
        return covered_pop, values

    def shares(self, covered: np.ndarray, **also_covered: np.ndarray) -> list[dict[str, Any]]:
        """Per town: population, population covered and its share.

        Each keyword names a further per-cell covered mask whose per-town share is added to the
        rows under that name.
        """
        covered_pop, values = self._covered_shares(covered)
        rows = [
            {
                "town_code": code,
                "population": float(self.town_population[i]),
                "population_covered": float(covered_pop[i]),
                "value": values[i],
            }
            for i, code in enumerate(self.codes)
        ]
        for key, mask in also_covered.items():
            for row, value in zip(rows, self._covered_shares(mask)[1], strict=True):
                row[key] = value
        return rows

    def quantiles(self, values: np.ndarray, q: float) -> dict[Any, float]:
        """Population-weighted quantile of *values* per town (as :func:`weighted_quantile` of each town).

        The cells are sorted once by town and value and laid out one town per row, so every
        town's cumulative weights are summed in the same order as on its own, at once.
        """
        values = np.asarray(values, dtype=np.float64)
        keep = (self.population > 0) & ~np.isnan(values)
        cells = np.flatnonzero(keep)
        order = cells[np.lexsort((values[cells], self.index[cells]))]
        group = self.index[order]
        sizes = np.bincount(group, minlength=self.n)
        width = int(sizes.max()) if len(sizes) and sizes.sum() else 0
        if width == 0:
            return dict.fromkeys(self.codes, math.nan)
        if self.n * width > 4 * len(values) + 1024:
            # very uneven towns: one town at a time keeps memory linear in the cells
            return {
                code: weighted_quantile(values[order[group == i]], self.population[order[group == i]], q)
                for i, code in enumerate(self.codes)
            }
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        column = np.arange(len(order)) - starts[group]
        weights = np.zeros((self.n, width))
        weights[group, column] = self.population[order]
        sorted_values = np.zeros((self.n, width))
        sorted_values[group, column] = values[order]
        # zeros after a town's last cell leave its running sums as they are
        cum = np.cumsum(weights, axis=1)
        target = q * cum[:, -1]
        idx = np.minimum((cum < target[:, None]).sum(axis=1), np.maximum(sizes - 1, 0))
        picked = sorted_values[np.arange(self.n), idx]
        return {code: float(picked[i]) if sizes[i] else math.nan for i, code in enumerate(self.codes)}


TownCodes = np.ndarray | Sequence[Any] | TownIndex | None
