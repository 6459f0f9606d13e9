"""Report sections beyond the shares: inequality (Lorenz, Gini, Palma), bed accessibility, the town
ranking with what each town still needs, the worst-served tenth, and their change with planned sites."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.display import minutes_text, people_text, share_text
from analysis.report.charts import lorenz_chart_png, lorenz_series
from analysis.report.html_parts import chart, esc, table, td

#: Units shown with each shortfall kind.
SHORTFALL_LABELS: dict[str, str] = {
    "ambulances": "缺救护车 Ambulances short",
    "aeds": "缺AED AEDs short",
    "beds": "缺床位 Beds short",
}
#: How the ranking is ordered and how shortfalls are counted, for people (the document says it for programs).
RANKING_NOTE = (
    "按服务圈覆盖率、再按急救覆盖率排序，低者在前。Ranked by the service-circle share, then the EMS share, "
    "lowest first."
)
SHORTFALL_NOTE = (
    "需要量：每3万人1辆救护车、每万人1台AED、每千人4.2张床位（向上取整）；镇街拥有量为位于该镇街的机构之和。"
    "若有机构数量未知且已知数量不足，缺口记为未知，并给出上限。Needed: 1 ambulance per 30,000 people, "
    "1 AED per 10,000, 4.2 beds per 1,000 (rounded up); a town has what its own sites have. Where some "
    "site's count is unknown and the known ones fall short, the shortfall is unknown, with its upper bound."
)
#: Towns named in a worst-served line.
WORST_TOWNS_NAMED = 5


def _number(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"{float(value):.{digits}f}"


def short_text(short: Any, at_most: Any) -> str:
    """A shortfall count for people: the number, or "unknown (at most N)" when some count is unknown."""
    if short is not None:
        return f"{int(short):,}"
    if at_most is None:
        return "—"
    return f"未知 unknown (≤ {int(at_most):,})"


def _inequality_rows(document: Mapping[str, Any]) -> list[list[str]]:
    equity = document.get("equity") or {}
    circle: Mapping[str, Any] = next(
        (r for r in document.get("standards", []) if r["id"] == "service_circle_15min"), {}
    )
    mode_labels = circle.get("mode_labels", {})
    tier_labels = circle.get("tier_labels", {})
    rows = []

    def row(label: str, block: Mapping[str, Any], unit: str) -> list[str]:
        county = block.get("county") or {}
        towns = block.get("across_towns") or {}
        return [
            td(label),
            td(_number(county.get("gini")), num=True),
            td(_number(county.get("palma"), 2), num=True),
            td(_number(county.get("cv"), 2), num=True),
            td(f"{_number(county.get('mean'), 2)} {unit}", num=True),
            td(_number(towns.get("gini")), num=True),
            td(people_text(county.get("population_left_out")), num=True),
        ]

    for mode, tiers in (equity.get("by_mode") or {}).items():
        for tier, block in tiers.items():
            label = f"{mode_labels.get(mode, mode)} → {tier_labels.get(tier, tier)}"
            rows.append(row(label, block, "分钟 min"))
    if equity.get("ems_response"):
        rows.append(row("急救响应 Ambulance response", equity["ems_response"], "分钟 min"))
    for capacity, block in (document.get("accessibility") or {}).items():
        rows.append(
            row(f"E2SFCA {capacity}", block.get("inequality") or {}, f"/ {block.get('per_people', 1000):,}")
        )
    return rows


def _inequality_section(document: Mapping[str, Any]) -> list[str]:
    if not document.get("equity"):
        return []
    parts = ["<h2>公平性 Equity of access</h2>"]
    if lorenz_series(document):
        parts.append(
            chart(lorenz_chart_png(document), "Lorenz curves of travel minutes and access", "lorenz")
        )
    parts.append(f'<p class="small">{esc((document.get("equity") or {}).get("note"))}</p>')
    if document.get("travel_estimated"):
        parts.append(
            '<p class="small">直线估算下各出行方式只是速度不同，基尼系数因此相同。Under the straight-line '
            "estimate the modes differ only in speed, so their Gini, Palma and CV are the same.</p>"
        )
    headers = [
        "指标 Measure",
        "基尼 Gini",
        "帕尔玛 Palma",
        "变异系数 CV",
        "人口加权均值 Mean",
        "镇街间基尼 Gini across towns",
        "未到达人口 Not reached",
    ]
    parts.append(table(headers, _inequality_rows(document)))
    return parts


def _accessibility_section(document: Mapping[str, Any]) -> list[str]:
    access = document.get("accessibility") or {}
    if not access:
        return []
    rows = [
        [
            td(capacity),
            td(
                ("≥ " if block.get("lower_bound") else "")
                + f"{_number(block.get('value'), 2)} {block.get('unit')}",
                num=True,
            ),
            td(f"{block.get('facilities_counted')} / {block.get('facilities_unknown')}", num=True),
            td(block.get("note")),
        ]
        for capacity, block in access.items()
    ]
    headers = ["容量 Capacity", "全市 County", "已知/未知机构 Facilities known / unknown", "说明 Note"]
    return [
        "<h2>可及性（E2SFCA）Accessibility of capacity (E2SFCA)</h2>",
        '<p class="small">增强型两步移动搜寻法：每个机构的容量按衰减权重分给其服务范围内的人口，'
        "再按衰减权重汇总到每个网格。Enhanced two-step floating catchment: each facility's capacity is "
        "shared among the people in its catchment, then summed per cell, both with the decay weights.</p>",
        table(headers, rows),
    ]


def _ranking_section(document: Mapping[str, Any]) -> list[str]:
    ranking = (document.get("town_ranking") or {}).get("towns") or []
    if not ranking:
        return []
    rows = []
    for t in ranking:
        name = f"{t.get('name_zh') or ''} {t.get('name_en') or ''}".strip() or str(t.get("town_code"))
        rows.append(
            [
                td(t["rank"], num=True),
                td(name),
                td(people_text(t.get("population")), num=True),
                td(share_text(t.get("service_circle_share")), num=True),
                td(share_text(t.get("ems_response_share")), num=True),
                td(minutes_text(t.get("ems_p90_minutes")), num=True),
                td(people_text(t.get("ems_population_beyond_target")), num=True),
                td(_number(t.get("e2sfca_beds"), 2), num=True),
                *(
                    td(short_text(t.get(f"{kind}_short"), t.get(f"{kind}_short_at_most")), num=True)
                    for kind in SHORTFALL_LABELS
                ),
            ]
        )
    headers = [
        "排名 Rank",
        "镇街 Town",
        "人口 People",
        "服务圈 Circle share",
        "急救 EMS share",
        "急救90%分位 EMS p90 (min)",
        "超时人口 People beyond target",
        "床位可及 Beds / 1,000 (E2SFCA)",
        *SHORTFALL_LABELS.values(),
    ]
    shortfalls = document.get("shortfalls") or {}
    county = shortfalls.get("county") or {}
    county_rows = [
        [
            td(label),
            td(people_text((county.get(kind) or {}).get("needed")), num=True),
            td(people_text((county.get(kind) or {}).get("have_at_least")), num=True),
            td(
                short_text(
                    (county.get(kind) or {}).get("shortfall"),
                    (county.get(kind) or {}).get("shortfall_at_most"),
                ),
                num=True,
            ),
        ]
        for kind, label in SHORTFALL_LABELS.items()
        if county.get(kind)
    ]
    reported = county.get("beds_reported")
    if reported:
        county_rows.append(
            [
                td("床位（按上报总数）Beds (reported county total)"),
                td(people_text(reported.get("needed")), num=True),
                td(people_text(reported.get("have")), num=True),
                td(short_text(reported.get("shortfall"), reported.get("shortfall_at_most")), num=True),
            ]
        )
    return [
        "<h2>镇街排名与缺口 Town ranking and what each town still needs</h2>",
        f'<p class="small">{RANKING_NOTE}</p>',
        f'<p class="small">{SHORTFALL_NOTE}</p>',
        table(headers, rows),
        "<h3>全市缺口 County-wide shortfall</h3>",
        table(["类别 Kind", "需要 Needed", "已知拥有 Known to have", "缺口 Short"], county_rows),
    ]


def _worst_line(block: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    towns = ", ".join(
        f"{names.get(str(t['town_code']), str(t['town_code']))} {people_text(t['population'])}"
        for t in (block.get("towns") or [])[:WORST_TOWNS_NAMED]
    )
    return [
        td(people_text(block.get("population")), num=True),
        td(minutes_text(block.get("threshold_minutes")), num=True),
        td(minutes_text(block.get("median_minutes")), num=True),
        td(minutes_text(block.get("max_minutes")), num=True),
        td(towns),
    ]


def _worst_section(document: Mapping[str, Any]) -> list[str]:
    worst = document.get("worst_served") or {}
    if not worst:
        return []
    names = {str(t.get("town_code")): str(t.get("name_zh") or t.get("town_code")) for t in document["towns"]}
    rows = []
    if worst.get("service_circle"):
        block = worst["service_circle"]
        rows.append([td(f"到任一机构 To any facility ({block.get('profile')})"), *_worst_line(block, names)])
    if worst.get("ems_response"):
        rows.append([td("急救响应 Ambulance response"), *_worst_line(worst["ems_response"], names)])
    share = next(iter(worst.values())).get("share", 0.1)
    headers = [
        "出行 Trip",
        "人口 People",
        "自（分钟）From (min)",
        "中位（分钟）Median (min)",
        "最长（分钟）Max (min)",
        "主要镇街 Main towns (people)",
    ]
    return [f"<h2>最难到达的{share:.0%}人口 The worst-served {share:.0%}</h2>", table(headers, rows)]


def equity_sections(document: Mapping[str, Any]) -> list[str]:
    """The report's sections on equity, accessibility, town ranking with shortfalls and the worst-served.

    Parameters
    ----------
    document
        A coverage document.

    Returns
    -------
    list of str
        HTML fragments (empty when the document lacks these blocks).
    """
    return [
        *_inequality_section(document),
        *_accessibility_section(document),
        *_ranking_section(document),
        *_worst_section(document),
    ]


def measure_changes_table(scenario: Mapping[str, Any]) -> list[str]:
    """Table of the equity, accessibility and shortfall measures without and with the planned facilities.

    Parameters
    ----------
    scenario
        The document's ``scenario`` block.

    Returns
    -------
    list of str
        HTML fragments (empty when nothing is planned).
    """
    changes = scenario.get("measure_changes") or []
    if not changes:
        return []
    rows = [
        [
            td(c["label"]),
            td(_number(c["value_current"]), num=True),
            td(_number(c["value_with_planned"]), num=True),
            td("—" if c["change"] is None else f"{c['change']:+.3f}", num=True),
        ]
        for c in changes
    ]
    return [
        "<h3>公平性与可及性的变化 Change in equity, accessibility and shortfalls</h3>",
        table(["指标 Measure", "现状 Current", "含规划 With planned", "变化 Change"], rows),
    ]
