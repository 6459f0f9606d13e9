"""The report's equity sections: Lorenz chart, inequality table, town ranking with shortfalls."""

from __future__ import annotations

import re

from analysis.coverage import CoverageOptions, run_coverage
from analysis.report import render_html
from analysis.report.charts import lorenz_series
from analysis.report.equity import short_text
from tests.test_coverage import LineTravel, make_inputs


def test_short_text() -> None:
    assert short_text(3, 3) == "3"
    assert short_text(None, 7) == "未知 unknown (≤ 7)"
    assert short_text(None, None) == "—"


def test_report_shows_lorenz_ranking_and_changes() -> None:
    run = run_coverage(make_inputs(), LineTravel(), options=CoverageOptions(include_planned=True))
    page = render_html(run.document, cells=run.cells)
    assert 'id="chart-lorenz"' in page
    assert "Town ranking" in page and "Equity of access" in page and "E2SFCA" in page
    # the ranking rows: rank 1 is the town with the lower circle share
    ranking = run.document["town_ranking"]["towns"]
    first = ranking[0]
    assert re.search(rf"<td class=\"num\">1</td><td>{first['name_zh']}", page)
    assert "Change in equity, accessibility and shortfalls" in page
    labels = [s[0] for s in lorenz_series(run.document)]
    # the headline mode only (not every mode), ambulance response and beds
    assert len(labels) == 3
    assert "Bed accessibility" in labels[-1]
