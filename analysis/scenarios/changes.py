"""What-if changes to a county's facilities, and applying them to a copy of its inputs.

A scenario is a name, a base (``today``: open facilities only; ``planned``: planned ones open too) and a
list of changes:

- ``add``: a new facility of a kind at (lon, lat), WGS-84, with optional names, beds and ambulances;
- ``remove``: a facility (by id) is closed;
- ``move``: a facility (by id) is placed at (lon, lat);
- ``set_ambulances`` / ``set_beds``: a facility's count is changed.

An added facility is the planner's hypothesis and says so in its ``source``; counts the planner does
not give stay unknown. Applying changes never touches the caller's inputs.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from analysis.datasets import FACILITY_KINDS
from analysis.errors import ParameterError

if TYPE_CHECKING:
    from analysis.datasets import Inputs

Op = Literal["add", "remove", "move", "set_ambulances", "set_beds"]
Base = Literal["today", "planned"]

OPS: tuple[str, ...] = ("add", "remove", "move", "set_ambulances", "set_beds")
BASES: tuple[str, ...] = ("today", "planned")
#: ``source`` of a facility a scenario adds.
ADDED_SOURCE = "scenario: added by the planner (what-if, not an existing facility)"
#: ``precision`` of a facility a scenario adds or moves: the planner gave its coordinates.
PLANNER_PRECISION = "exact"
#: Longest scenario name, characters.
MAX_NAME_CHARS = 200
#: Most changes in one scenario.
MAX_CHANGES = 2000


@dataclass(frozen=True)
class Change:
    """One change of a scenario (fields not used by its ``op`` are None)."""

    op: Op
    facility_id: str | None = None
    kind: str | None = None
    lon: float | None = None
    lat: float | None = None
    name_zh: str | None = None
    name_en: str | None = None
    beds: int | None = None
    ambulances: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The fields that are set."""
        return {key: value for key, value in dataclasses.asdict(self).items() if value is not None}


@dataclass(frozen=True)
class ScenarioSpec:
    """A scenario before it is stored: name, base and changes."""

    name: str
    base: Base
    changes: tuple[Change, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able view."""
        return {"name": self.name, "base": self.base, "changes": [c.to_dict() for c in self.changes]}


def _count(value: Any, what: str, number: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) or value < 0:
        msg = f"change {number}: {what} must be a whole number of at least 0, got {value!r}"
        raise ParameterError(msg)
    return int(value)


def _coordinate(change: Mapping[str, Any], number: int) -> tuple[float, float]:
    lon, lat = change.get("lon"), change.get("lat")
    ok = all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (lon, lat))
    if not ok or not (-180 <= float(lon) <= 180 and -90 <= float(lat) <= 90):  # type: ignore[arg-type]
        msg = f"change {number}: lon and lat must be WGS-84 degrees (lon -180..180, lat -90..90)"
        raise ParameterError(msg)
    return float(lon), float(lat)  # type: ignore[arg-type]


def parse_change(change: Mapping[str, Any], *, number: int = 1) -> Change:
    """Check one change given as a dict and return it.

    Parameters
    ----------
    change
        ``op`` and its fields (see the module docstring).
    number
        Its position (1-based), for messages.

    Returns
    -------
    Change

    Raises
    ------
    ParameterError
        Unknown op or kind, missing id or coordinates, a negative or fractional count.
    """
    op = change.get("op")
    if op not in OPS:
        msg = f"change {number}: unknown op {op!r}; use one of {', '.join(OPS)}"
        raise ParameterError(msg)
    allowed = {
        "add": {"op", "kind", "lon", "lat", "name_zh", "name_en", "beds", "ambulances"},
        "remove": {"op", "facility_id"},
        "move": {"op", "facility_id", "lon", "lat"},
        "set_ambulances": {"op", "facility_id", "ambulances"},
        "set_beds": {"op", "facility_id", "beds"},
    }[op]
    extra = sorted(set(change) - allowed)
    if extra:
        msg = f"change {number} ({op}): unexpected fields {extra}; it takes {', '.join(sorted(allowed))}"
        raise ParameterError(msg)
    if op == "add":
        kind = change.get("kind")
        if kind not in FACILITY_KINDS:
            msg = f"change {number} (add): kind must be one of {', '.join(FACILITY_KINDS)}, got {kind!r}"
            raise ParameterError(msg)
        lon, lat = _coordinate(change, number)
        return Change(
            op="add",
            kind=str(kind),
            lon=lon,
            lat=lat,
            name_zh=str(change["name_zh"]) if change.get("name_zh") else None,
            name_en=str(change["name_en"]) if change.get("name_en") else None,
            beds=_count(change.get("beds"), "beds", number),
            ambulances=_count(change.get("ambulances"), "ambulances", number),
        )
    facility_id = change.get("facility_id")
    if not isinstance(facility_id, str) or not facility_id:
        msg = f"change {number} ({op}): facility_id (the id of an existing facility) is required"
        raise ParameterError(msg)
    if op == "remove":
        return Change(op="remove", facility_id=facility_id)
    if op == "move":
        lon, lat = _coordinate(change, number)
        return Change(op="move", facility_id=facility_id, lon=lon, lat=lat)
    field = "ambulances" if op == "set_ambulances" else "beds"
    value = _count(change.get(field), field, number)
    if value is None:
        msg = f"change {number} ({op}): {field} is required"
        raise ParameterError(msg)
    return Change(op=op, facility_id=facility_id, **{field: value})  # type: ignore[arg-type]


def parse_scenario(name: Any, base: Any, changes: Sequence[Mapping[str, Any]]) -> ScenarioSpec:
    """Check a whole scenario.

    Parameters
    ----------
    name
        Non-empty text.
    base
        "today" or "planned".
    changes
        Change dicts.

    Returns
    -------
    ScenarioSpec

    Raises
    ------
    ParameterError
        A bad name, base or change (the message names the change by number).
    """
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
        msg = f"a scenario needs a name of 1 to {MAX_NAME_CHARS} characters"
        raise ParameterError(msg)
    if base not in BASES:
        msg = f"unknown base {base!r}; use 'today' (open facilities) or 'planned' (planned ones open too)"
        raise ParameterError(msg)
    if len(changes) > MAX_CHANGES:
        msg = f"a scenario may hold at most {MAX_CHANGES} changes, got {len(changes)}"
        raise ParameterError(msg)
    parsed = tuple(parse_change(change, number=i) for i, change in enumerate(changes, start=1))
    return ScenarioSpec(name=name.strip(), base=base, changes=parsed)


def _town_code(lon: float, lat: float, towns: Any) -> str | None:
    import shapely

    located = towns[towns.geometry.notna()]
    for code, geom in zip(located["town_code"], located.geometry, strict=True):
        if shapely.contains_xy(geom, lon, lat):
            return str(code)
    return None


def _reported_aeds(
    inputs: Inputs, scenario: ScenarioSpec, records: list[dict[str, Any]], columns: list[str]
) -> list[dict[str, Any]]:
    """Unlocated records for the reported AEDs when a scenario adds AEDs to a county that lists none.

    Without them the AED count would fall from the reported number to the added sites alone. They carry
    the report's source, no coordinates and precision "unknown": counted, never placed.
    """
    adds_aed = any(c.op == "add" and c.kind == "aed" for c in scenario.changes)
    listed = sum(
        1 for r in records if r.get("kind") == "aed" and not str(r.get("id", "")).startswith("scenario-")
    )
    fact = inputs.facts.get("aed_public_count") or {}
    value = fact.get("value")
    if not adds_aed or listed or not isinstance(value, int | float) or value <= 0:
        return []
    year = f" ({fact['year']})" if fact.get("year") else ""
    rows = []
    for i in range(1, int(value) + 1):
        row: dict[str, Any] = dict.fromkeys(columns)
        row.update(
            {
                "id": f"reported-aed-{i}",
                "name_zh": "已报告的公共AED（位置未公布）",
                "name_en": "Reported public AED (location not published)",
                "kind": "aed",
                "status": "open",
                "source": str(fact.get("source") or "facts.json aed_public_count"),
                "precision": "unknown",
                "note": f"one of the {int(value)} public AEDs reported{year}; counted, location unknown",
            }
        )
        rows.append({c: row.get(c) for c in columns})
    return rows


def apply_changes(inputs: Inputs, scenario: ScenarioSpec) -> Inputs:
    """The inputs with the scenario's changes applied (a copy; *inputs* is not modified).

    With base "planned", planned facilities are turned open, so a coverage run without
    ``include_planned`` counts them; changes then apply in order.

    Parameters
    ----------
    inputs
        The county's inputs.
    scenario
        The checked scenario.

    Returns
    -------
    Inputs
        New inputs whose ``facilities`` carry the changes.

    Raises
    ------
    ParameterError
        A change names a facility id that does not exist (or was removed by an earlier change).
    """
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    source = inputs.facilities.to_crs("EPSG:4326") if inputs.facilities.crs is not None else inputs.facilities
    columns = [c for c in source.columns if c != "geometry"]
    records: list[dict[str, Any]] = source[columns].astype(object).to_dict("records")
    geoms: list[Any] = list(source.geometry)
    for record in records:
        if record.get("status") == "planned" and scenario.base == "planned":
            record["status"] = "open"
    keep = [scenario.base == "planned" or r.get("status") != "planned" for r in records]
    records = [r for r, k in zip(records, keep, strict=True) if k]
    geoms = [g for g, k in zip(geoms, keep, strict=True) if k]
    added = 0
    for number, change in enumerate(scenario.changes, start=1):
        if change.op == "add":
            added += 1
            assert change.lon is not None and change.lat is not None
            row: dict[str, Any] = dict.fromkeys(columns)
            row.update(
                {
                    "id": f"scenario-add-{added}",
                    "name_zh": change.name_zh or f"新增 {change.kind}（情景）",
                    "name_en": change.name_en or f"Added {change.kind} (scenario)",
                    "kind": change.kind,
                    "status": "open",
                    "beds": change.beds,
                    "ambulances": change.ambulances,
                    "source": ADDED_SOURCE,
                    "precision": PLANNER_PRECISION,
                    "town_code": _town_code(change.lon, change.lat, inputs.towns),
                    "note": "what-if site; counts the planner did not give are unknown",
                }
            )
            records.append({c: row.get(c) for c in columns})
            geoms.append(Point(change.lon, change.lat))
            continue
        hits = [i for i, r in enumerate(records) if str(r.get("id")) == change.facility_id]
        if not hits:
            msg = (
                f"change {number} ({change.op}): no facility {change.facility_id!r} in the base "
                f"'{scenario.base}'; list them with GET /api/facilities (or it was removed earlier)"
            )
            raise ParameterError(msg)
        for i in sorted(hits, reverse=True):
            if change.op == "remove":
                del records[i], geoms[i]
            elif change.op == "move":
                assert change.lon is not None and change.lat is not None
                geoms[i] = Point(change.lon, change.lat)
                records[i]["precision"] = PLANNER_PRECISION
                records[i]["town_code"] = _town_code(change.lon, change.lat, inputs.towns)
            elif change.op == "set_ambulances":
                records[i]["ambulances"] = change.ambulances
            else:
                records[i]["beds"] = change.beds
    reported = _reported_aeds(inputs, scenario, records, columns)
    records += reported
    geoms += [None] * len(reported)
    table = pd.DataFrame.from_records(records, columns=columns) if records else pd.DataFrame(columns=columns)
    for column in columns:
        table[column] = table[column].astype(source[column].dtype)
    facilities = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    return dataclasses.replace(inputs, facilities=facilities)
