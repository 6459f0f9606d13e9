"""Small HTML pieces of the report page: escaping, table cells, tables and embedded charts."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from typing import Any


def esc(value: Any) -> str:
    """*value* as escaped HTML text (``None`` → empty)."""
    return html.escape("" if value is None else str(value))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An HTML table with escaped *headers* and rows of ready cells (see :func:`td`)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def td(value: Any, *, num: bool = False, raw: bool = False) -> str:
    """One table cell; *num* right-aligns it, *raw* keeps *value* as HTML.

    In text, everything after the first line break is shown smaller, as a detail of the first line.
    """
    content = str(value) if raw else esc(value)
    if not raw and "\n" in content:
        first, rest = content.split("\n", 1)
        content = f'{first}<br><small class="small">{rest}</small>'
    return f'<td class="num">{content}</td>' if num else f"<td>{content}</td>"


def chart(png: bytes, alt: str, chart_id: str) -> str:
    """An ``<img>`` embedding the PNG chart as base64, with ``id="chart-<chart_id>"``."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="chart" id="chart-{chart_id}" alt="{esc(alt)}" src="data:image/png;base64,{data}">'
