"""Numbers for people: shares as percentages, times in minutes, people as whole numbers."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

#: Units of results that are fractions and are shown as percentages.
SHARE_UNITS = ("share of population", "share of ambulances")
MISSING = "—"
NOT_REACHED = "未到达 not reached"


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if pd.api.types.is_scalar(value) and not isinstance(value, str):
        return bool(pd.isna(value))
    return False


def text(value: Any) -> str:
    """Any value for display: numbers rounded, booleans in words, missing values as an em dash.

    Parameters
    ----------
    value
        A number, string, boolean or missing value.

    Returns
    -------
    str
    """
    if _missing(value):
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "是 yes" if value else "否 no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isinf(v):
            return NOT_REACHED
        if v.is_integer() and abs(v) >= 1:
            return f"{int(v):,}"
        return f"{v:,.3g}" if abs(v) < 1 else f"{v:,.1f}"
    return str(value)


def share_text(value: Any) -> str:
    """A fraction as a percentage with one decimal ("41.9%"); missing as an em dash."""
    return MISSING if _missing(value) else f"{float(value):.1%}"


def minutes_text(value: Any) -> str:
    """Minutes with one decimal; not reached (infinite) in words; missing as an em dash."""
    if _missing(value):
        return MISSING
    v = float(value)
    return f"{v:.1f}" if math.isfinite(v) else NOT_REACHED


def people_text(value: Any) -> str:
    """A number of people, rounded to a whole person ("57,475")."""
    if _missing(value):
        return MISSING
    v = float(value)
    return f"{round(v):,}" if math.isfinite(v) else MISSING


def format_value(value: Any, unit: str | None) -> str:
    """A result value of a standard: shares as percentages, ``None`` as "unknown".

    Parameters
    ----------
    value
        The result's value.
    unit
        The result's unit (``SHARE_UNITS`` are shown as percentages).

    Returns
    -------
    str
    """
    if value is None:
        return "未知 unknown"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        if unit in SHARE_UNITS:
            return f"{value:.1%}"
        if isinstance(value, float) and not value.is_integer():
            return f"{value:,.2f}"
        return f"{value:,.0f}"
    return str(value)


def format_target(result: Mapping[str, Any]) -> str:
    """The evaluated target of a standard's result with its comparison, e.g. "≥ 95.0%"."""
    target = result.get("target")
    if target is None:
        return "— (no target)"
    sign = {">=": "≥ ", "<=": "≤ "}.get(str(result.get("comparison")), "")
    return sign + format_value(target, result.get("unit"))


def row_value(row: Mapping[str, Any], key: str) -> Any:
    """``row[key]``, with missing keys and missing values (None, NaN, NA) as ``None``."""
    value = row.get(key)
    return None if _missing(value) else value


def bilingual_name(row: Mapping[str, Any]) -> str:
    """ "Chinese English" name of a row with ``name_zh`` / ``name_en`` (either may be missing)."""
    return f"{row_value(row, 'name_zh') or ''} {row_value(row, 'name_en') or ''}".strip()


_MODELLED_PREFIX = re.compile(r"^\s*modell?ed\s*(\((?P<how>[^)]*)\))?\s*:\s*", re.IGNORECASE)


def modelled_phrase(source: str) -> str:
    """ "population is modelled…: how" for a population source such as "modelled (tiered): census total …".

    The word "modelled" is said once: "modelled: x" → "population is modelled: x",
    "modelled (tiered): x" → "population is modelled (tiered): x".
    """
    text_ = str(source)
    match = _MODELLED_PREFIX.match(text_)
    if match is None:
        return f"population is modelled: {text_.strip()}"
    how = f" ({match.group('how').strip()})" if match.group("how") else ""
    return f"population is modelled{how}: {text_[match.end() :].strip()}"
