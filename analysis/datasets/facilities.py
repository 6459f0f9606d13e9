"""Check a facility file and collect every problem (not just the first), then load it.

Facilities are read from GeoJSON, GeoPackage or CSV (``lon``/``lat`` or 经度/纬度 columns, any common
encoding and delimiter). Every check reports what is wrong, where (feature or row number) and how to fix
it. Coordinates are WGS-84; files in the Chinese GCJ-02 datum (AMap, Tencent maps) are converted only
when the caller says so (``crs="gcj02"``).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from analysis import settings
from analysis.datasets import fields
from analysis.datasets.facility_rows import RawRows, rows_from_csv, rows_from_geojson, rows_from_gpkg
from analysis.datasets.fields import COUNT_FIELDS, FACILITY_COLUMNS, FACILITY_KINDS, PRECISIONS, STATUSES
from analysis.datasets.gcj02 import gcj02_to_wgs84
from analysis.datasets.layers import load_boundary
from analysis.datasets.values import as_code, as_count, is_blank
from analysis.errors import CRSError, DataError, ParameterError

logger = logging.getLogger(__name__)


@dataclass
class ValidationReport:
    """Outcome of checking a facility file: every problem found, and the table if it is clean.

    Attributes
    ----------
    path
        The file checked.
    problems
        One sentence per problem: where (feature/row number), what, how to fix.
    facilities
        The facilities (EPSG:4326) when there are no problems, else None.
    crs_problem
        True when the file's declared CRS is the problem (the rest was not checked).
    encoding
        Encoding a CSV was read with ("UTF-8", "UTF-8 (BOM)", "UTF-16 (BOM)", "GB18030"); None otherwise.
    notes
        How the file was read, e.g. which Chinese headers were renamed.
    """

    path: Path
    problems: list[str] = field(default_factory=list)
    facilities: gpd.GeoDataFrame | None = None
    crs_problem: bool = False
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def counts_by(self, column: str) -> dict[str, int]:
        """Number of facilities per value of *column* (e.g. "kind", "precision")."""
        if self.facilities is None:
            return {}
        counts = Counter(str(v) for v in self.facilities[column])
        return dict(sorted(counts.items()))

    @property
    def unlocated(self) -> list[str]:
        """Ids of facilities without coordinates."""
        if self.facilities is None:
            return []
        mask = self.facilities.geometry.isna()
        return [str(i) for i in self.facilities.loc[mask, "id"]]


def _short(value: Any) -> str:
    """A value as written (quoted), cut short so that a message never echoes a whole bad input."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _county_area(boundary: gpd.GeoDataFrame, crs: str | None = None) -> tuple[BaseGeometry, Transformer]:
    from analysis.datasets import to_working_crs

    work_crs = crs or settings.WORKING_CRS
    outline = to_working_crs(boundary, work_crs).geometry
    area = shapely.union_all(outline[outline.notna()].to_numpy()).buffer(fields.COUNTY_TOLERANCE_M)
    shapely.prepare(area)
    transformer = Transformer.from_crs(settings.GEOGRAPHIC_CRS, work_crs, always_xy=True)
    return area, transformer


def _default_boundary() -> gpd.GeoDataFrame | None:
    from analysis.datasets import get_path

    path = get_path("boundary")
    return load_boundary(path) if path.exists() else None


def validate_facilities(
    path: str | Path,
    *,
    crs: Literal["wgs84", "gcj02"] = "wgs84",
    boundary: gpd.GeoDataFrame | None = None,
    check_extent: bool = True,
    working_crs: str | None = None,
) -> ValidationReport:
    """Check a facility file and collect every problem (not just the first).

    Parameters
    ----------
    path
        GeoJSON (.geojson/.json), GeoPackage (.gpkg) or CSV with ``lon``/``lat`` columns.
    crs
        Datum of the coordinates: "wgs84", or "gcj02" (converted to WGS-84 here).
    boundary
        County outline used to catch points outside the county or with lon/lat swapped;
        ``None`` means the embedded outline.
    check_extent
        Set False to skip the outline check (e.g. for another county without an outline).
    working_crs
        Projected CRS of the outline check; ``None`` means ``settings.WORKING_CRS``.

    Returns
    -------
    ValidationReport
        Problems, and the facilities when there are none.

    Raises
    ------
    ParameterError
        *crs* is not "wgs84" or "gcj02", or the file type is not supported.
    """
    if crs not in ("wgs84", "gcj02"):
        msg = f"crs must be 'wgs84' or 'gcj02', got {crs!r}."
        raise ParameterError(msg)
    file = Path(path)
    report = ValidationReport(path=file)
    if not file.exists():
        report.problems.append(f"{file} does not exist; check the path.")
        return report
    if file.stat().st_size == 0:
        report.problems.append(f"{file} is empty (0 bytes); it should list the facilities.")
        return report
    suffix = file.suffix.lower()
    raw: RawRows
    if suffix in (".geojson", ".json"):
        raw = rows_from_geojson(file)
    elif suffix == ".csv":
        raw = rows_from_csv(file)
    elif suffix == ".gpkg":
        raw = rows_from_gpkg(file)
    else:
        msg = f"Unsupported facility file type {suffix!r} ({file}); use .geojson, .gpkg or .csv."
        raise ParameterError(msg)
    rows = raw.rows
    report.problems.extend(raw.problems)
    report.crs_problem = raw.crs_problem
    report.encoding = raw.encoding
    report.notes.extend(raw.notes)
    if report.crs_problem:
        return report
    if not rows and not report.problems:
        report.problems.append(f"{file} has no facilities; add at least one feature/row.")
    if not rows:
        return report

    county = None
    if check_extent:
        outline = boundary if boundary is not None else _default_boundary()
        if outline is not None:
            county = _county_area(outline, working_crs)

    records: list[dict[str, Any]] = []
    geoms: list[BaseGeometry | None] = []
    ids: dict[str, str] = {}
    for label, props, lonlat in rows:
        problems: list[str] = []
        name = props.get("name_zh") or props.get("name_en") or ""
        try:
            fid = as_code(props.get("id"))
        except ValueError as exc:
            problems.append(f"{label}: id {_short(props.get('id'))} {exc}; give a text id such as 'hosp-1'.")
            fid = None
            props = {**props, "id": None}
        shown = str(name)[:60] if name else "no name"
        where = f"{label} ({fid})" if fid is not None else f"{label} ({shown})"
        if fid is None:
            if not problems:
                problems.append(f"{where}: 'id' is missing; give every facility a unique id, e.g. 'hosp-1'.")
        else:
            if fid in ids:
                problems.append(f"{where}: id {fid!r} is already used by {ids[fid]}; ids must be unique.")
            else:
                ids[fid] = label
        kind = props.get("kind")
        if not isinstance(kind, str) or kind.strip() not in FACILITY_KINDS:
            problems.append(
                f"{where}: kind {_short(kind)} is not known; use one of {', '.join(FACILITY_KINDS)}."
            )
        record: dict[str, Any] = {c: props.get(c) for c in FACILITY_COLUMNS}
        record.update({k: v for k, v in props.items() if k not in record})
        record["id"] = fid
        for column in COUNT_FIELDS:
            try:
                record[column] = as_count(props.get(column))
            except ValueError as exc:
                problems.append(
                    f"{where}: {column} {_short(props.get(column))} {exc}; "
                    f"write a whole number of {column.replace('_', ' ')}, "
                    "or leave it empty if unknown."
                )
        try:
            record["tier"] = as_count(props.get("tier"))
        except ValueError as exc:
            problems.append(f"{where}: tier {_short(props.get('tier'))} {exc}; use 1-4 or leave it empty.")
        status = props.get("status")
        record["status"] = "open" if is_blank(status) else str(status).strip()
        if record["status"] not in STATUSES:
            problems.append(f"{where}: status {_short(status)} is not known; use 'open' or 'planned'.")
        try:
            record["town_code"] = as_code(props.get("town_code"))
        except ValueError as exc:
            problems.append(
                f"{where}: town_code {_short(props.get('town_code'))} {exc}; "
                "write the town's code or leave it empty."
            )
        for column in ("name_zh", "name_en", "community", "opens", "source", "note"):
            value = props.get(column)
            record[column] = None if is_blank(value) else str(value)

        geom: BaseGeometry | None = None
        precision = props.get("precision")
        if lonlat is None:
            if is_blank(precision):
                precision = "unknown"
            elif str(precision) != "unknown":
                problems.append(
                    f"{where}: no coordinates but precision {_short(precision)}; "
                    "set precision to 'unknown' or add lon/lat."
                )
        else:
            x, y = lonlat
            if not (math.isfinite(x) and math.isfinite(y)) or abs(x) > 180 or abs(y) > 90:
                hint = " — looks like lon/lat are swapped" if abs(y) > 90 >= abs(x) else ""
                problems.append(
                    f"{where}: lon={x}, lat={y} is not a valid "
                    f"position{hint}; write [lon, lat] in decimal degrees."
                )
            else:
                if crs == "gcj02":
                    gx, gy = gcj02_to_wgs84(x, y)
                    x, y = float(gx), float(gy)
                if county is not None:
                    area, transformer = county
                    if not area.contains(Point(transformer.transform(x, y))):
                        swapped = abs(x) <= 90 and area.contains(Point(transformer.transform(y, x)))
                        if swapped:
                            problems.append(
                                f"{where}: lon={lonlat[0]}, lat={lonlat[1]} "
                                "lies outside the county but would be "
                                "inside with the two numbers exchanged — looks like lon/lat are swapped; "
                                "write longitude first."
                            )
                        else:
                            problems.append(
                                f"{where}: lon={lonlat[0]}, lat={lonlat[1]} is outside the county outline "
                                f"(by more than {fields.COUNTY_TOLERANCE_M:,.0f} "
                                "m); check the coordinates, their datum "
                                "(--crs gcj02 for AMap points) or the boundary used."
                            )
                geom = Point(x, y)
            if is_blank(precision):
                precision = "exact"
        record["precision"] = str(precision)
        if record["precision"] not in PRECISIONS:
            problems.append(
                f"{where}: precision {_short(precision)} is not known; use one of {', '.join(PRECISIONS)}."
            )
        if record["source"] is None:
            record["source"] = f"file {file.name}"
        report.problems.extend(problems)
        records.append(record)
        geoms.append(geom)

    if report.problems:
        return report
    frame = pd.DataFrame(records)
    for column in (*COUNT_FIELDS, "tier"):
        frame[column] = pd.array(frame[column].tolist(), dtype="Int64")
    report.facilities = gpd.GeoDataFrame(
        frame, geometry=gpd.GeoSeries(geoms, crs=settings.GEOGRAPHIC_CRS), crs=settings.GEOGRAPHIC_CRS
    )
    return report


def load_facilities(
    path: str | Path | None = None,
    *,
    crs: Literal["wgs84", "gcj02"] = "wgs84",
    boundary: gpd.GeoDataFrame | None = None,
    check_extent: bool = True,
    working_crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Read and check health facilities.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage or CSV (``lon``/``lat`` columns); ``None`` means the default.
    crs
        Datum of the coordinates, "wgs84" or "gcj02" (converted explicitly to WGS-84).
    boundary
        County outline for the location check; ``None`` means the embedded outline.
    check_extent
        Set False to skip the outline check.
    working_crs
        Projected CRS of the outline check; ``None`` means ``settings.WORKING_CRS``.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns of ``FACILITY_COLUMNS``; geometry is None where the location is
        unknown. Counts (``beds``, ``ambulances``, ...) and ``tier`` use pandas' nullable
        ``Int64`` so unknown stays unknown.

    Raises
    ------
    DataError
        A problem in the file; the message names the feature/row (all problems are listed
        by ``healthcircle validate PATH``).
    CRSError
        The file declares a CRS other than WGS-84.
    """
    from analysis.datasets import get_path

    file = Path(path) if path is not None else get_path("facilities")
    report = validate_facilities(
        file, crs=crs, boundary=boundary, check_extent=check_extent, working_crs=working_crs
    )
    if report.problems:
        more = len(report.problems) - 1
        tail = (
            f" (and {more} more problem(s); run `healthcircle validate {file}` to list them all)"
            if more
            else ""
        )
        msg = f"{file.name}: {report.problems[0]}{tail}"
        if report.crs_problem:
            raise CRSError(msg)
        raise DataError(msg)
    assert report.facilities is not None
    gdf = report.facilities
    logger.info(
        "facilities: %d read from %s (%d without location)",
        len(gdf),
        file.name,
        int(gdf.geometry.isna().sum()),
    )
    return gdf
