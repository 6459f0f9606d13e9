"""AED siting at the scale of a walk.

:mod:`~analysis.siting.aed.demand` (demand points every 100 m inside populated cells),
:mod:`~analysis.siting.aed.coverage` (who is within the walk of which site, as a sparse matrix),
:mod:`~analysis.siting.aed.gap` (AEDs needed for 1 per 10,000 minus those known) and
:mod:`~analysis.siting.aed.setup` (all of it for one siting run, with the candidates and their pool).
"""

from analysis.siting.aed.coverage import WalkCoverage, straight_line_coverage, walk_coverage
from analysis.siting.aed.demand import WalkDemand, walk_demand_points
from analysis.siting.aed.gap import aed_gap
from analysis.siting.aed.setup import UNIFORM_RANKING_NOTE, AedSetup, pool_bound, prepare_aed

__all__ = [
    "UNIFORM_RANKING_NOTE",
    "AedSetup",
    "WalkCoverage",
    "WalkDemand",
    "aed_gap",
    "pool_bound",
    "prepare_aed",
    "straight_line_coverage",
    "walk_coverage",
    "walk_demand_points",
]
