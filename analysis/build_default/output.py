"""Writing features and files: coordinates rounded, one feature per line, UTF-8."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping

#: Decimal places of written coordinates: 1e-7 degrees is about 1 cm.
COORD_DECIMALS = 7


def _round(geom: Any) -> Any:
    return shapely.transform(geom, lambda xy: np.round(xy, COORD_DECIMALS))


def feature(props: dict[str, Any], geom: Any) -> dict[str, Any]:
    """A GeoJSON feature with its coordinates rounded to :data:`COORD_DECIMALS`."""
    return {
        "type": "Feature",
        "properties": props,
        "geometry": None if geom is None else mapping(_round(geom)),
    }


def write_json(path: Path, doc: Any) -> None:
    """Write *doc* as JSON (a list one item per line)."""
    text = json.dumps(doc, ensure_ascii=False, indent=1 if isinstance(doc, list) else None)
    path.write_text(text + "\n", encoding="utf-8")


def write_collection(path: Path, name: str, features: list[dict[str, Any]]) -> None:
    """Write a FeatureCollection, one feature per line."""
    lines = [f'{{"type": "FeatureCollection", "name": "{name}", "features": [']
    lines.append(",\n".join(json.dumps(f, ensure_ascii=False) for f in features))
    lines.append("]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
