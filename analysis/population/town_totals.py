"""A surface from town totals: each town's people spread uniformly over its land, on a square grid."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from analysis import settings
from analysis.errors import DataError, ParameterError
from analysis.population.geometry import outline_of, projected, square_grid
from analysis.population.surface import PopulationSurface

logger = logging.getLogger(__name__)


def from_town_totals(
    towns: gpd.GeoDataFrame,
    totals: Mapping[str, float],
    *,
    boundary: gpd.GeoDataFrame,
    county_total: float | None = None,
    cell_m: float | None = None,
    crs: str | None = None,
    source: str | None = None,
) -> PopulationSurface:
    """Spread town populations uniformly over the land of each town, on a square grid.

    Each grid square (aligned to multiples of *cell_m* in *crs*) is cut by the boundary and by
    the town polygons, so a square on a town border becomes one cell per town and every town's
    cells add up to its total. Within a town people are spread in proportion to land area.

    Parameters
    ----------
    towns
        Town polygons with a ``town_code`` column; rows with null geometry are towns whose
        area is unknown.
    totals
        Population per ``town_code``. Towns may be missing from it.
    boundary
        County outline; cells are clipped to it.
    county_total
        If given, the remainder ``county_total - sum(totals)`` is spread over the located towns
        that have no total of their own, in proportion to their area. Totals of towns with
        unknown area join that remainder (their land lies inside the neighbours'
        approximate areas).
    cell_m
        Side of a grid square in metres; ``None`` means ``settings.POPULATION_CELL_M``.
    crs
        Projected CRS of the grid; ``None`` means ``settings.WORKING_CRS``.
    source
        Plain-words description stored on the surface; a default is written if omitted.

    Returns
    -------
    PopulationSurface
        Cells in EPSG:4326 with ``cell_id``, ``population``, ``town_code``, ``method``.

    Raises
    ------
    DataError
        A total is negative or not a number, a ``town_code`` is missing or unknown, or the
        people of a town cannot be placed (no area and no other town to absorb them).
    ParameterError
        *cell_m* is not positive.
    """
    cell_size = float(settings.POPULATION_CELL_M if cell_m is None else cell_m)
    work_crs = crs or settings.WORKING_CRS
    if not cell_size > 0:
        msg = f"cell_m must be a positive number of metres, got {cell_m!r}."
        raise ParameterError(msg)
    if "town_code" not in towns.columns:
        msg = "The towns table has no 'town_code' column; add one with each town's code."
        raise DataError(msg)
    clean = _checked_totals(totals)
    outline = outline_of(boundary, work_crs)
    towns_w = projected(towns, work_crs, "towns layer")
    codes = [str(c) for c in towns_w["town_code"]]
    unknown = sorted(set(clean) - set(codes))
    if unknown:
        msg = (
            f"Population given for town code(s) {', '.join(unknown)} "
            "that are not in the towns layer; check the codes."
        )
        raise DataError(msg)
    lands = _town_lands(codes, towns_w.geometry, outline)
    town_population, method = _town_populations(codes, clean, lands, county_total=county_total)
    records = _cells(codes, lands, town_population, method, outline=outline, cell_m=cell_size)
    cells = gpd.GeoDataFrame(
        {
            "cell_id": np.arange(len(records), dtype=np.int64),
            "population": np.array([r[3] for r in records], dtype=np.float64),
            "town_code": [r[2] for r in records],
            "method": [r[4] for r in records],
        },
        geometry=[r[5] for r in records],
        crs=work_crs,
    ).to_crs(settings.GEOGRAPHIC_CRS)
    text = source or "modelled: town population totals spread uniformly over town land areas"
    logger.info(
        "population surface with %d cells and %.0f people from %d town totals",
        len(cells),
        cells["population"].sum(),
        len(clean),
    )
    return PopulationSurface(cells=cells, source=text, modelled=True)


def _checked_totals(totals: Mapping[str, float]) -> dict[str, float]:
    """Town totals as floats keyed by code; a total that is not a number >= 0 is refused."""
    clean: dict[str, float] = {}
    for code, value in totals.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            msg = f"Population of town {code!r} is not a number ({value!r}); write a whole number."
            raise DataError(msg) from None
        if not math.isfinite(number) or number < 0:
            msg = f"Population of town {code!r} is {value!r}; populations must be zero or positive."
            raise DataError(msg)
        clean[str(code)] = number
    return clean


def _town_lands(codes: list[str], geoms: gpd.GeoSeries, outline: BaseGeometry) -> dict[str, BaseGeometry]:
    """Each located town's land inside the outline (towns without area left out)."""
    lands: dict[str, BaseGeometry] = {}
    for code, geom in zip(codes, geoms, strict=True):
        if geom is None or geom.is_empty:
            continue
        land = shapely.intersection(shapely.make_valid(geom), outline)
        if land.is_empty or land.area <= 0:
            continue
        lands[code] = land
    return lands


def _town_populations(
    codes: list[str],
    clean: dict[str, float],
    lands: dict[str, BaseGeometry],
    *,
    county_total: float | None,
) -> tuple[dict[str, float], dict[str, str]]:
    """What each located town holds, and how: its own total, or a share of the pooled remainder."""
    town_population: dict[str, float] = {}
    method: dict[str, str] = {}
    pooled = 0.0
    for code in codes:
        if code in clean:
            if code in lands:
                town_population[code] = clean[code]
                method[code] = "town census total spread uniformly over the town's land"
            else:
                pooled += clean[code]
    if county_total is not None:
        if county_total < sum(clean.values()):
            msg = (
                f"county_total {county_total:,.0f} is smaller than the sum of the town totals "
                f"{sum(clean.values()):,.0f}; check both figures."
            )
            raise DataError(msg)
        pooled += float(county_total) - sum(clean.values())
    if pooled > 0:
        receivers = [c for c in lands if c not in town_population]
        share_text = "share of the county remainder spread over the towns without a census total"
        if not receivers:
            receivers = list(lands)
            share_text = "people of towns with unknown area spread over all located towns"
        if not receivers:
            msg = "No town has a known area, so no people can be placed; give the towns polygons."
            raise DataError(msg)
        receiver_area = sum(lands[c].area for c in receivers)
        for code in receivers:
            town_population[code] = town_population.get(code, 0.0) + pooled * lands[code].area / receiver_area
            method[code] = f"{share_text}, in proportion to (approximate) town area, then uniformly over land"
    return town_population, method


def _cells(
    codes: list[str],
    lands: dict[str, BaseGeometry],
    town_population: dict[str, float],
    method: dict[str, str],
    *,
    outline: BaseGeometry,
    cell_m: float,
) -> list[tuple[int, int, str, float, str, shapely.Geometry]]:
    """Grid squares cut by each town's land, each with its share of the town's people by area.

    Sorted north to south, west to east, then by town code: ``(row, col, town_code, people, method,
    piece)``.
    """
    boxes, rows, cols = square_grid(outline, cell_m)
    tree = shapely.STRtree(boxes)
    records: list[tuple[int, int, str, float, str, shapely.Geometry]] = []
    for code in codes:
        if code not in lands or code not in town_population:
            continue
        land = lands[code]
        idx = tree.query(land, predicate="intersects")
        pieces = shapely.intersection(boxes[idx], land)
        piece_area = shapely.area(pieces)
        keep = piece_area > 0
        total_area = float(piece_area[keep].sum())
        for i, piece, a in zip(idx[keep], pieces[keep], piece_area[keep], strict=True):
            share = town_population[code] * float(a) / total_area
            records.append((int(rows[i]), int(cols[i]), code, share, method[code], piece))
    records.sort(key=lambda r: (r[0], r[1], r[2]))
    return records
