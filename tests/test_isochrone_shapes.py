"""Network isochrone shapes: the engine's bands against buffering every reached piece, and ``buffer_m``."""

# A road graph is `G`, as in osmnx and networkx.
# ruff: noqa: N806

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
import shapely

import analysis.travel.engine as engine_module
from analysis import settings
from analysis.errors import ParameterError
from analysis.network import graph_from_pbf
from analysis.travel import NetworkTravel
from analysis.travel.isochrone_shapes import reach_pieces
from benchmarks.travel import synthetic_graph
from tests.test_road_band import band_edge

KOUVOLA = Path(__file__).parent / "data" / "osm" / "kouvola.osm.pbf"
KOUVOLA_CRS = "EPSG:32635"

#: Reached pieces of every shape drawn while a test runs, with the buffer asked for.
Drawn = list[tuple[np.ndarray, float]]


def reference_shape(
    *args: Any, buffer_m: float, edges: Any = None, faces: Any = None, **kwargs: Any
) -> shapely.Geometry:
    """The straightforward shape: every reached piece buffered, all unioned."""
    del edges, faces  # hints only; the reference looks at every edge
    pieces = reach_pieces(*args, **kwargs)
    return shapely.union_all(shapely.buffer(pieces, buffer_m, quad_segs=4))


def both_ways(model: NetworkTravel, xy: np.ndarray, **kwargs: Any) -> tuple[np.ndarray, np.ndarray, Drawn]:
    """The engine's shapes, the reference's, and the pieces each shape was drawn from."""
    drawn: Drawn = []
    real = engine_module.reach_shape

    def spy(*args: Any, buffer_m: float, edges: Any = None, faces: Any = None, **kw: Any) -> shapely.Geometry:
        drawn.append((reach_pieces(*args, **kw), buffer_m))
        return real(*args, buffer_m=buffer_m, edges=edges, faces=faces, **kw)

    with mock.patch.object(engine_module, "reach_shape", spy):
        new = model.isochrones(xy, **kwargs).to_crs(model.crs).geometry.to_numpy()
    with mock.patch.object(engine_module, "reach_shape", reference_shape):
        ref = model.isochrones(xy, **kwargs).to_crs(model.crs).geometry.to_numpy()
    return new, ref, drawn


def assert_same_shapes(new: np.ndarray, ref: np.ndarray, drawn: Drawn) -> None:
    """Area within 1 % shape by shape; nothing beyond the band; differences only at its edge."""
    assert len(new) == len(ref) == len(drawn) > 0
    for shape, expected, (pieces, width) in zip(new, ref, drawn, strict=True):
        assert shape.is_valid and not shape.is_empty
        assert shape.area == pytest.approx(expected.area, rel=0.01)
        # the WGS-84 round trip moves vertices by far less than a millimetre
        outer, edge = band_edge(pieces, width)
        assert shapely.difference(shape, outer).area < 1e-3
        assert shapely.difference(shapely.symmetric_difference(shape, expected), edge).area < 1e-3


@pytest.fixture(params=["network blocks", "own blocks"])
def blocks(request: pytest.FixtureRequest) -> Any:
    """Shapes grown from the network's blocks (found once), or from each shape's own."""
    if request.param == "network blocks":
        pick = lambda pg, reached: pg.topology.faces  # noqa: E731
    else:
        pick = lambda pg, reached: None  # noqa: E731
    with mock.patch.object(engine_module, "network_blocks", pick):
        yield request.param


def test_grid_bands_equal_buffering_every_piece(blocks: str) -> None:
    G = synthetic_graph(30, 30, seed=3)
    model = NetworkTravel.from_graph(G)
    rng = np.random.default_rng(4)
    lo, hi = model.node_xy.min(axis=0), model.node_xy.max(axis=0)
    xy = np.vstack([model.node_xy[[10, 455]], rng.uniform(lo, hi, size=(2, 2))])
    for direction in ("from_sources", "to_sources"):
        new, ref, drawn = both_ways(model, xy, profile="car", minutes=[1, 2.5], direction=direction)
        assert_same_shapes(new, ref, drawn)
    new, ref, drawn = both_ways(model, xy[:2], profile="walk", minutes=[5, 15], buffer_m=40.0)
    assert_same_shapes(new, ref, drawn)


def test_same_request_same_polygons_whatever_came_before() -> None:
    G = synthetic_graph(30, 30, seed=3)
    xy = NetworkTravel.from_graph(G).node_xy[[10, 455]]
    fresh = NetworkTravel.from_graph(G).isochrones(xy, profile="walk", minutes=[2, 5])
    served = NetworkTravel.from_graph(G)
    served.isochrones(xy, profile="walk", minutes=[30])  # reaches most roads: finds the network's blocks
    assert served._profile("walk").topology.found_faces() is not None
    again = served.isochrones(xy, profile="walk", minutes=[2, 5])
    assert list(shapely.to_wkb(again.geometry.to_numpy())) == list(shapely.to_wkb(fresh.geometry.to_numpy()))
    # and a request reaching many roads, in two engines, the blocks found before or not
    big = NetworkTravel.from_graph(G).isochrones(xy, profile="walk", minutes=[20, 30])
    big_again = served.isochrones(xy, profile="walk", minutes=[20, 30])
    assert list(shapely.to_wkb(big_again.geometry.to_numpy())) == list(shapely.to_wkb(big.geometry.values))


@pytest.fixture(scope="module")
def kouvola() -> NetworkTravel:
    return NetworkTravel.from_graph(graph_from_pbf(KOUVOLA), crs=KOUVOLA_CRS)


def test_real_roads_bands_equal_buffering_every_piece(kouvola: NetworkTravel, blocks: str) -> None:
    rng = np.random.default_rng(5)
    lo, hi = kouvola.node_xy.min(axis=0), kouvola.node_xy.max(axis=0)
    xy = rng.uniform(lo, hi, size=(4, 2))
    # most of the extract's roads carry their own curved geometry
    new, ref, drawn = both_ways(kouvola, xy, profile="walk", minutes=[5, 10, 15])
    assert_same_shapes(new, ref, drawn)
    new, ref, drawn = both_ways(kouvola, xy, profile="car", minutes=[2, 4], direction="to_sources")
    assert_same_shapes(new, ref, drawn)


def test_wider_buffer_wider_band(kouvola: NetworkTravel) -> None:
    xy = kouvola.node_xy[[100]]

    def area(**kwargs: Any) -> float:
        iso = kouvola.isochrones(xy, profile="walk", minutes=[10], **kwargs)
        return float(iso.to_crs(KOUVOLA_CRS).area.iloc[0])

    areas = [area(buffer_m=b) for b in (25.0, settings.ISOCHRONE_BUFFER_M, 150.0)]
    assert areas[0] < areas[1] < areas[2]
    assert area() == pytest.approx(areas[1], rel=1e-9)  # the default is settings.ISOCHRONE_BUFFER_M


@pytest.mark.parametrize("bad", [0.0, -5.0, float("nan"), float("inf"), "wide"])
def test_buffer_must_be_a_positive_distance(kouvola: NetworkTravel, bad: Any) -> None:
    with pytest.raises(ParameterError, match="buffer_m must be a positive number of metres"):
        kouvola.isochrones(kouvola.node_xy[[0]], profile="walk", minutes=[5], buffer_m=bad)
