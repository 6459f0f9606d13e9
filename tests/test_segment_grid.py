"""The grid of cells listing the segments within reach: lists worked by hand, borders, ties, brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.travel import segment_index
from analysis.travel.segment_grid import SLACK_M, road_spacing_m
from analysis.travel.segment_index import SegmentIndex
from tests.test_segment_index import roads_and_points

#: Two parallel roads 200 m apart: (0, 0)-(100, 0) and (0, 200)-(100, 200).
TWO_ROADS = np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 200.0], [100.0, 200.0]])
TWO_OFFSETS = np.array([0, 2, 4])


def brute_force_m(coords: np.ndarray, offsets: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Distance from every point to every road, by GEOS (a road of zero length is its one point)."""
    lines = [
        shapely.LineString(coords[a:b]) if np.ptp(coords[a:b], axis=0).any() else shapely.Point(coords[a])
        for a, b in itertools.pairwise(offsets)
    ]
    return shapely.distance(shapely.points(pts)[:, None], np.array(lines, dtype=object)[None, :])


def tree_built(index: SegmentIndex) -> bool:
    return "_samples" in index.__dict__


def test_lists_of_two_roads_worked_by_hand() -> None:
    # cells of 50 m from (-10, -10) (less the slack); each road reaches 10 m: only its own row lists it
    index = SegmentIndex(TWO_ROADS, TWO_OFFSETS, cell_m=50.0, reach_m=10.0)
    grid = index.grid
    assert (grid.nx, grid.ny) == (3, 5)
    assert grid.x0_m == pytest.approx(-10.0 - SLACK_M, abs=1e-12)
    lists = [grid.indices[grid.indptr[c] : grid.indptr[c + 1]].tolist() for c in range(15)]
    assert lists == [[0]] * 3 + [[]] * 9 + [[1]] * 3
    # (50, 5) in cell (1, 0), 10 m from its left and right borders, 15 m from its lower one
    cell, bound = grid.locate(np.array([50.0]), np.array([5.0]))
    assert cell.tolist() == [1]
    assert bound[0] == pytest.approx(10.0 + 10.0, abs=1e-5)


def test_points_near_a_road_never_need_the_tree() -> None:
    index = SegmentIndex(TWO_ROADS, TWO_OFFSETS, cell_m=50.0, reach_m=10.0)
    # 5 m off: certain in its own cell; 30 m off: beyond its cell's 20 m, certain among the 3 x 3
    # around; (50, 110), 90 m off in an empty row, among the 7 x 7 around
    feet = index.nearest(np.array([[50.0, 5.0], [50.0, 30.0], [20.0, 185.0], [50.0, 110.0]]))
    assert not tree_built(index)
    np.testing.assert_array_equal(feet.road, [0, 0, 1, 1])
    np.testing.assert_allclose(feet.dist_m, [5.0, 30.0, 15.0, 90.0])
    np.testing.assert_allclose(feet.frac, [0.5, 0.5, 0.2, 0.5])
    np.testing.assert_allclose(feet.xy, [[50.0, 0.0], [50.0, 0.0], [20.0, 200.0], [50.0, 200.0]])


def test_points_far_from_roads_go_to_the_tree_and_stay_exact() -> None:
    # two roads 10 km apart: the middle is more than 7 cells from both; and points off the grid
    coords = np.array([[0.0, 0.0], [100.0, 0.0], [10_000.0, 10_000.0], [10_100.0, 10_000.0]])
    index = SegmentIndex(coords, TWO_OFFSETS, cell_m=50.0, reach_m=10.0)
    assert index.grid.cell_m * (max(segment_index.BLOCK_RADII) + 1) < 5000.0
    pts = np.array([[5000.0, 5000.0], [15_100.0, 10_000.0], [-3000.0, -4000.0]])
    feet = index.nearest(pts)
    assert tree_built(index)
    np.testing.assert_array_equal(feet.road, [0, 1, 0])
    np.testing.assert_allclose(feet.dist_m, [np.hypot(4900.0, 5000.0), 5000.0, 5000.0])
    np.testing.assert_allclose(feet.frac, [1.0, 1.0, 0.0])


@pytest.mark.parametrize("reach_m", [10.0, 150.0])
def test_a_tie_goes_to_the_lowest_numbered_road_in_either_order(reach_m: float) -> None:
    # (50, 100) is 100 m from both roads: in its own cell (a reach of 150 m lists both), among
    # the cells around (10 m), and by the k-d tree
    pt = np.array([[50.0, 100.0]])
    index = SegmentIndex(TWO_ROADS, TWO_OFFSETS, cell_m=50.0, reach_m=reach_m)
    forward = index.nearest(pt)
    swapped = SegmentIndex(TWO_ROADS[[2, 3, 0, 1]], TWO_OFFSETS, cell_m=50.0, reach_m=reach_m).nearest(pt)
    assert forward.road.tolist() == swapped.road.tolist() == [0]
    assert index._tree_search(pt)[0].tolist() == [0]
    np.testing.assert_allclose(forward.xy, [[50.0, 0.0]])
    np.testing.assert_allclose(swapped.xy, [[50.0, 200.0]])
    # two roads out of one node: a point beyond the node is 50 m from both, at their start
    corner = SegmentIndex(np.array([[0.0, 0.0], [100.0, 0.0], [0.0, 0.0], [0.0, 100.0]]), TWO_OFFSETS)
    feet = corner.nearest(np.array([[-30.0, -40.0]]))
    assert feet.road.tolist() == [0] and feet.frac.tolist() == [0.0]
    np.testing.assert_allclose(feet.dist_m, [50.0])


def test_points_on_cell_borders_and_corners_get_the_nearest_road() -> None:
    rng = np.random.default_rng(5)
    starts = rng.uniform(0, 1000, (40, 2))
    ends = starts + rng.uniform(-150, 150, (40, 2))
    coords = np.column_stack([starts, ends]).reshape(-1, 2)
    offsets = np.arange(0, 81, 2)
    index = SegmentIndex(coords, offsets, cell_m=40.0, reach_m=15.0)
    grid = index.grid
    # every border and corner of the cells, exactly as the grid computes them, and a hair either side
    xs = grid.x0_m + np.arange(grid.nx + 1) * grid.cell_m
    ys = grid.y0_m + np.arange(grid.ny + 1) * grid.cell_m
    border = np.array([(x, y) for x in xs[::3] for y in ys[::3]])
    up, right = np.array([0.0, 7.0]), np.array([7.0, 0.0])
    pts = np.concatenate([border, border + 1e-9, border - 1e-9, border + up, border + right])
    feet = index.nearest(pts)
    nearest_m = brute_force_m(coords, offsets, pts).min(axis=1)
    np.testing.assert_allclose(feet.dist_m, nearest_m, rtol=0, atol=1e-6)


def test_zero_length_segments_are_points() -> None:
    # a road that is one point twice, and a road with a repeated inner vertex
    coords = np.array([[10.0, 10.0], [10.0, 10.0], [0.0, 50.0], [50.0, 50.0], [50.0, 50.0], [100.0, 50.0]])
    offsets = np.array([0, 2, 6])
    for cell_m in (None, 5.0):
        feet = SegmentIndex(coords, offsets, cell_m=cell_m, reach_m=cell_m).nearest(
            np.array([[13.0, 6.0], [50.0, 70.0], [100.0, 50.0]])
        )
        np.testing.assert_array_equal(feet.road, [0, 1, 1])
        np.testing.assert_allclose(feet.dist_m, [5.0, 20.0, 0.0])
        np.testing.assert_allclose(feet.frac, [0.0, 0.5, 1.0])
        np.testing.assert_allclose(feet.xy, [[10.0, 10.0], [50.0, 50.0], [100.0, 50.0]])


def test_road_spacing_of_a_road_grid_is_half_its_spacing() -> None:
    # 11 x 11 roads 100 m apart over a kilometre: 22 km of road on 1 km2, whether in 22 long
    # segments or 220 short ones; a far island of road barely changes it
    lines = np.arange(0.0, 1001.0, 100.0)
    zeros, full = np.zeros(11), np.full(11, 1000.0)
    long = (np.r_[zeros, lines], np.r_[lines, zeros], np.r_[full, zeros], np.r_[zeros, full])
    assert road_spacing_m(*long) == pytest.approx(1e6 / 22_000)
    step = np.arange(0.0, 1000.0, 100.0)
    x = np.r_[np.tile(step, 11), np.repeat(lines, 10)]
    y = np.r_[np.repeat(lines, 10), np.tile(step, 11)]
    dx, dy = np.r_[np.full(110, 100.0), np.zeros(110)], np.r_[np.zeros(110), np.full(110, 100.0)]
    assert road_spacing_m(x, y, dx, dy) == pytest.approx(1e6 / 22_000)
    island = road_spacing_m(np.r_[x, 20_000.0], np.r_[y, 20_000.0], np.r_[dx, 100.0], np.r_[dy, 0.0])
    assert 40.0 < island < 60.0


def test_grid_has_at_most_a_few_cells_per_segment() -> None:
    # two short roads 30 km apart: the box is mostly empty, the cells grow instead of multiplying
    coords = np.array([[0.0, 0.0], [10.0, 0.0], [30_000.0, 30_000.0], [30_000.0, 30_010.0]])
    grid = SegmentIndex(coords, np.array([0, 2, 4]), cell_m=1.0, reach_m=1.0).grid
    # 8 cells per segment and 1024 more, give or take a row and a column
    assert grid.nx * grid.ny <= (np.sqrt(8 * 2 + 1024) + 1) ** 2
    assert grid.nbytes < 100_000


@settings(max_examples=150, deadline=None)
@given(
    roads_and_points(),
    st.sampled_from([None, 0.5, 30.0, 700.0, 50_000.0]),
    st.sampled_from([None, 0.0, 20.0, 900.0]),
)
def test_grid_answers_equal_a_brute_force_and_the_tree(
    case: tuple[np.ndarray, np.ndarray, np.ndarray], cell_m: float | None, reach_m: float | None
) -> None:
    coords, offsets, pts = case
    # points near the roads too, where the grid answers
    near = coords[np.arange(len(pts)) % len(coords)] + np.sin(np.arange(len(pts)))[:, None] * [7.0, 3.0]
    pts = np.concatenate([pts, near])
    index = SegmentIndex(coords, offsets, cell_m=cell_m, reach_m=reach_m)
    feet = index.nearest(pts)
    nearest_m = brute_force_m(coords, offsets, pts).min(axis=1)
    np.testing.assert_allclose(feet.dist_m, nearest_m, rtol=0, atol=1e-6)
    # the tree alone picks the very same segments: one rule for ties, whichever search answers
    chosen, _ = index._tree_search(np.ascontiguousarray(pts))
    alone = index._answer(pts[:, 0], pts[:, 1], chosen)
    np.testing.assert_array_equal(feet.road, alone.road)
    np.testing.assert_array_equal(feet.frac, alone.frac)
    np.testing.assert_array_equal(feet.xy, alone.xy)
