"""Column names people actually use, mapped onto ours (Chinese headers, common English variants).

The table is matched after trimming spaces and lower-casing; full-width brackets and units in
brackets are ignored, so ``床位数（张）`` and ``床位`` both mean ``beds``. Values of ``kind`` and
``status`` written in Chinese are mapped the same way.

=====================================  ==============================================
Our column                             Also accepted
=====================================  ==============================================
``id``                                 编号, 机构编号, 代码, 机构代码, code
``name_zh``                            名称, 机构名称, 单位名称, 医院名称, 站点名称, 名字, name
``name_en``                            英文名称, 英文名
``kind``                               类型, 机构类型, 类别, type
``tier``                               级别, 等级, 层级
``community``                          社区, 村居, 村(社区)
``town_code``                          乡镇代码, 镇街代码, 街道代码, 乡镇街道代码, 区划代码
``lon``                                经度, lng, long, longitude
``lat``                                纬度, latitude
``beds``                               床位, 床位数, 编制床位, 开放床位, 实有床位
``ambulances``                         救护车, 救护车数, 救护车数量
``negative_pressure_ambulances``       负压救护车, 负压救护车数, 负压救护车数量
``status``                             状态, 运营状态
``opens``                              开业时间, 启用时间, 投用时间
``source``                             来源, 数据来源
``precision``                          精度, 位置精度
``note``                               备注, 说明
``population``                         人口, 人口数, 常住人口, 人数
=====================================  ==============================================
"""

from __future__ import annotations

import re
from typing import Final

#: Our column name for each accepted header (already normalised by :func:`normalise_header`).
HEADER_ALIASES: Final[dict[str, str]] = {
    **{k: "id" for k in ("编号", "机构编号", "代码", "机构代码", "code")},
    **{k: "name_zh" for k in ("名称", "机构名称", "单位名称", "医院名称", "站点名称", "名字", "name")},
    **{k: "name_en" for k in ("英文名称", "英文名")},
    **{k: "kind" for k in ("类型", "机构类型", "类别", "type")},
    **{k: "tier" for k in ("级别", "等级", "层级")},
    **{k: "community" for k in ("社区", "村居", "村(社区)")},
    **{k: "town_code" for k in ("乡镇代码", "镇街代码", "街道代码", "乡镇街道代码", "区划代码")},
    **{k: "lon" for k in ("经度", "lng", "long", "longitude")},
    **{k: "lat" for k in ("纬度", "latitude")},
    **{k: "beds" for k in ("床位", "床位数", "编制床位", "开放床位", "实有床位")},
    **{k: "ambulances" for k in ("救护车", "救护车数", "救护车数量")},
    **{k: "negative_pressure_ambulances" for k in ("负压救护车", "负压救护车数", "负压救护车数量")},
    **{k: "status" for k in ("状态", "运营状态")},
    **{k: "opens" for k in ("开业时间", "启用时间", "投用时间")},
    **{k: "source" for k in ("来源", "数据来源")},
    **{k: "precision" for k in ("精度", "位置精度")},
    **{k: "note" for k in ("备注", "说明")},
    **{k: "population" for k in ("人口", "人口数", "常住人口", "人数")},
}

#: Facility kinds written in Chinese.
KIND_ALIASES: Final[dict[str, str]] = {
    "医院": "hospital",
    "综合医院": "hospital",
    "专科医院": "hospital",
    "中医院": "hospital",
    "卫生院": "township_centre",
    "乡镇卫生院": "township_centre",
    "中心卫生院": "township_centre",
    "社区卫生服务中心": "community_centre",
    "急救中心": "ems_centre",
    "急救分中心": "ems_subcentre",
    "急救站": "ems_station",
    "急救站点": "ems_station",
    "120急救站": "ems_station",
    "aed": "aed",
    "自动体外除颤器": "aed",
    "村卫生室": "village_clinic",
    "卫生室": "village_clinic",
}

#: Facility statuses written in Chinese.
STATUS_ALIASES: Final[dict[str, str]] = {
    "运营": "open",
    "在用": "open",
    "开业": "open",
    "已开业": "open",
    "规划": "planned",
    "在建": "planned",
    "拟建": "planned",
}

_UNIT = re.compile(r"[（(][^）)]*[）)]$")


def normalise_header(header: str) -> str:
    """Trim, lower-case, turn full-width brackets into ASCII and drop a trailing unit such as ``（张）``."""
    text = str(header).strip().lower().replace("（", "(").replace("）", ")")
    stripped = _UNIT.sub("", text).strip() if text not in HEADER_ALIASES else text
    return stripped or text


def canonical_header(header: str) -> str:
    """Our column name for *header*: an alias from :data:`HEADER_ALIASES`, else the normalised header."""
    key = normalise_header(header)
    return HEADER_ALIASES.get(key, key)
