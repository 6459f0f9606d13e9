"""Travel answers remembered across runs: a new threshold, dispatch delay or target asks no new travel.

Travel times depend on the travel model, the profile, the direction and the points (which
facilities are active, which cells) — never on ``minutes``, ``dispatch_minutes`` or a target.
:func:`remembering` wraps a model so that each distinct question is computed once and answered
from memory afterwards; the memory is bounded (``settings.TRAVEL_CACHE_MB``, least recently
used answers go first) and kept per model, apart from any cached document. With
:func:`share_on_disk` the answers are also kept in a folder (:mod:`analysis.coverage.travel_disk`),
so that other processes on the same model (the server's workers) read them instead of asking.
"""

from __future__ import annotations

import hashlib
import logging
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis import settings
from analysis.coverage.travel_disk import DiskAnswers

if TYPE_CHECKING:
    from pathlib import Path

    import geopandas as gpd

    from analysis.travel import NearestResult, TravelModel

logger = logging.getLogger(__name__)

_WRAPPERS: weakref.WeakKeyDictionary[Any, RememberingTravel] = weakref.WeakKeyDictionary()


def _digest(points: np.ndarray) -> bytes:
    arr = np.ascontiguousarray(np.asarray(points, dtype=np.float64))
    return hashlib.blake2b(arr.tobytes() + str(arr.shape).encode(), digest_size=16).digest()


class RememberingTravel:
    """A travel model that answers each distinct question once (see the module docstring).

    Parameters
    ----------
    travel
        The model asked the first time.
    """

    def __init__(self, travel: TravelModel) -> None:
        self._travel = travel
        self.network_source = travel.network_source
        self.crs = travel.crs
        self._answers: OrderedDict[tuple[Any, ...], tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0
        self.disk: DiskAnswers | None = None
        if hasattr(travel, "snap_distance_m"):
            # only models that snap offer access legs
            self.snap_distance_m = self._snap_distance_m

    def __getattr__(self, name: str) -> Any:
        # road nodes and other attributes of the wrapped model
        return getattr(self._travel, name)

    def _remember(self, key: tuple[Any, ...], compute: Any, *, parts: int = 1) -> Any:
        hit = self._answers.get(key)
        if hit is not None:
            self._answers.move_to_end(key)
            self.hits += 1
            return hit[0]
        kept = self.disk.load(key, parts) if self.disk is not None else None
        if kept is not None:
            self.hits += 1
            value = kept if parts > 1 else kept[0]
        else:
            self.misses += 1
            value = compute()
            if self.disk is not None:
                self.disk.save(key, value if parts > 1 else (value,))
        arrays = value if isinstance(value, tuple) else (value,)
        size = int(sum(np.asarray(a).nbytes for a in arrays))
        limit = settings.TRAVEL_CACHE_MB * 1e6
        if size <= limit:
            for a in arrays:
                if isinstance(a, np.ndarray):
                    a.setflags(write=False)  # shared answers are read-only
            self._answers[key] = (value, size)
            self._bytes += size
            while self._bytes > limit and self._answers:
                _, (_, old) = self._answers.popitem(last=False)
                self._bytes -= old
        return value

    def matrix(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Any = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> np.ndarray:
        """The wrapped model's matrix, computed once per distinct question."""
        key = ("matrix", profile, direction, cutoff_minutes, _digest(sources_xy), _digest(targets_xy))
        return self._remember(
            key,
            lambda: np.asarray(
                self._travel.matrix(
                    sources_xy,
                    targets_xy,
                    profile=profile,
                    direction=direction,
                    cutoff_minutes=cutoff_minutes,
                ),
                dtype=np.float64,
            ),
        )

    def nearest(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Any = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> NearestResult:
        """The wrapped model's nearest sources, computed once per distinct question."""
        from analysis.travel import NearestResult

        key = ("nearest", profile, direction, cutoff_minutes, _digest(sources_xy), _digest(targets_xy))

        def compute() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            res = self._travel.nearest(
                sources_xy, targets_xy, profile=profile, direction=direction, cutoff_minutes=cutoff_minutes
            )
            return (
                np.asarray(res.minutes, dtype=np.float64),
                np.asarray(res.source_index, dtype=np.int64),
                np.asarray(res.snap_distance_m, dtype=np.float64),
            )

        minutes, index, snap = self._remember(key, compute, parts=3)
        return NearestResult(minutes, index, snap)

    def nearest_minutes(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Any = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> np.ndarray:
        """The wrapped model's nearest-source minutes (its ``nearest_minutes`` when it has one, else
        its ``nearest``'s minutes), computed once per distinct question."""
        key = (
            "nearest_minutes",
            profile,
            direction,
            cutoff_minutes,
            _digest(sources_xy),
            _digest(targets_xy),
        )
        from analysis.travel.model import nearest_minutes

        def compute() -> np.ndarray:
            return nearest_minutes(
                self._travel,
                sources_xy,
                targets_xy,
                profile=profile,
                direction=direction,
                cutoff_minutes=cutoff_minutes,
            )

        return self._remember(key, compute)

    def nearest_distance_m(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        cutoff_m: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The wrapped model's distances, computed once per distinct question."""
        key = ("distance", profile, cutoff_m, _digest(sources_xy), _digest(targets_xy))
        return self._remember(
            key,
            lambda: tuple(
                np.asarray(a)
                for a in self._travel.nearest_distance_m(
                    sources_xy, targets_xy, profile=profile, cutoff_m=cutoff_m
                )
            ),
            parts=2,
        )

    def _snap_distance_m(self, points_xy: np.ndarray, *, profile: str) -> np.ndarray:
        """The wrapped model's access legs, computed once per point set and profile."""
        key = ("snap", profile, _digest(points_xy))
        snap = self._travel.snap_distance_m  # type: ignore[attr-defined]
        return self._remember(key, lambda: np.asarray(snap(points_xy, profile=profile)))

    def isochrones(
        self,
        sources_xy: np.ndarray,
        *,
        profile: str,
        minutes: Sequence[float],
        direction: Any = "from_sources",
        source_ids: Sequence[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """The wrapped model's isochrones (not remembered: shapes are drawn on request)."""
        return self._travel.isochrones(
            sources_xy, profile=profile, minutes=minutes, direction=direction, source_ids=source_ids
        )


def remembering(travel: TravelModel) -> TravelModel:
    """The remembering wrapper of *travel*, the same one for every run on that model.

    Parameters
    ----------
    travel
        A travel model (kept by reference; its answers live as long as it does).

    Returns
    -------
    TravelModel
        The wrapper (or *travel* itself when it already is one, or cannot be referenced weakly).
    """
    if isinstance(travel, RememberingTravel):
        return travel
    try:
        wrapper = _WRAPPERS.get(travel)
        if wrapper is None:
            wrapper = RememberingTravel(travel)
            _WRAPPERS[travel] = wrapper
    except TypeError:
        return travel
    return wrapper  # type: ignore[return-value]


def share_on_disk(
    travel: TravelModel, directory: Path | str, *, identity: str, max_bytes: int
) -> TravelModel:
    """Keep *travel*'s answers in *directory* as well, for every process that shares the folder.

    Runs on *travel* (or on its wrapper) then read an answer another process computed instead of
    asking the model again. Processes forked afterwards (the server's workers) inherit the setting.

    Parameters
    ----------
    travel
        A travel model.
    directory
        Folder of the answers (see :class:`analysis.coverage.travel_disk.DiskAnswers`).
    identity
        What the model was built from (e.g. a hash of the road network file and its settings).
    max_bytes
        Bound of the folder.

    Returns
    -------
    TravelModel
        The remembering wrapper of *travel* (see :func:`remembering`), now also on disk.
    """
    wrapper = remembering(travel)
    if isinstance(wrapper, RememberingTravel):
        wrapper.disk = DiskAnswers(directory, identity=identity, max_bytes=max_bytes)
    return wrapper
