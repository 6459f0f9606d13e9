"""HTML tables inside map panels and popups: standards, towns, facilities with no known location."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from analysis.display import (
    KIND_LABELS,
    STATUS_LABELS,
    TOWN_COLUMN_LABELS,
    UNKNOWN_LOCATION_LABEL,
    format_target,
    format_value,
    minutes_text,
    people_text,
    share_text,
    text,
)


def _esc(value: Any) -> str:
    return html.escape(text(value))


def unlocated_html(unlocated: Sequence[Mapping[str, Any]]) -> str:
    """HTML list of facilities with no known location, headed "位置未知 location unknown"."""
    if not unlocated:
        return ""
    items = "".join(
        f"<li>{_esc(u.get('name_zh'))} {_esc(u.get('name_en'))} "
        f"({html.escape(KIND_LABELS.get(str(u.get('kind')), str(u.get('kind'))))})</li>"
        for u in unlocated
    )
    return (
        f'<details class="hc-unlocated"><summary><b>{UNKNOWN_LOCATION_LABEL}</b> ({len(unlocated)})'
        f"</summary><ul>{items}</ul></details>"
    )


def standards_html(document: Mapping[str, Any], *, ids: Iterable[str] | None = None) -> str:
    """HTML table of the standards' results of *document* (optionally only *ids*)."""
    wanted = set(ids) if ids is not None else None
    rows = []
    for s in document.get("standards", []):
        if wanted is not None and s.get("id") not in wanted:
            continue
        status = s.get("status") or {True: "pass", False: "fail"}.get(s.get("passed"), "unknown")
        rows.append(
            f"<tr><td>{_esc(s.get('name_zh'))}<br><small>{_esc(s.get('name_en'))}</small></td>"
            f"<td>{html.escape(format_value(s.get('value'), s.get('unit')))}</td>"
            f"<td>{html.escape(format_target(s))}</td>"
            f'<td><span class="hc-status hc-{status}">{html.escape(STATUS_LABELS.get(status, status))}</span>'
            "</td></tr>"
        )
    if not rows:
        return ""
    return (
        "<table><tr><th>标准 Standard</th><th>值 Value</th><th>目标 Target</th><th>结果 Result</th></tr>"
        + "".join(rows)
        + "</table>"
    )


#: Town columns shown on maps (the rest are in the report and the JSON).
TOWN_MAP_COLUMNS = (
    "population",
    "service_circle_share",
    "service_circle_share_township",
    "service_circle_share_hospital",
    "ems_response_share",
    "ems_median_minutes",
    "ems_radius_share",
    "aed_walk_share",
    "location",
)


def town_value(column: str, value: Any) -> str:
    """A town-table value in its unit: shares in %, people whole, minutes with "分钟 min"."""
    if column.endswith("_share") or column.endswith("_share_township") or column.endswith("_share_hospital"):
        return share_text(value)
    if column == "population":
        return people_text(value)
    if column.endswith("_minutes"):
        text_ = minutes_text(value)
        return text_ if value is None else f"{text_} 分钟 min"
    return text(value)


def towns_html(towns_rows: Sequence[Mapping[str, Any]]) -> str:
    """HTML table of the per-town rows of a coverage document (inside a collapsible block)."""
    if not towns_rows:
        return ""
    columns = ["name_zh", *[c for c in TOWN_MAP_COLUMNS if any(c in r for r in towns_rows)]]
    head = "".join(f"<th>{html.escape(TOWN_COLUMN_LABELS.get(c, c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(town_value(c, row.get(c)))}</td>" for c in columns) + "</tr>"
        for row in towns_rows
    )
    return (
        f"<details><summary><b>乡镇 Towns</b> ({len(towns_rows)})</summary>"
        f"<table><tr>{head}</tr>{body}</table></details>"
    )


def town_popup(row: Mapping[str, Any]) -> str:
    """HTML table of one town's row: labelled columns, values in their units."""
    parts = [
        f"<tr><th>{html.escape(TOWN_COLUMN_LABELS.get(c, c))}</th>"
        f"<td>{html.escape(town_value(c, row.get(c)))}</td></tr>"
        for c in TOWN_MAP_COLUMNS
        if c in row
    ]
    return f'<table class="hc-popup">{"".join(parts)}</table>'
