"""The travel queries of one run, each asked of the travel model once and shared by the scenarios.

Per scenario (current network, or with planned facilities) and profile, one multi-source run
per tier of facilities gives every cell its nearest one; network distances to 120 sites and
AEDs likewise. A (facility × cell) matrix is computed only for measures that need every
facility. Minutes whose nearest facility is not named are taken, where that is exact, from
answers the run already has (:mod:`analysis.coverage.known_minima`): the accessibility matrix,
or the open facilities' minutes when planned ones are added. The model given is remembered
across runs (:mod:`analysis.coverage.travel_cache`), so a run that changes only thresholds asks
no new travel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from analysis import settings
from analysis.coverage.accessibility import known_capacity
from analysis.coverage.kinds import SERVICE_MODES
from analysis.coverage.known_minima import matrix_minima
from analysis.coverage.numeric import _pairwise_m, _take

if TYPE_CHECKING:
    from analysis.coverage.options import ResolvedOptions
    from analysis.coverage.prepared import CellTable, FacilityTable
    from analysis.travel import TravelModel


def _straight_min_m(sources_xy: np.ndarray, targets_xy: np.ndarray) -> np.ndarray:
    if len(sources_xy) == 0:
        return np.full(len(targets_xy), np.inf)
    return _pairwise_m(sources_xy, targets_xy).min(axis=0)


def service_modes(opts: ResolvedOptions) -> list[str]:
    """Modes the service circle is evaluated by: the standard ones plus the headline profile."""
    return list(SERVICE_MODES) + ([opts.profile] if opts.profile not in SERVICE_MODES else [])


class TravelQueries:
    """Travel times and distances of one run, from cells to facilities.

    Each scenario's facility set is one multi-source run per (profile, tier): the nearest
    active facility of every cell, with each point set joined to the roads once per profile
    (the engine remembers its joins). One (facility × cell) matrix is computed, on first use:
    the accessibility measure's, from the facilities whose capacity it weighs.

    Parameters
    ----------
    travel
        The travel model asked.
    cells, facilities
        The run's prepared cells and facilities.
    opts
        The run's options (headline profile, ambulance profile).

    Attributes
    ----------
    modes
        Modes of the service circle.
    """

    def __init__(
        self, travel: TravelModel, cells: CellTable, facilities: FacilityTable, opts: ResolvedOptions
    ) -> None:
        self.travel = travel
        self.cells = cells
        self.facilities = facilities
        self.opts = opts
        self.modes = service_modes(opts)
        self._catchment: dict[tuple[str, float], tuple[np.ndarray, np.ndarray]] = {}
        self._distance_cache: dict[tuple[str, bool], tuple[np.ndarray, np.ndarray]] = {}
        self._nearest_cache: dict[tuple[str, str, bytes], tuple[np.ndarray, np.ndarray]] = {}
        self._minutes_cache: dict[tuple[str, bytes], np.ndarray] = {}
        # whether minima over sets of facilities may be combined from other answers (see known_minima)
        self._exact_minima = bool(getattr(travel, "exact_minima", False))

    def catchment_matrix(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The accessibility measure's minutes from each medical facility of known capacity to each cell.

        Only facilities with a number in a capacity column (:func:`known_capacity`) weigh in the
        measure, so only they are searched from, each up to the last band.

        Returns
        -------
        tuple of numpy.ndarray or None
            ``(rows, minutes)``: mask over :attr:`FacilityTable.medical_index` of those facilities,
            and their ``settings.E2SFCA_PROFILE`` minutes to each cell, shape (``rows.sum()``,
            cells), ``inf`` beyond ``settings.E2SFCA_BANDS[-1][0]``; ``None`` when that profile is
            not a mode of the run.
        """
        profile = settings.E2SFCA_PROFILE
        if profile not in self.modes:
            return None
        cutoff = settings.E2SFCA_BANDS[-1][0]
        key = (profile, cutoff)
        if key not in self._catchment:
            fac, cells = self.facilities, self.cells
            med_idx = fac.medical_index
            rows = known_capacity(fac.frame)[med_idx]
            if rows.any():
                matrix = self.travel.matrix(
                    fac.xy[med_idx[rows]],
                    cells.query_xy,
                    profile=profile,
                    direction="to_sources",
                    cutoff_minutes=cutoff,
                )
                minutes = cells.widen(np.asarray(matrix, dtype=np.float64), np.inf)
            else:
                minutes = np.full((0, cells.n), np.inf)
            self._catchment[key] = (rows, minutes)
        return self._catchment[key]

    def _nearest(self, rows: np.ndarray, profile: str, direction: str) -> tuple[np.ndarray, np.ndarray]:
        """Minutes to (or from) the nearest of the facility *rows*, and its row (-1 = none)."""
        key = (profile, direction, rows.tobytes())
        hit = self._nearest_cache.get(key)
        if hit is None:
            n = self.cells.n
            if len(rows) == 0:
                hit = (np.full(n, np.inf), np.full(n, -1, dtype=np.int64))
            else:
                res = self.travel.nearest(
                    self.facilities.xy[rows],
                    self.cells.query_xy,
                    profile=profile,
                    direction=direction,  # type: ignore[arg-type]
                )
                index = _take(rows, np.asarray(res.source_index, dtype=np.int64), -1)
                hit = (
                    self.cells.widen(np.asarray(res.minutes, dtype=np.float64), np.inf),
                    self.cells.widen(np.asarray(index, dtype=np.int64), -1),
                )
            self._nearest_cache[key] = hit
        return hit

    def with_cells(self, cells: CellTable) -> TravelQueries:
        """The same queries seen from *cells* (the same cells with other people in them)."""
        import copy

        other = copy.copy(self)
        other.cells = cells
        return other

    def distances(
        self, what: str, with_planned: bool, profile: str, cutoff_m: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Network distance (m) from each cell to the nearest active site, and that site's row.

        Parameters
        ----------
        what
            ``"ems"`` (120 sites) or ``"aed"``.
        with_planned
            Whether planned sites count.
        profile
            Travel profile of the distance.
        cutoff_m
            Distances beyond this are ``inf``.

        Returns
        -------
        tuple of numpy.ndarray
            Per-cell metres and the index into the active sites (-1 when none within the cutoff).
        """
        fac = self.facilities
        sites = fac.ems if what == "ems" else fac.aed
        # without planned sites of this kind both scenarios share one query
        key = (what, with_planned or not (sites & fac.is_planned).any())
        if key not in self._distance_cache:
            n = self.cells.n
            rows = np.flatnonzero(sites & fac.active(with_planned))
            if len(rows) == 0:
                self._distance_cache[key] = (np.full(n, np.inf), np.full(n, -1, dtype=np.int64))
            else:
                # asked without the radius (a target, not travel), which is applied here
                d, src = self.travel.nearest_distance_m(fac.xy[rows], self.cells.query_xy, profile=profile)
                self._distance_cache[key] = (
                    self.cells.widen(np.asarray(d, dtype=np.float64), np.inf),
                    self.cells.widen(np.asarray(src, dtype=np.int64), -1),
                )
        d, src = self._distance_cache[key]
        within = d <= cutoff_m
        return np.where(within, d, np.inf), np.where(within, src, -1)

    def nearest_medical(self, mode: str, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Minutes by *mode* to the nearest selected medical facility, and its facility row.

        Parameters
        ----------
        mode
            One of :attr:`modes`.
        rows
            Mask over the queried medical facilities (:attr:`FacilityTable.medical_index`).

        Returns
        -------
        tuple of numpy.ndarray
            Per-cell minutes (``inf`` = not reached) and row in the facility table (-1 = none).
        """
        return self._nearest(self.facilities.medical_index[rows], mode, "to_sources")

    def medical_minutes(self, mode: str, rows: np.ndarray) -> np.ndarray:
        """Minutes by *mode* to the nearest selected medical facility, without naming it.

        The same numbers as ``nearest_medical(mode, rows)[0]``, to the last bit; on a model with
        exact minima they come, where they can, from the run's other answers (the accessibility
        matrix, the open facilities' minutes) instead of a new search.

        Parameters
        ----------
        mode
            One of :attr:`modes`.
        rows
            Mask over the queried medical facilities (:attr:`FacilityTable.medical_index`).

        Returns
        -------
        numpy.ndarray
            Per-cell minutes (``inf`` = not reached).
        """
        key = (mode, self.facilities.medical_index[rows].tobytes())
        hit = self._minutes_cache.get(key)
        if hit is None:
            hit = self._known_minutes(mode, rows)
            self._minutes_cache[key] = hit
        return hit

    def _known_minutes(self, mode: str, rows: np.ndarray) -> np.ndarray:
        """:meth:`medical_minutes` computed: from known answers where exact, else one search."""
        med_idx = self.facilities.medical_index
        chosen = med_idx[rows]
        asked = (mode, "to_sources", chosen.tobytes())
        if not self._exact_minima or not rows.any() or asked in self._nearest_cache:
            return self._nearest(chosen, mode, "to_sources")[0]
        # cells no query reaches are inf in every answer
        outside = ~self.cells.snappable
        catchment = self.catchment_matrix() if mode == settings.E2SFCA_PROFILE else None
        if catchment is not None and not (rows & ~catchment[0]).any():
            searched, matrix = catchment
            minutes, exact = matrix_minima(matrix[rows[searched]], settings.E2SFCA_BANDS[-1][0])
            if (exact | outside).all():
                return minutes
        # planned facilities added to open ones: the open ones' minutes, and the added ones'
        base = rows & self.facilities.active(False)[med_idx]
        base_rows = med_idx[base].tobytes()
        base_known = (mode, base_rows) in self._minutes_cache or (mode, "to_sources", base_rows) in (
            self._nearest_cache
        )
        if not base.any() or not base_known or np.array_equal(base, rows):
            return self._search_minutes(chosen, mode)
        # the added facilities' own search serves every tier they join, and the matrix cannot help:
        # a cell it misses for the whole set is beyond its bound for the open ones too
        return np.minimum(self.medical_minutes(mode, base), self.medical_minutes(mode, rows & ~base))

    def _search_minutes(self, chosen: np.ndarray, mode: str) -> np.ndarray:
        """Minutes to the nearest of the facility *chosen* rows, from one search that names none."""
        named = self._nearest_cache.get((mode, "to_sources", chosen.tobytes()))
        if named is not None:
            return named[0]
        ask = getattr(self.travel, "nearest_minutes", None)
        if ask is None:
            return self._nearest(chosen, mode, "to_sources")[0]
        minutes = ask(self.facilities.xy[chosen], self.cells.query_xy, profile=mode, direction="to_sources")
        return self.cells.widen(np.asarray(minutes, dtype=np.float64), np.inf)

    def nearest_ems(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ambulance drive minutes from the nearest selected 120 site, and its facility row.

        Parameters
        ----------
        rows
            Mask over the queried 120 sites (:attr:`FacilityTable.ems_index`).

        Returns
        -------
        tuple of numpy.ndarray
            Per-cell minutes (``inf`` = not reached) and row in the facility table (-1 = none).
        """
        return self._nearest(self.facilities.ems_index[rows], self.opts.ems_profile, "from_sources")

    def straight_ems_m(self, active: np.ndarray) -> np.ndarray:
        """Straight-line metres from each cell to the nearest active 120 site."""
        fac = self.facilities
        return _straight_min_m(fac.xy[fac.ems & active], self.cells.xy)
