"""Load and validate the inputs: facilities, county outline, towns, population and facts.

Facilities are read from GeoJSON, GeoPackage or CSV (``lon``/``lat`` columns). Every check
reports what is wrong, where (feature or row number) and how to fix it. Coordinates are
WGS-84; files in the Chinese GCJ-02 datum (AMap, Tencent maps) are converted only when the
caller says so (``crs="gcj02"``).
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as PyprojCRSError
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from analysis import settings
from analysis.errors import CRSError, DataError, ParameterError
from analysis.population import PopulationSurface, load_population

logger = logging.getLogger(__name__)

#: Folder of the embedded default dataset (Jinjiang 晋江市).
DATA_DIR: Final[Path] = Path(__file__).resolve().parent.parent / "data"

#: Names accepted by :func:`get_path` and their files in :data:`DATA_DIR`.
DATASETS: Final[dict[str, str]] = {
    "facilities": "facilities.geojson",
    "boundary": "boundary.geojson",
    "towns": "towns.geojson",
    "population": "population.geojson",
    "facts": "facts.json",
}

#: Road graph of a data folder, relative to it: written by ``healthcircle network fetch`` and used
#: whenever present; without it travel times fall back to the straight-line estimate.
NETWORK_FILE: Final = "network/drive.graphml.gz"

FACILITY_KINDS: Final = (
    "hospital",
    "township_centre",
    "community_centre",
    "ems_centre",
    "ems_subcentre",
    "ems_station",
    "aed",
    "village_clinic",
)
EMS_KINDS: Final = ("ems_centre", "ems_subcentre", "ems_station")
PRECISIONS: Final = ("exact", "address", "town_seat", "town", "unknown")
STATUSES: Final = ("open", "planned")
COUNT_FIELDS: Final = ("beds", "ambulances", "negative_pressure_ambulances")
FACILITY_COLUMNS: Final = (
    "id",
    "name_zh",
    "name_en",
    "kind",
    "tier",
    "community",
    "town_code",
    "beds",
    "ambulances",
    "negative_pressure_ambulances",
    "status",
    "opens",
    "source",
    "precision",
    "note",
)

#: How far outside the county outline a facility may lie, metres: the outline follows the
#: coast loosely and a hospital may sit just across the line.
COUNTY_TOLERANCE_M: float = 2000.0

#: Column pairs recognised as longitude/latitude in CSV files.
LONLAT_COLUMNS: Final = (("lon", "lat"), ("lng", "lat"), ("longitude", "latitude"), ("x", "y"))

_WGS84 = CRS.from_epsg(4326)

# --- GCJ-02 --------------------------------------------------------------------------------
# The published GCJ-02 forward formula (Krasovsky ellipsoid constants). The inverse has no
# closed form; it is solved by fixed-point iteration to well under a millimetre.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
_GCJ_TOLERANCE_DEG = 1e-10
_GCJ_MAX_ITER = 30


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    pi = math.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx
    dlat = dlat + common
    dlat = dlat + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat = dlat + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx
    dlon = dlon + common
    dlon = dlon + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon = dlon + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _GCJ_EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrtmagic * np.cos(radlat) * pi)
    return dlon, dlat


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def wgs84_to_gcj02(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 longitude/latitude to GCJ-02 (the datum of AMap and Tencent maps).

    Points outside mainland China's bounding box are returned unchanged, as the datum does.

    Parameters
    ----------
    lon, lat
        Degrees; scalars or arrays of the same shape.

    Returns
    -------
    tuple of numpy.ndarray
        (lon, lat) in GCJ-02 degrees.
    """
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    dlon, dlat = _gcj_delta(x, y)
    inside = _in_china(x, y)
    return np.where(inside, x + dlon, x), np.where(inside, y + dlat, y)


def gcj02_to_wgs84(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude/latitude to WGS-84 by iterating the forward transform.

    The result maps back onto the input within 1e-10 degrees (about 0.01 mm).

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees; scalars or arrays of the same shape.

    Returns
    -------
    tuple of numpy.ndarray
        (lon, lat) in WGS-84 degrees.
    """
    gx = np.asarray(lon, dtype=np.float64)
    gy = np.asarray(lat, dtype=np.float64)
    wx, wy = gx.copy(), gy.copy()
    for _ in range(_GCJ_MAX_ITER):
        fx, fy = wgs84_to_gcj02(wx, wy)
        ex, ey = gx - fx, gy - fy
        wx, wy = wx + ex, wy + ey
        if np.all(np.abs(ex[np.isfinite(ex)]) < _GCJ_TOLERANCE_DEG) and np.all(
            np.abs(ey[np.isfinite(ey)]) < _GCJ_TOLERANCE_DEG
        ):
            break
    return wx, wy


# --- paths and simple loaders ---------------------------------------------------------------
def get_path(name: str) -> Path:
    """Path of an embedded dataset.

    Parameters
    ----------
    name
        One of ``DATASETS``: "facilities", "boundary", "towns", "population", "facts".

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ParameterError
        *name* is not a known dataset.
    """
    if name not in DATASETS:
        msg = f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}."
        raise ParameterError(msg)
    return DATA_DIR / DATASETS[name]


def network_path(data_dir: Path | None = None) -> Path | None:
    """The road graph of a data folder, or ``None`` when it has none.

    Parameters
    ----------
    data_dir
        Folder laid out like ``data/``; default the embedded data.

    Returns
    -------
    pathlib.Path or None
        ``data_dir / NETWORK_FILE`` when that file exists.
    """
    path = (DATA_DIR if data_dir is None else Path(data_dir)) / NETWORK_FILE
    return path if path.is_file() else None


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
        The document declares another CRS.
    """
    if not isinstance(doc, dict) or not doc.get("crs"):
        return
    declared = doc["crs"]
    name = declared.get("properties", {}).get("name") if isinstance(declared, dict) else None
    try:
        crs = CRS.from_user_input(name)
    except (PyprojCRSError, TypeError):
        msg = f"{path} declares a CRS that cannot be read ({declared!r}); GeoJSON must be WGS-84 (lon/lat)."
        raise CRSError(msg) from None
    if not crs.equals(_WGS84, ignore_axis_order=True):
        msg = (
            f"{path} is in {name}, not WGS-84. Reproject it to WGS-84 lon/lat (EPSG:4326), e.g. "
            f"`ogr2ogr -t_srs EPSG:4326 out.geojson {Path(path).name}`; "
            "for GCJ-02 (AMap) coordinates pass crs='gcj02'."
        )
        raise CRSError(msg)


def _read_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = (
            f"{what} file {path} does not exist; check the path, or build the county folder with "
            f"`healthcircle init {path.parent}` (see README, Using your own county)."
        )
        raise DataError(msg) from None
    if not text.strip():
        msg = f"{path} is empty; it should hold a GeoJSON FeatureCollection ({what})."
        raise DataError(msg)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        msg = (
            f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); fix the syntax."
        )
        raise DataError(msg) from None


def _read_layer(path: Path, what: str, allowed: tuple[str, ...], *, allow_null: bool) -> gpd.GeoDataFrame:
    """Read a GeoJSON layer with properties kept as written (ints stay ints, nulls stay None)."""
    doc = _read_json(path, what)
    check_geojson_crs(doc, path)
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or not features:
        msg = f"{path} has no features; it should be a FeatureCollection with the {what}."
        raise DataError(msg)
    rows: list[dict[str, Any]] = []
    geoms: list[BaseGeometry | None] = []
    for i, feature in enumerate(features, start=1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if geometry is None:
            if not allow_null:
                msg = (
                    f"{path.name} feature {i} has no geometry; the {what} needs one of {', '.join(allowed)}."
                )
                raise DataError(msg)
            geoms.append(None)
        else:
            if geometry.get("type") not in allowed:
                msg = (
                    f"{path.name} feature {i} is a {geometry.get('type')}; "
                    f"the {what} needs {' or '.join(allowed)}."
                )
                raise DataError(msg)
            geoms.append(shape(geometry))
        rows.append(dict(feature.get("properties") or {}))
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return gpd.GeoDataFrame(
        frame, geometry=gpd.GeoSeries(geoms, crs=settings.GEOGRAPHIC_CRS), crs=settings.GEOGRAPHIC_CRS
    )


def load_boundary(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """Read the county outline.

    Parameters
    ----------
    path
        GeoJSON with (Multi)Polygon features in WGS-84; ``None`` means the embedded default.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326.

    Raises
    ------
    DataError
        Empty file or a geometry that is not a polygon.
    CRSError
        The file declares a CRS other than WGS-84.
    """
    file = Path(path) if path is not None else get_path("boundary")
    gdf = _read_layer(file, "county outline", ("Polygon", "MultiPolygon"), allow_null=False)
    logger.info("boundary with %d polygon feature(s) read from %s", len(gdf), file.name)
    return gdf


def load_towns(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """Read the town table with (approximate) town areas.

    Parameters
    ----------
    path
        GeoJSON; towns without a known area have null geometry. ``None`` means the default.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, one row per town, ``town_code`` as str.

    Raises
    ------
    DataError
        Empty file, wrong geometry type, or a missing/duplicate ``town_code``.
    CRSError
        The file declares a CRS other than WGS-84.
    """
    file = Path(path) if path is not None else get_path("towns")
    gdf = _read_layer(file, "towns", ("Polygon", "MultiPolygon"), allow_null=True)
    if "town_code" not in gdf.columns:
        msg = f"{file} has no 'town_code' property; give every town its code."
        raise DataError(msg)
    codes = gdf["town_code"]
    for i, code in enumerate(codes, start=1):
        if code is None or str(code).strip() == "":
            msg = f"{file.name} feature {i} has no town_code; fill it in."
            raise DataError(msg)
    gdf["town_code"] = codes.astype(str)
    dupes = sorted({c for c, n in Counter(gdf["town_code"]).items() if n > 1})
    if dupes:
        msg = f"{file.name}: town_code {', '.join(dupes)} appears more than once; keep one row per town."
        raise DataError(msg)
    if "census_2020" in gdf.columns:
        gdf["census_2020"] = pd.array(gdf["census_2020"].tolist(), dtype="Int64")
    logger.info(
        "towns: %d rows (%d with an area) read from %s", len(gdf), int(gdf.geometry.notna().sum()), file.name
    )
    return gdf


def load_facts(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """Read reported figures without locations (census totals, AED counts, ...).

    Parameters
    ----------
    path
        ``facts.json`` (see ``analysis/facts.schema.json``); ``None`` means the default.

    Returns
    -------
    dict
        Facts keyed by ``id``; empty for ``{}``.

    Raises
    ------
    DataError
        The file does not fit the schema (the message names the entry and key), or an id repeats.
    """
    from analysis.facts import load_facts as read_facts

    return read_facts(Path(path) if path is not None else get_path("facts"))


def to_working_crs(gdf: gpd.GeoDataFrame, crs: str | None = None) -> gpd.GeoDataFrame:
    """Project a layer to the working (metric) CRS.

    Parameters
    ----------
    gdf
        Layer with a CRS; it is not modified.
    crs
        Target; ``None`` means ``settings.WORKING_CRS``.

    Returns
    -------
    geopandas.GeoDataFrame
        A projected copy.

    Raises
    ------
    CRSError
        *gdf* has no CRS.
    """
    if gdf.crs is None:
        msg = "The layer has no CRS; declare it first (e.g. gdf.set_crs('EPSG:4326')) before projecting."
        raise CRSError(msg)
    return gdf.to_crs(crs or settings.WORKING_CRS)


# --- facility validation ---------------------------------------------------------------------
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
    """

    path: Path
    problems: list[str] = field(default_factory=list)
    facilities: gpd.GeoDataFrame | None = None
    crs_problem: bool = False

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


_Row = tuple[str, dict[str, Any], tuple[float, float] | None]


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _as_count(value: Any) -> int | None:
    """A whole non-negative number or None; raise ValueError with a reason otherwise."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError("is true/false")
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError("is not a number") from None
    else:
        raise ValueError("is not a number")
    if not math.isfinite(number) or number != int(number):
        raise ValueError("is not a whole number")
    if number < 0:
        raise ValueError("is negative")
    return int(number)


def _rows_from_geojson(path: Path, report: ValidationReport) -> list[_Row]:
    try:
        doc = _read_json(path, "facilities")
    except DataError as exc:
        report.problems.append(str(exc))
        return []
    try:
        check_geojson_crs(doc, path)
    except CRSError as exc:
        report.problems.append(str(exc))
        report.crs_problem = True
        return []
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        features: Any = [doc]
    else:
        features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        report.problems.append(
            f"{path} is not a GeoJSON FeatureCollection; put the facilities in 'features'."
        )
        return []
    rows: list[_Row] = []
    for i, feature in enumerate(features, start=1):
        label = f"feature {i}"
        if not isinstance(feature, dict):
            report.problems.append(f"{label} is not a GeoJSON Feature object; fix its syntax.")
            continue
        props = dict(feature.get("properties") or {})
        geometry = feature.get("geometry")
        lonlat: tuple[float, float] | None = None
        if geometry is not None:
            gtype = geometry.get("type") if isinstance(geometry, dict) else None
            if gtype != "Point":
                report.problems.append(
                    f"{label} ({props.get('id', 'no id')}): geometry "
                    f"is a {gtype}, but a facility must be a Point "
                    "(or null when the location is unknown); use the building's point."
                )
                continue
            coords = geometry.get("coordinates") or []
            if len(coords) < 2:
                report.problems.append(
                    f"{label} ({props.get('id', 'no id')}): Point has no coordinates; give [lon, lat]."
                )
                continue
            try:
                lonlat = (float(coords[0]), float(coords[1]))
            except (TypeError, ValueError):
                report.problems.append(
                    f"{label} ({props.get('id', 'no id')}): coordinates {coords!r} are not numbers."
                )
                continue
        rows.append((label, props, lonlat))
    return rows


def _rows_from_csv(path: Path, report: ValidationReport) -> list[_Row]:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        report.problems.append(
            f"{path} is empty; write a header row (id,name_zh,kind,lon,lat,...) and one row per facility."
        )
        return []
    except pd.errors.ParserError as exc:
        report.problems.append(f"{path} is not a readable CSV ({exc}); check quotes and separators.")
        return []
    columns = {c.strip().lower(): c for c in table.columns}
    pair = next(((columns[a], columns[b]) for a, b in LONLAT_COLUMNS if a in columns and b in columns), None)
    if pair is None:
        report.problems.append(
            f"{path} has no longitude/latitude columns; name them "
            "'lon' and 'lat' (leave both empty where unknown)."
        )
        return []
    rows: list[_Row] = []
    for i, record in enumerate(table.to_dict(orient="records"), start=1):
        label = f"row {i} (line {i + 1})"
        lon_text, lat_text = str(record.pop(pair[0])).strip(), str(record.pop(pair[1])).strip()
        props = {str(k): (None if str(v).strip() == "" else v) for k, v in record.items()}
        if not lon_text and not lat_text:
            rows.append((label, props, None))
            continue
        try:
            rows.append((label, props, (float(lon_text), float(lat_text))))
        except ValueError:
            report.problems.append(
                f"{label} ({props.get('id', 'no id')}): lon/lat {lon_text!r}, {lat_text!r} are not numbers; "
                "write decimal degrees, or leave both empty if the location is unknown."
            )
    return rows


def _rows_from_gpkg(path: Path, report: ValidationReport) -> list[_Row]:
    gdf = gpd.read_file(path)
    if gdf.crs is not None and not CRS.from_user_input(gdf.crs).equals(_WGS84, ignore_axis_order=True):
        report.problems.append(
            f"{path} is in {gdf.crs.to_string()}, not WGS-84; reproject it to EPSG:4326 "
            "(e.g. `ogr2ogr -t_srs EPSG:4326 out.gpkg in.gpkg`)."
        )
        report.crs_problem = True
        return []
    rows: list[_Row] = []
    for i, (_, record) in enumerate(gdf.iterrows(), start=1):
        label = f"feature {i}"
        props = {k: (None if _blank(v) else v) for k, v in record.items() if k != gdf.geometry.name}
        geom = record[gdf.geometry.name]
        if geom is None or geom.is_empty:
            rows.append((label, props, None))
        elif geom.geom_type != "Point":
            report.problems.append(
                f"{label} ({props.get('id', 'no id')}): geometry is "
                f"a {geom.geom_type}, but a facility must be a Point."
            )
        else:
            rows.append((label, props, (float(geom.x), float(geom.y))))
    return rows


def _county_area(boundary: gpd.GeoDataFrame, crs: str | None = None) -> tuple[BaseGeometry, Transformer]:
    work_crs = crs or settings.WORKING_CRS
    outline = to_working_crs(boundary, work_crs).geometry
    area = shapely.union_all(outline[outline.notna()].to_numpy()).buffer(COUNTY_TOLERANCE_M)
    shapely.prepare(area)
    transformer = Transformer.from_crs(settings.GEOGRAPHIC_CRS, work_crs, always_xy=True)
    return area, transformer


def _default_boundary() -> gpd.GeoDataFrame | None:
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
    if suffix in (".geojson", ".json"):
        rows = _rows_from_geojson(file, report)
    elif suffix == ".csv":
        rows = _rows_from_csv(file, report)
    elif suffix == ".gpkg":
        rows = _rows_from_gpkg(file, report)
    else:
        msg = f"Unsupported facility file type {suffix!r} ({file}); use .geojson, .gpkg or .csv."
        raise ParameterError(msg)
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
        fid = props.get("id")
        name = props.get("name_zh") or props.get("name_en") or ""
        where = f"{label} ({fid})" if not _blank(fid) else f"{label} ({name or 'no name'})"
        problems: list[str] = []
        if _blank(fid):
            problems.append(f"{where}: 'id' is missing; give every facility a unique id, e.g. 'hosp-1'.")
        else:
            fid = str(fid).strip()
            if fid in ids:
                problems.append(f"{where}: id {fid!r} is already used by {ids[fid]}; ids must be unique.")
            else:
                ids[fid] = label
        kind = props.get("kind")
        if _blank(kind) or str(kind).strip() not in FACILITY_KINDS:
            problems.append(f"{where}: kind {kind!r} is not known; use one of {', '.join(FACILITY_KINDS)}.")
        record: dict[str, Any] = {c: props.get(c) for c in FACILITY_COLUMNS}
        record.update({k: v for k, v in props.items() if k not in record})
        record["id"] = None if _blank(fid) else str(fid)
        for column in COUNT_FIELDS:
            try:
                record[column] = _as_count(props.get(column))
            except ValueError as exc:
                problems.append(
                    f"{where}: {column} {props.get(column)!r} {exc}; "
                    f"write a whole number of {column.replace('_', ' ')}, "
                    "or leave it empty if unknown."
                )
        try:
            record["tier"] = _as_count(props.get("tier"))
        except ValueError as exc:
            problems.append(f"{where}: tier {props.get('tier')!r} {exc}; use 1-4 or leave it empty.")
        status = props.get("status")
        record["status"] = "open" if _blank(status) else str(status).strip()
        if record["status"] not in STATUSES:
            problems.append(f"{where}: status {status!r} is not known; use 'open' or 'planned'.")
        if not _blank(props.get("town_code")):
            code = props["town_code"]
            record["town_code"] = str(int(code)) if isinstance(code, int | float) else str(code).strip()
        for column in ("name_zh", "name_en", "community", "opens", "source", "note"):
            value = props.get(column)
            record[column] = None if _blank(value) else str(value)

        geom: BaseGeometry | None = None
        precision = props.get("precision")
        if lonlat is None:
            if _blank(precision):
                precision = "unknown"
            elif str(precision) != "unknown":
                problems.append(
                    f"{where}: no coordinates but precision {precision!r}; "
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
                                f"(by more than {COUNTY_TOLERANCE_M:,.0f} "
                                "m); check the coordinates, their datum "
                                "(--crs gcj02 for AMap points) or the boundary used."
                            )
                geom = Point(x, y)
            if _blank(precision):
                precision = "exact"
        record["precision"] = str(precision)
        if record["precision"] not in PRECISIONS:
            problems.append(
                f"{where}: precision {precision!r} is not known; use one of {', '.join(PRECISIONS)}."
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


# --- everything at once ---------------------------------------------------------------------
@dataclass(frozen=True)
class Inputs:
    """All inputs of a coverage run.

    Attributes
    ----------
    facilities
        Facilities, EPSG:4326 (geometry None where unknown).
    boundary
        County outline, EPSG:4326.
    towns
        Towns (geometry None where unknown), EPSG:4326.
    population
        Population surface.
    facts
        Reported figures keyed by id.
    """

    facilities: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame
    towns: gpd.GeoDataFrame
    population: PopulationSurface
    facts: dict[str, dict[str, Any]]


def load_inputs(data_dir: Path | None = None) -> Inputs:
    """Read every input from a folder laid out like ``data/``.

    Parameters
    ----------
    data_dir
        Folder with facilities.geojson, boundary.geojson, towns.geojson, population.geojson
        and facts.json; ``None`` means the embedded Jinjiang default.

    Returns
    -------
    Inputs

    Raises
    ------
    DataError
        A file is missing or malformed.
    """
    folder = Path(data_dir) if data_dir is not None else DATA_DIR
    boundary = load_boundary(folder / DATASETS["boundary"])
    return Inputs(
        facilities=load_facilities(folder / DATASETS["facilities"], boundary=boundary),
        boundary=boundary,
        towns=load_towns(folder / DATASETS["towns"]),
        population=load_population(folder / DATASETS["population"]),
        facts=load_facts(folder / DATASETS["facts"]),
    )
