"""Write every file of the default dataset."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import geopandas as gpd

from analysis.build_default.facilities import build_facilities
from analysis.build_default.facts import build_facts
from analysis.build_default.output import feature, write_collection, write_json
from analysis.build_default.population import build_population
from analysis.build_default.towns import build_boundary, build_towns, read_towns
from analysis.datasets import DATA_DIR, DATASETS

logger = logging.getLogger(__name__)


def _town_features(towns_gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Town rows as features, with pandas' missing values written as null and counts as integers."""
    features = [
        feature({k: v for k, v in row.items() if k != "geometry"}, row["geometry"])
        for row in towns_gdf.to_dict(orient="records")
    ]
    for town in features:
        props = town["properties"]
        for key in ("census_2020", "population_2020", "population_published"):
            value = props[key]
            props[key] = None if value is None or value != value else int(value)
        for key in ("population_year", "population_source", "population_trust", "population_counted"):
            value = props[key]
            props[key] = None if value is None or value != value else str(value)
    return features


def build(data_dir: Path | None = None) -> dict[str, int]:
    """Write every file of the default dataset.

    Parameters
    ----------
    data_dir
        Output folder; ``None`` means ``data/``.

    Returns
    -------
    dict
        Number of features written per dataset.
    """
    out = Path(data_dir) if data_dir is not None else DATA_DIR
    out.mkdir(parents=True, exist_ok=True)
    towns = read_towns()
    boundary_feature, boundary = build_boundary()
    towns_gdf = build_towns(towns, boundary)
    facilities = build_facilities(towns)
    population = build_population(towns_gdf, boundary)
    facts = build_facts()

    write_collection(out / DATASETS["boundary"], "boundary", [boundary_feature])
    town_features = _town_features(towns_gdf)
    write_collection(out / DATASETS["towns"], "towns", town_features)
    write_collection(out / DATASETS["facilities"], "facilities", facilities)
    write_collection(out / DATASETS["population"], "population", population)
    write_json(out / DATASETS["facts"], facts)
    counts = {
        "facilities": len(facilities),
        "towns": len(town_features),
        "population cells": len(population),
        "facts": len(facts),
    }
    logger.info("default dataset written to %s: %s", out, counts)
    return counts


def main() -> None:
    """Build ``data/`` and print what was written."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    counts = build()
    for name, n in counts.items():
        print(f"{name}: {n}")
