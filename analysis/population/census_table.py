"""A surface from a census table (``town_code,population``), spread over the towns' land."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd

from analysis.errors import DataError
from analysis.population.surface import PopulationSurface
from analysis.population.town_totals import from_town_totals


def from_census_table(
    csv_path: str | Path,
    towns: gpd.GeoDataFrame,
    *,
    boundary: gpd.GeoDataFrame,
    county_total: float | None = None,
    cell_m: float | None = None,
    crs: str | None = None,
) -> PopulationSurface:
    """Build a surface from a census table with columns ``town_code`` and ``population``.

    Parameters
    ----------
    csv_path
        CSV file, one row per town.
    towns
        Town polygons with ``town_code`` (see :func:`from_town_totals`).
    boundary
        County outline.
    county_total
        Optional county total; see :func:`from_town_totals`.
    cell_m
        Grid cell side in metres (``None`` → setting).
    crs
        Projected CRS of the grid (``None`` → setting).

    Returns
    -------
    PopulationSurface

    Raises
    ------
    DataError
        The file is empty, a column is missing, a code repeats, or a population is not a
        non-negative number (the message names the row).
    """
    from analysis.datasets.tables import read_table

    path = Path(csv_path)
    table = read_table(
        path, what="census table", example_header="town_code,population", require_rows=False
    ).frame
    missing = [c for c in ("town_code", "population") if c not in table.columns]
    if missing:
        msg = f"{path} has no column(s) {', '.join(missing)}; the census table needs 'town_code,population'."
        raise DataError(msg)
    if len(table) == 0:
        msg = f"{path} has a header but no rows; add one row per town."
        raise DataError(msg)
    totals: dict[str, float] = {}
    for i, (code, value) in enumerate(zip(table["town_code"], table["population"], strict=True), start=1):
        where = f"{path.name} row {i} (town {code})"
        code = code.strip()
        if not code:
            msg = f"{where}: town_code is empty; fill it in."
            raise DataError(msg)
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            msg = f"{where}: population {value!r} is not a number; write digits only, e.g. 174248."
            raise DataError(msg) from None
        if not math.isfinite(number) or number < 0:
            msg = f"{where}: population {value!r} is negative or not finite; populations must be >= 0."
            raise DataError(msg)
        if code in totals:
            msg = f"{where}: town_code {code} appears twice; keep one row per town."
            raise DataError(msg)
        totals[code] = number
    source = f"modelled: census table {path.name} spread uniformly over town land areas"
    return from_town_totals(
        towns, totals, boundary=boundary, county_total=county_total, cell_m=cell_m, crs=crs, source=source
    )
