"""Argument checks shared by every travel model, and the documented public methods built on them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, Literal, TypeVar

import geopandas as gpd
import numpy as np

from analysis.errors import ParameterError
from analysis.travel.model import DIRECTIONS, Direction, NearestResult


def as_xy(points: np.ndarray | Sequence[Sequence[float]], name: str) -> np.ndarray:
    """Points as a checked (n, 2) float64 array; *name* is used in the error message."""
    arr = np.asarray(points, dtype=np.float64)
    if arr.size == 0:
        return np.empty((0, 2), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        msg = f"{name} must be an (n, 2) array of x/y coordinates in the working CRS, got shape {arr.shape}."
        raise ParameterError(msg)
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        msg = f"{name} has missing or infinite coordinates at index {first}; drop them first."
        raise ParameterError(msg)
    return arr


def check_direction(direction: str) -> None:
    """Raise :class:`ParameterError` unless *direction* is ``from_sources`` or ``to_sources``."""
    if direction not in DIRECTIONS:
        msg = f"Unknown direction {direction!r}; use 'from_sources' or 'to_sources'."
        raise ParameterError(msg)


def check_cutoff(cutoff: float | None, name: str) -> float:
    """A cutoff as a number (``inf`` for None); raise :class:`ParameterError` if negative."""
    if cutoff is None:
        return np.inf
    if not cutoff >= 0:
        msg = f"{name} must be a non-negative number, got {cutoff!r}."
        raise ParameterError(msg)
    return float(cutoff)


def check_minutes(minutes: Sequence[float]) -> list[float]:
    """Isochrone bands, sorted and distinct; raise :class:`ParameterError` unless positive and finite."""
    bands = sorted({float(m) for m in minutes})
    if not bands or bands[0] <= 0 or not np.isfinite(bands[-1]):
        msg = f"minutes must be one or more positive numbers (e.g. 5, 10, 15), got {list(minutes)!r}."
        raise ParameterError(msg)
    return bands


def check_buffer_m(buffer_m: float | None, default: float) -> float:
    """The half-width of an isochrone's band around its roads, metres (*default* for None).

    Raises
    ------
    ParameterError
        Unless a positive, finite number: a band of no width around a road has no area.
    """
    if buffer_m is None:
        return float(default)
    try:
        width = float(buffer_m)
    except (TypeError, ValueError):
        width = float("nan")
    if not (np.isfinite(width) and width > 0):
        msg = (
            f"buffer_m must be a positive number of metres (how far from a reached road a place "
            f"still counts as reached, e.g. 75), got {buffer_m!r}."
        )
        raise ParameterError(msg)
    return width


def checked_source_ids(source_ids: Sequence[str] | None, n: int) -> list[str]:
    """One label per source (default ``"0"``, ``"1"``, ...)."""
    if source_ids is None:
        return [str(i) for i in range(n)]
    ids = [str(s) for s in source_ids]
    if len(ids) != n:
        msg = f"source_ids has {len(ids)} entries but there are {n} sources; give one id per source."
        raise ParameterError(msg)
    return ids


def empty_isochrones(crs_out: str) -> gpd.GeoDataFrame:
    """The isochrone table with no rows."""
    return gpd.GeoDataFrame({"source_id": [], "minutes": [], "network_source": []}, geometry=[], crs=crs_out)


#: What a model prepares per profile: minutes per metre, or the profile's road matrices.
Prepared = TypeVar("Prepared")


class CheckedTravel(Generic[Prepared]):
    """The documented :class:`TravelModel` methods and their argument checks.

    Subclasses prepare each profile in :meth:`_profile` (which rejects unknown profiles) and
    compute in the hooks :meth:`_nearest` and :meth:`_matrix_minutes`, which get checked
    (n, 2) arrays and numeric cutoffs.
    """

    crs: str
    network_source: str

    def _profile(self, profile: str) -> Prepared:
        raise NotImplementedError

    def _nearest(
        self,
        prepared: Prepared,
        profile: str,
        sources: np.ndarray,
        targets: np.ndarray,
        *,
        unit: Literal["minutes", "metres"],
        direction: Direction,
        cutoff: float,
    ) -> NearestResult:
        """Nearest source of each target by time or distance; ``minutes`` holds values in *unit*."""
        raise NotImplementedError

    def _matrix_minutes(
        self,
        prepared: Prepared,
        profile: str,
        sources: np.ndarray,
        targets: np.ndarray,
        direction: Direction,
        cutoff_minutes: float,
    ) -> np.ndarray:
        raise NotImplementedError

    def nearest(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Direction = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> NearestResult:
        """Nearest source of every target by travel time.

        Parameters
        ----------
        sources_xy, targets_xy
            (n, 2) coordinates in ``self.crs``.
        profile
            One of ``settings.PROFILES``.
        direction
            ``"from_sources"`` (travel starts at the source, e.g. an ambulance) or
            ``"to_sources"`` (travel ends at the source, e.g. a patient going to a clinic).
            Straight lines are symmetric: the straight-line estimate only checks it.
        cutoff_minutes
            Targets beyond this get ``inf`` / -1; on a road network it also bounds the search.

        Returns
        -------
        NearestResult
            Minutes, nearest source index and each target's snap distance (all zeros for the
            straight-line estimate).

        Raises
        ------
        ParameterError
            On an unknown profile/direction, bad coordinates or a negative cutoff.
        """
        prepared, sources, targets, cutoff = self._checked(
            sources_xy, targets_xy, profile, direction, cutoff_minutes, "cutoff_minutes"
        )
        return self._nearest(
            prepared, profile, sources, targets, unit="minutes", direction=direction, cutoff=cutoff
        )

    def nearest_distance_m(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        cutoff_m: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Road distance from the nearest source (by distance) to each target.

        On a road network: the shortest network distance including both off-network legs,
        on the roads and one-way rules of *profile*. Straight-line estimate: straight-line
        distance × ``settings.CIRCUITY_FACTOR`` (the profile is checked but does not matter).

        Parameters
        ----------
        sources_xy, targets_xy
            (n, 2) coordinates in ``self.crs``.
        profile
            One of ``settings.PROFILES``.
        cutoff_m
            Targets beyond this get ``inf`` / -1.

        Returns
        -------
        tuple of numpy.ndarray
            ``(distance_m, source_index)``.
        """
        prepared, sources, targets, cutoff = self._checked(
            sources_xy, targets_xy, profile, "from_sources", cutoff_m, "cutoff_m"
        )
        res = self._nearest(
            prepared, profile, sources, targets, unit="metres", direction="from_sources", cutoff=cutoff
        )
        return res.minutes, res.source_index

    def matrix(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Direction = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> np.ndarray:
        """Minutes between every source and every target, in memory-bounded chunks of sources.

        Parameters
        ----------
        sources_xy, targets_xy
            (n, 2) coordinates in ``self.crs``.
        profile
            One of ``settings.PROFILES``.
        direction
            ``"from_sources"`` or ``"to_sources"`` (only checked by the straight-line
            estimate, which is symmetric).
        cutoff_minutes
            Entries above this are ``inf``; on a road network it also bounds each search.

        Returns
        -------
        numpy.ndarray
            (n_sources, n_targets) float64 minutes.

        Raises
        ------
        """
        prepared, sources, targets, cutoff = self._checked(
            sources_xy, targets_xy, profile, direction, cutoff_minutes, "cutoff_minutes"
        )
        return self._matrix_minutes(prepared, profile, sources, targets, direction, cutoff)

    def _checked(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        profile: str,
        direction: Direction,
        cutoff: float | None,
        cutoff_name: str,
    ) -> tuple[Prepared, np.ndarray, np.ndarray, float]:
        """Checked (prepared profile, sources, targets, cutoff), checking direction first."""
        check_direction(direction)
        prepared = self._profile(profile)
        limit = check_cutoff(cutoff, cutoff_name)
        return prepared, as_xy(sources_xy, "sources_xy"), as_xy(targets_xy, "targets_xy"), limit

    def _isochrone_args(
        self,
        sources_xy: np.ndarray,
        profile: str,
        minutes: Sequence[float],
        direction: Direction,
        source_ids: Sequence[str] | None,
    ) -> tuple[Prepared, list[float], np.ndarray, list[str]]:
        """Checked arguments of ``isochrones``: (prepared profile, sorted bands, sources, ids)."""
        check_direction(direction)
        prepared = self._profile(profile)
        bands = check_minutes(minutes)
        sources = as_xy(sources_xy, "sources_xy")
        return prepared, bands, sources, checked_source_ids(source_ids, len(sources))
