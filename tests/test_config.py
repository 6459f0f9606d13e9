"""Service settings: the HEALTHCIRCLE_ environment prefix, caching, and `healthcircle serve` using them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from typer.testing import CliRunner

from app.config import OSM_TILES_URL, Settings, get_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATA_DIR", "NETWORK_FILE", "HOST", "PORT", "TILES_URL", "CACHE_SIZE"):
        monkeypatch.delenv(f"HEALTHCIRCLE_{name}", raising=False)
    s = Settings()
    assert s.data_dir is None and s.network_file is None
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    assert s.tiles_url == OSM_TILES_URL


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HEALTHCIRCLE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HEALTHCIRCLE_NETWORK_FILE", str(tmp_path / "roads.graphml.gz"))
    monkeypatch.setenv("HEALTHCIRCLE_HOST", "0.0.0.0")
    monkeypatch.setenv("HEALTHCIRCLE_PORT", "9001")
    monkeypatch.setenv("HEALTHCIRCLE_TILES_URL", "")
    s = Settings()
    assert s.data_dir == tmp_path
    assert s.network_file == tmp_path / "roads.graphml.gz"
    assert (s.host, s.port) == ("0.0.0.0", 9001)
    assert s.tiles_url == ""


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_bad_port_is_rejected(monkeypatch: pytest.MonkeyPatch, port: str) -> None:
    monkeypatch.setenv("HEALTHCIRCLE_PORT", port)
    with pytest.raises(ValidationError, match="port"):
        Settings()


def test_get_settings_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    monkeypatch.setenv("HEALTHCIRCLE_PORT", "8123")
    try:
        first = get_settings()
        monkeypatch.setenv("HEALTHCIRCLE_PORT", "8124")
        assert get_settings() is first
        assert first.port == 8123
    finally:
        get_settings.cache_clear()


def test_serve_start_up_error_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from app.cli import cli

    bad = tmp_path / "drive.graphml"
    bad.write_text("garbage<<<")
    monkeypatch.setenv("HEALTHCIRCLE_NETWORK_FILE", str(bad))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert len(result.output.strip().splitlines()) == 1
    assert "drive.graphml" in result.output


def test_serve_uses_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from app.cli import cli

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs, target=args[0]))
    monkeypatch.setenv("HEALTHCIRCLE_HOST", "0.0.0.0")
    monkeypatch.setenv("HEALTHCIRCLE_PORT", "8765")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve"])
        assert result.exit_code == 0, result.output
        # The app is built (and its data loaded) before listening, so start-up errors are one line.
        assert isinstance(seen.pop("target"), FastAPI)
        assert seen == {"host": "0.0.0.0", "port": 8765}
        result = CliRunner().invoke(cli, ["serve", "--host", "127.0.0.1", "--port", "8001"])
        assert result.exit_code == 0, result.output
        assert (seen["host"], seen["port"]) == ("127.0.0.1", 8001)
    finally:
        get_settings.cache_clear()


def test_missing_network_file_stops_start_up(tmp_path: Path) -> None:
    from analysis.errors import NetworkError
    from app.main import build_state

    with pytest.raises(NetworkError, match="HEALTHCIRCLE_NETWORK_FILE"):
        build_state(Settings(network_file=tmp_path / "absent.graphml.gz"))


def test_without_network_file_travel_is_estimated() -> None:
    from analysis import settings as analysis_settings
    from analysis.datasets import network_path
    from app.main import build_state

    if network_path() is not None:
        pytest.skip("a road graph was fetched into data/network; the server uses it")
    state = build_state(Settings())
    assert state.travel.network_source == analysis_settings.STRAIGHT_LINE_SOURCE


def test_worker_processes_share_travel_answers_in_a_folder(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import tempfile

    from analysis.coverage import run_coverage
    from analysis.coverage.travel_cache import remembering
    from app.main import build_state

    state = build_state(Settings(travel_cache_dir=tmp_path, worker_processes=True, workers=1))
    disk = remembering(state.travel).disk  # type: ignore[attr-defined]
    assert disk is not None and disk.directory == tmp_path and disk.max_bytes == 1_000_000_000
    run_coverage(state.inputs, state.travel)
    assert list(tmp_path.glob("*.npy"))  # the answers a worker computed, for the others
    state.close()
    # unset: a temporary folder, removed when the server process exits
    script = (
        "from app.config import Settings; from app.main import build_state; "
        "from analysis.coverage.travel_cache import remembering; "
        "state = build_state(Settings(worker_processes=True, workers=1)); "
        "folder = remembering(state.travel).disk.directory; assert folder.is_dir(); print(folder)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    folder = Path(done.stdout.strip().splitlines()[-1])
    assert folder.name.startswith("healthcircle-travel-") and not folder.exists()
    # a server stopped by a signal leaves its folder: the next start removes it
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    left = Path(tempfile.gettempdir()) / f"healthcircle-travel-{gone.stdout.strip()}-test"
    left.mkdir()
    (left / "answer.0.npy").write_bytes(b"x")
    state = build_state(Settings(worker_processes=True, workers=1))
    assert not left.exists()
    assert remembering(state.travel).disk.directory.name.startswith(f"healthcircle-travel-{os.getpid()}-")  # type: ignore[attr-defined]
    state.close()
    # threads share the answers in memory: no folder unless one is set
    state = build_state(Settings(worker_processes=False))
    assert remembering(state.travel).disk is None  # type: ignore[attr-defined]
    state.close()
