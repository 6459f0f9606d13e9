"""Folium rendering on tiny hand-made inputs: layers per kind, unlocated sites, offline assets, banners."""

from __future__ import annotations

import json
import math
import re

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from analysis import maps, settings

STRAIGHT = {"network_source": settings.STRAIGHT_LINE_SOURCE, "population_source": "modelled: spread evenly"}
SURVEYED = {"network_source": "OpenStreetMap road network", "population_source": "census blocks"}


def _facilities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["h1", "s1", "a1"],
            "name_zh": ["甲医院", "乙急救站", "丙AED"],
            "name_en": ["Hospital A", "Station B", "AED C"],
            "kind": ["hospital", "ems_station", "aed"],
            "beds": [100, None, None],
            "status": ["open", "open", "open"],
            "source": ["plan", "news", "report"],
            "precision": ["address", "town_seat", "unknown"],
        },
        geometry=[Point(118.123456789, 24.5), Point(118.2, 24.6), None],
        crs="EPSG:4326",
    )


def _cells() -> gpd.GeoDataFrame:
    # Four 0.01-degree cells in a row; times chosen to land in four colour classes of a 15-minute threshold.
    return gpd.GeoDataFrame(
        {
            "cell_id": [0, 1, 2, 3],
            "population": [100.0, 200.0, 300.0, 400.0],
            "town_code": ["350582001", "350582001", "350582002", "350582002"],
            "minutes_any": [2.0, 8.0, 20.0, math.inf],
            "minutes_township": [2.0, 8.0, 20.0, math.inf],
            "minutes_hospital": [2.0, 8.0, 20.0, math.inf],
            "nearest_facility_id": ["h1", "h1", "s1", None],
            "ems_response_minutes": [5.0, 9.0, 16.0, math.inf],
            "nearest_ems_id": ["s1", "s1", "s1", None],
            "covered_15min": [True, True, False, False],
            "covered_ems": [True, True, False, False],
        },
        geometry=[box(118.1 + 0.01 * i, 24.5, 118.11 + 0.01 * i, 24.51) for i in range(4)],
        crs="EPSG:4326",
    )


def _towns() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "town_code": ["350582001", "350582002"],
            "name_zh": ["青阳街道", "梅岭街道"],
            "name_en": ["Qingyang", "Meiling"],
        },
        geometry=[box(118.1, 24.5, 118.12, 24.51), None],
        crs="EPSG:4326",
    )


@pytest.mark.parametrize(
    ("minutes", "index"),
    [
        (0.0, 0),
        (5.0, 0),
        (5.01, 1),
        (10.0, 1),
        (15.0, 2),
        (15.5, 3),
        (20.0, 3),
        (30.0, 4),
        (30.1, 5),
        (500.0, 5),
    ],
)
def test_time_colour_classes(minutes: float, index: int) -> None:
    # edges for a 15-minute threshold: 5, 10, 15, 20, 30
    assert maps.time_colour(minutes, 15.0) == maps.TIME_COLOURS[index]


@pytest.mark.parametrize("minutes", [None, math.inf, math.nan])
def test_time_colour_unreached(minutes: float | None) -> None:
    assert maps.time_colour(minutes, 15.0) == maps.UNREACHED_COLOUR


def test_coverage_map_layers_and_offline_assets() -> None:
    facilities, cells = _facilities(), _cells()
    before = (facilities.copy(), cells.copy())
    doc = {**STRAIGHT, "standards": [], "towns": [{"town_code": "350582001", "population": 300.0}]}
    m = maps.coverage_map(facilities, cells, doc, towns=_towns(), minutes=15)
    html = maps.to_html(m, asset_base_url="/static/vendor")

    assert '<script src="/static/vendor/leaflet-1.9.4/leaflet.js">' in html
    assert "/static/vendor/jquery-3.7.1/jquery.min.js" in html
    assert 'href="/static/vendor/leaflet-1.9.4/leaflet.css"' in html
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', html), "page must not need the internet"
    for label in ("医院 Hospital", "120急救站 EMS station", "AED 自动体外除颤器 AED"):
        assert json.dumps(label)[1:-1] in html, label
    # the AED without a location is listed, not drawn
    assert maps.UNKNOWN_LOCATION_LABEL in html and "丙AED" in html
    assert html.count("data-fid=") == 2
    # coordinates are rounded to 5 decimals
    assert "118.12346" in html and "118.123456" not in html
    assert "hc-banner" in html and "straight-line" in html
    # inputs untouched
    assert before[0].equals(facilities) and before[1].equals(cells)


def test_unlocated_facilities_are_returned() -> None:
    m = maps.base_map([118.0, 24.0, 119.0, 25.0])
    unlocated = maps.add_facility_layers(m, _facilities())
    assert [u["id"] for u in unlocated] == ["a1"]


def test_no_banner_with_network_and_surveyed_population() -> None:
    doc = {**SURVEYED, "standards": [], "towns": []}
    m = maps.coverage_map(_facilities(), _cells(), doc, population_modelled=False)
    assert 'id="hc-banner"' not in maps.to_html(m, asset_base_url="/static/vendor")


def test_caveats() -> None:
    assert len(maps.caveats(STRAIGHT)) == 2
    assert maps.caveats(SURVEYED) == []
    assert maps.caveats(SURVEYED, population_modelled=True)[0].startswith("人口分布为模型估算")
    assert maps.caveats({**SURVEYED, "banners": ["注意 note"]}) == ["注意 note"]


def test_modelled_population_caveat_says_modelled_once() -> None:
    # the population source already starts with "modelled:"; the banner must not repeat the word
    assert maps.caveats(STRAIGHT)[1] == "人口分布为模型估算 Population is modelled: spread evenly"


def test_standalone_html_keeps_cdn_links() -> None:
    m = maps.coverage_map(_facilities(), _cells(), {**SURVEYED, "standards": [], "towns": []})
    assert "cdn.jsdelivr.net/npm/leaflet" in maps.to_html(m)


def test_ems_map_marks_worst_cells() -> None:
    doc = {**STRAIGHT, "standards": [], "towns": []}
    bands = gpd.GeoDataFrame(
        {"source_id": ["s1"], "minutes": [11.0]}, geometry=[Point(118.2, 24.6).buffer(0.05)], crs="EPSG:4326"
    )
    m = maps.ems_map(_facilities(), _cells(), doc, bands=bands, towns=_towns(), worst_count=1)
    html = maps.to_html(m, asset_base_url="/static/vendor")
    assert "1 worst-served cells" in html
    # the worst cell is the unreached one, in 梅岭街道
    panel = html[html.index('id="hc-panel"') :]
    assert "梅岭街道" in panel and "未到达 not reached" in panel
    assert json.dumps("医院 Hospital")[1:-1] not in html, "the EMS map draws only 120 sites"
    assert json.dumps("120急救站 EMS station")[1:-1] in html
    assert "11-min drive from each 120 site" in html  # 14 min response = 3 min dispatch + 11 min drive


def test_colocated_facilities_each_get_a_marker_hospital_on_top() -> None:
    # a hospital and a township centre at the same town seat: two markers, the hospital drawn above
    facilities = gpd.GeoDataFrame(
        {
            "id": ["t1", "h1"],
            "name_zh": ["乙卫生院", "甲医院"],
            "name_en": ["Centre B", "Hospital A"],
            "kind": ["township_centre", "hospital"],
            "beds": [None, 120],
            "status": ["open", "open"],
            "source": ["plan", "plan"],
            "precision": ["town_seat", "town_seat"],
        },
        geometry=[Point(118.1, 24.5), Point(118.1, 24.5)],
        crs="EPSG:4326",
    )
    m = maps.base_map([118.0, 24.0, 119.0, 25.0])
    maps.add_facility_layers(m, facilities)
    html = maps.to_html(m)
    # each marker's options (zIndexOffset) come before its icon's html (data-fid) in the page script
    pairs = re.findall(r'"zIndexOffset": (\d+).*?data-fid=\\"(\w+)\\"', html, re.S)
    offsets = {fid: int(z) for z, fid in pairs}
    assert set(offsets) == {"t1", "h1"} and offsets["h1"] > offsets["t1"]
    ranks = [int(r) for r in re.findall(r'"hcRank": (\d+)', html)]
    assert len(ranks) == 2 and min(ranks) == 0  # the hospital ranks first on the shared ring
    assert "位置为镇驻地 placed at town seat" in html and "hc-approx" in html
    assert "120" in html and "未知 unknown" in html  # beds known / unknown


def test_bands_use_the_legend_colours_and_the_uncovered_area_is_an_outline() -> None:
    doc = {**STRAIGHT, "standards": [], "towns": []}
    html = maps.to_html(maps.coverage_map(_facilities(), _cells(), doc, minutes=15))
    legend = set(re.findall(r'data-colour="(#[0-9a-f]{6})"', html))
    drawn = set(re.findall(r'"colour": "(#[0-9a-f]{6})"', html))
    # cells at 2, 8, 20 min and unreached: four classes, each drawn in its legend colour
    assert drawn == {maps.TIME_COLOURS[0], maps.TIME_COLOURS[1], maps.TIME_COLOURS[3], maps.UNREACHED_COLOUR}
    assert drawn <= legend
    assert "People beyond 15 min (outline)" in html and '"fill": false' in html
    assert '"collapsed": true' in html  # layer control folded


def test_planned_facilities_have_a_legend_entry() -> None:
    facilities = _facilities().assign(status=["planned", "open", "open"])
    doc = {**STRAIGHT, "standards": [], "towns": [], "scenario": {"include_planned": True}}
    html = maps.to_html(maps.coverage_map(facilities, _cells(), doc))
    assert "dashed border: planned" in html and "with planned facilities" in html
    assert "dashed border: planned" not in maps.to_html(maps.coverage_map(_facilities(), _cells(), doc))


def test_title_follows_minutes() -> None:
    doc = {**STRAIGHT, "standards": [], "towns": []}
    html = maps.to_html(maps.coverage_map(_facilities(), _cells(), doc, minutes=10))
    assert "<title>10分钟医疗卫生服务圈 10-minute medical service circle</title>" in html
    assert "15分钟" not in html


def test_nothing_to_map_raises() -> None:
    empty = gpd.GeoDataFrame({"kind": []}, geometry=[], crs="EPSG:4326")
    with pytest.raises(ValueError, match="Nothing to map"):
        maps.coverage_map(empty, _cells().iloc[:0], {**STRAIGHT, "standards": [], "towns": []})


@pytest.mark.parametrize(
    ("score", "index"),
    [(None, 0), (0.0, 0), (0.5, 1), (1.05, 2), (2.1, 3), (4.2, 4), (8.4, 5), (20.0, 5)],
)
def test_access_colour_classes(score: float | None, index: int) -> None:
    # classes of the plan's 4.2 beds per 1,000: none, < 1/4, < 1/2, < 1, < 2 times, at least twice
    assert maps.access_colour(score, 4.2) == maps.ACCESS_COLOURS[index]


def test_accessibility_map_colours_cells_by_score() -> None:
    cells = _cells()
    cells["e2sfca_beds"] = [0.0, 1.0, 5.0, float("nan")]
    document = {
        **STRAIGHT,
        "towns": [{"town_code": "350582001", "name_zh": "青阳街道", "name_en": "Qingyang"}],
        "accessibility": {
            "beds": {
                "unit": "beds per 1,000 people",
                "value": 2.5,
                "lower_bound": True,
                "profile": "car",
                "bands": [{"upper_minutes": 10.0, "weight": 1.0}],
                "note": "beds note",
                "towns": [{"town_code": "350582001", "population": 300.0, "value": 0.67}],
            }
        },
    }
    page = maps.to_html(maps.accessibility_map(_facilities(), cells, document, towns=_towns()))
    for colour in (maps.ACCESS_COLOURS[0], maps.ACCESS_COLOURS[1], maps.ACCESS_COLOURS[5]):
        assert colour in page
    assert "Bed accessibility (E2SFCA)" in page
    assert "lower bound" in page
    assert "0.67" in page  # the town's score in the panel table


def test_siting_reach_in_the_standards_unit() -> None:
    from analysis.maps.siting import reach_text

    aed = reach_text({"kind": "aed", "threshold_minutes": 200 / 75, "profile": "walk"})
    assert aed.startswith(f"步行 {settings.AED_WALK_RADIUS_M:g} 米") and "2.67 min" not in aed
    assert reach_text({"kind": "ems", "threshold_minutes": 11.0, "profile": "ambulance"}).startswith(
        "车程 drive 11 分钟"
    )
