"""A population surface: grid cells with head counts, and how they were made."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from analysis import settings

#: Columns of every population surface, in order (plus ``geometry``).
CELL_COLUMNS: tuple[str, ...] = ("cell_id", "population", "town_code", "method")


@dataclass(frozen=True)
class PopulationSurface:
    """People per grid cell.

    Attributes
    ----------
    cells
        EPSG:4326 polygons with columns ``cell_id``, ``population`` (float), ``town_code``
        and ``method`` (other columns such as ``source`` and ``precision`` may follow).
    source
        Plain words on where the counts come from, e.g. "modelled: 2020 census county total
        spread uniformly over approximate town areas".
    modelled
        True when the counts are spread by a model rather than observed per cell.
    """

    cells: gpd.GeoDataFrame
    source: str
    modelled: bool

    @property
    def total(self) -> float:
        """Sum of the cell populations."""
        return float(self.cells["population"].sum())

    @property
    def populations(self) -> np.ndarray:
        """Cell populations as a float64 array of shape (n,)."""
        return self.cells["population"].to_numpy(dtype=np.float64)

    def points_xy(self, crs: str | None = None) -> np.ndarray:
        """Cell centroids in a projected CRS.

        Parameters
        ----------
        crs
            Target CRS; ``None`` means ``settings.WORKING_CRS``.

        Returns
        -------
        numpy.ndarray
            Array of shape (n, 2) with x and y in metres.
        """
        target = crs or settings.WORKING_CRS
        if len(self.cells) == 0:
            return np.empty((0, 2), dtype=np.float64)
        centroids = self.cells.geometry.to_crs(target).centroid
        return np.column_stack([centroids.x.to_numpy(), centroids.y.to_numpy()]).astype(np.float64)
