"""Nearest-facility minutes taken from answers a run already has, exactly, instead of a new search.

On a road network the minutes to the nearest of a set of facilities are the smallest of each
facility's own minutes: a search from all of them at once adds the same edge costs in the same
order as a search from each, and rounding keeps the order of sums, so the minimum is the same
number to the last bit (a model says so with ``exact_minima = True``). Two answers a run holds
then give others for free:

- the (facility × cell) matrix of the accessibility measure, bounded at its last band: below that
  bound each entry is the facility's exact minutes (a cheaper way would pass a node beyond the
  bound, so it would be dearer than the bound), so the smallest entry over a set is the set's
  exact minutes wherever it is below the bound (:func:`matrix_minima`); a set whose every cell
  is below it needs no search;
- the minutes to a subset (the open facilities, when planned ones are added): the whole set's
  minutes are the smaller of the subset's and the other facilities', and one search from the
  added facilities serves every tier that gains the same ones.

Which facility is nearest is not taken this way (equal times may name either one); answers that
name it still come from one search over the whole set.
"""

from __future__ import annotations

import numpy as np

#: Relative margin under a matrix's bound below which its entries are trusted as exact: far above
#: the rounding of minutes near the bound (about 1e-15 of it), far below any difference that counts.
BOUND_MARGIN = 1e-9


def trusted_bound(cutoff_minutes: float) -> float:
    """Minutes below which a matrix searched up to *cutoff_minutes* holds exact minima."""
    return cutoff_minutes * (1.0 - BOUND_MARGIN)


def matrix_minima(rows: np.ndarray, cutoff_minutes: float) -> tuple[np.ndarray, np.ndarray]:
    """The smallest entry per cell over some rows of a bounded matrix, and where it is exact.

    Parameters
    ----------
    rows
        (k, n) minutes of k facilities to n cells, ``inf`` beyond the search's bound.
    cutoff_minutes
        That bound.

    Returns
    -------
    tuple of numpy.ndarray
        ``(minutes, exact)``: per-cell smallest entry (``inf`` for no rows), and whether it is the
        exact minimum over those facilities (else the true minimum is at least
        :func:`trusted_bound` of the cutoff).
    """
    n = rows.shape[-1]
    best = rows.min(axis=0) if len(rows) else np.full(n, np.inf)
    return best, best < trusted_bound(cutoff_minutes)
