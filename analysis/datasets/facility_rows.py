"""The raw rows of a facility file (GeoJSON, CSV or GeoPackage): label, properties and lon/lat.

Each reader collects problems instead of stopping at the first, so that ``healthcircle validate``
lists them all; nothing here converts or checks values beyond their shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
from pyproj import CRS

from analysis.datasets.fields import LONLAT_COLUMNS
from analysis.datasets.geojson import check_geojson_crs, feature_list, feature_properties, read_json
from analysis.datasets.headers import KIND_ALIASES, STATUS_ALIASES
from analysis.datasets.tables import read_table
from analysis.datasets.values import is_blank
from analysis.errors import CRSError, DataError

_WGS84 = CRS.from_epsg(4326)

#: (label such as "feature 3" or "row 2 (line 3)", properties, (lon, lat) or None when unknown).
Row = tuple[str, dict[str, Any], tuple[float, float] | None]


@dataclass
class RawRows:
    """What a reader found: the rows, the problems, and how the file was read."""

    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    crs_problem: bool = False
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


def _short(value: Any) -> str:
    """A value as written (text unquoted), cut short so that a message never echoes a whole bad input."""
    if isinstance(value, str):
        return value if len(value) <= 60 else value[:57] + "..."
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def rows_from_geojson(path: Path) -> RawRows:
    """Rows of a GeoJSON FeatureCollection (or a lone Feature) of Points, null geometry allowed."""
    out = RawRows()
    try:
        doc = read_json(path, "facilities")
    except DataError as exc:
        out.problems.append(str(exc))
        return out
    try:
        check_geojson_crs(doc, path)
    except CRSError as exc:
        out.problems.append(str(exc))
        out.crs_problem = True
        return out
    try:
        features = feature_list(doc, name=str(path), what="facilities", single_ok=True)
    except DataError as exc:
        out.problems.append(str(exc))
        return out
    for i, feature in enumerate(features, start=1):
        label = f"feature {i}"
        try:
            props = feature_properties(feature, where=label)
        except DataError as exc:
            out.problems.append(str(exc))
            continue
        fid = _short(props.get("id", "no id"))
        geometry = feature.get("geometry")
        if geometry is None:
            out.rows.append((label, props, None))
            continue
        gtype = geometry.get("type") if isinstance(geometry, dict) else None
        if gtype != "Point":
            out.problems.append(
                f"{label} ({fid}): geometry is a {_short(gtype)}, but a facility must be a Point "
                "(or null when the location is unknown); use the building's point."
            )
            continue
        coords = geometry.get("coordinates")
        if not isinstance(coords, list) or len(coords) < 2:
            out.problems.append(
                f"{label} ({fid}): Point coordinates {_short(coords)} are not [lon, lat]; give two numbers."
            )
            continue
        lon, lat = _number(coords[0]), _number(coords[1])
        if lon is None or lat is None:
            out.problems.append(f"{label} ({fid}): coordinates {_short(coords)} are not numbers.")
            continue
        out.rows.append((label, props, (lon, lat)))
    return out


def rows_from_csv(path: Path) -> RawRows:
    """Rows of a CSV with lon/lat columns (any encoding and delimiter, Chinese headers accepted)."""
    out = RawRows()
    try:
        table = read_table(path, what="facilities", example_header="id,name_zh,kind,lon,lat,...")
    except DataError as exc:
        out.problems.append(str(exc))
        return out
    out.encoding = table.encoding
    if table.renamed:
        out.notes.append(
            "columns renamed: " + ", ".join(f"{a} → {b}" for a, b in sorted(table.renamed.items()))
        )
    frame = table.frame
    columns = set(frame.columns)
    pair = next(((a, b) for a, b in LONLAT_COLUMNS if a in columns and b in columns), None)
    if pair is None:
        shown = ", ".join(str(c) for c in list(frame.columns)[:12])
        out.problems.append(
            f"{path} has no longitude/latitude columns (read as {table.encoding}, {table.delimiter_name}-"
            f"separated; columns: {shown}); name them 'lon' and 'lat' (or 经度/纬度), leaving both empty "
            "where unknown."
        )
        return out
    for i, record in enumerate(frame.to_dict(orient="records"), start=1):
        label = f"row {i} (line {i + 1})"
        lon_text, lat_text = str(record.pop(pair[0])).strip(), str(record.pop(pair[1])).strip()
        props: dict[str, Any] = {str(k): (None if str(v).strip() == "" else v) for k, v in record.items()}
        for column, aliases in (("kind", KIND_ALIASES), ("status", STATUS_ALIASES)):
            value = props.get(column)
            if isinstance(value, str) and value.strip().lower() in aliases:
                props[column] = aliases[value.strip().lower()]
        if not lon_text and not lat_text:
            out.rows.append((label, props, None))
            continue
        try:
            lonlat = (float(lon_text), float(lat_text))
        except ValueError:
            out.problems.append(
                f"{label} ({_short(props.get('id', 'no id'))}): lon/lat {lon_text[:30]!r}, {lat_text[:30]!r} "
                "are not numbers; write decimal degrees, or leave both empty if the location is unknown."
            )
            continue
        out.rows.append((label, props, lonlat))
    return out


def rows_from_gpkg(path: Path) -> RawRows:
    """Rows of a GeoPackage point layer in WGS-84."""
    out = RawRows()
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # GDAL raises many exception types for a broken file
        out.problems.append(f"{path} is not a readable GeoPackage ({str(exc)[:120]}); check the file.")
        return out
    if gdf.crs is not None and not CRS.from_user_input(gdf.crs).equals(_WGS84, ignore_axis_order=True):
        out.problems.append(
            f"{path} is in {gdf.crs.to_string()}, not WGS-84; reproject it to EPSG:4326 "
            "(e.g. `ogr2ogr -t_srs EPSG:4326 out.gpkg in.gpkg`)."
        )
        out.crs_problem = True
        return out
    for i, (_, record) in enumerate(gdf.iterrows(), start=1):
        label = f"feature {i}"
        props = {k: (None if is_blank(v) else v) for k, v in record.items() if k != gdf.geometry.name}
        geom = record[gdf.geometry.name]
        if geom is None or geom.is_empty:
            out.rows.append((label, props, None))
        elif geom.geom_type != "Point":
            out.problems.append(
                f"{label} ({_short(props.get('id', 'no id'))}): geometry is "
                f"a {geom.geom_type}, but a facility must be a Point."
            )
        else:
            x, y = float(geom.x), float(geom.y)
            out.rows.append((label, props, (x, y)))
    return out
