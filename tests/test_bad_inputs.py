"""A generated corpus of broken input files: every one must end in a clear message, never a traceback.

Each case writes one broken file (facilities, towns, population, boundary, candidates, road network or
facts), runs the command a planner would run on it, and checks that the command exits non-zero, names
the file, and prints no Python traceback. Valid controls in the awkward-but-legal encodings and layouts
(BOM, GBK, UTF-16, semicolons, tabs, Chinese headers) must pass.
"""

from __future__ import annotations

import codecs
import gzip
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from analysis.datasets import DATA_DIR, DATASETS, load_boundary, load_facts, load_towns
from app.cli import cli

runner = CliRunner()

# Three real facilities of the embedded data (inside the county outline).
POINTS = [
    ("hosp-luoshang", "hospital", 118.55177, 24.7816, "晋江市医院罗裳院区", 500),
    ("hosp-aiguolou", "hospital", 118.57415, 24.81978, "晋江市医院爱国楼院区", 300),
    ("hosp-hemin", "hospital", 118.59979, 24.82201, "晋江市医院和敏院区", 800),
]
SQUARE = [[[118.5, 24.7], [118.6, 24.7], [118.6, 24.8], [118.5, 24.8], [118.5, 24.7]]]


def _feature(props: Any, geometry: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _fc(*features: Any, **extra: Any) -> bytes:
    """A FeatureCollection as bytes; the string "1e999" is written as the bare number 1e999 (infinite)."""
    text = json.dumps({"type": "FeatureCollection", **extra, "features": list(features)})
    return text.replace('"1e999"', "1e999").encode()


def _point(lon: Any = 118.55177, lat: Any = 24.7816) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def _fac(**props: Any) -> dict[str, Any]:
    base = {"id": "h1", "name_zh": "医院", "kind": "hospital"}
    base.update(props)
    return base


def _deep(depth: int = 100_000) -> bytes:
    return b"[" * depth + b"]" * depth


def _town(**props: Any) -> dict[str, Any]:
    return _feature(
        {"town_code": "350582100", "name_zh": "青阳街道", **props}, {"type": "Polygon", "coordinates": SQUARE}
    )


def _cell(**props: Any) -> dict[str, Any]:
    return _feature({"cell_id": 0, "population": 10.0, **props}, {"type": "Polygon", "coordinates": SQUARE})


GRAPHML_HEAD = b'<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">'


@dataclass(frozen=True)
class Case:
    """One broken file: which input it replaces, its name and its bytes."""

    id: str
    target: str  # facilities, towns, boundary, population, facts, candidates, network
    name: str
    content: bytes


FACILITIES = [
    Case("fac-not-text", "facilities", "f.csv", b"id,lon,lat\n\x80\x80,1,2\n"),
    Case("fac-utf16-no-bom", "facilities", "f.csv", "id,lon,lat\nh1,118.5,24.7\n".encode("utf-16-le")),
    Case("fac-binary", "facilities", "f.geojson", bytes(range(256)) * 4),
    Case("fac-zero-bytes", "facilities", "f.geojson", b""),
    Case("fac-whitespace", "facilities", "f.geojson", b"  \n\t\n"),
    Case("fac-truncated-json", "facilities", "f.geojson", _fc(_feature(_fac(), _point()))[:-7]),
    Case("fac-deep-nesting", "facilities", "f.geojson", _deep()),
    Case("fac-top-list", "facilities", "f.geojson", b"[1, 2, 3]"),
    Case("fac-top-string", "facilities", "f.geojson", b'"hello"'),
    Case("fac-no-features", "facilities", "f.geojson", b'{"type": "FeatureCollection"}'),
    Case("fac-features-number", "facilities", "f.geojson", b'{"type": "FeatureCollection", "features": 5}'),
    Case("fac-features-empty", "facilities", "f.geojson", _fc()),
    Case("fac-feature-string", "facilities", "f.geojson", _fc("not a feature")),
    Case("fac-properties-list", "facilities", "f.geojson", _fc(_feature([1, 2], _point()))),
    Case("fac-properties-string", "facilities", "f.geojson", _fc(_feature("id=h1", _point()))),
    Case("fac-geometry-string", "facilities", "f.geojson", _fc(_feature(_fac(), "POINT(1 2)"))),
    Case(
        "fac-coordinates-number",
        "facilities",
        "f.geojson",
        _fc(_feature(_fac(), {"type": "Point", "coordinates": 5})),
    ),
    Case("fac-coordinates-text", "facilities", "f.geojson", _fc(_feature(_fac(), _point("a", "b")))),
    Case(
        "fac-coordinates-short",
        "facilities",
        "f.geojson",
        _fc(_feature(_fac(), {"type": "Point", "coordinates": [1]})),
    ),
    Case(
        "fac-polygon",
        "facilities",
        "f.geojson",
        _fc(_feature(_fac(), {"type": "Polygon", "coordinates": SQUARE})),
    ),
    Case(
        "fac-type-number",
        "facilities",
        "f.geojson",
        _fc(_feature(_fac(), {"type": 5, "coordinates": [1, 2]})),
    ),
    Case("fac-id-null", "facilities", "f.geojson", _fc(_feature(_fac(id=None), _point()))),
    Case(
        "fac-id-infinite",
        "facilities",
        "f.geojson",
        _fc(_feature(_fac(id="1e999"), None)),
    ),
    Case("fac-id-list", "facilities", "f.geojson", _fc(_feature(_fac(id=[1, 2]), _point()))),
    Case(
        "fac-town-code-infinite",
        "facilities",
        "f.geojson",
        _fc(_feature(_fac(town_code="1e999"), None)),
    ),
    Case("fac-beds-text", "facilities", "f.geojson", _fc(_feature(_fac(beds="many"), _point()))),
    Case("fac-beds-negative", "facilities", "f.geojson", _fc(_feature(_fac(beds=-1), _point()))),
    Case(
        "fac-beds-infinite",
        "facilities",
        "f.geojson",
        _fc(_feature(_fac(beds="1e999"), None)),
    ),
    Case("fac-kind-unknown", "facilities", "f.geojson", _fc(_feature(_fac(kind="spaceport"), _point()))),
    Case("fac-kind-object", "facilities", "f.geojson", _fc(_feature(_fac(kind={"a": 1}), _point()))),
    Case(
        "fac-duplicate-id",
        "facilities",
        "f.geojson",
        _fc(_feature(_fac(), _point()), _feature(_fac(), _point())),
    ),
    Case("fac-swapped", "facilities", "f.geojson", _fc(_feature(_fac(), _point(24.7816, 118.55177)))),
    Case(
        "fac-lat-infinite",
        "facilities",
        "f.geojson",
        _fc(_feature(_fac(), _point(118.5, "1e999"))),
    ),
    Case(
        "fac-crs-web-mercator",
        "facilities",
        "f.geojson",
        _fc(_feature(_fac(), _point()), crs={"type": "name", "properties": {"name": "EPSG:3857"}}),
    ),
    Case("fac-crs-number", "facilities", "f.geojson", _fc(_feature(_fac(), _point()), crs=5)),
    Case("fac-csv-header-only", "facilities", "f.csv", b"id,name_zh,kind,lon,lat\n"),
    Case("fac-csv-no-lonlat", "facilities", "f.csv", b"id;name;kind\nh1;A;hospital\n"),
    Case("fac-csv-lon-text", "facilities", "f.csv", b"id,kind,lon,lat\nh1,hospital,east,24.8\n"),
    Case(
        "fac-csv-two-lon",
        "facilities",
        "f.csv",
        "id,kind,lon,经度,lat\nh1,hospital,118.5,118.5,24.8\n".encode(),
    ),
    Case(
        "fac-csv-bad-quotes", "facilities", "f.csv", b'id,kind,lon,lat\n"h1,hospital,118.5,24.8\nh2,aed,1,2\n'
    ),
    Case("fac-gpkg-garbage", "facilities", "f.gpkg", b"this is not sqlite" * 20),
    Case("fac-txt", "facilities", "f.txt", b"id,lon,lat\n"),
]

TOWNS = [
    Case("towns-code-null", "towns", "towns.geojson", _fc(_town(), _town(town_code=None))),
    Case(
        "towns-code-infinite",
        "towns",
        "towns.geojson",
        b'{"features": [{"type": "Feature", "properties": {"town_code": 1e999}, "geometry": null}]}',
    ),
    Case("towns-code-missing", "towns", "towns.geojson", _fc(_feature({"name_zh": "青阳"}, None))),
    Case("towns-code-duplicate", "towns", "towns.geojson", _fc(_town(), _town())),
    Case(
        "towns-short-ring",
        "towns",
        "towns.geojson",
        _fc(
            _feature(
                {"town_code": "1"},
                {"type": "Polygon", "coordinates": [[[118.5, 24.7], [118.6, 24.7], [118.5, 24.7]]]},
            )
        ),
    ),
    Case("towns-point", "towns", "towns.geojson", _fc(_feature({"town_code": "1"}, _point()))),
    Case("towns-properties-list", "towns", "towns.geojson", _fc(_feature(["350582100"], None))),
    Case("towns-census-text", "towns", "towns.geojson", _fc(_town(census_2020="abc"))),
    Case("towns-features-empty", "towns", "towns.geojson", _fc()),
    Case("towns-not-text", "towns", "towns.geojson", b'{"features": []}\xff\xfe\x80'[::-1]),
]

BOUNDARY = [
    Case("boundary-point", "boundary", "boundary.geojson", _fc(_feature({}, _point()))),
    Case("boundary-null-geometry", "boundary", "boundary.geojson", _fc(_feature({}, None))),
    Case(
        "boundary-wrong-depth",
        "boundary",
        "boundary.geojson",
        _fc(_feature({}, {"type": "Polygon", "coordinates": [118.5, 24.7]})),
    ),
    Case(
        "boundary-short-ring",
        "boundary",
        "boundary.geojson",
        _fc(_feature({}, {"type": "Polygon", "coordinates": [[[118.5, 24.7], [118.6, 24.8]]]})),
    ),
    Case("boundary-deep", "boundary", "boundary.geojson", _deep()),
    Case("boundary-empty", "boundary", "boundary.geojson", b""),
    Case(
        "boundary-coordinates-number",
        "boundary",
        "boundary.geojson",
        _fc(_feature({}, {"type": "MultiPolygon", "coordinates": 5})),
    ),
]

POPULATION = [
    Case("pop-cell-id-text", "population", "population.geojson", _fc(_cell(cell_id="abc"))),
    Case("pop-cell-id-null", "population", "population.geojson", _fc(_cell(cell_id=None))),
    Case("pop-population-text", "population", "population.geojson", _fc(_cell(population="many"))),
    Case("pop-population-negative", "population", "population.geojson", _fc(_cell(population=-5))),
    Case(
        "pop-population-nan",
        "population",
        "population.geojson",
        _fc(_cell(population=float("nan"))),
    ),
    Case("pop-point", "population", "population.geojson", _fc(_feature({"population": 1}, _point()))),
    Case("pop-duplicate-cell-id", "population", "population.geojson", _fc(_cell(), _cell())),
    Case(
        "pop-short-ring",
        "population",
        "population.geojson",
        _fc(_feature({"population": 1}, {"type": "Polygon", "coordinates": [[[1, 1], [2, 2], [1, 1]]]})),
    ),
    Case(
        "pop-properties-string",
        "population",
        "population.geojson",
        _fc(_feature("population=5", {"type": "Polygon", "coordinates": SQUARE})),
    ),
]

FACTS = [
    Case("facts-object", "facts", "facts.json", b'{"id": "x", "value": 1}'),
    Case("facts-no-value", "facts", "facts.json", b'[{"id": "x"}]'),
    Case("facts-id-null", "facts", "facts.json", b'[{"id": null, "value": 1}]'),
    Case("facts-duplicate", "facts", "facts.json", b'[{"id": "x", "value": 1}, {"id": "x", "value": 2}]'),
    Case("facts-value-infinite", "facts", "facts.json", b'[{"id": "x", "value": 1e999}]'),
    Case("facts-invalid-json", "facts", "facts.json", b'[{"id": "x", "value": }]'),
    Case("facts-deep", "facts", "facts.json", _deep()),
]

CANDIDATES = [
    Case("cand-zero-bytes", "candidates", "c.csv", b""),
    Case("cand-header-only", "candidates", "c.csv", b"lon,lat\n"),
    Case("cand-no-lonlat", "candidates", "c.csv", b"name,x1\na,1\n"),
    Case("cand-lon-text", "candidates", "c.csv", b"lon,lat\nabc,24.8\n"),
    Case("cand-lon-infinite", "candidates", "c.csv", b"lon,lat\ninf,24.8\n"),
    Case(
        "cand-polygon",
        "candidates",
        "c.geojson",
        _fc(_feature({}, {"type": "Polygon", "coordinates": SQUARE})),
    ),
    Case(
        "cand-coordinates-number",
        "candidates",
        "c.geojson",
        _fc(_feature({}, {"type": "Point", "coordinates": 5})),
    ),
    Case("cand-null-geometry", "candidates", "c.geojson", _fc(_feature({}, None))),
    Case("cand-gpkg-garbage", "candidates", "c.gpkg", b"garbage" * 50),
    Case("cand-deep", "candidates", "c.geojson", _deep()),
]

NETWORKS = [
    Case("net-garbage", "network", "g.graphml", b"garbage<<<"),
    Case("net-random", "network", "g.graphml", bytes(range(256)) * 8),
    Case("net-other-xml", "network", "g.graphml", b'<?xml version="1.0"?><html><body/></html>'),
    Case(
        "net-no-crs",
        "network",
        "g.graphml",
        GRAPHML_HEAD + b'<graph edgedefault="directed"><node id="1"/><node id="2"/>'
        b'<edge source="1" target="2"/></graph></graphml>',
    ),
    Case(
        "net-empty-graph",
        "network",
        "g.graphml",
        GRAPHML_HEAD + b'<graph edgedefault="directed"></graph></graphml>',
    ),
    Case("net-not-gzip", "network", "g.graphml.gz", b"not gzip"),
    Case("net-gzip-garbage", "network", "g.graphml.gz", gzip.compress(b"garbage<<<")),
    Case("net-empty", "network", "g.graphml", b""),
]

CASES = FACILITIES + TOWNS + BOUNDARY + POPULATION + FACTS + CANDIDATES + NETWORKS


def _data_dir_with(tmp_path: Path, name: str, content: bytes) -> Path:
    """A data folder linking the embedded files, with *name* replaced by *content*."""
    folder = tmp_path / "county"
    folder.mkdir()
    for file in DATASETS.values():
        (folder / file).symlink_to(DATA_DIR / file)
    (folder / name).unlink()
    (folder / name).write_bytes(content)
    return folder


def _command(case: Case, tmp_path: Path) -> tuple[list[str], str]:
    """The command a planner would run on the broken file, and the file name the message must give."""
    if case.target == "facilities":
        path = tmp_path / case.name
        path.write_bytes(case.content)
        return ["validate", str(path)], case.name
    if case.target in ("towns", "boundary", "population", "facts"):
        folder = _data_dir_with(tmp_path, case.name, case.content)
        return ["report", "--data-dir", str(folder)], case.name
    path = tmp_path / case.name
    path.write_bytes(case.content)
    if case.target == "candidates":
        return ["site", "--kind", "aed", "--candidates", str(path)], case.name
    return ["report", "--network", str(path)], case.name


def test_corpus_is_large_and_covers_every_input() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.target for c in CASES} == {
        "facilities",
        "towns",
        "boundary",
        "population",
        "facts",
        "candidates",
        "network",
    }


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_broken_file_gets_a_message_not_a_traceback(case: Case, tmp_path: Path) -> None:
    args, name = _command(case, tmp_path)
    result = runner.invoke(cli, args)
    output = result.output
    # An uncaught exception shows up as result.exception other than the clean exit of typer.Exit.
    assert isinstance(result.exception, SystemExit), f"{case.id}: {result.exception!r}\n{output}"
    assert result.exit_code != 0, output
    assert "Traceback" not in output
    assert name in output, f"{case.id}: the message should name the file {name}:\n{output}"
    assert len(output.strip().splitlines()) <= 3, output


@pytest.mark.parametrize("case", [CASES[6], TOWNS[0], NETWORKS[0]], ids=lambda c: c.id)
def test_real_process_prints_no_traceback(case: Case, tmp_path: Path) -> None:
    args, name = _command(case, tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    assert name in proc.stderr


# --- valid controls ---------------------------------------------------------------------------------


def _csv_rows(header: list[str], sep: str) -> str:
    lines = [sep.join(header)]
    for fid, kind, lon, lat, name, beds in POINTS:
        lines.append(sep.join([fid, kind, str(lon), str(lat), name, str(beds)]))
    return "\n".join(lines) + "\n"


ENGLISH = ["id", "kind", "lon", "lat", "name_zh", "beds"]
CHINESE = ["编号", "类型", "经度", "纬度", "名称", "床位数（张）"]

CONTROLS: list[tuple[str, str, Callable[[], bytes], str]] = [
    ("utf8-bom", "f.csv", lambda: codecs.BOM_UTF8 + _csv_rows(ENGLISH, ",").encode(), "UTF-8 (BOM)"),
    ("gbk", "f.csv", lambda: _csv_rows(ENGLISH, ",").encode("gbk"), "GB18030"),
    ("gbk-chinese-headers", "f.csv", lambda: _csv_rows(CHINESE, ",").encode("gbk"), "GB18030"),
    ("utf16-bom", "f.csv", lambda: _csv_rows(CHINESE, "\t").encode("utf-16"), "UTF-16 (BOM)"),
    ("semicolon", "f.csv", lambda: _csv_rows(ENGLISH, ";").encode(), "UTF-8"),
    ("tab-chinese", "f.csv", lambda: _csv_rows(CHINESE, "\t").encode(), "UTF-8"),
    (
        "geojson-bom",
        "f.geojson",
        lambda: (
            codecs.BOM_UTF8 + _fc(*(_feature(_fac(id=p[0], beds=p[5]), _point(p[2], p[3])) for p in POINTS))
        ),
        "",
    ),
]


@pytest.mark.parametrize(("label", "name", "content", "encoding"), CONTROLS, ids=[c[0] for c in CONTROLS])
def test_valid_controls_pass(
    label: str, name: str, content: Callable[[], bytes], encoding: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    path.write_bytes(content())
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 facilities" in result.output
    assert "hospital" in result.output
    if encoding:
        assert f"encoding: {encoding}" in result.output


def test_chinese_kind_values_and_headers_are_mapped(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("编号,类型,经度,纬度\na1,急救站,118.55177,24.7816\n", encoding="gbk")
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "ems_station" in result.output
    assert "经度 → lon" in result.output


def test_bom_geojson_layers_load(tmp_path: Path) -> None:
    for name in ("towns.geojson", "boundary.geojson", "facts.json"):
        (tmp_path / name).write_bytes(codecs.BOM_UTF8 + (DATA_DIR / name).read_bytes())
    assert len(load_towns(tmp_path / "towns.geojson")) == len(load_towns())
    assert len(load_boundary(tmp_path / "boundary.geojson")) == len(load_boundary())
    assert load_facts(tmp_path / "facts.json") == load_facts()
