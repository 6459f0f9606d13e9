"""The prepared network store: same answers as the graph, rebuilt on change, never used when damaged."""

# A road graph is `G`, as in osmnx and networkx.
# ruff: noqa: N806

from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from analysis import settings
from analysis.coverage import CoverageOptions, run_coverage
from analysis.errors import NetworkError
from analysis.network import graph_from_pbf, load_graphml, save_graphml
from analysis.travel import NetworkTravel
from analysis.travel.loading import load_network_travel
from analysis.travel.store import STORE_FORMAT, file_sha256, read_store, store_key, store_path
from tests.test_coverage import WORKING, X0, Y0, make_inputs

KOUVOLA = Path(__file__).parent / "data" / "osm" / "kouvola.osm.pbf"
CRS = "EPSG:32635"


@pytest.fixture(scope="module")
def kouvola_graphml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_graphml(graph_from_pbf(KOUVOLA), tmp_path_factory.mktemp("store") / "roads.graphml.gz")


def points(model: NetworkTravel, n: int, seed: int) -> np.ndarray:
    xy = model.node_xy
    rng = np.random.default_rng(seed)
    return np.column_stack(
        [rng.uniform(xy[:, 0].min(), xy[:, 0].max(), n), rng.uniform(xy[:, 1].min(), xy[:, 1].max(), n)]
    )


def copy_graph(src: Path, dst_dir: Path) -> Path:
    dst = dst_dir / src.name
    dst.write_bytes(src.read_bytes())
    return dst


def test_store_gives_the_same_answers_as_the_graph(kouvola_graphml: Path, tmp_path: Path) -> None:
    path = copy_graph(kouvola_graphml, tmp_path)
    fresh = NetworkTravel.from_graph(load_graphml(path), crs=CRS)
    first = load_network_travel(path, crs=CRS)  # builds and writes the store
    assert store_path(path).is_file()
    stored = load_network_travel(path, crs=CRS)  # reads it
    assert "highway" not in stored._arrays  # no graph behind it
    s, t = points(fresh, 8, 1), points(fresh, 50, 2)
    for profile in settings.PROFILES:
        for direction in ("from_sources", "to_sources"):
            expected = fresh.matrix(s, t, profile=profile, direction=direction)
            np.testing.assert_array_equal(first.matrix(s, t, profile=profile, direction=direction), expected)
            np.testing.assert_array_equal(stored.matrix(s, t, profile=profile, direction=direction), expected)
        a = fresh.nearest_distance_m(s, t, profile=profile)
        b = stored.nearest_distance_m(s, t, profile=profile)
        np.testing.assert_array_equal(a[0], b[0])
    iso_a = fresh.isochrones(s[:2], profile="car", minutes=[3, 6]).to_crs(CRS)
    iso_b = stored.isochrones(s[:2], profile="car", minutes=[3, 6]).to_crs(CRS)
    np.testing.assert_array_equal(iso_a.geometry.area.to_numpy(), iso_b.geometry.area.to_numpy())
    # car and ambulance open the same roads: one copy of the structure
    assert stored._profiles["car"].topology is stored._profiles["ambulance"].topology


def test_store_is_rebuilt_when_the_graph_or_the_speeds_change(
    kouvola_graphml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = copy_graph(kouvola_graphml, tmp_path)
    model = load_network_travel(path, crs=CRS)
    s, t = points(model, 5, 3), points(model, 30, 4)
    before = model.matrix(s, t, profile="car")
    # faster residential streets: a new key, a rebuilt store, new times
    monkeypatch.setitem(
        settings.SPEED_KMH_BY_HIGHWAY,
        "residential",
        {**settings.SPEED_KMH_BY_HIGHWAY["residential"], "car": 50.0},
    )
    with caplog.at_level(logging.INFO, logger="analysis.travel.loading"):
        faster = load_network_travel(path, crs=CRS)
    assert any("other settings" in r.getMessage() for r in caplog.records)
    after = faster.matrix(s, t, profile="car")
    assert (after <= before).all() and (after < before).any()
    np.testing.assert_array_equal(
        after, NetworkTravel.from_graph(load_graphml(path), crs=CRS).matrix(s, t, profile="car")
    )
    monkeypatch.undo()
    # another graph in the same file: a new key again
    G = load_graphml(path)
    G.remove_edges_from(list(G.edges(keys=True))[: G.number_of_edges() // 3])
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    save_graphml(G, path)
    key = store_key(file_sha256(path), crs=CRS)
    assert read_store(store_path(path), key=key) is None
    changed = load_network_travel(path, crs=CRS)
    assert read_store(store_path(path), key=key) is not None
    assert len(changed.node_ids) == len(G)


def test_a_damaged_store_is_never_used(
    kouvola_graphml: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = copy_graph(kouvola_graphml, tmp_path)
    good = load_network_travel(path, crs=CRS)
    target = store_path(path)
    key = store_key(file_sha256(path), crs=CRS)
    raw = target.read_bytes()
    target.write_bytes(raw[: len(raw) // 2])  # cut short
    with pytest.raises(NetworkError, match=r"damaged or incomplete.*not used"):
        read_store(target, key=key)
    with caplog.at_level(logging.WARNING, logger="analysis.travel.loading"):
        rebuilt = load_network_travel(path, crs=CRS)
    assert any("Rebuilding" in r.getMessage() for r in caplog.records)
    s, t = points(good, 4, 5), points(good, 20, 6)
    np.testing.assert_array_equal(rebuilt.matrix(s, t, profile="walk"), good.matrix(s, t, profile="walk"))
    assert read_store(target, key=key) is not None  # rewritten whole
    # a store whose arrays point outside the graph is refused too
    with np.load(target) as z:
        data = {k: z[k] for k in z.files}
    meta = json.loads(str(data["meta"]))
    t0 = int(data[f"{meta['profiles'][0]}_topology"])
    data[f"topology{t0}_edge_u"] = data[f"topology{t0}_edge_u"] + 10**6
    with target.open("wb") as fh:
        np.savez(fh, **data)
    with pytest.raises(NetworkError, match="inconsistent"):
        read_store(target, key=key)


def test_coverage_documents_are_the_same_from_the_store(tmp_path: Path) -> None:
    G: nx.MultiDiGraph = nx.MultiDiGraph(crs=WORKING)
    xs = list(range(0, 10001, 500))
    for x in xs:
        G.add_node(x, x=X0 + x, y=Y0 + 30.0)
    for a, b in itertools.pairwise(xs):
        for u, v in ((a, b), (b, a)):
            G.add_edge(u, v, highway="residential", length=500.0, oneway=False)
    path = save_graphml(G, tmp_path / "line.graphml")
    fresh = NetworkTravel.from_graph(load_graphml(path), crs=WORKING, network_source="test road")
    load_network_travel(path, crs=WORKING)
    stored = load_network_travel(path, crs=WORKING)
    stored.network_source = fresh.network_source = "test road"
    options = CoverageOptions(profile="car")
    from_store = run_coverage(make_inputs(), stored, options=options).document
    assert from_store == run_coverage(make_inputs(), fresh, options=options).document
    # the second run is answered from remembered travel, with the same document
    assert run_coverage(make_inputs(), stored, options=options).document == from_store
    other = CoverageOptions(profile="car", minutes=10, dispatch_minutes=4)
    new = NetworkTravel.from_graph(load_graphml(path), crs=WORKING, network_source="test road")
    assert run_coverage(make_inputs(), stored, options=other).document == (
        run_coverage(make_inputs(), new, options=other).document
    )


def test_store_keeps_indices_small_and_equal_arrays_once(kouvola_graphml: Path, tmp_path: Path) -> None:
    path = copy_graph(kouvola_graphml, tmp_path)
    load_network_travel(path, crs=CRS)
    key = store_key(file_sha256(path), crs=CRS)
    with np.load(store_path(path)) as z:
        meta = json.loads(str(z["meta"]))
        files = set(z.files)
        assert z["topology0_edge_u"].dtype == np.int32
        assert z["topology0_road_offsets"].dtype == np.int32
        assert z["x"].dtype == np.float64 and z["topology0_road_coords"].dtype == np.float64
    assert meta["format"] == STORE_FORMAT == 2
    # car and ambulance drive the same roads: their metre arrays are written once
    assert ("car_forward_m_data" in files) != ("ambulance_forward_m_data" in files)
    assert set(meta["same_as"].values()) <= files
    stored = read_store(store_path(path), key=key)
    assert stored is not None
    car, ambulance = stored["profiles"]["car"], stored["profiles"]["ambulance"]
    assert car.forward_m is ambulance.forward_m  # one array in memory, not two
    assert car.road_fwd_m is ambulance.road_fwd_m
    # no road shape is built on reading, nor by a query that only snaps and routes
    model = NetworkTravel.from_prepared(stored)
    s, t = points(model, 3, 7), points(model, 40, 8)
    model.nearest(s, t, profile="car")
    assert model._arrays["geometry"]._built is None


def test_a_store_of_the_previous_format_is_rebuilt(
    kouvola_graphml: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = copy_graph(kouvola_graphml, tmp_path)
    good = load_network_travel(path, crs=CRS)
    target = store_path(path)
    with np.load(target) as z:
        data = {k: z[k] for k in z.files}
    meta = json.loads(str(data["meta"]))
    meta["format"] = 1
    data["meta"] = np.array(json.dumps(meta))
    with target.open("wb") as fh:
        np.savez(fh, **data)
    key = store_key(file_sha256(path), crs=CRS)
    assert read_store(target, key=key) is None
    with caplog.at_level(logging.INFO, logger="analysis.travel.loading"):
        rebuilt = load_network_travel(path, crs=CRS)
    assert any("other settings" in r.getMessage() for r in caplog.records)
    assert read_store(target, key=key) is not None
    s, t = points(good, 4, 9), points(good, 20, 10)
    np.testing.assert_array_equal(rebuilt.matrix(s, t, profile="car"), good.matrix(s, t, profile="car"))


def test_a_store_naming_a_missing_array_is_refused(kouvola_graphml: Path, tmp_path: Path) -> None:
    path = copy_graph(kouvola_graphml, tmp_path)
    load_network_travel(path, crs=CRS)
    target = store_path(path)
    with np.load(target) as z:
        data = {k: z[k] for k in z.files}
    meta = json.loads(str(data["meta"]))
    alias, original = next(iter(meta["same_as"].items()))
    del data[original]
    with target.open("wb") as fh:
        np.savez(fh, **data)
    with pytest.raises(NetworkError, match="not used"):
        read_store(target, key=store_key(file_sha256(path), crs=CRS))
    assert alias


def test_a_loaded_engine_has_its_nearest_road_indices_built(kouvola_graphml: Path, tmp_path: Path) -> None:
    from analysis.travel.loading import load_network_travel

    graph = copy_graph(kouvola_graphml, tmp_path)
    for use_store in (True, True, False):  # writes the store, reads it, then without it
        model = load_network_travel(graph, crs=CRS, use_store=use_store)
        for profile in ("walk", "car"):
            index = model._profile(profile).topology.__dict__.get("segments")
            assert index is not None and "_samples" in index.__dict__
    lazy = load_network_travel(graph, crs=CRS, index_roads=False)
    assert "segments" not in lazy._profile("car").topology.__dict__
