"""Nearest road of many points at once: the same feet as GEOS's nearest-line search, to 1e-6 m."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from analysis.network import graph_from_pbf
from analysis.travel import NetworkTravel
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
