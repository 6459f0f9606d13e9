"""Build a county folder from what a planner has: an outline, facility lists, an OSM extract, census tables.

Each step is a function of its own (:mod:`.outline`, :mod:`.osm`, :mod:`.buildings`, :mod:`.census`,
:mod:`.raster`), and :func:`init_county` runs the steps asked for and records every input's source in the
folder's ``README.md``.
"""

from analysis.county_init.build import InitOptions, init_county
from analysis.county_init.osm import OSM_KIND_TABLE, facilities_from_osm
from analysis.county_init.outline import outline_from_admin_code, outline_from_file

__all__ = [
    "OSM_KIND_TABLE",
    "InitOptions",
    "facilities_from_osm",
    "init_county",
    "outline_from_admin_code",
    "outline_from_file",
]
