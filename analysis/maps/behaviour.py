"""What a map page does in the browser: spread co-located markers, fold panels, resize with the legend.

Facilities that share a point (several sit on the same town seat) are drawn on a small ring around it at
every zoom, each with a thin leg to the true point, so every marker can be seen and clicked; the most
important kind (``KIND_STYLE`` order: hospitals first) takes the top of the ring and the highest z-index.
"""

from __future__ import annotations

import folium
from branca.element import MacroElement
from jinja2 import Template

#: Smallest distance between two marker centres, pixels (markers are 20 px wide).
MARKER_SPACING_PX = 26
#: Pane of the town labels (see ``analysis.maps.layers``).
LABEL_PANE = "hcLabels"
#: Half the width a town label needs clear of markers, pixels.
LABEL_CLEAR_PX = 40
#: Zoom below which town labels drop their English half (they would crowd the county view).
LABEL_FULL_ZOOM = 11


class MapBehaviour(MacroElement):  # type: ignore[misc]
    """The page script; add it after every layer so that it sees all the markers."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var SPACING = {{ this.spacing }};
  var legs = L.layerGroup().addTo(map);
  function facilityMarkers() {
    var found = [];
    map.eachLayer(function (layer) {
      if (layer instanceof L.Marker && layer.options.hcRank !== undefined) { found.push(layer); }
    });
    found.sort(function (a, b) { return a.options.hcRank - b.options.hcRank; });
    return found;
  }
  function spread() {
    var markers = facilityMarkers();
    var own = markers.map(function (m) { return map.latLngToLayerPoint(m.getLatLng()); });
    var group = markers.map(function (_m, i) { return i; });
    function root(i) { while (group[i] !== i) { group[i] = group[group[i]]; i = group[i]; } return i; }
    function join(i, j) {
      var a = root(i), b = root(j);
      if (a !== b) { group[Math.max(a, b)] = Math.min(a, b); }
    }
    // 1. markers on (nearly) the same point form a ring around it
    for (var i = 0; i < markers.length; i++) {
      for (var j = i + 1; j < markers.length; j++) {
        if (own[i].distanceTo(own[j]) < SPACING / 2) { join(i, j); }
      }
    }
    var placed = own.slice();
    var members = {};
    for (var k = 0; k < markers.length; k++) { (members[root(k)] = members[root(k)] || []).push(k); }
    Object.keys(members).forEach(function (key) {
      var ids = members[key];
      if (ids.length === 1) { return; }
      var cx = 0, cy = 0;
      ids.forEach(function (id) { cx += own[id].x; cy += own[id].y; });
      cx /= ids.length; cy /= ids.length;
      var radius = Math.max(SPACING * 0.6, (SPACING / 2) / Math.sin(Math.PI / ids.length));
      ids.forEach(function (id, n) {
        var angle = -Math.PI / 2 + 2 * Math.PI * n / ids.length;
        placed[id] = L.point(cx + radius * Math.cos(angle), cy + radius * Math.sin(angle));
      });
    });
    // 2. markers still too close (neighbouring points, touching rings) push each other apart
    for (var step = 0; step < 60; step++) {
      var moved = false;
      for (var a = 0; a < markers.length; a++) {
        for (var b = a + 1; b < markers.length; b++) {
          var d = placed[a].distanceTo(placed[b]);
          if (d >= SPACING) { continue; }
          var ux = d > 0.01 ? (placed[b].x - placed[a].x) / d : Math.cos(a + b);
          var uy = d > 0.01 ? (placed[b].y - placed[a].y) / d : Math.sin(a + b);
          var push = (SPACING - d) / 2 + 0.5;
          placed[a] = L.point(placed[a].x - ux * push, placed[a].y - uy * push);
          placed[b] = L.point(placed[b].x + ux * push, placed[b].y + uy * push);
          moved = true;
        }
      }
      if (!moved) { break; }
    }
    legs.clearLayers();
    markers.forEach(function (m, i) {
      var dx = Math.round(placed[i].x - own[i].x), dy = Math.round(placed[i].y - own[i].y);
      var icon = m.options.icon, half = icon.options.iconSize[0] / 2;
      if (!icon.options.hcAt || icon.options.hcAt[0] !== dx || icon.options.hcAt[1] !== dy) {
        m.setIcon(L.divIcon(L.extend({}, icon.options, {iconAnchor: [half - dx, half - dy],
          popupAnchor: [dx, dy - half], hcAt: [dx, dy]})));
      }
      if (dx !== 0 || dy !== 0) {
        var tip = map.layerPointToLatLng(placed[i]);
        L.polyline([m.getLatLng(), tip], {color: '#333', weight: 1, interactive: false}).addTo(legs);
        L.circleMarker(m.getLatLng(), {radius: 2, color: '#333', weight: 1, fillOpacity: 1,
          interactive: false}).addTo(legs);
      }
    });
  }
  function labels() {
    var full = map.getZoom() >= {{ this.label_zoom }};
    map.getContainer().classList.toggle('hc-hide-labels', !full);
    // a town label under a group of markers moves just below the group, so it can be read
    var placedAt = [];
    facilityMarkers().forEach(function (m) {
      var a = m.options.icon.options.hcAt || [0, 0];
      var p = map.latLngToLayerPoint(m.getLatLng());
      placedAt.push(L.point(p.x + a[0], p.y + a[1]));
    });
    map.eachLayer(function (layer) {
      var isLabel = layer instanceof L.Marker && layer.options.pane === '{{ this.label_pane }}';
      if (!isLabel || !layer.getElement()) { return; }
      var p = map.latLngToLayerPoint(layer.getLatLng()), below = null;
      placedAt.forEach(function (q) {
        if (Math.abs(q.x - p.x) < {{ this.label_clear }} && Math.abs(q.y - p.y) < SPACING) {
          below = below === null ? q.y : Math.max(below, q.y);
        }
      });
      var shift = below === null ? 0 : Math.round(below - p.y + SPACING * 0.8);
      var span = layer.getElement().querySelector('.hc-town-label');
      if (span) { span.style.marginTop = shift + 'px'; }
    });
  }
  map.on('zoomend overlayadd overlayremove', function () { spread(); labels(); });
  map.on('popupopen', function () {
    document.querySelectorAll('#hc-banner details[open]').forEach(function (d) { d.open = false; });
  });
  document.querySelectorAll('#hc-panel details.hc-fold, #hc-banner details').forEach(function (d) {
    d.addEventListener('toggle', function () { map.invalidateSize(); });
  });
  map.whenReady(function () { map.invalidateSize(); spread(); labels(); });
})();
{% endmacro %}
"""
    )

    def __init__(self, *, spacing_px: int = MARKER_SPACING_PX, label_zoom: int = LABEL_FULL_ZOOM) -> None:
        super().__init__()
        self._name = "MapBehaviour"
        self.spacing = int(spacing_px)
        self.label_zoom = int(label_zoom)
        self.label_pane = LABEL_PANE
        self.label_clear = LABEL_CLEAR_PX


def finish(m: folium.Map) -> None:
    """Add the collapsed layer control and the page script to *m* (call once, after every layer)."""
    folium.LayerControl(collapsed=True).add_to(m)
    MapBehaviour().add_to(m)
