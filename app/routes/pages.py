"""HTML pages: the bilingual landing page ``/`` and the readable report ``/report``."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from analysis import maps
from analysis.coverage import CoverageOptions
from analysis.report import render_html
from app.compute import Work, register_work
from app.deps import AppState, StateDep
from app.payload import Payload
from app.routes.coverage import OptionsDep, get_run
from app.routes.maps import html_document, html_payload
from app.schemas import ERROR_RESPONSES, HTML_ERROR_RESPONSES

router = APIRouter(tags=["pages"], responses=ERROR_RESPONSES)

_STYLE = """
<style>
body { font: 15px/1.5 "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; max-width: 60rem; margin: 2rem auto;
  padding: 0 1rem; color: #222; }
h1 small, li small { color: #666; font-weight: normal; }
.caveat { background: #fff3cd; border: 1px solid #d4a017; padding: .5rem .8rem; border-radius: 4px; }
table { border-collapse: collapse; font-size: 13px; }
td, th { border-bottom: 1px solid #ddd; padding: 2px 6px; }
</style>
"""


def _caveats_html(lines: list[str]) -> str:
    return "".join(f'<p class="caveat">⚠ {html.escape(line)}</p>' for line in lines)


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>{_STYLE}</head><body>{body}</body></html>"
    )


def _county_words(state: AppState) -> tuple[str, str, str, str, str]:
    """Name (zh, en), plan (zh, en) and working CRS of the served county, from its manifest."""
    county = state.county
    if county is None:
        return "县域", "County", "规划", "the plan", state.travel.crs
    plan = county.plan
    plan_zh = plan.title_zh if plan is not None else "国家及省级标准（county.toml 未指定规划）"
    plan_en = (
        (plan.title_en or plan.title_zh)
        if plan is not None
        else "national targets (county.toml names no plan)"
    )
    name_zh = county.name_zh or county.name_en
    name_en = county.name_en or county.name_zh
    return name_zh, name_en, plan_zh, plan_en, f"{county.crs} ({county.crs_source})"


@router.get("/", response_class=HTMLResponse, summary="Landing page", responses=HTML_ERROR_RESPONSES)
def landing(state: StateDep) -> HTMLResponse:
    """Links to the maps, the report, the JSON API and its documentation (Chinese first, English beside)."""
    facilities = state.inputs.facilities
    located = int((facilities.geometry.notna() & ~facilities.geometry.is_empty).sum())
    caveats = _caveats_html(
        maps.caveats(
            {
                "network_source": state.travel.network_source,
                "population_source": state.inputs.population.source,
            },
            population_modelled=state.inputs.population.modelled,
        )
    )
    name_zh, name_en, plan_zh, plan_en, crs = _county_words(state)
    body = f"""
<h1>{html.escape(name_zh)} 15分钟医疗卫生服务圈
<small>{html.escape(name_en)} health-service coverage</small></h1>
<p>对照{html.escape(plan_zh)}检查医疗卫生服务圈和急救圈的覆盖情况。
<br><small>Coverage of health facilities and emergency response checked against {html.escape(plan_en)}.
</small></p>
{caveats}
<h2>地图 Maps</h2>
<ul>
<li><a href="/maps/coverage">15分钟医疗卫生服务圈地图</a>
<small>15-minute medical service circle map</small></li>
<li><a href="/maps/coverage?include_planned=true">规划设施情景（含和敏院区等）</a>
<small>What-if: planned facilities counted as open</small></li>
<li><a href="/maps/ems">14分钟急救圈地图</a> <small>14-minute emergency response map</small></li>
<li><a href="/maps/accessibility">床位可及性地图（E2SFCA）</a>
<small>Beds reachable per 1,000 people (E2SFCA)</small></li>
<li><a href="/maps/siting?kind=ems">120急救站选址建议</a> <small>Siting: new 120 EMS stations</small></li>
<li><a href="/maps/siting?kind=facility">医疗机构选址建议</a>
<small>Siting: new health facilities</small></li>
<li><a href="/maps/siting?kind=aed">AED选址建议</a> <small>Siting: public AEDs</small></li>
</ul>
<h2>报告与数据 Report and data</h2>
<ul>
<li><a href="/report">覆盖报告（含图表）</a> <small>Coverage report with charts</small></li>
<li><a href="/api/coverage">覆盖数据 (JSON)</a> <small>Coverage document, JSON</small></li>
<li><a href="/docs">接口文档</a> <small>API documentation (OpenAPI)</small></li>
</ul>
<p>数据 Data: {len(facilities)} 个机构 facilities ({located} 已定位 located);
{len(state.inputs.population.cells):,} 个人口网格 population cells.
<br>路网 Network: {html.escape(state.travel.network_source)}
<br>坐标系 Working CRS: {html.escape(crs)}</p>
<p><small>地图参数与 /api/coverage 相同，例如 Maps take the same parameters as /api/coverage, e.g.
<a href="/maps/coverage?mode=walk&amp;minutes=15">/maps/coverage?mode=walk&amp;minutes=15</a>,
<a href="/maps/coverage?include_planned=true">?include_planned=true</a>.</small></p>
"""
    return _page(f"{name_zh} 15分钟医疗卫生服务圈 {name_en} health-service coverage", body)


#: Navigation shown at the top of the server's report.
REPORT_LINKS = (
    ("/", "首页 Home"),
    ("/maps/coverage", "服务圈地图 Circle map"),
    ("/maps/ems", "急救地图 EMS map"),
    ("/maps/accessibility", "床位可及性地图 Bed accessibility map"),
    ("/api/coverage", "JSON"),
    ("/docs", "接口文档 API docs"),
)


@router.get(
    "/report", response_class=HTMLResponse, summary="Coverage report (HTML)", responses=HTML_ERROR_RESPONSES
)
async def report(request: Request, state: StateDep, options: OptionsDep) -> Response:
    """The same page as `healthcircle report --format html`: every standard with a pass / fail / unknown
    badge and its note, charts (coverage vs minutes, towns against the target, ambulance response times),
    the planned-facility scenario, towns, what was left out and the assumptions. Same parameters as
    /api/coverage."""

    return await html_payload(request, state, ("report_payload", options), Work("report_payload", (options,)))


@register_work("report_payload")
def report_payload(state: AppState, options: CoverageOptions) -> Payload:
    """The report page of *options*, ready to send."""
    run = get_run(state, options)
    facilities = state.inputs.facilities
    if not options.include_planned and "status" in facilities:
        facilities = facilities[facilities["status"] != "planned"]
    return html_document(
        render_html(run.document, cells=run.cells, facilities=facilities, links=REPORT_LINKS)
    )
