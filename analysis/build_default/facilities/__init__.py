"""Every facility the sources name, placed only where a point is known."""

from __future__ import annotations

from typing import Any

from analysis.build_default.facilities.ems import add_ems_network
from analysis.build_default.facilities.health_centres import add_health_centres
from analysis.build_default.facilities.hospitals import add_hospitals
from analysis.build_default.facilities.records import FacilityRecords
from analysis.build_default.towns import Town


def build_facilities(towns: list[Town]) -> list[dict[str, Any]]:
    """Hospitals, then health centres, then the 120 network, as GeoJSON features."""
    records = FacilityRecords(towns)
    add_hospitals(records)
    add_health_centres(records, towns)
    add_ems_network(records)
    return records.features
