"""Where new sites buy the most coverage: location models with the existing sites kept fixed.

Five models, each built either from numbers (:meth:`from_cost_matrix`, a demand × site matrix of
travel times) or from GeoDataFrames (:meth:`from_geodataframe`), and solved as a mixed-integer
programme with HiGHS (through ``highspy``):

- :class:`MaximalCovering` (MCLP): ``p`` new sites that add the most population within the
  threshold;
- :class:`SetCovering` (LSCP): the fewest new sites that bring coverage to a target share of the
  population (a share below 1 is the partial-covering variant);
- :class:`PMedian`: ``p`` new sites that minimise population-weighted travel time;
- :class:`ExpectedCovering` (MEXCLP, Daskin 1983): ``k`` more ambulances, each busy a fraction ``q`` of
  the time, placed where they add the most expected coverage;
- :class:`BackupCovering` (Hogan and ReVelle 1986): new stations valued for first and second coverage.

Existing sites are forced open and never counted in ``p``. After solving, the chosen sites are
ranked greedily by the population each adds over the existing sites, so ``added_population`` never
rises down the table and a planner can stop at any budget.

:func:`recommend_sites` wraps the three use cases of the county plan (120 stations, health
facilities, public AEDs) with their own thresholds, profiles and existing sites, and returns a
JSON-able document.

Layout: :mod:`~analysis.siting.models` (one file per model family), :mod:`~analysis.siting.solver` (the
shared HiGHS call), :mod:`~analysis.siting.gains` (marginal gains and ranking),
:mod:`~analysis.siting.candidates`, :mod:`~analysis.siting.use_cases`, :mod:`~analysis.siting.recommend`,
:mod:`~analysis.siting.documents`, :mod:`~analysis.siting.budget` (one wall-clock budget per run),
:mod:`~analysis.siting.request` (the one request path of map, API and CLI) and :mod:`~analysis.siting.jobs`
(stored jobs and results).
"""

from analysis.siting.candidates import candidates_xy, county_outline, grid_candidates, load_candidates
from analysis.siting.demand import aggregate_demand
from analysis.siting.documents import SITE_COLUMNS, sites_frame, sites_geojson
from analysis.siting.gains import cell_ranks, coverage_matrix, greedy_maximal_covering
from analysis.siting.kinds import (
    CANDIDATE_FILTERS,
    EXISTING_KINDS,
    KINDS,
    MODELS,
    CandidateFilter,
    Kind,
    ModelName,
    SiteKind,
    SiteModel,
)
from analysis.siting.models import (
    BackupCovering,
    ExpectedCovering,
    LocationModel,
    MaximalCovering,
    PMedian,
    SetCovering,
    busy_fraction,
    expected_coverage,
)
from analysis.siting.recommend import recommend_sites
from analysis.siting.solver import SOLVER_NAME

__all__ = [
    "CANDIDATE_FILTERS",
    "EXISTING_KINDS",
    "KINDS",
    "MODELS",
    "SITE_COLUMNS",
    "SOLVER_NAME",
    "BackupCovering",
    "CandidateFilter",
    "ExpectedCovering",
    "Kind",
    "LocationModel",
    "MaximalCovering",
    "ModelName",
    "PMedian",
    "SetCovering",
    "SiteKind",
    "SiteModel",
    "aggregate_demand",
    "busy_fraction",
    "candidates_xy",
    "cell_ranks",
    "county_outline",
    "coverage_matrix",
    "expected_coverage",
    "greedy_maximal_covering",
    "grid_candidates",
    "load_candidates",
    "recommend_sites",
    "sites_frame",
    "sites_geojson",
]
