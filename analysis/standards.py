"""The targets of the county plan (and our own additions) as data.

One :class:`Standard` per row of ``docs/standards.md``. ``target``, ``unit`` and
``comparison`` give the plan's figure as written (e.g. 14 minutes, "<="); how a result is
evaluated against it is in ``evaluation``, and the settings a result depends on are named in
``settings`` so that every result can show its assumptions beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.errors import ParameterError

__all__ = ["DEFAULT_PLAN", "STANDARDS", "STANDARD_IDS", "Standard", "get_standard"]

_PLAN = '《晋江市"十四五"卫生健康事业发展专项规划》 (Jinjiang 14th Five-Year Health Plan, 2021-2025)'
#: The plan the targets were written from (Jinjiang's); other counties cite theirs in county.toml.
DEFAULT_PLAN = _PLAN
_EMS_SECTION = f"{_PLAN}, 三(一)3(2) 加快急救网络基础建设"
_GUIDANCE = "国卫医发〔2020〕19号 (national guidance on pre-hospital emergency care)"


@dataclass(frozen=True)
class Standard:
    """One target the tool checks.

    Attributes
    ----------
    id
        Key used by code, API and reports, e.g. ``"ems_response_14min"``.
    name_zh, name_en
        Labels, Chinese first.
    target
        The plan's figure (a number) or, where the plan gives no number, its words.
    unit
        Unit of ``target``.
    comparison
        How the plan's figure bounds the measured quantity: ``"<="``, ``">="`` or ``"report"``
        (no pass/fail possible from the plan's words alone).
    source
        Where the target comes from.
    settings
        Names of :mod:`analysis.settings` variables the evaluation uses (its assumptions).
    evaluation
        How the tool evaluates it, in plain words.
    """

    id: str
    name_zh: str
    name_en: str
    target: float | str
    unit: str
    comparison: str
    source: str
    settings: tuple[str, ...]
    evaluation: str

    @property
    def label(self) -> str:
        """Bilingual label, Chinese first."""
        return f"{self.name_zh} {self.name_en}"


STANDARDS: tuple[Standard, ...] = (
    Standard(
        id="service_circle_15min",
        name_zh="15分钟医疗卫生服务圈",
        name_en="15-minute medical service circle",
        target=15.0,
        unit="minutes",
        comparison="<=",
        source=f'{_PLAN}, 二(三)2(2) ("进一步完善" further improved); 三(一) "3+4+5+X" system',
        settings=(
            "SERVICE_CIRCLE_PROFILE",
            "SERVICE_CIRCLE_MINUTES",
            "CIRCLE_REQUIRED_SHARE",
            "STRAIGHT_LINE_SPEED_KMH",
            "CIRCUITY_FACTOR",
        ),
        evaluation=(
            "share of population whose travel time to the nearest open health facility is within the "
            "threshold, by walk, e-bike and car, by tier (any facility; township centre or above; "
            "hospital) and by town; headline mode is a setting; met when the share reaches "
            "CIRCLE_REQUIRED_SHARE (the plan sets no share: an assumption)"
        ),
    ),
    Standard(
        id="ems_response_14min",
        name_zh="14分钟急救圈",
        name_en="14-minute pre-hospital emergency circle",
        target=14.0,
        unit="minutes",
        comparison="<=",
        source=f"{_EMS_SECTION} (15分钟急救圈…力争到2025年达到14分钟以内)",
        settings=(
            "EMS_RESPONSE_MINUTES",
            "EMS_DISPATCH_MINUTES",
            "CIRCLE_REQUIRED_SHARE",
            "STRAIGHT_LINE_SPEED_KMH",
            "CIRCUITY_FACTOR",
            "PEAK_HOUR_FACTOR",
        ),
        evaluation=(
            "response = dispatch delay + ambulance drive time from the nearest 120 site; share of "
            "population with response within 14 minutes, population-weighted median and 90th "
            "percentile, worst-served places; met when the share reaches CIRCLE_REQUIRED_SHARE"
        ),
    ),
    Standard(
        id="ems_radius_5km",
        name_zh="急救网络服务半径≤5公里",
        name_en="Emergency network service radius ≤ 5 km",
        target=5000.0,
        unit="m",
        comparison="<=",
        source=f"{_EMS_SECTION}; {_GUIDANCE} (urban ≤ 5 km, rural 10-20 km)",
        settings=("EMS_RADIUS_M", "CIRCLE_REQUIRED_SHARE", "CIRCUITY_FACTOR"),
        evaluation=(
            "share of population within 5 km network distance of a 120 site (straight-line share "
            "reported separately); met when the network share reaches CIRCLE_REQUIRED_SHARE"
        ),
    ),
    Standard(
        id="ambulance_per_30k",
        name_zh="每3万人口配置1辆救护车",
        name_en="1 ambulance per 30,000 people",
        target=30000.0,
        unit="people per ambulance",
        comparison="<=",
        source=f"{_EMS_SECTION}; {_GUIDANCE}",
        settings=("PEOPLE_PER_AMBULANCE",),
        evaluation=(
            "ambulances summed from the 120 sites' fleet attributes against ceil(population / 30,000), "
            "also per station catchment; any unknown fleet makes the result unknown, never a guess"
        ),
    ),
    Standard(
        id="negative_pressure_share_40",
        name_zh="负压救护车比例不低于40%",
        name_en="Negative-pressure ambulances ≥ 40%",
        target=0.40,
        unit="share of ambulances",
        comparison=">=",
        source=_EMS_SECTION,
        settings=("NEGATIVE_PRESSURE_SHARE",),
        evaluation="negative-pressure ambulances / all ambulances from fleet attributes, where known",
    ),
    Standard(
        id="aed_per_10k",
        name_zh="每万人配置1台AED",
        name_en="1 public AED per 10,000 people",
        target=10000.0,
        unit="people per AED",
        comparison="<=",
        source=_EMS_SECTION,
        settings=("PEOPLE_PER_AED",),
        evaluation=(
            "count of AED sites against ceil(population / 10,000); the reported public count is used "
            "when no AED locations are supplied"
        ),
    ),
    Standard(
        id="aed_walk_access",
        name_zh="AED步行可达",
        name_en="People within a short walk of an AED",
        target=200.0,
        unit="m",
        comparison="report",
        source=(
            "our addition: studies of AED access commonly use 100-200 m (Xuzhou 2025: 7.3% of arrests "
            "within 100 m walking vs 8.3% by straight line)"
        ),
        settings=("AED_WALK_RADIUS_M", "CIRCUITY_FACTOR"),
        evaluation=(
            "share of population within the walking radius of an AED (network walking distance); "
            "no target: shows why a count alone misleads"
        ),
    ),
    Standard(
        id="beds_per_1000",
        name_zh="每千人口医疗床位4.2张",
        name_en="4.2 hospital beds per 1,000 people",
        target=4.2,
        unit="beds per 1,000 people",
        comparison=">=",
        source=f"{_PLAN}, 表1 and 一(一)2 (2020: 8,144 beds)",
        settings=("BEDS_PER_1000",),
        evaluation=(
            "beds from facility attributes / population × 1,000, county and per medical community; "
            "facilities with unknown beds are listed"
        ),
    ),
    Standard(
        id="village_clinic_each_village",
        name_zh="每个行政村均有一家乡村卫生一体化卫生所",
        name_en="An integrated clinic in every administrative village",
        target="每个行政村 every administrative village (Jinjiang: 398 villages/communities)",
        unit="village clinics",
        comparison=">=",
        source=f"{_PLAN}, 二(三)2(4)",
        settings=(),
        evaluation="count of village clinics against the number of villages, where village data is supplied",
    ),
    Standard(
        id="washing_centre_per_subcentre",
        name_zh="每个急救分中心服务区至少1个标准化洗消中心",
        name_en="An ambulance washing centre in each EMS sub-centre area",
        target="≥ 1 per sub-centre service area (4 areas)",
        unit="washing centres per sub-centre area",
        comparison=">=",
        source=_EMS_SECTION,
        settings=(),
        evaluation="per sub-centre catchment, count of washing centres, where supplied",
    ),
)

STANDARD_IDS: tuple[str, ...] = tuple(s.id for s in STANDARDS)
_BY_ID = {s.id: s for s in STANDARDS}


def get_standard(id: str) -> Standard:
    """Return the standard with key *id*.

    Parameters
    ----------
    id
        One of :data:`STANDARD_IDS`.

    Returns
    -------
    Standard

    Raises
    ------
    ParameterError
        If no standard has that key.
    """
    try:
        return _BY_ID[id]
    except KeyError:
        msg = f"Unknown standard {id!r}; choose one of: {', '.join(STANDARD_IDS)}."
        raise ParameterError(msg) from None
