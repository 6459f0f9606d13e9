"""What a run could not consider (facilities and cells), and why, so the report can list them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis import settings
from analysis.coverage.kinds import LOCATION_UNKNOWN, UNKNOWN
from analysis.coverage.numeric import _jsonable
from analysis.coverage.results import _column

if TYPE_CHECKING:
    from analysis.coverage.options import ResolvedOptions
    from analysis.coverage.prepared import CellTable, FacilityTable
    from analysis.coverage.scenario import Scenario
    from analysis.coverage.town_table import TownContext


def facilities_left_out(fac: FacilityTable, opts: ResolvedOptions) -> list[dict[str, Any]]:
    """Facilities left out of travel times or of the headline scenario, each with its reason.

    Parameters
    ----------
    fac
        The run's facilities.
    opts
        The run's options (whether planned facilities count).

    Returns
    -------
    list of dict
        ``id``, ``name_zh``, ``kind``, ``status``, ``reason``.
    """
    left = []
    names = _column(fac.frame, "name_zh").to_numpy(dtype=object)
    opens_at = _column(fac.frame, "opens").to_numpy(dtype=object)
    for i in range(len(fac.frame)):
        if fac.far[i]:
            reason = (
                f"farther than {settings.MAX_SNAP_DISTANCE_M:g} m (MAX_SNAP_DISTANCE_M) from any "
                "road: left out of travel times; still counted in fleet, bed and AED counts"
            )
        elif not fac.placed[i]:
            reason = (
                f"not placed: {LOCATION_UNKNOWN} (left out of travel times; still counted in "
                "fleet, bed and AED counts)"
            )
        elif fac.is_planned[i] and not opts.include_planned:
            opens = opens_at[i]
            when = UNKNOWN if opens is None or pd.isna(opens) else opens
            reason = f"planned (opens {when}): counted only with include_planned"
        elif not (fac.is_open[i] or fac.is_planned[i]):
            reason = f"status {fac.status[i]!r} is neither open nor planned"
        else:
            continue
        left.append(
            {
                "id": fac.ids[i],
                "name_zh": names[i],
                "kind": fac.kind[i],
                "status": fac.status[i],
                "reason": reason,
            }
        )
    return left


def cells_left_out(
    cells: CellTable,
    fac: FacilityTable,
    towns: TownContext,
    chosen: Scenario,
    opts: ResolvedOptions,
) -> list[dict[str, Any]]:
    """Groups of cells left out of some measure, each with its reason, cell ids and population.

    Parameters
    ----------
    cells, fac, towns
        The run's cells, facilities and towns.
    chosen
        The headline scenario.
    opts
        The run's options.

    Returns
    -------
    list of dict
        ``reason``, ``cell_ids``, ``population`` (``None`` when unknown); empty groups are dropped.
    """
    pop, pop_missing, cell_ok = cells.population, cells.population_missing, cells.snappable
    known_codes = {t["town_code"] for t in towns.rows}
    outside_town = np.array([c not in known_codes for c in towns.index.codes], dtype=bool)
    # (reason, cells, whether their population is known)
    groups: list[tuple[str, np.ndarray, bool]] = [
        ("population missing: left out of every share", pop_missing, False),
        (
            f"farther than {settings.MAX_SNAP_DISTANCE_M:g} m (MAX_SNAP_DISTANCE_M) from any road: "
            "no travel time, counted as not covered",
            ~cell_ok & ~pop_missing,
            True,
        ),
        (
            f"no travel time by {opts.profile} to any facility (farther than "
            f"{settings.MAX_SNAP_DISTANCE_M:g} m from a road, MAX_SNAP_DISTANCE_M, or on a part of "
            "the network that reaches no facility): counted as not covered",
            ~np.isfinite(chosen.minutes[opts.profile]["any"])
            & (pop > 0)
            & bool(len(fac.medical_index))
            & cell_ok,
            True,
        ),
        (
            "no ambulance travel time from any 120 site: counted as not covered",
            ~np.isfinite(chosen.ems_drive) & (pop > 0) & bool(len(fac.ems_index)) & cell_ok,
            True,
        ),
        (
            "town code not in the town table: counted in county totals only",
            outside_town[towns.index.index] & (pop > 0),
            True,
        ),
    ]
    return [
        {
            "reason": reason,
            "cell_ids": _jsonable(cells.cell_ids[mask]),
            "population": float(pop[mask].sum()) if known else None,
        }
        for reason, mask, known in groups
        if mask.any()
    ]
