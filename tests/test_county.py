"""The county folder: manifest keys, automatic working CRS, loading a folder's own inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from analysis.county import load_county, load_county_inputs, outline_utm_crs, stamp_county, utm_crs
from analysis.datasets import DATA_DIR
from analysis.errors import CRSError, DataError


def _outline(folder: Path, lon: float, lat: float, size_deg: float = 0.1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    gdf = gpd.GeoDataFrame(geometry=[box(lon, lat, lon + size_deg, lat + size_deg)], crs="EPSG:4326")
    path = folder / "boundary.geojson"
    gdf.to_file(path, driver="GeoJSON")
    return path


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (118.6, 24.7, "EPSG:32650"),  # Jinjiang: zone 50 spans 114-120 E
        (120.0, 30.0, "EPSG:32651"),  # the zone edge belongs to the eastern zone
        (26.7, 60.9, "EPSG:32635"),  # Kouvola
        (87.0, 43.8, "EPSG:32645"),
        (-180.0, -10.0, "EPSG:32701"),
        (180.0, 10.0, "EPSG:32660"),
    ],
)
def test_utm_zone_by_hand(lon: float, lat: float, expected: str) -> None:
    assert utm_crs(lon, lat) == expected


def test_utm_refuses_projected_numbers() -> None:
    with pytest.raises(CRSError, match="not a position in degrees"):
        utm_crs(650000.0, 2730000.0)


def test_jinjiang_manifest() -> None:
    county = load_county(DATA_DIR)
    assert (county.name_zh, county.name_en, county.admin_code) == ("晋江市", "Jinjiang", "350582")
    assert county.crs == "EPSG:32650" and county.crs_source == "county.toml"
    assert county.plan is not None and "晋江市" in county.plan.title_zh
    # the manifest's fixed CRS is the one the outline's centroid would give too
    assert outline_utm_crs(gpd.read_file(DATA_DIR / "boundary.geojson")) == county.crs


def test_auto_crs_is_printed_with_its_reason(tmp_path: Path) -> None:
    _outline(tmp_path, 87.0, 43.8)
    (tmp_path / "county.toml").write_text('name_zh = "测试县"\nname_en = "Test"\n', encoding="utf-8")
    county = load_county(tmp_path)
    assert county.crs == "EPSG:32645"
    assert county.crs_source.startswith("auto: UTM zone 45N")
    assert county.describe()["crs"] == "EPSG:32645"


def test_folder_without_manifest_is_named_after_itself(tmp_path: Path) -> None:
    folder = tmp_path / "xiuzhou"
    _outline(folder, 120.7, 30.7)
    county = load_county(folder)
    assert county.name_en == "xiuzhou" and county.manifest is None
    assert county.crs == "EPSG:32651"


def test_targets_and_assumptions(tmp_path: Path) -> None:
    _outline(tmp_path, 120.0, 30.0)
    (tmp_path / "county.toml").write_text(
        """
name_zh = "测试县"
crs = "EPSG:32651"
[targets]
ems_response_minutes = 12
[assumptions]
service_circle_profile = "walk"
ems_dispatch_minutes = 0
""",
        encoding="utf-8",
    )
    county = load_county(tmp_path)
    assert county.setting("EMS_RESPONSE_MINUTES") == 12.0
    assert county.setting("SERVICE_CIRCLE_PROFILE") == "walk"
    assert county.setting("EMS_DISPATCH_MINUTES") == 0.0
    assert county.setting("EMS_RADIUS_M") == 5000.0  # not overridden: the library's


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('nmae_zh = "x"', r"unknown key\(s\) nmae_zh"),
        ("[targets]\nems_minutes = 12", r"\[targets\]: unknown key\(s\) ems_minutes"),
        ("[targets]\nems_response_minutes = -1", "'ems_response_minutes' = -1 is out of range"),
        ('[targets]\nems_response_minutes = "12"', "'ems_response_minutes' must be a number"),
        ('[assumptions]\nservice_circle_profile = "bus"', "'bus' is not a travel profile"),
        ('crs = "EPSG:4326"', "is not projected"),
        ('crs = "EPSG:99999999"', "is not a coordinate reference system"),
        ("name_zh = 晋江", "is not valid TOML"),
        ('[plan]\ntitle_en = "x"', "'title_zh' is missing"),
        ('[plan]\ntitle_zh = "x"\n[plan.sources]\nnot_a_standard = "s"', "unknown key"),
    ],
)
def test_bad_manifest_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    _outline(tmp_path, 120.0, 30.0)
    (tmp_path / "county.toml").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        load_county(tmp_path)


def test_missing_folder_and_outline(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="healthcircle init"):
        load_county(tmp_path / "nowhere")
    with pytest.raises(DataError, match="needs its outline"):
        load_county(tmp_path)


def test_inputs_use_the_folders_outline_not_jinjiangs(tmp_path: Path) -> None:
    # Jinjiang's facilities in a folder whose outline is elsewhere are outside *that* outline
    _outline(tmp_path, 120.0, 30.0)
    shutil.copy(DATA_DIR / "facilities.geojson", tmp_path)
    shutil.copy(DATA_DIR / "population.geojson", tmp_path)
    with pytest.raises(DataError, match="outside the county outline"):
        load_county_inputs(load_county(tmp_path))


def test_optional_towns_and_facts(tmp_path: Path) -> None:
    shutil.copytree(DATA_DIR, tmp_path / "c", ignore=shutil.ignore_patterns("towns.geojson", "facts.json"))
    inputs = load_county_inputs(load_county(tmp_path / "c"))
    assert len(inputs.towns) == 0 and "town_code" in inputs.towns.columns
    assert inputs.facts == {}
    (tmp_path / "c" / "population.geojson").unlink()
    with pytest.raises(DataError, match="--population-total N --from-buildings"):
        load_county_inputs(load_county(tmp_path / "c"))


def test_stamp_county_for_another_county(tmp_path: Path) -> None:
    _outline(tmp_path, 120.0, 30.0)
    (tmp_path / "county.toml").write_text(
        '[plan]\ntitle_zh = "《某县规划》"\n[plan.sources]\nems_response_14min = "第三章"\n', encoding="utf-8"
    )
    county = load_county(tmp_path)
    doc = {"standards": [{"id": "ems_response_14min", "source": "x"}, {"id": "aed_per_10k", "source": "y"}]}
    out = stamp_county(doc, county)
    assert out["standards"][0]["source"] == "《某县规划》, 第三章"
    assert out["standards"][1]["source"].startswith("《某县规划》 (no section cited")
    assert out["standards"][1]["source"].endswith("y")
    assert out["county"]["crs"] == "EPSG:32651"
    assert doc["standards"][0]["source"] == "x"  # not mutated
    jinjiang = stamp_county(doc, load_county(DATA_DIR))
    assert jinjiang["standards"] == doc["standards"]


def test_facts_schema_messages(tmp_path: Path) -> None:
    from analysis.facts import load_facts

    path = tmp_path / "facts.json"
    path.write_text("{}", encoding="utf-8")
    assert load_facts(path) == {}
    path.write_text(json.dumps({"aed_public_count": {"value": 60, "source": "report"}}), encoding="utf-8")
    assert load_facts(path)["aed_public_count"]["value"] == 60
    path.write_text(json.dumps({"aed_public_count": {"value": 60, "year": "2022"}}), encoding="utf-8")
    with pytest.raises(DataError, match="key 'aed_public_count', key 'year'"):
        load_facts(path)
    path.write_text(json.dumps([{"id": "a", "value": 1}, {"value": 2}]), encoding="utf-8")
    with pytest.raises(DataError, match="entry 2: key 'id' is missing"):
        load_facts(path)
    path.write_text(json.dumps([{"id": "a", "value": 1}, {"id": "a", "value": 2}]), encoding="utf-8")
    with pytest.raises(DataError, match="'a' is used twice"):
        load_facts(path)
    path.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(DataError, match="not valid JSON"):
        load_facts(path)
