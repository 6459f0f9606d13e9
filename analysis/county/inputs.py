"""The input files of a county folder, read and checked against its own outline in its own CRS."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

import geopandas as gpd
import pandas as pd

from analysis import settings
from analysis.county.model import County
from analysis.errors import DataError

if TYPE_CHECKING:
    from analysis.datasets import Inputs

#: Files of a county folder; the ones marked optional may be absent.
FOLDER_FILES: Final[dict[str, tuple[str, bool]]] = {
    "boundary": ("boundary.geojson", False),
    "facilities": ("facilities.geojson", False),
    "population": ("population.geojson", False),
    "towns": ("towns.geojson", True),
    "facts": ("facts.json", True),
}

_HOW_TO_BUILD: Final[dict[str, str]] = {
    "boundary": "--boundary FILE or --admin-code CODE",
    "facilities": "--facilities FILE and/or --osm EXTRACT.osm.pbf --facilities-from-osm",
    "population": "--census TOWNS.csv, --raster FILE.tif or --population-total N --from-buildings",
}


def folder_path(county: County, name: str) -> Path:
    """Path of an input of the folder (``boundary``, ``facilities``, ``population``, ``towns``, ``facts``)."""
    return county.folder / FOLDER_FILES[name][0]


def _require(county: County, name: str) -> Path:
    path = folder_path(county, name)
    if not path.is_file():
        msg = (
            f"{path} not found: the county folder {county.folder} has no {name}; add it with "
            f"`healthcircle init {county.folder} {_HOW_TO_BUILD[name]}`."
        )
        raise DataError(msg)
    return path


def load_county_inputs(county: County) -> Inputs:
    """Read every input of a county folder, checked against its own outline in its own CRS.

    A folder without ``towns.geojson`` has no towns (per-town tables say so); one without ``facts.json``
    has no reported figures; one without ``places.geojson`` has no public places (AED candidates).

    Parameters
    ----------
    county
        From :func:`load_county`.

    Returns
    -------
    analysis.datasets.Inputs

    Raises
    ------
    DataError
        A required file is missing (the message says how to build it) or malformed.
    """
    from analysis.datasets import PLACES_FILE, Inputs, load_boundary, load_facilities, load_places, load_towns
    from analysis.facts import load_facts
    from analysis.population import load_population

    boundary = load_boundary(_require(county, "boundary"))
    facilities = load_facilities(_require(county, "facilities"), boundary=boundary, working_crs=county.crs)
    towns_path = folder_path(county, "towns")
    facts_path = folder_path(county, "facts")
    return Inputs(
        facilities=facilities,
        boundary=boundary,
        towns=load_towns(towns_path) if towns_path.is_file() else empty_towns(),
        population=load_population(_require(county, "population")),
        facts=load_facts(facts_path) if facts_path.is_file() else {},
        places=load_places(county.folder / PLACES_FILE),
    )


def empty_towns() -> gpd.GeoDataFrame:
    """A towns table with no rows (a county folder without ``towns.geojson``)."""
    frame = pd.DataFrame({"town_code": pd.Series([], dtype=object), "name_zh": [], "name_en": []})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=settings.GEOGRAPHIC_CRS))
