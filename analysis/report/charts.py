"""Charts of a coverage document rendered with matplotlib (PNG), labelled Chinese first."""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)

#: Fonts tried for Chinese labels in the chart; without one the chart is labelled in English only.
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)

_CJK_SEARCHED: list[bool] = []


def _cjk_font() -> str | None:
    """A font with Chinese glyphs, registering installed CJK font files once if needed."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in CJK_FONTS if name in names), None)
    if found is None and not _CJK_SEARCHED:
        _CJK_SEARCHED.append(True)
        # matplotlib's font cache may predate the system's CJK fonts (.ttc files are often missed)
        for path in font_manager.findSystemFonts():
            if any(key in path for key in ("CJK", "WenQuanYi", "wqy")):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    logger.info("Could not read font file %s", path)
        names = {f.name for f in font_manager.fontManager.ttflist}
        found = next((name for name in CJK_FONTS if name in names), None)
    return found


def coverage_chart_png(document: Mapping[str, Any], *, dpi: int = 110) -> bytes:
    """Population share within t minutes (t = 0..30) per mode, plus ambulance response, as PNG.

    Parameters
    ----------
    document
        A coverage document (reads the ``curve`` of the service circle and of EMS response).
    dpi
        Resolution of the image.

    Returns
    -------
    bytes
        PNG image.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    results = {r["id"]: r for r in document["standards"]}
    circle = results.get("service_circle_15min", {})
    ems = results.get("ems_response_14min", {})
    font = _cjk_font()
    bilingual = font is not None

    def label(text: str) -> str:
        # "中文 English" → English alone when no Chinese font is installed
        return text if bilingual else text.split(" ", 1)[-1]

    fig = Figure(figsize=(7.5, 4.2), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    curve = circle.get("curve") or {}
    minutes = curve.get("minutes", [])
    mode_labels = circle.get("mode_labels", {})
    for mode, values in curve.items():
        if mode == "minutes" or not values:
            continue
        shares = [v * 100 if v is not None else float("nan") for v in values]
        width = 2.4 if mode == circle.get("profile") else 1.4
        ax.plot(minutes, shares, linewidth=width, label=label(mode_labels.get(mode, mode)))
    ems_curve = ems.get("curve") or {}
    if ems_curve.get("ambulance"):
        shares = [v * 100 if v is not None else float("nan") for v in ems_curve["ambulance"]]
        ax.plot(
            ems_curve["minutes"], shares, "--", color="#cf222e", label=label("救护车响应 Ambulance response")
        )
    if circle.get("threshold_minutes") is not None:
        ax.axvline(circle["threshold_minutes"], color="#999999", linewidth=0.8)
    if ems.get("target_minutes") is not None:
        ax.axvline(ems["target_minutes"], color="#cf222e", linewidth=0.8, linestyle=":")
    ax.set_xlim(0, max(minutes) if minutes else 30)
    ax.set_ylim(0, 100)
    ax.set_xlabel(label("分钟 Minutes"))
    ax.set_ylabel(label("人口比例 Share of population (%)"))
    ax.set_title(label("覆盖人口随时间变化 Population reached within t minutes (any facility)"))
    ax.grid(True, alpha=0.3)
    legend = ax.legend(loc="lower right", fontsize=8)
    if font:
        for text in [ax.title, ax.xaxis.label, ax.yaxis.label, *legend.get_texts()]:
            text.set_fontfamily(font)
    fig.tight_layout()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # a font lacking a glyph must not stop a report; the label then shows a box
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buf, format="png")
    return buf.getvalue()
