"""The coverage map in a real headless Chromium: Leaflet loads offline, every kind has a layer, markers draw.

Policy when the browser is missing: with ``CI`` set (any value but "", "0", "false") the test fails with a
clear message, because ``.ci/run`` installs Debian's chromium; on a developer machine without
``/usr/bin/chromium`` it is skipped with the install command as the reason. A browser that is installed but
fails to start always fails the test.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("HEALTHCIRCLE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
#: Seconds allowed for the server to start and the page to draw its map (the first map render ~1 s).
START_TIMEOUT_S = 60.0
PAGE_TIMEOUT_MS = 60_000


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _require_chromium() -> str:
    if CHROMIUM.is_file() or shutil.which(str(CHROMIUM)):
        return str(CHROMIUM)
    msg = (
        f"Chromium not found at {CHROMIUM}: install it with "
        "`apt-get install -y chromium fonts-noto-cjk` (CI's .ci/run does this)."
    )
    if _in_ci():
        pytest.fail(msg)
    pytest.skip(msg)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a background thread."""
    import uvicorn

    from app.config import Settings
    from app.main import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(Settings()), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_coverage_map_renders_in_chromium(live_url: str, tmp_path: Path) -> None:
    executable = _require_chromium()
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from analysis.datasets import load_inputs
    from analysis.maps import KIND_STYLE, UNKNOWN_LOCATION_LABEL

    facilities = load_inputs().facilities
    open_facilities = facilities[facilities["status"] != "planned"]
    kinds = sorted(set(open_facilities["kind"]))
    located = open_facilities[open_facilities.geometry.notna() & ~open_facilities.geometry.is_empty]

    failed: list[str] = []
    with warnings.catch_warnings():
        # Playwright's driver pipes are closed by the driver process, not by Python.
        warnings.simplefilter("ignore", ResourceWarning)
        with sync_playwright() as p:
            try:
                browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
            except PlaywrightError as exc:
                pytest.fail(f"Chromium at {executable} could not start: {exc}")
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.on(
                    "response",
                    lambda r: (
                        failed.append(f"{r.status} {r.url}")
                        if r.url.startswith(live_url) and r.status >= 400
                        else None
                    ),
                )
                page.goto(f"{live_url}/maps/coverage", wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_MS)
                page.wait_for_selector(".leaflet-container", timeout=PAGE_TIMEOUT_MS)
                page.wait_for_selector(".leaflet-marker-icon", timeout=PAGE_TIMEOUT_MS)
                page.wait_for_selector("path.leaflet-interactive", state="attached", timeout=PAGE_TIMEOUT_MS)
                labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
                markers = page.locator(".leaflet-marker-icon").count()
                cell_paths = page.locator("path.leaflet-interactive").count()
                banner = page.locator("#hc-banner").inner_text()
                panel = page.locator("#hc-panel").inner_text()
                leaflet_version = page.evaluate("() => window.L && window.L.version")
                shot = tmp_path / "coverage_map.png"
                page.screenshot(path=str(shot), full_page=False)
            finally:
                browser.close()

    assert leaflet_version == "1.9.4", "Leaflet did not load from /static"
    assert not failed, f"requests to the app failed: {failed}"
    text = " ".join(labels)
    for kind in kinds:
        assert KIND_STYLE[kind][0] in text, f"layer control lacks {kind}: {labels}"
    assert markers >= len(located), f"{markers} markers drawn for {len(located)} located facilities"
    assert cell_paths > 100, "population cells were not drawn"
    assert "Travel times are" in banner or "Population is modelled" in banner
    if len(located) < len(open_facilities):
        assert UNKNOWN_LOCATION_LABEL in panel
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
