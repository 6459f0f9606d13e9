"""Reported figures of a county (``facts.json``), checked against ``analysis/facts.schema.json``.

A fact is a figure without a location: a census total, the number of public AEDs, beds in 2020. The file
is a list of facts with ``id`` and ``value``, or an object keyed by id; ``{}`` (or ``[]``) means "none".
The facts the coverage report reads are listed in :data:`KNOWN_FACTS`.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from analysis.errors import DataError

#: The JSON Schema of ``facts.json``.
SCHEMA_PATH: Final[Path] = Path(__file__).resolve().parent / "facts.schema.json"

#: Fact ids the coverage report uses, and what for.
KNOWN_FACTS: Final[dict[str, str]] = {
    "census_population_2020": "county census total, people (compared with the population surface)",
    "aed_public_count": "public AEDs reported, used when no AED locations are given",
    "hospital_beds_2020": "hospital beds reported, beside the beds summed from facilities",
    "ambulances_added_2018": "ambulances added in a reported year",
    "villages_communities": "number of administrative villages and communities",
    "negative_pressure_ambulances_known_min": "negative-pressure ambulances known to exist (a lower bound)",
}


@lru_cache(maxsize=1)
def facts_schema() -> dict[str, Any]:
    """The JSON Schema of ``facts.json`` (draft 2020-12)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def _where(error: Any) -> str:
    """'entry 3, key "value"' or 'key "aed_public_count" > "year"' for a schema error."""
    parts = list(error.absolute_path)
    if not parts:
        return "the top level"
    out: list[str] = []
    for i, part in enumerate(parts):
        if isinstance(part, int) and i == 0:
            out.append(f"entry {part + 1}")
        else:
            out.append(f"key {part!r}")
    return ", ".join(out)


def _explain(error: Any) -> str:
    """The most specific message of a schema error (``oneOf`` failures name the branch closest to fitting)."""
    if error.validator == "oneOf" and error.context:
        best = min(error.context, key=lambda e: (len(e.context or ()), -len(list(e.absolute_path))))
        return _explain(best)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{_where(error)}: key {missing!r} is missing"
    return f"{_where(error)}: {error.message}"


def validate_facts(doc: Any, *, name: str = "facts.json") -> dict[str, dict[str, Any]]:
    """Check a parsed ``facts.json`` against the schema and return the facts keyed by id.

    Parameters
    ----------
    doc
        The parsed JSON.
    name
        File name for messages.

    Returns
    -------
    dict
        ``{id: fact}``, each fact a dict with at least ``id`` and ``value``.

    Raises
    ------
    DataError
        The document does not fit the schema, or an id repeats; the message names the entry and key.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(facts_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        msg = (
            f"{name} does not fit the facts schema ({SCHEMA_PATH.name}): {_explain(errors[0])}{more}. "
            'Write a list of {"id": ..., "value": ..., "source": ...} objects, or {} for none.'
        )
        raise DataError(msg)
    entries = doc if isinstance(doc, list) else list(doc.values())
    for i, entry in enumerate(entries, start=1):
        value = entry.get("value")
        if isinstance(value, float) and not math.isfinite(value):
            msg = f"{name} entry {i} ({entry.get('id')}): value is not a finite number; write the figure."
            raise DataError(msg)
    facts: dict[str, dict[str, Any]] = {}
    if isinstance(doc, list):
        for i, entry in enumerate(doc, start=1):
            key = str(entry["id"])
            if key in facts:
                msg = f"{name} entry {i}: id {key!r} is used twice; ids must be unique."
                raise DataError(msg)
            facts[key] = dict(entry)
    else:
        for key, entry in doc.items():
            if "id" in entry and str(entry["id"]) != key:
                msg = f"{name} key {key!r}: its 'id' says {entry['id']!r}; make them the same or drop 'id'."
                raise DataError(msg)
            facts[key] = {"id": key, **entry}
    return facts


def load_facts(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read and check ``facts.json``.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    dict
        Facts keyed by id (empty for ``{}`` or ``[]``).

    Raises
    ------
    DataError
        Missing file, invalid JSON, or a document that does not fit the schema.
    """
    from analysis.datasets.encoding import read_text
    from analysis.datasets.geojson import parse_json

    file = Path(path)
    if not file.exists():
        msg = f"facts file {file} does not exist; write {{}} into it if the county has no reported figures."
        raise DataError(msg)
    text = read_text(file, what="facts").text
    if not text.strip():
        msg = f"{file} is empty; write {{}} for no facts, or a list of facts."
        raise DataError(msg)
    doc = parse_json(text, name=str(file))
    return validate_facts(doc, name=file.name)


__all__ = ["KNOWN_FACTS", "SCHEMA_PATH", "facts_schema", "load_facts", "validate_facts"]
