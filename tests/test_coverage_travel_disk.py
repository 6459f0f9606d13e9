"""Travel answers shared through a folder: whole or absent, bounded, and the same documents as fresh runs."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis.coverage import CoverageOptions, run_coverage
from analysis.coverage.travel_cache import remembering, share_on_disk
from analysis.coverage.travel_disk import DiskAnswers
from tests.test_coverage import WORKING, X0, Y0, LineTravel, make_inputs


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, allow_nan=False)


def test_an_answer_comes_back_whole_read_only_and_only_for_its_identity(tmp_path: Path) -> None:
    disk = DiskAnswers(tmp_path, identity="roads-1", max_bytes=10_000_000)
    key = ("nearest", "car", "to_sources", None, b"sources", b"targets")
    minutes, index = np.array([1.5, np.inf, 3.0]), np.array([0, -1, 2], dtype=np.int64)
    assert disk.load(key, 2) is None
    disk.save(key, (minutes, index))
    back = disk.load(key, 2)
    assert back is not None
    np.testing.assert_array_equal(back[0], minutes)
    np.testing.assert_array_equal(back[1], index)
    assert back[1].dtype == np.int64 and not back[0].flags.writeable
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp-")]  # written whole, then moved
    assert DiskAnswers(tmp_path, identity="roads-2", max_bytes=10_000_000).load(key, 2) is None
    assert disk.load((*key[:-1], b"other targets"), 2) is None


def test_a_damaged_answer_is_computed_again_never_used(tmp_path: Path) -> None:
    disk = DiskAnswers(tmp_path, identity="roads", max_bytes=10_000_000)
    disk.save(("snap", "walk", b"cells"), (np.arange(4.0),))
    (part,) = list(tmp_path.glob("*.npy"))
    part.write_bytes(b"not an array")
    assert disk.load(("snap", "walk", b"cells"), 1) is None


def test_the_folder_is_bounded_least_recently_used_first(tmp_path: Path) -> None:
    one_answer = np.zeros(1000)  # 8,000 bytes + header
    disk = DiskAnswers(tmp_path, identity="roads", max_bytes=20_000)
    keys = [("snap", "walk", bytes([i])) for i in range(3)]
    disk.save(keys[0], (one_answer,))
    disk.save(keys[1], (one_answer,))
    os.utime(next(tmp_path.glob("*.npy")), (1, 1))  # make one answer old by hand
    old = [k for k in keys[:2] if os.stat(disk._part(disk._name(k), 0)).st_mtime == 1]
    disk.save(keys[2], (one_answer,))
    assert sum(p.stat().st_size for p in tmp_path.glob("*.npy")) <= 20_000
    assert disk.load(old[0], 1) is None
    assert disk.load(keys[2], 1) is not None


def test_another_process_reads_the_answers_and_writes_the_same_document(tmp_path: Path) -> None:
    # two models on the same roads stand for two worker processes sharing the folder
    first, second = LineTravel(), LineTravel()
    share_on_disk(first, tmp_path, identity="line", max_bytes=100_000_000)
    share_on_disk(second, tmp_path, identity="line", max_bytes=100_000_000)
    options = CoverageOptions(include_planned=True)
    computed = run_coverage(make_inputs(), first, options=options).document
    assert first.calls
    read = run_coverage(make_inputs(), second, options=CoverageOptions(include_planned=True, minutes=10))
    assert second.calls == []  # every travel answer came from the folder
    fresh = run_coverage(
        make_inputs(), LineTravel(), options=CoverageOptions(include_planned=True, minutes=10)
    )
    assert _json(read.document) == _json(fresh.document)
    assert _json(computed) == _json(run_coverage(make_inputs(), LineTravel(), options=options).document)
    assert remembering(second).disk.reads > 0  # type: ignore[attr-defined]


def _road_model() -> Any:
    import networkx as nx

    from analysis.travel import NetworkTravel

    graph: nx.MultiDiGraph = nx.MultiDiGraph(crs=WORKING)
    xs = list(range(0, 10001, 500))
    for x in xs:
        graph.add_node(x, x=X0 + x, y=Y0 + 20.0)
    for a, b in itertools.pairwise(xs):
        for u, v in ((a, b), (b, a)):
            graph.add_edge(u, v, highway="residential", length=500.0, oneway=False)
    return NetworkTravel.from_graph(graph, crs=WORKING, network_source="test road")


@pytest.mark.parametrize(
    "change", [{"minutes": 10.0}, {"dispatch_minutes": 7.5}, {"aed_walk_radius_m": 150.0}]
)
def test_road_network_cached_and_uncached_documents_are_identical(tmp_path: Path, change: dict) -> None:
    model = _road_model()
    share_on_disk(model, tmp_path, identity="road", max_bytes=100_000_000)
    cold = run_coverage(make_inputs(), model).document
    warm = run_coverage(make_inputs(), model).document
    assert _json(cold) == _json(warm)
    assert _json(cold) == _json(run_coverage(make_inputs(), _road_model()).document)
    # only a threshold changed: answered from memory, the same as a fresh model with that threshold
    changed = run_coverage(make_inputs(), model, options=CoverageOptions(**change)).document
    fresh = run_coverage(make_inputs(), _road_model(), options=CoverageOptions(**change)).document
    assert _json(changed) == _json(fresh)
    assert _json(changed) != _json(cold)
    # and from the folder, in a model that has asked nothing yet
    other = _road_model()
    share_on_disk(other, tmp_path, identity="road", max_bytes=100_000_000)
    assert _json(run_coverage(make_inputs(), other, options=CoverageOptions(**change)).document) == _json(
        fresh
    )
    assert remembering(other).misses == 0  # type: ignore[attr-defined]
