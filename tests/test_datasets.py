"""Tests of analysis.datasets: loading, validation messages, GCJ-02 conversion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import Point

from analysis import datasets
from analysis.datasets import (
    FACILITY_KINDS,
    gcj02_to_wgs84,
    get_path,
    load_boundary,
    load_facilities,
    load_facts,
    load_inputs,
    load_towns,
    to_working_crs,
    validate_facilities,
    wgs84_to_gcj02,
)
from analysis.errors import CRSError, DataError, ParameterError

FIXTURES = Path(__file__).parent / "data"
GEOD = Geod(ellps="WGS84")

# Town points of places.csv: 青阳, 安海, 深沪, 金井 (north, west, east and south of the county).
JINJIANG_POINTS = np.array(
    [[118.57415, 24.81978], [118.47079, 24.71958], [118.67077, 24.61827], [118.59722, 24.575]]
)


def _feature(props: dict[str, Any], coords: list[float] | None, gtype: str = "Point") -> dict[str, Any]:
    geometry = None if coords is None else {"type": gtype, "coordinates": coords}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _hospital(fid: str = "h1", **extra: Any) -> dict[str, Any]:
    return {
        "id": fid,
        "name_zh": "示例医院",
        "kind": "hospital",
        "source": "test",
        "precision": "exact",
        **extra,
    }


def _write(tmp_path: Path, features: list[dict[str, Any]], name: str = "f.geojson", **top: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", **top, "features": features}), encoding="utf-8")
    return path


QINGYANG = [118.57415, 24.81978]


# --- the embedded default --------------------------------------------------------------------
def test_default_facilities_have_source_and_precision() -> None:
    gdf = load_facilities()
    assert len(gdf) == 45
    assert gdf.crs.to_epsg() == 4326
    assert gdf["id"].is_unique
    assert gdf["source"].notna().all() and (gdf["source"].str.len() > 0).all()
    assert set(gdf["precision"]) <= set(datasets.PRECISIONS)
    assert set(gdf["kind"]) <= set(FACILITY_KINDS)
    unlocated = gdf[gdf.geometry.isna()]
    assert (unlocated["precision"] == "unknown").all()
    assert gdf["beds"].dtype == "Int64"
    assert gdf.loc[gdf["id"] == "hosp-luoshang", "beds"].iloc[0] == 1432


def test_default_towns_facts_and_inputs() -> None:
    towns = load_towns()
    assert len(towns) == 19
    assert int(towns.geometry.notna().sum()) == 14
    facts = load_facts()
    assert facts["census_population_2020"]["value"] == 2061551
    assert facts["aed_public_count"]["value"] == 60
    inputs = load_inputs()
    assert len(inputs.facilities) == 45
    assert inputs.population.total == pytest.approx(2061551, abs=0.5)
    assert len(load_boundary()) == 1


def test_get_path_known_and_unknown() -> None:
    assert get_path("facts").name == "facts.json"
    with pytest.raises(ParameterError, match="Unknown dataset"):
        get_path("roads")


def test_to_working_crs() -> None:
    gdf = gpd.GeoDataFrame(geometry=[Point(118.57415, 24.81978)], crs="EPSG:4326")
    projected = to_working_crs(gdf)
    assert projected.crs.to_epsg() == 32650
    assert gdf.crs.to_epsg() == 4326  # input not mutated
    with pytest.raises(CRSError, match="no CRS"):
        to_working_crs(gpd.GeoDataFrame(geometry=[Point(0, 0)]))


# --- GCJ-02 ----------------------------------------------------------------------------------
def test_gcj02_forward_offset_in_jinjiang() -> None:
    lon, lat = wgs84_to_gcj02(118.57415, 24.81978)
    # The published transform gives +0.00446° lon, -0.00300° lat at 青阳 (about +450 m E, -330 m N).
    assert float(lon) - 118.57415 == pytest.approx(0.0045, abs=0.0003)
    assert float(lat) - 24.81978 == pytest.approx(-0.0030, abs=0.0003)


def test_gcj02_round_trip_under_one_metre() -> None:
    lon, lat = JINJIANG_POINTS[:, 0], JINJIANG_POINTS[:, 1]
    glon, glat = wgs84_to_gcj02(lon, lat)
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    _, _, dist_m = GEOD.inv(lon, lat, wlon, wlat)
    assert np.max(dist_m) < 1.0
    # and the other way round
    blon, blat = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    _, _, back_m = GEOD.inv(lon, lat, blon, blat)
    assert np.max(back_m) < 1.0


def test_gcj02_outside_china_is_identity() -> None:
    lon, lat = wgs84_to_gcj02(np.array([2.35]), np.array([48.85]))
    assert lon[0] == 2.35 and lat[0] == 48.85


def test_load_csv_with_gcj02_conversion() -> None:
    wgs = load_facilities(FIXTURES / "facilities_small.csv")
    assert list(wgs["id"]) == ["h1", "c1", "s1", "u1"]
    assert wgs.geometry.iloc[3] is None
    assert wgs["ambulances"].iloc[2] == 2
    assert wgs["tier"].iloc[0] == 1
    gcj = load_facilities(FIXTURES / "facilities_small.csv", crs="gcj02")
    expected_lon, expected_lat = gcj02_to_wgs84(118.57415, 24.81978)
    assert gcj.geometry.iloc[0].x == pytest.approx(float(expected_lon))
    assert gcj.geometry.iloc[0].y == pytest.approx(float(expected_lat))
    assert gcj.geometry.iloc[0].x < 118.57415  # moved west, back onto WGS-84


def test_bad_crs_option() -> None:
    with pytest.raises(ParameterError, match="wgs84"):
        validate_facilities(FIXTURES / "facilities_small.csv", crs="bd09")  # type: ignore[arg-type]


# --- GeoJSON / GeoPackage --------------------------------------------------------------------
def test_geojson_ok_with_null_geometry(tmp_path: Path) -> None:
    path = _write(
        tmp_path, [_feature(_hospital(), QINGYANG), _feature(_hospital("h2", precision=None), None)]
    )
    gdf = load_facilities(path)
    assert gdf.geometry.iloc[1] is None
    assert gdf["precision"].tolist() == ["exact", "unknown"]
    assert gdf["status"].tolist() == ["open", "open"]


def test_geopackage(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"id": ["h1"], "kind": ["hospital"], "source": ["test"], "precision": ["exact"], "beds": [50]},
        geometry=[Point(QINGYANG)],
        crs="EPSG:4326",
    )
    path = tmp_path / "f.gpkg"
    gdf.to_file(path, driver="GPKG")
    loaded = load_facilities(path)
    assert loaded["beds"].iloc[0] == 50
    gdf.to_crs("EPSG:3857").to_file(tmp_path / "m.gpkg", driver="GPKG")
    with pytest.raises(CRSError, match="not WGS-84"):
        load_facilities(tmp_path / "m.gpkg")


@pytest.mark.parametrize(
    ("props", "coords", "match"),
    [
        ({"name_zh": "无编号", "kind": "hospital"}, QINGYANG, r"feature 1 \(无编号\): 'id' is missing"),
        (
            _hospital(kind="clinic"),
            QINGYANG,
            r"feature 1 \(h1\): kind 'clinic' is not known; use one of hospital",
        ),
        (_hospital(beds="many"), QINGYANG, r"feature 1 \(h1\): beds 'many' is not a number"),
        (_hospital(beds=12.5), QINGYANG, "beds 12.5 is not a whole number"),
        (_hospital(ambulances=-2), QINGYANG, "ambulances -2 is negative"),
        (_hospital(), [24.81978, 118.57415], "looks like lon/lat are swapped"),
        (_hospital(), [116.40, 39.90], r"feature 1 \(h1\).*outside the county outline"),
        (_hospital(status="closed"), QINGYANG, "status 'closed' is not known"),
        (
            _hospital(precision="exact"),
            None,
            "no coordinates but precision 'exact'; set precision to 'unknown'",
        ),
    ],
)
def test_bad_feature_messages(
    tmp_path: Path, props: dict[str, Any], coords: list[float] | None, match: str
) -> None:
    path = _write(tmp_path, [_feature(props, coords)])
    with pytest.raises(DataError, match=match):
        load_facilities(path)


def test_duplicate_id(tmp_path: Path) -> None:
    path = _write(tmp_path, [_feature(_hospital(), QINGYANG), _feature(_hospital(), QINGYANG)])
    with pytest.raises(DataError, match=r"feature 2 \(h1\): id 'h1' is already used by feature 1"):
        load_facilities(path)


def test_wrong_geometry_type(tmp_path: Path) -> None:
    line = [QINGYANG, [118.58, 24.82]]
    path = _write(tmp_path, [_feature(_hospital(), line, "LineString")])  # type: ignore[arg-type]
    with pytest.raises(
        DataError, match=r"feature 1 \(h1\): geometry is a LineString, but a facility must be a Point"
    ):
        load_facilities(path)


def test_declared_crs_other_than_wgs84(tmp_path: Path) -> None:
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    path = _write(tmp_path, [_feature(_hospital(), [13199000.0, 2853000.0])], crs=crs)
    with pytest.raises(CRSError, match="not WGS-84"):
        load_facilities(path)
    crs84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    ok = _write(tmp_path, [_feature(_hospital(), QINGYANG)], name="ok.geojson", crs=crs84)
    assert len(load_facilities(ok)) == 1


def test_empty_files(tmp_path: Path) -> None:
    empty = tmp_path / "e.geojson"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="is empty"):
        load_facilities(empty)
    no_features = _write(tmp_path, [], name="n.geojson")
    with pytest.raises(DataError, match="has no facilities"):
        load_facilities(no_features)
    csv = tmp_path / "e.csv"
    csv.write_text("\n", encoding="utf-8")
    with pytest.raises(DataError, match="is empty"):
        load_facilities(csv)
    header_only = tmp_path / "h.csv"
    header_only.write_text("id,kind,lon,lat\n", encoding="utf-8")
    with pytest.raises(DataError, match="has no facilities"):
        load_facilities(header_only)


def test_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(DataError, match="not valid JSON"):
        load_facilities(path)


def test_csv_without_lonlat_and_non_numeric_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("id,kind\nh1,hospital\n", encoding="utf-8")
    with pytest.raises(DataError, match="no longitude/latitude columns"):
        load_facilities(path)
    path.write_text("id,kind,lon,lat\nh1,hospital,east,24.8\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 1 \(line 2\) \(h1\): lon/lat 'east', '24.8' are not numbers"):
        load_facilities(path)


def test_validate_collects_every_problem() -> None:
    report = validate_facilities(FIXTURES / "facilities_bad.csv")
    assert not report.ok
    text = "\n".join(report.problems)
    assert len(report.problems) == 6
    assert "row 1 (line 2) (a)" in text and "looks like lon/lat are swapped" in text
    assert "row 2 (line 3) (a): id 'a' is already used by row 1 (line 2)" in text
    assert "kind 'clinic' is not known" in text
    assert "beds 'many' is not a number" in text
    assert "row 3 (line 4) (丙): 'id' is missing" in text
    assert "outside the county outline" in text
    assert report.facilities is None
    with pytest.raises(DataError, match=r"and 5 more problem\(s\)"):
        load_facilities(FIXTURES / "facilities_bad.csv")


def test_validate_report_summary() -> None:
    report = validate_facilities(FIXTURES / "facilities_small.csv")
    assert report.ok
    assert report.counts_by("kind") == {"ems_station": 1, "hospital": 2, "township_centre": 1}
    assert report.counts_by("precision") == {"address": 1, "town_seat": 2, "unknown": 1}
    assert report.unlocated == ["u1"]


def test_extent_check_uses_given_boundary(tmp_path: Path) -> None:
    path = _write(tmp_path, [_feature(_hospital(), [116.40, 39.90])])
    beijing = gpd.GeoDataFrame(geometry=[Point(116.40, 39.90).buffer(0.05)], crs="EPSG:4326")
    assert len(load_facilities(path, boundary=beijing)) == 1
    assert len(load_facilities(path, check_extent=False)) == 1


def test_towns_and_boundary_validation(tmp_path: Path) -> None:
    square = [[[118.5, 24.7], [118.6, 24.7], [118.6, 24.8], [118.5, 24.7]]]
    towns = _write(
        tmp_path,
        [_feature({"town_code": "1"}, square, "Polygon"), _feature({"town_code": "1"}, None)],  # type: ignore[arg-type]
        name="t.geojson",
    )
    with pytest.raises(DataError, match="town_code 1 appears more than once"):
        load_towns(towns)
    point_outline = _write(tmp_path, [_feature({}, QINGYANG)], name="b.geojson")
    with pytest.raises(
        DataError, match="feature 1 is a Point; the county outline needs Polygon or MultiPolygon"
    ):
        load_boundary(point_outline)
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps([{"id": "x"}]), encoding="utf-8")
    with pytest.raises(DataError, match="entry 1: key 'value' is missing"):
        load_facts(facts)
