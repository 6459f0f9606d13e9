"""``healthcircle report`` in json, csv and html, on tiny inputs and on the embedded default."""

from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import analysis.county
import analysis.travel
from analysis.county import County
from analysis.datasets import get_path
from analysis.standards import STANDARD_IDS
from app.cli import cli
from tests.test_coverage import LineTravel, make_inputs

runner = CliRunner()


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Make the command read the tiny line county and its line-shaped travel model."""
    seen: dict[str, Any] = {}

    def fake_county(folder: Path) -> County:
        seen["data_dir"] = folder
        return County(
            folder=folder,
            name_zh="线县",
            name_en="Line",
            admin_code=None,
            crs="EPSG:32650",
            crs_source="test",
        )

    def fake_inputs(county: County) -> Any:
        return make_inputs()

    def fake_travel(network_path: Path | None = None, *, crs: str | None = None) -> Any:
        seen["network_path"] = network_path
        return LineTravel()

    monkeypatch.setattr(analysis.county, "load_county", fake_county)
    monkeypatch.setattr(analysis.county, "load_county_inputs", fake_inputs)
    monkeypatch.setattr(analysis.travel, "load_travel_model", fake_travel)
    return seen


def test_json_to_stdout(tiny: dict[str, Any]) -> None:
    result = runner.invoke(cli, ["report", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["network_source"] == "test line road"
    assert [s["id"] for s in doc["standards"]] == list(STANDARD_IDS)
    circle = next(s for s in doc["standards"] if s["id"] == "service_circle_15min")
    assert circle["value"] == pytest.approx(400 / 600)


def test_json_options_reach_the_run(tiny: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    args = ["report", "--include-planned", "--profile", "car", "--minutes", "10", "--dispatch-minutes", "6"]
    result = runner.invoke(cli, [*args, "--out", str(out), "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert tiny["data_dir"] == tmp_path
    assert doc["scenario"]["include_planned"] is True
    results = {s["id"]: s for s in doc["standards"]}
    assert results["service_circle_15min"]["profile"] == "car"
    assert results["service_circle_15min"]["threshold_minutes"] == 10.0
    assert results["ems_response_14min"]["value"] == pytest.approx(100 / 600)  # 7, 15, 25 min


def test_csv_stdout_one_row_per_standard(tiny: dict[str, Any]) -> None:
    result = runner.invoke(cli, ["report", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id"] for r in rows] == list(STANDARD_IDS)
    amb = next(r for r in rows if r["id"] == "ambulance_per_30k")
    assert amb["status"] == "pass" and amb["value_text"] == "1"


def test_csv_to_folder_and_file(tiny: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "out"
    result = runner.invoke(cli, ["report", "-f", "csv", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    towns = list(csv.DictReader(io.StringIO((folder / "towns.csv").read_text(encoding="utf-8-sig"))))
    assert [t["town_code"] for t in towns] == ["A", "B", "C"]
    assert len(list(csv.DictReader(io.StringIO((folder / "standards.csv").read_text("utf-8-sig"))))) == 10
    target = tmp_path / "jj.csv"
    result = runner.invoke(cli, ["report", "-f", "csv", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert target.is_file() and (tmp_path / "jj_towns.csv").is_file()


def test_html_is_self_contained(tiny: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = runner.invoke(cli, ["report", "--format", "html", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    for sid in STANDARD_IDS:
        assert sid in page
    for chart in ("coverage", "towns", "ems"):
        assert f'id="chart-{chart}"' in page, chart
    encoded = page.split('id="chart-coverage"', 1)[1].split("data:image/png;base64,", 1)[1].split('"', 1)[0]
    assert base64.b64decode(encoded).startswith(b"\x89PNG")
    assert "达标 Pass" in page and "未达标 Fail" in page and "未知 Unknown" in page
    assert "甲镇" in page and "location unknown" in page
    assert "人口为模型估算" in page  # banner: population modelled
    assert "<script" not in page  # nothing to fetch or run: the file stands alone


def test_bad_option_exits_2_with_message(tiny: dict[str, Any]) -> None:
    result = runner.invoke(cli, ["report", "--minutes", "0"])
    assert result.exit_code == 2
    assert "minutes must be more than 0 and at most 180" in result.stderr
    result = runner.invoke(cli, ["report", "--profile", "bus"])
    assert result.exit_code == 2
    assert "profile 'bus' is not a travel profile" in result.stderr


def test_missing_network_file_exits_1(tiny: dict[str, Any], tmp_path: Path) -> None:
    result = runner.invoke(cli, ["report", "--network", str(tmp_path / "none.graphml")])
    assert result.exit_code == 1
    assert "not found" in result.stderr


@pytest.mark.skipif(not get_path("facilities").is_file(), reason="default data not built")
def test_default_data_json() -> None:
    result = runner.invoke(cli, ["report", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["network_source"]
    assert doc["population_source"]
    assert {s["id"] for s in doc["standards"]} == set(STANDARD_IDS)
    assert len(doc["towns"]) == 19
    unknown = [t for t in doc["towns"] if t["location"] == "location unknown"]
    assert all(t["population"] is None and t["population_note"] for t in unknown)
    left = doc["cells_left_out"]
    if left["population_counted"] != pytest.approx(2_061_551, abs=1):
        assert left["cells"], "population counted differs from the census but no cells are listed"
    for s in doc["standards"]:
        if s["population_considered"] is not None:
            assert s["population_considered"] == pytest.approx(left["population_counted"])
    ids = {s["id"]: s for s in doc["standards"]}
    assert ids["aed_per_10k"]["value"] == 60  # the reported count: no AED locations
    assert ids["ambulance_per_30k"]["passed"] is None  # fleet sizes are not published


def test_period_option_reaches_the_run(tiny: dict[str, Any]) -> None:
    from analysis import settings

    result = runner.invoke(cli, ["report", "--format", "json", "--period", "peak"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["period"] == "peak"
    ems = next(s for s in doc["standards"] if s["id"] == "ems_response_14min")
    # drive 1, 9, 19 min at free flow, times the ambulance factor, + 3 min dispatch
    factor = settings.PEAK_FACTOR_BY_PROFILE["ambulance"]
    assert ems["median_minutes"] == pytest.approx(9 * factor + 3)
    result = runner.invoke(cli, ["report", "--period", "night"])
    assert result.exit_code == 2
    assert "period 'night' is not known" in result.stderr
