"""Beds (capacity) per 1,000 people, county-wide and per medical community."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis import settings
from analysis.coverage.results import (
    _assumptions,
    _column,
    _compare,
    _fact_value,
    _names,
    _num,
    _result,
    _some_names,
)
from analysis.standards import get_standard

__all__ = ["beds_per_1000"]


def beds_per_1000(
    facilities: pd.DataFrame,
    population_total: float,
    *,
    community_population: Mapping[Any, float] | None = None,
    facts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Beds per 1,000 people from facility attributes, county and per medical community.

    Parameters
    ----------
    facilities
        Medical facilities counted (``id``, ``name_zh``, ``beds``, ``community``).
    population_total
        People served.
    community_population
        Population per medical community id (lead hospital id).
    facts
        Reported figures; ``hospital_beds_2020`` is quoted beside the result.

    Returns
    -------
    dict
        ``value`` is known beds per 1,000; ``passed`` is ``None`` when it falls short but some
        facilities' beds are unknown (the known value is then only a lower bound).
    """
    std = get_standard("beds_per_1000")
    need = float(settings.BEDS_PER_1000)
    beds = pd.to_numeric(_column(facilities, "beds"), errors="coerce")
    unknown = facilities[beds.isna().to_numpy()]
    known_beds = float(beds.sum(skipna=True))
    value = known_beds / population_total * 1000.0 if population_total > 0 else None
    passed = _compare(value, need, ">=")
    if passed is False and len(unknown) > 0:
        passed = None
    note = f"{known_beds:,.0f} known beds for {population_total:,.0f} people = {_num(value)} per 1,000."
    if len(unknown) > 0:
        note += (
            f" Beds unknown at {len(unknown)} facilities ({_some_names(unknown, 'beds_unknown_at')}): "
            "the value is a lower bound" + (", so pass/fail is unknown." if passed is None else ".")
        )
    reported, fact = _fact_value(facts, "hospital_beds_2020")
    reported_block = None
    if reported is not None and population_total > 0:
        per_1000 = float(reported) / population_total * 1000.0
        reported_block = {"beds": reported, "per_1000": per_1000, "fact": fact}
        note += f" Reported county total (2020): {float(reported):,.0f} beds = {per_1000:.2f} per 1,000."
    communities = []
    community = _column(facilities, "community")
    keys = community.where(community.notna(), None).to_numpy(dtype=object)
    unknown_names = dict(zip(facilities.index, _names(facilities), strict=True))
    for key in sorted({*(str(k) for k in keys if k is not None), *map(str, (community_population or {}))}):
        mask = np.array([k is not None and str(k) == key for k in keys], dtype=bool)
        c_beds = float(beds[mask].sum(skipna=True))
        c_pop = (community_population or {}).get(key)
        communities.append(
            {
                "community": key,
                "beds_known": c_beds,
                "population": c_pop,
                "value": c_beds / c_pop * 1000.0 if c_pop else None,
                "beds_unknown_at": [
                    unknown_names[i] for i in facilities.index[mask & beds.isna().to_numpy()]
                ],
            }
        )
    return _result(
        std,
        value=value,
        unit="beds per 1,000 people",
        target=need,
        comparison=">=",
        passed=passed,
        population_considered=float(population_total),
        assumptions=_assumptions(std),
        note=note,
        beds_known=known_beds,
        beds_unknown_at=_names(unknown),
        communities=communities,
        reported=reported_block,
    )
