"""A census table of towns (code or name → people) matched against the folder's towns."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd

from analysis.errors import DataError

#: Header names read as the town code, the town name and the count (Chinese headers included).
CODE_HEADERS: Final = ("town_code", "code", "乡镇代码", "代码", "区划代码")
NAME_HEADERS: Final = ("town", "name", "name_zh", "name_en", "乡镇", "镇街", "街道", "名称")
COUNT_HEADERS: Final = ("population", "people", "count", "人口", "常住人口", "人数")


def _column(table: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lowered = {str(c).strip().lower().lstrip("\ufeff"): c for c in table.columns}
    return next((lowered[n] for n in names if n in lowered), None)


def census_totals(path: str | Path, towns: gpd.GeoDataFrame) -> dict[str, float]:
    """People per ``town_code`` from a census table whose rows name towns by code or by name.

    Parameters
    ----------
    path
        CSV (UTF-8, with or without BOM) with a code or name column and a population column.
    towns
        The folder's towns with ``town_code``, ``name_zh``, ``name_en``.

    Returns
    -------
    dict
        ``{town_code: people}``.

    Raises
    ------
    DataError
        No usable columns, a count that is not a number, or towns that match none of the folder's
        (the message lists them and the known towns).
    """
    file = Path(path)
    if not file.is_file():
        msg = f"census table {file} does not exist; check the path."
        raise DataError(msg)
    try:
        table = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        msg = f"{file} is not a readable CSV ({exc}); write a header 'town_code,population', a row per town."
        raise DataError(msg) from None
    code_col, name_col, count_col = (
        _column(table, CODE_HEADERS),
        _column(table, NAME_HEADERS),
        _column(table, COUNT_HEADERS),
    )
    if count_col is None or (code_col is None and name_col is None):
        msg = (
            f"{file} needs a town column ({', '.join(CODE_HEADERS[:1] + NAME_HEADERS[:1])} or 乡镇) and a "
            f"population column (population or 人口); its header is {', '.join(map(str, table.columns))}."
        )
        raise DataError(msg)
    if len(towns) == 0:
        msg = f"{file} counts people by town, but the folder has no towns; pass --towns FILE as well."
        raise DataError(msg)
    by_code = {str(c): str(c) for c in towns["town_code"]}
    by_name: dict[str, str] = {}
    for column in ("name_zh", "name_en"):
        if column in towns.columns:
            by_name.update(
                {str(n).strip(): str(c) for n, c in zip(towns[column], towns["town_code"], strict=True) if n}
            )
    totals: dict[str, float] = {}
    unmatched: list[str] = []
    for i, record in enumerate(table.to_dict(orient="records"), start=1):
        code = str(record[code_col]).strip() if code_col else ""
        name = str(record[name_col]).strip() if name_col else ""
        town = by_code.get(code) or by_name.get(name)
        label = code or name
        if town is None:
            unmatched.append(f"row {i} ({label or 'empty'})")
            continue
        text = str(record[count_col]).replace(",", "").strip()
        try:
            number = float(text)
        except ValueError:
            msg = f"{file.name} row {i} ({label}): population {record[count_col]!r} is not a number."
            raise DataError(msg) from None
        if not math.isfinite(number) or number < 0:
            msg = f"{file.name} row {i} ({label}): population {text} must be zero or positive."
            raise DataError(msg)
        if town in totals:
            msg = f"{file.name} row {i} ({label}): town {town} is counted twice; keep one row per town."
            raise DataError(msg)
        totals[town] = number
    if unmatched:
        known = ", ".join(
            f"{c} {n}"
            for c, n in zip(towns["town_code"], towns.get("name_zh", towns["town_code"]), strict=True)
        )
        msg = (
            f"{file.name}: {len(unmatched)} town(s) match no town of the folder: "
            f"{', '.join(unmatched[:10])}; "
            f"the towns are {known}. Fix the codes or names."
        )
        raise DataError(msg)
    if not totals:
        msg = f"{file} has no rows; add one row per town."
        raise DataError(msg)
    return totals
