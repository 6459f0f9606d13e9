"""A county folder's public places (``places.geojson``): where an AED could be put and found.

Points in WGS-84 with ``id``, ``name``, ``amenity``, ``source`` and ``precision``; ``healthcircle init --osm``
writes them from the extract's schools, town halls, markets and community centres
(:func:`analysis.county_init.osm_places.public_places_from_osm`), and a planner may write their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np

from analysis import settings
from analysis.errors import DataError

if TYPE_CHECKING:
    import geopandas as gpd

#: File of a county folder with the public places.
PLACES_FILE: Final = "places.geojson"
#: Columns of a places layer (plus ``geometry``).
PLACE_COLUMNS: Final = ("id", "name", "amenity", "source", "precision")


def load_places(path: str | Path) -> gpd.GeoDataFrame | None:
    """Read a folder's public places, or None when the file does not exist.

    Parameters
    ----------
    path
        ``places.geojson``: Points in WGS-84, each with ``source`` and ``precision``.

    Returns
    -------
    geopandas.GeoDataFrame or None
        The places in EPSG:4326, with the columns of :data:`PLACE_COLUMNS` (missing names None).

    Raises
    ------
    DataError
        If the file cannot be read, holds something other than Points, or a place has no ``source`` or
        ``precision``.
    """
    import geopandas as gpd

    file = Path(path)
    if not file.is_file():
        return None
    try:
        gdf = gpd.read_file(file)
    except Exception as exc:  # GDAL raises many exception types for a broken file
        msg = f"cannot read {file.name}: {str(exc)[:120]}; write a GeoJSON FeatureCollection of Points"
        raise DataError(msg) from None
    if len(gdf) == 0:
        return gdf.set_crs(settings.GEOGRAPHIC_CRS, allow_override=True)
    gdf = gdf.set_crs(settings.GEOGRAPHIC_CRS) if gdf.crs is None else gdf.to_crs(settings.GEOGRAPHIC_CRS)
    bad = np.flatnonzero((gdf.geometry.isna() | (gdf.geom_type != "Point")).to_numpy())
    if bad.size:
        msg = (
            f"{file.name} feature {int(bad[0]) + 1} is not a Point; every public place is a point (lon, lat)"
        )
        raise DataError(msg)
    for column in ("source", "precision"):
        missing = np.flatnonzero(
            ~gdf[column].notna().to_numpy() if column in gdf else np.ones(len(gdf), dtype=bool)
        )
        if missing.size:
            row = int(missing[0]) + 1
            msg = f"{file.name} feature {row} has no {column!r}; say where each place comes from"
            raise DataError(msg)
    for column in PLACE_COLUMNS:
        if column not in gdf:
            gdf[column] = None
    return gdf[[*PLACE_COLUMNS, "geometry"]]
