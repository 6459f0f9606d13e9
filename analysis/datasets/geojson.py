"""Read GeoJSON defensively: any encoding, any nesting, wrong types and broken geometry become messages.

Every helper raises :class:`analysis.errors.DataError` naming the file and feature number; none lets a
``TypeError`` or ``RecursionError`` through.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Final

import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from analysis.datasets.encoding import read_text
from analysis.errors import CRSError, DataError

_WGS84 = CRS.from_epsg(4326)

#: Geometry types and the nesting depth of their ``coordinates`` (Point: [x, y] is depth 1).
_COORDINATE_DEPTH: Final = {
    "Point": 1,
    "MultiPoint": 2,
    "LineString": 2,
    "MultiLineString": 3,
    "Polygon": 3,
    "MultiPolygon": 4,
}


def parse_json(text: str, *, name: str) -> Any:
    """Parse JSON text; bad syntax and absurd nesting become DataError (``NaN`` is read as unknown)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        msg = (
            f"{name} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); fix the syntax."
        )
        raise DataError(msg) from None
    except RecursionError:
        msg = f"{name} is nested too deeply to be GeoJSON; check that it is the right file."
        raise DataError(msg) from None


def read_json(path: str | Path, what: str) -> Any:
    """Read a JSON file in any supported encoding (UTF-8 with or without BOM, UTF-16, GB18030).

    Parameters
    ----------
    path
        The file.
    what
        What it should hold, for messages.

    Returns
    -------
    Any
        The parsed document.

    Raises
    ------
    DataError
        Missing, empty, undecodable or invalid JSON.
    """
    file = Path(path)
    if not file.exists():
        msg = (
            f"{what} file {file} does not exist; check the path, or build the county folder with "
            f"`healthcircle init {file.parent}` (see README, Using your own county)."
        )
        raise DataError(msg)
    text = read_text(file, what=what).text
    if not text.strip():
        msg = f"{file} is empty; it should hold a GeoJSON FeatureCollection ({what})."
        raise DataError(msg)
    return parse_json(text, name=str(file))


def check_geojson_crs(doc: Any, path: str | Path) -> None:
    """Raise CRSError unless a GeoJSON document is WGS-84 (no ``crs`` member, CRS84 or EPSG:4326).

    Parameters
    ----------
    doc
        Parsed GeoJSON.
    path
        File name, for the message.

    Raises
    ------
    CRSError
        The document declares another CRS, or one that cannot be read.
    """
    if not isinstance(doc, dict) or not doc.get("crs"):
        return
    declared = doc["crs"]
    props = declared.get("properties") if isinstance(declared, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    shown = repr(declared)[:80]
    try:
        if not isinstance(name, str):
            raise TypeError(name)
        crs = CRS.from_user_input(name)
    except (PyprojCRSError, TypeError):
        msg = f"{path} declares a CRS that cannot be read ({shown}); GeoJSON must be WGS-84 (lon/lat)."
        raise CRSError(msg) from None
    if not crs.equals(_WGS84, ignore_axis_order=True):
        msg = (
            f"{path} is in {name}, not WGS-84. Reproject it to WGS-84 lon/lat (EPSG:4326), e.g. "
            f"`ogr2ogr -t_srs EPSG:4326 out.geojson {Path(path).name}`; "
            "for GCJ-02 (AMap) coordinates pass crs='gcj02'."
        )
        raise CRSError(msg)


def feature_list(doc: Any, *, name: str, what: str, single_ok: bool = False) -> list[Any]:
    """The ``features`` of a FeatureCollection (or ``[doc]`` for a lone Feature when *single_ok*).

    Raises
    ------
    DataError
        The document is not a FeatureCollection with a non-empty ``features`` list.
    """
    if single_ok and isinstance(doc, dict) and doc.get("type") == "Feature":
        return [doc]
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        msg = f"{name} is not a GeoJSON FeatureCollection; put the {what} in a 'features' list."
        raise DataError(msg)
    if not features:
        msg = f"{name} has no {what}: its 'features' list is empty; add at least one feature."
        raise DataError(msg)
    return features


def feature_properties(feature: Any, *, where: str) -> dict[str, Any]:
    """The ``properties`` of a feature as a new dict (null → empty).

    Raises
    ------
    DataError
        The feature is not an object, or its properties are not an object.
    """
    if not isinstance(feature, dict):
        msg = f"{where} is a {_json_type(feature)}, not a GeoJSON Feature object; fix its syntax."
        raise DataError(msg)
    props = feature.get("properties")
    if props is None:
        return {}
    if not isinstance(props, dict):
        msg = f"{where}: 'properties' is a {_json_type(props)}; it must be an object of name: value pairs."
        raise DataError(msg)
    return dict(props)


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "true/false", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _depth_ok(coords: Any, depth: int) -> bool:
    """True when *coords* is nested exactly *depth* lists deep with numbers at the bottom (iteratively)."""
    level = [coords]
    for _ in range(depth):
        nxt: list[Any] = []
        for item in level:
            if not isinstance(item, list):
                return False
            nxt.extend(item)
        level = nxt
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in level)


def parse_geometry(
    geometry: Any, *, where: str, allowed: tuple[str, ...], what: str = "feature"
) -> BaseGeometry:
    """Turn a GeoJSON geometry object into a shapely geometry, or say what is wrong with it.

    Parameters
    ----------
    geometry
        The ``geometry`` member (not null).
    where
        E.g. "towns.geojson feature 3", for the message.
    allowed
        Accepted geometry types, e.g. ``("Polygon", "MultiPolygon")``.
    what
        What the layer holds, e.g. "county outline", for the message.

    Returns
    -------
    shapely.geometry.base.BaseGeometry

    Raises
    ------
    DataError
        Not an object, a type not allowed, coordinates of the wrong shape, too few points (a ring
        needs 4 with the first repeated last), or non-finite numbers.
    """
    if not isinstance(geometry, dict):
        msg = f"{where}: geometry is a {_json_type(geometry)}; it must be a GeoJSON geometry object."
        raise DataError(msg)
    gtype = geometry.get("type")
    if gtype not in allowed:
        msg = f"{where} is a {str(gtype)[:40]}; the {what} needs {' or '.join(allowed)}."
        raise DataError(msg)
    coords = geometry.get("coordinates")
    depth = _COORDINATE_DEPTH.get(str(gtype))
    if depth is None or not _depth_ok(coords, depth):
        msg = (
            f"{where}: the {gtype}'s 'coordinates' are not nested lists of [lon, lat] numbers "
            "as GeoJSON requires; fix the geometry."
        )
        raise DataError(msg)
    polygons: list[Any] = []
    if gtype == "Polygon":
        polygons = [coords]
    elif gtype == "MultiPolygon" and isinstance(coords, list):
        polygons = coords
    for p, polygon in enumerate(polygons, start=1):
        for r, ring in enumerate(polygon, start=1):
            if len(ring) < 4:
                part = f"polygon {p} ring {r}" if gtype == "MultiPolygon" else f"ring {r}"
                msg = (
                    f"{where}: {part} has {len(ring)} position(s); a polygon ring needs at least 4, "
                    "the first repeated as the last. Fix or remove it."
                )
                raise DataError(msg)
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.GEOSException) as exc:
        hint = (
            " (a polygon ring needs at least 4 positions, the first repeated as the last)"
            if "ring" in str(exc).lower()
            else ""
        )
        msg = f"{where}: the {gtype} cannot be built{hint}: {str(exc)[:120]}; fix the geometry."
        raise DataError(msg) from None
    if geom.is_empty:
        msg = f"{where}: the {gtype} has no positions; give its coordinates or remove the feature."
        raise DataError(msg)
    if not all(math.isfinite(b) for b in geom.bounds):
        msg = f"{where}: the {gtype} has non-finite coordinates; write decimal degrees."
        raise DataError(msg)
    return geom
