"""Read a CSV table the way people write them: any common encoding, ``,`` ``;`` or tab, Chinese headers.

:func:`read_table` is the one entry point for every CSV input (facilities, census tables, candidate
sites). Cells are kept as text; the caller converts and checks them, naming the row.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pandas as pd

from analysis.datasets.encoding import read_text
from analysis.datasets.headers import canonical_header
from analysis.errors import DataError

#: Delimiters tried, in order of preference when equally frequent.
DELIMITERS: Final = (",", ";", "\t")

_DELIMITER_NAMES: Final = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass(frozen=True)
class Table:
    """A CSV file read as text cells.

    Attributes
    ----------
    frame
        One column per header (renamed to our names), every cell a ``str`` ("" when empty).
    encoding
        Encoding the file was read with (see :class:`analysis.datasets.encoding.DecodedText`).
    delimiter
        The separator found: ",", ";" or a tab.
    renamed
        Headers of the file that were renamed, original → ours (e.g. ``{"经度": "lon"}``).
    """

    frame: pd.DataFrame
    encoding: str
    delimiter: str
    renamed: dict[str, str] = field(default_factory=dict)

    @property
    def delimiter_name(self) -> str:
        """ "comma", "semicolon" or "tab"."""
        return _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a CSV header line: the commonest of ``,`` ``;`` tab outside quotes (default ``,``).

    Parameters
    ----------
    header_line
        First line of the file.

    Returns
    -------
    str
    """
    counts: Counter[str] = Counter()
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in DELIMITERS:
            counts[char] += 1
    if not counts:
        return ","
    best = max(counts.values())
    return next(d for d in DELIMITERS if counts[d] == best)


def read_table(path: str | Path, *, what: str, example_header: str, require_rows: bool = True) -> Table:
    """Read a CSV file into text cells, detecting encoding and delimiter and renaming known headers.

    Parameters
    ----------
    path
        The CSV file.
    what
        What it should hold (e.g. "facilities"), for messages.
    example_header
        A header line to suggest when the file is empty, e.g. ``"id,name_zh,kind,lon,lat"``.
    require_rows
        Refuse a file with a header but no rows (set False to check the columns first yourself).

    Returns
    -------
    Table

    Raises
    ------
    DataError
        The file is missing, empty, not text, not a readable CSV, has no data rows, or two of its
        headers mean the same column (the message names the file and what to do).
    """
    file = Path(path)
    decoded = read_text(file, what=what)
    text = decoded.text
    if not text.strip():
        msg = f"{file} is empty; write a header row ({example_header}) and one row per entry ({what})."
        raise DataError(msg)
    first_line = text.lstrip("\r\n").splitlines()[0]
    delimiter = sniff_delimiter(first_line)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, skip_blank_lines=True
        )
    except pd.errors.EmptyDataError:
        msg = f"{file} is empty; write a header row ({example_header}) and one row per entry ({what})."
        raise DataError(msg) from None
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        msg = (
            f"{file} is not a readable CSV ({reason}; read as {decoded.encoding}, "
            f"{_DELIMITER_NAMES[delimiter]}-separated); check quotes and that every row has as many "
            "separators as the header."
        )
        raise DataError(msg) from None
    renamed: dict[str, str] = {}
    names: dict[str, str] = {}
    for original in frame.columns:
        ours = canonical_header(str(original))
        if ours in names:
            msg = (
                f"{file}: columns {names[ours]!r} and {original!r} both mean {ours!r}; keep only one of them."
            )
            raise DataError(msg)
        names[ours] = str(original)
        if ours != str(original):
            renamed[str(original)] = ours
    frame.columns = list(names)
    if require_rows and frame.empty:
        msg = f"{file} has no {what}: it has a header but no rows; add one row per entry."
        raise DataError(msg)
    return Table(frame=frame, encoding=decoded.encoding, delimiter=delimiter, renamed=renamed)
