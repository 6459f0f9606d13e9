"""How unequal access is: Gini, Palma ratio, coefficient of variation and Lorenz curve, population-weighted.

Each person counts once: a cell's value is weighted by its population, and the Lorenz curve runs
through the cells sorted by value, so a cell's people are spread evenly along its segment (the
curve is piecewise linear). Values are travel minutes (where higher is worse) or accessibility
scores (higher is better); the measures are the same, read the other way round. Unreached cells
(``inf``) and cells without a value (NaN) are left out and their people counted apart.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from analysis import settings

__all__ = ["coefficient_of_variation", "gini", "inequality", "lorenz_curve", "lorenz_points", "palma"]


def _clean(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Finite values with positive weight, sorted by value (stable)."""
    v = np.asarray(values, dtype=np.float64)
    w = np.nan_to_num(np.asarray(weights, dtype=np.float64))
    keep = np.isfinite(v) & (w > 0)
    v, w = v[keep], w[keep]
    order = np.argsort(v, kind="stable")
    return v[order], w[order]


def lorenz_curve(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of the population-weighted Lorenz curve.

    Parameters
    ----------
    values
        Per-unit values (non-negative; ``inf``/NaN left out).
    weights
        Per-unit weights (population).

    Returns
    -------
    tuple of numpy.ndarray
        Cumulative population shares and cumulative value shares, both from 0 to 1 (empty when
        nothing is weighted or the values sum to 0).
    """
    return _curve(*_clean(values, weights))


def _curve(v: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lorenz curve of values already cleaned and sorted by :func:`_clean`."""
    total_w = float(w.sum())
    total_v = float((v * w).sum())
    if total_w <= 0 or total_v <= 0:
        return np.array([]), np.array([])
    x = np.concatenate([[0.0], np.cumsum(w) / total_w])
    y = np.concatenate([[0.0], np.cumsum(v * w) / total_v])
    return x, y


def gini(values: np.ndarray, weights: np.ndarray) -> float | None:
    """Population-weighted Gini coefficient: 1 − 2 × (area under the Lorenz curve).

    Parameters
    ----------
    values
        Per-unit values (non-negative).
    weights
        Per-unit weights.

    Returns
    -------
    float or None
        0 when everyone has the same value; ``None`` when undefined (no weight, or all values 0).
    """
    return _gini(*lorenz_curve(values, weights))


def _gini(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) == 0:
        return None
    area = float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2.0))
    return max(0.0, 1.0 - 2.0 * area)


def palma(
    values: np.ndarray,
    weights: np.ndarray,
    *,
    top_share: float | None = None,
    bottom_share: float | None = None,
) -> float | None:
    """Palma ratio: share of the total held by the top 10 % of people over that of the bottom 40 %.

    Parameters
    ----------
    values
        Per-unit values (non-negative).
    weights
        Per-unit weights.
    top_share, bottom_share
        The groups compared (``settings.PALMA_TOP_SHARE``, ``settings.PALMA_BOTTOM_SHARE``).

    Returns
    -------
    float or None
        ``None`` when undefined (the bottom group holds nothing, or no weight).
    """
    return _palma(*lorenz_curve(values, weights), top_share=top_share, bottom_share=bottom_share)


def _palma(
    x: np.ndarray, y: np.ndarray, *, top_share: float | None = None, bottom_share: float | None = None
) -> float | None:
    top = float(settings.PALMA_TOP_SHARE if top_share is None else top_share)
    bottom = float(settings.PALMA_BOTTOM_SHARE if bottom_share is None else bottom_share)
    if len(x) == 0:
        return None
    low = float(np.interp(bottom, x, y))
    high = 1.0 - float(np.interp(1.0 - top, x, y))
    return high / low if low > 0 else None


def coefficient_of_variation(values: np.ndarray, weights: np.ndarray) -> float | None:
    """Population-weighted standard deviation over the mean.

    Parameters
    ----------
    values
        Per-unit values.
    weights
        Per-unit weights.

    Returns
    -------
    float or None
        ``None`` when undefined (no weight, or mean 0).
    """
    return _cv(*_clean(values, weights))


def _cv(v: np.ndarray, w: np.ndarray) -> float | None:
    total_w = float(w.sum())
    if total_w <= 0:
        return None
    mean = float((v * w).sum() / total_w)
    if mean == 0:
        return None
    std = math.sqrt(float((w * (v - mean) ** 2).sum() / total_w))
    return std / mean


def lorenz_points(values: np.ndarray, weights: np.ndarray, *, n: int | None = None) -> list[list[float]]:
    """The Lorenz curve at *n* evenly spaced population shares, as ``[population_share, value_share]``.

    Parameters
    ----------
    values
        Per-unit values.
    weights
        Per-unit weights.
    n
        Number of points, ends included (``settings.LORENZ_POINTS``).

    Returns
    -------
    list of list of float
        Empty when the curve is undefined.
    """
    return _points(*lorenz_curve(values, weights), n=n)


def _points(x: np.ndarray, y: np.ndarray, *, n: int | None = None) -> list[list[float]]:
    count = int(settings.LORENZ_POINTS if n is None else n)
    if len(x) == 0:
        return []
    grid = np.linspace(0.0, 1.0, count)
    return [[float(a), float(b)] for a, b in zip(grid, np.interp(grid, x, y), strict=True)]


def inequality(values: np.ndarray, weights: np.ndarray) -> dict[str, Any]:
    """Every measure of this module for one distribution, with its population-weighted mean.

    Parameters
    ----------
    values
        Per-unit values (``inf`` = not reached, NaN = no value: both left out and counted).
    weights
        Per-unit weights (population).

    Returns
    -------
    dict
        ``gini``, ``palma``, ``cv``, ``mean``, ``population`` (counted), ``population_left_out``
        (unreached or without a value) and ``lorenz`` points.
    """
    v = np.asarray(values, dtype=np.float64)
    w = np.nan_to_num(np.asarray(weights, dtype=np.float64))
    counted = np.isfinite(v) & (w > 0)
    population = float(w[counted].sum())
    mean = float((v[counted] * w[counted]).sum() / population) if population > 0 else None
    # sorted once for every measure
    sorted_v, sorted_w = _clean(v, w)
    x, y = _curve(sorted_v, sorted_w)
    return {
        "gini": _gini(x, y),
        "palma": _palma(x, y),
        "cv": _cv(sorted_v, sorted_w),
        "mean": mean,
        "population": population,
        "population_left_out": float(w[(w > 0) & ~counted].sum()),
        "lorenz": _points(x, y),
    }
