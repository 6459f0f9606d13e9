"""What-if scenarios: changes to the facilities, saved in the county database, compared standard by standard.

:mod:`~analysis.scenarios.changes` checks and applies changes (add / remove / move a facility, change
its ambulances or beds), :mod:`~analysis.scenarios.store` saves scenarios atomically in SQLite and
:mod:`~analysis.scenarios.coverage` runs the coverage of a scenario and
:mod:`~analysis.scenarios.compare` sets two coverage documents side by side.
"""

from analysis.scenarios.changes import (
    ADDED_SOURCE,
    BASES,
    OPS,
    Change,
    ScenarioSpec,
    apply_changes,
    parse_change,
    parse_scenario,
)
from analysis.scenarios.compare import compare_documents
from analysis.scenarios.coverage import BUILT_IN, run_scenario
from analysis.scenarios.store import ScenarioStore, StoredScenario

__all__ = [
    "ADDED_SOURCE",
    "BASES",
    "BUILT_IN",
    "OPS",
    "Change",
    "ScenarioSpec",
    "ScenarioStore",
    "StoredScenario",
    "apply_changes",
    "compare_documents",
    "parse_change",
    "parse_scenario",
    "run_scenario",
]
