"""Writing a folder's layers as GeoJSON (WGS-84) with properties kept as they are (unknown stays null)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely.geometry

from analysis import settings


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value


def write_layer(gdf: gpd.GeoDataFrame, path: Path, *, name: str) -> Path:
    """Write *gdf* as a GeoJSON FeatureCollection in EPSG:4326 (one feature per line, nulls kept).

    Parameters
    ----------
    gdf
        Layer with a CRS (not modified); rows without geometry are written with ``geometry: null``.
    path
        File to write.
    name
        The collection's ``name``.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    wgs = gdf.to_crs(settings.GEOGRAPHIC_CRS) if gdf.crs is not None else gdf
    props = wgs.drop(columns=wgs.geometry.name).to_dict(orient="records")
    lines = []
    for record, geom in zip(props, wgs.geometry, strict=True):
        feature = {
            "type": "Feature",
            "properties": {str(k): _plain(v) for k, v in record.items()},
            "geometry": None if geom is None or geom.is_empty else shapely.geometry.mapping(geom),
        }
        lines.append(json.dumps(feature, ensure_ascii=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    body = ",\n".join(lines)
    path.write_text(
        f'{{"type": "FeatureCollection", "name": "{name}", "features": [\n{body}\n]}}\n', encoding="utf-8"
    )
    return path
