"""The coverage run of a scenario: the same document as ``/api/coverage``, on the changed facilities."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from analysis.coverage import CoverageOptions, CoverageRun, run_coverage
from analysis.errors import ParameterError
from analysis.scenarios.changes import ScenarioSpec, apply_changes

if TYPE_CHECKING:
    import geopandas as gpd

    from analysis.datasets import Inputs
    from analysis.travel import TravelModel

#: Names of the built-in scenarios: the facilities open today, and with the planned ones open too.
BUILT_IN: tuple[str, ...] = ("today", "planned")


def run_scenario(
    inputs: Inputs,
    travel: TravelModel,
    scenario: ScenarioSpec | str,
    *,
    options: CoverageOptions | None = None,
) -> tuple[CoverageRun, gpd.GeoDataFrame]:
    """Coverage of a scenario and its facilities.

    Parameters
    ----------
    inputs
        The county's inputs.
    travel
        Travel model.
    scenario
        ``"today"``, ``"planned"`` or a :class:`ScenarioSpec`.
    options
        Coverage options; ``include_planned`` is ignored (the scenario's base decides). A built-in name
        gives exactly the ``/api/coverage`` run with ``include_planned`` false or true.

    Returns
    -------
    (CoverageRun, GeoDataFrame)
        The run and the scenario's facilities.

    Raises
    ------
    ParameterError
        An unknown built-in name, or a change names an unknown facility.
    """
    base = options if options is not None else CoverageOptions()
    if isinstance(scenario, str):
        if scenario not in BUILT_IN:
            msg = f"unknown scenario {scenario!r}; use a saved scenario's id, 'today' or 'planned'"
            raise ParameterError(msg)
        planned = scenario == "planned"
        run = run_coverage(inputs, travel, options=dataclasses.replace(base, include_planned=planned))
        facilities = inputs.facilities
        return run, facilities if planned else facilities[facilities["status"] != "planned"]
    changed = apply_changes(inputs, scenario)
    run = run_coverage(changed, travel, options=dataclasses.replace(base, include_planned=False))
    return run, changed.facilities
