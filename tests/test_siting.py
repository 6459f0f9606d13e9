"""Location models on tiny hand-made instances whose optimum is worked out by hand."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from analysis.errors import CRSError, DataError, ParameterError, SolverError
from analysis.siting import (
    MaximalCovering,
    PMedian,
    SetCovering,
    aggregate_demand,
    candidates_xy,
    cell_ranks,
    greedy_maximal_covering,
    grid_candidates,
    sites_geojson,
)

INF = np.inf

# Covering instance. Demand points (population): d0 (3), a (5), b (5), c (5), d (5), e (1); total 24.
# Site columns and the demand each reaches within the threshold:
#   0 existing: d0           -> baseline 3 people (12.5%)
#   1 "left":   a, b          (10 more)
#   2 "centre": b, c, e       (11 more)
#   3 "right":  c, d          (10 more)
#   4 "far":    d0            (nothing more: d0 is already covered)
# MCLP p=1: centre adds 11 (left/right 10) -> {2}, 14 covered.
# MCLP p=2: left+right add 20; centre+left or centre+right add 16 -> {1, 3}, 23 covered.
#           (Greedy would take centre first and end at 19: the MILP must beat it.)
# MCLP p=3: left+centre+right cover everyone -> 24.
# LSCP share 1: a only via left, d only via right, e only via centre -> 3 sites {1, 2, 3}.
# LSCP share 0.95: 22.8 people needed, 19.8 more than the baseline -> left+right (20) -> 2 sites.
# LSCP share 0.5: 12 needed, 9 more -> one site of 10 or 11 -> 1 site.
WEIGHTS = np.array([3.0, 5.0, 5.0, 5.0, 5.0, 1.0])
REACH = np.array(
    [
        [1, 0, 0, 0, 1],
        [0, 1, 0, 0, 0],
        [0, 1, 1, 0, 0],
        [0, 0, 1, 1, 0],
        [0, 0, 0, 1, 0],
        [0, 0, 1, 0, 0],
    ],
    dtype=bool,
)
COST = np.where(REACH, 4.0, INF)  # 4 minutes where reached, unreachable otherwise
THRESHOLD = 5.0


def test_mclp_p1_takes_the_centre() -> None:
    m = MaximalCovering.from_cost_matrix(COST, WEIGHTS, threshold=THRESHOLD, p=1, existing=[0]).solve()
    assert m.selected.tolist() == [2]
    assert m.covered_population == pytest.approx(14.0)
    assert m.gap == pytest.approx(0.0, abs=1e-9)
    assert not m.time_limited


def test_mclp_p2_beats_greedy() -> None:
    m = MaximalCovering.from_cost_matrix(COST, WEIGHTS, threshold=THRESHOLD, p=2, existing=[0]).solve()
    assert sorted(m.selected.tolist()) == [1, 3]
    assert m.covered_population == pytest.approx(23.0)
    assert m.objective == pytest.approx(23.0)
    greedy, gains = greedy_maximal_covering(
        m.coverage, WEIGHTS, p=2, candidates=m.candidates, covered=m.baseline_covered
    )
    assert greedy.tolist() == [2, 1]
    assert 3.0 + gains.sum() == pytest.approx(19.0)


def test_mclp_existing_sites_are_kept_and_not_counted() -> None:
    m = MaximalCovering.from_cost_matrix(COST, WEIGHTS, threshold=THRESHOLD, p=3, existing=[0]).solve()
    assert m.existing.tolist() == [0]
    assert 0 not in m.selected.tolist()
    assert len(m.selected) == 3
    assert m.open_sites[0] == 0
    assert m.baseline_population == pytest.approx(3.0)
    assert m.covered_population == pytest.approx(24.0)


def test_marginal_gains_are_non_increasing_and_coverage_rises() -> None:
    m = MaximalCovering.from_cost_matrix(COST, WEIGHTS, threshold=THRESHOLD, p=3, existing=[0]).solve()
    table = m.marginal_gains()
    # ranked greedily over the chosen {1, 2, 3}: centre 11, then left 5 (a), then right 5 (d)
    assert table["site"].tolist() == [2, 1, 3]
    assert table["added_population"].tolist() == pytest.approx([11.0, 5.0, 5.0])
    assert table["cumulative_population"].tolist() == pytest.approx([14.0, 19.0, 24.0])
    assert table["cumulative_coverage"].tolist() == pytest.approx([14 / 24, 19 / 24, 1.0])
    assert table["rank"].tolist() == [1, 2, 3]
    assert np.all(np.diff(table["added_population"]) <= 1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_instances_milp_at_least_greedy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0, 10, size=(60, 25))
    weights = rng.integers(1, 100, size=60).astype(float)
    m = MaximalCovering.from_cost_matrix(cost, weights, threshold=2.5, p=4, existing=[0, 1]).solve()
    _, gains = greedy_maximal_covering(
        m.coverage, weights, p=4, candidates=m.candidates, covered=m.baseline_covered
    )
    assert m.covered_population >= m.baseline_population + gains.sum() - 1e-6
    assert np.all(np.diff(m.added_population) <= 1e-9)
    assert set(m.existing.tolist()) == {0, 1}
    assert not set(m.selected.tolist()) & {0, 1}


def test_existing_mask_equals_indices() -> None:
    mask = np.array([True, False, False, False, False])
    a = MaximalCovering.from_cost_matrix(COST, WEIGHTS, threshold=THRESHOLD, p=2, existing=mask).solve()
    assert sorted(a.selected.tolist()) == [1, 3]


def test_mclp_rejects_bad_counts() -> None:
    with pytest.raises(ParameterError, match="at least 1"):
        MaximalCovering.from_cost_matrix(COST, WEIGHTS, threshold=THRESHOLD, p=0, existing=[0])
    with pytest.raises(ParameterError, match="only 4 candidate"):
        MaximalCovering.from_cost_matrix(COST, WEIGHTS, threshold=THRESHOLD, p=5, existing=[0])
    with pytest.raises(ParameterError, match="demand rows"):
        MaximalCovering.from_cost_matrix(COST, WEIGHTS[:3], threshold=THRESHOLD, p=1)
    with pytest.raises(ParameterError, match="existing site indices"):
        MaximalCovering.from_cost_matrix(COST, WEIGHTS, threshold=THRESHOLD, p=1, existing=[9])


@pytest.mark.parametrize(("share", "count", "covered"), [(1.0, 3, 24.0), (0.95, 2, 23.0), (0.5, 1, None)])
def test_lscp_optimum(share: float, count: int, covered: float | None) -> None:
    m = SetCovering.from_cost_matrix(COST, WEIGHTS, threshold=THRESHOLD, share=share, existing=[0]).solve()
    assert m.p == count == len(m.selected)
    assert 0 not in m.selected.tolist()
    assert m.covered_population >= share * 24 - 1e-9
    if covered is not None:
        assert m.covered_population == pytest.approx(covered)
    if share == 0.95:
        assert sorted(m.selected.tolist()) == [1, 3]


def test_lscp_no_new_site_when_existing_suffice() -> None:
    m = SetCovering.from_cost_matrix(COST, WEIGHTS, threshold=THRESHOLD, share=0.1, existing=[0]).solve()
    assert m.p == 0
    assert m.selected.size == 0
    assert m.marginal_gains().empty


def test_lscp_infeasible_names_the_population_out_of_reach() -> None:
    # add demand f (2 people) that no site reaches
    cost = np.vstack([COST, np.full((1, 5), INF)])
    weights = np.append(WEIGHTS, 2.0)
    with pytest.raises(SolverError, match=r"2 people at 1 demand points"):
        SetCovering.from_cost_matrix(cost, weights, threshold=THRESHOLD, share=1.0, existing=[0]).solve()
    # 24 of 26 people can be reached (92.3%); 95% is infeasible, 90% is not
    with pytest.raises(SolverError, match="lower the target share"):
        SetCovering.from_cost_matrix(cost, weights, threshold=THRESHOLD, share=0.95, existing=[0]).solve()
    m = SetCovering.from_cost_matrix(cost, weights, threshold=THRESHOLD, share=0.9, existing=[0]).solve()
    assert m.covered_population >= 0.9 * 26


def test_lscp_rejects_bad_share() -> None:
    with pytest.raises(ParameterError, match="share"):
        SetCovering.from_cost_matrix(COST, WEIGHTS, threshold=THRESHOLD, share=0.0)


# p-median on a line. Demand at x = 0, 5, 10 with weights 1, 1, 2; existing site at 0; candidates at
# 4, 7, 10 (columns 1, 2, 3); cost = |x - s|.
#   p=1: open 4  -> 0 + 1*1 + 2*6 = 13;  open 7 -> 0 + 2 + 2*3 = 8;  open 10 -> 0 + 5 + 0 = 5   -> {10}, 5
#   p=2: {4,10} -> 0 + 1 + 0 = 1;  {7,10} -> 2;  {4,7} -> 1 + 6 = 7                               -> {4,10}, 1
LINE_X = np.array([0.0, 5.0, 10.0])
LINE_SITES = np.array([0.0, 4.0, 7.0, 10.0])
LINE_COST = np.abs(LINE_X[:, None] - LINE_SITES[None, :])
LINE_W = np.array([1.0, 1.0, 2.0])


@pytest.mark.parametrize(("p", "chosen", "objective"), [(1, [3], 5.0), (2, [1, 3], 1.0)])
def test_pmedian_optimum(p: int, chosen: list[int], objective: float) -> None:
    m = PMedian.from_cost_matrix(LINE_COST, LINE_W, threshold=1.0, p=p, existing=[0]).solve()
    assert sorted(m.selected.tolist()) == chosen
    assert m.objective == pytest.approx(objective)
    assert m.mean_cost == pytest.approx(objective / 4)
    # existing only: 0 + 5 + 2*10 = 25 person-units over 4 people
    assert m.baseline_mean_cost == pytest.approx(25 / 4)
    assert 0 in m.open_sites.tolist()


def test_pmedian_unreachable_demand() -> None:
    # demand at 5 reaches only 4 and 7; demand at 10 only 7 and 10
    cost = np.where(LINE_COST <= 3.0, LINE_COST, INF)
    with pytest.raises(SolverError, match="cannot reach any site"):
        PMedian.from_cost_matrix(
            np.vstack([cost, [INF] * 4]), np.append(LINE_W, 1.0), threshold=1, p=1
        ).solve()
    # with a charge for the unserved, p=1 picks 7 (serves 5 at 2 and 10 at 3): 0 + 2 + 2*3 = 8
    m = PMedian.from_cost_matrix(cost, LINE_W, threshold=1.0, p=1, existing=[0], unserved_cost=20.0).solve()
    assert m.selected.tolist() == [2]
    assert m.objective == pytest.approx(8.0)


def test_time_limit_must_be_positive() -> None:
    m = MaximalCovering.from_cost_matrix(COST, WEIGHTS, threshold=THRESHOLD, p=1)
    with pytest.raises(ParameterError, match="time_limit_s"):
        m.solve(time_limit_s=0)


def test_cost_matrix_is_not_mutated() -> None:
    cost = COST.copy()
    MaximalCovering.from_cost_matrix(cost, WEIGHTS, threshold=THRESHOLD, p=2, existing=[0]).solve()
    np.testing.assert_array_equal(cost, COST)


def test_coverage_is_sparse() -> None:
    m = MaximalCovering.from_cost_matrix(COST, WEIGHTS, threshold=THRESHOLD, p=1)
    assert m.coverage.nnz == int(REACH.sum())


# --- from_geodataframe ------------------------------------------------------------------------------


def _points(
    xy: list[tuple[float, float]], crs: str = "EPSG:32650", **columns: list[float]
) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=[Point(x, y) for x, y in xy], crs=crs)


def test_from_geodataframe_straight_line_metres() -> None:
    # demand at 0, 1000, 2000 m (1, 1, 5 people); candidates at 1000 and 2000; existing at 0.
    # 600 m reach: existing covers the first; p=1 -> the candidate at 2000 (5 people) -> 6 covered.
    demand = _points([(0, 0), (1000, 0), (2000, 0)], population=[1.0, 1.0, 5.0])
    cands = _points([(1000, 0), (2000, 0)])
    existing = _points([(0, 0)])
    m = MaximalCovering.from_geodataframe(demand, cands, threshold=600.0, p=1, gdf_existing=existing).solve()
    assert m.selected.tolist() == [1]
    assert m.existing.tolist() == [2]
    assert m.covered_population == pytest.approx(6.0)
    s = SetCovering.from_geodataframe(
        demand, cands, threshold=600.0, share=1.0, gdf_existing=existing
    ).solve()
    assert s.p == 2


def test_from_geodataframe_checks_crs_and_geometry() -> None:
    demand = _points([(0, 0)], population=[1.0])
    with pytest.raises(CRSError, match="geographic"):
        MaximalCovering.from_geodataframe(
            _points([(0, 0)], "EPSG:4326", population=[1.0]), demand, threshold=1, p=1
        )
    with pytest.raises(CRSError, match="use one CRS"):
        MaximalCovering.from_geodataframe(demand, _points([(0, 0)], "EPSG:32651"), threshold=1, p=1)
    polygons = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs="EPSG:32650")
    with pytest.raises(DataError, match="Point"):
        MaximalCovering.from_geodataframe(demand, polygons, threshold=1, p=1)
    with pytest.raises(DataError, match="no column"):
        MaximalCovering.from_geodataframe(demand, demand, threshold=1, p=1, weights_col="people")


# --- candidates -------------------------------------------------------------------------------------


def _square_boundary() -> gpd.GeoDataFrame:
    # a 3 km square in UTM 50N near Jinjiang
    return gpd.GeoDataFrame(geometry=[box(660_000, 2_730_000, 663_000, 2_733_000)], crs="EPSG:32650")


def test_grid_candidates_inside_the_boundary() -> None:
    xy = grid_candidates(_square_boundary(), spacing_m=1000.0, crs="EPSG:32650")
    # centres at 660500, 661500, 662500 in each direction -> 9 points
    assert xy.shape == (9, 2)
    assert set(np.unique(xy[:, 0])) == {660_500.0, 661_500.0, 662_500.0}
    with pytest.raises(ParameterError, match="spacing"):
        grid_candidates(_square_boundary(), spacing_m=0)


def test_candidates_outside_the_county_are_refused() -> None:
    inside = _points([(661_000, 2_731_000)]).to_crs("EPSG:4326")
    xy = candidates_xy(inside, _square_boundary(), crs="EPSG:32650", tolerance_m=0)
    assert xy == pytest.approx(np.array([[661_000.0, 2_731_000.0]]), abs=1e-3)
    outside = _points([(661_000, 2_731_000), (670_000, 2_731_000)]).to_crs("EPSG:4326")
    with pytest.raises(ParameterError, match=r"1 of 2 candidate sites lie outside the county: #2"):
        candidates_xy(outside, _square_boundary(), crs="EPSG:32650", tolerance_m=0)
    with pytest.raises(ParameterError, match="empty"):
        candidates_xy(outside.iloc[:0], _square_boundary())


def test_aggregate_demand_keeps_population_and_weighted_centres() -> None:
    xy = np.array([[100.0, 100.0], [300.0, 100.0], [1500.0, 100.0]])
    blocks, population = aggregate_demand(xy, np.array([1.0, 3.0, 2.0]), block_m=1000.0)
    order = np.argsort(blocks[:, 0])
    assert population[order].tolist() == [4.0, 2.0]
    # weighted centre of the first block: (1*100 + 3*300) / 4 = 250
    assert blocks[order][0] == pytest.approx([250.0, 100.0])


def test_sites_geojson_round_trip() -> None:
    doc = {
        "kind": "ems",
        "model": "mclp",
        "sites": [{"rank": 1, "lon": 118.6, "lat": 24.7, "town_code": None, "added_population": 5.0}],
        "gap": 0.0,
    }
    fc = sites_geojson(doc)
    assert fc["features"][0]["geometry"]["coordinates"] == [118.6, 24.7]
    assert fc["metadata"] == {"kind": "ems", "model": "mclp", "gap": 0.0}


def test_cell_ranks() -> None:
    m = MaximalCovering.from_cost_matrix(COST, WEIGHTS, threshold=THRESHOLD, p=3, existing=[0]).solve()
    # ranked centre (b, c, e), left (a), right (d); d0 by the existing site
    assert cell_ranks(m) == [0, 2, 1, 1, 3, 1]
    m = MaximalCovering.from_cost_matrix(COST, WEIGHTS, threshold=THRESHOLD, p=1, existing=[0]).solve()
    assert cell_ranks(m) == [0, None, 1, 1, None, 1]


# --- recommend_sites on a tiny county -----------------------------------------------------------------

X0, Y0 = 660_000.0, 2_730_000.0
WORKING = "EPSG:32650"


class KilometreTravel:
    """One minute per kilometre in a straight line, for every profile."""

    crs = WORKING
    network_source = "test: 1 minute per km"

    def matrix(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: str = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> np.ndarray:
        s, t = np.asarray(sources_xy, float), np.asarray(targets_xy, float)
        out = np.hypot(s[:, None, 0] - t[None, :, 0], s[:, None, 1] - t[None, :, 1]) / 1000.0
        if cutoff_minutes is not None:
            out[out > cutoff_minutes] = np.inf
        return out


def _travel() -> Any:
    # typed Any: the class follows the TravelModel protocol only as far as siting uses it
    return KilometreTravel()


def tiny_inputs() -> Any:
    from analysis.datasets import Inputs
    from analysis.population import PopulationSurface

    # cells on a line at 0, 2, 4, 6, 8 km with 100, 200, 50, 300, 400 people (1,050 in all)
    offsets = [0.0, 2000.0, 4000.0, 6000.0, 8000.0]
    cells = gpd.GeoDataFrame(
        {
            "cell_id": range(5),
            "population": [100.0, 200.0, 50.0, 300.0, 400.0],
            "town_code": None,
            "method": "t",
        },
        geometry=[box(X0 + o - 250, Y0 - 250, X0 + o + 250, Y0 + 250) for o in offsets],
        crs=WORKING,
    ).to_crs("EPSG:4326")
    facilities = gpd.GeoDataFrame(
        {
            "id": ["ems-0", "ems-lost", "hosp-0"],
            "kind": ["ems_station", "ems_station", "hospital"],
            "status": ["open", "open", "open"],
        },
        geometry=[Point(X0, Y0), None, Point(X0 + 8000, Y0)],
        crs=WORKING,
    ).to_crs("EPSG:4326")
    towns = gpd.GeoDataFrame(
        {"town_code": ["350582001", "350582002"]},
        geometry=[
            box(X0 - 500, Y0 - 1000, X0 + 5000, Y0 + 1000),
            box(X0 + 5000, Y0 - 1000, X0 + 8500, Y0 + 1000),
        ],
        crs=WORKING,
    ).to_crs("EPSG:4326")
    boundary = gpd.GeoDataFrame(geometry=[box(X0 - 500, Y0 - 1000, X0 + 8500, Y0 + 1000)], crs=WORKING)
    population = PopulationSurface(cells=cells, source="test cells", modelled=True)
    facts = {"aed_public_count": {"id": "aed_public_count", "value": 0, "year": 2022}}
    return Inputs(
        facilities=facilities,
        boundary=boundary.to_crs("EPSG:4326"),
        towns=towns,
        population=population,
        facts=facts,
    )


def _candidates(offsets: list[float]) -> gpd.GeoDataFrame:
    return _points([(X0 + o, Y0) for o in offsets]).to_crs("EPSG:4326")


def test_recommend_sites_ems_on_a_line() -> None:
    from analysis.siting import recommend_sites

    # 1.5-minute reach = 1.5 km: each candidate covers only its own cell; the station at 0 covers 100.
    # Two sites: 8 km (400) then 6 km (300); 2 km (200) is left out.
    doc = recommend_sites(
        tiny_inputs(),
        _travel(),
        kind="ems",
        count=2,
        candidates=_candidates([2000.0, 6000.0, 8000.0]),
        threshold_minutes=1.5,
    )
    assert doc["existing_sites"] == ["ems-0"]
    assert any("1 more without a known location" in a for a in doc["assumptions"])
    assert doc["baseline_coverage"] == pytest.approx(100 / 1050, abs=1e-6)
    sites = doc["sites"]
    assert [s["rank"] for s in sites] == [1, 2]
    assert [s["added_population"] for s in sites] == [400.0, 300.0]
    assert [s["cumulative_population"] for s in sites] == [500.0, 800.0]
    assert sites[1]["cumulative_coverage"] == pytest.approx(800 / 1050, abs=1e-6)
    assert [s["town_code"] for s in sites] == ["350582002", "350582002"]
    assert doc["network_source"] == "test: 1 minute per km"
    assert doc["gap_percent"] == 0.0 and doc["optimal"] is True
    assert doc["solution_label"].startswith("最优解 proven optimal")


def test_recommend_sites_facility_and_aed_defaults() -> None:
    from analysis.siting import recommend_sites
    from analysis.siting.aed import walk_demand_points
    from analysis.travel import StraightLineTravel

    # facility: the hospital at 8 km is the existing site; the best new one is 6 km (300)
    doc = recommend_sites(
        tiny_inputs(),
        _travel(),
        kind="facility",
        count=1,
        candidates=_candidates([2000.0, 6000.0]),
        threshold_minutes=1.5,
    )
    assert doc["existing_sites"] == ["hosp-0"]
    assert doc["direction"] == "to_sources"
    assert doc["sites"][0]["added_population"] == 300.0
    # aed: ceil(1,050 / 10,000) = 1 AED needed, 0 reported -> 1 new, at the scale of a walk (the 400 cell
    # is densest: its lattice point covers the points within 200 m / 1.4 in a straight line; checked by
    # brute force over every point in tests/test_siting_aed.py)
    doc = recommend_sites(tiny_inputs(), StraightLineTravel(crs=WORKING), kind="aed")
    assert doc["count"] == 1
    assert doc["radius_m"] == 200.0
    assert doc["threshold_minutes"] == pytest.approx(200 / 75, abs=1e-4)
    points_of_cell_4 = int((walk_demand_points(tiny_inputs().population.cells, crs=WORKING).cell == 4).sum())
    assert doc["sites"][0]["added_population"] == pytest.approx(9 * 400 / points_of_cell_4, abs=0.1)
    assert doc["profile"] == "walk"
    assert any("where the AEDs in place stand is unknown" in a for a in doc["assumptions"])


def test_recommend_sites_rejects_bad_requests() -> None:
    from analysis.siting import recommend_sites

    inputs, travel = tiny_inputs(), _travel()
    with pytest.raises(ParameterError, match="unknown kind"):
        recommend_sites(inputs, travel, kind="hospital", count=1)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="count"):
        recommend_sites(inputs, travel, kind="ems")
    with pytest.raises(ParameterError, match="only 2 candidate"):
        recommend_sites(inputs, travel, kind="ems", count=3, candidates=_candidates([2000.0, 6000.0]))
    with pytest.raises(ParameterError, match="outside the county"):
        recommend_sites(inputs, travel, kind="ems", count=1, candidates=_candidates([2000.0, 50_000.0]))


def test_from_geodataframe_with_a_travel_model() -> None:
    # 1 minute per km; 1.2-minute reach; p-median over the same frames (no cut-off)
    demand = _points([(0, 0), (1000, 0), (2000, 0)], population=[1.0, 1.0, 5.0])
    cands = _points([(1000, 0), (2000, 0)])
    m = MaximalCovering.from_geodataframe(
        demand, cands, threshold=1.2, p=1, travel=_travel(), profile="ambulance"
    ).solve()
    # the candidate at 1 km reaches all three (7 people), the one at 2 km only 1 and 2 km (6)
    assert m.selected.tolist() == [0]
    assert m.covered_population == pytest.approx(7.0)
    pm = PMedian.from_geodataframe(demand, cands, threshold=1.2, p=1, travel=_travel(), profile="car").solve()
    # open 1 km: 1 + 0 + 5*1 = 6; open 2 km: 2 + 1 + 0 = 3 -> 2 km
    assert pm.selected.tolist() == [1]
    assert pm.objective == pytest.approx(3.0)
