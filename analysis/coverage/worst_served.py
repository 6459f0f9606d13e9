"""The worst-served: where the slowest tenth of people live, how many they are, and their times."""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis import settings
from analysis.coverage.numeric import _jsonable, weighted_quantile
from analysis.coverage.towns import TownIndex

__all__ = ["worst_served"]


def worst_served(
    minutes: np.ndarray,
    towns: TownIndex,
    cell_ids: np.ndarray,
    *,
    share: float | None = None,
) -> dict[str, Any]:
    """The people with the longest travel times, up to *share* of everyone.

    Cells are taken slowest first (unreached first of all) until their population reaches
    *share* of the total; the cell that crosses the mark is included whole, so ``population``
    may exceed the mark by less than one cell.

    Parameters
    ----------
    minutes
        Per-cell minutes (``inf`` = not reached).
    towns
        Cells grouped by town (carries the populations).
    cell_ids
        Per-cell ids.
    share
        Share of people described (``settings.WORST_SERVED_SHARE``).

    Returns
    -------
    dict
        ``share``, ``population``, ``threshold_minutes`` (fastest time among them),
        ``median_minutes``, ``max_minutes`` (``None`` = some are not reached),
        ``population_unreached``, ``cells`` (ids) and ``towns`` (people per town, most first).
    """
    part = float(settings.WORST_SERVED_SHARE if share is None else share)
    t = np.asarray(minutes, dtype=np.float64)
    pop = towns.population
    total = float(pop.sum())
    populated = np.flatnonzero(pop > 0)
    # slowest first; ties by cell order, so the result does not depend on sort internals
    order = populated[np.lexsort((populated, -t[populated]))]
    cum = np.cumsum(pop[order])
    n_take = int(np.searchsorted(cum, part * total, side="left")) + 1 if total > 0 else 0
    chosen = order[: min(n_take, len(order))]
    chosen_pop = float(pop[chosen].sum())
    per_town = towns.sums(np.where(np.isin(np.arange(len(pop)), chosen), pop, 0.0))
    town_rows = sorted(
        (
            {
                "town_code": code,
                "population": float(per_town[i]),
                "share_of_town": float(per_town[i] / towns.town_population[i])
                if towns.town_population[i] > 0
                else None,
            }
            for i, code in enumerate(towns.codes)
            if per_town[i] > 0
        ),
        key=lambda r: (-r["population"], str(r["town_code"])),
    )
    times = t[chosen]
    return _jsonable(
        {
            "share": part,
            "population": chosen_pop,
            "population_total": total,
            "threshold_minutes": float(times.min()) if len(times) else None,
            "median_minutes": weighted_quantile(times, pop[chosen], 0.5) if len(times) else None,
            "max_minutes": float(times.max()) if len(times) else None,
            "population_unreached": float(pop[chosen][~np.isfinite(times)].sum()),
            "cells": np.asarray(cell_ids)[chosen],
            "towns": town_rows,
        }
    )
