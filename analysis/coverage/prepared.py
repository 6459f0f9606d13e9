"""Cells and facilities of one run as arrays in the working CRS, checked where they enter.

Points a road network does not join (farther than ``settings.MAX_SNAP_DISTANCE_M`` from every
road of every profile) are marked here and kept out of every travel query; each cell's access
leg (straight distance to the road it joins) is kept per profile for the report.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis import settings
from analysis.coverage.kinds import EMS_KINDS, MEDICAL_KINDS
from analysis.errors import DataError

if TYPE_CHECKING:
    from analysis.population import PopulationSurface
    from analysis.travel import TravelModel

_POINTS_CACHE: dict[tuple[int, str], tuple[gpd.GeoDataFrame, np.ndarray]] = {}


def _cell_points(surface: Any, crs: str) -> np.ndarray:
    """Cell centroids in *crs*, remembered per cells table (inputs are never mutated)."""
    key = (id(surface.cells), crs)
    hit = _POINTS_CACHE.get(key)
    if hit is not None and hit[0] is surface.cells:
        return hit[1]
    xy = np.asarray(surface.points_xy(crs), dtype=np.float64)
    if len(_POINTS_CACHE) >= 4:
        _POINTS_CACHE.clear()
    _POINTS_CACHE[key] = (surface.cells, xy)
    return xy


#: Facility attributes the standards read.
_FACILITY_FIELDS: tuple[str, ...] = (
    "id",
    "name_zh",
    "name_en",
    "kind",
    "status",
    "opens",
    "community",
    "town_code",
    "beds",
    "ambulances",
    "negative_pressure_ambulances",
)


def access_legs_m(travel: Any, points_xy: np.ndarray) -> dict[str, np.ndarray]:
    """Per profile, each point's access leg to the road it joins (the model's own snapping).

    Models that do not snap (the straight-line estimate) give an empty dict.
    """
    snap_distance = getattr(travel, "snap_distance_m", None)
    if snap_distance is None:
        return {}
    return {
        profile: np.asarray(snap_distance(points_xy, profile=profile), dtype=np.float64)
        for profile in settings.PROFILES
    }


def _snappable(legs_m: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Points within ``settings.MAX_SNAP_DISTANCE_M`` of a road of some profile (all of them without legs)."""
    if not legs_m:
        return np.ones(n, dtype=bool)
    return np.any([leg <= settings.MAX_SNAP_DISTANCE_M for leg in legs_m.values()], axis=0)


def _facility_xy(facilities: gpd.GeoDataFrame, crs: str) -> tuple[np.ndarray, np.ndarray]:
    geom = facilities.geometry
    placed = (geom.notna() & ~geom.is_empty).to_numpy()
    xy = np.full((len(facilities), 2), np.nan)
    if placed.any():
        if facilities.crs is None:
            msg = "The facilities have no coordinate reference system; load them with load_facilities()."
            raise DataError(msg)
        pts = facilities.geometry[placed].to_crs(crs)
        if not pts.geom_type.eq("Point").all():
            pts = pts.representative_point()
        xy[placed] = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    return placed, xy


@dataclass(frozen=True)
class CellTable:
    """Population cells of one run.

    Attributes
    ----------
    frame
        The input cells table (never mutated).
    population_raw, population_missing, population
        Per-cell population as given, where it is missing, and with missing as 0.
    total
        Population counted.
    xy
        Cell centroids in the working CRS.
    cell_ids, town_codes
        Per-cell id and town code (``None`` = no town).
    snappable
        Cells a travel query may use (all of them for the straight-line estimate).
    access_leg_m
        Per profile, each cell's access leg to its road in metres (empty for the estimate).
    """

    frame: gpd.GeoDataFrame
    population_raw: np.ndarray
    population_missing: np.ndarray
    population: np.ndarray
    total: float
    xy: np.ndarray
    cell_ids: np.ndarray
    town_codes: np.ndarray
    snappable: np.ndarray
    access_leg_m: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        """Number of cells."""
        return len(self.population)

    @functools.cached_property
    def query_xy(self) -> np.ndarray:
        """Centroids of the snappable cells, the targets of every travel query (read-only)."""
        xy = self.xy[self.snappable]
        xy.setflags(write=False)
        return xy

    def widen(self, values: np.ndarray, fill: float) -> np.ndarray:
        """Columns of the snappable cells → all cells, *fill* for the others."""
        if self.snappable.all():
            return values
        out = np.full((*values.shape[:-1], self.n), fill, dtype=values.dtype)
        out[..., self.snappable] = values
        return out


def prepare_cells(surface: PopulationSurface, travel: TravelModel) -> CellTable:
    """The population cells of *surface* as arrays in the travel model's CRS.

    Parameters
    ----------
    surface
        Population surface with ``cell_id``, ``population`` and ``town_code`` columns.
    travel
        Travel model (its CRS, and its snapping for the snap limit).

    Returns
    -------
    CellTable
        The cells' arrays.

    Raises
    ------
    DataError
        If a required column is missing.
    """
    cells_in = surface.cells
    for column in ("cell_id", "population", "town_code"):
        if column not in cells_in:
            msg = f"The population cells lack the column {column!r}; rebuild them with analysis.population."
            raise DataError(msg)
    pop_raw = np.asarray(surface.populations, dtype=np.float64)
    pop_missing = ~np.isfinite(pop_raw)
    pop = np.where(pop_missing, 0.0, pop_raw)
    xy = _cell_points(surface, travel.crs)
    legs = access_legs_m(travel, xy)
    raw_codes = cells_in["town_code"]
    return CellTable(
        frame=cells_in,
        population_raw=pop_raw,
        population_missing=pop_missing,
        population=pop,
        total=float(pop.sum()),
        xy=xy,
        cell_ids=cells_in["cell_id"].to_numpy(),
        town_codes=raw_codes.astype(object).where(raw_codes.notna(), None).to_numpy(dtype=object),
        snappable=_snappable(legs, len(xy)),
        access_leg_m=legs,
    )


@dataclass(frozen=True)
class FacilityTable:
    """Facilities of one run: attributes, positions and the masks the standards select by.

    Attributes
    ----------
    frame
        Attribute columns the standards read (a plain DataFrame: it is sliced many times).
    ids, kind, status
        Per-facility id, kind and status as strings.
    is_open, is_planned
        Status masks.
    placed, xy
        Whether a facility has a location, and its point in the working CRS (NaN when not placed).
    far
        Placed but beyond the snap limit of the road network.
    medical, ems, aed
        Placed, reachable, open or planned facilities of each family.
    """

    frame: pd.DataFrame
    ids: np.ndarray
    kind: np.ndarray
    status: np.ndarray
    is_open: np.ndarray
    is_planned: np.ndarray
    placed: np.ndarray
    xy: np.ndarray
    far: np.ndarray
    medical: np.ndarray
    ems: np.ndarray
    aed: np.ndarray

    @property
    def medical_index(self) -> np.ndarray:
        """Row numbers of the medical facilities travel is queried for."""
        return np.flatnonzero(self.medical)

    @property
    def ems_index(self) -> np.ndarray:
        """Row numbers of the 120 sites travel is queried for."""
        return np.flatnonzero(self.ems)

    @property
    def has_planned(self) -> bool:
        """Whether any facility is planned (then a second scenario is evaluated)."""
        return bool(self.is_planned.any())

    def active(self, with_planned: bool) -> np.ndarray:
        """Facilities counted as open in a scenario."""
        return self.is_open | (self.is_planned & with_planned)


def prepare_facilities(facilities: gpd.GeoDataFrame, travel: TravelModel) -> FacilityTable:
    """The facility table as arrays in the travel model's CRS.

    Parameters
    ----------
    facilities
        Facilities as loaded by :func:`analysis.datasets.load_facilities`.
    travel
        Travel model (its CRS, and its snapping for the snap limit).

    Returns
    -------
    FacilityTable
        Attributes, positions and family masks.

    Raises
    ------
    DataError
        If ``id``, ``kind`` or ``status`` is missing, or located facilities have no CRS.
    """
    fields = dict.fromkeys((*_FACILITY_FIELDS, *settings.CAPACITY_COLUMNS))
    keep = [c for c in fields if c in facilities.columns]
    fac = pd.DataFrame({c: facilities[c].to_numpy() for c in keep})
    for column in ("id", "kind", "status"):
        if column not in fac:
            msg = (
                f"The facilities lack the column {column!r}; "
                "load them with analysis.datasets.load_facilities()."
            )
            raise DataError(msg)
    kind = fac["kind"].astype(str).to_numpy()
    status = fac["status"].astype(str).to_numpy()
    is_open = status == "open"
    is_planned = status == "planned"
    placed, xy = _facility_xy(facilities, travel.crs)
    far = np.zeros(len(fac), dtype=bool)
    far[placed] = ~_snappable(access_legs_m(travel, xy[placed]), int(placed.sum()))
    usable = placed & ~far & (is_open | is_planned)
    return FacilityTable(
        frame=fac,
        ids=fac["id"].astype(str).to_numpy(),
        kind=kind,
        status=status,
        is_open=is_open,
        is_planned=is_planned,
        placed=placed,
        xy=xy,
        far=far,
        medical=np.isin(kind, MEDICAL_KINDS) & usable,
        ems=np.isin(kind, EMS_KINDS) & usable,
        aed=(kind == "aed") & usable,
    )
