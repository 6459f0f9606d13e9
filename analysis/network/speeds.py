"""Travel speeds per profile from OSM tags: class speeds, ``maxspeed``, the rule for unknown classes."""

# A road graph is `G`, as in osmnx and networkx.
# ruff: noqa: N803, N806

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx
import numpy as np

from analysis import settings
from analysis.errors import ParameterError

logger = logging.getLogger("analysis.network")

_MPH_TO_KMH = 1.609344
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")

#: Highway values that are never part of a routable road graph (osmnx excludes them too).
NOT_ROADS = frozenset(
    {"abandoned", "construction", "planned", "platform", "proposed", "raceway", "razed", "bus_stop"}
)


def check_profile(profile: str) -> None:
    """Raise :class:`ParameterError` unless *profile* is one of ``settings.PROFILES``.

    Parameters
    ----------
    profile
        Travel profile name.

    Raises
    ------
    ParameterError
        If the profile is unknown.
    """
    if profile not in settings.PROFILES:
        msg = f"Unknown travel profile {profile!r}; use one of {', '.join(settings.PROFILES)}."
        raise ParameterError(msg)


# --- speeds ---------------------------------------------------------------------------------


def parse_maxspeed_kmh(value: Any) -> float:
    """Parse an OSM ``maxspeed`` tag to km/h.

    Parameters
    ----------
    value
        Tag value: ``"50"``, ``"50 km/h"``, ``"30 mph"``, ``"50;60"`` or a list of such
        values (osmnx keeps lists when simplified edges disagree). Lists are averaged, as osmnx
        does.

    Returns
    -------
    float
        Speed in km/h, or ``nan`` when the tag is missing or not numeric (``"signals"``,
        ``"none"``, ``"CN:urban"``).
    """
    if value is None:
        return float("nan")
    if isinstance(value, int | float | np.integer | np.floating):
        v = float(value)
        return v if np.isfinite(v) and v > 0 else float("nan")
    if isinstance(value, list | tuple | set | np.ndarray):
        parts = [parse_maxspeed_kmh(v) for v in value]
    else:
        text = str(value).strip()
        if text.startswith("[") and text.endswith("]"):
            # GraphML stores list attributes as their Python repr
            text = text[1:-1].replace("'", "").replace('"', "")
            parts = [parse_maxspeed_kmh(v) for v in text.split(",")]
        elif ";" in text or "|" in text:
            parts = [parse_maxspeed_kmh(v) for v in re.split(r"[;|]", text)]
        else:
            match = _NUMBER.search(text)
            if match is None:
                return float("nan")
            speed = float(match.group())
            if "mph" in text.lower():
                speed *= _MPH_TO_KMH
            return speed if speed > 0 else float("nan")
    finite = sorted(p for p in parts if np.isfinite(p))  # sorted: the mean never depends on list order
    return float(np.mean(finite)) if finite else float("nan")


def highway_classes(value: Any) -> list[str]:
    """Return the highway classes of an edge value, sorted, used to look up speeds.

    Parameters
    ----------
    value
        OSM ``highway`` value; a list (edges merged by an older simplification, or read
        back from GraphML as its Python repr) gives all its classes; ``*_link`` classes take
        their parent (``primary_link`` → ``primary``).

    Returns
    -------
    list of str
        Distinct class names in sorted order (so the result never depends on list order),
        ``[""]`` when missing.
    """
    if isinstance(value, list | tuple | set):
        items = [str(v) for v in value]
    else:
        text = "" if value is None else str(value).strip()
        if text.startswith("[") and text.endswith("]"):
            items = [t.strip().strip("'\"") for t in text[1:-1].split(",")]
        else:
            items = [text]
    out = set()
    for item in items:
        cls = item.strip()
        if cls.endswith("_link"):
            cls = cls[: -len("_link")]
        out.add(cls)
    return sorted(out) or [""]


def highway_class(value: Any) -> str:
    """Return the highway class of a single-class edge value (``*_link`` → parent).

    Parameters
    ----------
    value
        OSM ``highway`` value; for a list, the first of its sorted classes.

    Returns
    -------
    str
        The class name, ``""`` when missing.
    """
    return highway_classes(value)[0]


def _class_speed_kmh(cls: str, tagged_kmh: float, profile: str) -> tuple[float, bool]:
    """Speed of one class for *profile* given a parsed ``maxspeed``, and whether the class is unknown."""
    if cls in NOT_ROADS:
        return 0.0, False
    table = settings.SPEED_KMH_BY_HIGHWAY
    known = cls in table
    if known:
        speed = table[cls][profile]
    elif profile in settings.VEHICLE_PROFILES:
        # an unknown class is drivable only when a tagged limit says vehicles use it
        speed = settings.DEFAULT_SPEED_KMH[profile] if np.isfinite(tagged_kmh) else 0.0
    else:
        speed = settings.DEFAULT_SPEED_KMH[profile]
    if speed > 0 and np.isfinite(tagged_kmh) and profile != "walk":
        cap = settings.MAXSPEED_CAP_KMH.get(profile, np.inf)
        if profile == "ebike":
            speed = min(speed, tagged_kmh)
        elif profile == "ambulance":
            speed = min(tagged_kmh * settings.AMBULANCE_MAXSPEED_FACTOR, cap)
        else:
            speed = min(tagged_kmh, cap)
    return float(speed), not known


def edge_speeds_kmh(highways: Sequence[Any], maxspeeds: Sequence[Any], *, profile: str) -> np.ndarray:
    """Travel speed of each edge for one profile.

    Parameters
    ----------
    highways
        ``highway`` value of each edge.
    maxspeeds
        ``maxspeed`` value of each edge (``None`` where untagged).
    profile
        One of ``settings.PROFILES``.

    Returns
    -------
    numpy.ndarray
        Speed in km/h per edge (float64); 0 where the profile may not use the edge.
        Class speeds come from ``settings.SPEED_KMH_BY_HIGHWAY``; a tagged ``maxspeed``
        replaces the class speed for cars (capped at ``settings.MAXSPEED_CAP_KMH``), is
        raised by ``settings.AMBULANCE_MAXSPEED_FACTOR`` for ambulances and can only slow
        e-bikes; walking ignores it.

        Classes missing from the table follow one rule per profile: vehicles
        (``settings.VEHICLE_PROFILES``) may use them only where a ``maxspeed`` is tagged
        (which then applies as above, from ``settings.DEFAULT_SPEED_KMH``); walkers use them at
        ``settings.DEFAULT_SPEED_KMH["walk"]``. Unknown classes are logged once per call with
        their edge counts. An edge carrying several classes (merged by an older
        simplification) takes the slowest of them, and is closed if any of them is closed,
        so the result never depends on the order of the list.

    Raises
    ------
    ParameterError
        If the profile is unknown.
    """
    check_profile(profile)
    if len(highways) != len(maxspeeds):
        msg = f"edge_speeds_kmh got {len(highways)} highway values but {len(maxspeeds)} maxspeed values."
        raise ParameterError(msg)
    # few distinct (class, maxspeed) pairs exist, so work per pair instead of per edge
    cache: dict[tuple[str, str], tuple[float, tuple[str, ...]]] = {}
    unknown_counts: dict[str, int] = {}
    out = np.empty(len(highways), dtype=np.float64)
    for i, (hw, ms) in enumerate(zip(highways, maxspeeds, strict=True)):
        key = (repr(hw), repr(ms))
        hit = cache.get(key)
        if hit is None:
            tagged = parse_maxspeed_kmh(ms)
            speeds = []
            unknown: list[str] = []
            for cls in highway_classes(hw):
                speed, is_unknown = _class_speed_kmh(cls, tagged, profile)
                speeds.append(speed)
                if is_unknown:
                    unknown.append(cls)
            hit = (min(speeds), tuple(unknown))
            cache[key] = hit
        out[i] = hit[0]
        for cls in hit[1]:
            unknown_counts[cls] = unknown_counts.get(cls, 0) + 1
    if unknown_counts:
        rule = (
            "drivable only where a maxspeed is tagged"
            if profile in settings.VEHICLE_PROFILES
            else f"used at {settings.DEFAULT_SPEED_KMH[profile]:g} km/h"
        )
        listed = ", ".join(f"{c or '(none)'} ({k})" for c, k in sorted(unknown_counts.items()))
        logger.info("Profile %s: highway classes without a speed setting, %s: %s", profile, rule, listed)
    return out


def add_edge_speeds(G: nx.MultiDiGraph, *, profile: str) -> nx.MultiDiGraph:
    """Return a copy of *G* with ``speed_kph`` and ``travel_time`` (s) edge attributes for a profile.

    Parameters
    ----------
    G
        Road graph with ``highway`` and ``length`` (m) edge attributes.
    profile
        One of ``settings.PROFILES``.

    Returns
    -------
    networkx.MultiDiGraph
        The copy; ``travel_time`` is ``inf`` on edges the profile may not use and includes
        ``settings.PEAK_HOUR_FACTOR`` for driving profiles.
    """
    G = G.copy()
    edges = list(G.edges(keys=True, data=True))
    speeds = edge_speeds_kmh(
        [d.get("highway") for *_, d in edges], [d.get("maxspeed") for *_, d in edges], profile=profile
    )
    factor = settings.PEAK_HOUR_FACTOR if profile in ("ambulance", "car") else 1.0
    for (_, _, _, data), speed in zip(edges, speeds, strict=True):
        data["speed_kph"] = float(speed)
        length_m = float(data.get("length", 0.0))
        data["travel_time"] = length_m / (speed / 3.6) * factor if speed > 0 else float("inf")
    return G


def iter_profiles(profiles: Iterable[str] | None = None) -> list[str]:
    """Return the given profiles, checked, or all of ``settings.PROFILES``.

    Parameters
    ----------
    profiles
        Profile names, or ``None`` for all.

    Returns
    -------
    list of str
        The profiles.
    """
    out = list(settings.PROFILES if profiles is None else profiles)
    for p in out:
        check_profile(p)
    return out
