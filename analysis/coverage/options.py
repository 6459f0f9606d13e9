"""Choices of a coverage run and their checked, concrete values."""

from __future__ import annotations

import math
from dataclasses import dataclass

from analysis import settings
from analysis.coverage.period import check_period
from analysis.errors import ParameterError


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
    period
        Time of day, ``"offpeak"`` (free flow) or ``"peak"`` (minutes times
        ``settings.PEAK_FACTOR_BY_PROFILE``); ``settings.DEFAULT_PERIOD``.
    ems_minutes
        Target response of the emergency circle, minutes (``settings.EMS_RESPONSE_MINUTES``); a county may
        set its own (e.g. 12) in ``county.toml``.
    ems_radius_m
        Target service radius of the EMS network (``settings.EMS_RADIUS_M``).
    required_share
        Share of people a circle must reach to count as met (``settings.CIRCLE_REQUIRED_SHARE``).
    """

    profile: str | None = None
    minutes: float | None = None
    ems_profile: str = "ambulance"
    dispatch_minutes: float | None = None
    include_planned: bool = False
    aed_walk_radius_m: float | None = None
    period: str | None = None
    ems_minutes: float | None = None
    ems_radius_m: float | None = None
    required_share: float | None = None


@dataclass(frozen=True)
class ResolvedOptions:
    """Concrete, checked values of :class:`CoverageOptions` (see :func:`resolve_options`)."""

    profile: str
    minutes: float
    ems_profile: str
    dispatch_minutes: float
    include_planned: bool
    aed_walk_radius_m: float
    ems_minutes: float
    ems_radius_m: float
    required_share: float
    period: str = "offpeak"


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


def resolve_options(options: CoverageOptions | None = None) -> ResolvedOptions:
    """Fill in settings for ``None`` options and check every value's range.

    Parameters
    ----------
    options
        The caller's choices; ``None`` means all defaults.

    Returns
    -------
    ResolvedOptions
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
    ems_minutes = _check_number(
        "ems_minutes",
        opts.ems_minutes,
        settings.EMS_RESPONSE_MINUTES,
        settings.MAX_THRESHOLD_MINUTES,
        low_open=True,
    )
    ems_radius = _check_number(
        "ems_radius_m", opts.ems_radius_m, settings.EMS_RADIUS_M, settings.MAX_EMS_RADIUS_M, low_open=True
    )
    share = _check_number(
        "required_share", opts.required_share, settings.CIRCLE_REQUIRED_SHARE, 1.0, low_open=True
    )
    if not isinstance(opts.include_planned, bool):
        msg = f"include_planned must be true or false (got {opts.include_planned!r})."
        raise ParameterError(msg)
    return ResolvedOptions(
        profile=profile,
        minutes=minutes,
        ems_profile=ems_profile,
        dispatch_minutes=dispatch,
        include_planned=opts.include_planned,
        aed_walk_radius_m=radius,
        ems_minutes=ems_minutes,
        ems_radius_m=ems_radius,
        required_share=share,
        period=check_period(opts.period),
    )
