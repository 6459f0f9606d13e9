"""Minutes taken from answers a run already has are the numbers a search of their own would give.

Three levels: the two combining rules by hand; the engine's promise behind them (a union of
sources gives the elementwise minimum of its parts, a bounded matrix is exact below its bound)
on random graphs, to the last bit; and whole coverage documents on a small road county with
tiers, planned facilities and facilities sharing a place, against the same engine made to
search every question itself.
"""

# A road graph is `G`, as in osmnx and networkx.
# ruff: noqa: N803, N806

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from analysis import settings
from analysis.coverage import CoverageOptions, resolve_options, run_coverage
from analysis.coverage.known_minima import matrix_minima, trusted_bound
from analysis.coverage.period import at_period
from analysis.coverage.prepared import prepare_cells, prepare_facilities
from analysis.coverage.scenario import scenario_travel
from analysis.coverage.travel_queries import TravelQueries
from analysis.datasets import Inputs
from analysis.errors import NetworkError
from analysis.population import PopulationSurface
from analysis.travel import NetworkTravel
from tests.test_coverage import FACTS, WORKING, X0, Y0, facility
from tests.test_travel_exact import points, random_graphs

# --- the combining rules by hand ------------------------------------------------------------------


def test_matrix_minima_are_exact_below_the_bound_only() -> None:
    rows = np.array([[3.0, np.inf, 29.0, np.inf], [5.0, 12.0, np.inf, 30.0]])
    minutes, exact = matrix_minima(rows, 30.0)
    assert minutes.tolist() == [3.0, 12.0, 29.0, 30.0]
    # an entry at the bound may hide a way through a node beyond it
    assert exact.tolist() == [True, True, True, False]
    assert trusted_bound(30.0) < 30.0
    none, none_exact = matrix_minima(np.zeros((0, 2)), 30.0)
    assert np.isinf(none).all() and not none_exact.any()


# --- the engine's promise ------------------------------------------------------------------------


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    G=random_graphs(),
    first=points,
    second=points,
    targets=points,
    profile=st.sampled_from(["car", "walk"]),
    direction=st.sampled_from(["from_sources", "to_sources"]),
    cutoff=st.sampled_from([0.5, 2.0, 8.0]),
)
def test_union_of_sources_is_the_minimum_of_its_parts_to_the_last_bit(
    G: nx.MultiDiGraph,
    first: np.ndarray,
    second: np.ndarray,
    targets: np.ndarray,
    profile: str,
    direction: Any,
    cutoff: float,
) -> None:
    try:
        engine = NetworkTravel.from_graph(G, crs=WORKING)
        union = np.vstack([first, second, first[:1]])  # a source twice: equal times
        together = engine.nearest(union, targets, profile=profile, direction=direction)
    except NetworkError:
        assume(False)
        return
    # the search that names no source gives the same minutes
    plain = engine.nearest_minutes(union, targets, profile=profile, direction=direction)
    assert np.array_equal(plain, together.minutes)
    a = engine.nearest(first, targets, profile=profile, direction=direction).minutes
    b = engine.nearest(second, targets, profile=profile, direction=direction).minutes
    assert np.array_equal(together.minutes, np.minimum(a, b))
    # bounded matrix: below the bound the smallest entry is the union's minutes exactly
    matrix = engine.matrix(union, targets, profile=profile, direction=direction, cutoff_minutes=cutoff)
    minutes, exact = matrix_minima(matrix, cutoff)
    assert np.array_equal(minutes[exact], together.minutes[exact])
    assert (together.minutes[~exact] >= trusted_bound(cutoff)).all()


# --- whole documents on a small road county ---------------------------------------------------------

SIDE = 16  # nodes per side of the road grid
STEP_M = 400.0


def road_county() -> nx.MultiDiGraph:
    """A 6 km grid of roads: primary every fourth row, one-way residential every third column,
    edges bent or stretched here and there (lengths and times not all alike)."""
    rng = np.random.default_rng(7)
    G = nx.MultiDiGraph(crs=WORKING)
    for i in range(SIDE):
        for j in range(SIDE):
            G.add_node(i * SIDE + j, x=X0 + STEP_M * j + rng.uniform(-40, 40), y=Y0 + STEP_M * i)
    for i in range(SIDE):
        for j in range(SIDE):
            u = i * SIDE + j
            for v, along_row in ((u + 1, True), (u + SIDE, False)):
                if (along_row and j == SIDE - 1) or (not along_row and i == SIDE - 1):
                    continue
                highway = "primary" if along_row and i % 4 == 0 else "residential"
                oneway = not along_row and j % 3 == 1
                a, b = G.nodes[u], G.nodes[v]
                length = float(np.hypot(a["x"] - b["x"], a["y"] - b["y"]) * rng.choice([1.0, 1.0, 1.4]))
                G.add_edge(u, v, highway=highway, length=length, oneway=oneway)
                if not oneway:
                    G.add_edge(v, u, highway=highway, length=length, oneway=False)
    return G


def _at(x: float, y: float) -> shapely.Point:
    return shapely.Point(X0 + x, Y0 + y)


def county_facilities() -> list[dict[str, Any]]:
    """Hospitals, centres and clinics, planned ones among them, two pairs sharing a place."""
    rows = [
        ("h1", "hospital", 300, 500, "open", 300),
        ("h2", "hospital", 5200, 4700, "open", 120),
        ("h3", "hospital", 2900, 2900, "planned", 500),
        ("t1", "township_centre", 2900, 2900, "open", 40),  # where the planned hospital will be
        ("t2", "township_centre", 5400, 600, "open", 30),
        ("t3", "community_centre", 800, 5600, "planned", 20),
        ("c1", "village_clinic", 4000, 3800, "open", None),
        ("c2", "village_clinic", 4000, 3800, "open", None),  # two clinics in one building
        ("c3", "village_clinic", 1500, 2100, "open", None),
    ]
    out = [
        facility(fid, kind, None, beds=beds, status=status, opens="2026" if status == "planned" else None)
        | {"geometry": _at(x, y)}
        for fid, kind, x, y, status, beds in rows
    ]
    out.append(facility("e1", "ems_station", None, ambulances=2) | {"geometry": _at(2000, 1000)})
    out.append(facility("e2", "ems_station", None, ambulances=1) | {"geometry": _at(4500, 5000)})
    return out


def county_inputs() -> Inputs:
    """Cells every 300 m over the grid, two towns split at x = 3 km."""
    xs = np.arange(100.0, STEP_M * (SIDE - 1), 300.0)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, xs))
    pop = 50.0 + (np.arange(len(gx)) * 37 % 400)
    codes = np.where(gx < 3000, "A", "B")
    cells = gpd.GeoDataFrame(
        {"cell_id": np.arange(len(gx)), "population": pop, "town_code": codes, "method": "test"},
        geometry=shapely.box(X0 + gx - 150, Y0 + gy - 150, X0 + gx + 150, Y0 + gy + 150),
        crs=WORKING,
    ).to_crs(settings.GEOGRAPHIC_CRS)
    side = STEP_M * (SIDE - 1)
    towns = gpd.GeoDataFrame(
        {
            "town_code": ["A", "B"],
            "name_zh": ["甲镇", "乙镇"],
            "name_en": ["A town", "B town"],
            "kind": "town",
            "seat_known": [True, True],
            "precision": "approximate",
            "source": "test",
            "census_2020": [None, None],
            "community": [None, None],
        },
        geometry=shapely.box([X0, X0 + 3000], Y0, [X0 + 3000, X0 + side], Y0 + side),
        crs=WORKING,
    ).to_crs(settings.GEOGRAPHIC_CRS)
    boundary = gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, X0 + side, Y0 + side)], crs=WORKING).to_crs(
        settings.GEOGRAPHIC_CRS
    )
    fac = gpd.GeoDataFrame(county_facilities(), geometry="geometry", crs=WORKING)
    fac = fac.to_crs(settings.GEOGRAPHIC_CRS)
    population = PopulationSurface(cells=cells, source="test cells on a grid", modelled=True)
    return Inputs(facilities=fac, boundary=boundary, towns=towns, population=population, facts=FACTS)


class Asked:
    """The engine with its questions counted; ``combine=False`` hides that its minima combine."""

    def __init__(self, travel: NetworkTravel, *, combine: bool) -> None:
        self._travel = travel
        self.exact_minima = combine
        self.crs = travel.crs
        self.network_source = travel.network_source
        self.asked: list[str] = []
        for name in ("nearest", "nearest_minutes", "matrix", "nearest_distance_m", "snap_distance_m"):
            setattr(self, name, self._counted(name, getattr(travel, name)))

    def _counted(self, name: str, fn: Any) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.asked.append(name)
            return fn(*args, **kwargs)

        return counted

    def __getattr__(self, name: str) -> Any:
        return getattr(self._travel, name)


def searches(travel: Asked) -> int:
    """Multi-source searches asked, naming the nearest facility or not."""
    return travel.asked.count("nearest") + travel.asked.count("nearest_minutes")


@pytest.fixture(scope="module")
def road_graph() -> nx.MultiDiGraph:
    return road_county()


@pytest.mark.parametrize(
    "options",
    [
        CoverageOptions(),
        CoverageOptions(include_planned=True),
        CoverageOptions(period="peak", include_planned=True),
        CoverageOptions(profile="car"),
        CoverageOptions(profile="walk", include_planned=True),
    ],
    ids=["default", "planned", "peak", "car", "walk"],
)
def test_documents_equal_those_of_every_question_searched(
    road_graph: nx.MultiDiGraph, options: CoverageOptions
) -> None:
    inputs = county_inputs()
    combined = Asked(NetworkTravel.from_graph(road_graph, crs=WORKING), combine=True)
    searched = Asked(NetworkTravel.from_graph(road_graph, crs=WORKING), combine=False)
    got = run_coverage(inputs, combined, options=options)  # type: ignore[arg-type]
    want = run_coverage(inputs, searched, options=options)  # type: ignore[arg-type]
    assert json.dumps(got.document, sort_keys=True) == json.dumps(want.document, sort_keys=True)
    assert got.cells.to_json(sort_keys=True) == want.cells.to_json(sort_keys=True)
    # and the combining did happen: fewer searches, the same single accessibility matrix
    assert searches(combined) < searches(searched)
    assert combined.asked.count("matrix") == searched.asked.count("matrix") == 1


#: Accessibility bands short enough that, on the small county, the matrix misses some cells of
#: each tier: the answers are then part matrix, part open facilities, part new searches.
SHORT_BANDS = ((1.5, 1.0), (3.0, 0.68), (4.5, 0.22))


@pytest.mark.parametrize("bands", [settings.E2SFCA_BANDS, SHORT_BANDS], ids=["bands", "short-bands"])
@pytest.mark.parametrize("period", ["offpeak", "peak"])
@pytest.mark.parametrize("profile", ["ebike", "car"])
def test_scenario_minutes_equal_those_of_every_question_searched_to_the_last_bit(
    road_graph: nx.MultiDiGraph,
    period: str,
    profile: str,
    bands: tuple[tuple[float, float], ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "E2SFCA_BANDS", bands)
    inputs = county_inputs()
    opts = resolve_options(CoverageOptions(period=period, profile=profile))
    answers, searched, matrices = [], [], []
    for combine in (True, False):
        asked = Asked(NetworkTravel.from_graph(road_graph, crs=WORKING), combine=combine)
        travel = at_period(asked, period)
        cells = prepare_cells(inputs.population, travel)  # type: ignore[arg-type]
        facilities = prepare_facilities(inputs.facilities, travel)  # type: ignore[arg-type]
        queries = TravelQueries(travel, cells, facilities, opts)  # type: ignore[arg-type]
        answers.append([scenario_travel(queries, with_planned=p) for p in (False, True)])
        searched.append(searches(asked))
        matrices.append(queries.catchment_matrix())
    for got, want in zip(*answers, strict=True):
        for mode, tiers in want.minutes.items():
            for tier, minutes in tiers.items():
                assert np.array_equal(got.minutes[mode][tier], minutes), (mode, tier)
        assert np.array_equal(got.nearest_any, want.nearest_any)
        assert np.array_equal(got.ems_drive, want.ems_drive)
    assert searched[0] < searched[1]
    catchment = matrices[0]
    assert catchment is not None
    searched, matrix = catchment
    # the matrix is searched from the facilities of known capacity only (clinics have none here)
    assert searched.sum() == len(matrix) == 6
    if bands == SHORT_BANDS:
        # each facility's matrix row misses some cells, yet reaches others
        assert (np.isinf(matrix).any(axis=1) & np.isfinite(matrix).any(axis=1)).all()
