"""The travel queries of one run, each asked of the travel model once and shared by the scenarios.

One matrix per mode over every placed medical facility (open and planned), one ambulance matrix
over every 120 site, and network distances to 120 sites and AEDs; a scenario (current network,
or with planned facilities) is a subset of rows of these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from analysis.coverage.kinds import SERVICE_MODES
from analysis.coverage.numeric import _pairwise_m, _take

if TYPE_CHECKING:
    from analysis.coverage.options import ResolvedOptions
    from analysis.coverage.prepared import CellTable, FacilityTable
    from analysis.travel import TravelModel


def _nearest_from_matrix(
    matrix: np.ndarray, rows: np.ndarray, n_targets: int
) -> tuple[np.ndarray, np.ndarray]:
    """Min over the selected rows: (minutes, row index into *matrix*, -1 when unreached)."""
    if not rows.any():
        return np.full(n_targets, np.inf), np.full(n_targets, -1, dtype=np.int64)
    sub = matrix[rows]
    arg = np.argmin(sub, axis=0)
    best = sub[arg, np.arange(n_targets)]
    index = np.flatnonzero(rows)[arg]
    index = np.where(np.isfinite(best), index, -1)
    return best, index


def _straight_min_m(sources_xy: np.ndarray, targets_xy: np.ndarray) -> np.ndarray:
    if len(sources_xy) == 0:
        return np.full(len(targets_xy), np.inf)
    return _pairwise_m(sources_xy, targets_xy).min(axis=0)


def service_modes(opts: ResolvedOptions) -> list[str]:
    """Modes the service circle is evaluated by: the standard ones plus the headline profile."""
    return list(SERVICE_MODES) + ([opts.profile] if opts.profile not in SERVICE_MODES else [])


class TravelQueries:
    """Travel times and distances of one run, from cells to facilities.

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
        Modes with a medical-facility matrix.
    mode_matrix
        ``mode_matrix[mode]``: minutes, shape (medical facilities, cells); ``inf`` = not reached.
    ems_matrix
        Ambulance drive minutes from each 120 site, shape (120 sites, cells).
    """

    def __init__(
        self, travel: TravelModel, cells: CellTable, facilities: FacilityTable, opts: ResolvedOptions
    ) -> None:
        self.travel = travel
        self.cells = cells
        self.facilities = facilities
        self.opts = opts
        self.modes = service_modes(opts)
        n = cells.n
        xy_q = cells.query_xy
        med_idx = facilities.medical_index
        ems_idx = facilities.ems_index
        self.mode_matrix: dict[str, np.ndarray] = {}
        for mode in self.modes:
            if len(med_idx):
                matrix = travel.matrix(facilities.xy[med_idx], xy_q, profile=mode, direction="to_sources")
                self.mode_matrix[mode] = cells.widen(np.asarray(matrix, dtype=np.float64), np.inf)
            else:
                self.mode_matrix[mode] = np.full((0, n), np.inf)
        if len(ems_idx):
            matrix = travel.matrix(
                facilities.xy[ems_idx], xy_q, profile=opts.ems_profile, direction="from_sources"
            )
            self.ems_matrix = cells.widen(np.asarray(matrix, dtype=np.float64), np.inf)
        else:
            self.ems_matrix = np.full((0, n), np.inf)
        self._distance_cache: dict[tuple[str, bool], tuple[np.ndarray, np.ndarray]] = {}

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
                d, src = self.travel.nearest_distance_m(
                    fac.xy[rows], self.cells.query_xy, profile=profile, cutoff_m=cutoff_m
                )
                self._distance_cache[key] = (
                    self.cells.widen(np.asarray(d, dtype=np.float64), np.inf),
                    self.cells.widen(np.asarray(src, dtype=np.int64), -1),
                )
        return self._distance_cache[key]

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
        best, index = _nearest_from_matrix(self.mode_matrix[mode], rows, self.cells.n)
        return best, _take(self.facilities.medical_index, index, -1)

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
        best, index = _nearest_from_matrix(self.ems_matrix, rows, self.cells.n)
        return best, _take(self.facilities.ems_index, index, -1)

    def straight_ems_m(self, active: np.ndarray) -> np.ndarray:
        """Straight-line metres from each cell to the nearest active 120 site."""
        fac = self.facilities
        return _straight_min_m(fac.xy[fac.ems & active], self.cells.xy)
