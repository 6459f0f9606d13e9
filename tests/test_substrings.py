"""Parts of many lines at once, against shapely's one-line substring."""

from __future__ import annotations

import numpy as np
import shapely
import shapely.ops
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from analysis.travel.substrings import substrings


def test_hand_worked_parts() -> None:
    line = shapely.LineString([(0, 0), (100, 0), (100, 100)])  # 200 m, a bend half way
    parts = substrings(
        np.array([line, line, line, line], dtype=object),
        np.array([0.0, 0.25, 0.5, 0.3]),
        np.array([1.0, 0.75, 0.5, 0.4]),
    )
    assert parts[0].equals(line)
    assert list(parts[1].coords) == [(50.0, 0.0), (100.0, 0.0), (100.0, 50.0)]
    assert list(parts[2].coords) == [(100.0, 0.0), (100.0, 0.0)]  # no length: two equal points
    assert list(parts[3].coords) == [(60.0, 0.0), (80.0, 0.0)]


# coordinates to the micrometre, as roads are drawn: a segment 1e-190 m long makes GEOS's own
# distances divide by zero
metres = st.floats(-500, 500).map(lambda v: round(v, 6))
lines = st.lists(st.tuples(metres, metres), min_size=2, max_size=6, unique=True).map(shapely.LineString)


@hsettings(max_examples=60, deadline=None)
@given(
    parts=st.lists(
        st.tuples(lines, st.floats(0, 1), st.floats(0, 1)).map(lambda t: (t[0], min(t[1:]), max(t[1:]))),
        min_size=1,
        max_size=8,
    )
)
def test_equals_shapely_substring(parts: list[tuple[shapely.LineString, float, float]]) -> None:
    geoms = np.array([p[0] for p in parts], dtype=object)
    lo = np.array([p[1] for p in parts])
    hi = np.array([p[2] for p in parts])
    before = shapely.to_wkb(geoms)
    got = substrings(geoms, lo, hi)
    assert list(shapely.to_wkb(geoms)) == list(before)  # inputs untouched
    for (line, a, b), part in zip(parts, got, strict=True):
        expected = shapely.ops.substring(line, a, b, normalized=True)
        assert abs(part.length - expected.length) < 1e-6
        assert shapely.hausdorff_distance(part, expected) < 1e-6
        np.testing.assert_allclose(part.coords[0], shapely.get_coordinates(expected)[0], atol=1e-6)
        np.testing.assert_allclose(part.coords[-1], shapely.get_coordinates(expected)[-1], atol=1e-6)


def test_no_lines() -> None:
    assert len(substrings(np.empty(0, dtype=object), np.empty(0), np.empty(0))) == 0
