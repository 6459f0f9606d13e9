"""The county outline, the town table and the reported facts."""

from __future__ import annotations

import logging
import math
from collections import Counter
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from analysis import settings
from analysis.datasets.geojson import (
    check_geojson_crs,
    feature_list,
    feature_properties,
    parse_geometry,
    read_json,
)
from analysis.datasets.values import as_code, as_count
from analysis.errors import DataError

logger = logging.getLogger(__name__)


def _default(name: str) -> Path:
    from analysis.datasets import get_path

    return get_path(name)


def read_features(
    path: Path, what: str, allowed: tuple[str, ...], *, allow_null: bool
) -> tuple[list[dict[str, Any]], list[BaseGeometry | None]]:
    """Properties (as written: ints stay ints, nulls stay None) and geometries of a GeoJSON layer.

    Raises
    ------
    DataError
        Unreadable file, no features, or a feature that is not an object, has non-object
        properties or a geometry that is missing (unless *allow_null*) or broken.
    CRSError
        The file declares a CRS other than WGS-84.
    """
    doc = read_json(path, what)
    check_geojson_crs(doc, path)
    features = feature_list(doc, name=str(path), what=what)
    rows: list[dict[str, Any]] = []
    geoms: list[BaseGeometry | None] = []
    for i, feature in enumerate(features, start=1):
        where = f"{path.name} feature {i}"
        props = feature_properties(feature, where=where)
        geometry = feature.get("geometry")
        if geometry is None:
            if not allow_null:
                msg = f"{where} has no geometry; the {what} needs one of {', '.join(allowed)}."
                raise DataError(msg)
            geoms.append(None)
        else:
            geoms.append(parse_geometry(geometry, where=where, allowed=allowed, what=what))
        rows.append(props)
    return rows, geoms


def _frame(rows: list[dict[str, Any]], geoms: list[BaseGeometry | None]) -> gpd.GeoDataFrame:
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
    file = Path(path) if path is not None else _default("boundary")
    rows, geoms = read_features(file, "county outline", ("Polygon", "MultiPolygon"), allow_null=False)
    gdf = _frame(rows, geoms)
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
        Empty file, wrong geometry type, a missing, null, non-finite or duplicate ``town_code``,
        or a ``census_2020`` that is not a whole number (the message names the feature).
    CRSError
        The file declares a CRS other than WGS-84.
    """
    file = Path(path) if path is not None else _default("towns")
    rows, geoms = read_features(file, "towns", ("Polygon", "MultiPolygon"), allow_null=True)
    if not any("town_code" in row for row in rows):
        msg = f"{file} has no 'town_code' property; give every town its code."
        raise DataError(msg)
    for i, row in enumerate(rows, start=1):
        where = f"{file.name} feature {i}"
        try:
            code = as_code(row.get("town_code"))
        except ValueError as exc:
            msg = f"{where}: town_code {str(row.get('town_code'))[:40]!r} {exc}; write the town's code."
            raise DataError(msg) from None
        if code is None:
            msg = f"{where} has no town_code (it is missing or null); fill it in."
            raise DataError(msg)
        row["town_code"] = code
        if "census_2020" in row:
            try:
                row["census_2020"] = as_count(row["census_2020"])
            except ValueError as exc:
                msg = (
                    f"{where}: census_2020 {str(row['census_2020'])[:40]!r} {exc}; "
                    "write the census population as a whole number, or null if unknown."
                )
                raise DataError(msg) from None
    dupes = sorted({c for c, n in Counter(row["town_code"] for row in rows).items() if n > 1})
    if dupes:
        msg = f"{file.name}: town_code {', '.join(dupes)} appears more than once; keep one row per town."
        raise DataError(msg)
    gdf = _frame(rows, geoms)
    gdf["town_code"] = gdf["town_code"].astype(str)
    if "census_2020" in gdf.columns:
        gdf["census_2020"] = pd.array(
            [
                None if v is None or (isinstance(v, float) and math.isnan(v)) else v
                for v in gdf["census_2020"]
            ],
            dtype="Int64",
        )
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

    return read_facts(Path(path) if path is not None else _default("facts"))
