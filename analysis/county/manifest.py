"""Reading ``county.toml``: every key checked, a wrong one named with the keys allowed."""

from __future__ import annotations

import logging
import math
import tomllib
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import geopandas as gpd
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError

from analysis import settings
from analysis.county.model import County, Plan
from analysis.county.zones import outline_utm_crs
from analysis.errors import CRSError, DataError

logger = logging.getLogger(__name__)

#: File name of the manifest inside a county folder.
MANIFEST_FILE: Final = "county.toml"

#: Target overrides a manifest may set, with the setting each replaces and its allowed range.
TARGET_KEYS: Final[dict[str, tuple[str, float, float]]] = {
    "service_circle_minutes": ("SERVICE_CIRCLE_MINUTES", 0.0, settings.MAX_THRESHOLD_MINUTES),
    "ems_response_minutes": ("EMS_RESPONSE_MINUTES", 0.0, settings.MAX_THRESHOLD_MINUTES),
    "ems_radius_m": ("EMS_RADIUS_M", 0.0, settings.MAX_EMS_RADIUS_M),
    "circle_required_share": ("CIRCLE_REQUIRED_SHARE", 0.0, 1.0),
}
#: Assumption defaults a manifest may set (numbers), with their setting and range.
ASSUMPTION_NUMBERS: Final[dict[str, tuple[str, float, float]]] = {
    "ems_dispatch_minutes": ("EMS_DISPATCH_MINUTES", 0.0, settings.MAX_DISPATCH_MINUTES),
    "aed_walk_radius_m": ("AED_WALK_RADIUS_M", 0.0, settings.MAX_AED_WALK_RADIUS_M),
}
#: The one text assumption: the travel mode of the service circle.
ASSUMPTION_PROFILE: Final = "service_circle_profile"

_TOP_KEYS: Final = ("name_zh", "name_en", "admin_code", "crs", "plan", "targets", "assumptions")
_PLAN_KEYS: Final = ("title_zh", "title_en", "sources")


def _text(doc: dict[str, Any], key: str, where: str) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and key == "admin_code":
        return str(value)
    if not isinstance(value, str) or not value.strip():
        msg = f"{where}: '{key}' must be text (got {value!r}); write it in quotes."
        raise DataError(msg)
    return value.strip()


def _unknown_keys(table: dict[str, Any], allowed: tuple[str, ...] | list[str], where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        msg = f"{where}: unknown key(s) {', '.join(unknown)}; allowed keys are {', '.join(allowed)}."
        raise DataError(msg)


def _numbers(table: Any, spec: dict[str, tuple[str, float, float]], where: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in table.items():
        setting, low, high = spec[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            msg = f"{where}: '{key}' must be a number (got {value!r})."
            raise DataError(msg)
        number = float(value)
        if not math.isfinite(number) or (number <= low and key != "ems_dispatch_minutes") or number > high:
            msg = f"{where}: '{key}' = {value!r} is out of range; use more than {low:g} and at most {high:g}."
            raise DataError(msg)
        if key == "ems_dispatch_minutes" and number < 0:
            msg = f"{where}: '{key}' = {value!r} is negative; use 0 to {high:g} minutes."
            raise DataError(msg)
        out[setting] = number
    return out


def _check_crs(text: str, where: str) -> str:
    try:
        crs = CRS.from_user_input(text)
    except PyprojCRSError:
        msg = f"{where}: crs {text!r} is not a coordinate reference system; write e.g. 'EPSG:32650'."
        raise CRSError(msg) from None
    if not crs.is_projected:
        msg = (
            f"{where}: crs {text!r} is not projected; distances need metres, e.g. the county's UTM zone "
            "(leave 'crs' out to use it automatically)."
        )
        raise CRSError(msg)
    return text


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            doc = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path} is not valid TOML ({exc}); fix the syntax (text values need quotes)."
        raise DataError(msg) from None
    except UnicodeDecodeError:
        msg = f"{path} is not UTF-8 text; save it as UTF-8."
        raise DataError(msg) from None
    return doc


def _plan(doc: Any, where: str) -> Plan | None:
    if doc is None:
        return None
    if not isinstance(doc, dict):
        msg = f"{where}: 'plan' must be a table ([plan] with title_zh, title_en, sources)."
        raise DataError(msg)
    _unknown_keys(doc, _PLAN_KEYS, f"{where} [plan]")
    title_zh = _text(doc, "title_zh", f"{where} [plan]")
    if title_zh is None:
        msg = f"{where} [plan]: 'title_zh' is missing; give the plan's title."
        raise DataError(msg)
    sources = doc.get("sources") or {}
    if not isinstance(sources, dict) or not all(isinstance(v, str) for v in sources.values()):
        msg = (
            f"{where} [plan.sources]: give one text citation per standard id, "
            "e.g. ems_response_14min = '三(一)3'."
        )
        raise DataError(msg)
    from analysis.standards import STANDARD_IDS

    _unknown_keys(sources, STANDARD_IDS, f"{where} [plan.sources]")
    return Plan(
        title_zh=title_zh,
        title_en=_text(doc, "title_en", f"{where} [plan]") or "",
        sources=MappingProxyType(dict(sources)),
    )


def load_county(folder: str | Path, *, boundary: gpd.GeoDataFrame | None = None) -> County:
    """Read a county folder's manifest and settle its working CRS.

    Parameters
    ----------
    folder
        The county folder.
    boundary
        The outline, when the caller has read it already (used for the automatic CRS).

    Returns
    -------
    County

    Raises
    ------
    DataError
        The folder is missing, or the manifest has a bad key or value (the message names it).
    CRSError
        The manifest's ``crs`` is not a projected CRS.
    """
    root = Path(folder)
    if not root.is_dir():
        msg = f"county folder {root} not found; create one with `healthcircle init {root}`."
        raise DataError(msg)
    path = root / MANIFEST_FILE
    doc: dict[str, Any] = _read_manifest(path) if path.is_file() else {}
    where = path.name if path.is_file() else f"{root} (no {MANIFEST_FILE})"
    _unknown_keys(doc, _TOP_KEYS, where)
    name_zh = _text(doc, "name_zh", where) or ""
    name_en = _text(doc, "name_en", where) or ""
    if not name_zh and not name_en:
        name_en = root.resolve().name
    targets_doc = doc.get("targets") or {}
    assumptions_doc = dict(doc.get("assumptions") or {})
    for key, table in (("targets", targets_doc), ("assumptions", assumptions_doc)):
        if not isinstance(table, dict):
            msg = f"{where}: '{key}' must be a table ([{key}])."
            raise DataError(msg)
    _unknown_keys(targets_doc, list(TARGET_KEYS), f"{where} [targets]")
    _unknown_keys(assumptions_doc, [*ASSUMPTION_NUMBERS, ASSUMPTION_PROFILE], f"{where} [assumptions]")
    assumptions: dict[str, Any] = {}
    profile = assumptions_doc.pop(ASSUMPTION_PROFILE, None)
    if profile is not None:
        if profile not in settings.PROFILES:
            msg = (
                f"{where} [assumptions]: '{ASSUMPTION_PROFILE}' = {profile!r} is not a travel profile; "
                f"use one of {', '.join(settings.PROFILES)}."
            )
            raise DataError(msg)
        assumptions["SERVICE_CIRCLE_PROFILE"] = profile
    assumptions.update(_numbers(assumptions_doc, ASSUMPTION_NUMBERS, f"{where} [assumptions]"))
    targets = _numbers(targets_doc, TARGET_KEYS, f"{where} [targets]")

    crs_text = _text(doc, "crs", where)
    if crs_text is not None:
        crs, crs_source = _check_crs(crs_text, where), f"{MANIFEST_FILE}"
    else:
        outline = boundary if boundary is not None else _read_outline(root)
        crs = outline_utm_crs(outline)
        zone = int(crs.split(":")[1]) % 100
        hemisphere = "N" if crs.startswith("EPSG:326") else "S"
        crs_source = (
            f"auto: UTM zone {zone}{hemisphere} of the outline's centroid ({MANIFEST_FILE} sets none)"
        )
    county = County(
        folder=root,
        name_zh=name_zh,
        name_en=name_en,
        admin_code=_text(doc, "admin_code", where),
        crs=crs,
        crs_source=crs_source,
        plan=_plan(doc.get("plan"), where),
        targets=MappingProxyType(targets),
        assumptions=MappingProxyType(assumptions),
        manifest=path if path.is_file() else None,
    )
    logger.info("county %s from %s, working CRS %s (%s)", county.label, root, crs, crs_source)
    return county


def _read_outline(root: Path) -> gpd.GeoDataFrame:
    from analysis.datasets import load_boundary

    path = root / "boundary.geojson"
    if not path.is_file():
        msg = (
            f"{path} not found: the county folder needs its outline "
            f"(`healthcircle init {root} --boundary FILE` or `--admin-code CODE`)."
        )
        raise DataError(msg)
    return load_boundary(path)
