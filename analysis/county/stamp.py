"""A result document stamped with the county it is for, citing the county's own plan."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.county.inputs import folder_path
from analysis.county.manifest import MANIFEST_FILE
from analysis.county.model import County


def stamp_county(document: Mapping[str, Any], county: County) -> dict[str, Any]:
    """A copy of a coverage or siting document that names the county and cites its own plan.

    Adds ``county`` (:meth:`County.describe`, incl. the working CRS and where it comes from), adds
    ``towns_note`` when the folder has no towns, and rewrites
    each standard's ``source`` when the county's plan is not the one the tool's targets were written
    from: the county's citation first, the tool's reference after it, so nothing is passed off as the
    county's own plan.

    Parameters
    ----------
    document
        JSON-able document with an optional ``standards`` list (not modified).
    county
        The county it was computed for.

    Returns
    -------
    dict
        The new document.
    """
    from analysis.standards import DEFAULT_PLAN

    out = dict(document)
    out["county"] = county.describe()
    if document.get("towns") == [] and not folder_path(county, "towns").is_file():
        out["towns_note"] = (
            "此县域文件夹没有乡镇数据 The county folder has no towns.geojson: no per-town table "
            "(add one with `healthcircle init DIR --towns FILE`)."
        )
    standards = document.get("standards")
    if not isinstance(standards, list):
        return out
    own_plan = county.plan is not None and DEFAULT_PLAN.startswith(county.plan.title_zh)
    if own_plan and not (county.plan and county.plan.sources):
        return out
    rewritten = []
    for result in standards:
        entry = dict(result)
        original = str(entry.get("source") or "")
        sid = str(entry.get("id"))
        if county.plan is None:
            entry["source"] = f"{MANIFEST_FILE} names no plan; the tool's target is from: {original}"
        elif sid in county.plan.sources:
            entry["source"] = f"{county.plan.title_zh}, {county.plan.sources[sid]}"
        elif not own_plan:
            entry["source"] = (
                f"{county.plan.title} (no section cited in {MANIFEST_FILE}); the tool's target is from: "
                f"{original}"
            )
        rewritten.append(entry)
    out["standards"] = rewritten
    return out
