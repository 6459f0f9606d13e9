"""Check single values read from files: blanks, whole counts, and codes or ids."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def is_blank(value: Any) -> bool:
    """True for None, NaN and strings of spaces: the cell was left empty."""
    if value is None:
        return True
    if isinstance(value, float | np.floating) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def as_count(value: Any) -> int | None:
    """A whole non-negative number, or None when blank; raise ValueError with a reason otherwise."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError("is true/false")
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError("is not a number") from None
    else:
        raise ValueError("is not a number")
    if not math.isfinite(number) or number != int(number):
        raise ValueError("is not a whole number")
    if number < 0:
        raise ValueError("is negative")
    return int(number)


def as_code(value: Any) -> str | None:
    """A code or id as text (``350582100`` and ``350582100.0`` both give ``"350582100"``), None when blank.

    Raises
    ------
    ValueError
        With the reason, for true/false, a non-finite or fractional number, or a list/object.
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError("is true/false, not a code")
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if not math.isfinite(value):
            raise ValueError("is not a finite number")
        if value != int(value):
            raise ValueError("is a fractional number, not a code")
        return str(int(value))
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("nan", "inf", "-inf", "infinity", "-infinity", "null", "none"):
            raise ValueError("is a placeholder, not a code")
        return text
    raise ValueError(f"is a {type(value).__name__}, not a code")


def as_int_id(value: Any) -> int:
    """A whole-number id (e.g. a grid ``cell_id``); raise ValueError with the reason otherwise."""
    if is_blank(value):
        raise ValueError("is missing")
    if isinstance(value, bool):
        raise ValueError("is true/false")
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        if not math.isfinite(value) or value != int(value):
            raise ValueError("is not a whole number")
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise ValueError("is not a whole number") from None
    raise ValueError(f"is a {type(value).__name__}, not a number")
