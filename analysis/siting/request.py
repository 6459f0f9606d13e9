"""One siting request, the same on the map, the API and the command line.

A request is a small JSON-able dict (:data:`REQUEST_FIELDS`); :func:`normalise_request` fills in the
defaults so that two ways of asking the same question give the same dict, and :func:`request_key` names
it together with the data it runs on. :func:`run_request` is the one path from a request to a document.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from analysis.errors import ParameterError
from analysis.siting.kinds import KINDS, MODELS
from analysis.siting.recommend import recommend_sites
from analysis.siting.use_cases import SettingLookup, library_setting
from analysis.store import dumps

if TYPE_CHECKING:
    import geopandas as gpd

    from analysis.datasets import Inputs
    from analysis.siting.budget import Budget
    from analysis.travel import TravelModel

#: The fields of a request and their defaults. ``candidates`` is a GeoJSON FeatureCollection of Points
#: (WGS-84) or None for the default grid.
REQUEST_FIELDS: dict[str, Any] = {
    "kind": None,
    "count": None,
    "model": "mclp",
    "share": 1.0,
    "profile": None,
    "include_planned": False,
    "candidates": None,
    "ambulances": None,
    "busy_fraction": None,
    "assume_unknown_ambulances": None,
}
#: Fields that only the expected-coverage model reads.
MEXCLP_FIELDS = ("ambulances", "busy_fraction", "assume_unknown_ambulances")


def normalise_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request with every field present (defaults filled in) and nothing else.

    Parameters
    ----------
    request
        Some of :data:`REQUEST_FIELDS`.

    Returns
    -------
    dict
        Every field of :data:`REQUEST_FIELDS`; ``share`` only matters to LSCP and is 1.0 otherwise.

    Raises
    ------
    ParameterError
        An unknown field, kind or model.
    """
    unknown = sorted(set(request) - set(REQUEST_FIELDS))
    if unknown:
        msg = f"unknown siting request fields {unknown}; use {', '.join(REQUEST_FIELDS)}"
        raise ParameterError(msg)
    out = {**REQUEST_FIELDS, **{k: v for k, v in request.items() if v is not None}}
    if out["kind"] not in KINDS:
        msg = f"unknown kind {out['kind']!r}; use one of {', '.join(KINDS)}"
        raise ParameterError(msg)
    if out["model"] not in MODELS:
        msg = f"unknown model {out['model']!r}; use one of {', '.join(MODELS)}"
        raise ParameterError(msg)
    out["share"] = float(out["share"]) if out["model"] == "lscp" else 1.0
    out["count"] = None if out["model"] == "lscp" or out["count"] is None else int(out["count"])
    out["include_planned"] = bool(out["include_planned"])
    if out["model"] != "mexclp":
        out.update(dict.fromkeys(MEXCLP_FIELDS))
    elif out["ambulances"] is not None:
        out["ambulances"] = {str(k): int(v) for k, v in sorted(dict(out["ambulances"]).items())}
    return out


def request_key(request: Mapping[str, Any], *, data_fingerprint: str) -> str:
    """A stable name of a normalised request on given data (same request and data, same key).

    Parameters
    ----------
    request
        Output of :func:`normalise_request`.
    data_fingerprint
        Names the inputs (e.g. :func:`analysis.store.fingerprint` of the data folder).

    Returns
    -------
    str
        32 hex digits.
    """
    text = dumps({"request": dict(request), "data": data_fingerprint})
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _candidates_frame(collection: Mapping[str, Any]) -> gpd.GeoDataFrame:
    import geopandas as gpd

    features = [
        {**feature, "properties": feature.get("properties") or {}} for feature in collection["features"]
    ]
    return gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")


def run_request(
    inputs: Inputs,
    travel: TravelModel,
    request: Mapping[str, Any],
    *,
    budget: Budget,
    candidates: gpd.GeoDataFrame | None = None,
    start_result: Mapping[str, Any] | None = None,
    setting: SettingLookup = library_setting,
) -> dict[str, Any]:
    """Run a siting request: the document of :func:`recommend_sites` with ``cell_rank`` included.

    Parameters
    ----------
    inputs, travel
        County inputs and travel model.
    request
        The request (normalised here).
    budget
        Wall-clock budget of the whole run.
    candidates
        Candidate sites already read (e.g. from a file); overrides ``request["candidates"]``.
    start_result
        The document of an earlier, time-limited run of the same request: its sites are the warm start.
    setting
        Where the targets the request leaves open come from: the county's ``County.setting``, else the
        library's settings.

    Returns
    -------
    dict
        JSON-able siting document.
    """
    req = normalise_request(request)
    if candidates is None and req["candidates"] is not None:
        candidates = _candidates_frame(req["candidates"])
    start_sites = None
    if start_result is not None and start_result.get("optimal") is False:
        start_sites = [(float(s["lon"]), float(s["lat"])) for s in start_result.get("sites", [])]
    document = recommend_sites(
        inputs,
        travel,
        kind=req["kind"],
        count=req["count"],
        candidates=candidates,
        model=req["model"],
        profile=req["profile"],
        share=req["share"],
        include_planned=req["include_planned"],
        include_cells=True,
        budget=budget,
        start_sites=start_sites,
        ambulances=req["ambulances"],
        busy_fraction=req["busy_fraction"],
        assume_unknown_ambulances=req["assume_unknown_ambulances"],
        setting=setting,
    )
    if start_sites:
        document["assumptions"].append(
            f"continued from an earlier run stopped at {start_result.get('solution_label', 'its limit')}"
            if start_result is not None
            else "continued from an earlier run"
        )
    return document
