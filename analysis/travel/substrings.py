"""Parts of many lines at once, between fractions of their length."""

from __future__ import annotations

import numpy as np
import shapely


def substrings(lines: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The part of each line from fraction ``lo`` to ``hi`` of its length, all lines at once.

    The same parts as ``shapely.ops.substring(line, lo, hi, normalized=True)`` for each line,
    for ``0 <= lo <= hi <= 1``: the points at the two fractions and the line's vertices strictly
    between them. A part of no length is a LineString of two equal points.

    Parameters
    ----------
    lines
        (n,) LineStrings. Not modified.
    lo, hi
        (n,) fractions of each line's length.

    Returns
    -------
    numpy.ndarray
        (n,) LineStrings.
    """
    lines = np.asarray(lines, dtype=object)
    n = len(lines)
    if n == 0:
        return np.empty(0, dtype=object)
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    step = np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1]))
    step[owner[1:] != owner[:-1]] = 0.0  # no step from one line to the next
    along = np.concatenate([[0.0], np.cumsum(step)])
    first = np.searchsorted(owner, np.arange(n))
    along -= along[first][owner]
    length = shapely.length(lines)
    rel = np.divide(along, length[owner], out=np.zeros_like(along), where=length[owner] > 0)
    keep = (rel > lo[owner]) & (rel < hi[owner])
    start = shapely.get_coordinates(shapely.line_interpolate_point(lines, lo, normalized=True))
    end = shapely.get_coordinates(shapely.line_interpolate_point(lines, hi, normalized=True))
    # each part: its start, the kept vertices, its end, in line order
    out_xy = np.concatenate([start, coords[keep], end])
    out_owner = np.concatenate([np.arange(n), owner[keep], np.arange(n)])
    rank = np.concatenate([np.zeros(n), np.ones(int(keep.sum())), np.full(n, 2.0)])
    seq = np.concatenate([np.zeros(n), np.flatnonzero(keep).astype(float), np.zeros(n)])
    order = np.lexsort((seq, rank, out_owner))
    return np.asarray(shapely.linestrings(out_xy[order], indices=out_owner[order]), dtype=object)
