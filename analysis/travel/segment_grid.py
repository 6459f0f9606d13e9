"""Square cells over the roads, each listing every segment within a reach of it: where a road is sought first.

Every segment is listed in every cell that its bounding box, grown by ``reach_m`` on every side,
overlaps (long segments are cut into pieces first, so that a diagonal road is not listed across
the whole square it spans). A segment not listed in a point's cell is then farther than
``reach_m`` plus the point's distance to the cell's border from the point: the nearest of the
listed ones is *certain* to be the nearest of all when it is no farther than that. The lists are
one CSR pair of arrays (cell → segment indices, ascending); the cell side and the reach follow
the density of the roads (:func:`road_spacing_m`) unless given.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

#: Cell side and reach as multiples of the roads' spacing (:func:`road_spacing_m`): a point of a
#: road grid of spacing 2s is within s of a road; cells of side 2s and a reach of s list about
#: a dozen segments each and certify almost every point at once, in a few integers per segment.
CELL_SPACINGS = 2.0
REACH_SPACINGS = 1.0
#: Rounds of the estimate of the roads' spacing at most (each on squares of the last one).
SPACING_ROUNDS = 6
#: At most this many squares per segment (and 65,536 more) are counted by that estimate, one byte each.
SPACING_SQUARES_PER_SEGMENT = 64
#: Longest piece of a segment listed by its own bounding box, in cells.
PIECE_CELLS = 4.0
#: At most this many cells per segment (wider cells when the roads' box is mostly empty).
MAX_CELLS_PER_SEGMENT = 8
#: Segments whose listings are made at a time (the memory of a build stays bounded).
BUILD_CHUNK_SEGMENTS = 1 << 18
#: Slack in metres on both sides of every comparison with the reach: rounding in a cell's
#: border or a piece's end never lists too little nor certifies too much.
SLACK_M = 1e-6


def road_spacing_m(ax: np.ndarray, ay: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> float:
    """Area of the land the roads cover per metre of road: half the spacing of a road grid.

    The land covered is counted as the squares that roads cross, two spacings wide, the spacing
    first estimated from the roads' bounding box and then from the last count: sea, mountains or
    a far island in that box do not widen the spacing much.

    Parameters
    ----------
    ax, ay
        (n,) start of each segment.
    dx, dy
        (n,) its direction (end minus start).

    Returns
    -------
    float
        Metres; 1.0 for roads without length or extent.
    """
    length_m = float(np.hypot(dx, dy).sum())
    if len(ax) == 0 or not length_m > 0:
        return 1.0
    bx, by = ax + dx, ay + dy
    lo_x, lo_y = float(min(ax.min(), bx.min())), float(min(ay.min(), by.min()))
    box_m2 = (float(max(ax.max(), bx.max())) - lo_x) * (float(max(ay.max(), by.max())) - lo_y)
    if not box_m2 > 0:
        # roads along one line: their mean segment, for want of a spacing
        return max(length_m / len(ax), 1.0)
    # no coarser than squares holding one segment each: a few long roads in a wide box would
    # otherwise all fall in one square
    spacing_m = min(box_m2 / length_m, float(np.sqrt(box_m2 / len(ax))))
    last_m = spacing_m
    # the ends of every segment, and points along the long ones no farther apart than a
    # square's side, name the squares roads cross; squares as wide as the last estimate's grid,
    # until they no longer shrink much (or would be too many to count)
    for _ in range(SPACING_ROUNDS):
        side_m = 2.0 * spacing_m
        n_col = int((float(max(ax.max(), bx.max())) - lo_x) / side_m) + 1
        n_row = int((float(max(ay.max(), by.max())) - lo_y) / side_m) + 1
        if n_col * n_row > SPACING_SQUARES_PER_SEGMENT * len(ax) + 65_536:
            break
        crossed = np.zeros(n_col * n_row, dtype=bool)
        for lo in range(0, len(ax), BUILD_CHUNK_SEGMENTS):
            part = slice(lo, lo + BUILD_CHUNK_SEGMENTS)
            xs, ys = _along(ax[part], ay[part], dx[part], dy[part], side_m)
            col = np.floor((xs - lo_x) / side_m).astype(np.int64)
            crossed[np.floor((ys - lo_y) / side_m).astype(np.int64) * n_col + col] = True
        covered_m2 = min(box_m2, int(np.count_nonzero(crossed)) * side_m * side_m)
        last_m, spacing_m = spacing_m, max(covered_m2 / length_m, 1.0)
        if spacing_m > 0.8 * last_m:
            break
    return min(spacing_m, last_m)


def _along(
    ax: np.ndarray, ay: np.ndarray, dx: np.ndarray, dy: np.ndarray, step_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Both ends of every segment and points along it no farther apart than *step_m*."""
    steps = np.ceil(np.hypot(dx, dy) / step_m).astype(np.int64)
    long = np.flatnonzero(steps > 1)
    extra = steps[long] - 1
    seg = np.repeat(long, extra)
    t = (np.arange(len(seg)) - np.repeat(np.cumsum(extra) - extra, extra) + 1) / steps[seg]
    xs = np.concatenate([ax, ax + dx, ax[seg] + t * dx[seg]])
    ys = np.concatenate([ay, ay + dy, ay[seg] + t * dy[seg]])
    return xs, ys


class SegmentGrid:
    """The segments listed by the square cells within reach of them.

    Parameters
    ----------
    ax, ay
        (n,) start of each segment.
    dx, dy
        (n,) its direction (end minus start).
    cell_m
        Side of the cells; ``None``: ``CELL_SPACINGS`` road spacings.
    reach_m
        Every segment within this distance of a cell is listed by it; ``None``:
        ``REACH_SPACINGS`` road spacings.

    Attributes
    ----------
    cell_m, reach_m
        As given or chosen.
    x0_m, y0_m
        South-west corner of cell 0.
    nx, ny
        Cells per row and rows.
    indptr, indices
        CSR lists: the segments of cell ``iy * nx + ix`` are ``indices[indptr[c]:indptr[c + 1]]``.
    """

    def __init__(
        self,
        ax: np.ndarray,
        ay: np.ndarray,
        dx: np.ndarray,
        dy: np.ndarray,
        *,
        cell_m: float | None = None,
        reach_m: float | None = None,
    ) -> None:
        n_seg = len(ax)
        spacing_m = road_spacing_m(ax, ay, dx, dy)
        self.reach_m = float(reach_m if reach_m is not None else REACH_SPACINGS * spacing_m)
        cell = float(cell_m if cell_m is not None else CELL_SPACINGS * spacing_m)
        grow_m = self.reach_m + SLACK_M
        if n_seg:
            lo_x = float(min(ax.min(), (ax + dx).min())) - grow_m
            lo_y = float(min(ay.min(), (ay + dy).min())) - grow_m
            hi_x = float(max(ax.max(), (ax + dx).max())) + grow_m
            hi_y = float(max(ay.max(), (ay + dy).max())) + grow_m
        else:
            lo_x = lo_y = hi_x = hi_y = 0.0
        # a mostly empty box gets wider cells, so that the cells stay linear in the segments
        max_cells = MAX_CELLS_PER_SEGMENT * n_seg + 1024
        cell = max(cell, np.sqrt((hi_x - lo_x) * (hi_y - lo_y) / max_cells), 1e-3)
        self.cell_m = cell
        self.x0_m, self.y0_m = lo_x, lo_y
        self.nx = int(np.floor((hi_x - lo_x) / cell)) + 1
        self.ny = int(np.floor((hi_y - lo_y) / cell)) + 1
        n_cells = self.nx * self.ny
        # the listings of a bounded number of segments at a time (memory), each without the
        # repeats of a segment's pieces in one cell, in the order of their cells
        rows, cols = [], []
        for lo in range(0, n_seg, BUILD_CHUNK_SEGMENTS):
            part = slice(lo, min(lo + BUILD_CHUNK_SEGMENTS, n_seg))
            cells, segs = self._listings(ax[part], ay[part], dx[part], dy[part], grow_m)
            chunk = sp.csr_matrix(
                (np.ones(len(cells), dtype=np.int8), (cells, segs)), shape=(n_cells, part.stop - lo)
            )
            del cells, segs
            chunk.sum_duplicates()
            rows.append(np.repeat(np.arange(n_cells, dtype=np.int32), np.diff(chunk.indptr)))
            cols.append((chunk.indices + lo).astype(np.int32))
        row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int32)
        col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int32)
        del rows, cols
        # a counting sort, stable: every cell's segments stay in ascending order
        lists = sp.csr_matrix((np.ones(len(row), dtype=np.int8), (row, col)), shape=(n_cells, max(n_seg, 1)))
        self.indptr = lists.indptr
        self.indices = lists.indices

    def _listings(
        self, ax: np.ndarray, ay: np.ndarray, dx: np.ndarray, dy: np.ndarray, grow_m: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(cell, segment) of every listing (a segment may appear twice in a cell: once per piece)."""
        n_pieces = np.maximum(1, np.ceil(np.hypot(dx, dy) / (PIECE_CELLS * self.cell_m))).astype(np.int64)
        seg = np.repeat(np.arange(len(ax), dtype=np.int64), n_pieces)
        k = np.arange(len(seg)) - np.repeat(np.cumsum(n_pieces) - n_pieces, n_pieces)
        t0, t1 = k / n_pieces[seg], (k + 1) / n_pieces[seg]
        x_a, x_b = ax[seg] + t0 * dx[seg], ax[seg] + t1 * dx[seg]
        y_a, y_b = ay[seg] + t0 * dy[seg], ay[seg] + t1 * dy[seg]
        del k, t0, t1
        ix0 = self._col(np.minimum(x_a, x_b) - grow_m)
        ix1 = self._col(np.maximum(x_a, x_b) + grow_m)
        iy0 = self._row(np.minimum(y_a, y_b) - grow_m)
        iy1 = self._row(np.maximum(y_a, y_b) + grow_m)
        del x_a, x_b, y_a, y_b
        width = ix1 - ix0 + 1
        count = width * (iy1 - iy0 + 1)
        j = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
        width_r = np.repeat(width, count)
        cells = (np.repeat(iy0, count) + j // width_r) * self.nx + np.repeat(ix0, count) + j % width_r
        return cells, np.repeat(seg, count)

    def _col(self, x: np.ndarray) -> np.ndarray:
        return np.clip(np.floor((x - self.x0_m) / self.cell_m), 0, self.nx - 1).astype(np.int64)

    def _row(self, y: np.ndarray) -> np.ndarray:
        return np.clip(np.floor((y - self.y0_m) / self.cell_m), 0, self.ny - 1).astype(np.int64)

    @property
    def nbytes(self) -> int:
        """Memory held by the lists, bytes."""
        return int(self.indptr.nbytes + self.indices.nbytes)

    def locate(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cell of each point and the distance within which its listed segments are all there are.

        Parameters
        ----------
        x, y
            (n,) coordinates.

        Returns
        -------
        tuple of numpy.ndarray
            ``(cell, bound_m)``: cell index (-1 outside the grid or not finite) and
            ``reach_m`` plus the distance to the cell's border, less the slack: every segment
            nearer than ``bound_m`` to the point is listed by its cell.
        """
        fx = np.floor((x - self.x0_m) / self.cell_m)
        fy = np.floor((y - self.y0_m) / self.cell_m)
        inside = (fx >= 0) & (fx < self.nx) & (fy >= 0) & (fy < self.ny)
        ix = np.where(inside, fx, 0).astype(np.int64)
        iy = np.where(inside, fy, 0).astype(np.int64)
        left = x - (self.x0_m + ix * self.cell_m)
        low = y - (self.y0_m + iy * self.cell_m)
        border = np.minimum(np.minimum(left, self.cell_m - left), np.minimum(low, self.cell_m - low))
        bound = self.reach_m + np.maximum(border, 0.0) - SLACK_M
        return np.where(inside, iy * self.nx + ix, -1), bound

    def order(self, cell: np.ndarray) -> np.ndarray:
        """An order of points by their cells, stable within a cell (those off the grid last).

        Parameters
        ----------
        cell
            (n,) cell of each point (-1: off the grid).

        Returns
        -------
        numpy.ndarray
            (n,) indices into *cell*.
        """
        n = len(cell)
        n_cells = self.nx * self.ny
        # a counting sort, in compiled code: the points' columns of a (cell x point) CSR matrix
        rows = np.where(cell >= 0, cell, n_cells)
        by_cell = sp.csr_matrix(
            (np.ones(n, dtype=np.int8), (rows, np.arange(n))), shape=(n_cells + 1, max(n, 1))
        )
        return by_cell.indices.astype(np.int64)

    def block(self, cell: np.ndarray, radius: int) -> np.ndarray:
        """The cells up to *radius* cells around each cell (-1 beyond the grid, which lists nothing).

        Parameters
        ----------
        cell
            (n,) cell indices (each >= 0).
        radius
            Cells on each side.

        Returns
        -------
        numpy.ndarray
            (n, (2 * radius + 1) ** 2) cell indices.
        """
        ix, iy = cell % self.nx, cell // self.nx
        step = np.arange(-radius, radius + 1)
        bx = (ix[:, None, None] + step[None, None, :]) + 0 * step[None, :, None]
        by = (iy[:, None, None] + step[None, :, None]) + 0 * step[None, None, :]
        ok = (bx >= 0) & (bx < self.nx) & (by >= 0) & (by < self.ny)
        return np.where(ok, by * self.nx + bx, -1).reshape(len(cell), -1)
