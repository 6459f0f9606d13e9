"""The Leaflet page every map starts from, and its rendering to HTML (optionally with local assets)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import folium
import geopandas as gpd
from branca.element import Element, Figure
from folium.elements import JSCSSMixin

from analysis.maps.geometry import bounds, to_wgs84

#: Where each vendored asset lives under ``asset_base_url`` (see app/static/vendor/README.md).
VENDORED_ASSETS = {
    "leaflet": "leaflet-1.9.4/leaflet.js",
    "leaflet_css": "leaflet-1.9.4/leaflet.css",
    "jquery": "jquery-3.7.1/jquery.min.js",
}
#: folium defaults these maps never use (no Bootstrap widgets, no awesome-marker icons).
UNUSED_ASSETS = frozenset(
    {
        "bootstrap",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers",
        "awesome_markers_css",
        "awesome_markers_font_css",
        "awesome_rotate_css",
    }
)

#: Margin kept around the county when the map is first fitted to it, pixels.
FIT_PADDING_PX = 12
#: Width of the legend column beside the map, pixels.
PANEL_WIDTH_PX = 340

#: Page layout: warnings in a strip above the map, the legend in a column beside it, so neither ever
#: covers a marker or a popup; markers, labels and panels share one look.
CSS = f"""
<style>
html, body {{ height: 100%; margin: 0; }}
body {{ display: grid; grid-template-columns: minmax(0, 1fr) auto; grid-template-rows: auto minmax(0, 1fr);
  height: 100vh; font: 12px/1.4 "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }}
.folium-map {{ grid-column: 1; grid-row: 2; width: auto !important; height: auto !important;
  position: relative !important; left: 0 !important; top: 0 !important; min-height: 0; }}
.hc-banner {{ grid-column: 1 / 3; grid-row: 1; background: #fff3cd; border-bottom: 1px solid #d4a017;
  padding: 4px 12px; font-size: 13px; }}
.hc-banner summary {{ cursor: pointer; font-weight: bold; }}
.hc-panel {{ grid-column: 2; grid-row: 2; overflow: auto; background: #fff; border-left: 1px solid #ccc;
  padding: 6px 10px; max-width: {PANEL_WIDTH_PX}px; }}
.hc-panel details.hc-fold:not([open]) {{ max-width: 160px; }}
.hc-panel h4 {{ margin: 0 0 4px; font-size: 14px; display: inline; }}
.hc-panel table {{ border-collapse: collapse; }}
.hc-panel td, .hc-panel th, .hc-popup td, .hc-popup th {{ padding: 1px 4px; border-bottom: 1px solid #ddd;
  text-align: left; vertical-align: top; }}
.hc-swatch {{ display: inline-block; width: 14px; height: 10px; margin-right: 4px; border: 1px solid #888; }}
.hc-line {{ display: inline-block; width: 18px; height: 0; margin: 0 4px 3px 0; }}
.folium-map.leaflet-container {{ background: #fff; }}
.hc-icon {{ background: none; border: none; }}
.hc-marker {{ width: 20px; height: 20px; border-radius: 50%; border: 2px solid #fff; color: #fff;
  font: bold 11px/16px "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; text-align: center;
  box-shadow: 0 0 3px rgba(0,0,0,.7); box-sizing: border-box; position: relative; cursor: pointer; }}
.hc-marker.hc-planned {{ opacity: .75; border-style: dashed; border-color: #000; }}
.hc-marker.hc-approx::after {{ content: "≈"; position: absolute; right: -7px; top: -8px; width: 11px;
  height: 11px; border-radius: 50%; background: #fff; color: #333; font: bold 9px/11px sans-serif;
  box-shadow: 0 0 2px rgba(0,0,0,.6); }}
.hc-marker.hc-mini {{ display: inline-block; width: 16px; height: 16px; line-height: 12px; font-size: 9px;
  vertical-align: middle; cursor: default; }}
.hc-legend-row {{ margin: 1px 0; }}
.hc-legend {{ margin: 6px 0; }}
.hc-status {{ color: #fff; padding: 0 4px; border-radius: 3px; white-space: nowrap; }}
.hc-pass {{ background: #1a7f37; }} .hc-fail {{ background: #cf222e; }} .hc-unknown {{ background: #6e7781; }}
.small {{ font-size: 11px; color: #555; }}
.hc-site-small {{ width: 14px; height: 14px; font-size: 8px; line-height: 10px; }}
.hc-town-label {{ white-space: nowrap; font: 12px/1.2 "Noto Sans CJK SC", sans-serif; color: #222;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; transform: translate(-50%, -50%);
  display: inline-block; cursor: pointer; }}
.hc-town-label small {{ color: #555; font-size: 10px; }}
.hc-hide-labels .hc-town-label small {{ display: none; }}
.hc-popup {{ font-size: 12px; table-layout: fixed; width: 100%; border-collapse: collapse; }}
.hc-popup th {{ width: 34%; }} .hc-popup td {{ overflow-wrap: anywhere; }}
</style>
"""


def figure(m: folium.Map) -> Figure:
    """The page (branca ``Figure``) holding *m*."""
    root = m.get_root()
    assert isinstance(root, Figure)
    return root


def _walk(element: Any) -> Iterator[Any]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def base_map(
    bounds: Sequence[float],
    *,
    tiles_url: str | None = None,
    tiles_attribution: str | None = None,
    title: str | None = None,
) -> folium.Map:
    """Create an empty map fitted to *bounds*.

    Parameters
    ----------
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)`` in WGS-84.
    tiles_url
        Tile URL template of an optional base map (e.g. OpenStreetMap); ``None`` or empty for none.
        Offline, the tiles fail to load and every other layer still draws.
    tiles_attribution
        Attribution shown with the tiles.
    title
        The page's title (browser tab).

    Returns
    -------
    folium.Map
    """
    min_lon, min_lat, max_lon, max_lat = (float(b) for b in bounds)
    centre = [(min_lat + max_lat) / 2, (min_lon + max_lon) / 2]
    m = folium.Map(location=centre, tiles=None, zoom_start=11, control_scale=True, prefer_canvas=False)
    if tiles_url:
        folium.TileLayer(
            tiles=tiles_url,
            attr=tiles_attribution or "map tiles",
            name="底图 Base map",
            overlay=False,
            control=True,
        ).add_to(m)
    page = figure(m)
    page.header.add_child(Element(CSS), name="healthcircle_css")
    if title:
        page.title = title
    m.fit_bounds([[min_lat, min_lon], [max_lat, max_lon]], padding=(FIT_PADDING_PX, FIT_PADDING_PX))
    return m


def start_map(
    cells: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame | None,
    *,
    tiles_url: str | None,
    tiles_attribution: str | None,
    title: str | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, folium.Map]:
    """*cells* and *facilities* in WGS-84 and an empty map fitted to them and the *boundary*."""
    cells = to_wgs84(cells)
    facilities = to_wgs84(facilities)
    box = bounds(boundary, cells, facilities)
    m = base_map(box, tiles_url=tiles_url, tiles_attribution=tiles_attribution, title=title)
    return cells, facilities, m


def to_html(m: folium.Map, *, asset_base_url: str | None = None) -> str:
    """Render *m* as a complete HTML page.

    Parameters
    ----------
    m
        The map.
    asset_base_url
        Where Leaflet and jQuery are served (e.g. ``"/static/vendor"``, laid out as ``VENDORED_ASSETS``);
        folium's CDN links are replaced by these and its unused Bootstrap/icon assets dropped, so the page
        needs no internet access. ``None`` keeps folium's CDN links (for a standalone file).

    Returns
    -------
    str
    """
    if asset_base_url is not None:
        base = asset_base_url.rstrip("/")

        def local(links: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
            out = []
            for name, url in links:
                if name in UNUSED_ASSETS:
                    continue
                out.append((name, f"{base}/{VENDORED_ASSETS[name]}" if name in VENDORED_ASSETS else url))
            return out

        for element in _walk(m):
            if isinstance(element, JSCSSMixin):
                element.default_js = local(element.default_js)
                element.default_css = local(element.default_css)
    return figure(m).render()
