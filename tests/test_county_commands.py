"""Every command and the server work on the county folder they are given, never on Jinjiang's by accident.

The made-up county lies around 120.0-120.2 E, 30.0-30.15 N, ~600 km from Jinjiang: any Jinjiang outline or
facility leaking in shows up as a point outside it or a wrong count.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from analysis.datasets import DATA_DIR
from app.cli import cli
from app.config import Settings
from tests.made_up_county import HEIGHT_DEG, WIDTH_DEG, write_inputs

with warnings.catch_warnings():
    # Starlette prefers the httpx2 fork; plain httpx works the same for these tests.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

runner = CliRunner()
FIXTURES = Path(__file__).parent / "data"
OWN_IDS = ["m-a1", "m-e1", "m-h1", "m-t1"]


def _run(args: list[str], code: int = 0) -> Any:
    result = runner.invoke(cli, args)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result


def _build(work: Path, *, lon0: float, extra: tuple[str, ...] = ()) -> Path:
    paths = write_inputs(work / "in", lon0=lon0)
    folder = work / "county"
    _run(
        [
            "init", str(folder), "--boundary", str(paths["outline"]), "--towns", str(paths["towns"]),
            "--facilities", str(paths["facilities"]), "--census", str(paths["census"]), *extra,
        ]
    )  # fmt: skip
    return folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("cmd"), lon0=120.0)


def _inside(lon: float, lat: float, lon0: float = 120.0, lat0: float = 30.0) -> bool:
    return lon0 <= lon <= lon0 + WIDTH_DEG and lat0 <= lat <= lat0 + HEIGHT_DEG


def test_validate_uses_the_folders_outline(folder: Path) -> None:
    result = _run(["validate", "--data-dir", str(folder)])
    assert "facilities 设施: 4 (4 located)" in result.stdout and "EPSG:32651" in result.stdout
    assert "towns 乡镇: 2" in result.stdout and "200,000 people" in result.stdout
    # Jinjiang's facilities are outside this county's outline
    wrong = _run(["validate", str(DATA_DIR / "facilities.geojson"), "--data-dir", str(folder)], code=1)
    assert "outside the county outline" in wrong.stderr


def test_data_dir_from_the_environment(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTHCIRCLE_DATA_DIR", str(folder))
    result = _run(["validate"])
    assert "测试县" in result.stdout and "facilities 设施: 4" in result.stdout


def test_isochrones_use_the_folders_facilities(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "iso.geojson"
    args = [
        "isochrones",
        "--kind",
        "hospital",
        "--minutes",
        "10",
        "--out",
        str(out),
        "--data-dir",
        str(folder),
    ]
    result = _run(args)
    assert "EPSG:32651" in result.stdout
    gdf = gpd.read_file(out)
    assert list(gdf["source_id"]) == ["m-h1"]
    centre = gdf.geometry.iloc[0].centroid
    assert _inside(centre.x, centre.y)


def test_site_uses_the_folders_outline(folder: Path) -> None:
    result = _run(["site", "--kind", "ems", "--count", "2", "--format", "json", "--data-dir", str(folder)])
    doc = json.loads(result.stdout)
    assert doc["county"]["name_zh"] == "测试县"
    sites = doc["sites"]
    assert len(sites) == 2
    for site in sites:
        assert _inside(site["lon"], site["lat"]), site
    assert "EPSG:32651" in result.stderr


def test_report_uses_the_folders_facilities(folder: Path) -> None:
    doc = json.loads(_run(["report", "--data-dir", str(folder)]).stdout)
    results = {s["id"]: s for s in doc["standards"]}
    assert results["aed_per_10k"]["value"] == 1  # the folder's one AED (Jinjiang reports 60)
    assert doc["population_total"] == pytest.approx(200_000)
    assert doc["county"]["crs"] == "EPSG:32651"


def test_serve_uses_the_folder(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from app.config import get_settings
    from app.main import create_app

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    monkeypatch.delenv("HEALTHCIRCLE_DATA_DIR", raising=False)
    get_settings.cache_clear()
    _run(["serve", "--data-dir", str(folder), "--port", "8765"])
    try:
        assert seen["port"] == 8765
        with TestClient(create_app()) as client:
            ids = sorted(f["properties"]["id"] for f in client.get("/api/facilities").json()["features"])
            landing = client.get("/").text
            coverage = client.get("/api/coverage").json()
            standards = client.get("/api/standards").json()
    finally:
        # `serve` hands the folder on through the environment: take it back out
        os.environ.pop("HEALTHCIRCLE_DATA_DIR", None)
        get_settings.cache_clear()
    assert ids == OWN_IDS
    assert "测试县" in landing and "晋江" not in landing.split("<body>")[1].split("</h1>")[0]
    assert coverage["county"]["name_zh"] == "测试县"
    assert coverage["population_total"] == pytest.approx(200_000)
    assert all(s["source"].startswith("county.toml names no plan") for s in standards)


def test_manifest_targets_reach_the_report_and_the_api(tmp_path: Path) -> None:
    folder = _build(tmp_path, lon0=120.0)
    manifest = folder / "county.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8") + "\n[targets]\nems_response_minutes = 12\n", encoding="utf-8"
    )
    doc = json.loads(_run(["report", "--data-dir", str(folder)]).stdout)
    assert doc["assumptions"]["EMS_RESPONSE_MINUTES"] == 12.0
    with TestClient(create_app_for(folder)) as client:
        api = client.get("/api/coverage").json()
    assert api["assumptions"]["EMS_RESPONSE_MINUTES"] == 12.0


def test_manifest_targets_reach_siting_on_cli_api_and_map(tmp_path: Path) -> None:
    folder = _build(tmp_path, lon0=120.0)
    manifest = folder / "county.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8")
        + "\n[targets]\nems_response_minutes = 12\nservice_circle_minutes = 10\n",
        encoding="utf-8",
    )
    # 12 min response = 3 min dispatch (the library default) + 9 min drive, not 14 = 3 + 11
    ems = json.loads(
        _run(["site", "--kind", "ems", "--count", "1", "--format", "json", "--data-dir", str(folder)]).stdout
    )
    assert ems["threshold_minutes"] == pytest.approx(9.0)
    assert any("response 12 min = 3 min dispatch + 9 min drive" in a for a in ems["assumptions"])
    facility = json.loads(
        _run(
            ["site", "--kind", "facility", "--count", "1", "--format", "json", "--data-dir", str(folder)]
        ).stdout
    )
    assert facility["threshold_minutes"] == pytest.approx(10.0)
    with TestClient(create_app_for(folder)) as client:
        response = client.post("/api/siting", json={"kind": "ems", "count": 1})
        assert response.status_code == 200, response.text
        page = client.get("/maps/siting", params={"kind": "ems", "count": 1}).text
    assert response.json()["threshold_minutes"] == pytest.approx(9.0)
    assert response.json()["sites"] == ems["sites"]
    assert "车程 drive 9 分钟 min" in page


def create_app_for(folder: Path) -> Any:
    from app.main import create_app

    return create_app(Settings(data_dir=folder))


def _headline(folder: Path) -> float:
    doc = json.loads(_run(["report", "--data-dir", str(folder)]).stdout)
    value: float = next(s["value"] for s in doc["standards"] if s["id"] == "service_circle_15min")
    return value


def test_moving_the_county_keeps_the_headline(tmp_path: Path) -> None:
    # 120 E is the western edge of UTM zone 51 (central meridian 123 E); 87 E is zone 45's central meridian
    fine = ("--cell-m", "100")
    east = _headline(_build(tmp_path / "east", lon0=120.0, extra=fine))
    west_folder = _build(tmp_path / "west", lon0=87.0, extra=fine)
    assert "EPSG:32645" in _run(["validate", "--data-dir", str(west_folder)]).stdout
    west = _headline(west_folder)
    assert 0.05 < east < 0.95
    assert abs(east - west) <= 0.001, (east, west)
    # the same county at 87 E measured in Jinjiang's zone (50N, 30 degrees away) is distorted
    (west_folder / "county.toml").write_text('crs = "EPSG:32650"\n', encoding="utf-8")
    (west_folder / "population.geojson").unlink()
    paths = write_inputs(tmp_path / "west" / "in", lon0=87.0)
    _run(["init", str(west_folder), "--census", str(paths["census"]), *fine])
    assert abs(_headline(west_folder) - west) > 0.01


@pytest.mark.parametrize("case", ["outline", "outside", "census", "raster_crs", "raster_overlap", "roads"])
def test_bad_input_gets_one_clear_message(case: str, tmp_path: Path) -> None:
    paths = write_inputs(tmp_path / "in")
    folder = tmp_path / "county"
    args = ["init", str(folder), "--boundary", str(paths["outline"])]
    expected = ""
    if case == "outline":
        line = {"type": "LineString", "coordinates": [[120.0, 30.0], [120.2, 30.1]]}
        bad = tmp_path / "line.geojson"
        bad.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": line}), encoding="utf-8")
        args[3], expected = str(bad), "line.geojson feature 1 is a LineString, not a polygon"
    elif case == "outside":
        args += ["--facilities", str(DATA_DIR / "facilities.geojson")]
        expected = "outside the county outline"
    elif case == "census":
        census = tmp_path / "census.csv"
        census.write_text("乡镇,人口\n甲镇,100\n丙镇,200\n", encoding="utf-8")
        args += ["--towns", str(paths["towns"]), "--census", str(census)]
        expected = "1 town(s) match no town of the folder: row 2 (丙镇)"
    elif case in ("raster_crs", "raster_overlap"):
        import numpy as np
        import rasterio
        from affine import Affine

        raster = tmp_path / "pop.tif"
        crs = None if case == "raster_crs" else "EPSG:4326"
        transform = Affine(0.01, 0.0, 10.0, 0.0, -0.01, 50.0)  # over Europe, not the county
        with rasterio.open(
            raster,
            "w",
            driver="GTiff",
            height=10,
            width=10,
            count=1,
            dtype="float32",
            crs=crs,
            transform=transform,
        ) as dst:
            dst.write(np.ones((10, 10), dtype="float32"), 1)
        args += ["--raster", str(raster)]
        expected = "has no CRS" if case == "raster_crs" else "No pixel of"
    else:
        args += ["--osm", str(FIXTURES / "osm" / "kouvola.osm.pbf")]
        expected = "kouvola.osm.pbf has no roads inside the county outline"
    result = _run(args, code=1)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误 Error:"), result.stderr
    assert expected in lines[0], lines[0]
