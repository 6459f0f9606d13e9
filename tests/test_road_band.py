"""The band around road pieces, built from the blocks they enclose: hand-worked areas and a reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from analysis.travel.road_band import road_band

R = 75.0


def edge_tol_m(buffer_m: float) -> float:
    """How far the two ways of drawing a band may differ at its edge: arcs are drawn as chords
    (4 per quarter circle, up to 1 − cos 11.25° = 1.9 % of the radius inside), the blocks' cores
    by inward buffers whose chords fall the other way, and GEOS simplifies what it buffers by 1 %
    of the distance; 5 % of the distance bounds the sum."""
    return 0.05 * buffer_m + 0.05


#: Area of the 16-gon drawn for a circle of radius R (its corners on the circle), and of the true circle.
DISC_16 = 8.0 * math.sin(math.pi / 8.0) * R**2
DISC = math.pi * R**2


def reference_band(pieces: np.ndarray, buffer_m: float) -> shapely.Geometry:
    """The straightforward band: buffer every piece, union them all."""
    return shapely.union_all(shapely.buffer(np.asarray(pieces, dtype=object), buffer_m, quad_segs=4))


def band_edge(pieces: np.ndarray, buffer_m: float) -> tuple[shapely.Geometry, shapely.Geometry]:
    """Places within buffer_m + tolerance of the pieces, and those of them not within buffer_m − tolerance
    (drawn with fine arcs, 16 chords per quarter circle, so their own error is 0.12 % of the distance)."""
    geoms = np.asarray(pieces, dtype=object)
    tol = edge_tol_m(buffer_m)
    outer = shapely.union_all(shapely.buffer(geoms, buffer_m + tol, quad_segs=16))
    inner = shapely.union_all(shapely.buffer(geoms, buffer_m - tol, quad_segs=16))
    return outer, shapely.difference(outer, inner)


def assert_same_band(pieces: np.ndarray, buffer_m: float) -> shapely.Geometry:
    """The band equals the reference: area within 1 %, differences only at the band's edge."""
    band = road_band(pieces, buffer_m)
    ref = reference_band(pieces, buffer_m)
    assert band.is_valid
    assert band.area == pytest.approx(ref.area, rel=0.01)
    # nothing beyond the band (plus the arcs' tolerance) and nothing missed well inside it
    outer, edge = band_edge(pieces, buffer_m)
    assert shapely.difference(band, outer).area < 1e-6
    assert shapely.difference(shapely.symmetric_difference(band, ref), edge).area < 1e-6
    return band


def square(x0: float, y0: float, side: float) -> list[shapely.LineString]:
    """The four sides of a square block, as separate streets."""
    c = [(x0, y0), (x0 + side, y0), (x0 + side, y0 + side), (x0, y0 + side)]
    return [shapely.LineString([c[i], c[(i + 1) % 4]]) for i in range(4)]


def test_a_small_block_is_filled_and_grown() -> None:
    pieces = np.array(square(0.0, 0.0, 100.0), dtype=object)
    band = assert_same_band(pieces, R)
    # every point of a 100 m block is within 50 m of a side: no hole; grown by 75 m with round corners
    assert shapely.get_num_interior_rings(band) == 0
    # the four round corners make one circle: hand-worked with the drawn 16-gon, below the true area
    assert band.area == pytest.approx((100.0 + 2 * R) ** 2 - 4.0 * R**2 + DISC_16, rel=1e-6)
    assert band.area < (100.0 + 2 * R) ** 2 - 4.0 * R**2 + DISC


def test_a_wide_block_keeps_its_core_out() -> None:
    pieces = np.array(square(0.0, 0.0, 400.0), dtype=object)
    band = assert_same_band(pieces, R)
    # the block's core, more than 75 m from every side, is a 250 m square hole
    assert shapely.get_num_interior_rings(band) == 1
    assert band.area == pytest.approx((400.0 + 2 * R) ** 2 - 4.0 * R**2 + DISC_16 - 250.0**2, rel=1e-6)
    assert not band.contains(shapely.Point(200.0, 200.0))
    assert band.contains(shapely.Point(200.0, 80.0)) is False
    assert band.contains(shapely.Point(200.0, 70.0))


def test_a_dead_end_inside_a_block_reaches_into_its_core() -> None:
    spur = shapely.LineString([(200.0, 0.0), (200.0, 200.0)])
    pieces = np.array([*square(0.0, 0.0, 400.0), spur, shapely.Point(200.0, 200.0)], dtype=object)
    band = assert_same_band(pieces, R)
    assert band.contains(shapely.Point(200.0, 260.0))  # 60 m beyond the dead end
    assert band.contains(shapely.Point(140.0, 150.0))  # 60 m beside it
    assert not band.contains(shapely.Point(200.0, 290.0))  # 90 m beyond it, 110 m from the sides


def test_pieces_outside_the_blocks_and_a_lone_source() -> None:
    pieces = np.array(
        [
            *square(0.0, 0.0, 100.0),
            shapely.LineString([(100.0, 100.0), (300.0, 250.0)]),  # a road leaving the block
            shapely.LineString([(300.0, 250.0), (300.0, 400.0)]),  # and on from its end
            shapely.Point(1000.0, 1000.0),  # a source far from every road
        ],
        dtype=object,
    )
    band = assert_same_band(pieces, R)
    assert band.contains(shapely.Point(300.0, 460.0))
    assert band.contains(shapely.Point(1000.0, 1070.0))
    assert band.geom_type == "MultiPolygon"


def test_no_pieces_no_area_and_inputs_untouched() -> None:
    assert road_band(np.empty(0, dtype=object), R).is_empty
    pieces = np.array(square(0.0, 0.0, 200.0), dtype=object)
    before = shapely.to_wkb(pieces)
    first = road_band(pieces, R)
    assert list(shapely.to_wkb(pieces)) == list(before)
    # the same pieces give the same polygon, vertex for vertex
    assert shapely.to_wkb(road_band(pieces, R)) == shapely.to_wkb(first)


def test_a_street_reached_from_both_ends_leaves_no_sliver() -> None:
    # two partial pieces of one street meeting a rounding error apart, around a block
    pieces = np.array(
        [
            *square(0.0, 0.0, 100.0)[1:],
            shapely.LineString([(0.0, 0.0), (50.0, 1e-10)]),
            shapely.LineString([(100.0, 0.0), (50.0, 0.0)]),
        ],
        dtype=object,
    )
    assert_same_band(pieces, R)


@st.composite
def street_grids(draw: st.DrawFn) -> np.ndarray:
    """Pieces of a jittered street grid: whole streets, partly reached ones and a few curved ones."""
    n = draw(st.integers(2, 6))
    spacing = draw(st.sampled_from([60.0, 120.0, 260.0]))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    xy = np.stack(np.meshgrid(np.arange(n), np.arange(n)), axis=-1).reshape(-1, 2) * spacing
    xy = xy + rng.uniform(-0.3, 0.3, xy.shape) * spacing
    idx = np.arange(n * n).reshape(n, n)
    pairs = [(a, b) for a, b in zip(idx[:, :-1].ravel(), idx[:, 1:].ravel(), strict=True)]
    pairs += [(a, b) for a, b in zip(idx[:-1, :].ravel(), idx[1:, :].ravel(), strict=True)]
    out: list[shapely.Geometry] = []
    for a, b in pairs:
        kind = rng.random()
        if kind < 0.15:
            continue  # a missing street
        p, q = xy[a], xy[b]
        if kind < 0.35:
            q = p + rng.uniform(0.1, 0.9) * (q - p)  # reached part way
        if kind > 0.9:
            mid = (p + q) / 2 + rng.uniform(-0.2, 0.2, 2) * spacing
            out.append(shapely.LineString([p, mid, q]))
        else:
            out.append(shapely.LineString([p, q]))
    out.append(shapely.Point(xy[0]))
    return np.array(out, dtype=object)


@hsettings(max_examples=40, deadline=None)
@given(pieces=street_grids(), buffer_m=st.sampled_from([20.0, 75.0, 150.0]))
def test_equals_the_reference_on_street_grids(pieces: np.ndarray, buffer_m: float) -> None:
    assert_same_band(pieces, buffer_m)
