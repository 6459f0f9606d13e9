"""The coverage document flattened into tables (for CSV and spreadsheets)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.display import format_value


def standards_frame(document: Mapping[str, Any]) -> pd.DataFrame:
    """One row per standard: id, names, value, unit, target, passed, notes and assumptions.

    Parameters
    ----------
    document
        A coverage document.

    Returns
    -------
    pandas.DataFrame
    """
    rows = []
    for r in document["standards"]:
        rows.append(
            {
                "id": r["id"],
                "name_zh": r["name_zh"],
                "name_en": r["name_en"],
                "value": r["value"],
                "value_text": format_value(r["value"], r["unit"]),
                "unit": r["unit"],
                "comparison": r.get("comparison"),
                "target": r["target"],
                "passed": r["passed"],
                "status": r.get("status"),
                "population_considered": r["population_considered"],
                "note": r.get("note"),
                "assumptions": json.dumps(r.get("assumptions", {}), ensure_ascii=False, sort_keys=True),
                "network_source": document.get("network_source"),
                "population_source": document.get("population_source"),
                "include_planned": document.get("scenario", {}).get("include_planned"),
            }
        )
    return pd.DataFrame(rows)


def towns_frame(document: Mapping[str, Any]) -> pd.DataFrame:
    """One row per town with its headline values (as in the document's ``towns``).

    Parameters
    ----------
    document
        A coverage document.

    Returns
    -------
    pandas.DataFrame
    """
    return pd.DataFrame(list(document["towns"]))
