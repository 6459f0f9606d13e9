"""The maps and report in a real headless Chromium, as a planner sees them.

Leaflet loads offline; every located facility has its own marker that is the top element where it is
drawn and opens its popup on click; the layer control starts collapsed; the legend's colours are the
colours drawn; towns are labelled; no console error but blocked tiles. Page sizes and render times are
measured and printed as JSON lines; a screenshot of every page is written to ``SCREENSHOT_DIR``.

Policy when the browser is missing: with ``CI`` set (any value but "", "0", "false") the test fails with a
clear message, because ``.ci/run`` installs Debian's chromium; on a developer machine without
``/usr/bin/chromium`` it is skipped with the install command as the reason. A browser that is installed but
fails to start always fails the test.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from app.config import Settings

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
#: Where page screenshots are written (kept after the run, for people to look at).
SCREENSHOT_DIR = Path(
    os.environ.get("HEALTHCIRCLE_SCREENSHOTS", Path(__file__).resolve().parents[1] / "build" / "screenshots")
)
VIEWPORT = {"width": 1400, "height": 900}
#: Budgets from the product's standards: page weight, and a loose ceiling on first render for a shared
#: 2-core machine (the measured time is printed; the aim is under 1 s).
MAX_MAP_BYTES = 500_000
MAX_RENDER_S = 5.0
#: Extra fresh loads of each page; the fastest load is printed beside the first.
RENDER_REPEATS = 2
#: How far a marker may sit from its true point when it shares the point with others (ring + margin), px.
MAX_RING_OFFSET_PX = 60.0
#: Zoom at which sample cells are checked: a 500 m cell is ~60 px, so no edge pixel is ambiguous.
SAMPLE_ZOOM = 14


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


@contextmanager
def serve_app(settings: Settings | None = None) -> Iterator[str]:
    """The app (default settings: the embedded county) served by uvicorn on a free loopback port."""
    import uvicorn

    from app.config import Settings
    from app.main import create_app

    port = _free_port()
    app = create_app(settings if settings is not None else Settings())
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a background thread."""
    with serve_app() as url:
        yield url


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
    assert cell_paths >= 4, "population cells (merged by travel-time class) were not drawn"
    assert "Travel times are" in banner or "Population is modelled" in banner
    if len(located) < len(open_facilities):
        assert UNKNOWN_LOCATION_LABEL in panel
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")


# --- every page as a planner opens it ------------------------------------------------------------------

MAP_PAGES = {
    "coverage": "/maps/coverage",
    "coverage_10min": "/maps/coverage?minutes=10",
    "coverage_planned": "/maps/coverage?include_planned=true",
    "ems": "/maps/ems",
    "accessibility": "/maps/accessibility",
    "siting_ems": "/maps/siting?kind=ems",
    "siting_facility": "/maps/siting?kind=facility",
    "siting_aed": "/maps/siting?kind=aed",
}
OTHER_PAGES = {"landing": "/", "report": "/report"}
#: The Leaflet map object of a folium page.
MAP_JS = "Object.values(window).find((v) => v instanceof L.Map)"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the page tests of this module."""
    executable = _require_chromium()
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        with sync_playwright() as p:
            try:
                chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
            except PlaywrightError as exc:
                pytest.fail(f"Chromium at {executable} could not start: {exc}")
            try:
                yield chromium
            finally:
                chromium.close()


class Visit:
    """One page opened in a fresh tab: console errors, failed app requests, size and render time."""

    def __init__(self, browser: Any, base_url: str, path: str) -> None:
        self.base_url = base_url
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.page = browser.new_page(viewport=VIEWPORT)
        # No internet here: tile requests are refused at once, as a planner's offline laptop would.
        self.page.route(
            lambda url: not url.startswith(base_url) and not url.startswith("data:"),
            lambda route: route.abort(),
        )
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on(
            "response",
            lambda r: (
                self.failed.append(f"{r.status} {r.url}")
                if r.url.startswith(base_url) and r.status >= 400
                else None
            ),
        )
        started = time.perf_counter()  # the page is served from the app's cache (see _warm)
        response = self.page.goto(f"{base_url}{path}", wait_until="load", timeout=PAGE_TIMEOUT_MS)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        self.bytes = len(response.body())
        if "/maps/" in path:
            self.page.wait_for_selector(".leaflet-marker-icon", timeout=PAGE_TIMEOUT_MS)
            self.page.wait_for_selector("path.leaflet-interactive", state="attached", timeout=PAGE_TIMEOUT_MS)
        self.render_s = time.perf_counter() - started
        # the browser's own clock: navigation start to the end of the load event (parse, scripts, drawing)
        self.load_ms = self.page.evaluate(
            "() => { const n = performance.getEntriesByType('navigation')[0]; "
            "return n ? n.loadEventEnd : null; }"
        )
        self.path = path

    def _console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if "Failed to load resource" in msg.text and not url.startswith(self.base_url):
            return  # a blocked base-map tile
        self.errors.append(f"{msg.text} ({url})")

    def close(self) -> None:
        self.page.close()


#: The marker of the "still solving" page a long siting run shows first (it reloads itself).
WAITING_PAGE_MARKER = b"http-equiv='refresh'"


def _warm(base_url: str, path: str) -> float:
    """Fetch *path* until the server has computed and cached it; return the seconds that took.

    A siting map whose solve outlasts the request's wait answers a page that reloads itself every 2 s;
    the render time measured afterwards is then the map's own, not the solver's.
    """
    import urllib.request

    started = time.perf_counter()
    while True:
        with urllib.request.urlopen(f"{base_url}{path}", timeout=PAGE_TIMEOUT_MS / 1000) as response:
            body = response.read()
        if WAITING_PAGE_MARKER not in body[:2000]:
            return time.perf_counter() - started
        assert time.perf_counter() - started < PAGE_TIMEOUT_MS / 1000, f"{path}: still solving"
        time.sleep(0.5)


def _visit(browser: Any, base_url: str, name: str, path: str) -> dict[str, Any]:
    server_s = _warm(base_url, path)
    visit = Visit(browser, base_url, path)
    try:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOT_DIR / f"{name}.png"
        visit.page.screenshot(path=str(shot), full_page=name in OTHER_PAGES)
        # the machine is shared: the fastest of a few fresh loads is the page's own cost
        repeats = []
        for _ in range(RENDER_REPEATS):
            again = Visit(browser, base_url, path)
            repeats.append(again.load_ms)
            again.close()
        record = {
            "page": path,
            "html_bytes": visit.bytes,
            "server_first_s": round(server_s, 3),
            "first_render_s": round(visit.render_s, 3),
            "browser_load_ms": None if visit.load_ms is None else round(visit.load_ms),
            "browser_load_ms_best_of": round(min(r for r in [visit.load_ms, *repeats] if r is not None)),
            "screenshot": str(shot),
        }
        print(json.dumps(record, ensure_ascii=False))
        assert not visit.errors, f"{path}: console errors {visit.errors}"
        assert not visit.failed, f"{path}: failed requests {visit.failed}"
        assert shot.stat().st_size > 10_000
        return record
    finally:
        visit.close()


@pytest.mark.parametrize("name", [*MAP_PAGES, *OTHER_PAGES])
def test_page_weight_render_time_and_console(browser: Any, live_url: str, name: str) -> None:
    path = {**MAP_PAGES, **OTHER_PAGES}[name]
    record = _visit(browser, live_url, name, path)
    if name in MAP_PAGES:
        assert record["html_bytes"] <= MAX_MAP_BYTES, record
        assert record["first_render_s"] < MAX_RENDER_S, record


def _located_open(kinds: set[str] | None = None) -> Any:
    from analysis.datasets import load_inputs

    facilities = load_inputs().facilities
    rows = facilities[
        (facilities["status"] != "planned") & facilities.geometry.notna() & ~facilities.geometry.is_empty
    ]
    return rows if kinds is None else rows[rows["kind"].isin(kinds)]


@pytest.mark.parametrize("name", ["coverage", "ems"])
def test_every_facility_marker_is_on_top_and_opens_its_popup(browser: Any, live_url: str, name: str) -> None:
    from analysis.datasets import EMS_KINDS

    expected = _located_open(set(EMS_KINDS) if name == "ems" else None)
    visit = Visit(browser, live_url, MAP_PAGES[name])
    try:
        page = visit.page
        page.wait_for_timeout(300)  # the ring layout runs once the map is ready
        markers = page.evaluate(
            f"""() => {{
            const map = {MAP_JS};
            return Array.from(document.querySelectorAll('.hc-fac')).map((el) => {{
              const icon = el.closest('.leaflet-marker-icon');
              const r = icon.getBoundingClientRect();
              const x = r.left + r.width / 2, y = r.top + r.height / 2;
              const top = document.elementFromPoint(x, y);
              const hit = top && top.closest('.leaflet-marker-icon');
              return {{fid: el.dataset.fid, kind: el.dataset.kind, x, y,
                       on_top: hit === icon, top: top ? top.className : null}};
            }});
        }}"""
        )
        by_id = {m["fid"]: m for m in markers}
        assert sorted(by_id) == sorted(expected["id"]), "one marker per located open facility"
        hidden = [m for m in markers if not m["on_top"]]
        assert not hidden, f"markers covered by something else: {hidden}"
        page.evaluate(f"() => {{ const map = {MAP_JS}; window.hcHome = [map.getCenter(), map.getZoom()]; }}")
        for rec in expected.to_dict("records"):
            # back to the default view: the last popup may have panned the map
            page.evaluate(
                f"() => {{ const map = {MAP_JS}; map.closePopup(); "
                "map.setView(...window.hcHome, {animate: false}); }"
            )
            page.wait_for_selector(".leaflet-popup", state="detached", timeout=5_000)  # faded out
            marker, true_xy = page.evaluate(
                f"""([fid, lat, lon]) => {{
                const map = {MAP_JS};
                const el = document.querySelector(`.hc-fac[data-fid="${{fid}}"]`);
                const icon = el.closest('.leaflet-marker-icon');
                const r = icon.getBoundingClientRect();
                const x = r.left + r.width / 2, y = r.top + r.height / 2;
                const top = document.elementFromPoint(x, y);
                const p = map.latLngToContainerPoint([lat, lon]);
                const c = map.getContainer().getBoundingClientRect();
                return [{{x, y, on_top: !!top && top.closest('.leaflet-marker-icon') === icon}},
                        [p.x + c.left, p.y + c.top]];
            }}""",
                [rec["id"], rec["geometry"].y, rec["geometry"].x],
            )
            assert marker["on_top"], f"{rec['id']}: covered"
            offset = math.hypot(marker["x"] - true_xy[0], marker["y"] - true_xy[1])
            assert offset <= MAX_RING_OFFSET_PX, f"{rec['id']} drawn {offset:.0f} px from its point"
            page.mouse.click(marker["x"], marker["y"])
            popup = page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
            assert str(rec["name_zh"]) in popup.inner_text(), rec["id"]
            page.wait_for_timeout(400)  # the popup's fade-in and the map's auto-pan
            box = popup.bounding_box()
            centre_in_popup = page.evaluate(
                "([x, y]) => { const el = document.elementFromPoint(x, y); "
                "return !!(el && el.closest('.leaflet-popup')); }",
                [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
            )
            assert centre_in_popup, f"{rec['id']}: its popup is covered"
        hospitals = [m for m in markers if m["kind"] == "hospital"]
        if name == "coverage":
            assert len(hospitals) == int((expected["kind"] == "hospital").sum()) > 0
    finally:
        visit.close()


@pytest.mark.parametrize("name", ["coverage", "ems", "siting_ems"])
def test_layer_control_starts_collapsed_and_towns_are_labelled(
    browser: Any, live_url: str, name: str
) -> None:
    from analysis.datasets import load_inputs

    towns = load_inputs().towns
    located_towns = towns[towns.geometry.notna() & ~towns.geometry.is_empty]
    visit = Visit(browser, live_url, MAP_PAGES[name])
    try:
        page = visit.page
        control = page.locator(".leaflet-control-layers")
        assert control.count() == 1
        assert "leaflet-control-layers-expanded" not in (control.get_attribute("class") or "")
        assert not page.locator(".leaflet-control-layers-list").is_visible()
        if name != "siting_ems":
            labels = page.locator(".hc-town-label").all_inner_texts()
            assert len(labels) == len(located_towns)
            for zh, en in zip(located_towns["name_zh"], located_towns["name_en"], strict=True):
                label = next((t for t in labels if t.startswith(str(zh))), None)
                assert label is not None and str(en).split()[0] in label, (zh, labels)
    finally:
        visit.close()


@pytest.mark.parametrize(("name", "column"), [("coverage", "minutes_any"), ("ems", "ems_response_minutes")])
def test_legend_colours_are_the_drawn_colours(browser: Any, live_url: str, name: str, column: str) -> None:
    from analysis.coverage import run_coverage
    from analysis.datasets import load_inputs
    from analysis.travel import load_travel_model

    inputs = load_inputs()
    cells = run_coverage(inputs, load_travel_model(None)).cells.to_crs("EPSG:4326")
    visit = Visit(browser, live_url, MAP_PAGES[name])
    try:
        page = visit.page
        legend = page.evaluate(
            """() => Array.from(document.querySelectorAll('#hc-panel [data-colour][data-low]')).map((el) => ({
                colour: el.dataset.colour, low: parseFloat(el.dataset.low), high: parseFloat(el.dataset.high),
                swatch: getComputedStyle(el.querySelector('.hc-swatch')).backgroundColor}))"""
        )
        assert len(legend) >= 5, legend

        def expected(minutes: float) -> str:
            if not math.isfinite(minutes):
                return next(r["colour"] for r in legend if not math.isfinite(r["low"]))
            return next(
                r["colour"] for r in legend if (r["low"] < minutes or r["low"] == 0) and minutes <= r["high"]
            )

        order = cells[column].fillna(math.inf).sort_values(kind="stable").index
        sample = cells.loc[order[:: max(1, len(order) // 60)]]
        checked, colours_seen = 0, set()
        for minutes, point in zip(
            sample[column].fillna(math.inf), sample.geometry.representative_point(), strict=True
        ):
            drawn = page.evaluate(
                f"""([lat, lon]) => {{
                const map = {MAP_JS};
                map.setView([lat, lon], {SAMPLE_ZOOM}, {{animate: false}});  // cells tens of pixels wide
                const p = map.latLngToContainerPoint([lat, lon]);
                const r = map.getContainer().getBoundingClientRect();
                const el = document.elementFromPoint(p.x + r.left, p.y + r.top);
                const fill = el && el.tagName === 'path' ? el.getAttribute('fill') : null;
                return fill === 'none' ? null : fill;  // an outline's edge, not a cell
            }}""",
                [point.y, point.x],
            )
            if drawn is None:
                continue  # a marker or label is on top here
            assert drawn == expected(float(minutes)), f"cell at {minutes:.2f} min drawn {drawn}"
            checked += 1
            colours_seen.add(drawn)
        assert checked >= 30, f"only {checked} sample cells were visible"
        assert len(colours_seen) >= 4, colours_seen
        assert page.locator("#hc-panel .hc-line").count() >= 1  # outline layers have their own entries
    finally:
        visit.close()


def test_aed_siting_legend_lists_ten_and_offers_downloads(browser: Any, live_url: str) -> None:
    visit = Visit(browser, live_url, MAP_PAGES["siting_aed"])
    try:
        page = visit.page
        rows = page.locator("#hc-panel table tr").count() - 1
        assert rows == 10
        panel = page.locator("#hc-panel").inner_text()
        assert "200 米" in panel and "200 m" in panel and "2.67 min" not in panel
        more = int(panel.split("还有 ", 1)[1].split(" ", 1)[0])
        files = page.evaluate(
            """async () => {
            const text = async (id) => (await fetch(document.getElementById(id).href)).text();
            return [await text('hc-download-csv'), await text('hc-download-geojson')];
        }"""
        )
        csv_rows = files[0].lstrip("\ufeff").strip().splitlines()
        assert csv_rows[0].startswith("rank,town_code,town,lon,lat")
        assert len(csv_rows) - 1 == 10 + more  # header + every site
        geo = json.loads(files[1])
        assert len(geo["features"]) == 10 + more
    finally:
        visit.close()


@pytest.mark.parametrize(
    ("path", "selector"), [("/docs", ".opblock"), ("/redoc", "[role=menuitem], .menu-content")]
)
def test_api_docs_render_offline_under_the_csp(browser: Any, live_url: str, path: str, selector: str) -> None:
    # Everything outside the app is refused (see Visit): the docs must come from /static alone.
    visit = Visit(browser, live_url, path)
    try:
        visit.page.wait_for_selector(selector, state="attached", timeout=PAGE_TIMEOUT_MS)
        assert visit.page.locator(selector).count() > 3
        # ReDoc's "powered by" logo lives on its CDN: blocked, as everything outside the app is offline
        csp_errors = [e for e in visit.errors if "Content Security Policy" in e and "cdn.redoc.ly" not in e]
        assert not csp_errors, csp_errors
        assert not visit.failed, visit.failed
    finally:
        visit.close()
