"""The ``README.md`` of a county folder: one row per file, saying where its content came from."""

from __future__ import annotations

from pathlib import Path
from typing import Final

_HEADER: Final = "| file | content | source |\n|---|---|---|\n"
_MARK: Final = "<!-- healthcircle init: one row per file -->"


def _rows(text: str) -> dict[str, str]:
    rows: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("| `"):
            rows[line.split("`")[1]] = line
    return rows


def write_readme(folder: Path, *, title: str, entries: dict[str, tuple[str, str]]) -> Path:
    """Write (or update) the folder's README: rows for the files written now replace their old rows.

    Parameters
    ----------
    folder
        The county folder.
    title
        First heading, e.g. the county's name.
    entries
        ``{file name: (content, source)}`` for the files written in this run.

    Returns
    -------
    pathlib.Path
        The README.
    """
    path = folder / "README.md"
    rows = _rows(path.read_text(encoding="utf-8")) if path.is_file() else {}
    for name, (content, source) in entries.items():
        rows[name] = f"| `{name}` | {content} | {source.replace('|', '/')} |"
    body = "\n".join(rows[name] for name in sorted(rows))
    text = (
        f"# {title}\n\n"
        "County folder for healthcircle (`healthcircle report --data-dir DIR`, "
        "`healthcircle serve --data-dir DIR`). "
        "Built with `healthcircle init`; every input's source is recorded below. Data derived from "
        "OpenStreetMap are © OpenStreetMap contributors, available under the ODbL 1.0.\n\n"
        f"{_MARK}\n{_HEADER}{body}\n"
    )
    path.write_text(text, encoding="utf-8")
    return path
