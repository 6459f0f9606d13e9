"""The AED gap: AEDs needed for 1 per ``settings.PEOPLE_PER_AED`` people minus the public AEDs known.

The AEDs known are counted as the coverage report's ``aed_per_10k`` counts them: the AED records of the
facility data (located or not) when there are any, else the reported count (``facts["aed_public_count"]``);
with neither the count, and so the gap, is unknown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from analysis import settings

if TYPE_CHECKING:
    import geopandas as gpd


def aed_gap(
    total_population: float,
    facilities: gpd.GeoDataFrame,
    facts: Mapping[str, Mapping[str, Any]],
    *,
    include_planned: bool = False,
) -> dict[str, Any]:
    """AEDs needed, known and missing, as counts.

    Parameters
    ----------
    total_population
        People of the county.
    facilities
        Facility records (``kind``, ``status``); AED rows are counted, located or not.
    facts
        Reported figures (``aed_public_count``).
    include_planned
        Count planned AEDs as known.

    Returns
    -------
    dict
        ``people_per_aed``, ``needed`` (ceil of population / people per AED), ``known`` (None when
        unknown), ``known_source`` (plain words), ``gap`` (needed − known, at least 0; None when the
        known count is unknown).
    """
    per = int(settings.PEOPLE_PER_AED)
    needed = math.ceil(total_population / per) if total_population > 0 else 0
    statuses = ("open", "planned") if include_planned else ("open",)
    rows = facilities[(facilities["kind"] == "aed") & facilities["status"].isin(statuses)]
    known: int | None
    if len(rows):
        located = int((rows.geometry.notna() & ~rows.geometry.is_empty).sum())
        known = len(rows)
        source = f"{known} AED records in the facility data ({located} with a location)"
    else:
        fact = facts.get("aed_public_count") or {}
        value = fact.get("value")
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            known = int(value)
            year = fact.get("year")
            source = f"reported count of public AEDs{f' ({year})' if year else ''}, no locations"
        else:
            known, source = None, "unknown: no AED records and no reported AED count"
    return {
        "people_per_aed": per,
        "needed": needed,
        "known": known,
        "known_source": source,
        "gap": None if known is None else max(needed - known, 0),
    }
