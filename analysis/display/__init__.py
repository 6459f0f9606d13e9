"""Labels and formatters shared by the maps and the report, so both say the same thing the same way."""

from analysis.display.formats import (
    SHARE_UNITS,
    bilingual_name,
    format_target,
    format_value,
    minutes_text,
    modelled_phrase,
    people_text,
    row_value,
    share_text,
    text,
)
from analysis.display.labels import (
    KIND_LABELS,
    STATUS_COLOURS,
    STATUS_LABELS,
    TOWN_COLUMN_LABELS,
    UNIT_LABELS,
    UNKNOWN_LOCATION_LABEL,
    standard_name,
)

__all__ = [
    "KIND_LABELS",
    "SHARE_UNITS",
    "STATUS_COLOURS",
    "STATUS_LABELS",
    "TOWN_COLUMN_LABELS",
    "UNIT_LABELS",
    "UNKNOWN_LOCATION_LABEL",
    "bilingual_name",
    "format_target",
    "format_value",
    "minutes_text",
    "modelled_phrase",
    "people_text",
    "row_value",
    "share_text",
    "standard_name",
    "text",
]
