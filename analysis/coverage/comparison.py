"""The scenario block: planned facilities and each standard's value without and with them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.coverage.kinds import TIER_LABELS
from analysis.coverage.numeric import _jsonable
from analysis.coverage.results import _int_or_none

if TYPE_CHECKING:
    from analysis.coverage.options import ResolvedOptions
    from analysis.coverage.prepared import FacilityTable
    from analysis.coverage.scenario import Scenario


def planned_facilities(fac: FacilityTable) -> list[dict[str, Any]]:
    """The planned facilities: id, names, kind, opening, whether placed, beds."""
    table = fac.frame
    return [
        {
            "id": fac.ids[i],
            "name_zh": table["name_zh"].iloc[i] if "name_zh" in table else None,
            "name_en": table["name_en"].iloc[i] if "name_en" in table else None,
            "kind": fac.kind[i],
            "opens": _jsonable(table["opens"].iloc[i]) if "opens" in table else None,
            "placed": bool(fac.placed[i]),
            "beds": _int_or_none(table["beds"].iloc[i]) if "beds" in table else None,
        }
        for i in np.flatnonzero(fac.is_planned)
    ]


def standard_changes(current: Scenario, planned: Scenario, *, profile: str) -> list[dict[str, Any]]:
    """Each standard's value on the current network and with planned facilities, and the change.

    The township and hospital tiers of the service circle follow it, since a planned hospital
    shows there even when the any-facility share does not move.

    Parameters
    ----------
    current, planned
        The two scenarios.
    profile
        Headline mode of the service circle.

    Returns
    -------
    list of dict
        One row per standard (and circle tier).
    """
    changes = []
    for cur, new in zip(current.results, planned.results, strict=True):
        change = None
        if isinstance(cur["value"], int | float) and isinstance(new["value"], int | float):
            change = new["value"] - cur["value"]
        changes.append(
            {
                "id": cur["id"],
                "name_zh": cur["name_zh"],
                "name_en": cur["name_en"],
                "unit": cur["unit"],
                "value_current": cur["value"],
                "value_with_planned": new["value"],
                "change": change,
                "passed_current": cur["passed"],
                "passed_with_planned": new["passed"],
            }
        )
    cur_circle, new_circle = current.results[0], planned.results[0]
    for tier in ("township", "hospital"):
        cur_v = cur_circle["by_mode"][profile][tier]
        new_v = new_circle["by_mode"][profile][tier]
        changes.insert(
            1 if tier == "township" else 2,
            {
                "id": f"service_circle_15min.{tier}",
                "name_zh": f"{cur_circle['name_zh']}（{TIER_LABELS[tier].split(' ')[0]}）",
                "name_en": f"{cur_circle['name_en']} ({TIER_LABELS[tier].split(' ', 1)[1]})",
                "unit": cur_circle["unit"],
                "value_current": cur_v,
                "value_with_planned": new_v,
                "change": None if cur_v is None or new_v is None else new_v - cur_v,
                "passed_current": None,
                "passed_with_planned": None,
            },
        )
    return changes


def _measure_values(scenario: Scenario, profile: str) -> list[tuple[str, str, str, Any]]:
    """(id, label, unit, value) of the headline measures of one scenario."""
    m = scenario.measures
    out: list[tuple[str, str, str, Any]] = []
    for capacity, block in m["accessibility"].items():
        out.append((f"e2sfca.{capacity}", f"E2SFCA {capacity}", block["unit"], block["value"]))
        out.append(
            (
                f"e2sfca.{capacity}.gini",
                f"Gini of E2SFCA {capacity}",
                "Gini",
                block["inequality"]["county"]["gini"],
            )
        )
    circle = m["equity"]["by_mode"][profile]["any"]["county"]
    for key in ("gini", "palma", "cv", "mean"):
        unit = "minutes" if key == "mean" else key
        out.append((f"travel.{profile}.any.{key}", f"{key} of minutes by {profile}", unit, circle[key]))
    ems = m["equity"]["ems_response"]["county"]
    out.append(("ems_response.gini", "Gini of ambulance response", "Gini", ems["gini"]))
    worst = m["worst_served"]["service_circle"]
    out.append(
        (
            "worst_served.median_minutes",
            "median minutes of the worst-served 10 %",
            "minutes",
            worst["median_minutes"],
        )
    )
    county = m["shortfalls"]["county"]
    for kind in ("ambulances", "aeds", "beds"):
        out.append((f"shortfall.{kind}", f"{kind} short", kind, county[kind]["shortfall"]))
    return out


def measure_changes(current: Scenario, planned: Scenario, *, profile: str) -> list[dict[str, Any]]:
    """The headline equity, accessibility and shortfall measures without and with planned facilities.

    Parameters
    ----------
    current, planned
        The two scenarios.
    profile
        Headline mode of the service circle.

    Returns
    -------
    list of dict
        ``id``, ``label``, ``unit``, ``value_current``, ``value_with_planned``, ``change``.
    """
    rows = []
    for (mid, label, unit, cur), (_, _, _, new) in zip(
        _measure_values(current, profile), _measure_values(planned, profile), strict=True
    ):
        both = isinstance(cur, int | float) and isinstance(new, int | float)
        rows.append(
            {
                "id": mid,
                "label": label,
                "unit": unit,
                "value_current": cur,
                "value_with_planned": new,
                "change": new - cur if both else None,
            }
        )
    return rows


def scenario_block(
    fac: FacilityTable, current: Scenario, planned: Scenario, opts: ResolvedOptions
) -> dict[str, Any]:
    """The document's ``scenario``: the run's choices, planned facilities and the comparison.

    Parameters
    ----------
    fac
        The run's facilities.
    current, planned
        The two scenarios (the same object when nothing is planned).
    opts
        The run's options.

    Returns
    -------
    dict
        The scenario block.
    """
    has_planned = fac.has_planned
    return {
        "include_planned": opts.include_planned,
        "profile": opts.profile,
        "minutes": opts.minutes,
        "dispatch_minutes": opts.dispatch_minutes,
        "ems_profile": opts.ems_profile,
        "headline": "with planned facilities" if opts.include_planned else "current network",
        "planned_facilities": planned_facilities(fac),
        "changes": standard_changes(current, planned, profile=opts.profile) if has_planned else [],
        "measure_changes": measure_changes(current, planned, profile=opts.profile) if has_planned else [],
        "note": (
            "Each standard's value on the current network and with the planned facilities counted as open."
            if has_planned
            else "No planned facilities in the data: the current network is the only scenario."
        ),
    }
