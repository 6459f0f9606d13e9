"""Two coverage documents side by side: per standard and per town, the values, the change and the flips.

A *flip* is a standard (or a town's part of it) that passes in one scenario and fails in the other.
County-wide pass/fail is the document's own ``status``; a town passes a share standard when its share
meets the county target, and a count standard when it has what it ``needed``. Unknown stays unknown:
no change and no flip is reported where either side has no value.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
#: Units whose county target also applies to each town.
_PER_TOWN_UNITS = ("share of population",)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _flip(a: bool | None, b: bool | None) -> str | None:
    if a is None or b is None or a == b:
        return None
    return "fail→pass" if b else "pass→fail"


def _passed(status: Any) -> bool | None:
    return {"pass": True, "fail": False}.get(str(status))


def _town_passed(row: Mapping[str, Any], standard: Mapping[str, Any]) -> bool | None:
    value = _number(row.get("value"))
    if value is None:
        return None
    needed = _number(row.get("needed"))
    if needed is not None:
        return value >= needed
    target = _number(standard.get("target"))
    compare = _COMPARE.get(str(standard.get("comparison")))
    if target is None or compare is None or standard.get("unit") not in _PER_TOWN_UNITS:
        return None
    return compare(value, target)


def _change(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


def compare_documents(
    a: Mapping[str, Any], b: Mapping[str, Any], *, a_label: Mapping[str, Any], b_label: Mapping[str, Any]
) -> dict[str, Any]:
    """Compare two coverage documents (the ``/api/coverage`` document of two scenarios).

    Parameters
    ----------
    a, b
        The documents; *b* is compared with *a* (``change = b - a``).
    a_label, b_label
        What each is (id, name, base), copied to the result.

    Returns
    -------
    dict
        ``a``, ``b`` (the labels), ``standards`` (per standard: ``a``, ``b``, ``change``, statuses,
        ``flip``), ``towns`` (per town: per standard ``a``, ``b``, ``change``, ``a_passed``,
        ``b_passed``, ``flip``) and ``flips`` (counts).
    """
    b_standards = {s["id"]: s for s in b.get("standards", [])}
    standards = []
    towns: dict[str, dict[str, Any]] = {}
    town_flips = 0
    for sa in a.get("standards", []):
        sb = b_standards.get(sa["id"])
        if sb is None:
            continue
        va, vb = _number(sa.get("value")), _number(sb.get("value"))
        standards.append(
            {
                "id": sa["id"],
                "name_zh": sa.get("name_zh"),
                "name_en": sa.get("name_en"),
                "unit": sa.get("unit"),
                "target": sa.get("target"),
                "comparison": sa.get("comparison"),
                "a": va,
                "b": vb,
                "change": _change(va, vb),
                "a_status": sa.get("status"),
                "b_status": sb.get("status"),
                "flip": _flip(_passed(sa.get("status")), _passed(sb.get("status"))),
            }
        )
        b_towns = {row.get("town_code"): row for row in sb.get("towns") or []}
        for row_a in sa.get("towns") or []:
            code = row_a.get("town_code")
            row_b = b_towns.get(code)
            if row_b is None or (row_a.get("value") is None and row_b.get("value") is None):
                continue
            ta, tb = _number(row_a.get("value")), _number(row_b.get("value"))
            pa, pb = _town_passed(row_a, sa), _town_passed(row_b, sb)
            flip = _flip(pa, pb)
            town_flips += flip is not None
            entry = towns.setdefault(
                str(code),
                {
                    "town_code": code,
                    "name_zh": row_a.get("name_zh"),
                    "name_en": row_a.get("name_en"),
                    "standards": [],
                },
            )
            entry["standards"].append(
                {
                    "id": sa["id"],
                    "a": ta,
                    "b": tb,
                    "change": _change(ta, tb),
                    "a_passed": pa,
                    "b_passed": pb,
                    "flip": flip,
                }
            )
    return {
        "a": dict(a_label),
        "b": dict(b_label),
        "standards": standards,
        "towns": sorted(towns.values(), key=lambda t: str(t["town_code"])),
        "flips": {
            "standards": sum(s["flip"] is not None for s in standards),
            "towns": town_flips,
        },
    }
