"""Facility counts: a clinic in each village, a washing centre per EMS sub-centre area."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.coverage.kinds import (
    UNKNOWN,
    WASHING_CENTRE_KIND,
)
from analysis.coverage.numeric import _pairwise_m
from analysis.coverage.results import (
    _assumptions,
    _column,
    _fact_value,
    _result,
)
from analysis.standards import get_standard

__all__ = ["village_clinic_each_village", "washing_centre_per_subcentre"]


def village_clinic_each_village(
    facilities: pd.DataFrame, *, facts: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Village clinics counted against the number of villages, where supplied.

    Parameters
    ----------
    facilities
        Facilities counted; rows of kind ``village_clinic`` are counted.
    facts
        Reported figures; ``villages_communities`` is the number of villages.

    Returns
    -------
    dict
        ``passed`` is ``None`` with a reason when village clinic data is not supplied.
    """
    std = get_standard("village_clinic_each_village")
    kinds = _column(facilities, "kind")
    clinics = int((kinds == "village_clinic").sum())
    villages, _ = _fact_value(facts, "villages_communities")
    if clinics == 0:
        value, passed = None, None
        note = (
            "Village clinic data not supplied: no facility of kind village_clinic in the data"
            f"{f' (the county has {villages} villages/communities)' if villages is not None else ''}."
        )
    elif villages is None:
        value, passed = clinics, None
        note = f"{clinics} village clinics, but the number of villages is not supplied."
    else:
        value, passed = clinics, clinics >= int(villages)
        note = (
            f"{clinics} village clinics for {villages} villages/communities. A count check only: "
            "village boundaries are not supplied, so one clinic per village is not verified."
        )
    return _result(
        std,
        value=value,
        value_text=str(value) if value is not None else UNKNOWN,
        unit="village clinics",
        target=int(villages) if villages is not None else None,
        comparison=">=",
        passed=passed,
        population_considered=None,
        assumptions=_assumptions(std),
        note=note,
    )


def washing_centre_per_subcentre(
    facilities: pd.DataFrame, *, subcentre_of: Mapping[str, str | None] | None = None
) -> dict[str, Any]:
    """Ambulance washing centres per EMS sub-centre area, where supplied.

    Parameters
    ----------
    facilities
        Facilities counted; rows of kind ``washing_centre`` and ``ems_subcentre`` are used.
    subcentre_of
        Washing-centre id → id of the sub-centre whose area it lies in (nearest sub-centre).

    Returns
    -------
    dict
        ``passed`` is ``None`` with a reason when no washing-centre data is supplied.
    """
    std = get_standard("washing_centre_per_subcentre")
    kinds = _column(facilities, "kind")
    subcentres = [str(i) for i in facilities.loc[(kinds == "ems_subcentre").to_numpy(), "id"]]
    washing = facilities[(kinds == WASHING_CENTRE_KIND).to_numpy()]
    if len(washing) == 0:
        return _result(
            std,
            value=None,
            value_text=UNKNOWN,
            unit="sub-centre areas with a washing centre",
            target=len(subcentres) or None,
            comparison=">=",
            passed=None,
            population_considered=None,
            assumptions=_assumptions(std),
            note=(
                "Washing-centre data not supplied: no facility of kind washing_centre in the data, "
                f"so the {len(subcentres)} sub-centre areas cannot be checked."
            ),
        )
    counts = dict.fromkeys(subcentres, 0)
    for wid in washing["id"]:
        sub = (subcentre_of or {}).get(str(wid))
        if sub in counts:
            counts[sub] += 1
    served = sum(1 for c in counts.values() if c > 0)
    return _result(
        std,
        value=served,
        unit="sub-centre areas with a washing centre",
        target=len(subcentres),
        comparison=">=",
        passed=bool(subcentres) and served >= len(subcentres),
        population_considered=None,
        assumptions=_assumptions(std),
        note=f"{len(washing)} washing centres; {served} of {len(subcentres)} sub-centre areas have one.",
        subcentres=[{"id": k, "washing_centres": v} for k, v in counts.items()],
    )


def _washing_subcentre(
    fac: pd.DataFrame,
    active: np.ndarray,
    kind: np.ndarray,
    placed: np.ndarray,
    fac_xy: np.ndarray,
    ids: np.ndarray,
) -> dict[str, str | None]:
    """Each located washing centre → the nearest located EMS sub-centre (straight line)."""
    washing = np.flatnonzero(active & (kind == WASHING_CENTRE_KIND) & placed)
    subs = np.flatnonzero(active & (kind == "ems_subcentre") & placed)
    if len(washing) == 0 or len(subs) == 0:
        return {}
    nearest = _pairwise_m(fac_xy[washing], fac_xy[subs]).argmin(axis=1)
    return {str(ids[w]): str(ids[subs[j]]) for w, j in zip(washing, nearest, strict=True)}
