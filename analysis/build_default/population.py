"""The population grid: the tiered model, with the area-only model's figure on every cell."""

from __future__ import annotations

from typing import Any

import geopandas as gpd

from analysis.build_default.output import feature
from analysis.build_default.sources import COUNTY_CODE, read_csv
from analysis.population import from_town_totals

POPULATION_SOURCE = (
    "modelled: tiered model, 2020 census county total 2,061,551 (泉州市第七次全国人口普查公报) with "
    "安海 174,248 and 陈埭 304,033 (citypopulation.de, 2020 census) kept; every other town's best "
    "published figure (sources/town_population_published.csv; trust, then resident before "
    "registered, then the latest year) held as its share of the remainder; 青阳 from its approximate "
    "area at the mean density of the towns with figures; the people of towns with no location "
    "(梅岭, 西园, 新塘) counted in the located towns without a census count, in proportion to their "
    "populations; uniform over land within a town"
)
#: The second population model, kept on every cell for the sensitivity ranges.
AREA_ONLY_SOURCE = (
    "area-only: 安海 and 陈埭 census totals kept, the remainder spread over the other located towns in "
    "proportion to their approximate (Voronoi) areas"
)
#: Name of each population model in the cells (the headline model, and the alternative's column suffix).
TIERED_MODEL, AREA_MODEL = "tiered", "area_only"


def located_totals(towns: gpd.GeoDataFrame) -> dict[str, float]:
    """Located towns' tiered totals, with the people of unlocated towns added to the non-census ones.

    The unlocated towns' land lies inside the located towns' approximate areas, but which ones is not
    known: their people are shared among the located towns without a census count in proportion to
    those towns' own populations, so the census towns keep their census totals.
    """
    rows = towns.to_dict("records")
    located = {str(r["town_code"]): float(r["population_2020"]) for r in rows if r["geometry"] is not None}
    pooled = sum(
        float(r["population_2020"])
        for r in rows
        if r["geometry"] is None
        and r["population_2020"] is not None
        and r["population_2020"] == r["population_2020"]
    )
    takers = [
        str(r["town_code"]) for r in rows if r["geometry"] is not None and r["population_method"] != "census"
    ]
    weight = sum(located[c] for c in takers)
    for code in takers:
        located[code] += pooled * located[code] / weight
    return located


def build_population(towns: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Grid cells of the tiered population model, each with the area-only model's figure beside it."""
    census = {row["code"]: row for row in read_csv("population_facts.csv")}
    totals = {code: float(row["census_2020"]) for code, row in census.items() if code != COUNTY_CODE}
    tiered = from_town_totals(towns, located_totals(towns), boundary=boundary, source=POPULATION_SOURCE)
    area_only = from_town_totals(
        towns,
        totals,
        boundary=boundary,
        county_total=float(census[COUNTY_CODE]["census_2020"]),
        source=AREA_ONLY_SOURCE,
    )
    a, b = tiered.cells, area_only.cells
    if list(a["town_code"]) != list(b["town_code"]) or not a.geometry.geom_equals(b.geometry).all():
        msg = "The two population models do not share one grid; check the towns layer."
        raise ValueError(msg)
    features = []
    for row, alternative in zip(a.itertuples(index=False), b["population"], strict=True):
        props = {
            "cell_id": int(row.cell_id),
            "population": float(row.population),
            "town_code": row.town_code,
            "method": row.method,
            "population_model": TIERED_MODEL,
            f"population_model_{AREA_MODEL}": float(alternative),
            "source": POPULATION_SOURCE,
            "precision": "modelled",
        }
        features.append(feature(props, row.geometry))
    return features
