"""Covering models on the default county: this package's MCLP and MEXCLP vs spopt's MCLP vs greedy.

Run with ``python -m benchmarks.siting``. For 200, 1,000 and 2,000 candidate sites (random points inside
the county, fixed seed) × the default population cells, with the open 120 stations kept and 10 new sites
(or 10 more ambulances), it times

- ``analysis.siting.MaximalCovering`` (HiGHS through highspy, sparse model, continuous coverage variables),
- ``spopt.locate.MCLP.from_cost_matrix`` on the same matrix, solved with ``pulp.HiGHS`` (the same solver, so
  the comparison is of the model build and formulation, not of the solver),
- ``analysis.siting.ExpectedCovering`` (MEXCLP, Daskin 1983) on the same matrix: 10 more ambulances, one
  assumed at each existing station, busy fraction ``settings.BUSY_FRACTION``. spopt has no expected
  covering model, so its MCLP is the nearest baseline; the Daskin greedy heuristic is timed beside it,
- a greedy baseline (add the site with the largest marginal population, ten times),

and prints one line per run and a final JSON line with the seconds, covered population and gap of each.
Without the built default data it uses a synthetic surface of the same size and says so.
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis import settings
from analysis.siting import (
    ExpectedCovering,
    MaximalCovering,
    coverage_matrix,
    expected_coverage,
    greedy_maximal_covering,
)
from analysis.travel import StraightLineTravel, TravelModel

#: Candidate counts of the benchmark.
CANDIDATE_COUNTS = (200, 1000, 2000)
#: New sites per run.
NEW_SITES = 10
#: Seed of the candidate sample (and of the synthetic surface).
SEED = 20261123
#: Cells of the synthetic stand-in surface (about the default's).
SYNTHETIC_CELLS = 3428


@dataclass(frozen=True)
class County:
    """Demand, existing sites and a sampler of candidate points, all in the working CRS."""

    cells_xy: np.ndarray
    population: np.ndarray
    existing_xy: np.ndarray
    outline: Any
    population_source: str
    travel: TravelModel


def default_county() -> County:
    """The embedded Jinjiang data, or a synthetic surface of the same size when it is not built."""
    import shapely

    from analysis.datasets import get_path

    travel = StraightLineTravel()
    if get_path("population").exists():
        from analysis.datasets import load_inputs
        from analysis.siting import EXISTING_KINDS, county_outline

        inputs = load_inputs()
        cells = len(inputs.population.cells)
        ems = inputs.facilities[
            inputs.facilities["kind"].isin(EXISTING_KINDS["ems"])
            & (inputs.facilities["status"] == "open")
            & inputs.facilities.geometry.notna()
        ].to_crs(travel.crs)
        return County(
            cells_xy=inputs.population.points_xy(travel.crs),
            population=inputs.population.populations,
            existing_xy=np.column_stack([ems.geometry.x, ems.geometry.y]),
            outline=county_outline(inputs.boundary, travel.crs),
            population_source=f"default data, {cells} cells: {inputs.population.source}",
            travel=travel,
        )
    rng = np.random.default_rng(SEED)
    outline = shapely.box(650_000, 2_720_000, 680_000, 2_744_000)
    xy = np.column_stack(
        [rng.uniform(650_000, 680_000, SYNTHETIC_CELLS), rng.uniform(2_720_000, 2_744_000, SYNTHETIC_CELLS)]
    )
    weights = rng.lognormal(6.0, 1.0, SYNTHETIC_CELLS)
    weights *= 2_061_551 / weights.sum()
    existing = np.column_stack([rng.uniform(650_000, 680_000, 11), rng.uniform(2_720_000, 2_744_000, 11)])
    return County(
        cells_xy=xy,
        population=weights,
        existing_xy=existing,
        outline=outline,
        population_source=f"synthetic: {SYNTHETIC_CELLS} random cells (default data not built)",
        travel=travel,
    )


def sample_candidates(outline: Any, n: int, *, seed: int) -> np.ndarray:
    """*n* uniform random points inside *outline*."""
    import shapely

    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = outline.bounds
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        x = rng.uniform(minx, maxx, 4 * n)
        y = rng.uniform(miny, maxy, 4 * n)
        inside = shapely.contains_xy(outline, x, y)
        pts = np.column_stack([x[inside], y[inside]])
        out.append(pts)
        have += len(pts)
    return np.vstack(out)[:n]


def _covered(coverage: Any, weights: np.ndarray, open_sites: np.ndarray) -> float:
    reached = np.asarray(coverage[:, open_sites].sum(axis=1)).ravel() > 0
    return float(weights[reached].sum())


def run_spopt(
    cost: np.ndarray,
    weights: np.ndarray,
    *,
    threshold: float,
    p: int,
    existing: np.ndarray,
    time_limit_s: float,
) -> tuple[np.ndarray, float, float, str]:
    """spopt's MCLP with the existing sites predefined; returns (open sites, build s, solve s, status)."""
    import pulp
    from spopt.locate import MCLP

    predefined = np.zeros(cost.shape[1], dtype=int)
    predefined[existing] = 1
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MCLP.from_cost_matrix(
            cost,
            weights,
            service_radius=threshold,
            p_facilities=p + len(existing),
            predefined_facilities_arr=predefined,
        )
    built = time.perf_counter()
    solver = pulp.HiGHS(msg=False, timeLimit=time_limit_s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.solve(solver, results=False)
    solved = time.perf_counter()
    values = np.array([v.value() or 0.0 for v in model.fac_vars])
    status = pulp.LpStatus[model.problem.status]
    return np.flatnonzero(values > 0.5), built - began, solved - built, status


def run_one(
    county: County, n_candidates: int, *, p: int, time_limit_s: float, with_spopt: bool
) -> dict[str, Any]:
    """Benchmark one candidate count."""
    threshold = settings.EMS_RESPONSE_MINUTES - settings.EMS_DISPATCH_MINUTES
    candidates = sample_candidates(county.outline, n_candidates, seed=SEED + n_candidates)
    sites = np.vstack([candidates, county.existing_xy])
    began = time.perf_counter()
    cost = county.travel.matrix(sites, county.cells_xy, profile="ambulance", cutoff_minutes=threshold).T
    matrix_seconds = time.perf_counter() - began
    existing = np.arange(n_candidates, len(sites))
    weights = county.population
    total = float(weights.sum())

    began = time.perf_counter()
    model = MaximalCovering.from_cost_matrix(cost, weights, threshold=threshold, p=p, existing=existing)
    model.solve(time_limit_s=time_limit_s)
    ours_total = time.perf_counter() - began

    coverage = coverage_matrix(cost, threshold)
    covered_by_existing = np.asarray(coverage[:, existing].sum(axis=1)).ravel() > 0
    began = time.perf_counter()
    greedy_sites, _ = greedy_maximal_covering(
        coverage, weights, p=p, candidates=np.arange(n_candidates), covered=covered_by_existing
    )
    greedy_seconds = time.perf_counter() - began
    greedy_covered = _covered(coverage, weights, np.concatenate([existing, greedy_sites]))

    began = time.perf_counter()
    mexclp = ExpectedCovering.from_cost_matrix(
        cost, weights, threshold=threshold, k=p, existing=existing, existing_ambulances=np.ones(existing.size)
    )
    mexclp.solve(time_limit_s=time_limit_s)
    mexclp_total = time.perf_counter() - began
    began = time.perf_counter()
    daskin = mexclp.greedy()
    daskin_seconds = time.perf_counter() - began
    reach_daskin = mexclp.reach_before + np.asarray(coverage.astype(np.float64) @ daskin).ravel().round()
    daskin_expected = expected_coverage(reach_daskin, weights, mexclp.q)

    row: dict[str, Any] = {
        "candidates": n_candidates,
        "demand_cells": len(weights),
        "nonzeros_within_threshold": int(coverage.nnz),
        "matrix_seconds": round(matrix_seconds, 3),
        "highs_solve_seconds": round(model.solve_seconds, 3),
        "highs_total_seconds": round(ours_total, 3),
        "highs_covered_population": round(model.covered_population, 1),
        "highs_gap": model.gap if math.isfinite(model.gap) else None,
        "highs_status": model.status,
        "greedy_seconds": round(greedy_seconds, 4),
        "greedy_covered_population": round(greedy_covered, 1),
        "mexclp_solve_seconds": round(mexclp.solve_seconds, 3),
        "mexclp_total_seconds": round(mexclp_total, 3),
        "mexclp_expected_population": round(mexclp.covered_population, 1),
        "mexclp_baseline_expected_population": round(mexclp.baseline_population, 1),
        "mexclp_gap": mexclp.gap if math.isfinite(mexclp.gap) else None,
        "mexclp_status": mexclp.status,
        "mexclp_at_existing": int(mexclp.allocation[existing].sum()),
        "daskin_greedy_seconds": round(daskin_seconds, 4),
        "daskin_greedy_expected_population": round(daskin_expected, 1),
        "busy_fraction": mexclp.q,
        "baseline_population": round(model.baseline_population, 1),
        "total_population": round(total, 1),
    }
    if with_spopt:
        spopt_sites, build_s, solve_s, status = run_spopt(
            cost, weights, threshold=threshold, p=p, existing=existing, time_limit_s=time_limit_s
        )
        row.update(
            {
                "spopt_build_seconds": round(build_s, 3),
                "spopt_solve_seconds": round(solve_s, 3),
                "spopt_covered_population": round(_covered(coverage, weights, spopt_sites), 1),
                "spopt_status": status,
                "spopt_new_sites": len(np.setdiff1d(spopt_sites, existing)),
            }
        )
    return row


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print a final JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--candidates", type=int, nargs="+", default=list(CANDIDATE_COUNTS))
    parser.add_argument("--count", type=int, default=NEW_SITES, help="new sites per run")
    parser.add_argument("--time-limit", type=float, default=settings.SOLVER_TIME_LIMIT_S)
    parser.add_argument("--no-spopt", action="store_true", help="skip spopt (it builds a dense PuLP model)")
    args = parser.parse_args(argv)

    county = default_county()
    print(f"population: {county.population_source}")
    print(f"travel: {county.travel.network_source}; existing 120 sites kept: {len(county.existing_xy)}")
    print("spopt: MCLP.from_cost_matrix solved with pulp.HiGHS (same solver as ours)")
    rows = []
    for n in args.candidates:
        row = run_one(county, n, p=args.count, time_limit_s=args.time_limit, with_spopt=not args.no_spopt)
        rows.append(row)
        line = (
            f"{n:>5} candidates: HiGHS {row['highs_solve_seconds']:.2f} s solve "
            f"({row['highs_total_seconds']:.2f} s with build), "
            f"{row['highs_covered_population']:,.0f} people, gap {row['highs_gap']}; "
            f"greedy {row['greedy_seconds']:.3f} s, {row['greedy_covered_population']:,.0f}; "
            f"MEXCLP {row['mexclp_solve_seconds']:.2f} s solve "
            f"({row['mexclp_total_seconds']:.2f} s with build), "
            f"{row['mexclp_expected_population']:,.0f} expected, gap {row['mexclp_gap']}"
        )
        if "spopt_solve_seconds" in row:
            line += (
                f"; spopt {row['spopt_solve_seconds']:.2f} s solve + "
                f"{row['spopt_build_seconds']:.2f} s build, "
                f"{row['spopt_covered_population']:,.0f} ({row['spopt_status']})"
            )
        print(line, flush=True)
    summary = {
        "benchmark": "siting_mclp_mexclp",
        "spopt_note": "spopt has no expected-coverage (MEXCLP) model; its MCLP is the baseline",
        "population_source": county.population_source,
        "network_source": county.travel.network_source,
        "new_sites": args.count,
        "existing_sites": len(county.existing_xy),
        "threshold_minutes": settings.EMS_RESPONSE_MINUTES - settings.EMS_DISPATCH_MINUTES,
        "spopt_solver": "pulp.HiGHS",
        "runs": rows,
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
