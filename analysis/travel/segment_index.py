"""Nearest road of many points at once: exact feet of perpendiculars from flat coordinate arrays.

Roads are polylines held as one (m, 2) coordinate array with offsets. Every segment is sampled
every ``SAMPLE_SPACING_M`` (so any point of a segment is within half a spacing of one of its
samples) and the samples go into a k-d tree. All points are searched at once, in the order of a
coarse grid over them (the tree searches run several times faster on neighbouring points). For
each point the k nearest samples name candidate segments; the squared distance to each is
computed over all points and candidates in numpy; the best is *certified* when it is no farther
than the k-th sample's distance minus half a spacing (no other segment can then be nearer).
Points not yet certified ask for more samples, until all are: the answer is the exact nearest
segment, never an approximation; its foot and distance are then computed for it alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

#: Spacing of the samples along each segment, metres: small enough that the nearest samples
#: of a point certify its nearest road almost always at the first query.
SAMPLE_SPACING_M = 35.0
#: Candidate samples asked for first (then four times as many for the few points not certified).
FIRST_K = 6
#: Side of the grid cells that set the order in which points are searched, metres.
ORDER_CELL_M = 250.0
#: Relative slack on the certification of a squared distance: floating-point noise never certifies
#: a segment that is not the nearest.
CERTIFY_MARGIN = 1e-9

#: Positions along one road closer than this fraction of it are the same place (floating-point noise).
SAME_PLACE_FRACTION = 1e-12


def spatial_order(xy: np.ndarray, *, cell_m: float) -> np.ndarray:
    """An order of points by the cells of a square grid (row by row), stable within a cell.

    Parameters
    ----------
    xy
        (n, 2) points.
    cell_m
        Side of the cells.

    Returns
    -------
    numpy.ndarray
        (n,) indices into *xy*.
    """
    if len(xy) == 0:
        return np.zeros(0, dtype=np.int64)
    finite = np.isfinite(xy).all(axis=1)
    lo = xy[finite].min(axis=0) if finite.any() else np.zeros(2)
    cell = np.floor((np.where(finite[:, None], xy, lo) - lo) / cell_m)
    cell = np.clip(cell, 0, 2**31 - 1).astype(np.int64)
    return np.argsort(cell[:, 1] * (int(cell[:, 0].max()) + 1) + cell[:, 0], kind="stable")


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
        offsets = np.asarray(offsets, dtype=np.int64)
        counts = np.diff(offsets)
        n_roads = len(counts)
        last = np.zeros(len(coords), dtype=bool)
        last[offsets[1:] - 1] = True
        start = np.flatnonzero(~last)
        seg_road = np.repeat(np.arange(n_roads), np.maximum(counts - 1, 0))
        # per segment, flat: its start, its direction and 1 / its squared length (0 for a point)
        a = coords[start]
        d = coords[start + 1] - a
        self._ax, self._ay = np.ascontiguousarray(a[:, 0]), np.ascontiguousarray(a[:, 1])
        self._dx, self._dy = np.ascontiguousarray(d[:, 0]), np.ascontiguousarray(d[:, 1])
        del a
        den = self._dx * self._dx + self._dy * self._dy
        with np.errstate(divide="ignore"):
            self._inv_den = np.where(den > 0, 1.0 / np.where(den > 0, den, 1.0), 0.0)
        seg_len = np.hypot(self._dx, self._dy)
        cum = np.cumsum(seg_len) - seg_len
        first_seg = np.concatenate([[0], np.cumsum(np.maximum(counts - 1, 0))[:-1]])
        road_start = cum[np.minimum(first_seg, len(cum) - 1)] if len(cum) else np.zeros(n_roads)
        self.along = cum - road_start[seg_road]
        self.road_len = np.bincount(seg_road, weights=seg_len, minlength=n_roads)
        # a foot at the end of a road's last segment is its end node exactly, not 1 - 1e-16 along
        self.last_seg = np.zeros(len(seg_len), dtype=bool)
        if len(seg_len):
            self.last_seg[np.flatnonzero(np.diff(np.append(seg_road, -1)) != 0)] = True
        self.seg_road = seg_road.astype(np.int32) if n_roads < 2**31 else seg_road
        n_samp = np.maximum(1, np.ceil(seg_len / SAMPLE_SPACING_M)).astype(np.int64)
        sample_seg = np.repeat(np.arange(len(seg_len)), n_samp)
        k = np.arange(len(sample_seg)) - np.repeat(np.cumsum(n_samp) - n_samp, n_samp)
        t = (k + 0.5) / n_samp[sample_seg]
        pts = np.column_stack(
            [self._ax[sample_seg] + t * self._dx[sample_seg], self._ay[sample_seg] + t * self._dy[sample_seg]]
        )
        del k, t
        self.half_spacing = float((seg_len / (2 * n_samp)).max()) if len(n_samp) else 0.0
        self.sample_seg = sample_seg.astype(np.int32) if len(seg_len) < 2**31 else sample_seg
        self.tree = cKDTree(pts)
        self.n_samples = len(pts)

    def _candidates(self, xy: np.ndarray, seg: np.ndarray) -> np.ndarray:
        """Squared distance from each point to candidate segments (*seg*: (n, k))."""
        qx = xy[:, 0:1] - self._ax[seg]
        qy = xy[:, 1:2] - self._ay[seg]
        dx, dy = self._dx[seg], self._dy[seg]
        t = (qx * dx + qy * dy) * self._inv_den[seg]
        np.clip(t, 0.0, 1.0, out=t)
        qx -= t * dx
        qy -= t * dy
        qx *= qx
        qy *= qy
        qx += qy
        return qx

    def nearest(self, xy: np.ndarray) -> Feet:
        """The exact nearest segment of each point, as a position on its road.

        Points are taken in the order of a coarse grid over them (neighbours in space are
        neighbours in memory, which makes the tree searches several times faster), their
        nearest samples name candidate segments, and the squared distance to each candidate
        is computed over all points at once; points whose best candidate is not certified
        ask for more samples. The answer is then computed for the chosen segment alone.

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
        order = spatial_order(xy, cell_m=ORDER_CELL_M)
        q = np.ascontiguousarray(xy[order], dtype=np.float64)
        chosen = np.zeros(n, dtype=np.int64)
        best_d2 = np.full(n, np.inf)
        todo = np.arange(n)
        k = min(FIRST_K, self.n_samples)
        while len(todo):
            dk, idx = self.tree.query(q[todo], k=k, workers=-1)
            dk = np.asarray(dk).reshape(len(todo), -1)
            idx = np.asarray(idx).reshape(len(todo), -1)
            seg = self.sample_seg[np.minimum(idx, self.n_samples - 1)]
            d2 = self._candidates(q[todo], seg)
            j = np.argmin(d2, axis=1)
            rows = np.arange(len(todo))
            chosen[todo] = seg[rows, j]
            best_d2[todo] = d2[rows, j]
            if k >= self.n_samples:
                break
            # no sample beyond the k-th is nearer than its distance, so no segment not among
            # the candidates is nearer than that minus half a spacing
            bound = np.maximum(dk[:, -1] - self.half_spacing, 0.0)
            certified = best_d2[todo] <= bound * bound * (1.0 - CERTIFY_MARGIN)
            todo = todo[~certified]
            k = min(k * 4, self.n_samples)
        # the answer, still in search order (memory-friendly), then back in the points' order
        dist, t = self._exact(q, chosen)
        feet = self._feet(chosen, dist, t)
        out = Feet(
            road=np.empty(n, dtype=np.int64),
            dist_m=np.empty(n),
            frac=np.empty(n),
            xy=np.empty((n, 2)),
        )
        out.road[order], out.dist_m[order], out.frac[order], out.xy[order] = (
            feet.road,
            feet.dist_m,
            feet.frac,
            feet.xy,
        )
        return out

    def _exact(self, xy: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance from each point to its segment, and the foot's position t along it."""
        a = np.column_stack([self._ax[seg], self._ay[seg]])
        d = np.column_stack([self._dx[seg], self._dy[seg]])
        p = xy - a
        den = (d * d).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(den > 0, (p * d).sum(axis=-1) / den, 0.0)
        t = np.clip(t, 0.0, 1.0)
        foot = a + t[:, None] * d
        return np.hypot(xy[:, 0] - foot[:, 0], xy[:, 1] - foot[:, 1]), t

    def _feet(self, best_seg: np.ndarray, best_dist: np.ndarray, best_t: np.ndarray) -> Feet:
        """Road, position along it and foot of each point from its nearest segment."""
        # a foot at an inner vertex is the start of the next segment, so that every point there
        # gets one and the same position along the road
        at_vertex = (best_t >= 1.0) & ~self.last_seg[best_seg]
        best_seg[at_vertex] += 1
        best_t[at_vertex] = 0.0
        road = self.seg_road[best_seg]
        along = self.along[best_seg] + best_t * np.hypot(self._dx[best_seg], self._dy[best_seg])
        total = self.road_len[road]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(total > 0, np.clip(along / total, 0.0, 1.0), 0.0)
        frac[(best_t >= 1.0) & self.last_seg[best_seg]] = 1.0
        # a foot a rounding error from a road's end is at that end's node
        frac[frac <= SAME_PLACE_FRACTION] = 0.0
        frac[frac >= 1.0 - SAME_PLACE_FRACTION] = 1.0
        foot = np.column_stack(
            [
                self._ax[best_seg] + best_t * self._dx[best_seg],
                self._ay[best_seg] + best_t * self._dy[best_seg],
            ]
        )
        return Feet(road=road.astype(np.int64), dist_m=best_dist, frac=frac, xy=foot)
