"""Former home of the HTML report, kept so ``analysis.report_html`` imports work; see ``analysis.report``."""

from analysis.report import (
    CJK_FONTS,
    STATUS_COLOURS,
    STATUS_LABELS,
    coverage_chart_png,
    format_target,
    format_value,
    render_html,
    standards_frame,
    towns_frame,
)

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
