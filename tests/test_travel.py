"""Travel-time engine: hand-computed times on tiny graphs, snapping, cutoffs, isochrones."""

# A road graph is `G`, as in osmnx and networkx.
# ruff: noqa: N806

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from analysis import settings
from analysis.errors import ParameterError
from analysis.travel import (
    NearestResult,
    NetworkTravel,
    StraightLineTravel,
    TravelModel,
    load_travel_model,
)

#: A point in Jinjiang in UTM 50N, so test graphs convert to sane WGS-84.
X0, Y0 = 656_000.0, 2_744_000.0


def make_graph(
    nodes: dict[Any, tuple[float, float]],
    edges: Iterable[tuple[Any, Any, str, float, bool] | tuple[Any, Any, str, float, bool, Any]],
    *,
    crs: str = "EPSG:32650",
) -> nx.MultiDiGraph:
    """Build an osmnx-style graph: (u, v, highway, length_m, oneway[, maxspeed]).

    Two-way streets get both directions, as osmnx stores them; coordinates are offsets from
    (X0, Y0) in metres.
    """
    G: nx.MultiDiGraph = nx.MultiDiGraph(crs=crs)
    for n, (x, y) in nodes.items():
        G.add_node(n, x=X0 + x, y=Y0 + y)
    for u, v, highway, length, oneway, *rest in edges:
        attrs = {"highway": highway, "length": length, "oneway": oneway}
        if rest:
            attrs["maxspeed"] = rest[0]
        G.add_edge(u, v, **attrs)
        if not oneway:
            G.add_edge(v, u, **{**attrs, "reversed": True})
    return G


def xy(*points: tuple[float, float]) -> np.ndarray:
    """Offsets → working-CRS coordinates."""
    return np.array([(X0 + x, Y0 + y) for x, y in points], dtype=float)


# Square A-B-C-D: A-B residential (car 25 km/h: 1000 m = 2.4 min), B->C residential one-way,
# C-D and D-A living streets 1500 m (car 10 km/h: 9 min each).
SQUARE_NODES = {"A": (0.0, 0.0), "B": (1000.0, 0.0), "C": (1000.0, 1000.0), "D": (0.0, 1000.0)}
SQUARE_EDGES = [
    ("A", "B", "residential", 1000.0, False),
    ("B", "C", "residential", 1000.0, True),
    ("C", "D", "living_street", 1500.0, False),
    ("D", "A", "living_street", 1500.0, False),
]
A, B, C, D = ((0.0, 0.0), (1000.0, 0.0), (1000.0, 1000.0), (0.0, 1000.0))


@pytest.fixture
def square() -> NetworkTravel:
    return NetworkTravel.from_graph(make_graph(SQUARE_NODES, SQUARE_EDGES))


def test_protocol_and_labels(square: NetworkTravel) -> None:
    models: list[TravelModel] = [square, StraightLineTravel()]
    assert models[1].network_source == settings.STRAIGHT_LINE_SOURCE
    assert square.network_source.startswith("OpenStreetMap road network")
    assert square.crs == settings.WORKING_CRS


def test_nearest_hand_computed_with_one_way(square: NetworkTravel) -> None:
    res = square.nearest(xy(A), xy(A, B, C, D), profile="car")
    assert isinstance(res, NearestResult)
    # A->B 2.4, A->B->C 4.8, A->D 9
    np.testing.assert_allclose(res.minutes, [0.0, 2.4, 4.8, 9.0])
    np.testing.assert_array_equal(res.source_index, [0, 0, 0, 0])
    np.testing.assert_allclose(res.snap_distance_m, 0.0)


def test_direction_to_sources_respects_one_way(square: NetworkTravel) -> None:
    res = square.nearest(xy(A), xy(C), profile="car", direction="to_sources")
    # C->B is against the one-way: C->D->A = 18 min
    np.testing.assert_allclose(res.minutes, [18.0])
    # walking ignores one-way: C->B->A 2000 m at 4.5 km/h = 26.667 min (C->D->A is 3000 m)
    walk = square.nearest(xy(A), xy(C), profile="walk", direction="to_sources")
    np.testing.assert_allclose(walk.minutes, [2000 / (4.5 / 3.6) / 60])


def test_cutoff_and_multi_source(square: NetworkTravel) -> None:
    res = square.nearest(xy(A), xy(B, C, D), profile="car", cutoff_minutes=5.0)
    np.testing.assert_allclose(res.minutes, [2.4, 4.8, np.inf])
    np.testing.assert_array_equal(res.source_index, [0, 0, -1])
    # sources C (index 0) and A (index 1): B from A 2.4; from C it is 20.4 (C->D->A->B)
    two = square.nearest(xy(C, A), xy(B, C), profile="car")
    np.testing.assert_allclose(two.minutes, [2.4, 0.0])
    np.testing.assert_array_equal(two.source_index, [1, 0])


def test_snap_legs_added_exactly(square: NetworkTravel) -> None:
    # source 100 m off A (car access 10 km/h: 0.6 min), target 50 m off C (0.3 min)
    res = square.nearest(xy((0.0, -100.0)), xy((1050.0, 1000.0)), profile="car")
    np.testing.assert_allclose(res.minutes, [0.6 + 4.8 + 0.3])
    np.testing.assert_allclose(res.snap_distance_m, [50.0])
    dist_m, idx = square.nearest_distance_m(xy((0.0, -100.0)), xy((1050.0, 1000.0)), profile="car")
    np.testing.assert_allclose(dist_m, [100.0 + 2000.0 + 50.0])
    np.testing.assert_array_equal(idx, [0])
    # cutoff counts the legs too
    cut = square.nearest(xy((0.0, -100.0)), xy((1050.0, 1000.0)), profile="car", cutoff_minutes=5.6)
    assert np.isinf(cut.minutes[0]) and cut.source_index[0] == -1


def test_points_beyond_the_snap_limit_are_unreached_not_fatal(square: NetworkTravel) -> None:
    far = (5000.0, 5000.0)  # 4 km from the nearest road, beyond MAX_SNAP_DISTANCE_M
    res = square.nearest(xy(A), xy(B, far), profile="car")
    np.testing.assert_allclose(res.minutes, [2.4, np.inf])
    np.testing.assert_array_equal(res.source_index, [0, -1])
    np.testing.assert_allclose(res.snap_distance_m[1], np.hypot(4000.0, 4000.0))
    # a source beyond the limit reaches nobody, the others still do
    both = square.nearest(xy(far, A), xy(B), profile="car")
    np.testing.assert_allclose(both.minutes, [2.4])
    np.testing.assert_array_equal(both.source_index, [1])
    m = square.matrix(xy(far, A), xy(B, far), profile="car")
    np.testing.assert_allclose(m, [[np.inf, np.inf], [2.4, np.inf]])
    d, idx = square.nearest_distance_m(xy(far), xy(B), profile="car")
    assert np.isinf(d[0]) and idx[0] == -1


def test_empty_sources_and_bad_input(square: NetworkTravel) -> None:
    res = square.nearest(np.empty((0, 2)), xy(A, B), profile="car")
    np.testing.assert_array_equal(res.minutes, [np.inf, np.inf])
    np.testing.assert_array_equal(res.source_index, [-1, -1])
    assert square.matrix(np.empty((0, 2)), xy(A), profile="car").shape == (0, 1)
    with pytest.raises(ParameterError, match="profile"):
        square.nearest(xy(A), xy(B), profile="bus")
    with pytest.raises(ParameterError, match="direction"):
        square.nearest(xy(A), xy(B), profile="car", direction="sideways")  # type: ignore[arg-type]


def test_matrix_both_directions(square: NetworkTravel) -> None:
    m = square.matrix(xy(A, C), xy(A, B, C, D), profile="car")
    np.testing.assert_allclose(m, [[0.0, 2.4, 4.8, 9.0], [18.0, 20.4, 0.0, 9.0]])
    back = square.matrix(xy(A, C), xy(A, B, C, D), profile="car", direction="to_sources")
    np.testing.assert_allclose(back, [[0.0, 2.4, 18.0, 9.0], [4.8, 2.4, 0.0, 9.0]])
    cut = square.matrix(xy(A, C), xy(A, B, C, D), profile="car", cutoff_minutes=9.0)
    np.testing.assert_allclose(cut, [[0.0, 2.4, 4.8, 9.0], [np.inf, np.inf, 0.0, 9.0]])


def test_matrix_chunks_agree(square: NetworkTravel, monkeypatch: pytest.MonkeyPatch) -> None:
    full = square.matrix(xy(A, B, C, D), xy(A, B, C, D), profile="car")
    monkeypatch.setattr(settings, "MATRIX_CHUNK_CELLS", 1)
    np.testing.assert_allclose(square.matrix(xy(A, B, C, D), xy(A, B, C, D), profile="car"), full)


def test_peak_hour_factor_slows_driving_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "PEAK_HOUR_FACTOR", 1.5)
    model = NetworkTravel.from_graph(make_graph(SQUARE_NODES, SQUARE_EDGES))
    np.testing.assert_allclose(model.nearest(xy(A), xy(B), profile="car").minutes, [3.6])
    np.testing.assert_allclose(model.nearest(xy(A), xy(B), profile="walk").minutes, [1000 / 1.25 / 60])


def test_largest_strongly_connected_component_logged(caplog: pytest.LogCaptureFixture) -> None:
    nodes = {**SQUARE_NODES, "E": (1500.0, 0.0), "F": (3000.0, 0.0), "G": (3100.0, 0.0)}
    # B->E is a one-way dead end for cars; F-G is an island
    edges = [*SQUARE_EDGES, ("B", "E", "residential", 500.0, True), ("F", "G", "residential", 100.0, False)]
    model = NetworkTravel.from_graph(make_graph(nodes, edges))
    with caplog.at_level(logging.INFO, logger="analysis.travel"):
        res = model.nearest(xy(A), xy((1500.0, 0.0), (3000.0, 0.0)), profile="car")
    assert "dropped 3 nodes" in caplog.text
    # E and F snap to the nearest node still in the car graph (B), at 500 m and 2000 m
    np.testing.assert_allclose(res.snap_distance_m, [500.0, 2000.0])
    np.testing.assert_allclose(res.minutes, [2.4 + 500 / (10 / 3.6) / 60, 2.4 + 2000 / (10 / 3.6) / 60])
    # walking ignores one-way, so E is kept
    walk = model.nearest(xy(A), xy((1500.0, 0.0)), profile="walk")
    np.testing.assert_allclose(walk.snap_distance_m, [0.0])


def test_profile_closed_roads() -> None:
    nodes = {"A": (0.0, 0.0), "B": (1000.0, 0.0), "C": (2000.0, 0.0)}
    edges = [("A", "B", "residential", 1000.0, False), ("B", "C", "footway", 1000.0, False)]
    model = NetworkTravel.from_graph(make_graph(nodes, edges))
    # cars cannot use the footway: C snaps back to B, 1000 m off-road at 10 km/h = 6 min
    np.testing.assert_allclose(model.nearest(xy(A), xy(C), profile="car").minutes, [2.4 + 6.0])
    np.testing.assert_allclose(model.nearest(xy(A), xy(C), profile="walk").minutes, [2000 / 1.25 / 60])


def test_node_minutes(square: NetworkTravel) -> None:
    minutes, src = square.node_minutes(xy(A), profile="car")
    order = [square.node_ids.index(n) for n in "ABCD"]
    np.testing.assert_allclose(minutes[order], [0.0, 2.4, 4.8, 9.0])
    np.testing.assert_array_equal(src[order], [0, 0, 0, 0])


# --- isochrones ---------------------------------------------------------------------------

# U-shaped road P0-P1-P2-P3 (residential, car 2.4 min per 1000 m) with a slow spur P1-M into
# the middle (living street, 2000 m long at 10 km/h = 12 min). From P0: P1 4.8, P2 7.2,
# P3 12.0, M 16.8 minutes. A convex hull of the nodes reached in 12.5 min would contain M.
U_NODES = {
    "P0": (0.0, 0.0),
    "P1": (0.0, 2000.0),
    "P2": (1000.0, 2000.0),
    "P3": (1000.0, 0.0),
    "M": (500.0, 1000.0),
}
U_EDGES = [
    ("P0", "P1", "residential", 2000.0, False),
    ("P1", "P2", "residential", 1000.0, False),
    ("P2", "P3", "residential", 2000.0, False),
    ("P1", "M", "living_street", 2000.0, False),
]


def test_isochrones_follow_roads_not_hulls() -> None:
    model = NetworkTravel.from_graph(make_graph(U_NODES, U_EDGES))
    iso = model.isochrones(xy((0.0, 0.0)), profile="car", minutes=[5, 12.5], source_ids=["p0"])
    assert iso.crs == settings.GEOGRAPHIC_CRS
    assert list(iso.columns) == ["source_id", "minutes", "network_source", "geometry"]
    assert list(iso["minutes"]) == [5.0, 12.5]
    assert set(iso["source_id"]) == {"p0"}
    shapes = iso.to_crs(settings.WORKING_CRS).geometry.to_numpy()
    minutes, _ = model.node_minutes(xy((0.0, 0.0)), profile="car")
    pts = shapely.points(model.node_xy)
    for band, shape in zip(iso["minutes"], shapes, strict=True):
        inside = shapely.contains(shape, pts)
        assert not inside[minutes > band].any(), f"a node beyond {band} min lies inside the polygon"
        assert inside[minutes <= band].all()
    reached_12 = model.node_xy[minutes <= 12.5]
    hull = shapely.MultiPoint(reached_12).convex_hull
    m_point = shapely.Point(X0 + 500.0, Y0 + 1000.0)
    assert hull.contains(m_point)  # a hull would wrongly include M (16.8 min)
    assert not shapes[1].contains(m_point)
    # 5 min from P0 along P0-P1 (4.8 min for 2000 m) reaches P1 and 0.2 min = 83 m of each next road
    assert shapes[0].contains(shapely.Point(X0, Y0 + 1990.0))
    assert not shapes[0].contains(shapely.Point(X0 + 300.0, Y0 + 2000.0))


def test_isochrones_to_sources_and_curved_geometry() -> None:
    G = make_graph(U_NODES, U_EDGES)
    # bend P0-P1 out to x = -400: the band must follow the bend
    bend = shapely.LineString([(X0, Y0), (X0 - 400.0, Y0 + 1000.0), (X0, Y0 + 2000.0)])
    for u, v, data in G.edges(data=True):
        if {u, v} == {"P0", "P1"}:
            data["geometry"] = bend if u == "P0" else shapely.reverse(bend)
    model = NetworkTravel.from_graph(G)
    iso = model.isochrones(xy((0.0, 0.0)), profile="car", minutes=[2.4], direction="to_sources")
    shape = iso.to_crs(settings.WORKING_CRS).geometry.iloc[0]
    # half of the 2000 m edge (1000 m along the curve, whose length is ~2154 m geometrically)
    assert shape.contains(shapely.Point(X0 - 150.0, Y0 + 380.0))
    assert not shape.contains(shapely.Point(X0, Y0 + 1000.0))


# --- straight-line estimate ---------------------------------------------------------------


def test_straight_line_hand_computed() -> None:
    model = StraightLineTravel()
    res = model.nearest(xy((0.0, 0.0), (5000.0, 5000.0)), xy((3000.0, 0.0)), profile="ebike")
    # 3 km x 1.4 at 15 km/h = 16.8 min
    np.testing.assert_allclose(res.minutes, [16.8])
    np.testing.assert_array_equal(res.source_index, [0])
    np.testing.assert_array_equal(res.snap_distance_m, [0.0])
    cut = model.nearest(xy((0.0, 0.0)), xy((3000.0, 0.0)), profile="ebike", cutoff_minutes=16.0)
    assert np.isinf(cut.minutes[0]) and cut.source_index[0] == -1
    m = model.matrix(xy((0.0, 0.0), (3000.0, 4000.0)), xy((3000.0, 0.0)), profile="ebike")
    np.testing.assert_allclose(m, [[16.8], [4000 * 1.4 / 15000 * 60]])
    dist, idx = model.nearest_distance_m(xy((0.0, 0.0)), xy((3000.0, 0.0)), profile="walk")
    np.testing.assert_allclose(dist, [4200.0])
    np.testing.assert_array_equal(idx, [0])
    empty = model.nearest(np.empty((0, 2)), xy((0.0, 0.0)), profile="car")
    assert np.isinf(empty.minutes[0]) and empty.source_index[0] == -1
    with pytest.raises(ParameterError):
        model.nearest(xy((0.0, 0.0)), xy((1.0, 1.0)), profile="horse")


def test_straight_line_isochrones_are_labelled_circles() -> None:
    iso = StraightLineTravel().isochrones(xy((0.0, 0.0)), profile="ebike", minutes=[16.8], source_ids=["x"])
    assert list(iso["network_source"]) == [settings.STRAIGHT_LINE_SOURCE]
    circle = iso.to_crs(settings.WORKING_CRS).geometry.iloc[0]
    # radius 15 km/h x 16.8 min / 1.4 = 3 km
    assert circle.contains(shapely.Point(X0 + 2990.0, Y0))
    assert not circle.contains(shapely.Point(X0 + 3010.0, Y0))


def test_load_travel_model(tmp_path: Any) -> None:
    from analysis.network import save_graphml

    assert isinstance(load_travel_model(None), StraightLineTravel)
    assert isinstance(load_travel_model(tmp_path / "missing.graphml.gz"), StraightLineTravel)
    # osmnx reads node ids back as integers (OSM ids)
    G = nx.relabel_nodes(make_graph(SQUARE_NODES, SQUARE_EDGES), {"A": 1, "B": 2, "C": 3, "D": 4})
    path = save_graphml(G, tmp_path / "g.graphml.gz")
    model = load_travel_model(path)
    assert isinstance(model, NetworkTravel)
    np.testing.assert_allclose(model.nearest(xy(A), xy(C), profile="car").minutes, [4.8])
    np.testing.assert_allclose(
        model.nearest(xy(A), xy(C), profile="car", direction="to_sources").minutes, [18.0]
    )


def test_geographic_graph_is_projected() -> None:
    G = make_graph(SQUARE_NODES, SQUARE_EDGES)
    gdf = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(
            [d["x"] for _, d in G.nodes(data=True)], [d["y"] for _, d in G.nodes(data=True)]
        ),
        crs=settings.WORKING_CRS,
    ).to_crs(settings.GEOGRAPHIC_CRS)
    G4326 = G.copy()
    G4326.graph["crs"] = settings.GEOGRAPHIC_CRS
    for (_, data), pt in zip(G4326.nodes(data=True), gdf.geometry, strict=True):
        data["x"], data["y"] = pt.x, pt.y
    model = NetworkTravel.from_graph(G4326)
    np.testing.assert_allclose(model.nearest(xy(A), xy(C), profile="car").minutes, [4.8], atol=1e-3)
    assert G4326.graph["crs"] == settings.GEOGRAPHIC_CRS  # caller's graph untouched


# --- snapping to edges --------------------------------------------------------------------


def test_points_join_the_middle_of_roads(square: NetworkTravel) -> None:
    # 30 m off the middle of A-B: leg 30 m at 10 km/h = 0.18 min, then 500 m at 25 km/h = 1.2 min
    res = square.nearest(xy(A), xy((500.0, 30.0)), profile="car")
    np.testing.assert_allclose(res.minutes, [1.2 + 0.18])
    np.testing.assert_allclose(res.snap_distance_m, [30.0])
    join_xy, dist_m = square.snap(xy((500.0, 30.0)), profile="car")
    np.testing.assert_allclose(join_xy, xy((500.0, 0.0)))
    np.testing.assert_allclose(dist_m, [30.0])
    # beside the middle of the one-way B->C: from A 2.4 + 1.2 + 0.18
    mid_oneway = xy((1030.0, 500.0))
    np.testing.assert_allclose(square.nearest(xy(A), mid_oneway, profile="car").minutes, [3.78])
    # to A it must drive on to C, then C->D->A: 1.2 + 18 + 0.18
    back = square.nearest(xy(A), mid_oneway, profile="car", direction="to_sources")
    np.testing.assert_allclose(back.minutes, [19.38])
    # walking may turn back: 500 m + 1000 m at 4.5 km/h = 20 min, plus 30 m = 0.4 min
    walk = square.nearest(xy(A), mid_oneway, profile="walk", direction="to_sources")
    np.testing.assert_allclose(walk.minutes, [20.4])
    # a source in the middle of a road: 0.18 + 1.2 to B, 2.4 on to C
    np.testing.assert_allclose(square.nearest(xy((500.0, 30.0)), xy(C), profile="car").minutes, [3.78])
    np.testing.assert_allclose(square.matrix(xy((500.0, 30.0)), xy(C), profile="car"), [[3.78]])
    dist, _ = square.nearest_distance_m(xy((500.0, 30.0)), xy(C), profile="car")
    np.testing.assert_allclose(dist, [30.0 + 500.0 + 1000.0])


def test_node_snapping_option() -> None:
    model = NetworkTravel.from_graph(make_graph(SQUARE_NODES, SQUARE_EDGES), snap_to="node")
    # (400, 30) joins node A, 401.1 m away
    res = model.nearest(xy(A), xy((400.0, 30.0)), profile="car")
    np.testing.assert_allclose(res.snap_distance_m, [np.hypot(400.0, 30.0)])
    np.testing.assert_allclose(res.minutes, [np.hypot(400.0, 30.0) / (10 / 3.6) / 60])
    with pytest.raises(ParameterError, match="snap_to"):
        NetworkTravel.from_graph(make_graph(SQUARE_NODES, SQUARE_EDGES), snap_to="grid")  # type: ignore[arg-type]
