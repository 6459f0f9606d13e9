"""Marginal gains: the coverage matrix, greedy ranking of sites and which new site first covers each cell."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from analysis.siting.models.base import LocationModel


def coverage_matrix(cost: np.ndarray, threshold: float) -> sp.csc_matrix:
    """Sparse boolean demand × site matrix of the pairs within *threshold*.

    Parameters
    ----------
    cost
        Demand × site travel costs (``inf`` where unreachable).
    threshold
        Largest cost that counts as covered, in the units of *cost*.

    Returns
    -------
    scipy.sparse.csc_matrix
        ``True`` where ``cost <= threshold``; only those pairs are stored.
    """
    rows, cols = np.nonzero(np.asarray(cost) <= threshold)
    data = np.ones(rows.size, dtype=bool)
    return sp.csc_matrix((data, (rows, cols)), shape=np.shape(cost))


def greedy_maximal_covering(
    coverage: sp.spmatrix,
    weights: np.ndarray,
    *,
    p: int,
    candidates: np.ndarray | None = None,
    covered: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pick *p* sites one at a time, each adding the most still-uncovered weight.

    Parameters
    ----------
    coverage
        Sparse boolean demand × site matrix.
    weights
        Population of each demand point.
    p
        Number of sites to pick.
    candidates
        Column indices allowed; all columns when None.
    covered
        Boolean mask of demand already covered (by existing sites); none when None.

    Returns
    -------
    (sites, gains)
        Column indices in the order picked and the population each added. For covering, gains
        never rise (coverage is submodular).
    """
    a = sp.csc_matrix(coverage, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    remaining = weights.copy()
    if covered is not None:
        remaining[np.asarray(covered, dtype=bool)] = 0.0
    allowed = np.arange(a.shape[1]) if candidates is None else np.asarray(candidates, dtype=np.int64)
    open_mask = np.zeros(allowed.size, dtype=bool)
    sub = a[:, allowed]
    sites: list[int] = []
    gains: list[float] = []
    for _ in range(min(p, allowed.size)):
        gain = np.asarray(sub.T @ remaining).ravel()
        gain[open_mask] = -1.0
        best = int(np.argmax(gain))  # first index on ties, so the order is reproducible
        open_mask[best] = True
        sites.append(int(allowed[best]))
        gains.append(float(max(gain[best], 0.0)))
        reached = sub[:, best].nonzero()[0]
        remaining[reached] = 0.0
    return np.asarray(sites, dtype=np.int64), np.asarray(gains, dtype=np.float64)


def greedy_pmedian(cost: np.ndarray, weights: np.ndarray, base: np.ndarray, *, p: int) -> np.ndarray:
    """Positions of *p* candidate columns of *cost*, each cutting weighted cost the most."""
    finite = np.isfinite(cost)
    # people no site reaches yet count at more than any finite cost, so any reaching site saves
    unreached = 2.0 * float(cost[finite].max()) + 1.0 if finite.any() else 1.0
    current = np.where(np.isfinite(base), base, unreached)
    chosen: list[int] = []
    for _ in range(min(p, cost.shape[1])):
        saving = (weights[:, None] * np.maximum(current[:, None] - cost, 0.0)).sum(axis=0)
        saving[chosen] = -1.0
        best = int(np.argmax(saving))
        chosen.append(best)
        current = np.minimum(current, cost[:, best])
    return np.asarray(chosen, dtype=np.int64)


def cell_ranks(model: LocationModel) -> list[int | None]:
    """Which open site first covers each demand point, in rank order.

    Parameters
    ----------
    model
        A solved model.

    Returns
    -------
    list
        Per demand point: 0 when an existing site covers it, *k* when the rank-*k* new site is the
        first to cover it, None when no open site does.
    """
    rank = np.full(model.n_demand, -1, dtype=np.int64)
    rank[model.baseline_covered] = 0
    for k, site in enumerate(model.selected, start=1):
        reached = model.coverage[:, int(site)].nonzero()[0]
        fresh = reached[rank[reached] < 0]
        rank[fresh] = k
    return [int(r) if r >= 0 else None for r in rank]


def cell_ranks_of_points(
    ranks: list[int | None], cell_of_point: np.ndarray, n_cells: int
) -> list[int | None]:
    """Per population cell, the best rank of its demand points (for maps of a walk-scale model).

    Parameters
    ----------
    ranks
        Per demand point, as :func:`cell_ranks` gives them.
    cell_of_point
        The cell (row) of each demand point.
    n_cells
        Number of cells.

    Returns
    -------
    list
        Per cell: 0 when an existing site covers one of its points, else the smallest rank covering one,
        None when no point of it is covered.
    """
    big = np.iinfo(np.int64).max
    values = np.array([big if r is None else r for r in ranks], dtype=np.int64)
    best = np.full(n_cells, big, dtype=np.int64)
    np.minimum.at(best, np.asarray(cell_of_point, dtype=np.int64), values)
    return [None if b == big else int(b) for b in best]


def dominated_columns(
    coverage: sp.spmatrix, weights: np.ndarray, *, keep: np.ndarray | None = None
) -> np.ndarray:
    """Columns whose populated coverage is contained in another column's (removable from covering models).

    A site that reaches a subset of the people another site reaches is never better there, in MCLP or
    MEXCLP alike; of two sites reaching the same people the later column is dropped.

    Parameters
    ----------
    coverage
        Sparse boolean demand × site matrix.
    weights
        Population of each demand point (empty demand does not count).
    keep
        Boolean mask of columns never dropped (e.g. existing sites).

    Returns
    -------
    numpy.ndarray
        Boolean mask of dominated columns.
    """
    populated = np.asarray(weights) > 0
    a = sp.csc_matrix(coverage, dtype=np.float64)[populated, :]
    sizes = np.asarray(a.sum(axis=0)).ravel()
    overlap = (a.T @ a).toarray()
    n = a.shape[1]
    contained = overlap >= sizes[:, None] - 0.5  # row j's set inside column k's set
    np.fill_diagonal(contained, False)
    equal = contained & contained.T
    strictly = contained & ~equal
    earlier = np.tri(n, k=-1, dtype=bool)  # equal sets: drop the later column (k < j)
    dominated = strictly.any(axis=1) | (equal & earlier).any(axis=1) | (sizes == 0)
    if keep is not None:
        dominated &= ~np.asarray(keep, dtype=bool)
    return dominated
