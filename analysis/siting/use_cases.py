"""The three use cases of the county plan: 120 stations, health facilities, public AEDs.

Each has its profile, direction, threshold and existing sites, and says its assumptions in plain words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from analysis import settings
from analysis.siting.kinds import EXISTING_KINDS

if TYPE_CHECKING:
    import geopandas as gpd


@dataclass(frozen=True)
class UseCase:
    profile: str
    direction: Literal["from_sources", "to_sources"]
    threshold_minutes: float
    assumptions: tuple[str, ...]


#: A setting's value by name: the library's (``analysis.settings``) or a county's (``County.setting``).
SettingLookup = Callable[[str], Any]


def library_setting(name: str) -> Any:
    """The library's own value of setting *name*."""
    return getattr(settings, name)


def use_case(
    kind: str,
    *,
    profile: str | None,
    threshold_minutes: float | None,
    aed_walk_radius_m: float | None,
    setting: SettingLookup = library_setting,
) -> UseCase:
    """The profile, direction, threshold and assumptions of siting *kind*.

    Targets left ``None`` come from *setting*: a county's own targets (e.g. a 12-minute EMS response in
    its ``county.toml``) or the library's.
    """
    if kind == "ems":
        dispatch = setting("EMS_DISPATCH_MINUTES")
        minutes = (
            setting("EMS_RESPONSE_MINUTES") - dispatch if threshold_minutes is None else threshold_minutes
        )
        return UseCase(
            profile=profile or "ambulance",
            direction="from_sources",
            threshold_minutes=minutes,
            assumptions=(
                f"急救圈 EMS circle: response {setting('EMS_RESPONSE_MINUTES'):g} min = {dispatch:g} min "
                f"dispatch + {minutes:g} min drive from the station by the {profile or 'ambulance'} profile",
            ),
        )
    if kind == "facility":
        mode = profile or setting("SERVICE_CIRCLE_PROFILE")
        minutes = setting("SERVICE_CIRCLE_MINUTES") if threshold_minutes is None else threshold_minutes
        return UseCase(
            profile=mode,
            direction="to_sources",
            threshold_minutes=minutes,
            assumptions=(
                f"15分钟服务圈 service circle: {minutes:g} min by {mode} to the nearest open hospital, "
                "township or community health centre (the plan does not fix the mode)",
            ),
        )
    radius_m = setting("AED_WALK_RADIUS_M") if aed_walk_radius_m is None else aed_walk_radius_m
    walk_kmh = settings.DEFAULT_SPEED_KMH["walk"]
    minutes = radius_m / (walk_kmh * 1000.0 / 60.0) if threshold_minutes is None else threshold_minutes
    return UseCase(
        profile=profile or "walk",
        direction="to_sources",
        threshold_minutes=minutes,
        assumptions=(
            f"AED access: {radius_m:g} m walking distance ({minutes:.2f} min at {walk_kmh:g} km/h)",
        ),
    )


def existing_sites(
    facilities: gpd.GeoDataFrame, kind: str, *, include_planned: bool, crs: str
) -> tuple[np.ndarray, list[str], int]:
    kinds = EXISTING_KINDS[kind]
    statuses = ("open", "planned") if include_planned else ("open",)
    rows = facilities[facilities["kind"].isin(kinds) & facilities["status"].isin(statuses)]
    located = rows[rows.geometry.notna() & ~rows.geometry.is_empty]
    if located.empty:
        return np.empty((0, 2)), [], len(rows)
    pts = located.to_crs(crs).geometry
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    return xy, [str(i) for i in located["id"]], len(rows) - len(located)
