"""Location models, one file per family, all solved by the shared HiGHS engine."""

from analysis.siting.models.backup import BackupCovering
from analysis.siting.models.base import LocationModel
from analysis.siting.models.lscp import SetCovering
from analysis.siting.models.mclp import MaximalCovering
from analysis.siting.models.mexclp import ExpectedCovering, busy_fraction, expected_coverage
from analysis.siting.models.pmedian import PMedian

__all__ = [
    "BackupCovering",
    "ExpectedCovering",
    "LocationModel",
    "MaximalCovering",
    "PMedian",
    "SetCovering",
    "busy_fraction",
    "expected_coverage",
]
