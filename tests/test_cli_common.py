"""Shared command-line pieces: finding the road graph of a data folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from analysis.datasets import NETWORK_FILE, network_path
from app.cli.common import resolve_network


def test_network_path_is_none_without_a_graph(tmp_path: Path) -> None:
    assert network_path(tmp_path) is None


def test_network_path_finds_the_data_folders_graph(tmp_path: Path) -> None:
    graph = tmp_path / NETWORK_FILE
    graph.parent.mkdir(parents=True)
    graph.write_bytes(b"")
    assert network_path(tmp_path) == graph
    assert resolve_network(None, tmp_path) == graph


def test_explicit_network_wins_over_the_data_folder(tmp_path: Path) -> None:
    explicit = tmp_path / "other.graphml"
    explicit.write_text("<graphml/>")
    assert resolve_network(explicit, tmp_path) == explicit


def test_missing_explicit_network_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as excinfo:
        resolve_network(tmp_path / "absent.graphml.gz")
    assert excinfo.value.exit_code == 1
    assert "absent.graphml.gz not found" in capsys.readouterr().err


def test_missing_data_folder_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit):
        resolve_network(None, tmp_path / "nowhere")
    assert "data folder" in capsys.readouterr().err
