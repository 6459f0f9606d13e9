"""How cells join the road network: long access legs and cells beyond the snap limit, per profile.

A cell joins its nearest road by a straight access leg. A long leg means it is joined across a
gap (its own roads may be a cut-off fragment of the network); beyond the snap limit it does not
join at all and is unreached. Both are counted, never silent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analysis import settings

if TYPE_CHECKING:
    from analysis.coverage.options import ResolvedOptions
    from analysis.coverage.prepared import CellTable


def access_leg_summary(cells: CellTable) -> list[dict[str, Any]]:
    """Per profile: cells and people with a long access leg or beyond the snap limit.

    Parameters
    ----------
    cells
        The run's cells (their access legs per profile; none for the straight-line estimate).

    Returns
    -------
    list of dict
        ``profile``, ``long_leg_m`` (``settings.LONG_ACCESS_LEG_M``), ``cells_long_leg``,
        ``population_long_leg``, ``longest_leg_m`` (among cells that join, ``None`` when
        none does), ``cells_beyond_limit``, ``population_beyond_limit``, ``snap_limit_m``.
    """
    out = []
    pop = cells.population
    for profile in settings.PROFILES:
        leg = cells.access_leg_m.get(profile)
        if leg is None:
            continue
        joined = leg <= settings.MAX_SNAP_DISTANCE_M
        long_leg = joined & (leg > settings.LONG_ACCESS_LEG_M)
        beyond = ~joined
        out.append(
            {
                "profile": profile,
                "long_leg_m": settings.LONG_ACCESS_LEG_M,
                "cells_long_leg": int(long_leg.sum()),
                "population_long_leg": float(pop[long_leg].sum()),
                "longest_leg_m": float(leg[joined].max()) if joined.any() else None,
                "cells_beyond_limit": int(beyond.sum()),
                "population_beyond_limit": float(pop[beyond].sum()),
                "snap_limit_m": settings.MAX_SNAP_DISTANCE_M,
            }
        )
    return out


def access_leg_banners(summary: list[dict[str, Any]], opts: ResolvedOptions) -> list[str]:
    """Plain-words warnings for the headline and ambulance profiles when legs are long or cells unjoined.

    Parameters
    ----------
    summary
        :func:`access_leg_summary` of the run.
    opts
        The run's options (headline and ambulance profiles).

    Returns
    -------
    list of str
        One banner per profile concerned (bilingual).
    """
    banners = []
    for entry in summary:
        if entry["profile"] not in (opts.profile, opts.ems_profile):
            continue
        parts = []
        if entry["cells_long_leg"]:
            parts.append(
                f"{entry['cells_long_leg']} cells ({entry['population_long_leg']:,.0f} people) join the "
                f"road by a straight leg longer than {entry['long_leg_m']:g} m "
                f"(longest {entry['longest_leg_m']:,.0f} m)"
            )
        if entry["cells_beyond_limit"]:
            parts.append(
                f"{entry['cells_beyond_limit']} cells ({entry['population_beyond_limit']:,.0f} people) are "
                f"farther than {entry['snap_limit_m']:g} m from any road and count as unreached"
            )
        if parts:
            banners.append(f"路网接入 Access to the {entry['profile']} roads: " + "; ".join(parts) + ".")
    return banners
