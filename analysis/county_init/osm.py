"""Health facilities and building footprints from an OpenStreetMap extract (``.osm.pbf`` or ``.osm``).

Facilities are mapped to our kinds by :data:`OSM_KIND_TABLE` (the first matching row wins); every facility
keeps its OSM element as ``source`` (e.g. ``OpenStreetMap node 123``) and ``precision: exact``. Tags that
name no kind the plan counts (pharmacies, dentists, laboratories, ...) are skipped and counted.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import pandas as pd
import shapely
import shapely.wkb

from analysis import settings
from analysis.errors import DataError

logger = logging.getLogger(__name__)

#: (OSM key, value, our kind, why): the table that turns OSM tags into facility kinds, first match wins.
#: OSM does not tell a township health centre (乡镇卫生院) from a community health centre (社区卫生服务中心),
#: so every clinic is a ``community_centre``; a single doctor's practice is the tier of a village clinic.
OSM_KIND_TABLE: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("amenity", "hospital", "hospital", "hospital"),
    ("healthcare", "hospital", "hospital", "hospital"),
    ("emergency", "ambulance_station", "ems_station", "ambulance station (120 station)"),
    ("healthcare", "ambulance_station", "ems_station", "ambulance station (120 station)"),
    ("emergency", "defibrillator", "aed", "public defibrillator (AED)"),
    ("amenity", "clinic", "community_centre", "clinic / primary-care centre"),
    ("healthcare", "clinic", "community_centre", "clinic / primary-care centre"),
    ("healthcare", "centre", "community_centre", "primary-care centre"),
    ("amenity", "doctors", "village_clinic", "doctor's practice (the village-clinic tier)"),
    ("healthcare", "doctor", "village_clinic", "doctor's practice (the village-clinic tier)"),
)

#: The OSM keys that make an element a health-facility candidate.
_FACILITY_KEYS: Final = ("amenity", "healthcare", "emergency")
#: Licence line every OSM-derived record carries.
OSM_ATTRIBUTION: Final = "© OpenStreetMap contributors, ODbL 1.0"


def osm_kind(tags: dict[str, str]) -> str | None:
    """Our facility kind for a set of OSM tags, or ``None`` when no row of :data:`OSM_KIND_TABLE` matches."""
    for key, value, kind, _ in OSM_KIND_TABLE:
        if tags.get(key) == value:
            return kind
    return None


@dataclass
class OsmHealth:
    """What an extract holds: facilities mapped to kinds, and what was skipped."""

    facilities: gpd.GeoDataFrame
    skipped: Counter[str] = field(default_factory=Counter)


def _check(path: Path) -> None:
    if not path.is_file():
        msg = f"OSM extract {path} does not exist; give the path of an .osm.pbf or .osm file."
        raise DataError(msg)


def _beds(tags: dict[str, str]) -> int | None:
    text = tags.get("beds", "").strip()
    return int(text) if text.isdigit() else None


def facilities_from_osm(
    path: str | Path,
    *,
    outline: Any | None = None,
    progress: Callable[[int], None] | None = None,
) -> OsmHealth:
    """Health facilities of an OSM extract (nodes, and closed ways or multipolygons at their centroid).

    Parameters
    ----------
    path
        ``.osm.pbf`` or ``.osm``.
    outline
        (Multi)Polygon in EPSG:4326; facilities outside it are left out.
    progress
        Called with the number of OSM objects read so far, every 10,000 objects.

    Returns
    -------
    OsmHealth
        Facilities in EPSG:4326 with ``id`` (``osm-node-123``), ``name_zh``, ``name_en``, ``kind``,
        ``status`` (open), ``beds`` (when tagged), ``source`` (the OSM element) and ``precision`` (exact).

    Raises
    ------
    DataError
        The file is missing or not an OSM file.
    """
    import osmium
    import osmium.geom

    file = Path(path)
    _check(file)
    wkb = osmium.geom.WKBFactory()
    records: list[dict[str, Any]] = []
    geoms: list[Any] = []
    skipped: Counter[str] = Counter()
    try:
        processor = osmium.FileProcessor(str(file)).with_areas()
        for n, obj in enumerate(processor, start=1):
            if progress is not None and n % 10_000 == 0:
                progress(n)
            if isinstance(obj, osmium.osm.Way | osmium.osm.Relation):
                continue  # closed ways and multipolygons come back as areas
            tags = {t.k: t.v for t in obj.tags}
            if not any(k in tags for k in _FACILITY_KEYS):
                continue
            kind = osm_kind(tags)
            if kind is None:
                for key in ("healthcare",):
                    if key in tags:
                        skipped[f"{key}={tags[key]}"] += 1
                continue
            if isinstance(obj, osmium.osm.Changeset):
                continue
            if isinstance(obj, osmium.osm.Node):
                if not obj.location.valid():
                    continue
                geom = shapely.Point(obj.location.lon, obj.location.lat)
                element = f"node {obj.id}"
            else:
                try:
                    shape = shapely.wkb.loads(bytes.fromhex(wkb.create_multipolygon(obj)))
                except RuntimeError:
                    continue  # broken ring in the extract
                geom = shape.representative_point() if not shape.centroid.within(shape) else shape.centroid
                element = f"{'way' if obj.from_way() else 'relation'} {obj.orig_id()}"
            records.append(
                {
                    "id": f"osm-{element.replace(' ', '-')}",
                    "name_zh": tags.get("name:zh") or tags.get("name"),
                    "name_en": tags.get("name:en") or tags.get("name"),
                    "kind": kind,
                    "status": "open",
                    "beds": _beds(tags),
                    "source": f"OpenStreetMap {element} ({OSM_ATTRIBUTION})",
                    "precision": "exact",
                }
            )
            geoms.append(geom)
    except RuntimeError as exc:
        msg = f"{file} cannot be read as an OSM extract ({exc}); give an .osm.pbf or .osm file."
        raise DataError(msg) from None
    gdf = gpd.GeoDataFrame(
        pd.DataFrame(
            records, columns=["id", "name_zh", "name_en", "kind", "status", "beds", "source", "precision"]
        ),
        geometry=gpd.GeoSeries(geoms, crs=settings.GEOGRAPHIC_CRS),
        crs=settings.GEOGRAPHIC_CRS,
    )
    if outline is not None and len(gdf):
        gdf = gdf[gdf.geometry.within(outline)].reset_index(drop=True)
    gdf = gdf.sort_values("id", kind="stable").reset_index(drop=True)
    logger.info(
        "OSM health facilities: %d from %s (%d health objects of other kinds skipped)",
        len(gdf),
        file.name,
        sum(skipped.values()),
    )
    return OsmHealth(facilities=gdf, skipped=skipped)


def buildings_from_osm(
    path: str | Path, *, outline: Any, progress: Callable[[int], None] | None = None
) -> gpd.GeoDataFrame:
    """Building footprints (``building=*`` closed ways and multipolygons) touching an outline.

    Parameters
    ----------
    path
        ``.osm.pbf`` or ``.osm``.
    outline
        (Multi)Polygon in EPSG:4326.
    progress
        Called with the number of OSM objects read so far, every 10,000 objects.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 polygons with ``osm_id`` (``way 123``) and ``building`` (its value).

    Raises
    ------
    DataError
        The file is missing or not an OSM file.
    """
    import osmium
    import osmium.geom

    file = Path(path)
    _check(file)
    wkb = osmium.geom.WKBFactory()
    ids: list[str] = []
    values: list[str] = []
    shapes: list[Any] = []
    try:
        for n, obj in enumerate(osmium.FileProcessor(str(file)).with_areas(), start=1):
            if progress is not None and n % 10_000 == 0:
                progress(n)
            if not isinstance(obj, osmium.osm.Area):
                continue
            value = obj.tags.get("building")
            if value is None or value == "no":
                continue
            try:
                shapes.append(shapely.wkb.loads(bytes.fromhex(wkb.create_multipolygon(obj))))
            except RuntimeError:
                continue
            ids.append(f"{'way' if obj.from_way() else 'relation'} {obj.orig_id()}")
            values.append(value)
    except RuntimeError as exc:
        msg = f"{file} cannot be read as an OSM extract ({exc}); give an .osm.pbf or .osm file."
        raise DataError(msg) from None
    gdf = gpd.GeoDataFrame(
        {"osm_id": ids, "building": values}, geometry=gpd.GeoSeries(shapes, crs=settings.GEOGRAPHIC_CRS)
    )
    if len(gdf):
        shapely.prepare(outline)
        gdf = gdf[shapely.intersects(outline, gdf.geometry.to_numpy())].reset_index(drop=True)
    logger.info("OSM buildings: %d touching the outline in %s", len(gdf), file.name)
    return gdf
