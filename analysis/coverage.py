"""Who is covered, by which tier, per town, against each standard of the plan.

The metric functions here are pure: they take travel times (or distances) per population cell,
the cells' populations and town codes, or facility tables, and return one JSON-able result per
standard (see :mod:`analysis.standards`). :func:`run_coverage` asks the travel model for each
travel query once, then evaluates every standard for the current network and, when planned
facilities exist, for the network with them, so the two can be compared.

Population shares are computed over all cells with a known population: cells the travel model
cannot reach (e.g. farther from a road than the snap limit) count as not covered, and the
report lists them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis import settings
from analysis.errors import DataError, ParameterError
from analysis.standards import STANDARDS, Standard, get_standard

if TYPE_CHECKING:
    from analysis.datasets import Inputs
    from analysis.travel import TravelModel

__all__ = [
    "EMS_KINDS",
    "MEDICAL_KINDS",
    "SERVICE_MODES",
    "TIERS",
    "CoverageOptions",
    "CoverageRun",
    "aed_per_10k",
    "aed_walk_access",
    "ambulance_per_30k",
    "beds_per_1000",
    "coverage_curve",
    "ems_radius_5km",
    "ems_response_14min",
    "negative_pressure_share_40",
    "run_coverage",
    "service_circle_15min",
    "village_clinic_each_village",
    "washing_centre_per_subcentre",
    "weighted_quantile",
]

logger = logging.getLogger(__name__)

#: Facility kinds that give medical care (the 15-minute circle counts these).
MEDICAL_KINDS: tuple[str, ...] = ("hospital", "township_centre", "community_centre", "village_clinic")
#: 120 sites an ambulance can leave from.
EMS_KINDS: tuple[str, ...] = ("ems_centre", "ems_subcentre", "ems_station")
#: Facility tiers of the 15-minute circle: which kinds count for each.
TIERS: dict[str, tuple[str, ...]] = {
    "any": MEDICAL_KINDS,
    "township": ("hospital", "township_centre", "community_centre"),
    "hospital": ("hospital",),
}
TIER_LABELS: dict[str, str] = {
    "any": "任一医疗机构 Any health facility",
    "township": "乡镇卫生院/社区卫生服务中心及以上 Township centre or above",
    "hospital": "医院 Hospital",
}
#: Modes the 15-minute circle is always evaluated by ("car" is the drive mode).
SERVICE_MODES: tuple[str, ...] = ("walk", "ebike", "car")
MODE_LABELS: dict[str, str] = {
    "walk": "步行 Walk",
    "ebike": "电动自行车 E-bike",
    "car": "驾车 Drive",
    "ambulance": "救护车 Ambulance",
}
#: Kind used for ambulance washing centres when a user's data supplies them.
WASHING_CENTRE_KIND = "washing_centre"
UNKNOWN = "unknown"
LOCATION_UNKNOWN = "location unknown"


# --------------------------------------------------------------------------------------------
# options
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoverageOptions:
    """Choices of one coverage run; ``None`` means "use the setting".

    Attributes
    ----------
    profile
        Headline travel mode of the 15-minute circle (``settings.SERVICE_CIRCLE_PROFILE``).
    minutes
        Threshold of the service circle (``settings.SERVICE_CIRCLE_MINUTES``).
    ems_profile
        Travel profile of ambulances.
    dispatch_minutes
        Call-to-departure delay added to ambulance drive time (``settings.EMS_DISPATCH_MINUTES``).
    include_planned
        Count planned facilities (e.g. a hospital campus opening next year) as open.
    aed_walk_radius_m
        Walking distance to an AED counted as access (``settings.AED_WALK_RADIUS_M``).
    """

    profile: str | None = None
    minutes: float | None = None
    ems_profile: str = "ambulance"
    dispatch_minutes: float | None = None
    include_planned: bool = False
    aed_walk_radius_m: float | None = None


@dataclass(frozen=True)
class _Resolved:
    profile: str
    minutes: float
    ems_profile: str
    dispatch_minutes: float
    include_planned: bool
    aed_walk_radius_m: float
    ems_minutes: float
    ems_radius_m: float
    required_share: float


def _check_number(name: str, value: float | None, default: float, high: float, *, low_open: bool) -> float:
    """*value* (``None`` → *default*) as a float in (0, *high*] if *low_open*, else in [0, *high*]."""
    chosen = default if value is None else value
    try:
        number = float(chosen)
    except (TypeError, ValueError):
        msg = f"{name} must be a number (got {chosen!r})."
        raise ParameterError(msg) from None
    too_low = number <= 0 if low_open else number < 0
    if not math.isfinite(number) or too_low or number > high:
        bound = "more than" if low_open else "at least"
        msg = f"{name} must be {bound} 0 and at most {high:g} (got {chosen!r})."
        raise ParameterError(msg)
    return number


def _check_profile(name: str, value: str) -> str:
    if value not in settings.PROFILES:
        msg = f"{name} {value!r} is not a travel profile; choose one of: {', '.join(settings.PROFILES)}."
        raise ParameterError(msg)
    return value


def resolve_options(options: CoverageOptions | None = None) -> _Resolved:
    """Fill in settings for ``None`` options and check every value's range.

    Parameters
    ----------
    options
        The caller's choices; ``None`` means all defaults.

    Returns
    -------
    _Resolved
        Concrete values.

    Raises
    ------
    ParameterError
        Naming the parameter and its allowed range or values.
    """
    opts = options or CoverageOptions()
    profile = _check_profile(
        "profile", opts.profile if opts.profile is not None else settings.SERVICE_CIRCLE_PROFILE
    )
    ems_profile = _check_profile("ems_profile", opts.ems_profile)
    minutes = _check_number(
        "minutes",
        opts.minutes,
        settings.SERVICE_CIRCLE_MINUTES,
        settings.MAX_THRESHOLD_MINUTES,
        low_open=True,
    )
    dispatch = _check_number(
        "dispatch_minutes",
        opts.dispatch_minutes,
        settings.EMS_DISPATCH_MINUTES,
        settings.MAX_DISPATCH_MINUTES,
        low_open=False,
    )
    radius = _check_number(
        "aed_walk_radius_m",
        opts.aed_walk_radius_m,
        settings.AED_WALK_RADIUS_M,
        settings.MAX_AED_WALK_RADIUS_M,
        low_open=True,
    )
    if not isinstance(opts.include_planned, bool):
        msg = f"include_planned must be true or false (got {opts.include_planned!r})."
        raise ParameterError(msg)
    return _Resolved(
        profile=profile,
        minutes=minutes,
        ems_profile=ems_profile,
        dispatch_minutes=dispatch,
        include_planned=opts.include_planned,
        aed_walk_radius_m=radius,
        ems_minutes=float(settings.EMS_RESPONSE_MINUTES),
        ems_radius_m=float(settings.EMS_RADIUS_M),
        required_share=float(settings.CIRCLE_REQUIRED_SHARE),
    )


# --------------------------------------------------------------------------------------------
# small numeric helpers
# --------------------------------------------------------------------------------------------
def _jsonable(obj: Any) -> Any:
    """Numpy scalars to Python, NaN/inf to None, tuples to lists, recursively."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.bool_ | bool):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(obj) else None
    if obj is pd.NA or obj is pd.NaT:
        return None
    return obj


def _share(covered: float, total: float) -> float | None:
    return covered / total if total > 0 else None


def _or_default(value: float | None, default: float) -> float:
    return float(default if value is None else value)


def _population(population: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-cell population as floats (NaN → 0) and its total."""
    pop = np.nan_to_num(np.asarray(population, dtype=np.float64))
    return pop, float(pop.sum())


def _needed(population: float, people_per_unit: int) -> int:
    """Units needed for *population* at one per *people_per_unit* (0 for no population)."""
    return math.ceil(population / people_per_unit) if population > 0 else 0


def _pairwise_m(a_xy: np.ndarray, b_xy: np.ndarray) -> np.ndarray:
    """Straight-line distances, shape (len(a_xy), len(b_xy))."""
    return np.hypot(a_xy[:, None, 0] - b_xy[None, :, 0], a_xy[:, None, 1] - b_xy[None, :, 1])


def _take(table: np.ndarray, index: np.ndarray, missing: Any) -> np.ndarray:
    """``table[index]`` where *index* >= 0, *missing* where it is -1 (also when *table* is empty)."""
    out = np.full(len(index), missing, dtype=object if missing is None else table.dtype)
    hit = index >= 0
    out[hit] = table[index[hit]]
    return out


def _nan_if_unreached(minutes: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(minutes), minutes, np.nan)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Population-weighted quantile: the smallest value whose cumulative weight reaches *q*.

    Parameters
    ----------
    values
        Per-cell values (``inf`` allowed, meaning "not reached"; NaN ignored).
    weights
        Per-cell weights (population); non-positive weights are ignored.
    q
        Quantile in [0, 1].

    Returns
    -------
    float
        The quantile, ``inf`` when it falls among unreached cells, NaN when nothing is weighted.
    """
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    keep = (weights > 0) & ~np.isnan(values)
    if not keep.any():
        return math.nan
    order = np.argsort(values[keep], kind="stable")
    v = values[keep][order]
    cum = np.cumsum(weights[keep][order])
    idx = int(np.searchsorted(cum, q * cum[-1], side="left"))
    return float(v[min(idx, len(v) - 1)])


def coverage_curve(
    minutes: np.ndarray, population: np.ndarray, *, max_minutes: int | None = None
) -> list[float | None]:
    """Share of population within t minutes, for t = 0, 1, ..., *max_minutes*.

    Parameters
    ----------
    minutes
        Per-cell minutes to the nearest facility (``inf`` = not reached).
    population
        Per-cell population.
    max_minutes
        Right end of the curve (``settings.CURVE_MAX_MINUTES``).

    Returns
    -------
    list of float
        One share per whole minute; ``None`` when there is no population.
    """
    top = int(settings.CURVE_MAX_MINUTES if max_minutes is None else max_minutes)
    pop, total = _population(population)
    if total <= 0:
        return [None] * (top + 1)
    order = np.argsort(minutes, kind="stable")
    sorted_minutes = np.asarray(minutes, dtype=np.float64)[order]
    cum = np.concatenate([[0.0], np.cumsum(pop[order])])
    idx = np.searchsorted(sorted_minutes, np.arange(top + 1, dtype=np.float64), side="right")
    return [float(c / total) for c in cum[idx]]


class TownIndex:
    """Cells grouped by town, for per-town sums with ``np.bincount``.

    Build it once per run and pass it as ``town_codes`` to the metric functions to avoid
    regrouping.

    Parameters
    ----------
    town_codes
        Per-cell town code (``None``/NaN = no town).
    population
        Per-cell population.
    """

    def __init__(self, town_codes: np.ndarray | Sequence[Any] | None, population: np.ndarray) -> None:
        self.population = np.nan_to_num(np.asarray(population, dtype=np.float64))
        n = len(self.population)
        raw = np.asarray(town_codes, dtype=object) if town_codes is not None else np.full(n, None)
        self.index, uniques = pd.factorize(raw, use_na_sentinel=False)
        self.codes: list[Any] = [None if c is None or pd.isna(c) else str(c) for c in uniques]
        self.n = len(self.codes)
        self.town_population = np.bincount(self.index, weights=self.population, minlength=self.n)
        self.cell_codes = raw

    @classmethod
    def of(cls, town_codes: TownCodes, population: np.ndarray) -> TownIndex:
        """*town_codes* itself when it is already a TownIndex, else a new one."""
        return town_codes if isinstance(town_codes, TownIndex) else cls(town_codes, population)

    def sums(self, weights: np.ndarray) -> np.ndarray:
        """Sum of *weights* per town."""
        return np.bincount(self.index, weights=np.nan_to_num(weights), minlength=self.n)

    def _covered_shares(self, covered: np.ndarray) -> tuple[np.ndarray, list[float | None]]:
        covered_pop = self.sums(self.population * np.asarray(covered, dtype=bool))
        values = [_share(float(c), float(p)) for c, p in zip(covered_pop, self.town_population, strict=True)]
        return covered_pop, values

    def shares(self, covered: np.ndarray, **also_covered: np.ndarray) -> list[dict[str, Any]]:
        """Per town: population, population covered and its share.

        Each keyword names a further per-cell covered mask whose per-town share is added to the
        rows under that name.
        """
        covered_pop, values = self._covered_shares(covered)
        rows = [
            {
                "town_code": code,
                "population": float(self.town_population[i]),
                "population_covered": float(covered_pop[i]),
                "value": values[i],
            }
            for i, code in enumerate(self.codes)
        ]
        for key, mask in also_covered.items():
            for row, value in zip(rows, self._covered_shares(mask)[1], strict=True):
                row[key] = value
        return rows

    def quantiles(self, values: np.ndarray, q: float) -> dict[Any, float]:
        """Population-weighted quantile of *values* per town."""
        values = np.asarray(values, dtype=np.float64)
        order = np.lexsort((values, self.index))
        out: dict[Any, float] = {}
        bounds = np.searchsorted(self.index[order], np.arange(self.n + 1))
        for i, code in enumerate(self.codes):
            sel = order[bounds[i] : bounds[i + 1]]
            out[code] = weighted_quantile(values[sel], self.population[sel], q)
        return out


TownCodes = np.ndarray | Sequence[Any] | TownIndex | None


def _assumptions(std: Standard, **values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(settings, name) for name in std.settings}
    out.update(values)
    return out


def _result(
    std: Standard,
    *,
    value: Any,
    unit: str,
    target: Any,
    comparison: str,
    passed: bool | None,
    population_considered: float | None,
    assumptions: Mapping[str, Any],
    note: str,
    towns: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    status = UNKNOWN if passed is None else ("pass" if passed else "fail")
    out: dict[str, Any] = {
        "id": std.id,
        "name_zh": std.name_zh,
        "name_en": std.name_en,
        "target": target,
        "comparison": comparison,
        "value": value,
        "unit": unit,
        "passed": passed,
        "status": status,
        "population_considered": population_considered,
        "assumptions": dict(assumptions),
        "note": note,
        "source": std.source,
        "towns": towns if towns is not None else [],
    }
    out.update(extra)
    return out


def _share_result(
    std: Standard,
    *,
    value: float | None,
    need: float | None,
    total: float,
    assumptions: Mapping[str, Any],
    note: str,
    towns: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Result of a standard measured as a share of the population: met when it reaches *need*.

    ``need=None`` reports the share without a target.
    """
    return _result(
        std,
        value=value,
        unit="share of population",
        target=need,
        comparison=">=" if need is not None else "report",
        passed=_compare(value, need, ">=") if need is not None else None,
        population_considered=total,
        assumptions=assumptions,
        note=note,
        towns=towns,
        **extra,
    )


def _compare(value: float | None, target: float, comparison: str) -> bool | None:
    if value is None or not math.isfinite(value):
        return None
    return bool(value >= target) if comparison == ">=" else bool(value <= target)


def _int_or_none(value: Any) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return int(value)


def _fact_value(facts: Mapping[str, Any] | None, key: str) -> tuple[Any, dict[str, Any] | None]:
    if not facts or key not in facts:
        return None, None
    fact = facts[key]
    if isinstance(fact, Mapping):
        return fact.get("value"), dict(fact)
    return fact, {"id": key, "value": fact}


def _names(frame: pd.DataFrame) -> list[str]:
    if len(frame) == 0:
        return []
    zh = frame["name_zh"] if "name_zh" in frame else frame["id"]
    return [f"{i} ({n})" for i, n in zip(frame["id"], zh, strict=True)]


#: How many names a note quotes before "and N more" (the full list is in the result).
_NOTE_NAMES = 5


def _some_names(frame: pd.DataFrame, field: str) -> str:
    names = _names(frame)
    if len(names) <= _NOTE_NAMES:
        return ", ".join(names)
    return f"{', '.join(names[:_NOTE_NAMES])} and {len(names) - _NOTE_NAMES} more, listed in {field}"


# --------------------------------------------------------------------------------------------
# travel-time standards
# --------------------------------------------------------------------------------------------
def service_circle_15min(
    minutes: Mapping[str, Mapping[str, np.ndarray]],
    population: np.ndarray,
    *,
    town_codes: TownCodes = None,
    profile: str | None = None,
    threshold_minutes: float | None = None,
    required_share: float | None = None,
) -> dict[str, Any]:
    """Share of population within the threshold of the nearest facility, by mode and tier.

    Parameters
    ----------
    minutes
        ``minutes[mode][tier]``: per-cell minutes to the nearest open facility of that tier
        (tiers ``"any"``, ``"township"``, ``"hospital"``; ``inf`` = none reached).
    population
        Per-cell population.
    town_codes
        Per-cell town code, for the per-town values.
    profile
        Headline mode, one of the keys of *minutes* (``settings.SERVICE_CIRCLE_PROFILE``).
    threshold_minutes
        Threshold (``settings.SERVICE_CIRCLE_MINUTES``).
    required_share
        Share needed to count as met (``settings.CIRCLE_REQUIRED_SHARE``).

    Returns
    -------
    dict
        The standard's result; ``value`` is the headline mode's any-facility share,
        ``by_mode[mode][tier]`` all shares, ``curve`` the share within 0..30 minutes per mode.

    Raises
    ------
    ParameterError
        If the headline mode has no travel times.
    """
    std = get_standard("service_circle_15min")
    mode = profile or settings.SERVICE_CIRCLE_PROFILE
    limit = _or_default(threshold_minutes, settings.SERVICE_CIRCLE_MINUTES)
    need = _or_default(required_share, settings.CIRCLE_REQUIRED_SHARE)
    if mode not in minutes:
        msg = f"profile {mode!r} has no travel times here; choose one of: {', '.join(minutes)}."
        raise ParameterError(msg)
    pop, total = _population(population)
    by_mode: dict[str, dict[str, float | None]] = {}
    for m, tiers in minutes.items():
        by_mode[m] = {t: _share(float(pop[np.asarray(v) <= limit].sum()), total) for t, v in tiers.items()}
    value = by_mode[mode]["any"]
    town_rows = TownIndex.of(town_codes, pop).shares(
        np.asarray(minutes[mode]["any"]) <= limit,
        **{
            f"value_{tier}": np.asarray(minutes[mode][tier]) <= limit
            for tier in ("township", "hospital")
            if tier in minutes[mode]
        },
    )
    curve: dict[str, list[Any]] = {"minutes": _curve_minutes()}
    curve.update({m: coverage_curve(np.asarray(t["any"]), pop) for m, t in minutes.items()})
    label = MODE_LABELS.get(mode, mode)
    note = (
        f"{_pct(value)} of people reach a health facility within {limit:g} min by {label}; "
        f"the plan says 'further improved' and sets no share, so {need:.0%} is an assumption "
        "(CIRCLE_REQUIRED_SHARE)."
    )
    return _share_result(
        std,
        value=value,
        need=need,
        total=total,
        assumptions=_assumptions(
            std, SERVICE_CIRCLE_PROFILE=mode, SERVICE_CIRCLE_MINUTES=limit, CIRCLE_REQUIRED_SHARE=need
        ),
        note=note,
        towns=town_rows,
        profile=mode,
        threshold_minutes=limit,
        by_mode=by_mode,
        tier_labels=TIER_LABELS,
        mode_labels={m: MODE_LABELS.get(m, m) for m in minutes},
        curve=curve,
    )


def ems_response_14min(
    drive_minutes: np.ndarray,
    population: np.ndarray,
    *,
    town_codes: TownCodes = None,
    cell_ids: np.ndarray | Sequence[Any] | None = None,
    dispatch_minutes: float | None = None,
    target_minutes: float | None = None,
    required_share: float | None = None,
) -> dict[str, Any]:
    """Ambulance response (dispatch + drive from the nearest 120 site) within the target.

    Parameters
    ----------
    drive_minutes
        Per-cell drive minutes from the nearest 120 site (``inf`` = not reached).
    population
        Per-cell population.
    town_codes, cell_ids
        Per-cell town code and id, for per-town values and the worst-served lists.
    dispatch_minutes
        Call-to-departure delay (``settings.EMS_DISPATCH_MINUTES``).
    target_minutes
        Target response (``settings.EMS_RESPONSE_MINUTES``).
    required_share
        Share needed to count as met (``settings.CIRCLE_REQUIRED_SHARE``).

    Returns
    -------
    dict
        The result; ``value`` is the share within target, plus ``median_minutes``,
        ``p90_minutes`` (population-weighted) and ``worst_served`` cells and towns.
    """
    std = get_standard("ems_response_14min")
    dispatch = _or_default(dispatch_minutes, settings.EMS_DISPATCH_MINUTES)
    limit = _or_default(target_minutes, settings.EMS_RESPONSE_MINUTES)
    need = _or_default(required_share, settings.CIRCLE_REQUIRED_SHARE)
    pop, total = _population(population)
    response = np.asarray(drive_minutes, dtype=np.float64) + dispatch
    covered = response <= limit
    value = _share(float(pop[covered].sum()), total)
    towns = TownIndex.of(town_codes, pop)
    town_rows = towns.shares(covered)
    medians = towns.quantiles(response, 0.5)
    p90s = towns.quantiles(response, 0.9)
    for row in town_rows:
        row["median_minutes"] = medians[row["town_code"]]
        row["p90_minutes"] = p90s[row["town_code"]]
    median = weighted_quantile(response, pop, 0.5)
    p90 = weighted_quantile(response, pop, 0.9)
    count = int(settings.WORST_SERVED_COUNT)
    ids = np.asarray(cell_ids) if cell_ids is not None else np.arange(len(pop))
    codes = towns.cell_codes
    populated = np.flatnonzero(pop > 0)
    worst = populated[np.argsort(-response[populated], kind="stable")][:count]
    worst_cells = [
        {
            "cell_id": _jsonable(ids[i]),
            "town_code": codes[i],
            "population": float(pop[i]),
            "response_minutes": _jsonable(response[i]),
            "reached": bool(np.isfinite(response[i])),
        }
        for i in worst
    ]
    worst_towns = sorted(
        (r for r in town_rows if r["population"] > 0),
        key=lambda r: (r["value"] if r["value"] is not None else -1.0, -(r["median_minutes"] or 0)),
    )[:count]
    note = (
        f"{_pct(value)} of people get an ambulance within {limit:g} min "
        f"({dispatch:g} min dispatch + drive from the nearest 120 site); population-weighted median "
        f"{_minutes_text(median)}, 90th percentile {_minutes_text(p90)}. Met when at least {need:.0%} "
        "are inside (CIRCLE_REQUIRED_SHARE, an assumption)."
    )
    return _share_result(
        std,
        value=value,
        need=need,
        total=total,
        assumptions=_assumptions(
            std, EMS_RESPONSE_MINUTES=limit, EMS_DISPATCH_MINUTES=dispatch, CIRCLE_REQUIRED_SHARE=need
        ),
        note=note,
        towns=town_rows,
        target_minutes=limit,
        dispatch_minutes=dispatch,
        median_minutes=median,
        p90_minutes=p90,
        worst_served={"cells": worst_cells, "towns": [dict(r) for r in worst_towns]},
        curve={"minutes": _curve_minutes(), "ambulance": coverage_curve(response, pop)},
    )


def ems_radius_5km(
    network_distance_m: np.ndarray,
    straight_distance_m: np.ndarray,
    population: np.ndarray,
    *,
    town_codes: TownCodes = None,
    radius_m: float | None = None,
    required_share: float | None = None,
    network_source: str | None = None,
) -> dict[str, Any]:
    """Share of population within the service radius of a 120 site.

    Parameters
    ----------
    network_distance_m
        Per-cell network distance to the nearest 120 site (``inf`` = beyond the cutoff).
    straight_distance_m
        Per-cell straight-line distance to the nearest 120 site.
    population
        Per-cell population.
    town_codes
        Per-cell town code.
    radius_m
        Service radius (``settings.EMS_RADIUS_M``).
    required_share
        Share needed to count as met (``settings.CIRCLE_REQUIRED_SHARE``).
    network_source
        What the network distance is (shown in the note when it is a straight-line estimate).

    Returns
    -------
    dict
        ``value`` is the network share; ``straight_line_share`` the straight-line one.
    """
    std = get_standard("ems_radius_5km")
    radius = _or_default(radius_m, settings.EMS_RADIUS_M)
    need = _or_default(required_share, settings.CIRCLE_REQUIRED_SHARE)
    pop, total = _population(population)
    net = np.asarray(network_distance_m, dtype=np.float64) <= radius
    straight = np.asarray(straight_distance_m, dtype=np.float64) <= radius
    value = _share(float(pop[net].sum()), total)
    straight_share = _share(float(pop[straight].sum()), total)
    note = (
        f"{_pct(value)} of people live within {radius / 1000:g} km of a 120 site by road "
        f"({_pct(straight_share)} by straight line)."
    )
    if network_source == settings.STRAIGHT_LINE_SOURCE:
        note += (
            " No road network was given: the road distance is the straight line × "
            f"{settings.CIRCUITY_FACTOR:g} (CIRCUITY_FACTOR)."
        )
    return _share_result(
        std,
        value=value,
        need=need,
        total=total,
        assumptions=_assumptions(std, EMS_RADIUS_M=radius, CIRCLE_REQUIRED_SHARE=need),
        note=note,
        towns=TownIndex.of(town_codes, pop).shares(net, straight_line_value=straight),
        radius_m=radius,
        straight_line_share=straight_share,
    )


def aed_walk_access(
    distance_m: np.ndarray | None,
    population: np.ndarray,
    *,
    town_codes: TownCodes = None,
    radius_m: float | None = None,
    reason_unknown: str | None = None,
) -> dict[str, Any]:
    """Share of population within a short walk of an AED.

    Parameters
    ----------
    distance_m
        Per-cell walking distance to the nearest AED, or ``None`` when no AED locations are
        known (the result is then unknown, with *reason_unknown*).
    population
        Per-cell population.
    town_codes
        Per-cell town code.
    radius_m
        Walking radius (``settings.AED_WALK_RADIUS_M``).
    reason_unknown
        Why the distances are missing.

    Returns
    -------
    dict
        ``passed`` is always ``None``: the plan sets no target for this (our addition).
    """
    std = get_standard("aed_walk_access")
    radius = _or_default(radius_m, settings.AED_WALK_RADIUS_M)
    pop, total = _population(population)
    value: float | None = None
    towns = None
    if distance_m is None:
        reason = reason_unknown or "No AED locations supplied: walking access cannot be measured."
        note = f"{reason} Value unknown."
    else:
        covered = np.asarray(distance_m, dtype=np.float64) <= radius
        value = _share(float(pop[covered].sum()), total)
        towns = TownIndex.of(town_codes, pop).shares(covered)
        note = (
            f"{_pct(value)} of people live within {radius:g} m walk of an AED. No plan target (our "
            "addition): read it beside aed_per_10k, since a count alone says nothing about reach."
        )
    return _share_result(
        std,
        value=value,
        need=None,
        total=total,
        assumptions=_assumptions(std, AED_WALK_RADIUS_M=radius),
        note=note,
        towns=towns,
        radius_m=radius,
    )


# --------------------------------------------------------------------------------------------
# count standards
# --------------------------------------------------------------------------------------------
def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def ambulance_per_30k(
    ems_sites: pd.DataFrame,
    population_total: float,
    *,
    catchment_population: Mapping[str, float] | None = None,
    facts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Ambulances on the 120 sites against ceil(population / 30,000).

    Parameters
    ----------
    ems_sites
        The 120 sites counted (``id``, ``name_zh``, ``ambulances``); located or not.
    population_total
        People served.
    catchment_population
        Population whose nearest 120 site is each site id (for the per-station check).
    facts
        Reported figures (``ambulances_added_2018`` is quoted when the fleet is unknown).

    Returns
    -------
    dict
        ``value`` is the fleet (``None`` when any site's fleet is unknown), ``target`` the
        number needed.
    """
    std = get_standard("ambulance_per_30k")
    per = int(settings.PEOPLE_PER_AMBULANCE)
    needed = _needed(population_total, per)
    fleet = _column(ems_sites, "ambulances")
    unknown = ems_sites[fleet.isna().to_numpy()]
    stations = []
    for row in ems_sites.to_dict("records"):
        site_pop = (catchment_population or {}).get(str(row["id"]))
        ambulances = _int_or_none(row.get("ambulances"))
        site_needed = _needed(site_pop, per) if site_pop is not None else None
        stations.append(
            {
                "id": row["id"],
                "name_zh": row.get("name_zh"),
                "population": site_pop,
                "needed": site_needed,
                "ambulances": ambulances if ambulances is not None else UNKNOWN,
                "passed": (
                    None if ambulances is None or site_needed is None else bool(ambulances >= site_needed)
                ),
            }
        )
    if len(ems_sites) == 0:
        value, passed = None, None
        note = f"No 120 sites in the data: fleet {UNKNOWN}; {needed} ambulances needed."
    elif len(unknown) > 0:
        value, passed = None, None
        note = (
            f"Fleet {UNKNOWN}: {len(unknown)} of {len(ems_sites)} 120 sites have no ambulance count "
            f"({_some_names(unknown, 'unknown_fleet')}); {needed} ambulances are needed for "
            f"{population_total:,.0f} people. Not guessed."
        )
        added, _ = _fact_value(facts, "ambulances_added_2018")
        if added is not None:
            note += f" Reported: {added} ambulances were added in 2018 (total fleet not published)."
    else:
        value = int(fleet.astype(float).sum())
        passed = value >= needed
        note = f"{value} ambulances for {population_total:,.0f} people; {needed} needed (1 per {per:,})."
    return _result(
        std,
        value=value,
        value_text=str(value) if value is not None else UNKNOWN,
        unit="ambulances",
        target=needed,
        comparison=">=",
        passed=passed,
        population_considered=float(population_total),
        assumptions=_assumptions(std),
        note=note,
        stations=stations,
        unknown_fleet=_names(unknown),
    )


def negative_pressure_share_40(ems_sites: pd.DataFrame) -> dict[str, Any]:
    """Share of negative-pressure ambulances, where the fleet is known.

    Parameters
    ----------
    ems_sites
        The 120 sites (``ambulances``, ``negative_pressure_ambulances``).

    Returns
    -------
    dict
        ``value`` is the share, ``None`` when any count is unknown or the fleet is empty.
    """
    std = get_standard("negative_pressure_share_40")
    need = float(settings.NEGATIVE_PRESSURE_SHARE)
    fleet = _column(ems_sites, "ambulances")
    negative = _column(ems_sites, "negative_pressure_ambulances")
    unknown = ems_sites[(fleet.isna() | negative.isna()).to_numpy()]
    value: float | None = None
    if len(ems_sites) == 0:
        note = "No 120 sites in the data: share unknown."
    elif len(unknown) > 0:
        note = (
            f"Share {UNKNOWN}: {len(unknown)} of {len(ems_sites)} 120 sites lack ambulance or "
            f"negative-pressure counts ({_some_names(unknown, 'unknown_fleet')}). Not guessed."
        )
    else:
        total = float(fleet.astype(float).sum())
        neg = float(negative.astype(float).sum())
        value = _share(neg, total)
        note = (
            f"{neg:.0f} of {total:.0f} ambulances are negative-pressure ({_pct(value)})."
            if value is not None
            else "The known fleet is empty: share undefined."
        )
    return _result(
        std,
        value=value,
        value_text=_pct(value) if value is not None else UNKNOWN,
        unit="share of ambulances",
        target=need,
        comparison=">=",
        passed=_compare(value, need, ">="),
        population_considered=None,
        assumptions=_assumptions(std),
        note=note,
        unknown_fleet=_names(unknown),
    )


def aed_per_10k(
    aed_sites: pd.DataFrame,
    population_total: float,
    *,
    facts: Mapping[str, Any] | None = None,
    town_population: Mapping[Any, float] | None = None,
) -> dict[str, Any]:
    """AED count against ceil(population / 10,000).

    Parameters
    ----------
    aed_sites
        AED features counted (located or not). When empty, the reported count
        ``facts["aed_public_count"]`` is used, and the note says so.
    population_total
        People served.
    facts
        Reported figures.
    town_population
        Population per town code, for the per-town number needed.

    Returns
    -------
    dict
        ``value`` is the count, ``target`` the number needed.
    """
    std = get_standard("aed_per_10k")
    per = int(settings.PEOPLE_PER_AED)
    needed = _needed(population_total, per)
    count_source = "locations"
    if len(aed_sites) > 0:
        value: int | None = len(aed_sites)
        note = f"{value} AED sites in the data for {population_total:,.0f} people; {needed} needed."
    else:
        reported, fact = _fact_value(facts, "aed_public_count")
        if reported is not None:
            value = int(reported)
            count_source = "reported count"
            year = fact.get("year") if fact else None
            note = (
                f"No AED locations supplied: using the reported count of {value} public AEDs"
                f"{f' ({year})' if year else ''}"
                f"{', source: ' + str(fact.get('source')) if fact and fact.get('source') else ''}; "
                f"{needed} needed for {population_total:,.0f} people (1 per {per:,})."
            )
        else:
            value = None
            count_source = UNKNOWN
            note = "No AED locations and no reported AED count: count unknown."
    towns_rows = []
    if town_population:
        codes = _column(aed_sites, "town_code")
        for code, pop in town_population.items():
            located = int((codes == code).sum()) if len(aed_sites) else None
            towns_rows.append(
                {
                    "town_code": code,
                    "population": pop,
                    "needed": _needed(pop, per),
                    "value": located,
                }
            )
    return _result(
        std,
        value=value,
        value_text=str(value) if value is not None else UNKNOWN,
        unit="AEDs",
        target=needed,
        comparison=">=",
        passed=None if value is None else bool(value >= needed),
        population_considered=float(population_total),
        assumptions=_assumptions(std),
        note=note,
        towns=towns_rows,
        count_source=count_source,
    )


def beds_per_1000(
    facilities: pd.DataFrame,
    population_total: float,
    *,
    community_population: Mapping[Any, float] | None = None,
    facts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Beds per 1,000 people from facility attributes, county and per medical community.

    Parameters
    ----------
    facilities
        Medical facilities counted (``id``, ``name_zh``, ``beds``, ``community``).
    population_total
        People served.
    community_population
        Population per medical community id (lead hospital id).
    facts
        Reported figures; ``hospital_beds_2020`` is quoted beside the result.

    Returns
    -------
    dict
        ``value`` is known beds per 1,000; ``passed`` is ``None`` when it falls short but some
        facilities' beds are unknown (the known value is then only a lower bound).
    """
    std = get_standard("beds_per_1000")
    need = float(settings.BEDS_PER_1000)
    beds = pd.to_numeric(_column(facilities, "beds"), errors="coerce")
    unknown = facilities[beds.isna().to_numpy()]
    known_beds = float(beds.sum(skipna=True))
    value = known_beds / population_total * 1000.0 if population_total > 0 else None
    passed = _compare(value, need, ">=")
    if passed is False and len(unknown) > 0:
        passed = None
    note = f"{known_beds:,.0f} known beds for {population_total:,.0f} people = {_num(value)} per 1,000."
    if len(unknown) > 0:
        note += (
            f" Beds unknown at {len(unknown)} facilities ({_some_names(unknown, 'beds_unknown_at')}): "
            "the value is a lower bound" + (", so pass/fail is unknown." if passed is None else ".")
        )
    reported, fact = _fact_value(facts, "hospital_beds_2020")
    reported_block = None
    if reported is not None and population_total > 0:
        per_1000 = float(reported) / population_total * 1000.0
        reported_block = {"beds": reported, "per_1000": per_1000, "fact": fact}
        note += f" Reported county total (2020): {float(reported):,.0f} beds = {per_1000:.2f} per 1,000."
    communities = []
    community = _column(facilities, "community")
    keys = community.where(community.notna(), None).to_numpy(dtype=object)
    unknown_names = dict(zip(facilities.index, _names(facilities), strict=True))
    for key in sorted({*(str(k) for k in keys if k is not None), *map(str, (community_population or {}))}):
        mask = np.array([k is not None and str(k) == key for k in keys], dtype=bool)
        c_beds = float(beds[mask].sum(skipna=True))
        c_pop = (community_population or {}).get(key)
        communities.append(
            {
                "community": key,
                "beds_known": c_beds,
                "population": c_pop,
                "value": c_beds / c_pop * 1000.0 if c_pop else None,
                "beds_unknown_at": [
                    unknown_names[i] for i in facilities.index[mask & beds.isna().to_numpy()]
                ],
            }
        )
    return _result(
        std,
        value=value,
        unit="beds per 1,000 people",
        target=need,
        comparison=">=",
        passed=passed,
        population_considered=float(population_total),
        assumptions=_assumptions(std),
        note=note,
        beds_known=known_beds,
        beds_unknown_at=_names(unknown),
        communities=communities,
        reported=reported_block,
    )


def village_clinic_each_village(
    facilities: pd.DataFrame, *, facts: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Village clinics counted against the number of villages, where supplied.

    Parameters
    ----------
    facilities
        Facilities counted; rows of kind ``village_clinic`` are counted.
    facts
        Reported figures; ``villages_communities`` is the number of villages.

    Returns
    -------
    dict
        ``passed`` is ``None`` with a reason when village clinic data is not supplied.
    """
    std = get_standard("village_clinic_each_village")
    kinds = _column(facilities, "kind")
    clinics = int((kinds == "village_clinic").sum())
    villages, _ = _fact_value(facts, "villages_communities")
    if clinics == 0:
        value, passed = None, None
        note = (
            "Village clinic data not supplied: no facility of kind village_clinic in the data"
            f"{f' (the county has {villages} villages/communities)' if villages is not None else ''}."
        )
    elif villages is None:
        value, passed = clinics, None
        note = f"{clinics} village clinics, but the number of villages is not supplied."
    else:
        value, passed = clinics, clinics >= int(villages)
        note = (
            f"{clinics} village clinics for {villages} villages/communities. A count check only: "
            "village boundaries are not supplied, so one clinic per village is not verified."
        )
    return _result(
        std,
        value=value,
        value_text=str(value) if value is not None else UNKNOWN,
        unit="village clinics",
        target=int(villages) if villages is not None else None,
        comparison=">=",
        passed=passed,
        population_considered=None,
        assumptions=_assumptions(std),
        note=note,
    )


def washing_centre_per_subcentre(
    facilities: pd.DataFrame, *, subcentre_of: Mapping[str, str | None] | None = None
) -> dict[str, Any]:
    """Ambulance washing centres per EMS sub-centre area, where supplied.

    Parameters
    ----------
    facilities
        Facilities counted; rows of kind ``washing_centre`` and ``ems_subcentre`` are used.
    subcentre_of
        Washing-centre id → id of the sub-centre whose area it lies in (nearest sub-centre).

    Returns
    -------
    dict
        ``passed`` is ``None`` with a reason when no washing-centre data is supplied.
    """
    std = get_standard("washing_centre_per_subcentre")
    kinds = _column(facilities, "kind")
    subcentres = [str(i) for i in facilities.loc[(kinds == "ems_subcentre").to_numpy(), "id"]]
    washing = facilities[(kinds == WASHING_CENTRE_KIND).to_numpy()]
    if len(washing) == 0:
        return _result(
            std,
            value=None,
            value_text=UNKNOWN,
            unit="sub-centre areas with a washing centre",
            target=len(subcentres) or None,
            comparison=">=",
            passed=None,
            population_considered=None,
            assumptions=_assumptions(std),
            note=(
                "Washing-centre data not supplied: no facility of kind washing_centre in the data, "
                f"so the {len(subcentres)} sub-centre areas cannot be checked."
            ),
        )
    counts = dict.fromkeys(subcentres, 0)
    for wid in washing["id"]:
        sub = (subcentre_of or {}).get(str(wid))
        if sub in counts:
            counts[sub] += 1
    served = sum(1 for c in counts.values() if c > 0)
    return _result(
        std,
        value=served,
        unit="sub-centre areas with a washing centre",
        target=len(subcentres),
        comparison=">=",
        passed=bool(subcentres) and served >= len(subcentres),
        population_considered=None,
        assumptions=_assumptions(std),
        note=f"{len(washing)} washing centres; {served} of {len(subcentres)} sub-centre areas have one.",
        subcentres=[{"id": k, "washing_centres": v} for k, v in counts.items()],
    )


def _pct(value: float | None) -> str:
    return UNKNOWN if value is None else f"{value:.1%}"


def _num(value: float | None) -> str:
    return UNKNOWN if value is None else f"{value:.2f}"


def _curve_minutes() -> list[int]:
    """The whole minutes 0..``settings.CURVE_MAX_MINUTES`` of the coverage curves."""
    return list(range(int(settings.CURVE_MAX_MINUTES) + 1))


def _minutes_text(value: float) -> str:
    if math.isnan(value):
        return UNKNOWN
    return "not reached" if math.isinf(value) else f"{value:.1f} min"


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoverageRun:
    """Result of :func:`run_coverage`.

    Attributes
    ----------
    document
        JSON-able report (the same as ``healthcircle report --format json``).
    cells
        EPSG:4326 cell polygons with per-cell minutes, nearest sites and covered flags.
    """

    document: dict[str, Any]
    cells: gpd.GeoDataFrame


@dataclass
class _Scenario:
    results: list[dict[str, Any]]
    minutes: dict[str, dict[str, np.ndarray]]
    nearest_any: np.ndarray
    ems_drive: np.ndarray
    nearest_ems: np.ndarray


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


def _snappable(travel: Any, points_xy: np.ndarray) -> np.ndarray:
    """Points within ``settings.MAX_SNAP_DISTANCE_M`` of a road node of a road-network model.

    Models without road nodes (the straight-line estimate) accept every point.
    """
    ok = np.ones(len(points_xy), dtype=bool)
    nodes = getattr(travel, "node_xy", None)
    if nodes is None or len(points_xy) == 0:
        return ok
    nodes = np.asarray(nodes, dtype=np.float64)
    if len(nodes) == 0:
        return ~ok
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(nodes).query(points_xy, k=1)
    return np.asarray(dist <= settings.MAX_SNAP_DISTANCE_M)


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


def _towns_table(
    towns: gpd.GeoDataFrame, town_population: Mapping[Any, float]
) -> tuple[list[dict[str, Any]], dict[Any, Any]]:
    rows = []
    community_of: dict[Any, Any] = {}
    geoms = towns.geometry
    located_all = (geoms.notna() & ~geoms.is_empty).to_numpy()
    records = pd.DataFrame(towns.drop(columns=towns.geometry.name)).to_dict("records")
    for town, located in zip(records, located_all, strict=True):
        code = None if pd.isna(town.get("town_code")) else str(town["town_code"])
        pop = town_population.get(code)
        community = town.get("community")
        community_of[code] = None if community is None or pd.isna(community) else str(community)
        row: dict[str, Any] = {
            "town_code": code,
            "name_zh": town.get("name_zh"),
            "name_en": town.get("name_en"),
            "kind": town.get("kind"),
            "location": "approximate area" if located else LOCATION_UNKNOWN,
            "precision": town.get("precision"),
            "seat_known": _jsonable(town.get("seat_known")),
            "census_2020": _int_or_none(town.get("census_2020")),
            "community": community_of[code],
            "population": pop,
        }
        if pop is None:
            row["population_note"] = (
                "counted in neighbouring approximate areas" if not located else "no population cells"
            )
        rows.append(row)
    return rows, community_of


def run_coverage(
    inputs: Inputs, travel: TravelModel, *, options: CoverageOptions | None = None
) -> CoverageRun:
    """Evaluate every standard on the inputs with one travel model.

    Parameters
    ----------
    inputs
        Facilities, towns, population surface and reported facts.
    travel
        Travel-time model (road network or straight-line estimate).
    options
        Choices of the run; ``None`` means defaults from :mod:`analysis.settings`.

    Returns
    -------
    CoverageRun
        The JSON-able document and the per-cell GeoDataFrame.

    Raises
    ------
    ParameterError
        If an option is outside its allowed range.
    DataError
        If the facility or population tables lack required columns.
    """
    opts = resolve_options(options)
    crs = travel.crs
    surface = inputs.population
    cells_in = surface.cells
    for column in ("cell_id", "population", "town_code"):
        if column not in cells_in:
            msg = f"The population cells lack the column {column!r}; rebuild them with analysis.population."
            raise DataError(msg)
    pop_raw = np.asarray(surface.populations, dtype=np.float64)
    pop_missing = ~np.isfinite(pop_raw)
    pop = np.where(pop_missing, 0.0, pop_raw)
    xy = _cell_points(surface, crs)
    n = len(pop)
    cell_ids = cells_in["cell_id"].to_numpy()
    raw_codes = cells_in["town_code"]
    town_codes = raw_codes.astype(object).where(raw_codes.notna(), None).to_numpy(dtype=object)
    total = float(pop.sum())

    fac_gdf = inputs.facilities
    # attribute subsets are taken many times: a plain DataFrame is much faster to slice
    keep = [c for c in _FACILITY_FIELDS if c in fac_gdf.columns]
    fac = pd.DataFrame({c: fac_gdf[c].to_numpy() for c in keep})
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
    placed, fac_xy = _facility_xy(fac_gdf, crs)
    ids = fac["id"].astype(str).to_numpy()
    # points a road network would refuse (beyond the snap limit) are kept out of every query
    cell_ok = _snappable(travel, xy)
    fac_far = np.zeros(len(fac), dtype=bool)
    fac_far[placed] = ~_snappable(travel, fac_xy[placed])
    placed_for_travel = placed & ~fac_far
    xy_q = xy[cell_ok]

    def widen(values: np.ndarray, fill: float) -> np.ndarray:
        """Columns of the snappable cells → all cells, *fill* for the others."""
        if cell_ok.all():
            return values
        out = np.full((*values.shape[:-1], n), fill, dtype=values.dtype)
        out[..., cell_ok] = values
        return out

    medical = np.isin(kind, MEDICAL_KINDS) & placed_for_travel & (is_open | is_planned)
    ems = np.isin(kind, EMS_KINDS) & placed_for_travel & (is_open | is_planned)
    aed = (kind == "aed") & placed_for_travel & (is_open | is_planned)
    modes = list(SERVICE_MODES) + ([opts.profile] if opts.profile not in SERVICE_MODES else [])

    # one travel query per mode over every placed facility, open and planned; scenarios are row subsets
    med_idx = np.flatnonzero(medical)
    ems_idx = np.flatnonzero(ems)
    mode_matrix: dict[str, np.ndarray] = {}
    for mode in modes:
        if len(med_idx):
            matrix = travel.matrix(fac_xy[med_idx], xy_q, profile=mode, direction="to_sources")
            mode_matrix[mode] = widen(np.asarray(matrix, dtype=np.float64), np.inf)
        else:
            mode_matrix[mode] = np.full((0, n), np.inf)
    if len(ems_idx):
        matrix = travel.matrix(fac_xy[ems_idx], xy_q, profile=opts.ems_profile, direction="from_sources")
        ems_matrix = widen(np.asarray(matrix, dtype=np.float64), np.inf)
    else:
        ems_matrix = np.full((0, n), np.inf)
    distance_cache: dict[tuple[str, bool], tuple[np.ndarray, np.ndarray]] = {}

    def distances(
        what: str, with_planned: bool, profile: str, cutoff_m: float
    ) -> tuple[np.ndarray, np.ndarray]:
        sites = ems if what == "ems" else aed
        # without planned sites of this kind both scenarios share one query
        key = (what, with_planned or not (sites & is_planned).any())
        if key not in distance_cache:
            rows = np.flatnonzero(sites & (is_open | (is_planned & with_planned)))
            if len(rows) == 0:
                distance_cache[key] = (np.full(n, np.inf), np.full(n, -1, dtype=np.int64))
            else:
                d, src = travel.nearest_distance_m(fac_xy[rows], xy_q, profile=profile, cutoff_m=cutoff_m)
                distance_cache[key] = (
                    widen(np.asarray(d, dtype=np.float64), np.inf),
                    widen(np.asarray(src, dtype=np.int64), -1),
                )
        return distance_cache[key]

    towns_obj = TownIndex(town_codes, pop)
    town_population = {c: float(p) for c, p in zip(towns_obj.codes, towns_obj.town_population, strict=True)}
    town_rows, community_of = _towns_table(inputs.towns, town_population)
    community_population: dict[str, float] = {}
    for code, p in town_population.items():
        comm = community_of.get(code)
        if comm is not None:
            community_population[comm] = community_population.get(comm, 0.0) + p

    def evaluate(with_planned: bool) -> _Scenario:
        active = is_open | (is_planned & with_planned)
        med_rows = active[med_idx]
        minutes: dict[str, dict[str, np.ndarray]] = {}
        nearest_any = np.full(n, -1, dtype=np.int64)
        for mode in modes:
            minutes[mode] = {}
            for tier, kinds in TIERS.items():
                rows = med_rows & np.isin(kind[med_idx], kinds)
                best, index = _nearest_from_matrix(mode_matrix[mode], rows, n)
                minutes[mode][tier] = best
                if mode == opts.profile and tier == "any":
                    nearest_any = _take(med_idx, index, -1)
        ems_drive, ems_index = _nearest_from_matrix(ems_matrix, active[ems_idx], n)
        nearest_ems = _take(ems_idx, ems_index, -1)
        ems_net, _ = distances("ems", with_planned, opts.ems_profile, opts.ems_radius_m)
        aed_dist: np.ndarray | None = None
        if (aed & active).any():
            aed_dist = distances("aed", with_planned, "walk", opts.aed_walk_radius_m)[0]
        catchment = pd.Series(pop).groupby(nearest_ems).sum()
        catchment_population = {
            str(ids[int(i)]): float(p)  # type: ignore[call-overload]
            for i, p in catchment.items()
            if int(i) >= 0  # type: ignore[call-overload]
        }
        counted = fac[active & np.isin(kind, EMS_KINDS)]
        results = [
            service_circle_15min(
                minutes,
                pop,
                town_codes=towns_obj,
                profile=opts.profile,
                threshold_minutes=opts.minutes,
                required_share=opts.required_share,
            ),
            ems_response_14min(
                ems_drive,
                pop,
                town_codes=towns_obj,
                cell_ids=cell_ids,
                dispatch_minutes=opts.dispatch_minutes,
                target_minutes=opts.ems_minutes,
                required_share=opts.required_share,
            ),
            ems_radius_5km(
                ems_net,
                _straight_min_m(fac_xy[ems & active], xy),
                pop,
                town_codes=towns_obj,
                radius_m=opts.ems_radius_m,
                required_share=opts.required_share,
                network_source=travel.network_source,
            ),
            ambulance_per_30k(counted, total, catchment_population=catchment_population, facts=inputs.facts),
            negative_pressure_share_40(counted),
            aed_per_10k(
                fac[active & (kind == "aed")], total, facts=inputs.facts, town_population=town_population
            ),
            aed_walk_access(
                aed_dist,
                pop,
                town_codes=towns_obj,
                radius_m=opts.aed_walk_radius_m,
                reason_unknown=(
                    "No AED locations supplied (the reported AEDs have no coordinates): walking access "
                    "cannot be measured; see aed_per_10k for the count."
                ),
            ),
            beds_per_1000(
                fac[active & np.isin(kind, MEDICAL_KINDS)],
                total,
                community_population=community_population,
                facts=inputs.facts,
            ),
            village_clinic_each_village(fac[active], facts=inputs.facts),
            washing_centre_per_subcentre(
                fac[active], subcentre_of=_washing_subcentre(fac, active, kind, placed, fac_xy, ids)
            ),
        ]
        return _Scenario(results, minutes, nearest_any, ems_drive, nearest_ems)

    has_planned = bool(is_planned.any())
    current = evaluate(False)
    planned = evaluate(True) if has_planned else current
    chosen = planned if opts.include_planned else current

    # per-town standard rows: all towns in the town table, in its order, plus unassigned cells
    for result in chosen.results:
        by_code = {row["town_code"]: row for row in result["towns"]}
        if not by_code:
            continue
        merged = []
        for town in town_rows:
            row = by_code.pop(town["town_code"], None) or {
                "town_code": town["town_code"],
                "population": None,
                "value": None,
            }
            merged.append({"name_zh": town["name_zh"], "name_en": town["name_en"], **row})
            if town["location"] == LOCATION_UNKNOWN and row.get("population") in (None, 0.0):
                merged[-1]["note"] = f"{LOCATION_UNKNOWN}: people counted in neighbouring approximate areas"
        for row in by_code.values():
            merged.append({"name_zh": None, "name_en": None, **row, "note": "town not in the town table"})
        result["towns"] = merged
    # town table: headline per-town values
    headline = {r["id"]: r for r in chosen.results}
    for town in town_rows:
        code = town["town_code"]
        for key, sid, field in (
            ("service_circle_share", "service_circle_15min", "value"),
            ("service_circle_share_township", "service_circle_15min", "value_township"),
            ("service_circle_share_hospital", "service_circle_15min", "value_hospital"),
            ("ems_response_share", "ems_response_14min", "value"),
            ("ems_median_minutes", "ems_response_14min", "median_minutes"),
            ("ems_radius_share", "ems_radius_5km", "value"),
            ("aed_walk_share", "aed_walk_access", "value"),
        ):
            match = next((row for row in headline[sid]["towns"] if row["town_code"] == code), None)
            town[key] = match.get(field) if match else None

    # what was not considered, and why
    left_facilities = []
    fac_names = _column(fac, "name_zh").to_numpy(dtype=object)
    fac_opens = _column(fac, "opens").to_numpy(dtype=object)
    for i in range(len(fac)):
        if fac_far[i]:
            reason = (
                f"farther than {settings.MAX_SNAP_DISTANCE_M:g} m (MAX_SNAP_DISTANCE_M) from any "
                "road: left out of travel times; still counted in fleet, bed and AED counts"
            )
        elif not placed[i]:
            reason = (
                f"not placed: {LOCATION_UNKNOWN} (left out of travel times; still counted in "
                "fleet, bed and AED counts)"
            )
        elif is_planned[i] and not opts.include_planned:
            opens = fac_opens[i]
            when = UNKNOWN if opens is None or pd.isna(opens) else opens
            reason = f"planned (opens {when}): counted only with include_planned"
        elif not (is_open[i] or is_planned[i]):
            reason = f"status {status[i]!r} is neither open nor planned"
        else:
            continue
        left_facilities.append(
            {"id": ids[i], "name_zh": fac_names[i], "kind": kind[i], "status": status[i], "reason": reason}
        )
    known_codes = {t["town_code"] for t in town_rows}
    outside_town = np.array([c not in known_codes for c in towns_obj.codes], dtype=bool)
    # (reason, cells, whether their population is known)
    left_out_cells: list[tuple[str, np.ndarray, bool]] = [
        ("population missing: left out of every share", pop_missing, False),
        (
            f"farther than {settings.MAX_SNAP_DISTANCE_M:g} m (MAX_SNAP_DISTANCE_M) from any road: "
            "no travel time, counted as not covered",
            ~cell_ok & ~pop_missing,
            True,
        ),
        (
            f"no travel time by {opts.profile} to any facility (farther than "
            f"{settings.MAX_SNAP_DISTANCE_M:g} m from a road, MAX_SNAP_DISTANCE_M, or on a part of "
            "the network that reaches no facility): counted as not covered",
            ~np.isfinite(chosen.minutes[opts.profile]["any"]) & (pop > 0) & bool(len(med_idx)) & cell_ok,
            True,
        ),
        (
            "no ambulance travel time from any 120 site: counted as not covered",
            ~np.isfinite(chosen.ems_drive) & (pop > 0) & bool(len(ems_idx)) & cell_ok,
            True,
        ),
        (
            "town code not in the town table: counted in county totals only",
            outside_town[towns_obj.index] & (pop > 0),
            True,
        ),
    ]
    left_cells = [
        {
            "reason": reason,
            "cell_ids": _jsonable(cell_ids[mask]),
            "population": float(pop[mask].sum()) if known else None,
        }
        for reason, mask, known in left_out_cells
        if mask.any()
    ]
    census, _ = _fact_value(inputs.facts, "census_population_2020")
    population_note = (
        f"Population counted {total:,.0f}"
        + (f" vs census {float(census):,.0f}" if census is not None else "")
        + (
            "; every cell is counted."
            if not pop_missing.any()
            else "; cells with missing population are left out (listed)."
        )
    )
    if census is not None and abs(total - float(census)) > 1.0:
        population_note += (
            f" The surface total differs from the census by {total - float(census):,.0f}: the surface "
            "was built from other figures."
        )

    # scenario comparison
    planned_rows = [
        {
            "id": ids[i],
            "name_zh": fac["name_zh"].iloc[i] if "name_zh" in fac else None,
            "name_en": fac["name_en"].iloc[i] if "name_en" in fac else None,
            "kind": kind[i],
            "opens": _jsonable(fac["opens"].iloc[i]) if "opens" in fac else None,
            "placed": bool(placed[i]),
            "beds": _int_or_none(fac["beds"].iloc[i]) if "beds" in fac else None,
        }
        for i in np.flatnonzero(is_planned)
    ]
    changes = []
    for cur, new in zip(current.results, planned.results, strict=True):
        change = None
        if isinstance(cur["value"], int | float) and isinstance(new["value"], int | float):
            change = new["value"] - cur["value"]
        changes.append(
            {
                "id": cur["id"],
                "name_zh": cur["name_zh"],
                "name_en": cur["name_en"],
                "unit": cur["unit"],
                "value_current": cur["value"],
                "value_with_planned": new["value"],
                "change": change,
                "passed_current": cur["passed"],
                "passed_with_planned": new["passed"],
            }
        )
    # the tiers of the circle, where a planned hospital shows even when the any-facility share does not move
    cur_circle, new_circle = current.results[0], planned.results[0]
    for tier in ("township", "hospital"):
        cur_v = cur_circle["by_mode"][opts.profile][tier]
        new_v = new_circle["by_mode"][opts.profile][tier]
        changes.insert(
            1 if tier == "township" else 2,
            {
                "id": f"service_circle_15min.{tier}",
                "name_zh": f"{cur_circle['name_zh']}（{TIER_LABELS[tier].split(' ')[0]}）",
                "name_en": f"{cur_circle['name_en']} ({TIER_LABELS[tier].split(' ', 1)[1]})",
                "unit": cur_circle["unit"],
                "value_current": cur_v,
                "value_with_planned": new_v,
                "change": None if cur_v is None or new_v is None else new_v - cur_v,
                "passed_current": None,
                "passed_with_planned": None,
            },
        )
    scenario = {
        "include_planned": opts.include_planned,
        "profile": opts.profile,
        "minutes": opts.minutes,
        "dispatch_minutes": opts.dispatch_minutes,
        "ems_profile": opts.ems_profile,
        "headline": "with planned facilities" if opts.include_planned else "current network",
        "planned_facilities": planned_rows,
        "changes": changes if has_planned else [],
        "note": (
            "Each standard's value on the current network and with the planned facilities counted as open."
            if has_planned
            else "No planned facilities in the data: the current network is the only scenario."
        ),
    }

    assumptions = {
        "SERVICE_CIRCLE_PROFILE": opts.profile,
        "SERVICE_CIRCLE_MINUTES": opts.minutes,
        "EMS_PROFILE": opts.ems_profile,
        "EMS_DISPATCH_MINUTES": opts.dispatch_minutes,
        "EMS_RESPONSE_MINUTES": opts.ems_minutes,
        "EMS_RADIUS_M": opts.ems_radius_m,
        "AED_WALK_RADIUS_M": opts.aed_walk_radius_m,
        "CIRCLE_REQUIRED_SHARE": opts.required_share,
        "PEOPLE_PER_AMBULANCE": settings.PEOPLE_PER_AMBULANCE,
        "NEGATIVE_PRESSURE_SHARE": settings.NEGATIVE_PRESSURE_SHARE,
        "PEOPLE_PER_AED": settings.PEOPLE_PER_AED,
        "BEDS_PER_1000": settings.BEDS_PER_1000,
        "MAX_SNAP_DISTANCE_M": settings.MAX_SNAP_DISTANCE_M,
        "INCLUDE_PLANNED": opts.include_planned,
    }
    straight = travel.network_source == settings.STRAIGHT_LINE_SOURCE
    if straight:
        assumptions["CIRCUITY_FACTOR"] = settings.CIRCUITY_FACTOR
        assumptions["STRAIGHT_LINE_SPEED_KMH"] = dict(settings.STRAIGHT_LINE_SPEED_KMH)
    else:
        assumptions["PEAK_HOUR_FACTOR"] = settings.PEAK_HOUR_FACTOR
    banners = []
    if straight:
        banners.append(
            "交通时间为直线估算 Travel times are estimated without a road network: straight-line distance × "
            f"{settings.CIRCUITY_FACTOR:g} at an average speed per mode."
        )
    if surface.modelled:
        how = surface.source.removeprefix("modelled:").strip().rstrip(".")
        banners.append(f"人口为模型估算 Population is modelled: {how}.")

    document = {
        "network_source": travel.network_source,
        "population_source": surface.source,
        "population_modelled": bool(surface.modelled),
        "travel_estimated": straight,
        "banners": banners,
        "population_total": total,
        "population_counted": total,
        "census_population": census,
        "population_note": population_note,
        "assumptions": assumptions,
        "scenario": scenario,
        "standards": chosen.results,
        "towns": town_rows,
        "cells_left_out": {
            "population_total": float(np.nansum(pop_raw)),
            "population_counted": total,
            # cells without a population figure add nothing known; their ids are listed below
            "population_left_out": None if pop_missing.any() else 0.0,
            "facilities": left_facilities,
            "cells": left_cells,
        },
        "standard_ids": [s.id for s in STANDARDS],
    }
    document = _jsonable(document)

    cells = cells_in[["cell_id", "population", "town_code", "geometry"]].copy()
    if cells.crs is not None and cells.crs.to_string() != settings.GEOGRAPHIC_CRS:
        cells = cells.to_crs(settings.GEOGRAPHIC_CRS)
    chosen_minutes = chosen.minutes[opts.profile]
    for tier in TIERS:
        cells[f"minutes_{tier}"] = _nan_if_unreached(chosen_minutes[tier])
    cells["nearest_facility_id"] = _take(ids, chosen.nearest_any, None)
    response = chosen.ems_drive + opts.dispatch_minutes
    cells["ems_response_minutes"] = _nan_if_unreached(response)
    cells["nearest_ems_id"] = _take(ids, chosen.nearest_ems, None)
    cells["covered_15min"] = chosen_minutes["any"] <= opts.minutes
    cells["covered_ems"] = response <= opts.ems_minutes
    cells = cells[[*CELL_COLUMNS, "geometry"]]
    logger.info(
        "coverage of %d cells (%.0f people) from %d facilities, %d 120 sites (%s)",
        n,
        total,
        len(med_idx),
        len(ems_idx),
        travel.network_source,
    )
    return CoverageRun(document=document, cells=gpd.GeoDataFrame(cells, geometry="geometry"))


#: Columns of :attr:`CoverageRun.cells`, in order (plus ``geometry``).
CELL_COLUMNS: tuple[str, ...] = (
    "cell_id",
    "population",
    "town_code",
    "minutes_any",
    "minutes_township",
    "minutes_hospital",
    "nearest_facility_id",
    "ems_response_minutes",
    "nearest_ems_id",
    "covered_15min",
    "covered_ems",
)


def _washing_subcentre(
    fac: pd.DataFrame,
    active: np.ndarray,
    kind: np.ndarray,
    placed: np.ndarray,
    fac_xy: np.ndarray,
    ids: np.ndarray,
) -> dict[str, str | None]:
    """Each located washing centre → the nearest located EMS sub-centre (straight line)."""
    washing = np.flatnonzero(active & (kind == WASHING_CENTRE_KIND) & placed)
    subs = np.flatnonzero(active & (kind == "ems_subcentre") & placed)
    if len(washing) == 0 or len(subs) == 0:
        return {}
    nearest = _pairwise_m(fac_xy[washing], fac_xy[subs]).argmin(axis=1)
    return {str(ids[w]): str(ids[subs[j]]) for w, j in zip(washing, nearest, strict=True)}
