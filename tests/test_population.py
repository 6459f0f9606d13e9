"""Tests of analysis.population on tiny hand-worked inputs."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from analysis.errors import DataError, ParameterError
from analysis.population import (
    PopulationSurface,
    from_census_table,
    from_raster,
    from_town_totals,
    load_population,
)

FIXTURES = Path(__file__).parent / "data"
UTM = "EPSG:32650"
X0, Y0 = 600_000.0, 2_740_000.0  # a grid-aligned corner near Jinjiang in UTM 50N

# A 2 km × 1 km county split at x = 750 m into town A (west, 0.75 km²) and B (east, 1.25 km²).
BOUNDARY = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 2000, Y0 + 1000)], crs=UTM)
TOWNS = gpd.GeoDataFrame(
    {"town_code": ["A", "B"]},
    geometry=[box(X0, Y0, X0 + 750, Y0 + 1000), box(X0 + 750, Y0, X0 + 2000, Y0 + 1000)],
    crs=UTM,
)


def _rows(surface: PopulationSurface) -> list[tuple[str, float]]:
    return [
        (c, round(p, 6)) for c, p in zip(surface.cells["town_code"], surface.cells["population"], strict=True)
    ]


def test_two_towns_hand_computed() -> None:
    # 500 m squares: columns 0-500 | 500-1000 | 1000-1500 | 1500-2000, two rows.
    # A = 300 people over 750,000 m²: a full square (250,000 m²) holds 100, the 250×500 m piece 50.
    # B = 1,000 people over 1,250,000 m²: the 125,000 m² piece holds 100, a full square 200.
    surface = from_town_totals(TOWNS, {"A": 300, "B": 1000}, boundary=BOUNDARY, cell_m=500, crs=UTM)
    row = [("A", 100.0), ("A", 50.0), ("B", 100.0), ("B", 200.0), ("B", 200.0)]
    assert _rows(surface) == row + row  # north row, then south row
    assert surface.total == pytest.approx(1300.0)
    assert surface.cells["cell_id"].tolist() == list(range(10))
    assert surface.cells.crs.to_epsg() == 4326
    assert surface.modelled
    xy = surface.points_xy(UTM)
    assert xy.shape == (10, 2)
    assert xy[0] == pytest.approx([X0 + 250, Y0 + 750], abs=0.01)
    assert xy[1] == pytest.approx([X0 + 625, Y0 + 750], abs=0.01)
    assert surface.populations.dtype == np.float64


def test_remainder_spread_by_area() -> None:
    # County 2,000; A keeps 300; B gets 1,700 → 170 per 125,000 m² piece, 340 per full square.
    surface = from_town_totals(TOWNS, {"A": 300}, boundary=BOUNDARY, county_total=2000, cell_m=500, crs=UTM)
    assert _rows(surface)[:5] == [("A", 100.0), ("A", 50.0), ("B", 170.0), ("B", 340.0), ("B", 340.0)]
    assert surface.total == pytest.approx(2000.0)
    assert "remainder" in surface.cells["method"].iloc[2]
    assert "census total" in surface.cells["method"].iloc[0]


def test_town_without_area_joins_the_remainder() -> None:
    towns = gpd.GeoDataFrame({"town_code": ["A", "B", "C"]}, geometry=[*TOWNS.geometry, None], crs=UTM)
    # C (500 people, unknown area) goes to B, the located town without a total: 500 / 1.25 km².
    surface = from_town_totals(towns, {"A": 300, "C": 500}, boundary=BOUNDARY, cell_m=500, crs=UTM)
    assert _rows(surface)[:5] == [("A", 100.0), ("A", 50.0), ("B", 50.0), ("B", 100.0), ("B", 100.0)]
    assert surface.total == pytest.approx(800.0)


def test_cells_are_clipped_to_the_boundary() -> None:
    boundary = gpd.GeoDataFrame(
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000).union(box(X0, Y0, X0 + 2000, Y0 + 500))], crs=UTM
    )
    surface = from_town_totals(TOWNS, {"A": 300, "B": 500}, boundary=boundary, cell_m=500, crs=UTM)
    # B's land: 250×1000 + 1000×500 = 750,000 m² → 500 people: 250×500 pieces hold 83.33, full squares 166.67.
    assert _rows(surface) == [
        ("A", 100.0), ("A", 50.0), ("B", 83.333333),
        ("A", 100.0), ("A", 50.0), ("B", 83.333333), ("B", 166.666667), ("B", 166.666667),
    ]  # fmt: skip
    assert TOWNS.geometry.iloc[0].area == 750_000  # inputs untouched


def test_from_town_totals_errors() -> None:
    with pytest.raises(DataError, match="not in the towns layer"):
        from_town_totals(TOWNS, {"Z": 1}, boundary=BOUNDARY, crs=UTM)
    with pytest.raises(DataError, match="must be zero or positive"):
        from_town_totals(TOWNS, {"A": -5}, boundary=BOUNDARY, crs=UTM)
    with pytest.raises(DataError, match="is not a number"):
        from_town_totals(TOWNS, {"A": "many"}, boundary=BOUNDARY, crs=UTM)  # type: ignore[dict-item]
    with pytest.raises(DataError, match="smaller than the sum"):
        from_town_totals(TOWNS, {"A": 500}, boundary=BOUNDARY, county_total=100, crs=UTM)
    with pytest.raises(ParameterError, match="cell_m"):
        from_town_totals(TOWNS, {"A": 5}, boundary=BOUNDARY, cell_m=0, crs=UTM)


def test_from_census_table(tmp_path: Path) -> None:
    surface = from_census_table(FIXTURES / "census_small.csv", TOWNS, boundary=BOUNDARY, cell_m=500, crs=UTM)
    assert surface.total == pytest.approx(1300.0)
    assert "census_small.csv" in surface.source
    bad = tmp_path / "bad.csv"
    bad.write_text("town_code,population\nA,300\nB,-5\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.csv row 2 \(town B\): population '-5' is negative"):
        from_census_table(bad, TOWNS, boundary=BOUNDARY, crs=UTM)
    bad.write_text("town_code,population\nA,lots\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 1 \(town A\): population 'lots' is not a number"):
        from_census_table(bad, TOWNS, boundary=BOUNDARY, crs=UTM)
    bad.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="is empty"):
        from_census_table(bad, TOWNS, boundary=BOUNDARY, crs=UTM)
    bad.write_text("code,people\n", encoding="utf-8")
    with pytest.raises(DataError, match="has no column"):
        from_census_table(bad, TOWNS, boundary=BOUNDARY, crs=UTM)


def test_from_raster(tmp_path: Path) -> None:
    rasterio = pytest.importorskip("rasterio")
    from affine import Affine

    values = np.array([[10, 20, 30, 40], [50, 60, -1, 80]], dtype=np.float32)  # -1 = nodata
    path = tmp_path / "pop.tif"
    profile = {
        "driver": "GTiff",
        "height": 2,
        "width": 4,
        "count": 1,
        "dtype": "float32",
        "crs": UTM,
        "transform": Affine(500.0, 0.0, X0, 0.0, -500.0, Y0 + 1000),
        "nodata": -1,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)
    # The boundary stops half-way through the last column: 40 → 20 and 80 → 40; nodata counts 0.
    boundary = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 1750, Y0 + 1000)], crs=UTM)
    halves = gpd.GeoDataFrame(
        {"town_code": ["A", "B"]},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)],
        crs=UTM,
    )
    surface = from_raster(path, boundary=boundary, towns=halves)
    expected = 10 + 20 + 30 + 20 + 50 + 60 + 0 + 40
    assert surface.total == pytest.approx(expected, rel=1e-3)
    assert len(surface.cells) == 8
    assert not surface.modelled
    assert surface.cells["town_code"].tolist() == ["A", "A", "B", "B", "A", "A", "B", "B"]
    assert sorted(surface.populations.round(6)) == [0, 10, 20, 20, 30, 40, 50, 60]


def _population_file(tmp_path: Path, population: object) -> Path:
    cell = box(118.5, 24.7, 118.505, 24.705)
    feature = {
        "type": "Feature",
        "properties": {"cell_id": 0, "population": population, "town_code": "A", "method": "test"},
        "geometry": json.loads(gpd.GeoSeries([cell]).to_json())["features"][0]["geometry"],
    }
    path = tmp_path / "pop.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    return path


def test_load_population_checks(tmp_path: Path) -> None:
    assert load_population(_population_file(tmp_path, 12.5)).total == 12.5
    with pytest.raises(DataError, match="feature 1: population is -3; populations cannot be negative"):
        load_population(_population_file(tmp_path, -3))
    with pytest.raises(DataError, match="feature 1: population 'many' is not a number"):
        load_population(_population_file(tmp_path, "many"))
    empty = tmp_path / "empty.geojson"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="is empty"):
        load_population(empty)


def test_default_population() -> None:
    surface = load_population()
    assert surface.total == pytest.approx(2_061_551, abs=0.5)
    assert surface.modelled
    assert surface.source.startswith("modelled")
    by_town = surface.cells.groupby("town_code")["population"].sum()
    assert by_town["350582101"] == pytest.approx(174_248, abs=0.01)
    assert by_town["350582103"] == pytest.approx(304_033, abs=0.01)
    assert surface.points_xy().shape == (len(surface.cells), 2)
