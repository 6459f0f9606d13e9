"""What can be sited and with which model: the names the library, API and CLI share."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

Kind = Literal["ems", "facility", "aed"]
ModelName = Literal["mclp", "lscp", "pmedian", "mexclp", "backup"]
CandidateFilter = Literal["all", "populated", "uncovered"]


class SiteKind(StrEnum):
    """What is being sited."""

    ems = "ems"
    facility = "facility"
    aed = "aed"


class SiteModel(StrEnum):
    """Location model."""

    mclp = "mclp"
    lscp = "lscp"
    pmedian = "pmedian"
    mexclp = "mexclp"
    backup = "backup"


#: Values of :class:`SiteKind` and :class:`SiteModel`, for messages and schemas.
KINDS: tuple[str, ...] = tuple(kind.value for kind in SiteKind)
MODELS: tuple[str, ...] = tuple(model.value for model in SiteModel)
CANDIDATE_FILTERS: tuple[str, ...] = ("all", "populated", "uncovered")

#: Facility kinds that count as an existing site of each use case.
EXISTING_KINDS: dict[str, tuple[str, ...]] = {
    "ems": ("ems_centre", "ems_subcentre", "ems_station"),
    "facility": ("hospital", "township_centre", "community_centre"),
    "aed": ("aed",),
}
