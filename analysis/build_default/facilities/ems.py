"""The 120 emergency network as reported in 2019: the centre, 4 sub-centres and the stations."""

from __future__ import annotations

from analysis.build_default.facilities.records import LUOSHAN_PROXY, QINGYANG_NOTE, FacilityRecords
from analysis.build_default.sources import PLAN_EMS


def add_ems_network(records: FacilityRecords) -> None:
    """Add the dispatch centre, the sub-centres and the 9 named stations."""
    ems_source = records.places["120急救站：磁灶（中心卫生院）"]["source"].split(" ; coords")[0]
    records.add(
        "ems-centre",
        "晋江市120急救指挥中心",
        "Jinjiang 120 EMS dispatch centre",
        "ems_centre",
        town="青阳",
        precision="town",
        source=f"{records.source_of('晋江市120急救指挥中心')}; {PLAN_EMS}",
        note=f"at the 爱国楼院区 (former city-hospital buildings); {QINGYANG_NOTE}",
    )
    subcentres = [
        ("ems-sub-city", "晋江市医院", "Jinjiang Municipal Hospital", "罗山", "town",
         f"presumably at the 罗裳院区 since the 2021 move (not confirmed); {LUOSHAN_PROXY}"),
        ("ems-sub-tcm", "晋江市中医院", "Jinjiang TCM Hospital", "青阳", "town", QINGYANG_NOTE),
        ("ems-sub-anhai", "安海医院", "Anhai Hospital", "安海", "town",
         "Anhai station since 2005; placed at the 安海 town point"),
        ("ems-sub-jinnan", "晋江市医院晋南分院", "Jinnan branch", None, "unknown",
         "town not identified (晋南 = southern Jinjiang): location unknown"),
    ]  # fmt: skip
    for fid, zh, en, town_short, precision, note in subcentres:
        records.add(
            fid,
            f"晋江市120急救分中心：{zh}",
            f"120 sub-centre: {en}",
            "ems_subcentre",
            town=town_short,
            precision=precision,
            source=f"{records.source_of(f'晋江市120急救分中心：{zh}')}",
            note=f"one of 4 sub-centres (2019); fleet size not published; {note}",
        )
    for short in ("磁灶", "陈埭", "东石", "金井", "英林", "内坑", "池店", "新塘"):
        town = records.by_short[short]
        label = "社区卫生服务中心" if town.kind == "street" else "中心卫生院"
        row = records.places[f"120急救站：{short}（{label}）"]
        located = town.seat is not None
        records.add(
            f"ems-st-{town.slug}",
            f"120急救站：{short}（{label}）",
            row["name_en"],
            "ems_station",
            town=short,
            precision="town_seat" if located else "unknown",
            source=row["source"] if located else f"{row['source']}",
            note=(
                "at the town health centre; placed at the town seat "
                "point, not the building (can be 1-2 km off); "
                "fleet size not published"
                if located
                else "new building in 新塘街道沙塘社区 (2022-23); 新塘 has no known point: location unknown; "
                "fleet size not published"
            ),
        )
    records.add(
        "ems-st-yingdun",
        "120急救站：英墩华侨医院",
        "120 station: Yingdun Overseas Chinese Hospital",
        "ems_station",
        town="永和",
        precision="unknown",
        source=ems_source,
        note=(
            "in 永和镇 (英墩村, NW of the town), which has no known "
            "point: location unknown; fleet size not published"
        ),
    )
