"""A county folder: its manifest ``county.toml`` (name, code, working CRS, plan, targets) and its inputs.

A county folder holds ``boundary.geojson``, ``facilities.geojson``, ``population.geojson``, optionally
``towns.geojson``, ``facts.json``, ``places.geojson`` (public places, AED candidates) and
``network/drive.graphml.gz``, and the manifest. ``data/`` is
Jinjiang's folder. The manifest looks like::

    name_zh = "晋江市"
    name_en = "Jinjiang"
    admin_code = "350582"
    crs = "EPSG:32650"            # optional: default the UTM zone of the outline's centroid

    [plan]
    title_zh = "《晋江市“十四五”卫生健康事业发展专项规划》"
    title_en = "Jinjiang 14th Five-Year Health Plan, 2021-2025"

    [targets]                      # optional overrides of the plan's figures
    ems_response_minutes = 12

    [assumptions]                  # optional defaults of what the plan leaves open
    service_circle_profile = "ebike"

Every key is checked; a wrong one gets a message naming it and the allowed keys.
"""

from analysis.county.inputs import FOLDER_FILES, empty_towns, folder_path, load_county_inputs
from analysis.county.manifest import MANIFEST_FILE, load_county
from analysis.county.model import County, Plan
from analysis.county.stamp import stamp_county
from analysis.county.zones import outline_utm_crs, utm_crs

__all__ = [
    "FOLDER_FILES",
    "MANIFEST_FILE",
    "County",
    "Plan",
    "empty_towns",
    "folder_path",
    "load_county",
    "load_county_inputs",
    "outline_utm_crs",
    "stamp_county",
    "utm_crs",
]
