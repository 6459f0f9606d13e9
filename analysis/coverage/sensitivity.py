"""How much the headline shares depend on the population model.

A folder's population surface may carry, beside ``population``, other models of the same cells in
columns ``population_model_<name>`` (the default carries the area-only model beside the tiered one;
``population_model`` names the headline model). Travel does not depend on where people live, so
each model re-weights the same per-cell minutes: no travel is queried again. With one model (a
real census table or raster) the range is that one value.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.coverage.town_table import TownContext

if TYPE_CHECKING:
    import geopandas as gpd

    from analysis.coverage.fixed_parts import FixedParts
    from analysis.coverage.options import ResolvedOptions
    from analysis.coverage.prepared import CellTable
    from analysis.coverage.scenario import ScenarioTravel
    from analysis.coverage.travel_queries import TravelQueries

__all__ = ["MODEL_PREFIX", "population_models", "population_sensitivity", "range_text"]

#: Prefix of the cell columns holding other population models.
MODEL_PREFIX = "population_model_"
#: Name of the headline model when the cells do not say (``population_model`` column).
DEFAULT_MODEL_NAME = "supplied"
SHARE_UNIT = "share of population"


def population_models(cells: CellTable) -> dict[str, np.ndarray]:
    """The population models of the cells: the headline one first, then each ``population_model_<name>``.

    Parameters
    ----------
    cells
        The run's cells.

    Returns
    -------
    dict
        Per-cell population per model name (missing values as 0).
    """
    frame = cells.frame
    name = DEFAULT_MODEL_NAME
    if "population_model" in frame and len(frame):
        first = frame["population_model"].iloc[0]
        name = str(first) if isinstance(first, str) and first else DEFAULT_MODEL_NAME
    models = {name: cells.population}
    for column in sorted(c for c in frame.columns if str(c).startswith(MODEL_PREFIX)):
        values = np.asarray(frame[column], dtype=np.float64)
        models[str(column)[len(MODEL_PREFIX) :]] = np.where(np.isfinite(values), values, 0.0)
    return models


def range_text(low: float | None, high: float | None, *, models: int) -> str:
    """The range of a share for people: ``"depends on the population model: 38–46 %"``.

    Parameters
    ----------
    low, high
        Smallest and largest share over the models.
    models
        Number of population models.

    Returns
    -------
    str
        One value when the models agree or there is only one.
    """
    if low is None or high is None:
        return "unknown"
    if models < 2:
        return f"one population model: {low:.1%}"
    if math.isclose(low, high, abs_tol=5e-4):
        return f"the same under every population model: {low:.1%}"
    digits = 0 if round(low * 100) != round(high * 100) else 1
    return f"depends on the population model: {low * 100:.{digits}f}–{high * 100:.{digits}f} %"


def _shares(results: list[dict[str, Any]], profile: str) -> dict[str, float | None]:
    """Headline shares of one evaluation: each share standard, and the circle's tiers."""
    out: dict[str, float | None] = {}
    for r in results:
        if r.get("unit") != SHARE_UNIT:
            continue
        out[r["id"]] = r.get("value")
        if r["id"] == "service_circle_15min":
            for tier in ("township", "hospital"):
                out[f"service_circle_15min.{tier}"] = r["by_mode"][profile].get(tier)
    return out


def population_sensitivity(
    queries: TravelQueries,
    towns: gpd.GeoDataFrame,
    travel: ScenarioTravel,
    results: list[dict[str, Any]],
    *,
    opts: ResolvedOptions,
    facts: Mapping[str, Any] | None,
    network_source: str,
    parts: FixedParts | None = None,
) -> dict[str, Any]:
    """Every headline share of the headline scenario under each population model, and its range.

    Adds ``population_range`` to each share result in *results*.

    Parameters
    ----------
    queries
        The run's travel queries (their cells carry the models).
    towns
        The town table.
    travel
        The headline scenario's travel.
    results
        The headline scenario's results (gain ``population_range``).
    opts, facts, network_source
        As for :func:`analysis.coverage.scenario.evaluate_standards`.
    parts
        Where what no threshold changes is remembered (per population model and scenario).

    Returns
    -------
    dict
        ``headline_model``, ``models`` (name, total), ``collapsed``, ``shares`` (id → values, low,
        high, text) and a ``note``.
    """
    from analysis.coverage.scenario import evaluate_standards

    models = population_models(queries.cells)
    names = list(models)
    values: dict[str, dict[str, float | None]] = {}
    for name, population in models.items():
        if name == names[0]:
            shares = _shares(results, opts.profile)
        else:
            cells = dataclasses.replace(
                queries.cells,
                population=population,
                population_raw=population,
                population_missing=np.zeros(len(population), dtype=bool),
                total=float(population.sum()),
            )
            alt_queries = queries.with_cells(cells)
            build = functools.partial(TownContext.build, towns, cells)
            alt_towns = build() if parts is None else parts.get(("towns", name), build, shared=True)
            alt = evaluate_standards(
                alt_queries,
                alt_towns,
                travel,
                opts=opts,
                facts=facts,
                network_source=network_source,
                parts=parts,
                tag=("population model", name, travel.active.tobytes()),
            )
            shares = _shares(alt, opts.profile)
        for key, value in shares.items():
            values.setdefault(key, {})[name] = value
    out_shares = {}
    for key, per_model in values.items():
        known = [v for v in per_model.values() if v is not None]
        low = min(known) if len(known) == len(per_model) else None
        high = max(known) if len(known) == len(per_model) else None
        out_shares[key] = {
            "values": per_model,
            "low": low,
            "high": high,
            "text": range_text(low, high, models=len(models)),
        }
    for r in results:
        if r["id"] in out_shares:
            r["population_range"] = dict(out_shares[r["id"]])
    return {
        "headline_model": names[0],
        "models": [{"name": n, "total": float(p.sum())} for n, p in models.items()],
        "collapsed": len(models) < 2,
        "shares": out_shares,
        "note": (
            "Each headline share recomputed with every population model the data carries (same cells, same "
            "travel times, other people per cell); the range is the smallest to the largest. A modelled "
            "population is an estimate: read the share as this range, not one number."
            if len(models) > 1
            else "One population model (e.g. a census table or raster): the range is that one value."
        ),
    }
