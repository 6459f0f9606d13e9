"""``healthcircle site`` on the embedded Jinjiang default data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from typer.testing import CliRunner

from analysis.datasets import get_path, load_boundary
from app.cli import cli

pytestmark = pytest.mark.skipif(
    not get_path("population").exists(), reason="default data not built (python -m analysis.build_default)"
)

runner = CliRunner()


@pytest.fixture(scope="module")
def ems_doc() -> dict[str, Any]:
    result = runner.invoke(cli, ["site", "--kind", "ems", "--count", "3", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def _inside_county(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    outline = shapely.union_all(load_boundary().geometry.to_numpy())
    return np.asarray(shapely.contains_xy(outline, lon, lat))


def test_ems_three_ranked_sites_inside_the_county(ems_doc: dict[str, Any]) -> None:
    sites = ems_doc["sites"]
    assert [s["rank"] for s in sites] == [1, 2, 3]
    lon = np.array([s["lon"] for s in sites])
    lat = np.array([s["lat"] for s in sites])
    assert _inside_county(lon, lat).all()
    added = [s["added_population"] for s in sites]
    assert all(a > 0 for a in added)
    assert added == sorted(added, reverse=True)
    cumulative = [s["cumulative_coverage"] for s in sites]
    assert ems_doc["baseline_coverage"] < cumulative[0] < cumulative[1] < cumulative[2] <= 1.0
    assert cumulative[-1] == pytest.approx(ems_doc["coverage"])
    assert all(s["town_code"] is None or len(s["town_code"]) == 9 for s in sites)


def test_ems_document_says_how_it_was_made(ems_doc: dict[str, Any]) -> None:
    assert ems_doc["kind"] == "ems"
    assert ems_doc["threshold_minutes"] == pytest.approx(11.0)  # 14 min response - 3 min dispatch
    assert ems_doc["profile"] == "ambulance"
    assert ems_doc["solver"].startswith("HiGHS")
    assert ems_doc["optimal"] is True and ems_doc["gap_percent"] == 0.0
    assert ems_doc["solve_seconds"] >= 0
    assert ems_doc["network_source"]
    assert ems_doc["population_source"]
    assert ems_doc["existing_sites"]
    assert any("dispatch" in a for a in ems_doc["assumptions"])


def test_csv_and_geojson(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["site", "--kind", "ems", "--count", "2", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["rank"] for r in rows] == ["1", "2"]
    assert {"lon", "lat", "town_code", "added_population", "cumulative_coverage"} <= set(rows[0])
    out = tmp_path / "sites.geojson"
    result = runner.invoke(
        cli, ["site", "--kind", "ems", "--count", "2", "--format", "geojson", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    fc = json.loads(out.read_text(encoding="utf-8"))
    assert fc["type"] == "FeatureCollection"
    assert [f["properties"]["rank"] for f in fc["features"]] == [1, 2]
    assert fc["metadata"]["kind"] == "ems"


def test_aed_default_budget_and_unknown_locations() -> None:
    result = runner.invoke(cli, ["site", "--kind", "aed", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    # ceil(2,061,551 / 10,000) = 207 AEDs needed, 60 reported -> 147 new
    assert doc["count"] == len(doc["sites"]) == 147
    assert doc["baseline_coverage"] == 0.0
    assert any("unknown" in a for a in doc["assumptions"])


def test_user_candidates(tmp_path: Path) -> None:
    path = tmp_path / "candidates.csv"
    path.write_text("name,lon,lat\nA,118.60,24.71\nB,118.53,24.65\nC,118.65,24.63\n", encoding="utf-8")
    result = runner.invoke(cli, ["site", "--kind", "ems", "--count", "2", "--candidates", str(path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["candidate_count"] == 3
    assert len(doc["sites"]) == 2


def test_candidates_outside_the_county(tmp_path: Path) -> None:
    path = tmp_path / "candidates.csv"
    path.write_text("lon,lat\n118.60,24.71\n120.0,30.0\n", encoding="utf-8")
    result = runner.invoke(cli, ["site", "--kind", "ems", "--count", "1", "--candidates", str(path)])
    assert result.exit_code == 2
    assert "outside the county" in result.stderr
    assert "#2" in result.stderr


def test_count_above_the_candidates(tmp_path: Path) -> None:
    path = tmp_path / "candidates.csv"
    path.write_text("lon,lat\n118.60,24.71\n", encoding="utf-8")
    result = runner.invoke(cli, ["site", "--kind", "ems", "--count", "2", "--candidates", str(path)])
    assert result.exit_code == 2
    assert "only 1 candidate" in result.stderr


def test_bad_arguments() -> None:
    result = runner.invoke(cli, ["site", "--kind", "ems", "--count", "0"])
    assert result.exit_code == 2
    result = runner.invoke(cli, ["site", "--kind", "hospital", "--count", "1"])
    assert result.exit_code == 2
    result = runner.invoke(cli, ["site", "--kind", "ems"])
    assert result.exit_code == 2
    assert "count" in result.stderr
    result = runner.invoke(
        cli, ["site", "--kind", "ems", "--count", "1", "--network", "/nonexistent.graphml"]
    )
    assert result.exit_code == 1
    assert "not found" in result.stderr
