"""The 15-minute medical service circle: share of people near a facility, by mode and tier."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from analysis import settings
from analysis.coverage.kinds import (
    MODE_LABELS,
    TIER_LABELS,
)
from analysis.coverage.numeric import (
    _or_default,
    _population,
    _share,
    coverage_curve,
)
from analysis.coverage.results import (
    _assumptions,
    _curve_minutes,
    _pct,
    _share_result,
)
from analysis.coverage.towns import TownCodes, TownIndex
from analysis.errors import ParameterError
from analysis.standards import get_standard

__all__ = ["service_circle_15min"]


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
