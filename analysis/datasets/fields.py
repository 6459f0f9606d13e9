"""What a facility record holds: kinds, tiers, statuses, count columns, and the coordinate columns of CSVs."""

from __future__ import annotations

from typing import Final

FACILITY_KINDS: Final = (
    "hospital",
    "township_centre",
    "community_centre",
    "ems_centre",
    "ems_subcentre",
    "ems_station",
    "aed",
    "village_clinic",
)
EMS_KINDS: Final = ("ems_centre", "ems_subcentre", "ems_station")
PRECISIONS: Final = ("exact", "address", "town_seat", "town", "unknown")
STATUSES: Final = ("open", "planned")
COUNT_FIELDS: Final = ("beds", "ambulances", "negative_pressure_ambulances")
FACILITY_COLUMNS: Final = (
    "id",
    "name_zh",
    "name_en",
    "kind",
    "tier",
    "community",
    "town_code",
    "beds",
    "ambulances",
    "negative_pressure_ambulances",
    "status",
    "opens",
    "source",
    "precision",
    "note",
)

#: How far outside the county outline a facility may lie, metres: the outline follows the
#: coast loosely and a hospital may sit just across the line.
COUNTY_TOLERANCE_M: float = 2000.0

#: Column pairs recognised as longitude/latitude in CSV files.
LONLAT_COLUMNS: Final = (("lon", "lat"), ("lng", "lat"), ("longitude", "latitude"), ("x", "y"))
