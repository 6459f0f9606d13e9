"""Exact travel times between points off the nodes: the engine against an independent reference.

The reference (``tests/reference_travel.py``) splits each road at every point and runs
networkx Dijkstra; it shares no code with the engine.
"""

# A road graph is `G`, as in osmnx and networkx.
# ruff: noqa: N803, N806

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import shapely
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from analysis.errors import NetworkError
from analysis.network import graph_from_pbf, graph_from_xml
from analysis.travel import NetworkTravel
from tests.reference_travel import Reference
from tests.test_travel import X0, Y0, make_graph, xy

WALK_MS = 4.5 / 3.6


def assert_same_minutes(actual: np.ndarray, expected: np.ndarray, atol: float = 1e-9) -> None:
    """Equal within *atol*, with ``inf`` in the same places."""
    np.testing.assert_array_equal(np.isinf(actual), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=0, atol=atol)


# --- the cases found on real roads, each a test that failed before -------------------------


def test_source_and_target_on_the_same_road_meet_along_it() -> None:
    # one two-way 2 km street; source at 800 m, target at 1,200 m, both on the road
    G = make_graph({"a": (0.0, 0.0), "b": (2000.0, 0.0)}, [("a", "b", "residential", 2000.0, False)])
    model = NetworkTravel.from_graph(G)
    s, t = xy((800.0, 0.0)), xy((1200.0, 0.0))
    expected = 400.0 / WALK_MS / 60.0  # 5.33 min
    for direction in ("from_sources", "to_sources"):
        res = model.nearest(s, t, profile="walk", direction=direction)
        np.testing.assert_allclose(res.minutes, [expected], rtol=1e-12)
        np.testing.assert_allclose(
            model.matrix(s, t, profile="walk", direction=direction), [[expected]], rtol=1e-12
        )
    dist_m, idx = model.nearest_distance_m(s, t, profile="walk")
    np.testing.assert_allclose(dist_m, [400.0], rtol=1e-12)
    assert idx[0] == 0
    # on a one-way street a point behind the source is reached round the block only
    side = float(np.hypot(1000.0, 500.0))
    G1 = make_graph(
        {"a": (0.0, 0.0), "b": (2000.0, 0.0), "c": (1000.0, 500.0)},
        [
            ("a", "b", "residential", 2000.0, True),
            ("b", "c", "residential", side, True),
            ("c", "a", "residential", side, True),
        ],
    )
    one_way = NetworkTravel.from_graph(G1)
    car_min_per_m = 1 / (25 / 3.6) / 60
    m = one_way.matrix(xy((800.0, 0.0), (1200.0, 0.0)), xy((800.0, 0.0), (1200.0, 0.0)), profile="car")
    np.testing.assert_allclose(
        m, [[0.0, 400 * car_min_per_m], [(800 + 2 * side + 800) * car_min_per_m, 0.0]], rtol=1e-12
    )


def test_going_back_along_a_road_uses_that_road_not_a_parallel_street() -> None:
    # two nodes 10 m apart joined by a 10 m street and a 500 m loop; a point at the far end
    # of the loop, the source at one node: the way back is along the loop (250 m), not 10 m
    loop = shapely.LineString([(X0, Y0), (X0, Y0 + 245.0), (X0 + 10.0, Y0 + 245.0), (X0 + 10.0, Y0)])
    G = make_graph({"a": (0.0, 0.0), "b": (10.0, 0.0)}, [("a", "b", "residential", 10.0, False)])
    G.add_edge("a", "b", highway="residential", length=500.0, oneway=False, geometry=loop)
    G.add_edge("b", "a", highway="residential", length=500.0, oneway=False, geometry=shapely.reverse(loop))
    model = NetworkTravel.from_graph(G)
    target = xy((5.0, 250.0))  # 5 m beyond the loop's middle
    expected = (250.0 + 5.0) / WALK_MS / 60.0  # 3.4 min
    for source in ((0.0, 0.0), (10.0, 0.0)):
        for direction in ("from_sources", "to_sources"):
            res = model.nearest(xy(source), target, profile="walk", direction=direction)
            np.testing.assert_allclose(res.minutes, [expected], rtol=1e-12)
            m = model.matrix(xy(source), target, profile="walk", direction=direction)
            np.testing.assert_allclose(m, [[expected]], rtol=1e-12)
    dist_m, _ = model.nearest_distance_m(xy((0.0, 0.0)), target, profile="walk")
    np.testing.assert_allclose(dist_m, [255.0], rtol=1e-12)
    assert_same_minutes(
        model.matrix(xy((0.0, 0.0), (10.0, 0.0)), target, profile="walk"),
        Reference(G, "walk").matrix(xy((0.0, 0.0), (10.0, 0.0)), target),
    )


# --- property test on random graphs ------------------------------------------------------

HIGHWAYS = ("residential", "primary", "footway", "service", "living_street")


@st.composite
def random_graphs(draw: Any) -> nx.MultiDiGraph:
    """Small MultiDiGraphs: one-way and two-way edges, parallel edges, bends, lengths ≠ geometry."""
    n = draw(st.integers(2, 7))
    cells = draw(
        st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), min_size=n, max_size=n, unique=True)
    )
    nodes = {i: (X0 + 80.0 * cx, Y0 + 80.0 * cy) for i, (cx, cy) in enumerate(cells)}
    G = nx.MultiDiGraph(crs="EPSG:32650")
    for i, (x, y) in nodes.items():
        G.add_node(i, x=x, y=y)
    edges = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(0, n - 1),
                st.sampled_from(HIGHWAYS),
                st.booleans(),
                st.tuples(st.integers(-4, 4), st.integers(-4, 4)),
                st.sampled_from([1.0, 1.3]),
            ),
            min_size=1,
            max_size=14,
        )
    )
    for u, v, highway, oneway, (bx, by), stretch in edges:
        if u == v:
            continue
        (x0, y0), (x1, y1) = nodes[u], nodes[v]
        pts = [(x0, y0)]
        if (bx, by) != (0, 0):
            pts.append(((x0 + x1) / 2 + 30.0 * bx, (y0 + y1) / 2 + 30.0 * by))
        pts.append((x1, y1))
        line = shapely.LineString(pts)
        attrs: dict[str, Any] = {"highway": highway, "length": line.length * stretch, "oneway": oneway}
        G.add_edge(u, v, **attrs, **({"geometry": line} if len(pts) > 2 else {}))
        if not oneway:
            rev = {"geometry": shapely.reverse(line)} if len(pts) > 2 else {}
            G.add_edge(v, u, **attrs, **rev)
    return G


points = st.lists(
    st.tuples(st.floats(-100.0, 1100.0), st.floats(-100.0, 1100.0)), min_size=1, max_size=4
).map(lambda p: np.array([(X0 + a, Y0 + b) for a, b in p], dtype=float))


@hsettings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(G=random_graphs(), sources=points, targets=points, profile=st.sampled_from(["car", "walk"]))
def test_engine_equals_reference_on_random_graphs(
    G: nx.MultiDiGraph, sources: np.ndarray, targets: np.ndarray, profile: str
) -> None:
    try:
        model = NetworkTravel.from_graph(G)
        model._profile(profile)
    except NetworkError:
        assume(False)
    ref = Reference(G, profile)
    assume(len(ref.roads) > 0)
    assume(not ref.ambiguous(np.concatenate([sources, targets])))
    for direction, forward in (("from_sources", True), ("to_sources", False)):
        expected = ref.matrix(sources, targets, from_sources=forward)
        assert_same_minutes(model.matrix(sources, targets, profile=profile, direction=direction), expected)
        res = model.nearest(sources, targets, profile=profile, direction=direction)
        best = expected.min(axis=0)
        assert_same_minutes(res.minutes, best)
        reached = np.isfinite(best)
        np.testing.assert_allclose(
            expected[res.source_index[reached], np.flatnonzero(reached)], best[reached], atol=1e-9
        )
        assert (res.source_index[~reached] == -1).all()
    metres = Reference(G, profile, metric="metres").matrix(sources, targets).min(axis=0)
    dist_m, _ = model.nearest_distance_m(sources, targets, profile=profile)
    assert_same_minutes(dist_m, metres, atol=1e-7)


# --- the real-roads fixture --------------------------------------------------------------

KOUVOLA = Path(__file__).parent / "data" / "osm" / "kouvola.osm.pbf"
#: ETRS89 / UTM 35N: a projected CRS for Kouvola (60.5 N, 26.9 E).
KOUVOLA_CRS = "EPSG:32635"


def pbf_to_osm_xml(pbf: Path, out: Path) -> Path:
    """Write every node, way and relation of *pbf* to an ``.osm`` XML file, as a raw export."""
    import osmium

    with osmium.SimpleWriter(str(out)) as writer:
        for obj in osmium.FileProcessor(str(pbf)):
            if isinstance(obj, osmium.osm.Node):
                writer.add_node(obj)
            elif isinstance(obj, osmium.osm.Way):
                writer.add_way(obj)
            elif isinstance(obj, osmium.osm.Relation):
                writer.add_relation(obj)
    return out


def graph_signature(G: nx.MultiDiGraph) -> tuple[list[Any], list[Any]]:
    """Nodes with coordinates and edges with what travel reads, in graph order."""
    nodes = [(n, d["x"], d["y"]) for n, d in G.nodes(data=True)]
    edges = [
        (
            u,
            v,
            k,
            d["highway"],
            d.get("maxspeed"),
            bool(d["oneway"]),
            d["length"],
            None if d.get("geometry") is None else d["geometry"].wkb,
        )
        for u, v, k, d in G.edges(keys=True, data=True)
    ]
    return nodes, edges


@pytest.fixture(scope="module")
def kouvola_graphs(tmp_path_factory: pytest.TempPathFactory) -> tuple[nx.MultiDiGraph, nx.MultiDiGraph]:
    xml = pbf_to_osm_xml(KOUVOLA, tmp_path_factory.mktemp("kouvola") / "kouvola.osm")
    return graph_from_pbf(KOUVOLA), graph_from_xml(xml)


def kouvola_points(G: nx.MultiDiGraph, n: int, seed: int) -> np.ndarray:
    """*n* random points off the nodes, inside the extract, in KOUVOLA_CRS."""
    P = ox.project_graph(G, to_crs=KOUVOLA_CRS)
    x = np.array([d["x"] for _, d in P.nodes(data=True)])
    y = np.array([d["y"] for _, d in P.nodes(data=True)])
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(x.min(), x.max(), n), rng.uniform(y.min(), y.max(), n)])


def test_kouvola_xml_and_pbf_give_the_same_road_graph(
    kouvola_graphs: tuple[nx.MultiDiGraph, nx.MultiDiGraph],
) -> None:
    G_pbf, G_xml = kouvola_graphs
    assert graph_signature(G_pbf) == graph_signature(G_xml)
    # a raw export's buildings, land use and railways never become roads
    assert all(isinstance(d["highway"], str) and d["highway"] for *_, d in G_xml.edges(data=True))
    assert len(G_xml) == 504 and G_xml.number_of_edges() == 1242


def test_kouvola_off_node_times_equal_the_reference(
    kouvola_graphs: tuple[nx.MultiDiGraph, nx.MultiDiGraph],
) -> None:
    G_pbf, G_xml = kouvola_graphs
    sources, targets = kouvola_points(G_pbf, 12, seed=1), kouvola_points(G_pbf, 60, seed=2)
    P = ox.project_graph(G_pbf, to_crs=KOUVOLA_CRS)
    from_pbf = NetworkTravel.from_graph(G_pbf, crs=KOUVOLA_CRS)
    from_xml = NetworkTravel.from_graph(G_xml, crs=KOUVOLA_CRS)
    for profile in ("walk", "car"):
        ref = Reference(P, profile)
        assert not ref.ambiguous(np.concatenate([sources, targets]))
        for direction, forward in (("from_sources", True), ("to_sources", False)):
            m = from_pbf.matrix(sources, targets, profile=profile, direction=direction)
            np.testing.assert_array_equal(
                m, from_xml.matrix(sources, targets, profile=profile, direction=direction)
            )
            expected = ref.matrix(sources, targets, from_sources=forward)
            assert_same_minutes(m, expected)
            res = from_pbf.nearest(sources, targets, profile=profile, direction=direction)
            assert_same_minutes(res.minutes, expected.min(axis=0))
        dist_m, _ = from_pbf.nearest_distance_m(sources, targets, profile=profile)
        assert_same_minutes(
            dist_m, Reference(P, profile, metric="metres").matrix(sources, targets).min(axis=0), atol=1e-7
        )


REPRO_SCRIPT = """
import hashlib, sys
import numpy as np
from analysis.network import graph_from_pbf
from analysis.travel import NetworkTravel
G = graph_from_pbf(sys.argv[1])
model = NetworkTravel.from_graph(G, crs=sys.argv[2])
rng = np.random.default_rng(7)
x = np.array([d for d in model.node_xy[:, 0]]); y = model.node_xy[:, 1]
pts = np.column_stack([rng.uniform(x.min(), x.max(), 80), rng.uniform(y.min(), y.max(), 80)])
h = hashlib.sha256()
for profile in ("car", "walk", "ambulance", "ebike"):
    h.update(model.matrix(pts[:10], pts[10:], profile=profile).tobytes())
    h.update(model.nearest(pts[:10], pts[10:], profile=profile, direction="to_sources").minutes.tobytes())
print(h.hexdigest())
"""


def test_times_do_not_depend_on_the_hash_seed() -> None:
    digests = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", REPRO_SCRIPT, str(KOUVOLA), KOUVOLA_CRS],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent.parent,
        )
        digests.add(out.stdout.strip().splitlines()[-1])
    assert len(digests) == 1


def test_two_points_a_rounding_error_apart_on_a_one_way_road_are_one_place() -> None:
    # a one-way bent road and a straight two-way road between the same two nodes; the two
    # points join the one-way road a few 1e-13 of its length apart, the target "behind"
    G = nx.MultiDiGraph(crs="EPSG:32650")
    G.add_node(0, x=X0, y=Y0 + 80.0)
    G.add_node(1, x=X0 + 160.0, y=Y0 + 80.0)
    bent = shapely.LineString([(X0, Y0 + 80.0), (X0 + 80.0, Y0 + 50.0), (X0 + 160.0, Y0 + 80.0)])
    G.add_edge(0, 1, highway="residential", length=160.0, oneway=False)
    G.add_edge(1, 0, highway="residential", length=160.0, oneway=False)
    G.add_edge(0, 1, highway="residential", length=bent.length, oneway=True, geometry=bent)
    sources = np.array([[X0, Y0]])
    targets = np.array([[X0, Y0 + 4.656612873077393e-10]])
    model = NetworkTravel.from_graph(G)
    ref = Reference(G, "car")
    for direction, forward in (("from_sources", True), ("to_sources", False)):
        expected = ref.matrix(sources, targets, from_sources=forward)
        got = model.matrix(sources, targets, profile="car", direction=direction)
        assert_same_minutes(got, expected)


def test_a_point_a_rounding_error_from_a_node_is_at_the_node() -> None:
    # the source is node 0; the target joins the one-way road 0 -> 2 about 1e-12 of its length
    # from node 0: it is at node 0 too, not a detour round the loop away
    G = nx.MultiDiGraph(crs="EPSG:32650")
    G.add_node(0, x=X0, y=Y0)
    G.add_node(2, x=X0, y=Y0 + 960.0)
    bent = shapely.LineString([(X0, Y0), (X0 + 30.0, Y0 + 450.0), (X0, Y0 + 960.0)])
    G.add_edge(0, 2, highway="residential", length=bent.length, oneway=False, geometry=bent)
    G.add_edge(2, 0, highway="residential", length=bent.length, oneway=False, geometry=shapely.reverse(bent))
    G.add_edge(0, 2, highway="residential", length=960.0, oneway=True)
    sources = np.array([[X0, Y0]])
    targets = np.array([[X0, Y0 + 9.313225746154785e-10]])
    model = NetworkTravel.from_graph(G)
    ref = Reference(G, "car")
    for direction, forward in (("from_sources", True), ("to_sources", False)):
        expected = ref.matrix(sources, targets, from_sources=forward)
        got = model.matrix(sources, targets, profile="car", direction=direction)
        assert_same_minutes(got, expected)
