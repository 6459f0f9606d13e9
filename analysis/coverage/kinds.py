"""Facility kinds, tiers of the service circle, travel modes and their bilingual labels."""

from __future__ import annotations

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
