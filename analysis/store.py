"""The county's SQLite database: one file in the data folder holding siting jobs, results and scenarios.

SQLite in WAL mode with ``synchronous=FULL``: a write is on disk when its transaction commits, readers
never block the writer, and a process killed mid-write leaves the last committed state (the journal is
rolled back on the next open). Each call opens its own short-lived connection, so threads never share
one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from analysis.errors import DataError

#: File name of the database inside a county data folder.
DATABASE_FILE = "healthcircle.sqlite"
#: Seconds a writer waits for another writer's lock before giving up.
BUSY_TIMEOUT_S = 30.0


@contextmanager
def connect(path: str | Path) -> Iterator[sqlite3.Connection]:
    """Open *path* (created when missing) in WAL mode; commit on success, roll back on error, close.

    Parameters
    ----------
    path
        The database file.

    Yields
    ------
    sqlite3.Connection
        A connection whose ``with`` block is one transaction.

    Raises
    ------
    DataError
        If the folder does not exist or the file cannot be opened (not writable, not a database).
    """
    file = Path(path)
    if not file.parent.is_dir():
        msg = f"cannot create the database {file}: folder {file.parent} does not exist"
        raise DataError(msg)
    try:
        conn = sqlite3.connect(file, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.Error as exc:
        msg = f"cannot open the database {file}: {exc}; check that the folder is writable"
        raise DataError(msg) from exc
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


def ensure_schema(path: str | Path, statements: Iterable[str]) -> None:
    """Run ``CREATE ... IF NOT EXISTS`` *statements* in one transaction.

    Parameters
    ----------
    path
        The database file.
    statements
        DDL statements, each safe to repeat.
    """
    with connect(path) as conn:
        for statement in statements:
            conn.execute(statement)


def dumps(value: Any) -> str:
    """JSON text of *value* for a TEXT column: sorted keys, no NaN, Chinese kept readable."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def fingerprint(paths: Iterable[str | Path | None], *, extra: Iterable[str] = ()) -> str:
    """A short hash of files' names, sizes and modification times (and *extra* strings).

    Results stored under a key that includes it are not reused once an input file changes.

    Parameters
    ----------
    paths
        Files or folders (a folder counts its direct files); missing ones and None are skipped.
    extra
        More strings to mix in (e.g. a version).

    Returns
    -------
    str
        16 hex digits.
    """
    digest = hashlib.sha256()
    files: list[Path] = []
    for item in paths:
        if item is None:
            continue
        path = Path(item)
        if path.is_dir():
            files.extend(
                sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(DATABASE_FILE))
            )
        elif path.is_file():
            files.append(path)
    for file in files:
        stat = file.stat()
        digest.update(f"{file.resolve()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    for text in extra:
        digest.update(f"{text}\n".encode())
    return digest.hexdigest()[:16]
