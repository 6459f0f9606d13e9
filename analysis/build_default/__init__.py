"""Build the embedded Jinjiang (晋江市) dataset in ``data/`` from ``data/sources/``.

Run ``python -m analysis.build_default``. The build is deterministic and may be rerun; it
never invents a location: a facility whose place is unknown keeps a null geometry and
precision "unknown", and a town without a located seat keeps a null area.
"""

from analysis.build_default.build import build, main
from analysis.build_default.sources import SOURCES_DIR

__all__ = ["SOURCES_DIR", "build", "main"]
