"""Reported figures that have no location (census totals, counts of AEDs, stations, beds)."""

from __future__ import annotations

from typing import Any

from analysis.build_default.sources import (
    CENSUS_SOURCE,
    COUNTY_CODE,
    FACILITY_FACTS,
    PLAN,
    PLAN_EMS,
    TOWNS_SOURCE,
    read_csv,
)


def build_facts() -> list[dict[str, Any]]:
    """Reported figures that have no location."""
    census = {row["code"]: row for row in read_csv("population_facts.csv")}
    places = {row["name_zh"]: row for row in read_csv("places.csv")}
    aed_source = places["晋江市公共场所AED（数量）"]["source"]
    ems_2019 = places["120急救站：磁灶（中心卫生院）"]["source"].split(" ; coords")[0]
    county = census[COUNTY_CODE]

    def fact(
        fid: str, value: Any, unit: str, year: int, source: str, precision: str, note: str
    ) -> dict[str, Any]:
        return {
            "id": fid,
            "value": value,
            "unit": unit,
            "year": year,
            "source": source,
            "precision": precision,
            "note": note,
        }

    county_src = f"{county['source']} ({CENSUS_SOURCE})"
    news_2018 = "local news reports of 2018 (17 ambulances added), see data/README.md"
    beds_src = f"{PLAN} 表1 and 一(一)2"
    return [
        fact("census_population_2020", int(county["census_2020"]), "people", 2020, county_src, "census",
             "7th national census, resident population of 晋江市"),
        fact("census_population_2010", int(county["census_2010"]), "people", 2010, county_src, "census",
             "6th national census"),
        fact("census_population_2020_anhai", int(census["350582101"]["census_2020"]), "people", 2020,
             f"{census['350582101']['source']} ({CENSUS_SOURCE})", "census", "安海镇"),
        fact("census_population_2020_chendai", int(census["350582103"]["census_2020"]), "people", 2020,
             f"{census['350582103']['source']} ({CENSUS_SOURCE})", "census", "陈埭镇"),
        fact("planning_population_2025", 2110800, "people", 2025, PLAN, "planned",
             "planning figure 211.08万"),
        fact("aed_public_count", 60, "AEDs", 2022, aed_source, "reported",
             "60 AEDs in public places in Aug-2022; no locations published"),
        fact("aed_added_2022_planned", 100, "AEDs", 2022, aed_source, "reported",
             "planned additions in 2022"),
        fact("ems_centres_2020", 1, "centres", 2020, PLAN_EMS, "reported",
             "120 dispatch centre at 爱国楼院区"),
        fact("ems_subcentres_2020", 4, "sub-centres", 2020, PLAN_EMS, "reported",
             "市医院, 中医院, 安海医院, 晋南分院"),
        fact("ems_stations_2020", 11, "stations", 2020, PLAN_EMS, "reported",
             "the plan counts 11 stations; the 2019 report names 9, which are in facilities.geojson"),
        fact("ems_call_to_scene_minutes_2019", 11, "minutes", 2019, ems_2019, "reported",
             "reported average call-to-scene time under 11 minutes"),
        fact("hospital_beds_2020", 8144, "beds", 2020, beds_src, "reported",
             "all beds in the county, not per facility"),
        fact("villages_communities", 398, "villages/communities", 2020, PLAN, "reported",
             "administrative villages and communities; no village clinic locations"),
        fact("ambulances_added_2018", 17, "ambulances", 2018, news_2018, "reported",
             "fleet sizes per station are not published"),
        fact("town_level_units", 19, "towns", 2020, f"{TOWNS_SOURCE}; {PLAN}", "exact",
             "6 streets (街道) and 13 towns (镇); 3 development zones are not towns"),
        *published_facts(),
    ]  # fmt: skip


def _published(topic: str, item: str) -> dict[str, str]:
    rows = [r for r in read_csv(FACILITY_FACTS) if r["topic"] == topic and r["item"] == item]
    if len(rows) != 1:
        msg = f"{FACILITY_FACTS}: expected one row {topic}/{item}, found {len(rows)}"
        raise ValueError(msg)
    return rows[0]


def published_facts() -> list[dict[str, Any]]:
    """Facts from ``sources/facility_facts_published.csv``: each with its date and source URL."""

    def fact(
        fid: str, value: Any, unit: str, row: dict[str, str], precision: str, note: str, **more: Any
    ) -> dict[str, Any]:
        date = row["date_of_source"]
        return {
            "id": fid,
            "value": value,
            "unit": unit,
            "year": int(date[:4]),
            "date": date,
            "source": f"{row['source_url']} (sources/{FACILITY_FACTS}: {row['item']})",
            "precision": precision,
            "note": note,
            **more,
        }

    negative = _published("ems", "negative-pressure ambulances donated")
    phase2 = _published("aed", "Jinjiang 2nd-phase 安心场所")
    hemin = _published("hospital", "晋江市医院 和敏院区 (晋东)")
    yinglin = _published("hospital", "晋江市医院 英林院区 (英林镇中心卫生院)")
    luoshang = _published("hospital", "晋江市医院 罗裳院区 (总院区)")
    network = _published("ems", "120 network (2018 launch)")
    return [
        fact("negative_pressure_ambulances_known_min", 6, "ambulances", negative, "reported",
             "6 negative-pressure ambulances donated to 晋江市120急救指挥中心 (2020-02-23): a lower bound; "
             "the fleet size is not published, so the share is unknown"),
        fact("aed_phase2_2022_planned", 50, "AEDs", phase2, "planned",
             "2nd-phase AED 安心场所: 50 AEDs in parks, communities, care homes and middle schools "
             "(planned in 2022-10); 10 AED 安心场所 were built in 2021", status="planned"),
        fact("aed_safe_places_2021", 10, "AED safe places", phase2, "reported",
             "AED 安心场所 built in 2021"),
        fact("campus_hemin_beds_planned", 1000, "beds", hemin, "planned",
             "和敏院区 (晋东): 1,000 beds; construction started 2023-03; opening planned 2026 H1",
             status="planned", opens="2026 H1"),
        fact("campus_yinglin_beds_planned", 100, "beds", yinglin, "planned",
             "英林院区 (英林镇中心卫生院): 100 beds; full move-in planned 2027 H2", status="planned",
             opens="2027 H2"),
        fact("campus_luoshang_beds", 1432, "beds", luoshang, "reported",
             "罗裳院区 (main campus): 1,432 beds; opened 2021-01"),
        fact("ems_network_2018", "1 centre + 4 sub-centres + 9 stations", "sites", network, "reported",
             "the 120 network as launched in 2018; 5 facilities received new ambulances"),
    ]  # fmt: skip
