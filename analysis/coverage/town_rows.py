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
    ("ems_p90_minutes", "ems_response_14min", "p90_minutes"),
    ("ems_population_beyond_target", "ems_response_14min", "population_beyond_target"),
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


#: Shortfall blocks copied into the town table, as ``<name>_short`` (``None`` = unknown).
SHORTFALL_KINDS: tuple[str, ...] = ("ambulances", "aeds", "beds")


def add_town_measures(town_rows: list[dict[str, Any]], measures: dict[str, Any]) -> None:
    """Copy each town's E2SFCA scores and shortfall counts into the town table rows.

    Parameters
    ----------
    town_rows
        The town table (rows gain ``e2sfca_<capacity>`` and ``<kind>_short``,
        ``<kind>_short_at_most``).
    measures
        The headline scenario's measures.
    """
    access = {
        capacity: {row["town_code"]: row["value"] for row in block["towns"]}
        for capacity, block in measures["accessibility"].items()
    }
    short = {row["town_code"]: row for row in measures["shortfalls"]["towns"]}
    for town in town_rows:
        code = town["town_code"]
        for capacity, values in access.items():
            town[f"e2sfca_{capacity}"] = values.get(code)
        row = short.get(code)
        for kind in SHORTFALL_KINDS:
            town[f"{kind}_short"] = row[kind]["shortfall"] if row else None
            town[f"{kind}_short_at_most"] = row[kind]["shortfall_at_most"] if row else None


def town_ranking(town_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Towns with people, worst served first: by the service-circle share, then the EMS share.

    Parameters
    ----------
    town_rows
        The filled town table.

    Returns
    -------
    dict
        ``ranked_by`` and ``towns`` (town-table rows' headline fields with their ``rank``).
    """
    keys = (
        "town_code",
        "name_zh",
        "name_en",
        "population",
        "service_circle_share",
        "ems_response_share",
        "ems_p90_minutes",
        "ems_population_beyond_target",
        "e2sfca_beds",
        *(f"{kind}_short" for kind in SHORTFALL_KINDS),
        *(f"{kind}_short_at_most" for kind in SHORTFALL_KINDS),
    )
    populated = [t for t in town_rows if t.get("population")]

    def order(town: dict[str, Any]) -> tuple[float, float, str]:
        circle = town.get("service_circle_share")
        ems = town.get("ems_response_share")
        return (
            circle if circle is not None else 2.0,
            ems if ems is not None else 2.0,
            str(town["town_code"]),
        )

    ranked = sorted(populated, key=order)
    return {
        "ranked_by": "service_circle_share, then ems_response_share (lowest first)",
        "towns": [{"rank": i + 1, **{k: t.get(k) for k in keys}} for i, t in enumerate(ranked)],
    }
