"""What every travel model offers and returns: the :class:`TravelModel` protocol, :class:`NearestResult`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import geopandas as gpd
import numpy as np

Direction = Literal["from_sources", "to_sources"]
DIRECTIONS: tuple[str, ...] = ("from_sources", "to_sources")


@dataclass(frozen=True)
class NearestResult:
    """Nearest source of each target.

    Attributes
    ----------
    minutes
        (n_targets,) float64 travel time; ``inf`` where no source is within the cutoff.
    source_index
        (n_targets,) int64 index into ``sources_xy``; -1 where unreached.
    snap_distance_m
        (n_targets,) distance from each target to where it joins the network (0 for the
        straight-line estimate).
    """

    minutes: np.ndarray
    source_index: np.ndarray
    snap_distance_m: np.ndarray


class TravelModel(Protocol):
    """What the coverage and siting code needs from a travel model."""

    network_source: str
    crs: str

    def nearest(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Direction = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> NearestResult:
        """Nearest source of every target."""
        ...

    def nearest_distance_m(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        cutoff_m: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distance to the nearest source and its index (inf / -1 unreached)."""
        ...

    def matrix(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Direction = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> np.ndarray:
        """(n_sources, n_targets) minutes, inf beyond the cutoff."""
        ...

    def isochrones(
        self,
        sources_xy: np.ndarray,
        *,
        profile: str,
        minutes: Sequence[float],
        direction: Direction = "from_sources",
        source_ids: Sequence[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """EPSG:4326 polygons with columns source_id, minutes."""
        ...


def nearest_minutes(
    travel: TravelModel,
    sources_xy: np.ndarray,
    targets_xy: np.ndarray,
    *,
    profile: str,
    direction: Direction = "from_sources",
    cutoff_minutes: float | None = None,
) -> np.ndarray:
    """Minutes between every target and its nearest source, without saying which source.

    The model's own ``nearest_minutes`` when it has one (a search that keeps no predecessors),
    else the minutes of its ``nearest``: the same numbers.

    Parameters
    ----------
    travel
        A travel model.
    sources_xy, targets_xy
        (n, 2) coordinates in ``travel.crs``.
    profile, direction, cutoff_minutes
        As for :meth:`TravelModel.nearest`.

    Returns
    -------
    numpy.ndarray
        float64 minutes per target (``inf`` = not reached).
    """
    ask = getattr(travel, "nearest_minutes", None)
    if ask is not None:
        minutes = ask(
            sources_xy, targets_xy, profile=profile, direction=direction, cutoff_minutes=cutoff_minutes
        )
    else:
        minutes = travel.nearest(
            sources_xy, targets_xy, profile=profile, direction=direction, cutoff_minutes=cutoff_minutes
        ).minutes
    return np.asarray(minutes, dtype=np.float64)
