"""Facility markers: one coloured glyph per kind, a popup per facility; unlocated ones returned."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from analysis.display import KIND_LABELS, bilingual_name, row_value, text
from analysis.maps.geometry import feature_collection, to_wgs84

#: Bilingual label, colour and one-glyph symbol of each facility kind (Chinese first).
KIND_STYLE: dict[str, tuple[str, str, str]] = {
    kind: (KIND_LABELS[kind], colour, glyph)
    for kind, colour, glyph in (
        ("hospital", "#c0392b", "医"),
        ("township_centre", "#2471a3", "卫"),
        ("community_centre", "#17a589", "社"),
        ("ems_centre", "#7d3c98", "急"),
        ("ems_subcentre", "#a569bd", "分"),
        ("ems_station", "#d35400", "站"),
        ("aed", "#f1c40f", "A"),
        ("village_clinic", "#5d6d7e", "村"),
    )
}


def marker_icon(css_class: str, colour: str, label: Any) -> folium.DivIcon:
    """Round 20-px marker of *colour* showing *label* (a glyph or a rank)."""
    return folium.DivIcon(
        html=f'<div class="{css_class}" style="background:{colour}">{label}</div>',
        icon_size=(20, 20),
        icon_anchor=(10, 10),
        class_name="hc-icon",
    )


def _esc(value: Any) -> str:
    return html.escape(text(value))


def add_facility_layers(
    m: folium.Map,
    facilities: gpd.GeoDataFrame,
    *,
    kinds: Iterable[str] | None = None,
    show: bool = True,
) -> list[dict[str, Any]]:
    """Add one layer per facility kind, with a coloured marker and a popup per located facility.

    Facilities without coordinates are not drawn (they are never placed at an invented point); they are
    returned so the caller can list them as "位置未知 location unknown".

    Parameters
    ----------
    m
        The map.
    facilities
        Facilities as in ``data/facilities.geojson`` (``kind``, ``name_zh``, ``name_en``, ``beds``,
        ``status``, ``source``, ``precision``); rows may have no geometry.
    kinds
        Kinds to draw, in this order; default: every kind present, in ``KIND_STYLE`` order.
    show
        Whether the layers start visible.

    Returns
    -------
    list of dict
        The facilities of those kinds that have no location (``id``, ``name_zh``, ``name_en``, ``kind``).
    """
    facilities = to_wgs84(facilities)
    present = [str(k) for k in pd.unique(facilities["kind"])] if len(facilities) else []
    if kinds is None:
        order = [k for k in KIND_STYLE if k in present] + sorted(k for k in present if k not in KIND_STYLE)
    else:
        order = [k for k in kinds if k in present]
    unlocated: list[dict[str, Any]] = []
    for kind in order:
        label, colour, glyph = KIND_STYLE.get(kind, (kind, "#555", "?"))
        group = folium.FeatureGroup(name=label, show=show)
        rows = facilities[facilities["kind"] == kind]
        missing = rows.geometry.isna() | rows.geometry.is_empty
        for rec in rows[missing].to_dict("records"):
            unlocated.append({k: row_value(rec, k) for k in ("id", "name_zh", "name_en", "kind")})
        located = rows[~missing]
        for status, status_rows in located.groupby(
            located.get("status", pd.Series("open", index=located.index))
        ):
            planned = status == "planned"
            props = [
                {
                    "name": _esc(bilingual_name(r)),
                    "kind": html.escape(label),
                    "beds": _esc(row_value(r, "beds")),
                    "status": "规划 planned" if planned else "运行 open",
                    "source": _esc(row_value(r, "source")),
                    "precision": _esc(row_value(r, "precision")),
                }
                for r in status_rows.to_dict("records")
            ]
            data = feature_collection(status_rows, props)
            icon_class = "hc-marker hc-planned" if planned else "hc-marker"
            folium.GeoJson(
                data,
                name=label,
                marker=folium.Marker(icon=marker_icon(icon_class, colour, glyph)),
                popup=folium.GeoJsonPopup(
                    fields=["name", "kind", "beds", "status", "source", "precision"],
                    aliases=[
                        "名称 Name",
                        "类型 Kind",
                        "床位 Beds",
                        "状态 Status",
                        "来源 Source",
                        "精度 Precision",
                    ],
                    class_name="hc-popup",
                ),
            ).add_to(group)
        group.add_to(m)
    return unlocated
