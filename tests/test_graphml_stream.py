"""GraphML streamed into the engine's arrays: the same arrays, order and errors as the networkx path."""

# A road graph is `G`, as in osmnx and networkx.
# ruff: noqa: N803, N806

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any
from unittest import mock

import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import network
from analysis.errors import DataError, NetworkError
from analysis.network.graphml_stream import UnsupportedGraphMLError, graphml_arrays
from analysis.travel import NetworkTravel
from analysis.travel.loading import load_network_travel

KOUVOLA = Path(__file__).parent / "data" / "osm" / "kouvola.osm.pbf"
KOUVOLA_CRS = "EPSG:32635"


def networkx_arrays(path: Path, crs: str) -> dict[str, Any]:
    """The reference: osmnx's GraphML reader, osmnx's projection, then the engine's flattening."""
    return network.graph_arrays(network.project_graph(network.load_graphml(path), crs))


def assert_same_arrays(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a["node_ids"] == b["node_ids"]
    for key in ("x", "y", "u", "v", "length_m", "oneway"):
        np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(b[key]), err_msg=key)
    assert a["highway"] == b["highway"]
    assert a["maxspeed"] == b["maxspeed"]
    ga, gb = np.asarray(a["geometry"], dtype=object), np.asarray(b["geometry"], dtype=object)
    missing = np.array([g is None for g in ga], dtype=bool)
    np.testing.assert_array_equal(missing, np.array([g is None for g in gb], dtype=bool))
    assert shapely.equals_exact(ga[~missing], gb[~missing], tolerance=0.0).all()


@pytest.fixture(scope="module")
def kouvola_graph() -> nx.MultiDiGraph:
    return network.graph_from_pbf(KOUVOLA)


@pytest.mark.parametrize("crs", [KOUVOLA_CRS, "EPSG:32650", "EPSG:4326"])
def test_real_extract_streams_to_the_same_arrays(
    kouvola_graph: nx.MultiDiGraph, tmp_path: Path, crs: str
) -> None:
    # lon/lat on disk: projected on the way in, curved edges' own geometry included
    path = network.save_graphml(kouvola_graph, tmp_path / "roads.graphml.gz")
    arrays, graph = graphml_arrays(path, crs=crs)
    assert_same_arrays(arrays, networkx_arrays(path, crs))
    assert sum(g is not None for g in arrays["geometry"]) > 100
    assert graph["simplified"] is True


def test_a_graph_already_in_the_working_crs_is_not_reordered(
    kouvola_graph: nx.MultiDiGraph, tmp_path: Path
) -> None:
    path = network.save_graphml(network.project_graph(kouvola_graph, KOUVOLA_CRS), tmp_path / "utm.graphml")
    arrays, _ = graphml_arrays(path, crs=KOUVOLA_CRS)
    assert_same_arrays(arrays, networkx_arrays(path, KOUVOLA_CRS))


@st.composite
def small_graphs(draw: st.DrawFn) -> nx.MultiDiGraph:
    """Directed multigraphs in lon/lat with parallel edges, isolated nodes, lists and curved edges."""
    n = draw(st.integers(2, 9))
    ids = draw(st.lists(st.integers(1, 10**9), min_size=n, max_size=n, unique=True))
    G: nx.MultiDiGraph = nx.MultiDiGraph(crs="epsg:4326", simplified=draw(st.booleans()))
    for node in ids:
        lon = draw(st.floats(24.0, 24.1, allow_nan=False))
        lat = draw(st.floats(60.8, 60.9, allow_nan=False))
        G.add_node(node, x=lon, y=lat, street_count=draw(st.integers(0, 4)))
    pairs = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), min_size=1, max_size=25))
    classes = st.sampled_from(["primary", "residential", ["residential", "service"], "footway"])
    for a, b in pairs:
        data: dict[str, Any] = {
            "length": draw(st.floats(0.0, 500.0, allow_nan=False)),
            "highway": draw(classes),
            "oneway": draw(st.booleans()),
            "osmid": draw(st.integers(1, 10**6)),
        }
        if draw(st.booleans()):
            data["maxspeed"] = draw(st.sampled_from(["30", "50", ["40", "60"]]))
        if a != b and draw(st.booleans()):
            xa, ya, xb, yb = G.nodes[a]["x"], G.nodes[a]["y"], G.nodes[b]["x"], G.nodes[b]["y"]
            data["geometry"] = shapely.LineString([(xa, ya), ((xa + xb) / 2, ya), (xb, yb)])
        G.add_edge(a, b, **data)
    return G


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(G=small_graphs(), crs=st.sampled_from(["EPSG:4326", KOUVOLA_CRS]))
def test_random_graphs_stream_to_the_same_arrays(G: nx.MultiDiGraph, crs: str, tmp_path: Path) -> None:
    path = network.save_graphml(G, tmp_path / "g.graphml")
    arrays, _ = graphml_arrays(path, crs=crs)
    assert_same_arrays(arrays, networkx_arrays(path, crs))


def test_the_engine_reads_an_osmnx_file_without_networkx(
    kouvola_graph: nx.MultiDiGraph, tmp_path: Path
) -> None:
    path = network.save_graphml(kouvola_graph, tmp_path / "roads.graphml.gz")
    reference = NetworkTravel.from_graph(network.load_graphml(path), crs=KOUVOLA_CRS)
    with mock.patch.object(network, "load_graphml", side_effect=AssertionError("networkx path used")):
        streamed = load_network_travel(path, crs=KOUVOLA_CRS, use_store=False)
    rng = np.random.default_rng(3)
    lo, hi = reference.node_xy.min(axis=0), reference.node_xy.max(axis=0)
    sources, targets = rng.uniform(lo, hi, (4, 2)), rng.uniform(lo, hi, (300, 2))
    for profile in ("walk", "car"):
        a = reference.nearest(sources, targets, profile=profile)
        b = streamed.nearest(sources, targets, profile=profile)
        np.testing.assert_array_equal(a.minutes, b.minutes)
        np.testing.assert_array_equal(a.source_index, b.source_index)
    assert streamed.network_source == reference.network_source


def _graphml(body: str, *, keys: str = "", graph: str = 'edgedefault="directed"') -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
        '<key id="d0" for="graph" attr.name="crs" attr.type="string" />\n'
        '<key id="d1" for="node" attr.name="x" attr.type="string" />\n'
        '<key id="d2" for="node" attr.name="y" attr.type="string" />\n'
        '<key id="d3" for="edge" attr.name="length" attr.type="string" />\n'
        f"{keys}<graph {graph}>\n{body}\n</graph></graphml>\n"
    )


NODES = (
    '<data key="d0">EPSG:32650</data>'
    '<node id="1"><data key="d1">650000</data><data key="d2">2730000</data></node>'
    '<node id="2"><data key="d1">650100</data><data key="d2">2730000</data></node>'
)

EDGE_WITHOUT_ID = '<edge source="1" target="2"><data key="d3">5</data></edge>'


def _both_refuse(path: Path, error: type[Exception]) -> tuple[str, str]:
    with pytest.raises(error) as streamed:
        graphml_arrays(path, crs="EPSG:32650")
    with pytest.raises(error) as reference:
        networkx_arrays(path, "EPSG:32650")
    return str(streamed.value), str(reference.value)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        # a node without y
        (NODES.replace('<data key="d2">2730000</data></node>', "</node>", 1), NetworkError),
        # an edge without a length, one with a negative length
        (NODES + '<edge source="1" target="2" id="0"></edge>', DataError),
        (NODES + '<edge source="1" target="2" id="0"><data key="d3">-5</data></edge>', DataError),
        # no CRS at all
        (NODES.replace('<data key="d0">EPSG:32650</data>', ""), DataError),
    ],
    ids=["node-without-y", "edge-without-length", "negative-length", "no-crs"],
)
def test_bad_graphs_are_refused_with_the_same_message(
    tmp_path: Path, body: str, error: type[Exception]
) -> None:
    path = tmp_path / "bad.graphml"
    path.write_text(_graphml(body), encoding="utf-8")
    streamed, reference = _both_refuse(path, error)
    assert streamed == reference


@pytest.mark.parametrize(
    "content",
    [b"this is not xml", b"<graphml><graph><node id='1'", gzip.compress(b"<unclosed")],
    ids=["not-xml", "truncated", "gzipped-garbage"],
)
def test_a_file_that_is_not_graphml_is_a_data_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / ("bad.graphml.gz" if content[:2] == b"\x1f\x8b" else "bad.graphml")
    path.write_bytes(content)
    with pytest.raises(DataError, match="Could not read road graph"):
        graphml_arrays(path, crs="EPSG:32650")


def test_a_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        graphml_arrays(tmp_path / "none.graphml", crs="EPSG:32650")


@pytest.mark.parametrize(
    ("keys", "graph", "body"),
    [
        (
            "",
            'edgedefault="undirected"',
            NODES + '<edge source="1" target="2"><data key="d3">5</data></edge>',
        ),
        ('<key id="d9" for="edge" attr.name="w" attr.type="double" />\n', 'edgedefault="directed"', NODES),
        ("", 'edgedefault="directed"', NODES + '<edge source="1" target="2"><data key="d3">5</data></edge>'),
    ],
    ids=["undirected", "typed-key", "edge-without-id"],
)
def test_files_the_reader_does_not_mirror_go_to_networkx(
    tmp_path: Path, keys: str, graph: str, body: str
) -> None:
    path = tmp_path / "other.graphml"
    path.write_text(_graphml(body, keys=keys, graph=graph), encoding="utf-8")
    with pytest.raises(UnsupportedGraphMLError):
        graphml_arrays(path, crs="EPSG:32650")
