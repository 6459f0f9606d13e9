"""Nearest road of many points at once: exact feet of perpendiculars from flat coordinate arrays.

Roads are polylines held as one (m, 2) coordinate array with offsets. Every segment is sampled
every ``SAMPLE_SPACING_M`` (so any point of a segment is within half a spacing of one of its
samples) and the samples go into a k-d tree. For each point the k nearest samples name candidate
segments; the exact distance to each is computed in numpy; the best is *certified* when it is
no farther than the k-th sample's distance minus half a spacing (no other segment can then be
nearer). Points not yet certified ask for more samples, until all are: the answer is the exact
nearest segment, never an approximation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

#: Spacing of the samples along each segment, metres: small enough that the nearest samples
#: of a point certify its nearest road almost always at the first query.
SAMPLE_SPACING_M = 25.0
#: Candidate samples asked for first (then four times as many for the few points not certified).
FIRST_K = 8

#: Positions along one road closer than this fraction of it are the same place (floating-point noise).
SAME_PLACE_FRACTION = 1e-12


@dataclass(frozen=True)
class Feet:
    """Nearest road of each point.

    Attributes
    ----------
    road
        (n,) road index.
    dist_m
        (n,) distance to it.
    frac
        (n,) position of the foot along the road, 0 at its start and 1 at its end (by length).
    xy
        (n, 2) the foot.
    """

    road: np.ndarray
    dist_m: np.ndarray
    frac: np.ndarray
    xy: np.ndarray


class SegmentIndex:
    """The segments of a set of polylines, indexed for nearest-segment queries.

    Parameters
    ----------
    coords
        (m, 2) coordinates of every road, one after the other.
    offsets
        (n_roads + 1,) start of each road in *coords* (the last entry is m).
    """

    def __init__(self, coords: np.ndarray, offsets: np.ndarray) -> None:
        counts = np.diff(offsets)
        n_roads = len(counts)
        last = np.zeros(len(coords), dtype=bool)
        last[offsets[1:] - 1] = True
        start = np.flatnonzero(~last)
        self.seg_road = np.repeat(np.arange(n_roads), np.maximum(counts - 1, 0))
        self.a = coords[start]
        self.b = coords[start + 1]
        d = self.b - self.a
        self.seg_len = np.hypot(d[:, 0], d[:, 1])
        cum = np.cumsum(self.seg_len) - self.seg_len
        first_seg = np.concatenate([[0], np.cumsum(np.maximum(counts - 1, 0))[:-1]])
        road_start = cum[np.minimum(first_seg, len(cum) - 1)] if len(cum) else np.zeros(n_roads)
        self.along = cum - road_start[self.seg_road]
        self.road_len = np.bincount(self.seg_road, weights=self.seg_len, minlength=n_roads)
        # a foot at the end of a road's last segment is its end node exactly, not 1 - 1e-16 along
        self.last_seg = np.zeros(len(self.seg_len), dtype=bool)
        if len(self.seg_len):
            self.last_seg[np.flatnonzero(np.diff(np.append(self.seg_road, -1)) != 0)] = True
        n_samp = np.maximum(1, np.ceil(self.seg_len / SAMPLE_SPACING_M)).astype(np.int64)
        sample_seg = np.repeat(np.arange(len(self.seg_len)), n_samp)
        k = np.arange(len(sample_seg)) - np.repeat(np.cumsum(n_samp) - n_samp, n_samp)
        t = (k + 0.5) / n_samp[sample_seg]
        pts = self.a[sample_seg] + t[:, None] * d[sample_seg]
        self.half_spacing = float((self.seg_len / (2 * n_samp)).max()) if len(n_samp) else 0.0
        self.sample_seg = sample_seg
        self.tree = cKDTree(pts)
        self.n_samples = len(pts)

    def _exact(self, xy: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance from each point (broadcast over *seg*'s last axis) to segments, and the foot's t."""
        a, b = self.a[seg], self.b[seg]
        d = b - a
        p = xy[:, None, :] - a
        den = (d * d).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(den > 0, (p * d).sum(axis=-1) / den, 0.0)
        t = np.clip(t, 0.0, 1.0)
        foot = a + t[..., None] * d
        return np.hypot(xy[:, None, 0] - foot[..., 0], xy[:, None, 1] - foot[..., 1]), t

    def nearest(self, xy: np.ndarray) -> Feet:
        """The exact nearest segment of each point, as a position on its road.

        Parameters
        ----------
        xy
            (n, 2) points.

        Returns
        -------
        Feet
            Road, distance, position along the road and foot of every point.
        """
        n = len(xy)
        best_seg = np.zeros(n, dtype=np.int64)
        best_dist = np.full(n, np.inf)
        best_t = np.zeros(n)
        todo = np.arange(n)
        k = min(FIRST_K, self.n_samples)
        while len(todo):
            dk, idx = self.tree.query(xy[todo], k=k, workers=-1)
            dk = np.asarray(dk).reshape(len(todo), -1)
            idx = np.asarray(idx).reshape(len(todo), -1)
            seg = self.sample_seg[np.minimum(idx, self.n_samples - 1)]
            dist, t = self._exact(xy[todo], seg)
            j = np.argmin(dist, axis=1)
            rows = np.arange(len(todo))
            best_seg[todo] = seg[rows, j]
            best_dist[todo] = dist[rows, j]
            best_t[todo] = t[rows, j]
            if k >= self.n_samples:
                break
            certified = best_dist[todo] <= dk[:, -1] - self.half_spacing
            todo = todo[~certified]
            k = min(k * 4, self.n_samples)
        # a foot at an inner vertex is the start of the next segment, so that every point there
        # gets one and the same position along the road
        at_vertex = (best_t >= 1.0) & ~self.last_seg[best_seg]
        best_seg[at_vertex] += 1
        best_t[at_vertex] = 0.0
        road = self.seg_road[best_seg]
        along = self.along[best_seg] + best_t * self.seg_len[best_seg]
        total = self.road_len[road]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(total > 0, np.clip(along / total, 0.0, 1.0), 0.0)
        frac[(best_t >= 1.0) & self.last_seg[best_seg]] = 1.0
        # a foot a rounding error from a road's end is at that end's node
        frac[frac <= SAME_PLACE_FRACTION] = 0.0
        frac[frac >= 1.0 - SAME_PLACE_FRACTION] = 1.0
        foot = self.a[best_seg] + best_t[:, None] * (self.b[best_seg] - self.a[best_seg])
        return Feet(road=road.astype(np.int64), dist_m=best_dist, frac=frac, xy=foot)
