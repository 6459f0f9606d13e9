"""Time of day: travel at peak hour as free-flow minutes times a factor per profile.

At ``period="peak"`` every travel time of a profile is multiplied by
``settings.PEAK_FACTOR_BY_PROFILE[profile]``; distances do not change. A uniform factor on a
profile's edges leaves its shortest paths as they are, so scaling the door-to-door minutes is
the same as slowing every road of that profile (the short leg from a point to its road is
slowed too, which a real queue would not do: an upper bound by at most that leg's minutes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis import settings
from analysis.errors import ParameterError

if TYPE_CHECKING:
    import geopandas as gpd

    from analysis.travel import NearestResult, TravelModel

__all__ = ["PeakTravel", "at_period", "check_period", "peak_factors"]


def check_period(value: str | None) -> str:
    """*value* (``None`` → ``settings.DEFAULT_PERIOD``) if it is a known period.

    Raises
    ------
    ParameterError
        If it is not one of ``settings.PERIODS``.
    """
    chosen = settings.DEFAULT_PERIOD if value is None else value
    if chosen not in settings.PERIODS:
        msg = f"period {chosen!r} is not known; choose one of: {', '.join(settings.PERIODS)}."
        raise ParameterError(msg)
    return chosen


def peak_factors(period: str) -> dict[str, float]:
    """Multiplier on minutes per profile for *period* (1 for every profile off-peak)."""
    if period == "peak":
        return {p: float(settings.PEAK_FACTOR_BY_PROFILE.get(p, 1.0)) for p in settings.PROFILES}
    return dict.fromkeys(settings.PROFILES, 1.0)


class PeakTravel:
    """A travel model whose minutes are multiplied per profile; everything else is the wrapped model's.

    Parameters
    ----------
    travel
        The free-flow model.
    factors
        Multiplier per profile (missing = 1).
    """

    def __init__(self, travel: TravelModel, factors: Mapping[str, float]) -> None:
        self._travel = travel
        self.factors = dict(factors)
        self.network_source = travel.network_source
        self.crs = travel.crs

    def __getattr__(self, name: str) -> Any:
        # road nodes, graph and other attributes of the wrapped model
        return getattr(self._travel, name)

    def _factor(self, profile: str) -> float:
        return float(self.factors.get(profile, 1.0))

    def _cutoff(self, cutoff_minutes: float | None, profile: str) -> float | None:
        return None if cutoff_minutes is None else cutoff_minutes / self._factor(profile)

    def matrix(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Any = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> np.ndarray:
        """The wrapped model's matrix, minutes times the profile's factor."""
        out = self._travel.matrix(
            sources_xy,
            targets_xy,
            profile=profile,
            direction=direction,
            cutoff_minutes=self._cutoff(cutoff_minutes, profile),
        )
        return np.asarray(out, dtype=np.float64) * self._factor(profile)

    def nearest(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Any = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> NearestResult:
        """The wrapped model's nearest sources, minutes times the profile's factor."""
        from analysis.travel import NearestResult

        res = self._travel.nearest(
            sources_xy,
            targets_xy,
            profile=profile,
            direction=direction,
            cutoff_minutes=self._cutoff(cutoff_minutes, profile),
        )
        return NearestResult(
            np.asarray(res.minutes, dtype=np.float64) * self._factor(profile),
            res.source_index,
            res.snap_distance_m,
        )

    def nearest_minutes(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Any = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> np.ndarray:
        """The wrapped model's nearest-source minutes times the profile's factor."""
        from analysis.travel.model import nearest_minutes

        minutes = nearest_minutes(
            self._travel,
            sources_xy,
            targets_xy,
            profile=profile,
            direction=direction,
            cutoff_minutes=self._cutoff(cutoff_minutes, profile),
        )
        return minutes * self._factor(profile)

    def nearest_distance_m(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        cutoff_m: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distances do not depend on the time of day."""
        return self._travel.nearest_distance_m(sources_xy, targets_xy, profile=profile, cutoff_m=cutoff_m)

    def isochrones(
        self,
        sources_xy: np.ndarray,
        *,
        profile: str,
        minutes: Sequence[float],
        direction: Any = "from_sources",
        source_ids: Sequence[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """Bands of the wrapped model at minutes divided by the factor, labelled with the asked minutes."""
        factor = self._factor(profile)
        gdf = self._travel.isochrones(
            sources_xy,
            profile=profile,
            minutes=[m / factor for m in minutes],
            direction=direction,
            source_ids=source_ids,
        )
        if "minutes" in gdf:
            gdf = gdf.copy()
            gdf["minutes"] = gdf["minutes"] * factor
        return gdf


def at_period(travel: TravelModel, period: str) -> TravelModel:
    """*travel* as seen at *period*: itself off-peak, a :class:`PeakTravel` at peak hour.

    Parameters
    ----------
    travel
        The free-flow model.
    period
        ``"offpeak"`` or ``"peak"``.

    Returns
    -------
    TravelModel
        A model answering in the period's minutes.
    """
    factors = peak_factors(check_period(period))
    if all(f == 1.0 for f in factors.values()):
        return travel
    return PeakTravel(travel, factors)  # type: ignore[return-value]
