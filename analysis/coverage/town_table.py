"""The town table of a run: each town's row, population counted and medical community."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from analysis.coverage.kinds import LOCATION_UNKNOWN
from analysis.coverage.numeric import _jsonable
from analysis.coverage.results import _int_or_none
from analysis.coverage.towns import TownIndex

if TYPE_CHECKING:
    from analysis.coverage.prepared import CellTable


def _towns_table(
    towns: gpd.GeoDataFrame, town_population: Mapping[Any, float]
) -> tuple[list[dict[str, Any]], dict[Any, Any]]:
    rows = []
    community_of: dict[Any, Any] = {}
    geoms = towns.geometry
    located_all = (geoms.notna() & ~geoms.is_empty).to_numpy()
    records = pd.DataFrame(towns.drop(columns=towns.geometry.name)).to_dict("records")
    for town, located in zip(records, located_all, strict=True):
        code = None if pd.isna(town.get("town_code")) else str(town["town_code"])
        pop = town_population.get(code)
        community = town.get("community")
        community_of[code] = None if community is None or pd.isna(community) else str(community)
        row: dict[str, Any] = {
            "town_code": code,
            "name_zh": town.get("name_zh"),
            "name_en": town.get("name_en"),
            "kind": town.get("kind"),
            "location": "approximate area" if located else LOCATION_UNKNOWN,
            "precision": town.get("precision"),
            "seat_known": _jsonable(town.get("seat_known")),
            "census_2020": _int_or_none(town.get("census_2020")),
            "community": community_of[code],
            "population": pop,
        }
        if pop is None:
            row["population_note"] = (
                "counted in neighbouring approximate areas" if not located else "no population cells"
            )
        rows.append(row)
    return rows, community_of


@dataclass
class TownContext:
    """Towns of one run.

    Attributes
    ----------
    index
        Cells grouped by town.
    population
        Population counted per town code.
    rows
        One row per town of the town table, in its order (filled in further by the document).
    community_population
        Population per medical community (lead hospital id).
    """

    index: TownIndex
    population: dict[Any, float]
    rows: list[dict[str, Any]]
    community_population: dict[str, float]

    @classmethod
    def build(cls, towns: gpd.GeoDataFrame, cells: CellTable) -> TownContext:
        """Group *cells* by town and read the town table.

        Parameters
        ----------
        towns
            The town table (``town_code``, names, ``community``, geometry or none).
        cells
            The run's cells.

        Returns
        -------
        TownContext
            The towns of the run.
        """
        index = TownIndex(cells.town_codes, cells.population)
        town_population = {c: float(p) for c, p in zip(index.codes, index.town_population, strict=True)}
        rows, community_of = _towns_table(towns, town_population)
        community_population: dict[str, float] = {}
        for code, p in town_population.items():
            comm = community_of.get(code)
            if comm is not None:
                community_population[comm] = community_population.get(comm, 0.0) + p
        return cls(index, town_population, rows, community_population)
