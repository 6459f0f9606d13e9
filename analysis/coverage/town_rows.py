"""Per-town rows of the standards, aligned with the town table, and the town table's headline values."""

from __future__ import annotations

from typing import Any

from analysis.coverage.kinds import LOCATION_UNKNOWN

#: (town-table key, standard id, field of the standard's town row) of the headline per-town values.
TOWN_HEADLINES: tuple[tuple[str, str, str], ...] = (
    ("service_circle_share", "service_circle_15min", "value"),
    ("service_circle_share_township", "service_circle_15min", "value_township"),
    ("service_circle_share_hospital", "service_circle_15min", "value_hospital"),
    ("ems_response_share", "ems_response_14min", "value"),
    ("ems_median_minutes", "ems_response_14min", "median_minutes"),
    ("ems_radius_share", "ems_radius_5km", "value"),
    ("aed_walk_share", "aed_walk_access", "value"),
)


def align_town_rows(results: list[dict[str, Any]], town_rows: list[dict[str, Any]]) -> None:
    """Give each result's per-town rows every town of the table, in its order, then unassigned codes.

    Parameters
    ----------
    results
        The standards' results of the headline scenario (their ``towns`` lists are replaced).
    town_rows
        The town table.
    """
    for result in results:
        by_code = {row["town_code"]: row for row in result["towns"]}
        if not by_code:
            continue
        merged = []
        for town in town_rows:
            row = by_code.pop(town["town_code"], None) or {
                "town_code": town["town_code"],
                "population": None,
                "value": None,
            }
            merged.append({"name_zh": town["name_zh"], "name_en": town["name_en"], **row})
            if town["location"] == LOCATION_UNKNOWN and row.get("population") in (None, 0.0):
                merged[-1]["note"] = f"{LOCATION_UNKNOWN}: people counted in neighbouring approximate areas"
        for row in by_code.values():
            merged.append({"name_zh": None, "name_en": None, **row, "note": "town not in the town table"})
        result["towns"] = merged


def add_town_headlines(town_rows: list[dict[str, Any]], results: list[dict[str, Any]]) -> None:
    """Copy the headline per-town values (:data:`TOWN_HEADLINES`) into the town table rows.

    Parameters
    ----------
    town_rows
        The town table (rows gain the keys of :data:`TOWN_HEADLINES`).
    results
        The standards' results of the headline scenario.
    """
    headline = {r["id"]: r for r in results}
    for town in town_rows:
        code = town["town_code"]
        for key, sid, field in TOWN_HEADLINES:
            match = next((row for row in headline[sid]["towns"] if row["town_code"] == code), None)
            town[key] = match.get(field) if match else None
