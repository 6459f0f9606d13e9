"""Facility markers: one coloured glyph per kind, a popup per facility; unlocated ones returned."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from analysis.display import KIND_LABELS, bilingual_name, row_value, text
from analysis.maps.geometry import COORD_DECIMALS, to_wgs84

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


#: What a facility's ``precision`` says about its drawn point; "town_seat" and "town" get a "≈" badge.
PRECISION_LABELS: dict[str, str] = {
    "town_seat": "位置为镇驻地 placed at town seat",
    "town": "镇内近似位置 approximate point in the town",
    "address": "地址定位 geocoded address",
    "exact": "实测位置 surveyed point",
}
APPROXIMATE_PRECISIONS = frozenset({"town_seat", "town"})
#: Kinds whose popups show ambulance counts.
AMBULANCE_KINDS = ("ems_centre", "ems_subcentre", "ems_station")
#: Base z-index offset of facility markers: the first kind of ``KIND_STYLE`` (hospitals) is drawn on top.
Z_INDEX_STEP = 1000


def marker_icon(
    css_class: str, colour: str, label: Any, *, size_px: int = 20, extra: str = ""
) -> folium.DivIcon:
    """Round marker of *colour* showing *label* (a glyph or a rank); *extra*: more attributes of its div."""
    half = size_px // 2
    return folium.DivIcon(
        html=f'<div class="{css_class}" style="background:{colour}"{extra}>{label}</div>',
        icon_size=(size_px, size_px),
        icon_anchor=(half, half),
        class_name="hc-icon",
    )


def _esc(value: Any) -> str:
    return html.escape(text(value))


def _count(value: Any) -> str:
    return "未知 unknown" if row_value({"v": value}, "v") is None else text(value)


def facility_popup(row: dict[str, Any], *, label: str) -> str:
    """HTML popup of a facility: name, kind, tier, beds, ambulances, status, placement, precision, source."""
    planned = row_value(row, "status") == "planned"
    precision = str(row_value(row, "precision") or "unknown")
    status = "规划 planned" if planned else "运行 open"
    if planned and row_value(row, "opens"):
        status += f"（预计 opens {row_value(row, 'opens')}）"
    fields = [
        ("类型 Kind", html.escape(label)),
        ("级别 Tier", _esc(row_value(row, "tier"))),
        ("床位 Beds", html.escape(_count(row.get("beds")))),
    ]
    if row.get("kind") in AMBULANCE_KINDS:
        fields.append(("救护车 Ambulances", html.escape(_count(row.get("ambulances")))))
        fields.append(
            ("负压救护车 Negative-pressure", html.escape(_count(row.get("negative_pressure_ambulances"))))
        )
    fields += [
        ("状态 Status", html.escape(status)),
        ("位置 Placement", html.escape(PRECISION_LABELS.get(precision, precision))),
        ("精度 Precision", html.escape(precision)),
        ("来源 Source", _esc(row_value(row, "source"))),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in fields)
    return f'<b>{_esc(bilingual_name(row))}</b><table class="hc-popup">{body}</table>'


def kind_order(present: Iterable[str], kinds: Iterable[str] | None = None) -> list[str]:
    """Kinds to draw: *kinds* (in that order) or every present kind in ``KIND_STYLE`` order, unknown last."""
    present = [str(k) for k in present]
    if kinds is not None:
        return [k for k in kinds if k in present]
    return [k for k in KIND_STYLE if k in present] + sorted({k for k in present if k not in KIND_STYLE})


def add_facility_layers(
    m: folium.Map,
    facilities: gpd.GeoDataFrame,
    *,
    kinds: Iterable[str] | None = None,
    show: bool = True,
) -> list[dict[str, Any]]:
    """Add one layer per facility kind, with a coloured marker and a popup per located facility.

    Facilities without coordinates are not drawn (they are never placed at an invented point); they are
    returned so the caller can list them as "位置未知 location unknown". Facilities placed at a town
    point carry a "≈" badge and say so in their tooltip and popup. Markers carry ``hcRank`` (hospitals
    first) so that the page script (``analysis.maps.behaviour``) can spread the ones sharing a point.

    Parameters
    ----------
    m
        The map.
    facilities
        Facilities as in ``data/facilities.geojson`` (``kind``, ``name_zh``, ``name_en``, ``tier``,
        ``beds``, ``ambulances``, ``status``, ``source``, ``precision``); rows may have no geometry.
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
    present = pd.unique(facilities["kind"]) if len(facilities) else []
    order = kind_order(present, kinds)
    ranked = kind_order(present)
    unlocated: list[dict[str, Any]] = []
    for kind in order:
        label, colour, glyph = KIND_STYLE.get(kind, (kind, "#555", "?"))
        kind_rank = ranked.index(kind)
        group = folium.FeatureGroup(name=label, show=show)
        rows = facilities[facilities["kind"] == kind]
        missing = rows.geometry.isna() | rows.geometry.is_empty
        for rec in rows[missing].to_dict("records"):
            unlocated.append({k: row_value(rec, k) for k in ("id", "name_zh", "name_en", "kind")})
        located = rows[~missing].sort_values("id") if "id" in rows else rows[~missing]
        for n, (rec, point) in enumerate(zip(located.to_dict("records"), located.geometry, strict=True)):
            precision = str(row_value(rec, "precision") or "")
            classes = "hc-marker hc-fac"
            if row_value(rec, "status") == "planned":
                classes += " hc-planned"
            tooltip = f"{bilingual_name(rec)} · {label}"
            if precision in APPROXIMATE_PRECISIONS:
                classes += " hc-approx"
                tooltip += f" · {PRECISION_LABELS[precision]}"
            fid = html.escape(str(row_value(rec, "id") or ""), quote=True)
            folium.Marker(
                location=[round(float(point.y), COORD_DECIMALS), round(float(point.x), COORD_DECIMALS)],
                icon=marker_icon(classes, colour, glyph, extra=f' data-fid="{fid}" data-kind="{kind}"'),
                popup=folium.Popup(facility_popup(rec, label=label), max_width=340),
                tooltip=html.escape(tooltip),
                z_index_offset=(len(ranked) - kind_rank) * Z_INDEX_STEP,
                hc_rank=kind_rank * 10_000 + n,
            ).add_to(group)
        group.add_to(m)
    return unlocated


def facility_legend(kinds: Iterable[str], *, planned: bool = False) -> str:
    """Legend rows of the facility markers of *kinds*, the "≈" badge, the leg to a shared point and, when
    *planned*, the dashed border of planned facilities."""
    rows = []
    for kind in kinds:
        label, colour, glyph = KIND_STYLE.get(kind, (kind, "#555", "?"))
        rows.append(
            f'<div class="hc-legend-row"><span class="hc-marker hc-mini" style="background:{colour}">'
            f"{glyph}</span> {html.escape(label)}</div>"
        )
    if planned:
        rows.append(
            '<div class="hc-legend-row"><span class="hc-marker hc-mini hc-planned" style="background:#888">'
            "</span> 虚线边框：规划机构（按已开业计）dashed border: planned, counted as open</div>"
        )
    rows.append(
        '<div class="hc-legend-row small">≈ 位置为镇驻地或镇内近似点 placed at a town seat or an approximate '
        "point; 同一位置的机构围成一圈并以细线连到该点 facilities sharing a point sit on a ring, a thin line "
        "leading to the point</div>"
    )
    return f'<div class="hc-legend"><b>机构 Facilities</b>{"".join(rows)}</div>'
