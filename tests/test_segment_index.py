"""Nearest road of many points at once: the same feet as GEOS's nearest-line search, to 1e-6 m."""

from __future__ import annotations

import itertools
from pathlib import Path
from unittest.mock import patch

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.network import graph_from_pbf
from analysis.travel import NetworkTravel, segment_index
from analysis.travel.segment_index import SegmentIndex

KOUVOLA = Path(__file__).parent / "data" / "osm" / "kouvola.osm.pbf"


def test_feet_equal_geos_on_real_roads() -> None:
    model = NetworkTravel.from_graph(graph_from_pbf(KOUVOLA), crs="EPSG:32635")
    topo = model._profile("walk").topology
    lines = np.array([topo.road_line(r) for r in range(len(topo.road_u))], dtype=object)
    xy = model.node_xy
    rng = np.random.default_rng(3)
    pts = np.column_stack(
        [
            rng.uniform(xy[:, 0].min() - 500, xy[:, 0].max() + 500, 5000),
            rng.uniform(xy[:, 1].min(), xy[:, 1].max(), 5000),
        ]
    )
    feet = SegmentIndex(topo.road_coords, topo.road_offsets).nearest(pts)
    geoms = shapely.points(pts)
    (_, road), dist = shapely.STRtree(lines).query_nearest(geoms, return_distance=True, all_matches=False)
    np.testing.assert_allclose(feet.dist_m, dist, rtol=0, atol=1e-6)
    geos_frac = shapely.line_locate_point(lines[road], geoms, normalized=True)
    geos_xy = shapely.get_coordinates(shapely.line_interpolate_point(lines[road], geos_frac, normalized=True))
    # the same foot everywhere; where the roads differ they meet there (a tie at a shared node)
    np.testing.assert_allclose(feet.xy, geos_xy, rtol=0, atol=1e-6)
    same = feet.road == road
    assert same.mean() > 0.99
    lengths = shapely.length(lines[road[same]])
    np.testing.assert_allclose(feet.frac[same] * lengths, geos_frac[same] * lengths, rtol=0, atol=1e-6)


def test_uncertified_points_ask_for_more_samples() -> None:
    # one long road far away and a short one near: points far from both still get the exact nearest
    coords = np.array([[0.0, 0.0], [10_000.0, 0.0], [0.0, 5000.0], [10.0, 5000.0]])
    index = SegmentIndex(coords, np.array([0, 2, 4]))
    feet = index.nearest(np.array([[5000.0, 2400.0], [5.0, 2600.0], [20_000.0, 0.0]]))
    np.testing.assert_array_equal(feet.road, [0, 1, 0])
    np.testing.assert_allclose(feet.dist_m, [2400.0, 2400.0, 10_000.0])
    np.testing.assert_allclose(feet.frac, [0.5, 0.5, 1.0])


@st.composite
def roads_and_points(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A few random polylines (some long, some tiny, some with repeated vertices) and points around them."""
    # millimetre coordinates, as a projected CRS gives them (no subnormal noise GEOS cannot measure)
    coord = st.integers(-3_000_000, 3_000_000).map(lambda mm: mm / 1000.0)
    unit = st.integers(-1000, 1000).map(lambda k: k / 1000.0)
    n_roads = draw(st.integers(1, 12))
    lines = []
    for _ in range(n_roads):
        n_vertices = draw(st.integers(2, 6))
        pts = [(draw(coord), draw(coord))]
        for _ in range(n_vertices - 1):
            step = draw(st.sampled_from([0.0, 0.5, 30.0, 400.0, 5000.0]))
            pts.append((pts[-1][0] + draw(unit) * step, pts[-1][1] + draw(unit) * step))
        lines.append(np.array(pts))
    offsets = np.concatenate([[0], np.cumsum([len(line) for line in lines])])
    n_points = draw(st.integers(1, 40))
    points = np.array([(draw(coord) * 2, draw(coord) * 2) for _ in range(n_points)])
    return np.concatenate(lines), offsets, points


@settings(max_examples=60, deadline=None)
@given(roads_and_points(), st.sampled_from([1, segment_index.FIRST_K]))
def test_bulk_feet_equal_a_brute_force_search_per_point(
    case: tuple[np.ndarray, np.ndarray, np.ndarray], first_k: int
) -> None:
    coords, offsets, pts = case
    # a first search of one sample leaves most points uncertified: the later rounds are checked too
    with patch.object(segment_index, "FIRST_K", first_k):
        feet = SegmentIndex(coords, offsets).nearest(pts)
    # GEOS measures no distance to a line of zero length: that road is its one point
    lines = [
        shapely.LineString(coords[a:b]) if np.ptp(coords[a:b], axis=0).any() else shapely.Point(coords[a])
        for a, b in itertools.pairwise(offsets)
    ]
    for i, (x, y) in enumerate(pts):
        p = shapely.Point(x, y)
        dists = np.array([shapely.distance(p, line) for line in lines])
        assert abs(feet.dist_m[i] - dists.min()) <= 1e-6
        # the foot is on the chosen road, at that distance from the point
        road = lines[feet.road[i]]
        foot = shapely.Point(feet.xy[i])
        assert shapely.distance(foot, road) <= 1e-6
        assert abs(np.hypot(x - feet.xy[i, 0], y - feet.xy[i, 1]) - feet.dist_m[i]) <= 1e-6
        # and at the position along the road the result gives
        if road.geom_type == "LineString":
            along = shapely.line_interpolate_point(road, feet.frac[i], normalized=True)
            assert shapely.distance(along, foot) <= 1e-6 * max(1.0, road.length)
