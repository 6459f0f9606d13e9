"""Nearest road of many points at once: exact feet of perpendiculars from flat coordinate arrays.

Roads are polylines held as one (m, 2) coordinate array with offsets. A grid of square cells
(:class:`~analysis.travel.segment_grid.SegmentGrid`) lists, for each cell, every segment within
a reach of it. All points are searched at once, in the order of their cells: the squared
distance from each point to each segment its cell lists is computed over all points and
candidates in numpy, and the best is *certified* when it is no farther than the reach plus the
point's distance to its cell's border (no segment not listed can then be nearer). Points not
certified are searched again among the squares of cells around theirs, wider and wider; the few
left (far from every road, or off the grid) are searched with a k-d tree over samples every
``SAMPLE_SPACING_M`` along each segment (built the first time it is needed): their k nearest
samples name candidates, certified against the k-th sample's distance minus half a spacing, and
points not yet certified ask for more samples. The answer is the exact nearest segment, never an
approximation; its foot and distance are then computed for it alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.spatial import cKDTree

from analysis.travel.segment_grid import SegmentGrid

#: Spacing of the samples along each segment, metres: small enough that the nearest samples
#: of a point certify its nearest road almost always at the first query.
SAMPLE_SPACING_M = 35.0
#: Candidate samples asked for first (then four times as many for the few points not certified).
FIRST_K = 6
#: Squares of cells (so many cells either side of a point's own) searched in turn for the points
#: not yet certain, before the k-d tree: a point up to about 7 cells from every road stays in the grid.
BLOCK_RADII = (1, 3, 7)
#: Points searched together in the grid (their candidate pairs stay in the processor's caches).
GRID_CHUNK_POINTS = 8192
#: Relative slack on the certification of a squared distance: floating-point noise never certifies
#: a segment that is not the nearest.
CERTIFY_MARGIN = 1e-9

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
    cell_m, reach_m
        Cell side and reach of the grid (:class:`~analysis.travel.segment_grid.SegmentGrid`);
        ``None``: chosen from the density of the roads.
    """

    def __init__(
        self,
        coords: np.ndarray,
        offsets: np.ndarray,
        *,
        cell_m: float | None = None,
        reach_m: float | None = None,
    ) -> None:
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
        self._seg_len = seg_len
        self.n_segments = len(seg_len)
        self.grid = SegmentGrid(self._ax, self._ay, self._dx, self._dy, cell_m=cell_m, reach_m=reach_m)

    @cached_property
    def _samples(self) -> tuple[cKDTree, np.ndarray, float]:
        """k-d tree over samples of every segment, the segment of each sample and half their spacing."""
        seg_len = self._seg_len
        n_samp = np.maximum(1, np.ceil(seg_len / SAMPLE_SPACING_M)).astype(np.int64)
        sample_seg = np.repeat(np.arange(len(seg_len)), n_samp)
        k = np.arange(len(sample_seg)) - np.repeat(np.cumsum(n_samp) - n_samp, n_samp)
        t = (k + 0.5) / n_samp[sample_seg]
        pts = np.column_stack(
            [self._ax[sample_seg] + t * self._dx[sample_seg], self._ay[sample_seg] + t * self._dy[sample_seg]]
        )
        del k, t
        half_spacing = float((seg_len / (2 * n_samp)).max()) if len(n_samp) else 0.0
        return cKDTree(pts), sample_seg.astype(np.int32) if len(seg_len) < 2**31 else sample_seg, half_spacing

    def build_fallback(self) -> None:
        """Build now the k-d tree that points far from every road need (else at the first such point)."""
        self._samples  # noqa: B018 (a cached property: reading it builds it)

    def _candidates(self, x: np.ndarray, y: np.ndarray, seg: np.ndarray) -> np.ndarray:
        """Squared distance from points to candidate segments (*x*, *y* broadcast against *seg*).

        Every search computes a pair's squared distance by these very operations, so that one
        pair has one value whichever search met it.
        """
        # np.take gathers faster than indexing with an array
        qx = x - np.take(self._ax, seg)
        qy = y - np.take(self._ay, seg)
        dx, dy = np.take(self._dx, seg), np.take(self._dy, seg)
        t = (qx * dx + qy * dy) * np.take(self._inv_den, seg)
        np.clip(t, 0.0, 1.0, out=t)
        qx -= t * dx
        qy -= t * dy
        qx *= qx
        qy *= qy
        qx += qy
        return qx

    def nearest(self, xy: np.ndarray) -> Feet:
        """The exact nearest segment of each point, as a position on its road.

        The segments listed by each point's grid cell are its candidates; the squared distance
        to every candidate of every point is computed at once, and the nearest is certain when
        it is within the distance the cell guarantees (:meth:`SegmentGrid.locate`). The few
        points left (far from every road, or off the grid) are searched with the k-d tree of
        samples. Of segments at the same squared distance the lowest-numbered one is taken,
        by either search. The answer is then computed for the chosen segment alone.

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
        q = np.ascontiguousarray(xy, dtype=np.float64)
        grid = self.grid
        cell, bound = grid.locate(q[:, 0], q[:, 1])
        # points in the order of their cells: neighbours share candidates in memory
        order = grid.order(cell)
        q, cell, bound = q[order], cell[order], bound[order]
        chosen = np.zeros(n, dtype=np.int64)
        best_d2 = np.full(n, np.inf)
        certified = np.zeros(n, dtype=bool)
        for lo in range(0, n, GRID_CHUNK_POINTS):
            part = slice(lo, min(lo + GRID_CHUNK_POINTS, n))
            chosen[part], best_d2[part], certified[part] = self._grid_search(
                q[part], cell[part, None], bound[part]
            )
        # then the squares of cells around, wider and wider: every segment within k more cell
        # sides is listed by one of the cells up to k away
        for k in BLOCK_RADII:
            todo = np.flatnonzero(~certified & (cell >= 0))
            step = max(1, GRID_CHUNK_POINTS // (2 * k + 1) ** 2)
            for lo in range(0, len(todo), step):
                some = todo[lo : lo + step]
                chosen[some], best_d2[some], certified[some] = self._grid_search(
                    q[some], grid.block(cell[some], k), bound[some] + k * grid.cell_m
                )
        todo = np.flatnonzero(~certified)
        if len(todo) and self.n_segments:
            chosen[todo], best_d2[todo] = self._tree_search(q[todo])
        # the answer, still in search order (memory-friendly), then back in the points' order
        feet = self._answer(q[:, 0], q[:, 1], chosen)
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

    def _grid_search(
        self, q: np.ndarray, cells: np.ndarray, bound: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest segment listed by each point's cells, its squared distance, and whether it is certain.

        *cells* is (n, c): the cells of each point (-1: none); a segment not listed by any of them
        is farther than *bound* from the point.
        """
        n = len(q)
        indptr = self.grid.indptr
        safe = np.where(cells >= 0, cells, 0).ravel()
        count = np.where(cells.ravel() >= 0, indptr[safe + 1] - indptr[safe], 0).astype(np.int64)
        chosen = np.zeros(n, dtype=np.int64)
        best_d2 = np.full(n, np.inf)
        per_point = count if cells.shape[1] == 1 else count.reshape(n, -1).sum(axis=1)
        has = per_point > 0
        if not has.any():
            return chosen, best_d2, np.zeros(n, dtype=bool)
        ends = np.cumsum(count)
        # position of every (point, candidate) pair in the cells' lists
        pos = np.arange(int(ends[-1]), dtype=np.int64)
        pos += np.repeat(indptr[safe] - (ends - count), count)
        seg = np.take(self.grid.indices, pos)
        d2 = self._candidates(np.repeat(q[:, 0], per_point), np.repeat(q[:, 1], per_point), seg)
        first = (np.cumsum(per_point) - per_point)[has]
        low = np.minimum.reduceat(d2, first)
        # of the pairs at each point's least distance (one, but for ties), the lowest segment
        hits = np.flatnonzero(d2 == np.repeat(low, per_point[has]))
        best = np.minimum.reduceat(seg[hits], np.searchsorted(hits, first))
        chosen[has], best_d2[has] = best, low
        certified = has & (bound > 0)
        certified[has] &= low <= bound[has] * bound[has]
        return chosen, best_d2, certified

    def _tree_search(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest segment of each point from its nearest samples, asking for more until certain."""
        tree, sample_seg, half_spacing = self._samples
        n, n_samples = len(q), tree.n
        chosen = np.zeros(n, dtype=np.int64)
        best_d2 = np.full(n, np.inf)
        todo = np.arange(n)
        k = min(FIRST_K, n_samples)
        while len(todo):
            dk, idx = tree.query(q[todo], k=k, workers=-1)
            dk = np.asarray(dk).reshape(len(todo), -1)
            idx = np.asarray(idx).reshape(len(todo), -1)
            seg = sample_seg[np.minimum(idx, n_samples - 1)]
            d2 = self._candidates(q[todo, 0:1], q[todo, 1:2], seg)
            low = d2.min(axis=1)
            chosen[todo] = np.where(d2 == low[:, None], seg, np.iinfo(seg.dtype).max).min(axis=1)
            best_d2[todo] = low
            if k >= n_samples:
                break
            # no sample beyond the k-th is nearer than its distance, so no segment not among
            # the candidates is nearer than that minus half a spacing (nor as near: a tie with
            # one of them, which might be lower-numbered, needs a bound above zero)
            bound = dk[:, -1] - half_spacing
            certified = (bound > 0) & (low <= bound * bound * (1.0 - CERTIFY_MARGIN))
            todo = todo[~certified]
            k = min(k * 4, n_samples)
        return chosen, best_d2

    def _answer(self, x: np.ndarray, y: np.ndarray, seg: np.ndarray) -> Feet:
        """Road, distance, position along the road and foot of each point from its nearest segment."""
        ax, ay, dx, dy = self._ax[seg], self._ay[seg], self._dx[seg], self._dy[seg]
        den = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(den > 0, ((x - ax) * dx + (y - ay) * dy) / den, 0.0)
        np.clip(t, 0.0, 1.0, out=t)
        foot_x, foot_y = ax + t * dx, ay + t * dy
        dist = np.hypot(x - foot_x, y - foot_y)
        # a foot at an inner vertex is the start of the next segment, so that every point there
        # gets one and the same position along the road
        at_end = t >= 1.0
        last = self.last_seg[seg]
        at_vertex = np.flatnonzero(at_end & ~last)
        seg = seg.copy()
        seg[at_vertex] += 1
        t[at_vertex] = 0.0
        foot_x[at_vertex], foot_y[at_vertex] = self._ax[seg[at_vertex]], self._ay[seg[at_vertex]]
        road = self.seg_road[seg]
        along = self.along[seg] + t * self._seg_len[seg]
        total = self.road_len[road]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(total > 0, np.clip(along / total, 0.0, 1.0), 0.0)
        frac[at_end & last] = 1.0
        # a foot a rounding error from a road's end is at that end's node
        frac[frac <= SAME_PLACE_FRACTION] = 0.0
        frac[frac >= 1.0 - SAME_PLACE_FRACTION] = 1.0
        return Feet(road=road.astype(np.int64), dist_m=dist, frac=frac, xy=np.column_stack([foot_x, foot_y]))
