"""Read a text file whatever its encoding: UTF-8 (with or without BOM), UTF-16 with BOM, GB18030.

Spreadsheets saved on Chinese Windows write GBK (GB18030 is its superset) or UTF-16; web tools write
UTF-8, sometimes with a byte-order mark. The encoding used is returned so that it can be reported.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from analysis.errors import DataError

#: Byte-order marks recognised, longest first (the UTF-32 LE mark begins with the UTF-16 LE one).
_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32 (BOM)"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32 (BOM)"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 (BOM)"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 (BOM)"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 (BOM)"),
)


@dataclass(frozen=True)
class DecodedText:
    """The text of a file and the encoding it was read with.

    Attributes
    ----------
    text
        The decoded text, without byte-order mark.
    encoding
        Human-readable name of the encoding: "UTF-8", "UTF-8 (BOM)", "UTF-16 (BOM)", "GB18030".
    """

    text: str
    encoding: str


def decode_bytes(raw: bytes, *, name: str) -> DecodedText:
    """Decode file contents: BOM first, then strict UTF-8, then strict GB18030 (covers GBK and GB2312).

    Parameters
    ----------
    raw
        The file's bytes.
    name
        File name, for messages.

    Returns
    -------
    DecodedText

    Raises
    ------
    DataError
        The bytes are none of these encodings (or look binary / UTF-16 without a BOM).
    """
    for bom, codec, label in _BOMS:
        if raw.startswith(bom):
            try:
                return DecodedText(raw.decode(codec), label)
            except UnicodeDecodeError as exc:
                msg = (
                    f"{name} starts with a {label} byte-order mark but byte {exc.start} is not {label}; "
                    "save the file again as UTF-8."
                )
                raise DataError(msg) from None
    if b"\x00" in raw:
        msg = (
            f"{name} contains NUL bytes: it is binary, or UTF-16 without a byte-order mark; "
            "save it as UTF-8 (or 'Unicode' with BOM) text."
        )
        raise DataError(msg)
    try:
        return DecodedText(raw.decode("utf-8"), "UTF-8")
    except UnicodeDecodeError:
        pass
    try:
        return DecodedText(raw.decode("gb18030"), "GB18030")
    except UnicodeDecodeError as exc:
        msg = (
            f"{name} is neither UTF-8, UTF-16 (with BOM) nor GB18030/GBK text (byte {exc.start} cannot be "
            "read); save it as UTF-8."
        )
        raise DataError(msg) from None


def read_text(path: str | Path, *, what: str) -> DecodedText:
    """Read a text file, detecting its encoding (see :func:`decode_bytes`).

    Parameters
    ----------
    path
        The file.
    what
        What the file should hold (e.g. "facilities"), for messages.

    Returns
    -------
    DecodedText

    Raises
    ------
    DataError
        The file is missing, is a folder, cannot be read, or is not text in a known encoding.
    """
    file = Path(path)
    if file.is_dir():
        msg = f"{what} file {file} is a folder; give the path of the file itself."
        raise DataError(msg)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        msg = f"{what} file {file} does not exist; check the path."
        raise DataError(msg) from None
    except OSError as exc:
        msg = f"{what} file {file} cannot be read ({exc.strerror}); check its permissions."
        raise DataError(msg) from None
    return decode_bytes(raw, name=str(file))
