"""A siting document as a table or as GeoJSON, for the CLI's csv/geojson output and the API."""

from __future__ import annotations

from typing import Any

import pandas as pd

SITE_COLUMNS: tuple[str, ...] = (
    "rank",
    "lon",
    "lat",
    "town_code",
    "added_population",
    "cumulative_population",
    "cumulative_coverage",
)


def sites_frame(document: dict[str, Any]) -> pd.DataFrame:
    """The ranked sites of a :func:`recommend_sites` document as a table.

    Parameters
    ----------
    document
        Output of :func:`recommend_sites`.

    Returns
    -------
    pandas.DataFrame
        One row per site with the columns of ``SITE_COLUMNS`` plus ``kind`` and ``model``.
    """
    frame = pd.DataFrame(document["sites"], columns=list(SITE_COLUMNS))
    frame.insert(0, "kind", document["kind"])
    frame.insert(1, "model", document["model"])
    return frame


def sites_geojson(document: dict[str, Any]) -> dict[str, Any]:
    """The ranked sites of a :func:`recommend_sites` document as a GeoJSON FeatureCollection.

    Parameters
    ----------
    document
        Output of :func:`recommend_sites`.

    Returns
    -------
    dict
        FeatureCollection of Points (WGS-84) with the site fields as properties; the other
        fields of the document are kept under the foreign member ``metadata``.
    """
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [site["lon"], site["lat"]]},
            "properties": dict(site),
        }
        for site in document["sites"]
    ]
    metadata = {key: value for key, value in document.items() if key != "sites"}
    return {"type": "FeatureCollection", "features": features, "metadata": metadata}


def solution_label(*, optimal: bool, seconds: float, gap_percent: float | None, stopped: bool = False) -> str:
    """How good a solution is, in words a planner can repeat (Chinese first, English beside).

    Parameters
    ----------
    optimal
        The solver proved the solution optimal.
    seconds
        Wall-clock seconds of the whole run.
    gap_percent
        Distance of the best bound from the solution, % of the solution; None when no bound is known.
    stopped
        The run was stopped on request rather than by its budget.

    Returns
    -------
    str
        E.g. "最优解 proven optimal" or "时限内最好解 best found in 3.0 s, within 3.86 % of optimal".
    """
    if optimal:
        return f"最优解 proven optimal (in {seconds:.1f} s)"
    why = "stopped" if stopped else "best found"
    if gap_percent is None:
        return f"时限内最好解 {why} in {seconds:.1f} s; distance from optimal unknown (no bound yet)"
    return f"时限内最好解 {why} in {seconds:.1f} s, within {gap_percent:.2f} % of optimal"
