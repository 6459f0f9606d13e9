"""The README's "Using your own county" walk-through, run line by line as a new user would."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from app.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
runner = CliRunner()


def _walkthroughs() -> dict[str, list[list[str]]]:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- walkthrough: (.+?) -->\n```\n(.*?)```\n<!-- end walkthrough -->", text, re.S)
    out: dict[str, list[list[str]]] = {}
    for name, body in blocks:
        commands = [shlex.split(line) for line in body.splitlines() if line.strip()]
        assert all(c[0] == ".venv/bin/healthcircle" for c in commands), body
        out[name] = [c[1:] for c in commands]
    return out


@pytest.fixture
def in_a_new_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder where the README's relative paths (examples/, tests/data/) resolve as in a clone."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "data").symlink_to(ROOT / "tests" / "data")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(args: list[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    if args[0] == "serve":
        import os

        import uvicorn

        seen: dict[str, Any] = {}
        monkeypatch.setattr(uvicorn, "run", lambda *a, **k: seen.update(k))
        monkeypatch.setenv("HEALTHCIRCLE_DATA_DIR", "unset-by-the-test")
        result = runner.invoke(cli, args)
        seen["data_dir"] = os.environ.get("HEALTHCIRCLE_DATA_DIR")
        from app.config import get_settings

        get_settings.cache_clear()
        return result, seen
    return runner.invoke(cli, args), None


def test_readme_has_both_walkthroughs() -> None:
    assert set(_walkthroughs()) == {"made-up county", "OpenStreetMap extract"}


def test_made_up_county_walkthrough(in_a_new_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for args in _walkthroughs()["made-up county"]:
        result, seen = _run(args, monkeypatch)
        assert result.exit_code == 0, (args, result.output)
        assert "Traceback" not in result.output
        if args[0] == "serve":
            assert Path(seen["data_dir"]) == (in_a_new_folder / "my_county").resolve()
        if args[0] == "site":
            assert result.stdout.count("\n") >= 3  # header and two sites
    folder = in_a_new_folder / "my_county"
    assert "测试县" in (folder / "report.html").read_text(encoding="utf-8")
    assert set(gpd.read_file(folder / "hospital_bands.geojson")["minutes"]) == {10.0, 15.0}
    assert "census.csv" in (folder / "README.md").read_text(encoding="utf-8")


def test_osm_walkthrough(in_a_new_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for args in _walkthroughs()["OpenStreetMap extract"]:
        result, _ = _run(args, monkeypatch)
        assert result.exit_code == 0, (args, result.output)
    doc = json.loads((in_a_new_folder / "kouvola" / "report.json").read_text(encoding="utf-8"))
    assert "OpenStreetMap" in doc["network_source"] and doc["population_modelled"] is True
