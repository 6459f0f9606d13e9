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

CSS = """
<style>
.hc-icon { background: none; border: none; }
.hc-marker { width: 20px; height: 20px; border-radius: 50%; border: 2px solid #fff; color: #fff;
  font: bold 11px/16px "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; text-align: center;
  box-shadow: 0 0 3px rgba(0,0,0,.6); box-sizing: border-box; }
.hc-marker.hc-planned { opacity: .6; border-style: dashed; border-color: #000; }
.hc-banner { position: fixed; top: 10px; left: 56px; z-index: 1000; max-width: 36%;
  background: #fff3cd; border: 1px solid #d4a017; border-radius: 4px; padding: 6px 12px;
  font: 13px/1.4 "Noto Sans CJK SC", sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,.3); }
.hc-panel { position: fixed; bottom: 24px; right: 10px; z-index: 1000; background: rgba(255,255,255,.95);
  border-radius: 4px; padding: 8px 10px; max-width: 360px; max-height: 60vh; overflow: auto;
  font: 12px/1.4 "Noto Sans CJK SC", sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,.3); }
.hc-panel h4 { margin: 0 0 4px; font-size: 14px; }
.hc-panel table { border-collapse: collapse; }
.hc-panel td, .hc-panel th, .hc-popup td, .hc-popup th { padding: 1px 4px; border-bottom: 1px solid #ddd;
  text-align: left; }
.hc-swatch { display: inline-block; width: 14px; height: 10px; margin-right: 4px; border: 1px solid #888; }
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
    figure(m).header.add_child(Element(CSS), name="healthcircle_css")
    m.fit_bounds([[min_lat, min_lon], [max_lat, max_lon]])
    return m


def start_map(
    cells: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame | None,
    *,
    tiles_url: str | None,
    tiles_attribution: str | None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, folium.Map]:
    """*cells* and *facilities* in WGS-84 and an empty map fitted to them and the *boundary*."""
    cells = to_wgs84(cells)
    facilities = to_wgs84(facilities)
    box = bounds(boundary, cells, facilities)
    return cells, facilities, base_map(box, tiles_url=tiles_url, tiles_attribution=tiles_attribution)


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
