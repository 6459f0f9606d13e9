"""Charts of coverage and siting results rendered with matplotlib (PNG), labelled Chinese first.

Every chart has a bilingual title, axis units and a source line; without a CJK font installed the labels
fall back to their English half rather than drawing boxes.
"""

from __future__ import annotations

import io
import logging
import textwrap
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

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


#: Longest source line drawn under a chart, characters (the full text is in the report's sources).
SOURCE_LINE_CHARS = 150
#: Colours of the tiers in the coverage chart.
TIER_STYLES: dict[str, str] = {"township": "--", "hospital": ":"}
PASS_COLOUR, FAIL_COLOUR, TARGET_COLOUR = "#1a7f37", "#cf222e", "#555555"


class _Chart:
    """A matplotlib figure with bilingual labels, a source line and PNG output."""

    def __init__(self, *, width_in: float, height_in: float, dpi: int) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.font = _cjk_font()
        self.fig = Figure(figsize=(width_in, height_in), dpi=dpi)
        FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_subplot(1, 1, 1)

    def label(self, text: str) -> str:
        """*text* ("中文 English"), or its English half when no Chinese font is installed."""
        return text if self.font else text.split(" ", 1)[-1]

    def titled(self, title: str, *, xlabel: str, ylabel: str | None = None, grid_axis: str = "both") -> None:
        """Set the bilingual title and axis labels and draw a light grid along *grid_axis*."""
        self.ax.set_title(self.label(title))
        self.ax.set_xlabel(self.label(xlabel))
        if ylabel is not None:
            self.ax.set_ylabel(self.label(ylabel))
        self.ax.grid(True, axis=grid_axis, alpha=0.3)  # type: ignore[arg-type]

    def png(self, source: str) -> bytes:
        """Finish the chart (fonts, source line, layout) and return it as PNG bytes."""
        line = self.label(f"数据来源 Source: {source}")
        if len(line) > SOURCE_LINE_CHARS:
            line = line[: SOURCE_LINE_CHARS - 1] + "…"
        wrapped = "\n".join(textwrap.wrap(line, width=SOURCE_LINE_CHARS // 2 + 10))
        note = self.fig.text(0.01, 0.01, wrapped, fontsize=6.5, color="#57606a", ha="left", va="bottom")
        legend = self.ax.get_legend()
        if self.font:
            texts = [self.ax.title, self.ax.xaxis.label, self.ax.yaxis.label, note]
            texts += list(self.ax.get_yticklabels()) + list(self.ax.texts)
            texts += list(legend.get_texts()) if legend is not None else []
            for text in texts:
                text.set_fontfamily(self.font)
        self.fig.tight_layout(rect=(0, 0.02 + 0.025 * wrapped.count("\n") + 0.03, 1, 1))
        buf = io.BytesIO()
        with warnings.catch_warnings():
            # a font lacking a glyph must not stop a report; the label then shows a box
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            self.fig.savefig(buf, format="png")
        return buf.getvalue()


def source_line(document: Mapping[str, Any]) -> str:
    """ "network; population" sources of *document*, for the line under a chart."""
    parts = [str(document.get(k)) for k in ("network_source", "population_source") if document.get(k)]
    return "; ".join(parts) or "healthcircle"


def _results(document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(r["id"]): r for r in document.get("standards", [])}


def _percent(values: Sequence[Any]) -> list[float]:
    return [float(v) * 100 if v is not None else float("nan") for v in values]


def share_within(minutes: np.ndarray, population: np.ndarray, steps: Sequence[float]) -> list[float]:
    """Population share with ``minutes <= t`` for each t of *steps* (unreached: NaN or infinite).

    Parameters
    ----------
    minutes
        Minutes per cell.
    population
        People per cell.
    steps
        The t values.

    Returns
    -------
    list of float
        Fractions in [0, 1]; all zero when there are no people.
    """
    minutes = np.asarray(minutes, dtype=float)
    population = np.asarray(population, dtype=float)
    total = float(population.sum())
    if total <= 0:
        return [0.0 for _ in steps]
    finite = np.isfinite(minutes)
    order = np.argsort(minutes[finite], kind="stable")
    sorted_minutes = minutes[finite][order]
    cumulative = np.concatenate([[0.0], np.cumsum(population[finite][order])])
    counts = np.searchsorted(sorted_minutes, np.asarray(steps, dtype=float), side="right")
    return [float(v) for v in cumulative[counts] / total]


def coverage_chart_png(
    document: Mapping[str, Any], *, cells: pd.DataFrame | None = None, dpi: int = 110
) -> bytes:
    """Population share within t minutes (t = 0..30) per mode and tier, plus ambulance response, as PNG.

    Parameters
    ----------
    document
        A coverage document (reads the ``curve`` of the service circle and of EMS response).
    cells
        ``CoverageRun.cells``; when given, the headline mode's township-or-above and hospital tiers are
        drawn too (from ``minutes_township`` / ``minutes_hospital``).
    dpi
        Resolution of the image.

    Returns
    -------
    bytes
        PNG image.
    """
    results = _results(document)
    circle = results.get("service_circle_15min", {})
    ems = results.get("ems_response_14min", {})
    chart = _Chart(width_in=7.8, height_in=5.4, dpi=dpi)
    ax = chart.ax
    curve = circle.get("curve") or {}
    minutes = list(curve.get("minutes", []))
    mode_labels = circle.get("mode_labels", {})
    tier_labels = circle.get("tier_labels", {})
    profile = circle.get("profile")
    for mode, values in curve.items():
        if mode == "minutes" or not values:
            continue
        width = 2.4 if mode == profile else 1.4
        name = mode_labels.get(mode, mode)
        if cells is not None:
            name = f"{name} · {tier_labels.get('any', 'any')}"
        ax.plot(minutes, _percent(values), linewidth=width, label=chart.label(name))
    if cells is not None and minutes and "population" in cells:
        population = pd.to_numeric(cells["population"], errors="coerce").fillna(0).to_numpy(dtype=float)
        for tier, style in TIER_STYLES.items():
            column = f"minutes_{tier}"
            if column not in cells:
                continue
            values = pd.to_numeric(cells[column], errors="coerce").to_numpy(dtype=float)
            shares = share_within(values, population, minutes)
            name = f"{mode_labels.get(profile, profile)} · {tier_labels.get(tier, tier)}"
            ax.plot(minutes, _percent(shares), style, linewidth=1.6, color="#1f4e79", label=chart.label(name))
    ems_curve = ems.get("curve") or {}
    if ems_curve.get("ambulance"):
        ax.plot(
            ems_curve["minutes"],
            _percent(ems_curve["ambulance"]),
            "-.",
            color=FAIL_COLOUR,
            label=chart.label("救护车响应（含调度）Ambulance response incl. dispatch"),
        )
    threshold = circle.get("threshold_minutes")
    if threshold is not None:
        ax.axvline(float(threshold), color="#999999", linewidth=0.8)
    if ems.get("target_minutes") is not None:
        ax.axvline(float(ems["target_minutes"]), color=FAIL_COLOUR, linewidth=0.8, linestyle=":")
    if circle.get("target") is not None:
        ax.axhline(float(circle["target"]) * 100, color=TARGET_COLOUR, linewidth=0.8, linestyle="--")
    ax.set_xlim(0, max(minutes) if minutes else 30)
    ax.set_ylim(0, 100)
    chart.titled(
        "t分钟内可达人口比例 Population reached within t minutes, by mode and tier",
        xlabel="出行时间（分钟）Travel time (minutes)",
        ylabel="人口比例（%）Share of population (%)",
    )
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=7, frameon=False)
    return chart.png(source_line(document))


def town_shortfalls(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per town: the headline service-circle share, the target, and the people short of the target.

    Parameters
    ----------
    document
        A coverage document.

    Returns
    -------
    list of dict
        ``name``, ``share``, ``target``, ``population``, ``shortfall_people`` (0 when the town meets the
        target; ``None`` when its population is unknown), sorted by share, lowest first; towns without a
        share are left out.
    """
    circle = _results(document).get("service_circle_15min", {})
    target = circle.get("target")
    rows = []
    for town in document.get("towns", []):
        share = town.get("service_circle_share")
        if share is None:
            continue
        population = town.get("population")
        shortfall = None
        if population is not None and target is not None:
            shortfall = max(0.0, (float(target) - float(share)) * float(population))
        name = f"{town.get('name_zh') or ''} {town.get('name_en') or ''}".strip() or str(
            town.get("town_code")
        )
        rows.append(
            {
                "name": name,
                "share": float(share),
                "target": None if target is None else float(target),
                "population": population,
                "shortfall_people": shortfall,
            }
        )
    rows.sort(key=lambda r: (r["share"], r["name"]))
    return rows


def towns_chart_png(document: Mapping[str, Any], *, dpi: int = 110) -> bytes:
    """Per-town bars of the service-circle share against the target, lowest first, with the shortfall.

    Parameters
    ----------
    document
        A coverage document.
    dpi
        Resolution of the image.

    Returns
    -------
    bytes
        PNG image.
    """
    rows = town_shortfalls(document)
    circle = _results(document).get("service_circle_15min", {})
    minutes = circle.get("threshold_minutes", 15)
    chart = _Chart(width_in=7.8, height_in=max(3.0, 0.32 * len(rows) + 1.4), dpi=dpi)
    ax = chart.ax
    y = np.arange(len(rows))
    shares = [r["share"] * 100 for r in rows]
    passed = [r["target"] is None or r["share"] >= r["target"] for r in rows]
    ax.barh(y, shares, color=[PASS_COLOUR if p else FAIL_COLOUR for p in passed], height=0.7)
    ax.set_yticks(y, [chart.label(r["name"]) if chart.font else r["name"] for r in rows], fontsize=7)
    target = rows[0]["target"] if rows else None
    if target is not None:
        ax.axvline(target * 100, color=TARGET_COLOUR, linestyle="--", linewidth=1)
        ax.text(
            target * 100, len(rows) - 0.4, chart.label(f"目标 target {target:.0%}"), ha="right", fontsize=7
        )
    for yi, row in zip(y, rows, strict=True):
        short = row["shortfall_people"]
        text = f"{row['share']:.0%}"
        if short:
            text += chart.label(f"  缺口 short {round(short):,} 人 people")
        ax.text(min(row["share"] * 100 + 1, 70), float(yi), text, va="center", fontsize=7)
    ax.set_xlim(0, 100)
    chart.titled(
        f"各镇街{minutes:g}分钟覆盖率与目标 {minutes:g}-minute share by town vs target",
        xlabel=f"{minutes:g}分钟内人口比例（%）Share within {minutes:g} min (%)",
        grid_axis="x",
    )
    return chart.png(source_line(document))


def ems_chart_png(document: Mapping[str, Any], *, dpi: int = 110) -> bytes:
    """People by ambulance response time (1-minute bars) with the target line and the 90th percentile.

    The bars come from the document's response curve (share within t minutes), so the chart needs no
    cells: the people in bar t are ``(curve[t] - curve[t-1]) × population considered``.

    Parameters
    ----------
    document
        A coverage document.
    dpi
        Resolution of the image.

    Returns
    -------
    bytes
        PNG image.
    """
    ems = _results(document).get("ems_response_14min", {})
    curve = ems.get("curve") or {}
    minutes = [float(m) for m in curve.get("minutes", [])]
    shares = [0.0 if v is None else float(v) for v in curve.get("ambulance", [])]
    population = float(ems.get("population_considered") or 0.0)
    chart = _Chart(width_in=7.8, height_in=4.0, dpi=dpi)
    ax = chart.ax
    target = ems.get("target_minutes")
    if minutes and shares:
        people = np.diff(np.concatenate([[0.0], shares])) * population / 1000
        colours = [PASS_COLOUR if target is None or m <= float(target) else FAIL_COLOUR for m in minutes]
        # bar t spans (t-1, t]: the people first reached in that minute
        ax.bar([m - 1 for m in minutes], people, width=0.9, align="edge", color=colours)
        beyond = max(0.0, 1.0 - shares[-1]) * population / 1000
        if beyond > 0:
            ax.bar([minutes[-1]], [beyond], width=0.9, align="edge", color="#67001f")
            ax.text(
                minutes[-1] + 0.45, beyond, chart.label("更久 later"), ha="center", va="bottom", fontsize=7
            )
        ax.set_xlim(0, minutes[-1] + 1.5)
    if target is not None:
        ax.axvline(float(target), color=TARGET_COLOUR, linestyle="--", linewidth=1.2)
        ax.text(
            float(target),
            ax.get_ylim()[1] * 0.95,
            chart.label(f" 目标 target {float(target):g} 分钟 min"),
            fontsize=8,
            va="top",
        )
    p90 = ems.get("p90_minutes")
    if p90 is not None:
        ax.axvline(float(p90), color="#1f4e79", linestyle=":", linewidth=1.4)
        ax.text(
            float(p90),
            ax.get_ylim()[1] * 0.82,
            chart.label(f" 90%分位 p90 {float(p90):.1f} 分钟 min"),
            fontsize=8,
            va="top",
            color="#1f4e79",
        )
    chart.titled(
        "急救响应时间分布 Ambulance response-time distribution",
        xlabel="急救响应时间（调度+车程，分钟）Response time, dispatch + drive (minutes)",
        ylabel="人口（千人）People (thousands)",
        grid_axis="y",
    )
    return chart.png(source_line(document))


def lorenz_series(document: Mapping[str, Any]) -> list[tuple[str, list[list[float]], float | None]]:
    """The Lorenz curves a report draws: (label, points, Gini) of minutes to any facility by the headline
    mode, of ambulance response and of bed accessibility (E2SFCA), where the document has them."""
    equity = document.get("equity") or {}
    circle = _results(document).get("service_circle_15min", {})
    labels = circle.get("mode_labels", {})
    headline = circle.get("profile")
    series = []
    for mode, tiers in (equity.get("by_mode") or {}).items():
        if mode != headline:
            continue
        county = (tiers.get("any") or {}).get("county") or {}
        if county.get("lorenz"):
            label = f"{labels.get(mode, mode)} 到任一机构时间 minutes to any facility"
            series.append((label, county["lorenz"], county.get("gini")))
    ems = ((equity.get("ems_response") or {}).get("county")) or {}
    if ems.get("lorenz"):
        series.append(("急救响应 Ambulance response", ems["lorenz"], ems.get("gini")))
    beds = ((document.get("accessibility") or {}).get("beds") or {}).get("inequality", {}).get("county") or {}
    if beds.get("lorenz"):
        series.append(("床位可及性 Bed accessibility (E2SFCA)", beds["lorenz"], beds.get("gini")))
    return series


def lorenz_chart_png(document: Mapping[str, Any], *, dpi: int = 110) -> bytes:
    """Lorenz curves of travel minutes and bed accessibility, with the line of equality and each Gini.

    Parameters
    ----------
    document
        A coverage document (its ``equity`` and ``accessibility`` blocks).
    dpi
        Resolution of the image.

    Returns
    -------
    bytes
        PNG image.
    """
    chart = _Chart(width_in=6.4, height_in=5.4, dpi=dpi)
    ax = chart.ax
    ax.plot(
        [0, 100],
        [0, 100],
        color=TARGET_COLOUR,
        linestyle="--",
        linewidth=1,
        label=chart.label("完全平等 equality"),
    )
    for label, points, gini_value in lorenz_series(document):
        xs = [p[0] * 100 for p in points]
        ys = [p[1] * 100 for p in points]
        gini_text = "—" if gini_value is None else f"{float(gini_value):.3f}"
        ax.plot(xs, ys, linewidth=1.6, label=chart.label(f"{label}（Gini {gini_text}）"))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    chart.titled(
        "洛伦兹曲线 Lorenz curves",
        xlabel="累计人口比例（%，由少到多排序）Cumulative share of people (%, lowest first)",
        ylabel="累计比例（%）Cumulative share of the total (%)",
    )
    ax.legend(fontsize=7, loc="upper left")
    return chart.png(source_line(document))


def siting_chart_png(document: Mapping[str, Any], *, dpi: int = 100) -> bytes:
    """Cumulative coverage after each added site of a siting run (0 = the existing network).

    Parameters
    ----------
    document
        Output of ``analysis.siting.recommend_sites`` (``sites`` with ``rank`` and ``cumulative_coverage``,
        ``baseline_coverage``).
    dpi
        Resolution of the image.

    Returns
    -------
    bytes
        PNG image.
    """
    sites = sorted(document.get("sites", []), key=lambda s: int(s["rank"]))
    baseline = float(document.get("baseline_coverage") or 0.0)
    counts = [0] + [int(s["rank"]) for s in sites]
    shares = [baseline * 100] + [float(s["cumulative_coverage"]) * 100 for s in sites]
    chart = _Chart(width_in=6.0, height_in=3.4, dpi=dpi)
    ax = chart.ax
    ax.step(counts, shares, where="post", color="#e6550d", linewidth=2)
    ax.plot(counts, shares, "o", color="#e6550d", markersize=3)
    ax.set_xlim(0, max(counts) if len(counts) > 1 else 1)
    ax.set_ylim(max(0.0, min(shares) - 5), min(100.0, max(shares) + 5))
    chart.titled(
        "逐站累计覆盖 Cumulative coverage by added site",
        xlabel="新增站点数（按排名）New sites added (by rank)",
        ylabel="覆盖人口比例（%）Population covered (%)",
    )
    source = "; ".join(
        str(x) for x in (document.get("network_source"), document.get("population_source")) if x
    )
    return chart.png(source or "healthcircle siting")


#: Every chart of the coverage report, in the order the report shows them.
REPORT_CHARTS: tuple[tuple[str, Callable[..., bytes]], ...] = (
    ("coverage", coverage_chart_png),
    ("towns", towns_chart_png),
    ("ems", ems_chart_png),
)
