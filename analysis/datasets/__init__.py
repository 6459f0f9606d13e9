"""Load and validate the inputs: facilities, county outline, towns, population and facts.

The package reads what counties actually have: GeoJSON, GeoPackage or CSV in UTF-8 (with or without
BOM), UTF-16 or GB18030/GBK, separated by commas, semicolons or tabs, with Chinese headers
(:mod:`analysis.datasets.headers`). Every check reports what is wrong, where (file, feature or row
number) and how to fix it; no input ends in a traceback. Coordinates are WGS-84; files in the
Chinese GCJ-02 datum (AMap, Tencent maps) are converted only when the caller says so (``crs="gcj02"``).

One idea per module: :mod:`~analysis.datasets.encoding` (text of any encoding),
:mod:`~analysis.datasets.tables` (CSV reading, :func:`read_table`), :mod:`~analysis.datasets.geojson`
(defensive GeoJSON), :mod:`~analysis.datasets.layers` (outline, towns, facts),
:mod:`~analysis.datasets.facilities` (facility checks), :mod:`~analysis.datasets.gcj02` (datum).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd

from analysis import settings
from analysis.datasets.encoding import DecodedText, decode_bytes, read_text
from analysis.datasets.facilities import ValidationReport, load_facilities, validate_facilities
from analysis.datasets.fields import (
    COUNT_FIELDS,
    COUNTY_TOLERANCE_M,
    EMS_KINDS,
    FACILITY_COLUMNS,
    FACILITY_KINDS,
    LONLAT_COLUMNS,
    PRECISIONS,
    STATUSES,
)
from analysis.datasets.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from analysis.datasets.geojson import check_geojson_crs, read_json
from analysis.datasets.headers import HEADER_ALIASES, KIND_ALIASES, STATUS_ALIASES, canonical_header
from analysis.datasets.layers import load_boundary, load_facts, load_towns
from analysis.datasets.places import PLACES_FILE, load_places
from analysis.datasets.tables import Table, read_table
from analysis.errors import CRSError, DataError, ParameterError
from analysis.population import PopulationSurface, load_population

#: Folder of the embedded default dataset (Jinjiang 晋江市).
DATA_DIR: Final[Path] = Path(__file__).resolve().parent.parent.parent / "data"

#: Names accepted by :func:`get_path` and their files in :data:`DATA_DIR`.
DATASETS: Final[dict[str, str]] = {
    "facilities": "facilities.geojson",
    "boundary": "boundary.geojson",
    "towns": "towns.geojson",
    "population": "population.geojson",
    "facts": "facts.json",
}

#: Road graph of a data folder, relative to it: written by ``healthcircle network fetch`` and used
#: whenever present; without it travel times fall back to the straight-line estimate.
NETWORK_FILE: Final = "network/drive.graphml.gz"


def get_path(name: str) -> Path:
    """Path of an embedded dataset.

    Parameters
    ----------
    name
        One of ``DATASETS``: "facilities", "boundary", "towns", "population", "facts".

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ParameterError
        *name* is not a known dataset.
    """
    if name not in DATASETS:
        msg = f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}."
        raise ParameterError(msg)
    return DATA_DIR / DATASETS[name]


def network_path(data_dir: Path | None = None) -> Path | None:
    """The road graph of a data folder, or ``None`` when it has none.

    Parameters
    ----------
    data_dir
        Folder laid out like ``data/``; default the embedded data.

    Returns
    -------
    pathlib.Path or None
        ``data_dir / NETWORK_FILE`` when that file exists.
    """
    path = (DATA_DIR if data_dir is None else Path(data_dir)) / NETWORK_FILE
    return path if path.is_file() else None


def to_working_crs(gdf: gpd.GeoDataFrame, crs: str | None = None) -> gpd.GeoDataFrame:
    """Project a layer to the working (metric) CRS.

    Parameters
    ----------
    gdf
        Layer with a CRS; it is not modified.
    crs
        Target; ``None`` means ``settings.WORKING_CRS``.

    Returns
    -------
    geopandas.GeoDataFrame
        A projected copy.

    Raises
    ------
    CRSError
        *gdf* has no CRS.
    """
    if gdf.crs is None:
        msg = "The layer has no CRS; declare it first (e.g. gdf.set_crs('EPSG:4326')) before projecting."
        raise CRSError(msg)
    return gdf.to_crs(crs or settings.WORKING_CRS)


@dataclass(frozen=True)
class Inputs:
    """All inputs of a coverage run.

    Attributes
    ----------
    facilities
        Facilities, EPSG:4326 (geometry None where unknown).
    boundary
        County outline, EPSG:4326.
    towns
        Towns (geometry None where unknown), EPSG:4326.
    population
        Population surface.
    facts
        Reported figures keyed by id.
    places
        Public places that could host an AED (``places.geojson``, Points in EPSG:4326), None when the
        folder has none.
    """

    facilities: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame
    towns: gpd.GeoDataFrame
    population: PopulationSurface
    facts: dict[str, dict[str, Any]]
    places: gpd.GeoDataFrame | None = None


def load_inputs(data_dir: Path | None = None) -> Inputs:
    """Read every input from a folder laid out like ``data/``.

    Parameters
    ----------
    data_dir
        Folder with facilities.geojson, boundary.geojson, towns.geojson, population.geojson
        and facts.json (and optionally places.geojson); ``None`` means the embedded Jinjiang default.

    Returns
    -------
    Inputs

    Raises
    ------
    DataError
        A file is missing or malformed.
    """
    folder = Path(data_dir) if data_dir is not None else DATA_DIR
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "does not exist"
        msg = f"data folder {folder} {what}; give a folder laid out like data/ (facilities.geojson, ...)."
        raise DataError(msg)
    boundary = load_boundary(folder / DATASETS["boundary"])
    return Inputs(
        facilities=load_facilities(folder / DATASETS["facilities"], boundary=boundary),
        boundary=boundary,
        towns=load_towns(folder / DATASETS["towns"]),
        population=load_population(folder / DATASETS["population"]),
        facts=load_facts(folder / DATASETS["facts"]),
        places=load_places(folder / PLACES_FILE),
    )


__all__ = [
    "COUNTY_TOLERANCE_M",
    "COUNT_FIELDS",
    "DATASETS",
    "DATA_DIR",
    "EMS_KINDS",
    "FACILITY_COLUMNS",
    "FACILITY_KINDS",
    "HEADER_ALIASES",
    "KIND_ALIASES",
    "LONLAT_COLUMNS",
    "NETWORK_FILE",
    "PLACES_FILE",
    "PRECISIONS",
    "STATUSES",
    "STATUS_ALIASES",
    "DecodedText",
    "Inputs",
    "Table",
    "ValidationReport",
    "canonical_header",
    "check_geojson_crs",
    "decode_bytes",
    "gcj02_to_wgs84",
    "get_path",
    "load_boundary",
    "load_facilities",
    "load_facts",
    "load_inputs",
    "load_places",
    "load_towns",
    "network_path",
    "read_json",
    "read_table",
    "read_text",
    "to_working_crs",
    "validate_facilities",
    "wgs84_to_gcj02",
]
