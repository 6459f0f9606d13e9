"""Supply relative to demand: enhanced two-step floating catchment (E2SFCA) accessibility.

Step 1 gives each facility *j* a supply-to-demand ratio ``R_j = S_j / Σ_i P_i W(t_ij)`` over the
people *i* inside its catchment; step 2 gives each cell ``A_i = Σ_j R_j W(t_ij)``, the capacity
(beds, doctors …) reachable per person, here per ``settings.ACCESSIBILITY_PER_PEOPLE`` people.
``W`` is a step function of travel time over ``settings.E2SFCA_BANDS`` (Luo & Qi 2009). The
population-weighted mean of ``A`` is the capacity that some population reaches, per person:
capacity nobody reaches is lost, and capacity whose size is unknown is left out (the score is
then a lower bound, and says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis import settings
from analysis.coverage.equity import inequality
from analysis.coverage.towns import TownIndex

__all__ = ["band_weights", "capacity_columns", "e2sfca", "e2sfca_result", "known_capacity"]


def capacity_columns(frame: pd.DataFrame) -> list[str]:
    """Capacity columns of ``settings.CAPACITY_COLUMNS`` the facility table has: ``beds`` always,
    the others when at least one facility gives a number."""
    out = []
    for column in settings.CAPACITY_COLUMNS:
        if column not in frame:
            continue
        if column == "beds" or pd.to_numeric(frame[column], errors="coerce").notna().any():
            out.append(column)
    return out


def known_capacity(frame: pd.DataFrame) -> np.ndarray:
    """Facilities with a number in at least one capacity column: the only ones the measure weighs.

    Parameters
    ----------
    frame
        Facility table.

    Returns
    -------
    numpy.ndarray
        Boolean per row.
    """
    known = np.zeros(len(frame), dtype=bool)
    for column in capacity_columns(frame):
        known |= np.isfinite(pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64))
    return known


def band_weights(minutes: np.ndarray, bands: Sequence[tuple[float, float]] | None = None) -> np.ndarray:
    """Decay weight of each travel time: the weight of the first band whose upper bound it does not exceed.

    Parameters
    ----------
    minutes
        Travel minutes (any shape; ``inf`` = not reached).
    bands
        ``(upper_minutes, weight)`` in increasing order (``settings.E2SFCA_BANDS``).

    Returns
    -------
    numpy.ndarray
        Weights of the same shape; 0 beyond the last band.
    """
    chosen = tuple(settings.E2SFCA_BANDS if bands is None else bands)
    t = np.asarray(minutes, dtype=np.float64)
    uppers = np.array([b[0] for b in chosen], dtype=np.float64)
    weights = np.array([b[1] for b in chosen] + [0.0], dtype=np.float64)
    # side="left": a time equal to an upper bound belongs to that band
    idx = np.searchsorted(uppers, np.where(np.isnan(t), np.inf, t), side="left")
    return weights[idx]


def e2sfca(
    minutes: np.ndarray,
    supply: np.ndarray,
    population: np.ndarray,
    *,
    bands: Sequence[tuple[float, float]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """E2SFCA scores per cell and supply-to-demand ratios per facility.

    Parameters
    ----------
    minutes
        Travel minutes, shape (facilities, cells); ``inf`` = not reached.
    supply
        Capacity per facility (NaN or 0 = contributes nothing).
    population
        Population per cell.
    bands
        ``(upper_minutes, weight)`` decay bands (``settings.E2SFCA_BANDS``).

    Returns
    -------
    tuple of numpy.ndarray
        Per-cell capacity per person (``A_i``) and per-facility ratio (``R_j``, NaN when nobody is
        in a facility's catchment).
    """
    t = np.asarray(minutes, dtype=np.float64)
    s = np.nan_to_num(np.asarray(supply, dtype=np.float64))
    pop = np.nan_to_num(np.asarray(population, dtype=np.float64))
    if t.size == 0:
        return np.zeros(t.shape[1] if t.ndim == 2 else len(pop)), np.full(len(s), np.nan)
    w = band_weights(t, bands)
    demand = w @ pop
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(demand > 0, s / demand, np.nan)
    score = np.nan_to_num(ratio) @ w
    return score, ratio


def e2sfca_result(
    minutes: np.ndarray,
    supply: np.ndarray,
    population: np.ndarray,
    *,
    towns: TownIndex,
    capacity: str,
    supply_unknown: int,
    facilities_counted: int,
    bands: Sequence[tuple[float, float]] | None = None,
    profile: str | None = None,
    per_people: int | None = None,
    unplaced: Sequence[tuple[str, float]] = (),
) -> tuple[dict[str, Any], np.ndarray]:
    """E2SFCA accessibility of one capacity column, county-wide, per town and its inequality.

    Parameters
    ----------
    minutes
        Travel minutes, shape (facilities with this capacity known, cells).
    supply
        Capacity per facility.
    population
        Population per cell.
    towns
        Cells grouped by town.
    capacity
        Name of the capacity column (``beds``, ``doctors`` …).
    supply_unknown
        Facilities counted in the run whose capacity is unknown (left out: lower bound).
    facilities_counted
        Facilities whose capacity is known.
    unplaced
        ``(id, capacity)`` of counted facilities with a known capacity but no travel time (no
        location, or off the roads): left out of the scores, and said so.
    bands, profile, per_people
        Settings shown with the result (``settings.E2SFCA_BANDS``, ``E2SFCA_PROFILE``,
        ``ACCESSIBILITY_PER_PEOPLE``).

    Returns
    -------
    tuple
        The JSON-able block and the per-cell score (capacity per *per_people* people).
    """
    chosen_bands = tuple(settings.E2SFCA_BANDS if bands is None else bands)
    per = int(settings.ACCESSIBILITY_PER_PEOPLE if per_people is None else per_people)
    score, ratio = e2sfca(minutes, supply, population, bands=chosen_bands)
    score = score * per
    pop = towns.population
    total = float(pop.sum())
    supply_total = float(np.nansum(np.asarray(supply, dtype=np.float64)))
    reached = float(np.nansum(np.where(np.isfinite(ratio), supply, 0.0)))
    county = float((score * pop).sum() / total) if total > 0 else None
    town_scores = towns.sums(score * pop)
    rows = []
    for i, code in enumerate(towns.codes):
        town_pop = float(towns.town_population[i])
        rows.append(
            {
                "town_code": code,
                "population": town_pop,
                "value": float(town_scores[i] / town_pop) if town_pop > 0 else None,
            }
        )
    town_values = np.array([r["value"] if r["value"] is not None else np.nan for r in rows])
    lower_bound = supply_unknown > 0 or len(unplaced) > 0
    note = (
        f"{capacity} reachable per {per:,} people by {profile or settings.E2SFCA_PROFILE} "
        f"(E2SFCA, bands {', '.join(f'≤{b[0]:g} min ×{b[1]:g}' for b in chosen_bands)}): county "
        f"{'unknown' if county is None else f'{county:.2f}'}; {facilities_counted} facilities with "
        f"{supply_total:,.0f} {capacity} counted."
    )
    if lower_bound:
        note += (
            f" {capacity.capitalize()} unknown at {supply_unknown} facilities: they add nothing here, "
            "so every score is a lower bound."
        )
    if unplaced:
        note += (
            f" {sum(c for _, c in unplaced):,.0f} {capacity} at {len(unplaced)} facilities without a travel "
            f"time ({', '.join(i for i, _ in unplaced)}: no location or off the roads) are left out."
        )
    if reached < supply_total:
        note += f" {supply_total - reached:,.0f} {capacity} lie beyond every populated cell's catchment."
    block = {
        "capacity": capacity,
        "unit": f"{capacity} per {per:,} people",
        "profile": profile or settings.E2SFCA_PROFILE,
        "bands": [{"upper_minutes": b[0], "weight": b[1]} for b in chosen_bands],
        "per_people": per,
        "value": county,
        "lower_bound": lower_bound,
        "facilities_counted": facilities_counted,
        "facilities_unknown": supply_unknown,
        "capacity_unplaced": [{"id": i, capacity: c} for i, c in unplaced],
        "capacity_counted": supply_total,
        "capacity_reached": reached,
        "towns": rows,
        "inequality": {
            "county": inequality(score, pop),
            "across_towns": inequality(town_values, towns.town_population),
        },
        "note": note,
    }
    return block, score
