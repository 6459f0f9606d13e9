"""The coverage report for people: one HTML page and CSV tables, with charts; shared by CLI and server.

``render_html`` writes one self-contained HTML file a planner can email: banners when travel is
estimated or population modelled, a summary table of every standard (pass / fail / unknown in
colour), charts (coverage vs minutes per mode and tier, towns against the target, ambulance
response times; embedded as base64 PNG), the planned-facility scenario, a per-town table, what
was left out, and the assumptions and sources. ``standards_frame`` and ``towns_frame`` flatten the
same document for CSV.
"""

from analysis.display import STATUS_COLOURS, STATUS_LABELS, format_target, format_value
from analysis.report.charts import (
    CJK_FONTS,
    coverage_chart_png,
    ems_chart_png,
    share_within,
    siting_chart_png,
    town_shortfalls,
    towns_chart_png,
)
from analysis.report.frames import standards_frame, towns_frame
from analysis.report.page import render_html, status_badge, value_text

__all__ = [
    "CJK_FONTS",
    "STATUS_COLOURS",
    "STATUS_LABELS",
    "coverage_chart_png",
    "ems_chart_png",
    "format_target",
    "format_value",
    "render_html",
    "share_within",
    "siting_chart_png",
    "standards_frame",
    "status_badge",
    "town_shortfalls",
    "towns_chart_png",
    "towns_frame",
    "value_text",
]
