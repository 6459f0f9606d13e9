"""Public places that could host an AED, from an OpenStreetMap extract (a folder's ``places.geojson``).

Schools, town halls, markets and community centres (``settings.AED_PLACE_AMENITIES``) are where a public
AED is put and found; a place drawn as an area stands at a point inside it. Every place keeps its OSM
element as ``source`` and a ``precision``; nothing is made up where the data has no place.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis import settings
from analysis.datasets.places import PLACE_COLUMNS
from analysis.errors import DataError

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)


def _inside_point(shape: Any) -> Any:
    """The centroid of a place's outline when it lies inside, else a point inside it."""
    centre = shape.centroid
    if shape.geom_type == "MultiPoint" or centre.within(shape):
        return centre
    return shape.representative_point()


def public_places_from_osm(
    path: str | Path, *, amenities: tuple[str, ...] | None = None, outline: Any | None = None
) -> gpd.GeoDataFrame:
    """Public places of an OpenStreetMap extract: nodes, and areas at a point inside them.

    Parameters
    ----------
    path
        ``.osm`` / ``.osm.pbf`` file.
    amenities
        ``amenity`` values kept; ``settings.AED_PLACE_AMENITIES`` when None.
    outline
        (Multi)Polygon in EPSG:4326; places outside it are left out.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:4326, sorted by ``id`` (``osm-node-123``, ``osm-way-45``), with ``name``,
        ``amenity``, ``source`` (the OSM element and licence) and ``precision`` (exact).

    Raises
    ------
    DataError
        If the file is missing or cannot be read as an OSM extract.
    """
    import geopandas as gpd
    import osmium
    import osmium.geom
    import pandas as pd
    import shapely
    import shapely.wkb

    from analysis.county_init.osm import OSM_ATTRIBUTION

    file = Path(path)
    if not file.is_file():
        msg = f"OSM extract {file} does not exist; give the path of an .osm.pbf or .osm file."
        raise DataError(msg)
    wanted = set(settings.AED_PLACE_AMENITIES if amenities is None else amenities)
    wkb = osmium.geom.WKBFactory()
    records: list[dict[str, Any]] = []
    geoms: list[Any] = []
    try:
        for obj in osmium.FileProcessor(str(file)).with_locations().with_areas():
            if isinstance(obj, osmium.osm.Relation | osmium.osm.Changeset):
                continue  # multipolygon relations come back as areas
            if isinstance(obj, osmium.osm.Area) and obj.from_way():
                continue  # read as the way itself, which also works when the extract cut the outline
            amenity = obj.tags.get("amenity")
            if amenity not in wanted:
                continue
            if isinstance(obj, osmium.osm.Node):
                if not obj.location.valid():
                    continue
                geom = shapely.Point(obj.location.lon, obj.location.lat)
                element = f"node {obj.id}"
            elif isinstance(obj, osmium.osm.Way):
                coords = [(n.location.lon, n.location.lat) for n in obj.nodes if n.location.valid()]
                if not coords:
                    continue
                shape: Any = shapely.Polygon(coords) if len(coords) >= 4 and obj.is_closed() else None
                if shape is None or not shape.is_valid:
                    shape = shapely.MultiPoint(coords)
                geom = _inside_point(shape)
                element = f"way {obj.id}"
            else:
                try:
                    shape = shapely.wkb.loads(bytes.fromhex(wkb.create_multipolygon(obj)))
                except RuntimeError:
                    continue  # broken ring in the extract
                geom = _inside_point(shape)
                element = f"relation {obj.orig_id()}"
            records.append(
                {
                    "id": f"osm-{element.replace(' ', '-')}",
                    "name": obj.tags.get("name:zh") or obj.tags.get("name"),
                    "amenity": amenity,
                    "source": f"OpenStreetMap {element} ({OSM_ATTRIBUTION})",
                    "precision": "exact",
                }
            )
            geoms.append(geom)
    except RuntimeError as exc:
        msg = f"{file} cannot be read as an OSM extract ({exc}); give an .osm.pbf or .osm file."
        raise DataError(msg) from None
    gdf = gpd.GeoDataFrame(
        pd.DataFrame(records, columns=list(PLACE_COLUMNS)),
        geometry=gpd.GeoSeries(geoms, crs=settings.GEOGRAPHIC_CRS),
        crs=settings.GEOGRAPHIC_CRS,
    )
    if outline is not None and len(gdf):
        gdf = gdf[gdf.geometry.within(outline)]
    gdf = gdf.sort_values("id", kind="stable").reset_index(drop=True)
    logger.info("%d public places (%s) in %s", len(gdf), ", ".join(sorted(wanted)), file.name)
    return gdf
