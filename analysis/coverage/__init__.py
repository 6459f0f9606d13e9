"""Who is covered, by which tier, per town, against each standard of the plan.

The metric functions are pure: they take travel times (or distances) per population cell,
the cells' populations and town codes, or facility tables, and return one JSON-able result per
standard (see :mod:`analysis.standards`). :func:`run_coverage` asks the travel model for each
travel query once, then evaluates every standard for the current network and, when planned
facilities exist, for the network with them, so the two can be compared.

Population shares are computed over all cells with a known population: cells the travel model
cannot reach (e.g. farther from a road than the snap limit) count as not covered, and the
report lists them.

Modules
-------
``options``           the run's choices and their checked values
``prepared``          cells and facilities as arrays in the working CRS
``travel_queries``    the travel model's answers, asked once per run
``scenario``          one scenario's travel and standards
``service_circle``, ``ems``, ``aed``, ``beds``, ``counts``   the families of standards
``towns``, ``town_table``, ``town_rows``   per-town grouping and rows
``comparison``, ``left_out``, ``access_legs``, ``document``   the document's parts and its assembly
``run``               :func:`run_coverage`, the pipeline of these steps
"""

from analysis.coverage.aed import aed_per_10k, aed_walk_access
from analysis.coverage.beds import beds_per_1000
from analysis.coverage.counts import village_clinic_each_village, washing_centre_per_subcentre
from analysis.coverage.document import CELL_COLUMNS
from analysis.coverage.ems import (
    ambulance_per_30k,
    ems_radius_5km,
    ems_response_14min,
    negative_pressure_share_40,
)
from analysis.coverage.kinds import (
    EMS_KINDS,
    LOCATION_UNKNOWN,
    MEDICAL_KINDS,
    MODE_LABELS,
    SERVICE_MODES,
    TIER_LABELS,
    TIERS,
    UNKNOWN,
    WASHING_CENTRE_KIND,
)
from analysis.coverage.numeric import coverage_curve, weighted_quantile
from analysis.coverage.options import CoverageOptions, ResolvedOptions, resolve_options
from analysis.coverage.run import CoverageRun, run_coverage
from analysis.coverage.service_circle import service_circle_15min
from analysis.coverage.towns import TownIndex

__all__ = [
    "CELL_COLUMNS",
    "EMS_KINDS",
    "LOCATION_UNKNOWN",
    "MEDICAL_KINDS",
    "MODE_LABELS",
    "SERVICE_MODES",
    "TIERS",
    "TIER_LABELS",
    "UNKNOWN",
    "WASHING_CENTRE_KIND",
    "CoverageOptions",
    "CoverageRun",
    "ResolvedOptions",
    "TownIndex",
    "aed_per_10k",
    "aed_walk_access",
    "ambulance_per_30k",
    "beds_per_1000",
    "coverage_curve",
    "ems_radius_5km",
    "ems_response_14min",
    "negative_pressure_share_40",
    "resolve_options",
    "run_coverage",
    "service_circle_15min",
    "village_clinic_each_village",
    "washing_centre_per_subcentre",
    "weighted_quantile",
]
