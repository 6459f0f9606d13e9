"""Pieces of the engine's travel questions, against brute force."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from analysis.travel.queries import same_road_pairs

roads = arrays(np.int64, st.integers(0, 40), elements=st.integers(-1, 12))


@settings(max_examples=200, deadline=None)
@given(source_road=roads, target_road=roads)
def test_same_road_pairs_are_every_pair_on_one_road_ordered_by_target(
    source_road: np.ndarray, target_road: np.ndarray
) -> None:
    si, ti = same_road_pairs(source_road, target_road)
    # by target, then sources in road order (ties in input order): what a scan of every pair gives
    order = np.argsort(source_road, kind="stable")
    expected = [
        (int(s), t)
        for t in range(len(target_road))
        for s in order
        if target_road[t] >= 0 and source_road[s] == target_road[t]
    ]
    assert list(zip(si.tolist(), ti.tolist(), strict=True)) == expected
    assert si.dtype.kind == "i" and ti.dtype.kind == "i"


def test_same_road_pairs_worked_by_hand() -> None:
    si, ti = same_road_pairs(np.array([3, -1, 5, 3]), np.array([3, 4, -1, 5, 3]))
    assert si.tolist() == [0, 3, 2, 0, 3]
    assert ti.tolist() == [0, 0, 3, 4, 4]
