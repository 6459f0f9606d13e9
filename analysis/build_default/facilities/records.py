"""The list of facilities being built: one call per facility, placed only where a point is known."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shapely.geometry import Point

from analysis.build_default.output import feature
from analysis.build_default.sources import read_places

if TYPE_CHECKING:
    from analysis.build_default.towns import Town

#: Why a facility placed at the 罗山 point is not at its building.
LUOSHAN_PROXY = "the 罗山 point is itself a proxy (Jinjiang city government, 世纪大道), not the building"
#: Why a facility placed at the 青阳 point is not at its building.
QINGYANG_NOTE = "placed at the 青阳 town point (old county seat); the 爱国楼 site has no public coordinates"


class FacilityRecords:
    """Facility features in the order added, each with source, precision and note."""

    def __init__(self, towns: list[Town]) -> None:
        self.places = read_places()
        self.by_short = {t.short: t for t in towns}
        self.features: list[dict[str, Any]] = []

    def source_of(self, place_name: str, extra: str = "") -> str:
        """The ``places.csv`` source of *place_name*, with *extra* after it."""
        text = self.places[place_name]["source"]
        return f"{text}; {extra}" if extra else text

    def add(
        self,
        fid: str,
        name_zh: str,
        name_en: str,
        kind: str,
        *,
        town: str | None,
        precision: str,
        source: str,
        note: str,
        tier: int | None = None,
        community: str | None = None,
        beds: int | None = None,
        status: str = "open",
        opens: str | None = None,
    ) -> None:
        """Add one facility, at its town's seat point unless its precision is ``unknown``."""
        by_short = self.by_short
        geom = None
        if precision != "unknown":
            assert town is not None
            seat = by_short[town].seat
            assert seat is not None, f"{fid}: {town} has no point"
            geom = Point(seat)
        props = {
            "id": fid,
            "name_zh": name_zh,
            "name_en": name_en,
            "kind": kind,
            "tier": tier,
            "community": community,
            "town_code": by_short[town].code if town else None,
            "beds": beds,
            "ambulances": None,
            "negative_pressure_ambulances": None,
            "status": status,
            "opens": opens,
            "source": source,
            "precision": precision,
            "note": note,
        }
        self.features.append(feature(props, geom))
