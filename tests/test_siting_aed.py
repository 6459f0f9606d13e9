"""AED siting at the scale of a walk: demand points, public places, sparse coverage, the gap, the notes."""

from __future__ import annotations

import itertools
import json
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree
from typer.testing import CliRunner

from analysis import settings
from analysis.county_init.osm_places import public_places_from_osm
from analysis.datasets import Inputs, get_path, load_inputs, load_places
from analysis.errors import DataError, ParameterError
from analysis.population import PopulationSurface
from analysis.siting import recommend_sites
from analysis.siting.aed import (
    UNIFORM_RANKING_NOTE,
    aed_gap,
    pool_bound,
    straight_line_coverage,
    walk_coverage,
    walk_demand_points,
)
from analysis.siting.models import MaximalCovering
from analysis.travel import StraightLineTravel

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

X0, Y0 = 656_000.0, 2_744_000.0  # multiples of 500 m in EPSG:32650, inside Jinjiang's UTM zone
WORKING = "EPSG:32650"
KOUVOLA = Path(__file__).parent / "data" / "osm" / "kouvola.osm.pbf"
needs_default = pytest.mark.skipif(not get_path("population").exists(), reason="default data not built")


def _cells() -> gpd.GeoDataFrame:
    # a 500 m cell of 2,500 people, an empty one, a cell of 500 and a 50 m sliver of 7
    return gpd.GeoDataFrame(
        {"cell_id": range(4), "population": [2500.0, 0.0, 500.0, 7.0], "town_code": None, "method": "t"},
        geometry=[
            shapely.box(X0, Y0, X0 + 500, Y0 + 500),
            shapely.box(X0 + 500, Y0, X0 + 1000, Y0 + 500),
            shapely.box(X0 + 1000, Y0, X0 + 1500, Y0 + 500),
            shapely.box(X0 + 1510, Y0 + 10, X0 + 1560, Y0 + 60),
        ],
        crs=WORKING,
    )


def test_demand_points_every_100_m_share_their_cell() -> None:
    demand = walk_demand_points(_cells(), spacing_m=100.0, crs=WORKING)
    first = demand.cell == 0
    assert first.sum() == 25  # 5 × 5 points at 50, 150, ..., 450 m
    assert demand.population[first] == pytest.approx(np.full(25, 100.0))
    assert sorted(set(np.round(demand.xy[first, 0] - X0))) == [50.0, 150.0, 250.0, 350.0, 450.0]
    assert not (demand.cell == 1).any()  # nobody lives there: no demand
    sliver = demand.cell == 3
    assert sliver.sum() == 1 and demand.population[sliver] == pytest.approx([7.0])
    assert shapely.box(X0 + 1510, Y0 + 10, X0 + 1560, Y0 + 60).contains(shapely.Point(demand.xy[sliver][0]))
    assert demand.population.sum() == pytest.approx(3007.0)  # nobody lost or invented
    lattice = demand.xy[demand.cell != 3]
    gaps, _ = cKDTree(lattice).query(lattice, k=2)
    assert gaps[:, 1].max() == pytest.approx(100.0)  # no point farther than 100 m from the next
    with pytest.raises(ParameterError, match="positive"):
        walk_demand_points(_cells(), spacing_m=0)


def test_straight_line_coverage_matches_brute_force_and_counts_zero_distance() -> None:
    rng = np.random.default_rng(7)
    demand = rng.uniform(0, 2000, (400, 2))
    sites = np.vstack([rng.uniform(0, 2000, (80, 2)), demand[:3]])  # three sites on demand points
    cov = straight_line_coverage(sites, demand, reach_m=150.0)
    dist = np.hypot(demand[:, None, 0] - sites[None, :, 0], demand[:, None, 1] - sites[None, :, 1])
    assert sp.issparse(cov) and cov.shape == (400, 83)
    assert np.array_equal(cov.toarray(), dist <= 150.0)
    assert cov[0, 80] and cov[1, 81] and cov[2, 82]  # distance 0 is a cover


def test_hand_worked_walk_instance_covered_population_and_marginal_gains() -> None:
    # demand on a line (x m, people): A 0/100, B 150/50, C 400/80, D 600/30, E 1000/10; reach 200 m.
    # s1 at 75 reaches A, B (150); s2 at 500 reaches C, D (110); s3 at 300 reaches B, C (130);
    # s4 at 1000 reaches E (10). Best 2: {s1, s2} = 260 (s1+s3 = 230, s2+s3 = 240).
    demand = np.array([[0.0, 0], [150, 0], [400, 0], [600, 0], [1000, 0]])
    people = np.array([100.0, 50, 80, 30, 10])
    sites = np.array([[75.0, 0], [500, 0], [300, 0], [1000, 0]])
    cov = straight_line_coverage(sites, demand, reach_m=200.0)
    assert cov.toarray().astype(int).tolist() == [
        [1, 0, 0, 0],
        [1, 0, 1, 0],
        [0, 1, 1, 0],
        [0, 1, 0, 0],
        [0, 0, 0, 1],
    ]
    two = MaximalCovering.from_coverage_matrix(cov, people, threshold=200.0, p=2).solve()
    assert two.covered_population == pytest.approx(260.0)
    assert two.selected.tolist() == [0, 1] and two.added_population.tolist() == [150.0, 110.0]
    three = MaximalCovering.from_coverage_matrix(cov, people, threshold=200.0, p=3).solve()
    assert three.covered_population == pytest.approx(270.0)  # s4's 10 people: diminishing returns
    assert three.added_population.tolist() == [150.0, 110.0, 10.0]
    # s1 as an existing AED: the two new ones are s2 (110) and s4 (10); s3 now adds only C (80) < 110
    fixed = MaximalCovering.from_coverage_matrix(cov, people, threshold=200.0, p=1, existing=[0]).solve()
    assert fixed.baseline_population == 150.0 and fixed.added_population.tolist() == [110.0]
    assert pool_bound(cov, people, np.zeros(5, dtype=bool), p=2) == pytest.approx(150.0 + 130.0)
    with pytest.raises(ParameterError, match="travel costs"):
        from analysis.siting.models import PMedian

        PMedian.from_coverage_matrix(cov, people, threshold=200.0, p=1)


def test_sparse_and_dense_coverage_give_the_same_optimum() -> None:
    rng = np.random.default_rng(11)
    demand = rng.uniform(0, 3000, (600, 2))
    people = rng.uniform(1, 50, 600)
    sites = rng.uniform(0, 3000, (120, 2))
    dist = np.hypot(demand[:, None, 0] - sites[None, :, 0], demand[:, None, 1] - sites[None, :, 1])
    dense = MaximalCovering.from_cost_matrix(dist, people, threshold=250.0, p=8, existing=[0, 1]).solve()
    cov = straight_line_coverage(sites, demand, reach_m=250.0)
    sparse = MaximalCovering.from_coverage_matrix(cov, people, threshold=250.0, p=8, existing=[0, 1]).solve()
    assert not dense.time_limited and not sparse.time_limited
    assert sparse.covered_population == pytest.approx(dense.covered_population, rel=1e-9)
    assert sorted(sparse.selected.tolist()) == sorted(dense.selected.tolist())
    assert sparse.cost is None and sparse.coverage.nnz == int((dist <= 250.0).sum())


class _RoadTravel:
    """A 'network' whose walks are 1.3 × the straight line: the tiled network path must match brute force."""

    network_source = "test roads"
    crs = WORKING

    def matrix(self, sources_xy: np.ndarray, targets_xy: np.ndarray, **kw: Any) -> np.ndarray:
        d = np.hypot(
            sources_xy[:, None, 0] - targets_xy[None, :, 0], sources_xy[:, None, 1] - targets_xy[None, :, 1]
        )
        minutes = 1.3 * d / (settings.DEFAULT_SPEED_KMH["walk"] * 1000.0 / 60.0)
        return np.where(minutes <= kw["cutoff_minutes"], minutes, np.inf)


def test_network_walk_coverage_tiles_match_the_whole_matrix() -> None:
    rng = np.random.default_rng(3)
    demand = rng.uniform(0, 4000, (500, 2)) + np.array([X0, Y0])
    sites = rng.uniform(0, 4000, (90, 2)) + np.array([X0, Y0])
    walk = walk_coverage(_RoadTravel(), sites, demand, radius_m=200.0)  # type: ignore[arg-type]
    dist = np.hypot(demand[:, None, 0] - sites[None, :, 0], demand[:, None, 1] - sites[None, :, 1])
    assert walk.on_network and walk.radius_m == 200.0
    assert np.array_equal(walk.matrix.toarray(), 1.3 * dist <= 200.0 * (1 + 1e-9))
    line = walk_coverage(StraightLineTravel(crs=WORKING), sites, demand, radius_m=200.0)
    assert not line.on_network and line.straight_radius_m == pytest.approx(200.0 / settings.CIRCUITY_FACTOR)
    with pytest.raises(ParameterError, match="walking radius"):
        walk_coverage(StraightLineTravel(crs=WORKING), sites, demand, radius_m=-1.0)


def _places() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["p-school", "p-hall", "p-market"],
            "name": ["甲小学", "乙镇政府", None],
            "amenity": ["school", "townhall", "marketplace"],
            "source": "test",
            "precision": "exact",
        },
        geometry=[
            shapely.Point(X0 + 250, Y0 + 250),  # centre of the 2,500 cell: 9 points × 100
            shapely.Point(X0 + 1250, Y0 + 250),  # centre of the 500 cell: 9 points × 20
            shapely.Point(X0 + 1050, Y0 + 50),  # its corner: 4 points × 20
        ],
        crs=WORKING,
    ).to_crs("EPSG:4326")


def _inputs(*, facts: dict[str, Any], places: gpd.GeoDataFrame | None) -> Inputs:
    cells = _cells().to_crs("EPSG:4326")
    outline = shapely.box(X0 - 100, Y0 - 100, X0 + 1600, Y0 + 600)
    return Inputs(
        facilities=gpd.GeoDataFrame({"id": [], "kind": [], "status": []}, geometry=[], crs="EPSG:4326"),
        boundary=gpd.GeoDataFrame(geometry=[outline], crs=WORKING).to_crs("EPSG:4326"),
        towns=gpd.GeoDataFrame({"town_code": ["1"]}, geometry=[outline], crs=WORKING).to_crs("EPSG:4326"),
        population=PopulationSurface(cells=cells, source="modelled: uniform test cells", modelled=True),
        facts=facts,
        places=places,
    )


def test_public_places_are_the_candidates_with_hand_worked_gains() -> None:
    inputs = _inputs(facts={"aed_public_count": {"value": 0, "year": 2022}}, places=_places())
    # ceil(3,007 / 10,000) = 1 needed, 0 known: a gap of 1
    one = recommend_sites(inputs, StraightLineTravel(crs=WORKING), kind="aed")
    assert one["aed_gap"] == {
        "people_per_aed": 10_000,
        "needed": 1,
        "known": 0,
        "known_source": "reported count of public AEDs (2022), no locations",
        "gap": 1,
    }
    assert one["count"] == 1 and one["sites"][0]["place_name"] == "甲小学"
    doc = recommend_sites(inputs, StraightLineTravel(crs=WORKING), kind="aed", count=3, include_cells=True)
    assert doc["candidate_count"] == doc["candidate_pool"] == 3 and "public places" in doc["candidate_source"]
    assert [s["place_id"] for s in doc["sites"]] == ["p-school", "p-hall", "p-market"]
    # 9 × 100, then 9 × 20, then the corner's 4 points of which 1 (1,050/50) is already covered: 3 × 20
    assert [s["added_population"] for s in doc["sites"]] == pytest.approx([900.0, 180.0, 60.0])
    assert doc["covered_population"] == pytest.approx(1140.0)
    assert doc["optimal"] is True and doc["radius_m"] == 200.0 and doc["demand_spacing_m"] == 100.0
    assert doc["demand_points"] == 25 + 25 + 1
    assert doc["cell_rank"] == [1, None, 2, None]  # per population cell, for the map
    assert doc["ranking_within_town_meaningful"] is False and UNIFORM_RANKING_NOTE in doc["assumptions"]
    assert any("straight-line distance in EPSG:32650" in a for a in doc["assumptions"])
    with pytest.raises(ParameterError, match="not offered for AEDs"):
        recommend_sites(inputs, StraightLineTravel(crs=WORKING), kind="aed", count=1, model="pmedian")


def test_unknown_aed_count_is_not_taken_as_zero() -> None:
    inputs = _inputs(facts={}, places=None)
    with pytest.raises(ParameterError, match="unknown"):
        recommend_sites(inputs, StraightLineTravel(crs=WORKING), kind="aed")
    doc = recommend_sites(inputs, StraightLineTravel(crs=WORKING), kind="aed", count=2)
    assert doc["aed_gap"]["known"] is None and doc["aed_gap"]["gap"] is None and doc["aed_gap"]["needed"] == 1
    assert "lattice" in doc["candidate_source"] and doc["candidate_count"] == 51


def test_aed_gap_counts_records_before_the_reported_figure() -> None:
    facilities = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"], "kind": ["aed", "aed", "hospital"], "status": ["open", "planned", "open"]},
        geometry=[shapely.Point(118.6, 24.8), None, None],
        crs="EPSG:4326",
    )
    facts = {"aed_public_count": {"value": 60, "year": 2022}}
    gap = aed_gap(2_061_551, facilities, facts)
    assert (gap["needed"], gap["known"], gap["gap"]) == (207, 1, 206)  # ceil(206.2); the records win
    assert aed_gap(2_061_551, facilities, facts, include_planned=True)["known"] == 2
    assert aed_gap(2_061_551, facilities.iloc[2:], facts)["gap"] == 147
    assert aed_gap(50_000, facilities.iloc[2:], {})["gap"] is None


def test_public_places_from_a_real_extract(tmp_path: Path) -> None:
    places = public_places_from_osm(KOUVOLA)
    assert places["id"].tolist() == ["osm-way-180464603"]  # its one school, drawn as an area
    assert places["amenity"].tolist() == ["school"] and places["name"].tolist() == ["Helilän koulu"]
    assert (
        "OpenStreetMap way 180464603" in places["source"].iloc[0] and places["precision"].iloc[0] == "exact"
    )
    x, y = places.geometry.iloc[0].x, places.geometry.iloc[0].y
    assert 26.93 < x < 26.94 and 60.52 < y < 60.53
    more = public_places_from_osm(KOUVOLA, amenities=("school", "parking"))
    assert more["amenity"].value_counts().to_dict() == {"parking": 12, "school": 1}
    path = tmp_path / "places.geojson"
    places.to_file(path, driver="GeoJSON")
    read = load_places(path)
    assert read is not None and read["id"].tolist() == ["osm-way-180464603"]
    places.drop(columns=["source"]).to_file(path, driver="GeoJSON")
    with pytest.raises(DataError, match="source"):
        load_places(path)
    assert load_places(tmp_path / "none.geojson") is None


def _wait_for_job(client: TestClient, job_id: str, *, timeout_s: float = 120.0) -> dict[str, Any]:
    began = time.monotonic()
    while True:
        job: dict[str, Any] = client.get(f"/api/siting/jobs/{job_id}").json()
        if job["status"] in ("done", "failed") or time.monotonic() - began > timeout_s:
            return job
        time.sleep(0.2)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    from app.config import Settings
    from app.main import create_app

    with TestClient(create_app(Settings())) as c:
        yield c


@needs_default
def test_default_data_answers_aed_at_walk_scale_on_cli_api_and_map(client: TestClient) -> None:
    from app.cli import cli

    result = CliRunner().invoke(cli, ["site", "--kind", "aed", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["radius_m"] == 200 and doc["demand_spacing_m"] <= 100
    assert doc["demand_points"] > 60_000 and doc["candidate_count"] == doc["demand_points"]
    assert doc["aed_gap"]["gap"] == 147 == doc["count"]  # ceil(2,061,551 / 10,000) − the 60 reported
    assert doc["aed_gap"]["known"] == load_inputs().facts["aed_public_count"]["value"]
    added = [s["added_population"] for s in doc["sites"]]
    assert all(a >= b for a, b in itertools.pairwise(added))  # diminishing returns
    # a site adds the people of a walk (9 lattice points of 25), not those of a whole 500 m cell
    assert added[0] < 0.5 * load_inputs().population.populations.max()
    assert len(set(added)) > 10  # not one number repeated by a uniform grid of cells
    # the pool's answer is labelled with its bound over every candidate, never as proven optimal
    assert doc["optimal"] is False and 0 < doc["gap_percent"] < 5
    bound = doc["pool_bound_added_population"]
    assert doc["covered_population"] <= bound + 0.1
    assert UNIFORM_RANKING_NOTE in doc["assumptions"]
    api = client.post("/api/siting", json={"kind": "aed"})
    if api.status_code == 202:  # a busy machine: the job finishes in its budget
        job = _wait_for_job(client, api.json()["id"])
        assert job["status"] == "done", job
        body, job_id = job["result"], job["id"]
    else:
        assert api.status_code == 200, api.text
        body = api.json()
        job_id = body["job_id"]
    # a run that ended (optimal among its pool) is the request's answer: asked again, it is not run again
    assert body["complete"] is True
    again = client.post("/api/siting", json={"kind": "aed"})
    assert again.status_code == 200 and again.json()["job_id"] == job_id
    assert [(s["lon"], s["lat"]) for s in body["sites"]] == [(s["lon"], s["lat"]) for s in doc["sites"]]
    assert body["radius_m"] == 200 and body["aed_gap"]["gap"] == 147
    page = client.get("/maps/siting?kind=aed")
    assert page.status_code == 200
    assert "同一乡镇内各站点的先后排名没有意义" in page.text and "ranking of sites inside a town" in page.text
