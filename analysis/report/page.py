"""The coverage report as one self-contained HTML page (the same page from the CLI and the server)."""

from __future__ import annotations

import base64
import html
import json
import logging
from collections.abc import Mapping
from typing import Any

from analysis.display import SHARE_UNITS, STATUS_COLOURS, STATUS_LABELS, format_target, format_value
from analysis.report.charts import coverage_chart_png

logger = logging.getLogger(__name__)


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


_CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",Arial,sans-serif;margin:24px;
color:#1f2328;max-width:1100px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%;font-size:0.9em}th,td{border:1px solid #d0d7de;padding:4px 6px;
text-align:left;vertical-align:top}th{background:#f6f8fa}td.num{text-align:right;white-space:nowrap}
.banner{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px;margin:8px 0;border-radius:4px}
.status{color:#fff;font-weight:bold;padding:2px 6px;border-radius:3px;white-space:nowrap}
.small{font-size:0.85em;color:#57606a}
"""


def _status_badge(status: str | None) -> str:
    key = status if status in STATUS_LABELS else "unknown"
    return f'<span class="status" style="background:{STATUS_COLOURS[key]}">{_esc(STATUS_LABELS[key])}</span>'


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _td(value: Any, *, num: bool = False, raw: bool = False) -> str:
    content = str(value) if raw else _esc(value)
    return f'<td class="num">{content}</td>' if num else f"<td>{content}</td>"


def _pct(value: Any) -> str:
    return "—" if value is None else f"{value:.1%}"


def render_html(document: Mapping[str, Any], *, title: str | None = None) -> str:
    """Render a coverage document as one self-contained HTML page.

    Parameters
    ----------
    document
        A coverage document from :func:`analysis.coverage.run_coverage`.
    title
        Page title; ``None`` → a bilingual default.

    Returns
    -------
    str
        HTML text (UTF-8), with the chart embedded as ``data:image/png;base64``.
    """
    page_title = title or "医疗卫生服务覆盖与规划指标评估 Health-service coverage against the plan"
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{_esc(page_title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_esc(page_title)}</h1>",
    ]
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

    # summary of every standard
    rows = []
    for r in document["standards"]:
        rows.append(
            [
                _td(f"{r['name_zh']} {r['name_en']}"),
                _td(r["id"]),
                _td(format_value(r["value"], r["unit"]), num=True),
                _td(format_target(r), num=True),
                _td(r["unit"]),
                _td(_status_badge(r.get("status")), raw=True),
                _td(r.get("note")),
            ]
        )
    parts.append("<h2>指标汇总 Summary of standards</h2>")
    parts.append(
        _table(
            [
                "标准 Standard",
                "编号 Id",
                "数值 Value",
                "目标 Target",
                "单位 Unit",
                "结果 Result",
                "说明 Note",
            ],
            rows,
        )
    )

    png = base64.b64encode(coverage_chart_png(document)).decode("ascii")
    parts.append("<h2>覆盖曲线 Coverage vs minutes</h2>")
    parts.append(
        f'<img alt="Population share within t minutes" src="data:image/png;base64,{png}" '
        'style="max-width:100%">'
    )
    results = {r["id"]: r for r in document["standards"]}
    circle = results.get("service_circle_15min")
    if circle and circle.get("by_mode"):
        tier_labels = circle.get("tier_labels", {})
        mode_labels = circle.get("mode_labels", {})
        tiers = list(next(iter(circle["by_mode"].values())).keys())
        mode_rows = [
            [_td(mode_labels.get(mode, mode)), *(_td(_pct(shares.get(t)), num=True) for t in tiers)]
            for mode, shares in circle["by_mode"].items()
        ]
        parts.append(
            f"<h2>{_esc(circle['threshold_minutes'])}分钟内人口比例 Share within "
            f"{_esc(circle['threshold_minutes'])} min, by mode and tier</h2>"
        )
        parts.append(_table(["方式 Mode", *(tier_labels.get(t, t) for t in tiers)], mode_rows))

    changes = scenario.get("changes") or []
    parts.append("<h2>规划设施情景 Planned facilities scenario</h2>")
    parts.append(f'<p class="small">{_esc(scenario.get("note"))}</p>')
    planned = scenario.get("planned_facilities") or []
    if planned:
        parts.append(
            "<p>"
            + "; ".join(
                f"{_esc(p.get('name_zh'))} {_esc(p.get('name_en'))} "
                f"(opens {_esc(p.get('opens') or 'unknown')}"
                f"{'' if p.get('placed') else ', location unknown'})"
                for p in planned
            )
            + "</p>"
        )
    if changes:
        change_rows = [
            [
                _td(f"{c['name_zh']} {c['name_en']}"),
                _td(format_value(c["value_current"], c["unit"]), num=True),
                _td(format_value(c["value_with_planned"], c["unit"]), num=True),
                _td(
                    "—"
                    if c["change"] is None
                    else (f"{c['change']:+.1%}" if c["unit"] in SHARE_UNITS else f"{c['change']:+,.2f}"),
                    num=True,
                ),
            ]
            for c in changes
        ]
        parts.append(
            _table(["标准 Standard", "现状 Current", "含规划 With planned", "变化 Change"], change_rows)
        )

    # per town
    town_rows = []
    for t in document["towns"]:
        pop = t.get("population")
        town_rows.append(
            [
                _td(f"{t.get('name_zh')} {t.get('name_en')}"),
                _td(t.get("town_code")),
                _td(f"{pop:,.0f}" if pop is not None else t.get("population_note", "—"), num=pop is not None),
                _td(_pct(t.get("service_circle_share")), num=True),
                _td(_pct(t.get("service_circle_share_township")), num=True),
                _td(_pct(t.get("service_circle_share_hospital")), num=True),
                _td(_pct(t.get("ems_response_share")), num=True),
                _td(
                    "—" if t.get("ems_median_minutes") is None else f"{t['ems_median_minutes']:.1f}",
                    num=True,
                ),
                _td(_pct(t.get("ems_radius_share")), num=True),
                _td(t.get("location")),
            ]
        )
    parts.append("<h2>分镇街 By town</h2>")
    profile = circle.get("mode_labels", {}).get(circle.get("profile"), "") if circle else ""
    parts.append(
        f'<p class="small">15-minute shares by {_esc(profile)}; EMS = ambulance response within target.</p>'
    )
    parts.append(
        _table(
            [
                "镇街 Town",
                "代码 Code",
                "人口 Population",
                "15分钟 任一 Any",
                "15分钟 乡镇及以上 Township+",
                "15分钟 医院 Hospital",
                "急救 ≤14分钟 EMS ≤ 14 min",
                "急救中位数 EMS median (min)",
                "5公里 Within 5 km",
                "位置 Location",
            ],
            town_rows,
        )
    )

    ems = results.get("ems_response_14min")
    if ems and ems.get("worst_served", {}).get("cells"):
        worst = [
            [
                _td(c["cell_id"]),
                _td(c.get("town_code")),
                _td(f"{c['population']:,.0f}", num=True),
                _td(
                    "not reached" if c["response_minutes"] is None else f"{c['response_minutes']:.1f}",
                    num=True,
                ),
            ]
            for c in ems["worst_served"]["cells"]
        ]
        parts.append("<h2>急救最难到达的网格 Worst-served cells (ambulance response)</h2>")
        parts.append(_table(["网格 Cell", "镇街 Town", "人口 Population", "响应 Response (min)"], worst))

    left = document.get("cells_left_out", {})
    parts.append("<h2>未计入 Left out</h2>")
    left_rows = [
        [_td(f"{f.get('id')} {f.get('name_zh') or ''}"), _td(f.get("kind")), _td(f.get("reason"))]
        for f in left.get("facilities", [])
    ]
    left_rows += [
        [
            _td(f"{len(c.get('cell_ids', []))} cells"),
            _td("—" if c.get("population") is None else f"{c['population']:,.0f} people"),
            _td(c.get("reason")),
        ]
        for c in left.get("cells", [])
    ]
    if left_rows:
        parts.append(_table(["对象 What", "类型 Kind", "原因 Why"], left_rows))
    else:
        parts.append("<p>Nothing left out.</p>")

    parts.append("<h2>假设与来源 Assumptions and sources</h2>")
    assumption_rows = [
        [_td(k), _td(json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v)]
        for k, v in document.get("assumptions", {}).items()
    ]
    parts.append(_table(["设置 Setting", "值 Value"], assumption_rows))
    parts.append("<ul class='small'>")
    for r in document["standards"]:
        parts.append(f"<li><b>{_esc(r['id'])}</b>: {_esc(r.get('source'))}</li>")
    parts.append("</ul></body></html>")
    logger.info(
        "HTML report with %d standards and %d towns", len(document["standards"]), len(document["towns"])
    )
    return "\n".join(parts)
