"""Tests of ``healthcircle validate``."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from analysis.datasets import get_path
from app.cli import cli

FIXTURES = Path(__file__).parent / "data"
runner = CliRunner()


def test_validate_default_facilities() -> None:
    result = runner.invoke(cli, ["validate", str(get_path("facilities"))])
    assert result.exit_code == 0, result.output
    assert "45 facilities" in result.output
    assert "hospital" in result.output and "12" in result.output
    assert "town_seat" in result.output
    assert "without location 无坐标: 13" in result.output


def test_validate_small_csv_and_gcj02() -> None:
    result = runner.invoke(cli, ["validate", str(FIXTURES / "facilities_small.csv"), "--crs", "gcj02"])
    assert result.exit_code == 0, result.output
    assert "4 facilities" in result.output
    assert "without location 无坐标: 1 (u1)" in result.output


def test_validate_lists_every_problem() -> None:
    result = runner.invoke(cli, ["validate", str(FIXTURES / "facilities_bad.csv")])
    assert result.exit_code == 1
    assert "6 problem(s)" in result.stderr
    assert "looks like lon/lat are swapped" in result.stderr
    assert "id 'a' is already used" in result.stderr


def test_validate_population_file() -> None:
    result = runner.invoke(cli, ["validate", str(get_path("population"))])
    assert result.exit_code == 0, result.output
    assert "2,061,551 people" in result.output


def test_validate_bad_paths(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["validate", str(tmp_path / "missing.geojson")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    other = tmp_path / "f.txt"
    other.write_text("x", encoding="utf-8")
    result = runner.invoke(cli, ["validate", str(other)])
    assert result.exit_code == 2
    assert "use .geojson, .gpkg or .csv" in result.stderr
    result = runner.invoke(cli, ["validate", str(FIXTURES / "facilities_small.csv"), "--crs", "bd09"])
    assert result.exit_code == 2
