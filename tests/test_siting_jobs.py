"""Siting budgets, labels, the job store and the job runner (SQLite in a temporary folder)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis.errors import ParameterError
from analysis.siting import MaximalCovering
from analysis.siting.budget import Budget
from analysis.siting.documents import solution_label
from analysis.siting.jobs import JobRunner, JobStore
from analysis.siting.request import normalise_request, request_key
from analysis.store import connect, fingerprint


def _hard_instance(seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Random covering instance that HiGHS proves in well under a second, but not at its first callback."""
    rng = np.random.default_rng(seed)
    n_demand, n_sites = 300, 80
    cost = np.where(rng.random((n_demand, n_sites)) < 0.05, 1.0, np.inf)
    return cost, rng.integers(1, 100, n_demand).astype(float)


def test_budget_rejects_nonsense() -> None:
    with pytest.raises(ParameterError, match="positive number of seconds"):
        Budget(0.0)
    with pytest.raises(ParameterError):
        Budget(float("nan"))


def test_budget_counts_from_creation() -> None:
    budget = Budget(10.0)
    time.sleep(0.05)
    assert 0.05 <= budget.elapsed() < 5.0
    assert budget.remaining() == pytest.approx(10.0 - budget.elapsed(), abs=0.01)


def test_stopped_solve_keeps_its_best_and_says_how_far_it_may_be() -> None:
    cost, weights = _hard_instance()
    seen: list[dict[str, Any]] = []
    budget = Budget(60.0, on_progress=seen.append)
    budget.stop.set()  # interrupt at the first callback: deterministic, no timing involved
    model = MaximalCovering.from_cost_matrix(cost, weights, threshold=1.0, p=6).solve(budget=budget)
    assert model.time_limited
    assert model.selected.size == 6
    # the greedy warm start is the incumbent at least: the bound is above it for a maximisation
    assert model.bound >= model.covered_population - 1e-6
    optimum = (
        MaximalCovering.from_cost_matrix(cost, weights, threshold=1.0, p=6)
        .solve(time_limit_s=60)
        .covered_population
    )
    assert model.covered_population < optimum  # the greedy start is not optimal here: the stop was real
    assert optimum <= model.bound + 1e-6  # stopped at the first callback the bound may still be +inf


def test_progress_reports_incumbent_bound_and_gap() -> None:
    cost, weights = _hard_instance(seed=3)
    seen: list[dict[str, Any]] = []
    budget = Budget(60.0, on_progress=seen.append)
    MaximalCovering.from_cost_matrix(cost, weights, threshold=1.0, p=6).solve(budget=budget)
    solving = [s for s in seen if s["phase"] == "solving"]
    assert solving, seen
    first = solving[0]
    assert first["objective"] == "covered population"
    assert first["incumbent"] is not None and first["incumbent"] > 0
    assert first["elapsed_seconds"] >= 0


def test_solution_labels() -> None:
    assert solution_label(optimal=True, seconds=0.4, gap_percent=0.0) == "最优解 proven optimal (in 0.4 s)"
    text = solution_label(optimal=False, seconds=3.04, gap_percent=3.857)
    assert text == "时限内最好解 best found in 3.0 s, within 3.86 % of optimal"
    assert "unknown" in solution_label(optimal=False, seconds=1.0, gap_percent=None)


def test_request_normalisation_and_key() -> None:
    a = normalise_request({"kind": "ems", "count": 3})
    b = normalise_request({"kind": "ems", "count": 3, "model": "mclp", "share": 0.5, "profile": None})
    assert a == b  # share only matters to lscp
    assert request_key(a, data_fingerprint="x") == request_key(b, data_fingerprint="x")
    assert request_key(a, data_fingerprint="x") != request_key(a, data_fingerprint="y")
    assert normalise_request({"kind": "ems", "model": "lscp", "count": 4})["count"] is None
    with pytest.raises(ParameterError, match="unknown kind"):
        normalise_request({"kind": "bus"})
    with pytest.raises(ParameterError, match="unknown siting request fields"):
        normalise_request({"kind": "ems", "colour": "red"})


def test_fingerprint_follows_the_files(tmp_path: Path) -> None:
    data = tmp_path / "county"
    data.mkdir()
    (data / "facilities.geojson").write_text("{}")
    before = fingerprint([data], extra=["v1"])
    assert fingerprint([data], extra=["v1"]) == before
    (data / "healthcircle.sqlite").write_text("the database itself does not count")
    assert fingerprint([data], extra=["v1"]) == before
    (data / "facilities.geojson").write_text('{"changed": true}')
    assert fingerprint([data], extra=["v1"]) != before
    assert fingerprint([data], extra=["v2"]) != fingerprint([data], extra=["v1"])


def test_database_is_wal(tmp_path: Path) -> None:
    JobStore(tmp_path / "db.sqlite")
    with connect(tmp_path / "db.sqlite") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_store_keeps_only_optimal_results_as_final(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "db.sqlite")
    job = store.create("k", {"kind": "ems"}, budget_seconds=5)
    assert job.status == "queued" and store.active("k") == job
    store.mark_running(job.id)
    store.set_progress(job.id, {"phase": "solving", "gap_percent": 4.0})
    store.finish(job.id, {"optimal": False, "sites": [1]})
    assert store.final_result("k") is None  # a time-limited answer is never the answer of its key
    assert store.get(job.id).result == {"optimal": False, "sites": [1]}  # type: ignore[union-attr]
    assert store.latest_done("k").id == job.id  # type: ignore[union-attr]
    second = store.create("k", {"kind": "ems"}, budget_seconds=5)
    store.finish(second.id, {"optimal": True, "sites": [2]})
    assert store.final_result("k") == {"optimal": True, "sites": [2]}
    # reopened from the file, everything is still there
    again = JobStore(tmp_path / "db.sqlite")
    assert again.get(job.id).progress == {"phase": "solving", "gap_percent": 4.0}  # type: ignore[union-attr]
    assert again.unfinished() == []


def test_store_rejects_an_unknown_status(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "db.sqlite")
    job = store.create("k", {}, budget_seconds=1)
    with pytest.raises(sqlite3.IntegrityError):
        store._set(job.id, status="lost")


def test_runner_runs_dedupes_and_continues(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "db.sqlite")
    release = threading.Event()
    calls: list[tuple[dict[str, Any], dict[str, Any] | None]] = []

    def compute(request: dict[str, Any], budget: Budget, earlier: dict[str, Any] | None) -> dict[str, Any]:
        calls.append((request, earlier))
        budget.report("solving", "working", gap_percent=1.0)
        release.wait(10)
        return {"optimal": False, "n": len(calls)}

    runner = JobRunner(store, compute)
    try:
        first = runner.submit("k", {"kind": "ems"}, budget_seconds=5)
        same = runner.submit("k", {"kind": "ems"}, budget_seconds=5)
        assert same.id == first.id  # one run per request at a time
        shorter = runner.submit("k", {"kind": "ems"}, budget_seconds=1)
        assert shorter.id == first.id  # a longer run answers a shorter request too
        longer = runner.submit("k", {"kind": "ems"}, budget_seconds=50)
        assert longer.id != first.id  # but never the other way round
        release.set()
        assert runner.wait(longer.id, 10).status == "done"  # type: ignore[union-attr]
        done = runner.wait(first.id, 10)
        assert done is not None and done.status == "done" and done.result == {"optimal": False, "n": 1}
        assert calls[0][1] is None
        assert done.progress is not None and done.progress["gap_percent"] == 1.0
        # a second run of the key continues from the first, time-limited result
        second = runner.submit("k", {"kind": "ems"}, budget_seconds=5)
        assert second.id != first.id
        assert runner.wait(second.id, 10).status == "done"  # type: ignore[union-attr]
        assert calls[-1][1] is not None and calls[-1][1]["optimal"] is False
    finally:
        runner.shutdown()


def test_runner_records_failures(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "db.sqlite")

    def compute(request: dict[str, Any], budget: Budget, earlier: dict[str, Any] | None) -> dict[str, Any]:
        msg = "count is required"
        raise ParameterError(msg)

    runner = JobRunner(store, compute)
    try:
        job = runner.submit("k", {}, budget_seconds=1)
        failed = runner.wait(job.id, 10)
        assert failed is not None and failed.status == "failed" and failed.error == "count is required"
    finally:
        runner.shutdown()


def test_shutdown_requeues_and_a_new_runner_resumes(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    started = threading.Event()

    def slow(request: dict[str, Any], budget: Budget, earlier: dict[str, Any] | None) -> dict[str, Any]:
        started.set()
        budget.stop.wait(30)  # a solver stops when asked and returns its best so far
        return {"optimal": False}

    runner = JobRunner(JobStore(path), slow)
    job = runner.submit("k", {"kind": "ems"}, budget_seconds=30)
    assert started.wait(10)
    runner.shutdown()
    assert JobStore(path).get(job.id).status == "queued"  # type: ignore[union-attr]

    def quick(request: dict[str, Any], budget: Budget, earlier: dict[str, Any] | None) -> dict[str, Any]:
        return {"optimal": True, "request": request}

    restarted = JobRunner(JobStore(path), quick)
    try:
        assert restarted.resume() == 1
        done = restarted.wait(job.id, 10)
        assert done is not None and done.status == "done"
        assert done.result == {"optimal": True, "request": {"kind": "ems"}}
        assert JobStore(path).final_result("k") == done.result
    finally:
        restarted.shutdown()
