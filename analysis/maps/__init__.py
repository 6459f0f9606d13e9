"""Folium rendering of coverage and siting results: one module per map, shared markers, legends and banners.

Rendering only: every number drawn here was computed by ``analysis.coverage``, ``analysis.siting`` or
``analysis.travel``. Maps are Leaflet pages; :func:`to_html` can point them at locally served JavaScript
and CSS so that a page works with no internet access (the base-map tiles then simply stay blank).
"""

from analysis.display import UNKNOWN_LOCATION_LABEL
from analysis.maps.accessibility import ACCESS_COLOURS, access_colour, accessibility_map
from analysis.maps.banners import add_banner, caveats
from analysis.maps.coverage import coverage_map
from analysis.maps.ems import WORST_CELLS_SHOWN, ems_map
from analysis.maps.geometry import COORD_DECIMALS, DISPLAY_SIMPLIFY_DEG
from analysis.maps.layers import add_outline, add_towns
from analysis.maps.legends import (
    TIME_COLOURS,
    TIME_EDGE_FRACTIONS,
    UNREACHED_COLOUR,
    add_panel,
    time_colour,
)
from analysis.maps.markers import KIND_STYLE, add_facility_layers
from analysis.maps.page import UNUSED_ASSETS, VENDORED_ASSETS, base_map, to_html
from analysis.maps.siting import (
    SITING_COLOURS,
    SITING_EXISTING_KINDS,
    SITING_KIND_LABELS,
    SITING_MARKER_COLOUR,
    siting_map,
)
from analysis.maps.tables import standards_html, towns_html, unlocated_html

__all__ = [
    "ACCESS_COLOURS",
    "COORD_DECIMALS",
    "DISPLAY_SIMPLIFY_DEG",
    "KIND_STYLE",
    "SITING_COLOURS",
    "SITING_EXISTING_KINDS",
    "SITING_KIND_LABELS",
    "SITING_MARKER_COLOUR",
    "TIME_COLOURS",
    "TIME_EDGE_FRACTIONS",
    "UNKNOWN_LOCATION_LABEL",
    "UNREACHED_COLOUR",
    "UNUSED_ASSETS",
    "VENDORED_ASSETS",
    "WORST_CELLS_SHOWN",
    "access_colour",
    "accessibility_map",
    "add_banner",
    "add_facility_layers",
    "add_outline",
    "add_panel",
    "add_towns",
    "base_map",
    "caveats",
    "coverage_map",
    "ems_map",
    "siting_map",
    "standards_html",
    "time_colour",
    "to_html",
    "towns_html",
    "unlocated_html",
]
