"""AED siting at the scale of a walk on the default county: the whole run, and sparse vs dense coverage.

Run with ``python -m benchmarks.aed``. It times

- the whole user-visible run, ``recommend_sites(kind="aed")`` on the default data (straight-line walks, the
  AED gap as the count): demand points, candidates, pool, solve seconds and the bound on the distance from
  the optimum over every candidate;
- on one town's lattice (陈埭, the densest: its points are demand and candidates), the same HiGHS maximal
  covering model built two ways in the same run: from the KD-tree's sparse coverage
  (``MaximalCovering.from_coverage_matrix``) and, as the baseline, from the dense candidate × demand matrix
  of ``StraightLineTravel.matrix`` (``from_cost_matrix``); both must reach the same optimum;
- the whole lattice with no pool, HiGHS given ``FULL_BUDGET_S``: what the pool saves;

and prints one line per step and a final JSON line. Timings on a shared machine are noisy; the ratio of the
two builds in one run is the robust figure.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

from analysis import settings
from analysis.datasets import get_path, load_inputs
from analysis.siting import recommend_sites
from analysis.siting.aed import straight_line_coverage, walk_demand_points
from analysis.siting.budget import Budget
from analysis.siting.models import MaximalCovering
from analysis.travel import StraightLineTravel

#: Town of the sparse vs dense comparison (陈埭镇, the densest).
TOWN_CODE = "350582103"
#: New sites in the sparse vs dense comparison.
NEW_SITES = 20
#: HiGHS budget of the whole lattice without a pool, seconds.
FULL_BUDGET_S = 30.0


def _town_instance(travel: StraightLineTravel) -> tuple[np.ndarray, np.ndarray]:
    inputs = load_inputs()
    demand = walk_demand_points(inputs.population.cells, crs=travel.crs)
    town = inputs.population.cells["town_code"].astype(str).to_numpy()[demand.cell] == TOWN_CODE
    return demand.xy[town], demand.population[town]


def _sparse(xy: np.ndarray, people: np.ndarray, reach_m: float) -> tuple[float, MaximalCovering, int]:
    began = time.perf_counter()
    cov = straight_line_coverage(xy, xy, reach_m=reach_m)
    model = MaximalCovering.from_coverage_matrix(cov, people, threshold=reach_m, p=NEW_SITES).solve()
    return time.perf_counter() - began, model, int(cov.data.nbytes + cov.indices.nbytes + cov.indptr.nbytes)


def _dense(
    travel: StraightLineTravel, xy: np.ndarray, people: np.ndarray, minutes: float
) -> tuple[float, MaximalCovering, int]:
    began = time.perf_counter()
    cost = travel.matrix(xy, xy, profile="walk", cutoff_minutes=minutes).T
    model = MaximalCovering.from_cost_matrix(cost, people, threshold=minutes, p=NEW_SITES).solve()
    return time.perf_counter() - began, model, int(cost.nbytes)


def main() -> None:
    """Run the benchmark and print its JSON line."""
    if not get_path("population").exists():
        print(json.dumps({"benchmark": "aed", "skipped": "default data not built"}))
        return
    travel = StraightLineTravel(crs=settings.WORKING_CRS)
    out: dict[str, Any] = {"benchmark": "aed"}

    began = time.perf_counter()
    doc = recommend_sites(load_inputs(), travel, kind="aed")
    out["default_run"] = {
        "seconds": round(time.perf_counter() - began, 3),
        "demand_points": doc["demand_points"],
        "candidates": doc["candidate_count"],
        "candidate_pool": doc["candidate_pool"],
        "solve_seconds": doc["solve_seconds"],
        "aed_gap": doc["aed_gap"]["gap"],
        "sites": doc["count"],
        "covered_population": doc["covered_population"],
        "gap_percent": doc["gap_percent"],
        "sites_per_town": doc["sites_per_town"],
    }
    print(f"default AED run: {out['default_run']}")

    reach_m = settings.AED_WALK_RADIUS_M / settings.CIRCUITY_FACTOR
    minutes = settings.AED_WALK_RADIUS_M / (settings.STRAIGHT_LINE_SPEED_KMH["walk"] * 1000.0 / 60.0)
    xy, people = _town_instance(travel)
    sparse_s, sparse, sparse_bytes = _sparse(xy, people, reach_m)
    dense_s, dense, dense_bytes = _dense(travel, xy, people, minutes)
    n_all = int(doc["demand_points"])
    out["town_sparse_vs_dense"] = {
        "town_code": TOWN_CODE,
        "points": len(xy),
        "new_sites": NEW_SITES,
        "sparse_seconds": round(sparse_s, 3),
        "dense_seconds": round(dense_s, 3),
        "dense_over_sparse": round(dense_s / sparse_s, 2) if sparse_s > 0 else None,
        "sparse_bytes": sparse_bytes,
        "dense_bytes": dense_bytes,
        "same_optimum": bool(abs(sparse.covered_population - dense.covered_population) < 1e-6),
        "covered_population": round(sparse.covered_population, 1),
        "dense_bytes_at_county_scale": n_all * n_all * 8,
    }
    print(f"{TOWN_CODE} lattice, sparse vs dense coverage: {out['town_sparse_vs_dense']}")

    inputs = load_inputs()
    demand = walk_demand_points(inputs.population.cells, crs=travel.crs)
    began = time.perf_counter()
    cov = straight_line_coverage(demand.xy, demand.xy, reach_m=reach_m)
    count = int(doc["count"])
    full = MaximalCovering.from_coverage_matrix(cov, demand.population, threshold=reach_m, p=count)
    full.solve(budget=Budget(FULL_BUDGET_S))
    out["whole_lattice_no_pool"] = {
        "seconds": round(time.perf_counter() - began, 3),
        "budget_seconds": FULL_BUDGET_S,
        "time_limited": full.time_limited,
        "covered_population": round(full.covered_population, 1),
        "solver_gap_percent": None if not np.isfinite(full.gap) else round(100 * full.gap, 2),
    }
    print(f"whole lattice without the pool: {out['whole_lattice_no_pool']}")
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
