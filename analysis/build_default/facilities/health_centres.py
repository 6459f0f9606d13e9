"""One township (镇) or community (街道) health centre per town."""

from __future__ import annotations

from analysis.build_default.facilities.records import FacilityRecords
from analysis.build_default.sources import (
    CENTRAL_HEALTH_CENTRES,
    COMMUNITY_OF_TOWN,
    PLAN_COMMUNITIES,
    SUBCENTRE_TOWNS,
)
from analysis.build_default.towns import Town


def add_health_centres(records: FacilityRecords, towns: list[Town]) -> None:
    """Add each town's health centre, named in the generic form."""
    for town in towns:
        is_street = town.kind == "street"
        if is_street:
            name_zh = f"{town.name_zh}社区卫生服务中心"
            name_en = f"{town.slug.title()} Community Health Centre"
        elif town.short in CENTRAL_HEALTH_CENTRES:
            name_zh = f"{town.name_zh}中心卫生院"
            name_en = f"{town.slug.title()} Central Health Centre"
        else:
            name_zh = f"{town.name_zh}卫生院"
            name_en = f"{town.slug.title()} Township Health Centre"
        notes = ["name in generic form (official name not verified)"]
        if town.short in SUBCENTRE_TOWNS:
            notes.append("the plan names it one of the 5 regional sub-centres (区域医疗次中心)")
        if town.short == "英林":
            notes.append("to become the 英林院区 of 晋江市医院 (planned 2027)")
        if town.short == "新塘":
            notes.append("new building in 新塘街道沙塘社区 with a 120 station (2022-23)")
        if town.short == "龙湖":
            notes.append("community not listed in the plan's section 三(一)2(2)")
        if town.seat is not None:
            precision = "town_seat"
            source = f"{PLAN_COMMUNITIES}; point: town seat from {town.seat_source}"
            notes.append("placed at the town seat point, not the building (can be 1-2 km off)")
        else:
            precision = "unknown"
            source = PLAN_COMMUNITIES
            notes.append("town seat has no known coordinates: location unknown")
        records.add(
            f"{'chc' if is_street else 'thc'}-{town.slug}",
            name_zh,
            name_en,
            "community_centre" if is_street else "township_centre",
            town=town.short,
            precision=precision,
            source=source,
            note="; ".join(notes),
            tier=3,
            community=COMMUNITY_OF_TOWN[town.short],
        )
