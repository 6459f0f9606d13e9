"""``healthcircle network import``: a road graph and its prepared store into a county folder, nothing lost."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analysis import network
from analysis.travel import store
from app.cli import cli

KOUVOLA = Path(__file__).parent / "data" / "osm" / "kouvola.osm.pbf"


@pytest.fixture
def county(tmp_path: Path) -> Path:
    folder = tmp_path / "kouvola"
    folder.mkdir()
    (folder / "county.toml").write_text('name_en = "Kouvola"\ncrs = "EPSG:32635"\n', encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def kouvola_graphml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("src") / "roads.graphml"
    return network.save_graphml(network.graph_from_pbf(KOUVOLA), target)


def _import(source: Path, county: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["network", "import", str(source), "--data-dir", str(county), "--out", str(out)]
    )
    return result.exit_code, result.output


def _counts(output: str) -> tuple[int, int]:
    found = re.search(r"([\d,]+) nodes, ([\d,]+) edges", output)
    assert found, output
    return int(found.group(1).replace(",", "")), int(found.group(2).replace(",", ""))


def test_an_extract_is_imported_with_its_store(county: Path) -> None:
    out = county / "network" / "drive.graphml.gz"
    code, output = _import(KOUVOLA, county, out)
    assert code == 0, output
    G = network.load_graphml(out)  # noqa: N806
    assert _counts(output) == (len(G), G.number_of_edges())
    key = store.store_key(store.file_sha256(out), crs="EPSG:32635")
    assert store.read_store(store.store_path(out), key=key) is not None


def test_a_graphml_is_copied_compressed_and_prepared(county: Path, kouvola_graphml: Path) -> None:
    out = county / "network" / "drive.graphml.gz"
    code, output = _import(kouvola_graphml, county, out)
    assert code == 0, output
    # the copy is the same graph, now gzipped, and its store is current
    assert gzip.decompress(out.read_bytes()) == kouvola_graphml.read_bytes()
    G = network.load_graphml(kouvola_graphml)  # noqa: N806
    assert _counts(output) == (len(G), G.number_of_edges())
    key = store.store_key(store.file_sha256(out), crs="EPSG:32635")
    assert store.read_store(store.store_path(out), key=key) is not None
    assert not list(out.parent.glob(".importing-*"))


def test_a_bad_graphml_leaves_the_county_graph_as_it_was(
    county: Path, kouvola_graphml: Path, tmp_path: Path
) -> None:
    out = county / "network" / "drive.graphml.gz"
    assert _import(kouvola_graphml, county, out)[0] == 0
    before = out.read_bytes(), store.store_path(out).read_bytes()
    bad = tmp_path / "bad.graphml"
    bad.write_text(kouvola_graphml.read_text(encoding="utf-8")[:5000], encoding="utf-8")  # cut short
    code, output = _import(bad, county, out)
    assert code != 0
    assert f"Could not read road graph {bad}" in " ".join(output.split())
    assert ".importing" not in output
    assert (out.read_bytes(), store.store_path(out).read_bytes()) == before
    assert sorted(p.name for p in out.parent.iterdir()) == sorted([out.name, store.store_path(out).name])
