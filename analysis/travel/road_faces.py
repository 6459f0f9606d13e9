"""The blocks (faces) a road network encloses, found once and reused by every isochrone.

Polygonising the reached roads of each shape costs a noding and a polygonisation per shape, and
they find the same blocks every time: a block of the shape is a block of the whole network whose
every side is reached. So the network's roads are noded and polygonised once, and each face
keeps which pieces of which roads bound it. For one shape, given which roads are reached whole,
:meth:`RoadFaces.full_faces` says which faces are bounded by reached roads only (numbers, no
geometry), and :meth:`RoadFaces.roads_in` which reached roads lie in those faces' union, so their
buffers add nothing to the faces grown by the buffer.

Roads that cross without a node (bridges) are cut at the crossing by the noding; a face is full
only when every piece around it is part of a road reached whole, so a crossing never lets a
face count as reached through a road that was not. Roads inside a face that bound nothing (dead
ends, links between a block and an island) are not "in" the faces: the caller buffers them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
import shapely

logger = logging.getLogger(__name__)

#: How far (m) a noded piece's midpoint may be from its road, or from a face's boundary, for the
#: piece to count as on it: far below any real distance between roads, far above rounding.
ON_LINE_M: float = 1e-6


@dataclass(frozen=True)
class RoadFaces:
    """The faces of a road network and which road pieces bound each.

    Build with :meth:`from_roads`.

    Attributes
    ----------
    faces
        (n_faces,) Polygons: the blocks the roads enclose (a valid coverage: no two overlap).
    face_piece
        (n_faces, n_pieces) CSR of booleans: piece *p* of the noded network is on the boundary of face *f*.
    piece_road
        (n_pieces, n_roads) CSR of booleans: piece *p* is part of road *r* (several when roads overlap).
    ring_road
        (n_roads,) whether every piece of the road bounds some face (and the pieces add up to the road).
    """

    faces: np.ndarray
    face_piece: sp.csr_matrix
    piece_road: sp.csr_matrix
    ring_road: np.ndarray

    @classmethod
    def from_roads(cls, road_coords: np.ndarray, road_offsets: np.ndarray) -> RoadFaces:
        """Node and polygonise a network's roads, and record which pieces bound which face.

        Parameters
        ----------
        road_coords, road_offsets
            Every road's line as one (m, 2) coordinate array (projected, metres) and the start
            of each road in it (``n_roads + 1`` offsets). Not modified.

        Returns
        -------
        RoadFaces
            The faces and their pieces.
        """
        t0 = time.perf_counter()
        offsets = np.asarray(road_offsets, dtype=np.int64)
        counts = np.diff(offsets)
        n_roads = len(counts)
        roads = np.asarray(
            shapely.linestrings(road_coords, indices=np.repeat(np.arange(n_roads), counts)), dtype=object
        )
        if n_roads == 0:
            empty = sp.csr_matrix((0, 0), dtype=bool)
            return cls(np.empty(0, dtype=object), empty, empty, np.zeros(0, dtype=bool))
        pieces = shapely.get_parts(shapely.node(shapely.multilinestrings(roads)))
        pieces = pieces[shapely.length(pieces) > 0]
        faces = np.asarray(shapely.get_parts(shapely.polygonize(pieces)), dtype=object)
        faces = faces[shapely.area(faces) > 0]
        mids = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
        n_pieces, n_faces = len(pieces), len(faces)
        # which road each piece is part of: its midpoint lies on the road
        p_idx, r_idx = shapely.STRtree(roads).query(mids, predicate="dwithin", distance=ON_LINE_M)
        piece_road = sp.csr_matrix(
            (np.ones(len(p_idx), dtype=bool), (p_idx, r_idx)), shape=(n_pieces, n_roads), dtype=bool
        )
        # which faces each piece bounds: its midpoint on the face's boundary (not inside it)
        p_f, f_idx = shapely.STRtree(faces).query(mids, predicate="dwithin", distance=ON_LINE_M)
        on_ring = shapely.distance(mids[p_f], shapely.boundary(faces[f_idx])) <= ON_LINE_M
        p_f, f_idx = p_f[on_ring], f_idx[on_ring]
        face_piece = sp.csr_matrix(
            (np.ones(len(p_f), dtype=bool), (f_idx, p_f)), shape=(n_faces, n_pieces), dtype=bool
        )
        bounds = np.zeros(n_pieces, dtype=bool)
        bounds[p_f] = True
        # a road is a ring road when all its pieces bound faces and they add up to all of it
        # (a piece lost to rounding would otherwise go unchecked)
        piece_len = shapely.length(pieces)
        road_len = shapely.length(roads)
        has = piece_road.T.tocsr()
        covered_len = has @ piece_len
        loose = has @ (~bounds).astype(np.int64)
        ring_road = (
            (np.diff(has.indptr) > 0)
            & (loose == 0)
            & (np.abs(covered_len - road_len) <= 1e-9 * np.maximum(road_len, 1.0) + ON_LINE_M)
        )
        logger.info(
            "Road faces: %d faces from %d roads (%d pieces) in %.2f s",
            n_faces,
            n_roads,
            n_pieces,
            time.perf_counter() - t0,
        )
        return cls(faces, face_piece, piece_road, np.asarray(ring_road, dtype=bool))

    @cached_property
    def _road_piece(self) -> sp.csr_matrix:
        return self.piece_road.T.tocsr()

    @cached_property
    def _piece_face(self) -> sp.csr_matrix:
        return self.face_piece.T.tocsr()

    @cached_property
    def _ring_count(self) -> np.ndarray:
        return np.diff(self.face_piece.indptr)

    def full_faces(self, full_roads: np.ndarray) -> np.ndarray:
        """The faces bounded only by pieces of roads reached whole.

        Parameters
        ----------
        full_roads
            Indices of the roads reached along all their length, increasing.

        Returns
        -------
        numpy.ndarray
            Indices of the full faces, increasing.
        """
        if len(self.faces) == 0 or len(full_roads) == 0:
            return np.zeros(0, dtype=np.int64)
        _, pieces = _rows(self._road_piece, full_roads)
        pieces = np.unique(pieces)
        _, faces = _rows(self._piece_face, pieces)
        # a face is full when every piece around it is covered: count the covered ones
        faces, covered = np.unique(faces, return_counts=True)
        return faces[covered == self._ring_count[faces]]

    def roads_in(self, full_roads: np.ndarray, full_faces: np.ndarray) -> np.ndarray:
        """Which of the roads reached whole lie in the union of the full faces (every piece bounds one).

        Parameters
        ----------
        full_roads
            Indices of the roads reached along all their length, increasing.
        full_faces
            :meth:`full_faces` of *full_roads*.

        Returns
        -------
        numpy.ndarray
            (len(full_roads),) booleans.
        """
        inside = np.zeros(len(full_roads), dtype=bool)
        if len(full_faces) == 0 or len(full_roads) == 0:
            return inside
        is_full = np.zeros(len(self.faces), dtype=bool)
        is_full[full_faces] = True
        owner, pieces = _rows(self._road_piece, full_roads)
        p_owner, faces = _rows(self._piece_face, pieces)
        piece_in = np.zeros(len(pieces), dtype=bool)
        np.logical_or.at(piece_in, p_owner, is_full[faces])
        # a road is in when none of its pieces is out
        out = np.zeros(len(full_roads), dtype=bool)
        np.logical_or.at(out, owner, ~piece_in)
        return self.ring_road[full_roads] & ~out


def _rows(m: sp.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The column indices of some rows of a CSR matrix, with the position in *rows* each comes from."""
    starts = m.indptr[rows]
    counts = m.indptr[np.asarray(rows) + 1] - starts
    first = np.cumsum(counts) - counts
    pos = np.arange(int(counts.sum())) - np.repeat(first - starts, counts)
    return np.repeat(np.arange(len(rows)), counts), m.indices[pos]
