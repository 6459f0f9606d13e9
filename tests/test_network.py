"""Road graphs: speeds per profile, .osm/.pbf/GraphML loading, the osmnx fetch path, the CLI."""

# A road graph is `G`, as in osmnx and networkx.
# ruff: noqa: N806

from __future__ import annotations

import json
import logging
import shutil
from collections import OrderedDict
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import requests
import shapely
from shapely.geometry import box
from typer.testing import CliRunner

from analysis import settings
from analysis.errors import DataError, NetworkError, ParameterError
from analysis.network import (
    add_edge_speeds,
    edge_speeds_kmh,
    graph_from_osm,
    graph_from_pbf,
    graph_from_xml,
    highway_class,
    highway_classes,
    load_graphml,
    parse_maxspeed_kmh,
    project_graph,
    save_graphml,
)
from analysis.travel import NetworkTravel
from tests.test_travel import SQUARE_EDGES, SQUARE_NODES, make_graph

OSM_DIR = Path(__file__).parent / "data" / "osm"
MPH = 1.609344


# --- speeds -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("30 mph", 30 * MPH),
        (["40", "60"], 50.0),
        ("40;60", 50.0),
        ("['40', '60']", 50.0),
        (70, 70.0),
        ("signals", np.nan),
        ("CN:urban", np.nan),
        (None, np.nan),
    ],
)
def test_parse_maxspeed(value: Any, expected: float) -> None:
    np.testing.assert_allclose(parse_maxspeed_kmh(value), expected)


def test_highway_class() -> None:
    assert highway_class("primary_link") == "primary"
    # lists (older merged edges) give the same answer whatever their order
    assert highway_class(["residential", "primary"]) == highway_class(["primary", "residential"]) == "primary"
    assert highway_classes("['tertiary', 'service_link']") == ["service", "tertiary"]
    assert highway_class(None) == ""


def test_merged_classes_take_the_slowest_and_any_closure() -> None:
    # a service road merged with a footway is not drivable, in either list order
    for hw in (["service", "footway"], ["footway", "service"], "['footway', 'service']"):
        np.testing.assert_array_equal(edge_speeds_kmh([hw], [None], profile="car"), [0.0])
        np.testing.assert_array_equal(edge_speeds_kmh([hw], [None], profile="walk"), [4.5])
    np.testing.assert_array_equal(
        edge_speeds_kmh([["primary", "residential"]], [["50", "30"]], profile="car"),
        edge_speeds_kmh([["residential", "primary"]], [["30", "50"]], profile="car"),
    )


def test_unknown_classes_follow_one_rule_per_profile(caplog: pytest.LogCaptureFixture) -> None:
    hw = ["trail", "corridor", "elevator", "trail", "busway"]
    ms = [None, None, None, None, "40"]
    with caplog.at_level(logging.INFO, logger="analysis.network"):
        car = edge_speeds_kmh(hw, ms, profile="car")
    # vehicles: closed unless a maxspeed says vehicles drive there
    np.testing.assert_array_equal(car, [0, 0, 0, 0, 40])
    np.testing.assert_allclose(edge_speeds_kmh(hw, ms, profile="ambulance"), [0, 0, 0, 0, 40 * 1.15])
    np.testing.assert_array_equal(edge_speeds_kmh(hw, ms, profile="ebike"), [0, 0, 0, 0, 15])
    np.testing.assert_array_equal(edge_speeds_kmh(hw, ms, profile="walk"), [4.5] * 5)
    logged = [r.getMessage() for r in caplog.records if "without a speed setting" in r.getMessage()]
    assert len(logged) == 1
    assert "trail (2)" in logged[0] and "corridor (1)" in logged[0] and "maxspeed" in logged[0]


def test_edge_speeds_per_profile() -> None:
    hw = ["primary", "primary_link", "secondary", "motorway", "footway", "made_up", "residential"]
    ms = [None, None, "30 mph", None, None, None, "60"]
    np.testing.assert_allclose(edge_speeds_kmh(hw, ms, profile="car"), [45, 45, 30 * MPH, 80, 0, 0, 60])
    np.testing.assert_allclose(
        edge_speeds_kmh(hw, ms, profile="ambulance"), [55, 55, 30 * MPH * 1.15, 90, 0, 0, 69]
    )
    # a tagged limit only slows e-bikes; walkers ignore it
    np.testing.assert_allclose(edge_speeds_kmh(hw, ms, profile="ebike"), [18, 18, 18, 0, 0, 0, 15])
    np.testing.assert_allclose(edge_speeds_kmh(hw, ms, profile="walk"), [4.5, 4.5, 4.5, 0, 4.5, 4.5, 4.5])
    with pytest.raises(ParameterError, match="profile"):
        edge_speeds_kmh(hw, ms, profile="tram")


def test_vehicle_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(settings.MAXSPEED_CAP_KMH, "car", 70.0)
    np.testing.assert_allclose(edge_speeds_kmh(["trunk"], ["120"], profile="car"), [70.0])


# --- OSM XML ------------------------------------------------------------------------------


def test_osm_xml_loads_with_speeds() -> None:
    G = graph_from_xml(OSM_DIR / "jinjiang_small.osm")
    assert G.graph["crs"] == "epsg:4326"
    edges = {(u, v, d["highway"]): d for u, v, d in G.edges(data=True)}
    assert (3, 4, "residential") in edges and (4, 3, "residential") not in edges  # one-way kept
    assert (2, 3, "motorway") in edges and (3, 2, "motorway") not in edges
    car = add_edge_speeds(G, profile="car")
    speed = {(u, v, d["highway"]): d["speed_kph"] for u, v, d in car.edges(data=True)}
    assert speed[(1, 2, "primary")] == 60.0  # maxspeed=60
    assert speed[(2, 3, "secondary")] == pytest.approx(30 * MPH)  # maxspeed=30 mph
    assert speed[(1, 4, "tertiary_link")] == 50.0  # maxspeed=50 km/h on a link
    assert speed[(3, 4, "residential")] == 25.0
    assert speed[(1, 2, "footway")] == 0.0
    walk = add_edge_speeds(G, profile="walk")
    assert {d["speed_kph"] for _, _, d in walk.edges(data=True) if d["highway"] != "motorway"} == {4.5}
    assert "speed_kph" not in next(iter(G.edges(data=True)))[2]  # input untouched

    # car 4 -> 3: against the one-way residential, so 4-1 (50) + 1-2 (60) + 2-3 (30 mph)
    model = NetworkTravel.from_graph(G)
    length = {(u, v, d["highway"]): d["length"] for u, v, d in G.edges(data=True)}
    expected_s = (
        length[(4, 1, "tertiary_link")] / (50 / 3.6)
        + length[(1, 2, "primary")] / (60 / 3.6)
        + length[(2, 3, "secondary")] / (30 * MPH / 3.6)
    )
    xy = model.node_xy
    ids = model.node_ids
    res = model.nearest(xy[[ids.index(4)]], xy[[ids.index(3)]], profile="car")
    np.testing.assert_allclose(res.minutes, [expected_s / 60])
    back = model.nearest(xy[[ids.index(3)]], xy[[ids.index(4)]], profile="car")
    np.testing.assert_allclose(back.minutes, [length[(3, 4, "residential")] / (25 / 3.6) / 60])


def test_osm_xml_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        graph_from_xml(tmp_path / "nope.osm")


# --- GraphML ------------------------------------------------------------------------------


def test_graphml_gz_roundtrip(tmp_path: Path) -> None:
    G = graph_from_xml(OSM_DIR / "jinjiang_small.osm")
    path = save_graphml(G, tmp_path / "sub" / "g.graphml.gz")
    assert path.read_bytes()[:2] == b"\x1f\x8b"  # gzip magic
    H = load_graphml(path)
    assert len(H) == len(G) and H.number_of_edges() == G.number_of_edges()
    assert isinstance(next(iter(H.edges(data=True)))[2]["length"], float)
    plain = load_graphml(save_graphml(G, tmp_path / "g.graphml"))
    assert plain.number_of_edges() == G.number_of_edges()
    with pytest.raises(DataError, match="network fetch"):
        load_graphml(tmp_path / "missing.graphml.gz")


def test_project_graph() -> None:
    G = graph_from_xml(OSM_DIR / "jinjiang_small.osm")
    P = project_graph(G)
    assert P.graph["crs"] == settings.WORKING_CRS
    assert 600_000 < P.nodes[1]["x"] < 700_000
    assert project_graph(P) is P
    assert G.graph["crs"] == "epsg:4326"


# --- .osm.pbf -----------------------------------------------------------------------------


def _write_pbf(path: Path) -> None:
    import osmium

    nodes = {
        1: (118.55, 24.78),
        2: (118.56, 24.78),
        3: (118.56, 24.79),
        8: (118.70, 24.90),
        9: (118.71, 24.90),
    }
    with osmium.SimpleWriter(str(path)) as writer:
        for i, (lon, lat) in nodes.items():
            writer.add_node(osmium.osm.mutable.Node(id=i, location=(lon, lat), version=1))
        ways = [
            (201, [1, 2], {"highway": "primary", "maxspeed": "40"}),
            (202, [2, 3], {"highway": "residential", "oneway": "yes"}),
            (203, [8, 9], {"highway": "primary"}),  # outside the polygon below
            (204, [1, 3], {"building": "yes"}),  # not a road
        ]
        for wid, refs, tags in ways:
            writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags, version=1))


def test_pbf_loads(tmp_path: Path) -> None:
    pbf = tmp_path / "tiny.osm.pbf"
    _write_pbf(pbf)
    G = graph_from_pbf(pbf)
    assert sorted(G.nodes) == [1, 2, 3, 8, 9]
    clipped = graph_from_pbf(pbf, box(118.54, 24.77, 118.57, 24.80))
    edges = {(u, v, d["highway"]) for u, v, d in clipped.edges(data=True)}
    assert edges == {(1, 2, "primary"), (2, 1, "primary"), (2, 3, "residential")}
    speeds = {
        d["highway"]: d["speed_kph"] for *_, d in add_edge_speeds(clipped, profile="car").edges(data=True)
    }
    assert speeds == {"primary": 40.0, "residential": 25.0}
    with pytest.raises(DataError, match="no roads"):
        graph_from_pbf(pbf, box(100.0, 10.0, 100.1, 10.1))


# --- osmnx fetch, offline through a pre-seeded HTTP cache ---------------------------------

#: A tiny Overpass answer: a triangle of ways inside FETCH_POLYGON (one of them one-way).
OVERPASS_RESPONSE: dict[str, Any] = {
    "version": 0.6,
    "generator": "Overpass API (hand-written for tests)",
    "osm3s": {"timestamp_osm_base": "2026-11-01T00:00:00Z", "copyright": "ODbL"},
    "elements": [
        {"type": "node", "id": 11, "lat": 24.7800, "lon": 118.5500},
        {"type": "node", "id": 14, "lat": 24.7800, "lon": 118.5470},
        {"type": "node", "id": 12, "lat": 24.7800, "lon": 118.5550},
        {"type": "node", "id": 13, "lat": 24.7850, "lon": 118.5550},
        {
            "type": "way",
            "id": 301,
            "nodes": [14, 11, 12],
            "tags": {"highway": "primary", "maxspeed": "50", "name": "世纪大道"},
        },
        {"type": "way", "id": 302, "nodes": [12, 13], "tags": {"highway": "residential", "oneway": "yes"}},
        {"type": "way", "id": 303, "nodes": [13, 11], "tags": {"highway": "living_street"}},
    ],
}
FETCH_POLYGON = box(118.545, 24.775, 118.560, 24.790)


def seed_overpass_cache(cache_dir: Path, polygon: shapely.Polygon, network_type: str) -> list[Path]:
    """Write OVERPASS_RESPONSE where osmnx 2.1 looks for the answer to its query for *polygon*.

    Mirrors ``osmnx.graph.graph_from_polygon`` (500 m buffer), ``_overpass._download_overpass_network``
    (one query per sub-polygon) and ``_overpass._overpass_request`` (SHA-1 of the prepared GET URL).
    """
    from osmnx import _http, _overpass, projection

    poly_proj, crs_utm = projection.project_geometry(polygon)
    poly_buff, _ = projection.project_geometry(
        shapely.buffer(poly_proj, 500, quad_segs=16), crs=crs_utm, to_latlong=True
    )
    assert isinstance(poly_buff, shapely.Polygon)
    written = []
    for coord_str in _overpass._make_overpass_polygon_coord_strs(poly_buff):
        way_filter = _overpass._get_network_filter(network_type)
        query = f"{_overpass._make_overpass_settings()};(way{way_filter}(poly:{coord_str!r});>;);out;"
        url = ox.settings.overpass_url.rstrip("/") + "/interpreter"
        prepared = str(requests.Request("GET", url, params=OrderedDict(data=query)).prepare().url)
        path = cache_dir / f"{_http.sha1(prepared.encode('utf-8')).hexdigest()}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(OVERPASS_RESPONSE), encoding="utf-8")
        written.append(path)
    return written


@pytest.fixture
def offline_osmnx(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forbid HTTP and restore osmnx's global settings afterwards."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        msg = "tests must not reach the network"
        raise AssertionError(msg)

    monkeypatch.setattr(requests, "post", refuse)
    monkeypatch.setattr(requests, "get", refuse)
    monkeypatch.setattr(ox.settings, "use_cache", ox.settings.use_cache)
    monkeypatch.setattr(ox.settings, "cache_folder", ox.settings.cache_folder)
    monkeypatch.setattr(ox.settings, "log_console", False)


@pytest.mark.usefixtures("offline_osmnx")
def test_graph_from_osm_uses_seeded_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert seed_overpass_cache(cache, FETCH_POLYGON, "drive")
    G = graph_from_osm(FETCH_POLYGON, network_type="drive", cache_dir=cache)
    edges = {(u, v, d["highway"]) for u, v, d in G.edges(data=True)}
    assert edges == {
        (14, 11, "primary"),
        (11, 14, "primary"),
        (11, 12, "primary"),
        (12, 11, "primary"),
        (12, 13, "residential"),
        (13, 11, "living_street"),
        (11, 13, "living_street"),
    }
    assert ox.settings.bidirectional_network_types == ["walk"]  # restored
    model = NetworkTravel.from_graph(G)
    length = {(u, v): d["length"] for u, v, d in G.edges(data=True)}
    ids = model.node_ids
    res = model.nearest(model.node_xy[[ids.index(11)]], model.node_xy[[ids.index(13)]], profile="car")
    np.testing.assert_allclose(
        res.minutes, [(length[(11, 12)] / (50 / 3.6) + length[(12, 13)] / (25 / 3.6)) / 60]
    )


def test_graph_from_osm_rejects_bad_arguments() -> None:
    with pytest.raises(ParameterError, match="network_type"):
        graph_from_osm(FETCH_POLYGON, network_type="boat")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="Polygon"):
        graph_from_osm(shapely.Point(118.55, 24.78))


@pytest.mark.network
def test_graph_from_osm_real_download(tmp_path: Path) -> None:
    G = graph_from_osm(box(118.548, 24.778, 118.556, 24.785), network_type="drive", cache_dir=tmp_path)
    assert len(G) > 5
    model = NetworkTravel.from_graph(G)
    res = model.nearest(model.node_xy[:1], model.node_xy, profile="car")
    assert np.isfinite(res.minutes).sum() > 5


# --- CLI ----------------------------------------------------------------------------------


def _facilities(path: Path) -> Path:
    def feature(
        fid: str, kind: str, lon: float | None, lat: float | None, status: str = "open"
    ) -> dict[str, Any]:
        return {
            "type": "Feature",
            "properties": {
                "id": fid,
                "name_zh": f"测试{fid}",
                "name_en": f"Test {fid}",
                "kind": kind,
                "tier": 1 if kind == "hospital" else None,
                "community": None,
                "town_code": "350582004",
                "beds": None,
                "ambulances": None,
                "negative_pressure_ambulances": None,
                "status": status,
                "opens": None,
                "source": "test",
                "precision": "exact" if lon is not None else "unknown",
                "note": "",
            },
            "geometry": None if lon is None else {"type": "Point", "coordinates": [lon, lat]},
        }

    doc = {
        "type": "FeatureCollection",
        "features": [
            feature("h1", "hospital", 118.551, 24.781),
            feature("h2", "hospital", None, None),
            feature("h3", "hospital", 118.559, 24.789, status="planned"),
            feature("e1", "ems_station", 118.559, 24.781),
        ],
    }
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_cli_isochrones(tmp_path: Path) -> None:
    from app.cli import cli

    fac = _facilities(tmp_path / "facilities.geojson")
    graph = save_graphml(graph_from_xml(OSM_DIR / "jinjiang_small.osm"), tmp_path / "g.graphml.gz")
    out = tmp_path / "iso.geojson"
    args = ["isochrones", "--kind", "hospital", "--minutes", "1,2", "--profile", "car"]
    result = CliRunner().invoke(
        cli, [*args, "--network", str(graph), "--facilities", str(fac), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    gdf = gpd.read_file(out)
    assert list(gdf["source_id"]) == ["h1", "h1"]
    assert list(gdf["minutes"]) == [1.0, 2.0]
    assert set(gdf["direction"]) == {"to_sources"}
    assert gdf["network_source"].str.startswith("OpenStreetMap").all()
    small, large = gdf.to_crs(settings.WORKING_CRS).geometry
    assert small.difference(large).area < 1e-6 * small.area  # bands are nested
    # no road graph: straight-line estimate, labelled
    out2 = tmp_path / "iso2.geojson"
    result = CliRunner().invoke(
        cli,
        [
            "isochrones",
            "--kind",
            "ems_station",
            "--facilities",
            str(fac),
            "--out",
            str(out2),
            "--network",
            str(tmp_path / "none.graphml.gz"),
        ],
    )
    assert result.exit_code == 1 and "not found" in result.output
    result = CliRunner().invoke(
        cli,
        ["isochrones", "--kind", "hospital", "--minutes", "x", "--facilities", str(fac), "--out", str(out2)],
    )
    assert result.exit_code == 2


def test_cli_isochrones_buffer(tmp_path: Path) -> None:
    from app.cli import cli

    fac = _facilities(tmp_path / "facilities.geojson")
    graph = save_graphml(graph_from_xml(OSM_DIR / "jinjiang_small.osm"), tmp_path / "g.graphml.gz")
    base = ["isochrones", "--kind", "hospital", "--minutes", "2", "--profile", "car"]
    base += ["--network", str(graph), "--facilities", str(fac)]
    areas = []
    for width in ("30", "150"):
        out = tmp_path / f"iso_{width}.geojson"
        result = CliRunner().invoke(cli, [*base, "--buffer-m", width, "--out", str(out)])
        assert result.exit_code == 0, result.output
        areas.append(float(gpd.read_file(out).to_crs(settings.WORKING_CRS).area.iloc[0]))
    assert areas[0] < areas[1]
    result = CliRunner().invoke(cli, [*base, "--buffer-m", "0", "--out", str(tmp_path / "x.geojson")])
    assert result.exit_code == 2
    assert "--buffer-m" in result.output and "positive number of metres" in result.output


def test_cli_isochrones_straight_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import analysis.datasets
    from app.cli import cli

    # No road graph in the (stand-in) data folder: the command must fall back to straight lines.
    shutil.copy(analysis.datasets.get_path("boundary"), tmp_path)  # the folder's own outline
    monkeypatch.setattr(analysis.datasets, "DATA_DIR", tmp_path)
    fac = _facilities(tmp_path / "facilities.geojson")
    out = tmp_path / "iso.geojson"
    result = CliRunner().invoke(
        cli,
        [
            "isochrones",
            "--kind",
            "ems_station",
            "--minutes",
            "5",
            "--profile",
            "ambulance",
            "--facilities",
            str(fac),
            "--out",
            str(out),
            "--include-planned",
        ],
    )
    assert result.exit_code == 0, result.output
    gdf = gpd.read_file(out)
    assert list(gdf["network_source"]) == [settings.STRAIGHT_LINE_SOURCE]
    assert list(gdf["direction"]) == ["from_sources"]


@pytest.mark.usefixtures("offline_osmnx")
def test_cli_network_fetch_offline(tmp_path: Path) -> None:
    from app.cli import cli

    boundary = tmp_path / "boundary.geojson"
    boundary.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(FETCH_POLYGON)}
                ],
            }
        ),
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    seed_overpass_cache(cache, FETCH_POLYGON, "drive")
    out = tmp_path / "net" / "g.graphml.gz"
    result = CliRunner().invoke(
        cli, ["network", "fetch", "--boundary", str(boundary), "--cache-dir", str(cache), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    G = load_graphml(out)
    assert G.number_of_edges() == 7


def test_walk_ignores_one_way_in_graph_built_here() -> None:
    G = make_graph(SQUARE_NODES, SQUARE_EDGES)
    assert isinstance(G, nx.MultiDiGraph)
    assert not G.has_edge("C", "B")


# --- one road filter, segment-wise speeds, node coordinates -------------------------------

RAW_EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
  <node id="1" lat="24.7800" lon="118.5500" version="1"/>
  <node id="2" lat="24.7800" lon="118.5510" version="1"/>
  <node id="3" lat="24.7800" lon="118.5520" version="1"/>
  <node id="4" lat="24.7800" lon="118.5530" version="1"/>
  <node id="5" lat="24.7800" lon="118.5540" version="1"/>
  <node id="6" lat="24.7810" lon="118.5500" version="1"/>
  <node id="7" lat="24.7810" lon="118.5510" version="1"/>
  <way id="1" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="service"/></way>
  <way id="2" version="1"><nd ref="3"/><nd ref="4"/><nd ref="5"/><tag k="highway" v="footway"/></way>
  <way id="3" version="1"><nd ref="1"/><nd ref="6"/><nd ref="7"/><nd ref="2"/><nd ref="1"/>
    <tag k="building" v="yes"/></way>
  <way id="4" version="1"><nd ref="6"/><nd ref="7"/><tag k="railway" v="rail"/></way>
  <way id="5" version="1"><nd ref="2"/><nd ref="7"/><tag k="landuse" v="residential"/></way>
  <way id="6" version="1"><nd ref="5"/><nd ref="7"/><tag k="highway" v="proposed"/></way>
</osm>
"""


def test_every_loader_keeps_roads_only_and_merges_segments_of_one_class(tmp_path: Path) -> None:
    osm = tmp_path / "raw.osm"
    osm.write_text(RAW_EXPORT, encoding="utf-8")
    import osmium

    pbf = tmp_path / "raw.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(osm)):
            (writer.add_node if isinstance(obj, osmium.osm.Node) else writer.add_way)(obj)
    for G in (graph_from_xml(osm), graph_from_pbf(pbf)):
        # buildings, railways, land use and proposed roads are not roads
        assert sorted(G.nodes) == [1, 3, 5]
        edges = {(u, v): d["highway"] for u, v, d in G.edges(data=True)}
        # the service road running on into a footway stays two edges, each of one class
        assert edges == {(1, 3): "service", (3, 1): "service", (3, 5): "footway", (5, 3): "footway"}
        model = NetworkTravel.from_graph(G)
        xy = model.node_xy
        ids = model.node_ids
        car = model.nearest(xy[[ids.index(1)]], xy[[ids.index(3), ids.index(5)]], profile="car")
        service_m = next(d["length"] for u, v, d in G.edges(data=True) if (u, v) == (1, 3))
        # cars drive the service road; the footway's far end is off their network (its leg is walked in)
        np.testing.assert_allclose(car.minutes[0], service_m / (15 / 3.6) / 60)
        assert car.snap_distance_m[1] > 100.0


def test_nodes_without_coordinates_are_named(tmp_path: Path) -> None:
    G = make_graph(SQUARE_NODES, SQUARE_EDGES)
    del G.nodes["B"]["x"]
    with pytest.raises(NetworkError, match=r"node 'B'.*'x'"):
        NetworkTravel.from_graph(G)
    # GraphML files (osmnx reads node ids as integers)
    numbered = {i: SQUARE_NODES[k] for i, k in enumerate("ABCD")}
    edges = [("ABCD".index(u), "ABCD".index(v), *rest) for u, v, *rest in SQUARE_EDGES]
    G = make_graph(numbered, edges)
    G.nodes[2]["y"] = float("nan")
    path = save_graphml(G, tmp_path / "nan.graphml")
    with pytest.raises(NetworkError, match=r"node 2 in .*nan\.graphml.*'y'"):
        load_graphml(path)
    G = make_graph(numbered, edges)
    del G.nodes[3]["x"]
    path = save_graphml(G, tmp_path / "missing.graphml.gz")
    with pytest.raises(NetworkError, match=r"node 3 in .*missing\.graphml\.gz.*'x'"):
        load_graphml(path)
