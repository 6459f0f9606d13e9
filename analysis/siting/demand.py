"""Demand points for the models: merging population cells into blocks."""

from __future__ import annotations

import numpy as np

from analysis.errors import ParameterError


def aggregate_demand(
    points_xy: np.ndarray, weights: np.ndarray, *, block_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Merge demand points into square blocks at their population-weighted centres.

    Parameters
    ----------
    points_xy
        (n, 2) projected coordinates.
    weights
        Population of each point.
    block_m
        Side of a block, metres.

    Returns
    -------
    (blocks_xy, population)
        Centres and population of the populated blocks.
    """
    if not block_m > 0:
        msg = f"block size must be positive, got {block_m}"
        raise ParameterError(msg)
    weights = np.asarray(weights, dtype=np.float64)
    key = np.floor(np.asarray(points_xy) / block_m).astype(np.int64)
    _, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    n = int(inverse.max()) + 1 if inverse.size else 0
    total = np.bincount(inverse, weights=weights, minlength=n)
    safe = np.where(total > 0, total, 1.0)
    x = np.bincount(inverse, weights=weights * points_xy[:, 0], minlength=n) / safe
    y = np.bincount(inverse, weights=weights * points_xy[:, 1], minlength=n) / safe
    keep = total > 0
    return np.column_stack([x, y])[keep], total[keep]
