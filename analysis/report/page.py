"""The coverage report as one self-contained HTML page: the same page from the CLI and from ``/report``."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from analysis.display import (
    SHARE_UNITS,
    STATUS_COLOURS,
    STATUS_LABELS,
    UNIT_LABELS,
    format_target,
    format_value,
    minutes_text,
    people_text,
    share_text,
    standard_name,
)
from analysis.report.charts import coverage_chart_png, ems_chart_png, town_shortfalls, towns_chart_png
from analysis.report.equity import equity_sections, measure_changes_table
from analysis.report.html_parts import chart as _chart
from analysis.report.html_parts import esc as _esc
from analysis.report.html_parts import table as _table
from analysis.report.html_parts import td as _td

logger = logging.getLogger(__name__)

#: Facility kinds whose beds count towards beds per 1,000 people.
BED_KINDS = ("hospital", "township_centre", "community_centre")

_CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",Arial,sans-serif;margin:24px auto;
padding:0 16px;color:#1f2328;max-width:1100px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%;font-size:0.9em}th,td{border:1px solid #d0d7de;padding:4px 6px;
text-align:left;vertical-align:top}th{background:#f6f8fa}td.num{text-align:right;white-space:nowrap}
table.summary{table-layout:fixed}table.summary td{overflow-wrap:anywhere}
table.summary td.num{white-space:normal}.wide{overflow-x:auto}
.banner{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px;margin:8px 0;border-radius:4px}
.status{color:#fff;font-weight:bold;padding:2px 6px;border-radius:3px;white-space:nowrap}
.small{font-size:0.85em;color:#57606a}nav a{margin-right:1em}
img.chart{max-width:100%;display:block;margin:8px 0}
"""


def status_badge(status: str | None) -> str:
    """Coloured pass / fail / unknown badge (HTML)."""
    key = status if status in STATUS_LABELS else "unknown"
    return (
        f'<span class="status" data-status="{key}" style="background:{STATUS_COLOURS[key]}">'
        f"{_esc(STATUS_LABELS[key])}</span>"
    )


def beds_reporting(result: Mapping[str, Any], facilities: pd.DataFrame | None) -> tuple[int, int] | None:
    """How many facilities report beds, of how many counted: ``(reporting, counted)``, or ``None``.

    Parameters
    ----------
    result
        The ``beds_per_1000`` result (``beds_unknown_at`` lists the facilities without a bed count).
    facilities
        The facilities of the run (planned ones are counted only when the run includes them); ``None``
        when not at hand.

    Returns
    -------
    tuple of int or None
    """
    if facilities is None or "beds" not in facilities or "kind" not in facilities:
        return None
    unknown = len(result.get("beds_unknown_at") or [])
    rows = facilities[facilities["kind"].isin(BED_KINDS)]
    reporting = int(pd.to_numeric(rows["beds"], errors="coerce").notna().sum())
    return reporting, reporting + unknown


def value_text(result: Mapping[str, Any], *, facilities: pd.DataFrame | None = None) -> str:
    """The result's value for people, with its unit; beds per 1,000 said to be a lower bound."""
    value = format_value(result.get("value"), result.get("unit"))
    known = result.get("known_at_least") or {}
    if result.get("value") is None and known.get("negative_pressure_ambulances") is not None:
        count = known["negative_pressure_ambulances"]
        return f"≥ {count} 辆已知 known; 比例未知 share unknown"
    if result.get("value") is None:
        return value
    if result.get("id") == "beds_per_1000" and result.get("beds_unknown_at"):
        counts = beds_reporting(result, facilities)
        known = f"{people_text(result.get('beds_known'))} 张床位已知 beds known"
        if counts is not None:
            known += f"; {counts[0]}/{counts[1]} 家机构报告床位 facilities report beds"
        else:
            known += f"; {len(result['beds_unknown_at'])} 家机构床位未知 facilities without a count"
        return f"≥ {value} 张/千人 per 1,000\n下限 lower bound: {known}"
    unit = str(result.get("unit") or "")
    if unit in SHARE_UNITS:
        return value
    return f"{value} {UNIT_LABELS.get(unit, unit)}".strip()


def _scenario_title(document: Mapping[str, Any]) -> str:
    results = {r["id"]: r for r in document.get("standards", [])}
    circle = results.get("service_circle_15min", {})
    minutes = circle.get("threshold_minutes", document.get("scenario", {}).get("minutes"))
    prefix = f"{float(minutes):g}分钟" if minutes is not None else ""
    english = f"{float(minutes):g}-minute " if minutes is not None else ""
    county = document.get("county") or {}
    name_zh, name_en = county.get("name_zh") or "", county.get("name_en") or ""
    return (
        f"{name_zh + ' ' if name_zh else ''}{prefix}医疗卫生服务圈与规划指标评估 "
        f"{name_en + ' ' if name_en else ''}{english}health-service coverage against the plan"
    )


def render_html(
    document: Mapping[str, Any],
    *,
    cells: pd.DataFrame | None = None,
    facilities: pd.DataFrame | None = None,
    title: str | None = None,
    links: Sequence[tuple[str, str]] = (),
) -> str:
    """Render a coverage document as one self-contained HTML page.

    Parameters
    ----------
    document
        A coverage document from :func:`analysis.coverage.run_coverage`.
    cells
        The run's cells (``CoverageRun.cells``); when given, the coverage chart also shows the tiers.
    facilities
        The run's facilities; when given, the beds line says how many facilities report beds.
    title
        Page title; ``None`` → a bilingual default naming the threshold used.
    links
        ``(href, label)`` pairs shown as navigation at the top (the server links its maps).

    Returns
    -------
    str
        HTML text (UTF-8), with the charts embedded as ``data:image/png;base64``.
    """
    page_title = title or _scenario_title(document)
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(page_title)}</title><style>{_CSS}</style></head><body>",
    ]
    if links:
        parts.append("<nav>" + "".join(f'<a href="{_esc(h)}">{_esc(t)}</a>' for h, t in links) + "</nav>")
    parts.append(f"<h1>{_esc(page_title)}</h1>")
    for banner in document.get("banners", []):
        parts.append(f'<div class="banner">⚠ {_esc(banner)}</div>')
    scenario = document.get("scenario", {})
    parts.append(
        '<p class="small">'
        f"道路网络 Network: {_esc(document.get('network_source'))}<br>"
        f"人口 Population: {_esc(document.get('population_source'))}<br>"
        f"情景 Scenario: {_esc(scenario.get('headline'))}<br>"
        f"{_esc(document.get('population_note'))}</p>"
    )
    parts += _summary(document, facilities)
    parts += _charts_and_modes(document, cells)
    parts += _scenario(scenario)
    parts += _towns(document)
    parts += equity_sections(document)
    parts += _worst(document)
    parts += _left_out(document)
    parts += _assumptions(document)
    parts.append("</body></html>")
    logger.info(
        "HTML report with %d standards and %d towns", len(document["standards"]), len(document["towns"])
    )
    return "\n".join(parts)


def _summary(document: Mapping[str, Any], facilities: pd.DataFrame | None) -> list[str]:
    rows = []
    for r in document["standards"]:
        zh, en = standard_name(r)
        value = _esc(value_text(r, facilities=facilities))
        spread = (r.get("population_range") or {}).get("text")
        if spread:
            value += f'<br><span class="small" data-range="population">人口模型 {_esc(spread)}</span>'
        rows.append(
            [
                _td(f"{zh} {en}"),
                _td(value, num=True, raw=True),
                _td(format_target(r), num=True),
                _td(status_badge(r.get("status")), raw=True),
                _td(r.get("note")),
            ]
        )
    headers = ["标准 Standard", "数值 Value", "目标 Target", "结果 Result", "说明 Note"]
    widths = '<colgroup><col style="width:19%"><col style="width:16%"><col style="width:9%">' + (
        '<col style="width:12%"><col></colgroup>'
    )
    table = _table(headers, rows).replace("<table>", f'<table class="summary">{widths}', 1)
    return ["<h2>指标汇总 Summary of standards</h2>", table]


def _charts_and_modes(document: Mapping[str, Any], cells: pd.DataFrame | None) -> list[str]:
    results = {r["id"]: r for r in document["standards"]}
    circle = results.get("service_circle_15min")
    parts = [
        "<h2>覆盖曲线 Coverage vs minutes</h2>",
        _chart(coverage_chart_png(document, cells=cells), "Population share within t minutes", "coverage"),
    ]
    if circle and circle.get("by_mode"):
        minutes = float(circle["threshold_minutes"])
        tier_labels = circle.get("tier_labels", {})
        mode_labels = circle.get("mode_labels", {})
        tiers = list(next(iter(circle["by_mode"].values())).keys())
        mode_rows = [
            [_td(mode_labels.get(mode, mode)), *(_td(share_text(shares.get(t)), num=True) for t in tiers)]
            for mode, shares in circle["by_mode"].items()
        ]
        parts.append(f"<h2>{minutes:g}分钟内人口比例 Share within {minutes:g} min, by mode and tier</h2>")
        parts.append(_table(["方式 Mode", *(tier_labels.get(t, t) for t in tiers)], mode_rows))
    if town_shortfalls(document):
        parts.append("<h2>各镇街覆盖与目标 Towns against the target</h2>")
        parts.append(_chart(towns_chart_png(document), "Share by town vs target", "towns"))
    ems = results.get("ems_response_14min")
    if ems and (ems.get("curve") or {}).get("ambulance"):
        parts.append("<h2>急救响应时间分布 Ambulance response times</h2>")
        parts.append(_chart(ems_chart_png(document), "Ambulance response-time distribution", "ems"))
    return parts


def _scenario(scenario: Mapping[str, Any]) -> list[str]:
    parts = ["<h2>规划设施情景 Planned facilities scenario</h2>"]
    parts.append(f'<p class="small">{_esc(scenario.get("note"))}</p>')
    planned = scenario.get("planned_facilities") or []
    if planned:
        parts.append(
            "<p>"
            + "; ".join(
                f"{_esc(p.get('name_zh'))} {_esc(p.get('name_en'))} "
                f"(开业 opens {_esc(p.get('opens') or '未知 unknown')}"
                f"{'' if p.get('placed') else '; 位置未知 location unknown'})"
                for p in planned
            )
            + "</p>"
        )
    changes = scenario.get("changes") or []
    if changes:
        rows = []
        for c in changes:
            change = c["change"]
            if change is None:
                change_text = "—"
            elif c["unit"] in SHARE_UNITS:
                change_text = f"{change * 100:+.1f} 个百分点 pp"
            else:
                change_text = f"{change:+,.2f}"
            rows.append(
                [
                    _td(f"{c['name_zh']} {c['name_en']}"),
                    _td(format_value(c["value_current"], c["unit"]), num=True),
                    _td(format_value(c["value_with_planned"], c["unit"]), num=True),
                    _td(change_text, num=True),
                ]
            )
        parts.append(_table(["标准 Standard", "现状 Current", "含规划 With planned", "变化 Change"], rows))
    parts += measure_changes_table(scenario)
    return parts


def _towns(document: Mapping[str, Any]) -> list[str]:
    results = {r["id"]: r for r in document["standards"]}
    circle = results.get("service_circle_15min") or {}
    ems = results.get("ems_response_14min") or {}
    minutes = float(circle.get("threshold_minutes") or 15)
    ems_minutes = float(ems.get("target_minutes") or 14)
    shortfall = {r["name"]: r["shortfall_people"] for r in town_shortfalls(document)}
    rows = []
    for t in document["towns"]:
        pop = t.get("population")
        name = f"{t.get('name_zh') or ''} {t.get('name_en') or ''}".strip()
        rows.append(
            [
                _td(name),
                _td(people_text(pop) if pop is not None else t.get("population_note", "—"), num=True),
                _td(share_text(t.get("service_circle_share")), num=True),
                _td(people_text(shortfall.get(name)), num=True),
                _td(share_text(t.get("service_circle_share_township")), num=True),
                _td(share_text(t.get("service_circle_share_hospital")), num=True),
                _td(share_text(t.get("ems_response_share")), num=True),
                _td(minutes_text(t.get("ems_median_minutes")), num=True),
                _td(share_text(t.get("ems_radius_share")), num=True),
                _td(t.get("location")),
            ]
        )
    mode = circle.get("mode_labels", {}).get(circle.get("profile"), "")
    target = circle.get("target")
    target_text = f"{float(target):.0%}" if target is not None else "—"
    headers = [
        "镇街 Town",
        "人口 People",
        f"{minutes:g}分钟 任一 Any",
        f"距目标{target_text}缺口（人）People short of {target_text}",
        f"{minutes:g}分钟 卫生院及以上 Township+",
        f"{minutes:g}分钟 医院 Hospital",
        f"急救 ≤{ems_minutes:g}分钟 EMS ≤ {ems_minutes:g} min",
        "急救中位（分钟）EMS median (min)",
        "5公里内 Within 5 km",
        "位置 Location",
    ]
    return [
        "<h2>分镇街 By town</h2>",
        f'<p class="small">{minutes:g}分钟比例按{_esc(mode)}计 {minutes:g}-minute shares by {_esc(mode)}; '
        f"急救 = 目标时间内救护车到达 EMS = ambulance response within target.</p>",
        _table(headers, rows),
    ]


def _worst(document: Mapping[str, Any]) -> list[str]:
    ems = {r["id"]: r for r in document["standards"]}.get("ems_response_14min")
    if not (ems and ems.get("worst_served", {}).get("cells")):
        return []
    names = {str(t.get("town_code")): str(t.get("name_zh") or t.get("town_code")) for t in document["towns"]}
    rows = [
        [
            _td(c["cell_id"]),
            _td(names.get(str(c.get("town_code")), c.get("town_code"))),
            _td(people_text(c["population"]), num=True),
            _td(
                minutes_text(float("inf") if c["response_minutes"] is None else c["response_minutes"]),
                num=True,
            ),
        ]
        for c in ems["worst_served"]["cells"]
    ]
    return [
        "<h2>急救最难到达的网格 Worst-served cells (ambulance response)</h2>",
        _table(["网格 Cell", "镇街 Town", "人口 People", "响应（分钟）Response (min)"], rows),
    ]


def _left_out(document: Mapping[str, Any]) -> list[str]:
    left = document.get("cells_left_out", {})
    rows = [
        [_td(f"{f.get('id')} {f.get('name_zh') or ''}"), _td(f.get("kind")), _td(f.get("reason"))]
        for f in left.get("facilities", [])
    ]
    rows += [
        [
            _td(f"{len(c.get('cell_ids', []))} 个网格 cells"),
            _td("—" if c.get("population") is None else f"{people_text(c['population'])} 人 people"),
            _td(c.get("reason")),
        ]
        for c in left.get("cells", [])
    ]
    parts = ["<h2>未计入 Left out</h2>"]
    parts.append(
        _table(["对象 What", "类型 Kind", "原因 Why"], rows) if rows else "<p>无 Nothing left out.</p>"
    )
    return parts


def _assumptions(document: Mapping[str, Any]) -> list[str]:
    rows = [
        [_td(k), _td(json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v)]
        for k, v in document.get("assumptions", {}).items()
    ]
    parts = ["<h2>假设与来源 Assumptions and sources</h2>", _table(["设置 Setting", "值 Value"], rows)]
    parts.append("<ul class='small'>")
    for r in document["standards"]:
        parts.append(f"<li><b>{_esc(r['id'])}</b>: {_esc(r.get('source'))}</li>")
    parts.append("</ul>")
    return parts
