"""One coverage run: every standard of the plan, on the current network and with planned facilities."""

from __future__ import annotations

import copy
import dataclasses
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd

from analysis.coverage.document import assemble_document, cells_frame
from analysis.coverage.fixed_parts import FixedParts, fixed_parts
from analysis.coverage.measures import evaluate_measures
from analysis.coverage.numeric import _jsonable
from analysis.coverage.options import CoverageOptions, resolve_options
from analysis.coverage.period import at_period
from analysis.coverage.prepared import prepare_cells, prepare_facilities
from analysis.coverage.scenario import Scenario, evaluate_standards, scenario_travel
from analysis.coverage.sensitivity import population_sensitivity
from analysis.coverage.town_rows import add_town_headlines, add_town_measures, align_town_rows
from analysis.coverage.town_table import TownContext
from analysis.coverage.travel_cache import remembering
from analysis.coverage.travel_queries import TravelQueries

if TYPE_CHECKING:
    from analysis.coverage.options import ResolvedOptions
    from analysis.datasets import Inputs
    from analysis.travel import TravelModel

logger = logging.getLogger("analysis.coverage")


@dataclass(frozen=True)
class CoverageRun:
    """Result of :func:`run_coverage`.

    Attributes
    ----------
    document
        JSON-able report (the same as ``healthcircle report --format json``).
    cells
        EPSG:4326 cell polygons with per-cell minutes, nearest sites and covered flags.
    """

    document: dict[str, Any]
    cells: gpd.GeoDataFrame


def _evaluate(
    queries: TravelQueries,
    towns: TownContext,
    inputs: Inputs,
    opts: ResolvedOptions,
    *,
    with_planned: bool,
    parts: FixedParts,
) -> Scenario:
    # per-cell travel of the scenario: arrays nobody changes, shared by every threshold
    travel = parts.get(
        ("travel", with_planned), lambda: scenario_travel(queries, with_planned=with_planned), shared=True
    )
    results = evaluate_standards(
        queries,
        towns,
        travel,
        opts=opts,
        facts=inputs.facts,
        network_source=queries.travel.network_source,
        parts=parts,
        tag=("scenario", with_planned),
    )
    measures, scores = evaluate_measures(
        queries, towns, travel, opts=opts, facts=inputs.facts, parts=parts, tag=("scenario", with_planned)
    )
    return Scenario(travel, results, measures, scores)


def run_coverage(
    inputs: Inputs, travel: TravelModel, *, options: CoverageOptions | None = None
) -> CoverageRun:
    """Evaluate every standard on the inputs with one travel model.

    Parameters
    ----------
    inputs
        Facilities, towns, population surface and reported facts.
    travel
        Travel-time model (road network or straight-line estimate).
    options
        Choices of the run; ``None`` means defaults from :mod:`analysis.settings`.

    Returns
    -------
    CoverageRun
        The JSON-able document and the per-cell GeoDataFrame.

    Raises
    ------
    ParameterError
        If an option is outside its allowed range.
    DataError
        If the facility or population tables lack required columns.
    """
    opts = resolve_options(options)
    # travel answers are remembered per model across runs; only thresholds change the document,
    # and what no threshold changes is remembered per inputs, travel and travel options
    remembered = remembering(travel)
    parts = fixed_parts(inputs, remembered, opts)
    travel = at_period(remembered, opts.period)
    cells = parts.get("cells", lambda: prepare_cells(inputs.population, travel), shared=True)
    facilities = parts.get("facilities", lambda: prepare_facilities(inputs.facilities, travel), shared=True)
    queries = TravelQueries(travel, cells, facilities, opts)
    shared_towns = parts.get("towns", lambda: TownContext.build(inputs.towns, cells), shared=True)
    # the rows are filled in by this run: its own copy
    towns = dataclasses.replace(shared_towns, rows=copy.deepcopy(shared_towns.rows))

    current = _evaluate(queries, towns, inputs, opts, with_planned=False, parts=parts)
    planned = (
        _evaluate(queries, towns, inputs, opts, with_planned=True, parts=parts)
        if facilities.has_planned
        else current
    )
    chosen = planned if opts.include_planned else current

    sensitivity = population_sensitivity(
        queries,
        inputs.towns,
        chosen.travel,
        chosen.results,
        opts=opts,
        facts=inputs.facts,
        network_source=travel.network_source,
        parts=parts,
    )
    align_town_rows(chosen.results, towns.rows)
    add_town_headlines(towns.rows, chosen.results)
    add_town_measures(towns.rows, chosen.measures)
    document = assemble_document(
        surface=inputs.population,
        network_source=travel.network_source,
        facts=inputs.facts,
        cells=cells,
        fac=facilities,
        towns=towns,
        current=current,
        planned=planned,
        chosen=chosen,
        opts=opts,
    )
    document["population_sensitivity"] = _jsonable(sensitivity)
    logger.info(
        "coverage of %d cells (%.0f people) from %d facilities, %d 120 sites (%s)",
        cells.n,
        cells.total,
        len(facilities.medical_index),
        len(facilities.ems_index),
        travel.network_source,
    )
    return CoverageRun(document=document, cells=cells_frame(cells, facilities, chosen, opts))
