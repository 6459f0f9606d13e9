"""The common shape of one standard's result, and the text helpers its notes use."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis import settings
from analysis.coverage.kinds import UNKNOWN
from analysis.standards import Standard


def _assumptions(std: Standard, **values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(settings, name) for name in std.settings}
    out.update(values)
    return out


def _result(
    std: Standard,
    *,
    value: Any,
    unit: str,
    target: Any,
    comparison: str,
    passed: bool | None,
    population_considered: float | None,
    assumptions: Mapping[str, Any],
    note: str,
    towns: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    status = UNKNOWN if passed is None else ("pass" if passed else "fail")
    out: dict[str, Any] = {
        "id": std.id,
        "name_zh": std.name_zh,
        "name_en": std.name_en,
        "target": target,
        "comparison": comparison,
        "value": value,
        "unit": unit,
        "passed": passed,
        "status": status,
        "population_considered": population_considered,
        "assumptions": dict(assumptions),
        "note": note,
        "source": std.source,
        "towns": towns if towns is not None else [],
    }
    out.update(extra)
    return out


def _share_result(
    std: Standard,
    *,
    value: float | None,
    need: float | None,
    total: float,
    assumptions: Mapping[str, Any],
    note: str,
    towns: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Result of a standard measured as a share of the population: met when it reaches *need*.

    ``need=None`` reports the share without a target.
    """
    return _result(
        std,
        value=value,
        unit="share of population",
        target=need,
        comparison=">=" if need is not None else "report",
        passed=_compare(value, need, ">=") if need is not None else None,
        population_considered=total,
        assumptions=assumptions,
        note=note,
        towns=towns,
        **extra,
    )


def _compare(value: float | None, target: float, comparison: str) -> bool | None:
    if value is None or not math.isfinite(value):
        return None
    return bool(value >= target) if comparison == ">=" else bool(value <= target)


def _int_or_none(value: Any) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return int(value)


def _fact_value(facts: Mapping[str, Any] | None, key: str) -> tuple[Any, dict[str, Any] | None]:
    if not facts or key not in facts:
        return None, None
    fact = facts[key]
    if isinstance(fact, Mapping):
        return fact.get("value"), dict(fact)
    return fact, {"id": key, "value": fact}


def _names(frame: pd.DataFrame) -> list[str]:
    if len(frame) == 0:
        return []
    zh = frame["name_zh"] if "name_zh" in frame else frame["id"]
    return [f"{i} ({n})" for i, n in zip(frame["id"], zh, strict=True)]


#: How many names a note quotes before "and N more" (the full list is in the result).
_NOTE_NAMES = 5


def _some_names(frame: pd.DataFrame, field: str) -> str:
    names = _names(frame)
    if len(names) <= _NOTE_NAMES:
        return ", ".join(names)
    return f"{', '.join(names[:_NOTE_NAMES])} and {len(names) - _NOTE_NAMES} more, listed in {field}"


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _pct(value: float | None) -> str:
    return UNKNOWN if value is None else f"{value:.1%}"


def _num(value: float | None) -> str:
    return UNKNOWN if value is None else f"{value:.2f}"


def _curve_minutes() -> list[int]:
    """The whole minutes 0..``settings.CURVE_MAX_MINUTES`` of the coverage curves."""
    return list(range(int(settings.CURVE_MAX_MINUTES) + 1))


def _minutes_text(value: float) -> str:
    if math.isnan(value):
        return UNKNOWN
    return "not reached" if math.isinf(value) else f"{value:.1f} min"
