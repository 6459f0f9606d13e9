"""``healthcircle scenario add|list|show|compare|delete`` on the embedded default data, database in tmp."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analysis.datasets import get_path
from app.cli import cli

pytestmark = pytest.mark.skipif(
    not get_path("population").exists(), reason="default data not built (python -m analysis.build_default)"
)

runner = CliRunner()


def test_add_list_show_compare_delete(tmp_path: Path) -> None:
    db = str(tmp_path / "county.sqlite")
    added = runner.invoke(
        cli,
        ["scenario", "add", "英林站迁址", "--base", "planned", "--db", db,
         "--move", "ems-st-yinglin=118.60,24.62", "--ambulances", "ems-sub-anhai=2",
         "--add", "aed:118.58,24.80:市民广场"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    scenario_id = added.stdout.strip()
    listed = runner.invoke(cli, ["scenario", "list", "--db", db])
    assert listed.stdout.strip().split("\t") == [scenario_id, "planned", "3", "英林站迁址"]
    shown = json.loads(runner.invoke(cli, ["scenario", "show", scenario_id, "--db", db]).stdout)
    assert [c["op"] for c in shown["changes"]] == ["add", "move", "set_ambulances"]
    compared = runner.invoke(cli, ["scenario", "compare", "planned", scenario_id, "--json", "--db", db])
    assert compared.exit_code == 0, compared.output
    result = json.loads(compared.stdout)
    assert result["b"]["id"] == scenario_id
    rows = {r["id"]: r for r in result["standards"]}
    # one AED added to the 60 reported (unlocated) ones: the count goes up by exactly one, not down to 1
    assert (rows["aed_per_10k"]["a"], rows["aed_per_10k"]["b"]) == (60, 61)
    assert set(rows) >= {"service_circle_15min", "ems_response_14min"}
    table = runner.invoke(cli, ["scenario", "compare", "today", "planned", "--db", db])
    assert table.exit_code == 0 and "service_circle_15min" in table.stdout
    assert runner.invoke(cli, ["scenario", "delete", scenario_id, "--db", db]).exit_code == 0
    assert runner.invoke(cli, ["scenario", "list", "--db", db]).stdout.strip() == ""


def test_bad_change_exits_2(tmp_path: Path) -> None:
    db = str(tmp_path / "county.sqlite")
    result = runner.invoke(cli, ["scenario", "add", "x", "--remove", "no-such-site", "--db", db])
    assert result.exit_code == 2 and "no facility 'no-such-site'" in result.output
    assert runner.invoke(cli, ["scenario", "add", "x", "--move", "hosp", "--db", db]).exit_code == 2
