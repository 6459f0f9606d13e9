"""Bilingual labels (Chinese first, English beside) of the things maps and reports name."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Label of each facility kind.
KIND_LABELS: dict[str, str] = {
    "hospital": "医院 Hospital",
    "township_centre": "乡镇卫生院 Township health centre",
    "community_centre": "社区卫生服务中心 Community health centre",
    "ems_centre": "120急救中心 EMS centre",
    "ems_subcentre": "120急救分中心 EMS sub-centre",
    "ems_station": "120急救站 EMS station",
    "aed": "AED 自动体外除颤器 AED",
    "village_clinic": "村卫生所 Village clinic",
}
UNKNOWN_LOCATION_LABEL = "位置未知 location unknown"

#: Result of a standard.
STATUS_LABELS: dict[str, str] = {"pass": "达标 Pass", "fail": "未达标 Fail", "unknown": "未知 Unknown"}
STATUS_COLOURS: dict[str, str] = {"pass": "#1a7f37", "fail": "#cf222e", "unknown": "#6e7781"}

#: Units of results, in words.
UNIT_LABELS: dict[str, str] = {
    "share of population": "% 人口 of people",
    "share of ambulances": "% 救护车 of ambulances",
    "ambulances": "辆 ambulances",
    "AEDs": "台 AEDs",
    "beds per 1,000 people": "张/千人 beds per 1,000 people",
    "village clinics": "所 village clinics",
    "sub-centre areas with a washing centre": "个分中心区 sub-centre areas",
}

#: Per-town columns of a coverage document, in words (Chinese first).
TOWN_COLUMN_LABELS: dict[str, str] = {
    "name_zh": "镇街 Town",
    "name_en": "英文名 English name",
    "town_code": "代码 Code",
    "kind": "类型 Kind",
    "location": "位置 Location",
    "precision": "精度 Precision",
    "seat_known": "驻地已知 Seat known",
    "census_2020": "2020普查人口 Census 2020",
    "community": "医共体 Medical community",
    "population": "人口 People",
    "service_circle_share": "服务圈覆盖 Circle share",
    "service_circle_share_township": "卫生院及以上 Township+ share",
    "service_circle_share_hospital": "医院 Hospital share",
    "ems_response_share": "急救达标 EMS share",
    "ems_median_minutes": "急救中位（分钟）EMS median (min)",
    "ems_radius_share": "5公里内 Within 5 km",
    "aed_walk_share": "AED步行可达 AED walk share",
}


def standard_name(result: Mapping[str, Any]) -> tuple[str, str]:
    """Chinese and English names of a standard's result, with the threshold actually used.

    A run with ``minutes=10`` is titled "10分钟医疗卫生服务圈", not the plan's 15.

    Parameters
    ----------
    result
        One entry of a coverage document's ``standards``.

    Returns
    -------
    tuple of str
        ``(name_zh, name_en)``.
    """
    zh, en = str(result.get("name_zh") or ""), str(result.get("name_en") or "")
    minutes = {
        "service_circle_15min": result.get("threshold_minutes"),
        "ems_response_14min": result.get("target_minutes"),
    }.get(str(result.get("id")))
    if minutes is not None:
        zh = re.sub(r"^\d+(\.\d+)?分钟", f"{float(minutes):g}分钟", zh)
        en = re.sub(r"^\d+(\.\d+)?-minute", f"{float(minutes):g}-minute", en)
    return zh, en
