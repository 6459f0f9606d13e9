"""The straight-line estimate: travel when no road graph is available, labelled as an estimate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

from analysis import network, settings
from analysis.travel.checks import CheckedTravel, empty_isochrones
from analysis.travel.model import Direction, NearestResult


class StraightLineTravel(CheckedTravel[float]):
    """Travel estimated from straight-line distance, for use when no road graph is available.

    Time = Euclidean distance in the working CRS × ``settings.CIRCUITY_FACTOR`` at
    ``settings.STRAIGHT_LINE_SPEED_KMH[profile]``; distances are Euclidean distance ×
    circuity (an estimate of the distance along roads). Straight lines are symmetric, so
    ``direction`` is only checked, and ``snap_distance_m`` is all zeros. Every result is
    labelled ``settings.STRAIGHT_LINE_SOURCE``.

    Parameters
    ----------
    crs
        Projected CRS of the coordinates; ``None`` → ``settings.WORKING_CRS``.
    """

    def __init__(self, *, crs: str | None = None) -> None:
        self.crs: str = settings.WORKING_CRS if crs is None else crs
        self.network_source: str = settings.STRAIGHT_LINE_SOURCE

    def _profile(self, profile: str) -> float:
        """Estimated minutes per metre of straight line for *profile*."""
        network.check_profile(profile)
        speed_kmh = settings.STRAIGHT_LINE_SPEED_KMH[profile]
        return settings.CIRCUITY_FACTOR / (speed_kmh * 1000.0 / 60.0)

    @staticmethod
    def _nearest_straight_m(
        sources_xy: np.ndarray, targets_xy: np.ndarray, max_straight_m: float
    ) -> tuple[np.ndarray, np.ndarray]:
        n_t = len(targets_xy)
        if len(sources_xy) == 0 or n_t == 0:
            return np.full(n_t, np.inf), np.full(n_t, -1, dtype=np.int64)
        tree = cKDTree(sources_xy)
        bound = max_straight_m * (1 + 1e-12) if np.isfinite(max_straight_m) else np.inf
        dist, idx = tree.query(targets_xy, k=1, distance_upper_bound=bound)
        idx = np.where(np.isfinite(dist), idx, -1).astype(np.int64)
        return dist.astype(np.float64), idx

    def _nearest(
        self,
        prepared: float,
        profile: str,
        sources: np.ndarray,
        targets: np.ndarray,
        *,
        unit: Literal["minutes", "metres"],
        direction: Direction,
        cutoff: float,
    ) -> NearestResult:
        per_m = prepared if unit == "minutes" else settings.CIRCUITY_FACTOR
        dist, idx = self._nearest_straight_m(sources, targets, cutoff / per_m)
        value = dist * per_m
        over = value > cutoff
        value[over] = np.inf
        idx[over] = -1
        return NearestResult(value, idx, np.zeros(len(targets)))

    def _matrix_minutes(
        self,
        prepared: float,
        profile: str,
        sources: np.ndarray,
        targets: np.ndarray,
        direction: Direction,
        cutoff_minutes: float,
    ) -> np.ndarray:
        out = np.empty((len(sources), len(targets)), dtype=np.float64)
        chunk = max(1, settings.MATRIX_CHUNK_CELLS // max(1, len(targets)))
        for start in range(0, len(sources), chunk):
            block = sources[start : start + chunk]
            d = np.hypot(block[:, None, 0] - targets[None, :, 0], block[:, None, 1] - targets[None, :, 1])
            out[start : start + chunk] = d * prepared
        out[out > cutoff_minutes] = np.inf
        return out

    def isochrones(
        self,
        sources_xy: np.ndarray,
        *,
        profile: str,
        minutes: Sequence[float],
        direction: Direction = "from_sources",
        source_ids: Sequence[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """Circles reachable within each band, labelled as estimates.

        Parameters
        ----------
        sources_xy
            (n, 2) coordinates in ``self.crs``.
        profile
            One of ``settings.PROFILES``.
        minutes
            Bands, e.g. ``[5, 10, 15]``.
        direction
            Accepted for the interface; straight lines are symmetric.
        source_ids
            One label per source (default ``"0"``, ``"1"``, ...).

        Returns
        -------
        geopandas.GeoDataFrame
            EPSG:4326 circles of radius speed × t / circuity, columns ``source_id``,
            ``minutes``, ``network_source``.
        """
        per_m, bands, sources, ids = self._isochrone_args(sources_xy, profile, minutes, direction, source_ids)
        if len(sources) == 0:
            return empty_isochrones(settings.GEOGRAPHIC_CRS)
        radius = np.array(bands) / per_m
        px = np.repeat(sources[:, 0], len(bands))
        py = np.repeat(sources[:, 1], len(bands))
        geoms = shapely.buffer(shapely.points(px, py), np.tile(radius, len(sources)), quad_segs=16)
        gdf = gpd.GeoDataFrame(
            {
                "source_id": np.repeat(ids, len(bands)),
                "minutes": np.tile(bands, len(sources)),
                "network_source": self.network_source,
            },
            geometry=geoms,
            crs=self.crs,
        )
        return gdf.to_crs(settings.GEOGRAPHIC_CRS)
