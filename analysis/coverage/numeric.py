"""Small numeric helpers: JSON-able values, shares, weighted quantiles, coverage curves."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analysis import settings

_PLAIN = (str, int, bool, type(None))


def _jsonable(obj: Any) -> Any:
    """Numpy scalars to Python, NaN/inf to None, tuples to lists, recursively."""
    kind = type(obj)
    # the common cases first: documents are mostly plain floats, strings, dicts and lists
    if kind is float:
        return obj if math.isfinite(obj) else None
    if kind in _PLAIN:
        return obj
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "f":
            return [v if math.isfinite(v) else None for v in obj.tolist()]
        if obj.dtype.kind in "iub":
            return obj.tolist()
        return [_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.bool_ | bool):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(obj) else None
    if obj is pd.NA or obj is pd.NaT:
        return None
    return obj


def _share(covered: float, total: float) -> float | None:
    return covered / total if total > 0 else None


def _or_default(value: float | None, default: float) -> float:
    return float(default if value is None else value)


def _population(population: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-cell population as floats (NaN → 0) and its total."""
    pop = np.nan_to_num(np.asarray(population, dtype=np.float64))
    return pop, float(pop.sum())


def _needed(population: float, people_per_unit: int) -> int:
    """Units needed for *population* at one per *people_per_unit* (0 for no population)."""
    return math.ceil(population / people_per_unit) if population > 0 else 0


def _pairwise_m(a_xy: np.ndarray, b_xy: np.ndarray) -> np.ndarray:
    """Straight-line distances, shape (len(a_xy), len(b_xy))."""
    return np.hypot(a_xy[:, None, 0] - b_xy[None, :, 0], a_xy[:, None, 1] - b_xy[None, :, 1])


def _take(table: np.ndarray, index: np.ndarray, missing: Any) -> np.ndarray:
    """``table[index]`` where *index* >= 0, *missing* where it is -1 (also when *table* is empty)."""
    out = np.full(len(index), missing, dtype=object if missing is None else table.dtype)
    hit = index >= 0
    out[hit] = table[index[hit]]
    return out


def _nan_if_unreached(minutes: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(minutes), minutes, np.nan)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Population-weighted quantile: the smallest value whose cumulative weight reaches *q*.

    Parameters
    ----------
    values
        Per-cell values (``inf`` allowed, meaning "not reached"; NaN ignored).
    weights
        Per-cell weights (population); non-positive weights are ignored.
    q
        Quantile in [0, 1].

    Returns
    -------
    float
        The quantile, ``inf`` when it falls among unreached cells, NaN when nothing is weighted.
    """
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    keep = (weights > 0) & ~np.isnan(values)
    if not keep.any():
        return math.nan
    order = np.argsort(values[keep], kind="stable")
    v = values[keep][order]
    cum = np.cumsum(weights[keep][order])
    idx = int(np.searchsorted(cum, q * cum[-1], side="left"))
    return float(v[min(idx, len(v) - 1)])


def coverage_curve(
    minutes: np.ndarray, population: np.ndarray, *, max_minutes: int | None = None
) -> list[float | None]:
    """Share of population within t minutes, for t = 0, 1, ..., *max_minutes*.

    Parameters
    ----------
    minutes
        Per-cell minutes to the nearest facility (``inf`` = not reached).
    population
        Per-cell population.
    max_minutes
        Right end of the curve (``settings.CURVE_MAX_MINUTES``).

    Returns
    -------
    list of float
        One share per whole minute; ``None`` when there is no population.
    """
    top = int(settings.CURVE_MAX_MINUTES if max_minutes is None else max_minutes)
    pop, total = _population(population)
    if total <= 0:
        return [None] * (top + 1)
    order = np.argsort(minutes, kind="stable")
    sorted_minutes = np.asarray(minutes, dtype=np.float64)[order]
    cum = np.concatenate([[0.0], np.cumsum(pop[order])])
    idx = np.searchsorted(sorted_minutes, np.arange(top + 1, dtype=np.float64), side="right")
    return [float(c / total) for c in cum[idx]]
