"""Everything an AED siting run needs before the solver: demand points, candidates, sparse coverage, gap.

Candidates, in order of preference: the planner's own (a file or the request), the folder's public places
(``places.geojson``), else the demand lattice itself, which the result says is a lattice and not a place.
With more lattice candidates than the solver can prove optimal in seconds, HiGHS chooses among the
candidates that reach the most people on their own (a pool of ``AED_CANDIDATE_POOL_FACTOR`` × count); the
result then says so and bounds the distance from the optimum over all candidates.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from analysis import settings
from analysis.siting.aed.coverage import WalkCoverage, walk_coverage
from analysis.siting.aed.demand import WalkDemand, walk_demand_points
from analysis.siting.aed.gap import aed_gap
from analysis.siting.candidates import candidates_xy

if TYPE_CHECKING:
    import geopandas as gpd

    from analysis.datasets import Inputs
    from analysis.travel import TravelModel

#: Plain words, Chinese first, for a population spread uniformly within towns.
UNIFORM_RANKING_NOTE = (
    "人口在乡镇内按均匀分布建模，同一乡镇内各站点的先后排名没有意义；各乡镇的站点数只反映各乡镇的平均人口密度"
    "（密度最高的乡镇先得到站点）；AED缺口来自人口总数与已知数量，不受此影响。"
    "Population is modelled uniformly within each town: the ranking of sites inside a town is not "
    "meaningful, and the number of sites per town only follows each town's average density (the densest "
    "town is served first); the AED gap comes from the population total and the known count and does not "
    "depend on it."
)


@dataclass
class AedSetup:
    """The AED model's inputs and what the document says about them."""

    demand: WalkDemand
    cand_xy: np.ndarray
    coverage: WalkCoverage
    candidate_source: str
    candidate_count: int
    place_rows: list[dict[str, Any]] | None
    assumptions: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def pooled(self) -> bool:
        """Whether the solver chooses among a pool rather than every candidate."""
        return len(self.cand_xy) < self.candidate_count


def _place_rows(places: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    def text(value: Any) -> str | None:
        return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)

    return [
        {"place_id": text(i), "place_name": text(n), "amenity": text(a)}
        for i, n, a in zip(places["id"], places["name"], places["amenity"], strict=True)
    ]


def _pool(coverage: sp.csc_matrix, weights: np.ndarray, covered: np.ndarray, size: int) -> np.ndarray:
    """Columns of the *size* candidates reaching the most not-yet-covered people alone (stable order)."""
    remaining = np.where(covered, 0.0, weights)
    alone = np.asarray(coverage.T @ remaining).ravel()
    return np.sort(np.argsort(-alone, kind="stable")[:size])


def pool_bound(coverage: sp.csc_matrix, weights: np.ndarray, covered: np.ndarray, *, p: int) -> float:
    """An upper bound on the people *p* new sites can add: the sum of the *p* largest single-site gains.

    Parameters
    ----------
    coverage
        Boolean demand × candidate matrix.
    weights
        People per demand point.
    covered
        Demand already covered.
    p
        Number of new sites.

    Returns
    -------
    float
        No *p* candidates together add more (coverage of a union is at most the sum).
    """
    remaining = np.where(covered, 0.0, weights)
    alone = np.asarray(coverage.T @ remaining).ravel()
    return float(np.sort(alone)[::-1][:p].sum())


def prepare_aed(
    inputs: Inputs,
    travel: TravelModel,
    *,
    radius_m: float,
    count: int | None,
    candidates: gpd.GeoDataFrame | None,
    existing_xy: np.ndarray,
    include_planned: bool,
) -> AedSetup:
    """Demand points, candidates, sparse coverage and the AED gap of an AED siting run.

    Parameters
    ----------
    inputs, travel
        County inputs and travel model.
    radius_m
        Walking distance counted as access, metres.
    count
        New sites asked for (MCLP), or None (LSCP); sets the candidate pool.
    candidates
        The planner's candidate sites, or None.
    existing_xy
        Located existing AEDs, in ``travel.crs``.
    include_planned
        Count planned AEDs as known in the gap.

    Returns
    -------
    AedSetup
        Coverage columns are the (pooled) candidates, then the existing AEDs.
    """
    crs = travel.crs
    demand = walk_demand_points(inputs.population.cells, crs=crs)
    places = inputs.places
    place_rows: list[dict[str, Any]] | None = None
    if candidates is not None:
        cand_xy = candidates_xy(candidates, inputs.boundary, crs=crs)
        source = f"{len(cand_xy)} user-supplied candidate sites"
    elif places is not None and len(places):
        cand_xy = candidates_xy(places, inputs.boundary, crs=crs)
        kinds = Counter(str(a) for a in places["amenity"])
        listed = ", ".join(f"{k} × {n}" for k, n in sorted(kinds.items()))
        source = f"{len(cand_xy)} public places of the data ({listed}; places.geojson)"
        place_rows = _place_rows(places)
    else:
        cand_xy = demand.xy
        source = (
            f"no public places in the data (no places.geojson): candidates are the {len(cand_xy)} AED "
            f"demand points, a {demand.spacing_m:g} m lattice inside the populated cells; a site is a spot "
            "on the lattice, not a building: put the AED in the nearest public place"
        )
    sites_xy = np.vstack([cand_xy, existing_xy]) if len(existing_xy) else cand_xy
    coverage = walk_coverage(travel, sites_xy, demand.xy, radius_m=radius_m)
    n_cand = len(cand_xy)
    setup = AedSetup(
        demand=demand,
        cand_xy=cand_xy,
        coverage=coverage,
        candidate_source=source,
        candidate_count=n_cand,
        place_rows=place_rows,
    )
    pool_size = None if count is None else max(settings.AED_CANDIDATE_POOL_FACTOR * count, 1)
    if pool_size is not None and n_cand > max(pool_size, settings.AED_CANDIDATE_POOL_MIN):
        matrix = coverage.matrix
        existing_cols = np.arange(n_cand, matrix.shape[1])
        covered = np.asarray(matrix[:, existing_cols].sum(axis=1)).ravel() > 0
        keep = _pool(
            matrix[:, :n_cand], demand.population, covered, max(pool_size, settings.AED_CANDIDATE_POOL_MIN)
        )
        setup.fields["pool_bound_added_population"] = round(
            pool_bound(matrix[:, :n_cand], demand.population, covered, p=int(count or 0)), 1
        )
        setup.coverage = WalkCoverage(
            matrix=sp.csc_matrix(sp.hstack([matrix[:, keep], matrix[:, existing_cols]], format="csc")),
            radius_m=coverage.radius_m,
            straight_radius_m=coverage.straight_radius_m,
            on_network=coverage.on_network,
        )
        setup.cand_xy = cand_xy[keep]
        if place_rows is not None:
            setup.place_rows = [place_rows[int(i)] for i in keep]
        setup.assumptions.append(
            f"HiGHS chose among the {keep.size} of {n_cand} candidates that reach the most people on their "
            f"own ({settings.AED_CANDIDATE_POOL_FACTOR} × the count); no {count} candidates together add "
            f"more than the {count} largest single-site reaches, which bounds the distance from the "
            "optimum over all candidates"
        )
    setup.fields.update(
        {
            "radius_m": radius_m,
            "demand_points": len(demand),
            "demand_spacing_m": demand.spacing_m,
            "candidate_count": n_cand,
            "candidate_pool": len(setup.cand_xy),
            "aed_gap": aed_gap(
                inputs.population.total, inputs.facilities, inputs.facts, include_planned=include_planned
            ),
            "ranking_within_town_meaningful": not inputs.population.modelled,
        }
    )
    how = (
        f"walking distance on the road network (walking time at {settings.DEFAULT_SPEED_KMH['walk']:g} km/h)"
        if coverage.on_network
        else (
            f"straight-line distance in {crs} × {settings.CIRCUITY_FACTOR:g} (no road network: a straight "
            f"line of {coverage.straight_radius_m:.0f} m counts as a {radius_m:g} m walk)"
        )
    )
    setup.assumptions += [
        f"the {radius_m:g} m walk is measured as {how}",
        f"AED demand: {len(demand)} points every {demand.spacing_m:g} m inside the populated cells, each "
        "cell's people shared equally among its points; a point is covered when it is within the walk",
    ]
    if inputs.population.modelled:
        setup.assumptions.append(UNIFORM_RANKING_NOTE)
    return setup
