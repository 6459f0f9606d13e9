"""The coverage report for people: one HTML page and CSV tables, with charts; shared by CLI and server.

``render_html`` writes one self-contained HTML file a planner can email: banners when travel is
estimated or population modelled, a summary table of every standard (pass / fail / unknown in
colour), the planned-facility scenario, a per-town table, a coverage-vs-minutes chart embedded
as a base64 PNG, what was left out, and the assumptions and sources. ``standards_frame`` and
``towns_frame`` flatten the same document for CSV.
"""

from analysis.display import STATUS_COLOURS, STATUS_LABELS, format_target, format_value
from analysis.report.charts import CJK_FONTS, coverage_chart_png
from analysis.report.frames import standards_frame, towns_frame
from analysis.report.page import render_html

__all__ = [
    "CJK_FONTS",
    "STATUS_COLOURS",
    "STATUS_LABELS",
    "coverage_chart_png",
    "format_target",
    "format_value",
    "render_html",
    "standards_frame",
    "towns_frame",
]
