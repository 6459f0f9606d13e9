"""Bilingual labels (Chinese first, English beside) of the things maps and reports name."""

from __future__ import annotations

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
