"""A made-up county (two towns, four facilities, a census table by town name) placed anywhere on Earth.

Used by the county-folder tests: the same county can be shifted by whole degrees of longitude, so that only
its position, and so its UTM zone, changes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: Size of the made-up county, degrees (about 19 km × 17 km at 30° N).
WIDTH_DEG, HEIGHT_DEG = 0.2, 0.15
#: People counted per town in the made-up census.
CENSUS = {"甲镇": 120_000, "乙镇": 80_000}


def _polygon(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def _collection(features: list[dict[str, Any]]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def write_inputs(folder: Path, *, lon0: float = 120.0, lat0: float = 30.0) -> dict[str, Path]:
    """Write the made-up county's outline, towns, facilities (CSV, Chinese headers) and census there.

    Returns
    -------
    dict
        Paths keyed ``outline``, ``towns``, ``facilities``, ``census``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    x1, y1 = lon0 + WIDTH_DEG, lat0 + HEIGHT_DEG
    mid = lon0 + WIDTH_DEG / 2
    outline = folder / "outline.geojson"
    outline.write_text(
        _collection(
            [
                {
                    "type": "Feature",
                    "properties": {"name_zh": "测试县"},
                    "geometry": _polygon(lon0, lat0, x1, y1),
                }
            ]
        ),
        encoding="utf-8",
    )
    towns = folder / "towns_in.geojson"
    towns.write_text(
        _collection(
            [
                {
                    "type": "Feature",
                    "properties": {"town_code": "900001", "name_zh": "甲镇", "name_en": "Jia"},
                    "geometry": _polygon(lon0, lat0, mid, y1),
                },
                {
                    "type": "Feature",
                    "properties": {"town_code": "900002", "name_zh": "乙镇", "name_en": "Yi"},
                    "geometry": _polygon(mid, lat0, x1, y1),
                },
            ]
        ),
        encoding="utf-8",
    )
    facilities = folder / "facilities_in.csv"
    rows = [
        ("m-h1", "甲医院", "hospital", lon0 + 0.05, lat0 + 0.05),
        ("m-t1", "乙镇卫生院", "township_centre", lon0 + 0.15, lat0 + 0.08),
        ("m-e1", "甲镇急救站", "ems_station", lon0 + 0.06, lat0 + 0.06),
        ("m-a1", "乙镇AED", "aed", lon0 + 0.14, lat0 + 0.09),
    ]
    lines = ["id,name_zh,kind,lon,lat,source,precision"]
    lines += [f"{i},{n},{k},{x:.6f},{y:.6f},made-up test point,exact" for i, n, k, x, y in rows]
    facilities.write_text("\n".join(lines) + "\n", encoding="utf-8")
    census = folder / "census.csv"
    census.write_text("乡镇,人口\n" + "".join(f"{n},{p}\n" for n, p in CENSUS.items()), encoding="utf-8")
    return {"outline": outline, "towns": towns, "facilities": facilities, "census": census}
