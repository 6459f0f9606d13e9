"""Population surface: grid cells with head counts, and how they were made.

The surface is a GeoDataFrame of polygons (EPSG:4326) with ``cell_id``, ``population``,
``town_code`` and ``method``. It is built either from town totals (census tables, spread
uniformly over each town's land) or from a gridded raster (WorldPop / GHSL GeoTIFF). Every
surface says in plain words how it was made, and whether it is modelled.
"""

from analysis.population.census_table import from_census_table
from analysis.population.files import load_population, save_population
from analysis.population.raster import from_raster
from analysis.population.surface import CELL_COLUMNS, PopulationSurface
from analysis.population.town_totals import from_town_totals

__all__ = [
    "CELL_COLUMNS",
    "PopulationSurface",
    "from_census_table",
    "from_raster",
    "from_town_totals",
    "load_population",
    "save_population",
]
