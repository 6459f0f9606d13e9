"""Reading and writing a surface as GeoJSON; the *modelled* flag survives every round trip."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely.geometry

from analysis import settings
from analysis.errors import DataError
from analysis.population.surface import PopulationSurface

logger = logging.getLogger(__name__)


def _cell_number(value: Any, where: str, field: str) -> float:
    if isinstance(value, bool) or value is None:
        msg = f"{where}: {field} is {value!r}; write a number."
        raise DataError(msg)
    try:
        number = float(value)
    except (TypeError, ValueError):
        msg = f"{where}: {field} {value!r} is not a number; write digits only."
        raise DataError(msg) from None
    if not math.isfinite(number):
        msg = f"{where}: {field} is {value!r}; write a finite number."
        raise DataError(msg)
    return number


def load_population(path: str | Path | None = None) -> PopulationSurface:
    """Read a population surface written as GeoJSON (the format of ``data/population.geojson``).

    Parameters
    ----------
    path
        GeoJSON FeatureCollection of Polygon cells with a ``population`` property; ``None``
        means the embedded default.

    Returns
    -------
    PopulationSurface

    Raises
    ------
    DataError
        The file is empty, a cell is not a polygon, or a population is not a number or is
        negative (the message names the feature).
    """
    if path is None:
        from analysis.datasets import get_path

        path = get_path("population")
    from analysis.datasets.geojson import (
        check_geojson_crs,
        feature_list,
        read_json,
    )

    file = Path(path)
    if not file.exists():
        msg = (
            f"Population file {file} does not exist; build it with `healthcircle init {file.parent} "
            "--census TOWNS.csv` (or --raster FILE.tif, or --population-total N --from-buildings)."
        )
        raise DataError(msg)
    doc = read_json(file, "population")
    check_geojson_crs(doc, file)
    features = feature_list(doc, name=str(file), what="population cells")
    geoms: list[Any] = []
    rows: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    for i, feature in enumerate(features, start=1):
        props, geom = _read_cell(feature, where=f"{file.name} feature {i}", position=i, seen=seen)
        rows.append(props)
        geoms.append(geom)
    cells = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=settings.GEOGRAPHIC_CRS)
    cells["population"] = cells["population"].astype(np.float64)
    cells["cell_id"] = cells["cell_id"].astype(np.int64)
    first = rows[0]
    source = str(doc.get("source") or first.get("source") or f"file {file.name}")
    declared = doc.get("modelled")
    if declared is not None and not isinstance(declared, bool):
        msg = f"{file.name}: 'modelled' is {declared!r}; write true or false."
        raise DataError(msg)
    # the collection's own flag wins; older files say it per feature (precision "modelled")
    modelled = (
        declared if declared is not None else any(str(r.get("precision", "")) == "modelled" for r in rows)
    )
    if modelled and not source.startswith("modelled"):
        source = f"modelled: {doc.get('method') or first.get('method', '')}; {source}".strip()
    logger.info(
        "population surface with %d cells and %.0f people read from %s",
        len(cells),
        cells["population"].sum(),
        file.name,
    )
    return PopulationSurface(cells=cells, source=source, modelled=modelled)


def _read_cell(
    feature: Any, *, where: str, position: int, seen: dict[int, int]
) -> tuple[dict[str, Any], Any]:
    """One cell's properties (checked and typed) and polygon; *seen* maps ids to feature positions."""
    from analysis.datasets.geojson import feature_properties, parse_geometry
    from analysis.datasets.values import as_code, as_int_id

    props = feature_properties(feature, where=where)
    geometry = feature.get("geometry")
    if geometry is None:
        msg = f"{where}: geometry is None; a population cell must be a Polygon."
        raise DataError(msg)
    geom = parse_geometry(geometry, where=where, allowed=("Polygon", "MultiPolygon"), what="population cell")
    number = _cell_number(props.get("population"), where, "population")
    if number < 0:
        msg = f"{where}: population is {number:g}; populations cannot be negative."
        raise DataError(msg)
    props["population"] = number
    try:
        cell_id = as_int_id(props.get("cell_id", position - 1))
    except ValueError as exc:
        shown = "null" if props.get("cell_id") is None else repr(str(props.get("cell_id"))[:40])
        msg = f"{where}: cell_id {shown} {exc}; number the cells 0, 1, 2, ..."
        raise DataError(msg) from None
    if cell_id in seen:
        msg = f"{where}: cell_id {cell_id} is also used by feature {seen[cell_id]}; ids must be unique."
        raise DataError(msg)
    seen[cell_id] = position
    props["cell_id"] = cell_id
    try:
        props["town_code"] = as_code(props.get("town_code"))
    except ValueError as exc:
        msg = f"{where}: town_code {str(props.get('town_code'))[:40]!r} {exc}; write the code or null."
        raise DataError(msg) from None
    props.setdefault("method", "unknown")
    return props, geom


def save_population(surface: PopulationSurface, path: str | Path, *, method: str | None = None) -> Path:
    """Write a surface as GeoJSON that :func:`load_population` reads back unchanged.

    The collection carries ``source``, ``modelled`` and ``method``; each cell carries its own ``method``,
    ``source`` and ``precision`` (``modelled`` or ``count``), so the *modelled* flag survives every
    round trip and any tool that reads only the features still sees it.

    Parameters
    ----------
    surface
        The surface (not modified).
    path
        GeoJSON file to write; parent folders are created.
    method
        Plain-words method of the whole surface; default the first cell's ``method``.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    cells = surface.cells.to_crs(settings.GEOGRAPHIC_CRS)
    first_method = str(cells["method"].iloc[0]) if len(cells) and "method" in cells else ""
    precision = "modelled" if surface.modelled else "count"
    features = []
    for record, geom in zip(
        cells.drop(columns=cells.geometry.name).to_dict(orient="records"), cells.geometry, strict=True
    ):
        props = {k: (None if _missing(v) else _plain(v)) for k, v in record.items()}
        props["source"] = surface.source
        props["precision"] = precision
        features.append({"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)})
    doc = {
        "type": "FeatureCollection",
        "name": "population",
        "source": surface.source,
        "modelled": bool(surface.modelled),
        "method": method or first_method,
        "features": features,
    }
    file.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    logger.info("population surface with %d cells written to %s", len(cells), file)
    return file


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
