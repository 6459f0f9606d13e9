"""Saved scenarios in the county database: one transaction per scenario, so none is ever half-written.

A scenario row carries the number of its changes, and its changes are rows of their own, written in the
same transaction: after a crash at any moment a scenario is either absent or complete, and every
scenario whose ``add`` returned is there.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.scenarios.changes import ScenarioSpec, parse_scenario
from analysis.store import connect, dumps, ensure_schema

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS scenarios (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        base TEXT NOT NULL CHECK (base IN ('today', 'planned')),
        n_changes INTEGER NOT NULL,
        note TEXT,
        created_at REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS scenario_changes (
        scenario_id TEXT NOT NULL REFERENCES scenarios (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        change TEXT NOT NULL,
        PRIMARY KEY (scenario_id, position)
    )""",
)


@dataclass(frozen=True)
class StoredScenario:
    """A saved scenario."""

    id: str
    spec: ScenarioSpec
    note: str | None
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able view for the API."""
        return {"id": self.id, **self.spec.to_dict(), "note": self.note, "created_at": self.created_at}


class ScenarioStore:
    """Scenarios in the SQLite file *path* (tables created when missing).

    Parameters
    ----------
    path
        The county database.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        ensure_schema(self.path, _SCHEMA)

    def add(self, spec: ScenarioSpec, *, note: str | None = None) -> StoredScenario:
        """Save *spec* atomically; it is on disk when this returns.

        Parameters
        ----------
        spec
            The checked scenario.
        note
            Where it came from (e.g. "sites of siting job …").

        Returns
        -------
        StoredScenario
        """
        scenario_id = uuid.uuid4().hex[:12]
        now = time.time()
        with connect(self.path) as conn:
            conn.execute(
                "INSERT INTO scenarios (id, name, base, n_changes, note, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (scenario_id, spec.name, spec.base, len(spec.changes), note, now),
            )
            conn.executemany(
                "INSERT INTO scenario_changes (scenario_id, position, change) VALUES (?, ?, ?)",
                [(scenario_id, i, dumps(change.to_dict())) for i, change in enumerate(spec.changes)],
            )
        return StoredScenario(id=scenario_id, spec=spec, note=note, created_at=now)

    def get(self, scenario_id: str) -> StoredScenario | None:
        """The scenario with *scenario_id*, or None."""
        with connect(self.path) as conn:
            row = conn.execute(
                "SELECT id, name, base, n_changes, note, created_at FROM scenarios WHERE id = ?",
                (scenario_id,),
            ).fetchone()
            if row is None:
                return None
            changes = conn.execute(
                "SELECT change FROM scenario_changes WHERE scenario_id = ? ORDER BY position", (scenario_id,)
            ).fetchall()
        if len(changes) != row[3]:
            msg = (
                f"scenario {scenario_id} has {len(changes)} of its {row[3]} changes; the database is damaged"
            )
            raise RuntimeError(msg)
        spec = parse_scenario(row[1], row[2], [json.loads(c[0]) for c in changes])
        return StoredScenario(id=row[0], spec=spec, note=row[4], created_at=float(row[5]))

    def list(self) -> list[dict[str, Any]]:
        """Every scenario (id, name, base, number of changes, note, created_at), oldest first."""
        with connect(self.path) as conn:
            rows = conn.execute(
                "SELECT id, name, base, n_changes, note, created_at FROM scenarios ORDER BY created_at, id"
            ).fetchall()
        return [
            {"id": r[0], "name": r[1], "base": r[2], "changes": r[3], "note": r[4], "created_at": r[5]}
            for r in rows
        ]

    def delete(self, scenario_id: str) -> bool:
        """Delete a scenario and its changes; False when there was none."""
        with connect(self.path) as conn:
            cursor = conn.execute("DELETE FROM scenarios WHERE id = ?", (scenario_id,))
        return cursor.rowcount > 0
