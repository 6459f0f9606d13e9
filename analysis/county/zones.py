"""The working CRS a county gets when its manifest names none: the UTM zone of its outline."""

from __future__ import annotations

import math

import geopandas as gpd
import shapely

from analysis import settings
from analysis.errors import CRSError, DataError


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
