"""The network's blocks found once: which roads bound which face, worked by hand on tiny networks."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from analysis.travel.road_band import band_of_blocks
from analysis.travel.road_faces import RoadFaces
from tests.test_road_band import assert_same_band


def faces_of(lines: list[list[tuple[float, float]]]) -> RoadFaces:
    """RoadFaces of roads given as coordinate lists."""
    coords = np.array([p for line in lines for p in line], dtype=float)
    offsets = np.concatenate([[0], np.cumsum([len(line) for line in lines])])
    return RoadFaces.from_roads(coords, offsets)


# two 100 m blocks side by side: 0 bottom-left, 1 bottom-middle, 2 bottom-right, 3..5 top
P = [(0.0, 0.0), (100.0, 0.0), (200.0, 0.0), (0.0, 100.0), (100.0, 100.0), (200.0, 100.0)]
TWO_BLOCKS = [
    [P[0], P[1]],  # 0 bottom of the left block
    [P[1], P[2]],  # 1 bottom of the right block
    [P[3], P[4]],  # 2 top of the left block
    [P[4], P[5]],  # 3 top of the right block
    [P[0], P[3]],  # 4 left side
    [P[1], P[4]],  # 5 the middle street, shared
    [P[2], P[5]],  # 6 right side
]


def face_at(rf: RoadFaces, x: float, y: float) -> int:
    """Index of the face holding a point."""
    (hit,) = np.flatnonzero(shapely.contains_xy(rf.faces, x, y))
    return int(hit)


def test_two_blocks_and_what_makes_them_full() -> None:
    rf = faces_of(TWO_BLOCKS)
    assert len(rf.faces) == 2
    assert sorted(shapely.area(rf.faces)) == [10_000.0, 10_000.0]
    left, right = face_at(rf, 50.0, 50.0), face_at(rf, 150.0, 50.0)
    assert rf.ring_road.all()
    every = np.arange(7)
    assert sorted(rf.full_faces(every)) == [0, 1]
    # without its bottom street the left block is not full; the right one still is
    assert list(rf.full_faces(np.array([1, 2, 3, 4, 5, 6]))) == [right]
    # without the middle street neither is
    assert len(rf.full_faces(np.array([0, 1, 2, 3, 4, 6]))) == 0
    # roads reached whole in the right block: its four sides, the middle one included
    reached = np.array([1, 2, 3, 4, 5, 6])
    inside = rf.roads_in(reached, np.array([right]))
    assert list(reached[inside]) == [1, 3, 5, 6]
    assert left != right


def test_a_bridge_cuts_the_block_it_crosses() -> None:
    # a road over the block without a node: the noding cuts it and the block in two
    bridge = [(-50.0, 50.0), (150.0, 50.0)]
    rf = faces_of([*TWO_BLOCKS[:1], TWO_BLOCKS[2], TWO_BLOCKS[4], [P[1], P[4]], bridge])
    assert len(rf.faces) == 2
    assert sorted(shapely.area(rf.faces)) == [5_000.0, 5_000.0]
    # the block's four sides reached but not the bridge: no half is bounded by reached roads only
    assert len(rf.full_faces(np.array([0, 1, 2, 3]))) == 0
    assert len(rf.full_faces(np.arange(5))) == 2
    # the bridge bounds faces along its middle but not its two ends: it is no ring road
    assert list(rf.ring_road) == [True, True, True, True, False]
    assert list(rf.roads_in(np.arange(5), rf.full_faces(np.arange(5)))) == [True, True, True, True, False]


def test_a_dead_end_inside_a_block_bounds_nothing() -> None:
    spur = [(50.0, 0.0), (50.0, 60.0)]
    bottom = [(0.0, 0.0), (50.0, 0.0), (100.0, 0.0)]
    rf = faces_of([bottom, TWO_BLOCKS[2], TWO_BLOCKS[4], TWO_BLOCKS[5], spur])
    assert len(rf.faces) == 1
    # the block is full without the spur, and the spur is never in the blocks' union
    assert list(rf.full_faces(np.array([0, 1, 2, 3]))) == [0]
    assert list(rf.roads_in(np.arange(5), np.array([0]))) == [True, True, True, True, False]
    assert list(rf.ring_road) == [True, True, True, True, False]


def test_band_of_the_full_blocks_equals_buffering_the_roads() -> None:
    # a 400 m block (with a core) next to a 100 m one, a dead end into the big one
    q = [(0.0, 0.0), (400.0, 0.0), (500.0, 0.0), (0.0, 400.0), (400.0, 400.0), (500.0, 400.0)]
    lines = [
        [q[0], q[1]],
        [q[1], q[2]],
        [q[3], q[4]],
        [q[4], q[5]],
        [q[0], q[3]],
        [q[1], q[4]],
        [q[2], q[5]],
        [(200.0, 0.0), (200.0, 150.0)],
    ]
    rf = faces_of(lines)
    everything = np.arange(len(lines))
    full = rf.full_faces(everything)
    assert len(full) == 2
    inside = rf.roads_in(everything, full)
    loose = [shapely.LineString(lines[i]) for i in everything[~inside]]
    assert len(loose) == 1  # the dead end
    band = band_of_blocks(rf.faces[full], np.array(loose, dtype=object), 75.0)
    ref = assert_same_band(np.array([shapely.LineString(line) for line in lines], dtype=object), 75.0)
    assert band.area == pytest.approx(ref.area, rel=1e-9)
    assert shapely.symmetric_difference(band, ref).area < 1e-6


def test_same_roads_same_faces() -> None:
    rng = np.random.default_rng(7)
    n = 6
    xy = np.stack(np.meshgrid(np.arange(n), np.arange(n)), axis=-1).reshape(-1, 2) * 80.0
    xy = xy + rng.uniform(-20.0, 20.0, xy.shape)
    idx = np.arange(n * n).reshape(n, n)
    pairs = [*zip(idx[:, :-1].ravel(), idx[:, 1:].ravel(), strict=True)]
    pairs += [*zip(idx[:-1, :].ravel(), idx[1:, :].ravel(), strict=True)]
    lines = [[tuple(xy[a]), tuple(xy[b])] for a, b in pairs]
    first, second = faces_of(lines), faces_of(lines)
    assert len(first.faces) == (n - 1) ** 2
    assert list(shapely.to_wkb(first.faces)) == list(shapely.to_wkb(second.faces))
    assert (first.face_piece != second.face_piece).nnz == 0
    assert (first.piece_road != second.piece_road).nnz == 0


def test_no_roads() -> None:
    rf = RoadFaces.from_roads(np.zeros((0, 2)), np.zeros(1, dtype=np.int64))
    assert len(rf.faces) == 0
    assert len(rf.full_faces(np.zeros(0, dtype=np.int64))) == 0
