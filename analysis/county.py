"""A county folder: its manifest ``county.toml`` (name, code, working CRS, plan, targets) and its inputs.

A county folder holds ``boundary.geojson``, ``facilities.geojson``, ``population.geojson``, optionally
``towns.geojson``, ``facts.json``, ``places.geojson`` (public places, AED candidates) and
``network/drive.graphml.gz``, and the manifest. ``data/`` is
Jinjiang's folder. The manifest looks like::

    name_zh = "晋江市"
    name_en = "Jinjiang"
    admin_code = "350582"
    crs = "EPSG:32650"            # optional: default the UTM zone of the outline's centroid

    [plan]
    title_zh = "《晋江市“十四五”卫生健康事业发展专项规划》"
    title_en = "Jinjiang 14th Five-Year Health Plan, 2021-2025"

    [targets]                      # optional overrides of the plan's figures
    ems_response_minutes = 12

    [assumptions]                  # optional defaults of what the plan leaves open
    service_circle_profile = "ebike"

Every key is checked; a wrong one gets a message naming it and the allowed keys.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError

from analysis import settings
from analysis.errors import CRSError, DataError

if TYPE_CHECKING:
    from analysis.coverage import CoverageOptions
    from analysis.datasets import Inputs

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


@dataclass(frozen=True)
class Plan:
    """The plan a county is checked against.

    Attributes
    ----------
    title_zh, title_en
        Its title, Chinese first.
    sources
        Citation per standard id (e.g. the plan's section); standards not listed cite the title.
    """

    title_zh: str
    title_en: str = ""
    sources: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def title(self) -> str:
        """Bilingual title."""
        return f"{self.title_zh} ({self.title_en})" if self.title_en else self.title_zh


@dataclass(frozen=True)
class County:
    """What a county folder says about itself.

    Attributes
    ----------
    folder
        The folder.
    name_zh, name_en
        The county's name, Chinese first.
    admin_code
        Six-digit administrative division code, when known.
    crs
        Working CRS for distances and areas (projected).
    crs_source
        Where ``crs`` comes from: the manifest, or the UTM zone of the outline's centroid.
    plan
        The plan the county is checked against, ``None`` when the manifest names none.
    targets
        Overrides of the plan's figures keyed by setting name, e.g. ``{"EMS_RESPONSE_MINUTES": 12.0}``.
    assumptions
        Defaults of the open assumptions keyed by setting name.
    manifest
        Path of ``county.toml``, ``None`` when the folder has none.
    """

    folder: Path
    name_zh: str
    name_en: str
    admin_code: str | None
    crs: str
    crs_source: str
    plan: Plan | None = None
    targets: MappingProxyType[str, float] = field(default_factory=lambda: MappingProxyType({}))
    assumptions: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    manifest: Path | None = None

    @property
    def label(self) -> str:
        """Bilingual name, Chinese first."""
        if self.name_zh and self.name_en and self.name_zh != self.name_en:
            return f"{self.name_zh} {self.name_en}"
        return self.name_zh or self.name_en

    def setting(self, name: str) -> Any:
        """Value of a target or assumption for this county: its override, else the library setting."""
        if name in self.targets:
            return self.targets[name]
        if name in self.assumptions:
            return self.assumptions[name]
        return getattr(settings, name)

    def coverage_options(self, options: CoverageOptions | None = None) -> CoverageOptions:
        """*options* with every choice left ``None`` filled from the manifest's targets and assumptions.

        Parameters
        ----------
        options
            The caller's choices (not modified); ``None`` means all defaults.

        Returns
        -------
        analysis.coverage.CoverageOptions
            Choices the manifest does not set stay ``None`` (the library setting).
        """
        from analysis.coverage import CoverageOptions

        opts = options or CoverageOptions()
        fields = {
            "profile": "SERVICE_CIRCLE_PROFILE",
            "minutes": "SERVICE_CIRCLE_MINUTES",
            "dispatch_minutes": "EMS_DISPATCH_MINUTES",
            "aed_walk_radius_m": "AED_WALK_RADIUS_M",
            "ems_minutes": "EMS_RESPONSE_MINUTES",
            "ems_radius_m": "EMS_RADIUS_M",
            "required_share": "CIRCLE_REQUIRED_SHARE",
        }
        chosen: dict[str, Any] = {
            name: self.targets.get(setting, self.assumptions.get(setting))
            for name, setting in fields.items()
            if getattr(opts, name) is None and (setting in self.targets or setting in self.assumptions)
        }
        return dataclasses.replace(opts, **chosen) if chosen else opts

    def describe(self) -> dict[str, Any]:
        """The county as printed beside every result (JSON-able)."""
        return {
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "admin_code": self.admin_code,
            "crs": self.crs,
            "crs_source": self.crs_source,
            "plan": None if self.plan is None else self.plan.title,
            "targets": dict(self.targets),
            "assumptions": dict(self.assumptions),
            "folder": str(self.folder),
        }


def utm_crs(lon: float, lat: float) -> str:
    """The WGS-84 UTM zone containing a point, as ``EPSG:326zz`` (north) or ``EPSG:327zz`` (south).

    Parameters
    ----------
    lon, lat
        Degrees.

    Returns
    -------
    str
        EPSG code of the zone.

    Raises
    ------
    CRSError
        The point is not a longitude/latitude.
    """
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
        msg = f"lon={lon}, lat={lat} is not a position in degrees; the outline must be WGS-84 lon/lat."
        raise CRSError(msg)
    zone = min(60, math.floor((lon + 180.0) / 6.0) + 1)
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def outline_utm_crs(boundary: gpd.GeoDataFrame) -> str:
    """UTM zone of the outline's centroid (computed on the sphere-free lon/lat bounds' centre of area).

    Parameters
    ----------
    boundary
        County outline with a CRS.

    Returns
    -------
    str
        EPSG code.
    """
    wgs = boundary.to_crs(settings.GEOGRAPHIC_CRS)
    outline = shapely.union_all(wgs.geometry[wgs.geometry.notna()].to_numpy())
    if outline.is_empty:
        msg = "The county outline is empty; it must hold at least one polygon."
        raise DataError(msg)
    # a first guess from the bounds, then the centroid in that zone (a centroid in degrees is skewed)
    minx, miny, maxx, maxy = outline.bounds
    guess = utm_crs((minx + maxx) / 2.0, (miny + maxy) / 2.0)
    centroid = gpd.GeoSeries([outline], crs=settings.GEOGRAPHIC_CRS).to_crs(guess).centroid
    point = centroid.to_crs(settings.GEOGRAPHIC_CRS).iloc[0]
    return utm_crs(float(point.x), float(point.y))


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


#: Files of a county folder; the ones marked optional may be absent.
FOLDER_FILES: Final[dict[str, tuple[str, bool]]] = {
    "boundary": ("boundary.geojson", False),
    "facilities": ("facilities.geojson", False),
    "population": ("population.geojson", False),
    "towns": ("towns.geojson", True),
    "facts": ("facts.json", True),
}

_HOW_TO_BUILD: Final[dict[str, str]] = {
    "boundary": "--boundary FILE or --admin-code CODE",
    "facilities": "--facilities FILE and/or --osm EXTRACT.osm.pbf --facilities-from-osm",
    "population": "--census TOWNS.csv, --raster FILE.tif or --population-total N --from-buildings",
}


def folder_path(county: County, name: str) -> Path:
    """Path of an input of the folder (``boundary``, ``facilities``, ``population``, ``towns``, ``facts``)."""
    return county.folder / FOLDER_FILES[name][0]


def _require(county: County, name: str) -> Path:
    path = folder_path(county, name)
    if not path.is_file():
        msg = (
            f"{path} not found: the county folder {county.folder} has no {name}; add it with "
            f"`healthcircle init {county.folder} {_HOW_TO_BUILD[name]}`."
        )
        raise DataError(msg)
    return path


def load_county_inputs(county: County) -> Inputs:
    """Read every input of a county folder, checked against its own outline in its own CRS.

    A folder without ``towns.geojson`` has no towns (per-town tables say so); one without ``facts.json``
    has no reported figures; one without ``places.geojson`` has no public places (AED candidates).

    Parameters
    ----------
    county
        From :func:`load_county`.

    Returns
    -------
    analysis.datasets.Inputs

    Raises
    ------
    DataError
        A required file is missing (the message says how to build it) or malformed.
    """
    from analysis.datasets import PLACES_FILE, Inputs, load_boundary, load_facilities, load_places, load_towns
    from analysis.facts import load_facts
    from analysis.population import load_population

    boundary = load_boundary(_require(county, "boundary"))
    facilities = load_facilities(_require(county, "facilities"), boundary=boundary, working_crs=county.crs)
    towns_path = folder_path(county, "towns")
    facts_path = folder_path(county, "facts")
    return Inputs(
        facilities=facilities,
        boundary=boundary,
        towns=load_towns(towns_path) if towns_path.is_file() else empty_towns(),
        population=load_population(_require(county, "population")),
        facts=load_facts(facts_path) if facts_path.is_file() else {},
        places=load_places(county.folder / PLACES_FILE),
    )


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


#: Former name of :func:`stamp_county`.
cite_plan = stamp_county


def empty_towns() -> gpd.GeoDataFrame:
    """A towns table with no rows (a county folder without ``towns.geojson``)."""
    frame = pd.DataFrame({"town_code": pd.Series([], dtype=object), "name_zh": [], "name_en": []})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=settings.GEOGRAPHIC_CRS))


__all__ = [
    "FOLDER_FILES",
    "MANIFEST_FILE",
    "County",
    "Plan",
    "empty_towns",
    "folder_path",
    "load_county",
    "load_county_inputs",
    "outline_utm_crs",
    "stamp_county",
    "utm_crs",
]
