"""Tests of analysis.build_default: the embedded dataset is reproducible and honest."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from analysis import build_default
from analysis.datasets import DATA_DIR, DATASETS, load_facilities, load_facts, load_towns

UNLOCATED_TOWNS = {"梅岭街道", "西园街道", "新塘街道", "灵源街道", "永和镇"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("data")
    build_default.build(out)
    return out


def _features(folder: Path, name: str) -> list[dict[str, Any]]:
    doc = json.loads((folder / DATASETS[name]).read_text(encoding="utf-8"))
    features: list[dict[str, Any]] = doc["features"]
    return features


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_build_reproduces_committed_files(built: Path, name: str) -> None:
    assert (built / DATASETS[name]).read_bytes() == (DATA_DIR / DATASETS[name]).read_bytes()


def test_every_facility_has_source_and_precision(built: Path) -> None:
    features = _features(built, "facilities")
    assert len(features) == 45
    for f in features:
        props = f["properties"]
        assert props["source"], props["id"]
        assert props["precision"] in {"exact", "address", "town_seat", "town", "unknown"}
        assert props["note"], props["id"]
        assert (f["geometry"] is None) == (props["precision"] == "unknown"), props["id"]
        assert props["ambulances"] is None  # fleet sizes are not published
    kinds = [f["properties"]["kind"] for f in features]
    assert kinds.count("hospital") == 12
    assert kinds.count("township_centre") == 13
    assert kinds.count("community_centre") == 6
    assert (kinds.count("ems_centre"), kinds.count("ems_subcentre"), kinds.count("ems_station")) == (1, 4, 9)
    assert "aed" not in kinds and "village_clinic" not in kinds


def test_no_invented_points(built: Path) -> None:
    """Every located facility sits exactly on a point of places.csv."""
    with (build_default.SOURCES_DIR / "places.csv").open(encoding="utf-8") as handle:
        known = {(float(r["lon"]), float(r["lat"])) for r in csv.DictReader(handle) if r["lon"]}
    located = [f for f in _features(built, "facilities") if f["geometry"] is not None]
    assert len(located) == 32
    for f in located:
        assert tuple(f["geometry"]["coordinates"]) in known, f["properties"]["id"]
    by_id = {f["properties"]["id"]: f for f in _features(built, "facilities")}
    for fid in (
        "hosp-jinnan",
        "hosp-yingdun",
        "hosp-third",
        "ems-sub-jinnan",
        "ems-st-xintang",
        "ems-st-yingdun",
    ):
        assert by_id[fid]["geometry"] is None
    assert by_id["hosp-hemin"]["properties"]["status"] == "planned"
    assert by_id["hosp-luoshang"]["properties"]["beds"] == 1432


def test_towns(built: Path) -> None:
    towns = load_towns(built / DATASETS["towns"])
    assert len(towns) == 19
    assert set(towns.loc[towns.geometry.isna(), "name_zh"]) == UNLOCATED_TOWNS
    assert set(towns.loc[towns.geometry.isna(), "precision"]) == {"unknown"}
    assert set(towns.loc[towns.geometry.notna(), "precision"]) == {"approximate"}
    assert towns["seat_known"].sum() == 14
    area_km2 = towns.to_crs("EPSG:32650").area.sum() / 1e6
    assert area_km2 == pytest.approx(718.6, abs=1.0)  # the Voronoi areas tile the outline


def test_population_total(built: Path) -> None:
    cells = _features(built, "population")
    total = sum(c["properties"]["population"] for c in cells)
    assert total == pytest.approx(2_061_551, abs=0.5)
    assert {c["properties"]["precision"] for c in cells} == {"modelled"}
    assert all(c["properties"]["method"] for c in cells)


def test_facts(built: Path) -> None:
    facts = load_facts(built / DATASETS["facts"])
    expected = {
        "census_population_2020": 2061551,
        "aed_public_count": 60,
        "ems_stations_2020": 11,
        "hospital_beds_2020": 8144,
        "villages_communities": 398,
        "ambulances_added_2018": 17,
    }
    for fid, value in expected.items():
        assert facts[fid]["value"] == value
        assert facts[fid]["source"]
    assert facts["aed_public_count"]["year"] == 2022


def test_built_facilities_pass_validation(built: Path) -> None:
    assert len(load_facilities(built / DATASETS["facilities"])) == 45


def test_towns_carry_the_tiered_population(built: Path) -> None:
    towns = {f["properties"]["name_zh"]: f["properties"] for f in _features(built, "towns")}
    assert towns["紫帽镇"]["population_2020"] < 40_000
    assert towns["池店镇"]["population_2020"] > 100_000
    assert sum(t["population_2020"] or 0 for t in towns.values()) == 2_061_551
    for name, t in towns.items():
        for key in ("population_method", "population_source", "population_trust"):
            assert t[key], (name, key)
        assert t["population_method"] in {"census", "published", "area", "none"}
        assert (t["population_2020"] is None) == (t["population_method"] == "none"), name
    assert towns["安海镇"]["population_method"] == "census"
    assert towns["安海镇"]["population_2020"] == 174_248
    assert towns["紫帽镇"]["population_year"] == "2017"
    assert towns["紫帽镇"]["population_trust"] == "medium"
    assert towns["紫帽镇"]["population_published"] == 16_651
    assert towns["青阳街道"]["population_method"] == "area"
    assert {n for n, t in towns.items() if t["population_method"] == "none"} == {"灵源街道", "永和镇"}


def test_population_cells_carry_both_models(built: Path) -> None:
    cells = [f["properties"] for f in _features(built, "population")]
    assert {c["population_model"] for c in cells} == {"tiered"}
    assert sum(c["population"] for c in cells) == pytest.approx(2_061_551, abs=0.5)
    assert sum(c["population_model_area_only"] for c in cells) == pytest.approx(2_061_551, abs=0.5)
    # the census towns hold their census counts in both models
    anhai = [c for c in cells if c["town_code"] == "350582101"]
    assert sum(c["population"] for c in anhai) == pytest.approx(174_248)
    assert sum(c["population_model_area_only"] for c in anhai) == pytest.approx(174_248)


def test_published_facts_have_dates_and_sources(built: Path) -> None:
    facts = {f["id"]: f for f in json.loads((built / DATASETS["facts"]).read_text(encoding="utf-8"))}
    assert facts["negative_pressure_ambulances_known_min"]["value"] == 6
    assert facts["negative_pressure_ambulances_known_min"]["date"] == "2020-02-23"
    assert facts["aed_phase2_2022_planned"]["precision"] == "planned"
    assert facts["campus_hemin_beds_planned"]["value"] == 1000
    assert facts["campus_yinglin_beds_planned"]["opens"] == "2027 H2"
    for fact in facts.values():
        assert fact["source"], fact["id"]
