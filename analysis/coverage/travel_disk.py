"""Travel answers kept in a folder, so that every process serving one county shares them.

A travel answer (a few arrays) is written as ``.npy`` files named by a hash of the model's
identity (the road network and the settings travel depends on, given by the caller) and of the
question (profile, direction, cutoff, the source and target points). Each file is written whole
to a temporary name and moved into place (``os.replace``), so a reader sees a complete answer or
none; answers are read memory-mapped and read-only. The folder is bounded by bytes: past the
bound the least recently used answers are removed. An unreadable file is treated as missing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analysis import settings

logger = logging.getLogger(__name__)

#: Bumped whenever the arrays an answer holds change meaning.
ANSWERS_FORMAT = 1
_SUFFIX = ".npy"


def travel_settings_digest() -> str:
    """Hash of every setting a travel answer depends on besides the road network itself."""
    depends = {
        "format": ANSWERS_FORMAT,
        "profiles": list(settings.PROFILES),
        "speeds": settings.SPEED_KMH_BY_HIGHWAY,
        "default_speeds": settings.DEFAULT_SPEED_KMH,
        "access_speeds": settings.ACCESS_SPEED_KMH,
        "maxspeed_cap": settings.MAXSPEED_CAP_KMH,
        "ambulance_factor": settings.AMBULANCE_MAXSPEED_FACTOR,
        "peak": settings.PEAK_HOUR_FACTOR,
        "snap_limit_m": settings.MAX_SNAP_DISTANCE_M,
        "straight_speeds": settings.STRAIGHT_LINE_SPEED_KMH,
    }
    return hashlib.sha256(json.dumps(depends, sort_keys=True, default=str).encode()).hexdigest()


class DiskAnswers:
    """A folder of travel answers shared by processes (see the module docstring).

    Parameters
    ----------
    directory
        Where the answers are kept (created when missing).
    identity
        What the answers were computed on (e.g. a hash of the road network file); answers of
        another identity are never read.
    max_bytes
        Bound of the folder's answers; the least recently used go first beyond it.
    """

    def __init__(self, directory: Path | str, *, identity: str, max_bytes: int) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes = int(max_bytes)
        self._identity = hashlib.sha256(f"{identity}|{travel_settings_digest()}".encode()).hexdigest()
        self.reads = 0
        self.writes = 0

    def _name(self, key: tuple[Any, ...]) -> str:
        text = repr((self._identity, key)).encode()
        return hashlib.blake2b(text, digest_size=20).hexdigest()

    def _part(self, name: str, i: int) -> Path:
        return self.directory / f"{name}.{i}{_SUFFIX}"

    def load(self, key: tuple[Any, ...], parts: int) -> tuple[np.ndarray, ...] | None:
        """The answer to *key* (its *parts* arrays, read-only), or ``None`` when not kept.

        Parameters
        ----------
        key
            The question.
        parts
            Number of arrays of the answer.

        Returns
        -------
        tuple of numpy.ndarray or None
            Memory-mapped arrays.
        """
        name = self._name(key)
        # part 0 is written last: when it is there, the others are too
        first = self._part(name, 0)
        if not first.is_file():
            return None
        arrays = []
        try:
            for i in range(parts):
                # a plain read-only view of the mapped file (pickles as an array, not as a map)
                arrays.append(np.asarray(np.load(self._part(name, i), mmap_mode="r", allow_pickle=False)))
            with contextlib.suppress(OSError):
                os.utime(first)  # recently used
        except (OSError, ValueError) as exc:
            logger.info("travel answer %s unreadable (%s): computing it again", name, exc)
            return None
        self.reads += 1
        return tuple(arrays)

    def save(self, key: tuple[Any, ...], arrays: Sequence[np.ndarray]) -> None:
        """Keep the answer to *key* (a folder that cannot be written is logged, not fatal).

        Parameters
        ----------
        key
            The question.
        arrays
            The answer's arrays (numeric, never object arrays).
        """
        name = self._name(key)
        try:
            # the others first, part 0 last (see load)
            for i in (*range(1, len(arrays)), 0):
                fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=_SUFFIX)
                try:
                    with os.fdopen(fd, "wb") as fh:
                        np.save(fh, np.ascontiguousarray(arrays[i]), allow_pickle=False)
                    os.replace(tmp, self._part(name, i))
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise
        except OSError as exc:
            logger.warning("could not keep a travel answer in %s: %s", self.directory, exc)
            return
        self.writes += 1
        self._trim()

    def _trim(self) -> None:
        """Remove the least recently used answers until the folder is within its bound."""
        entries: list[tuple[float, str, int]] = []
        with contextlib.suppress(OSError), os.scandir(self.directory) as it:
            for entry in it:
                if entry.name.endswith(_SUFFIX) and not entry.name.startswith(".tmp-"):
                    with contextlib.suppress(OSError):
                        stat = entry.stat()
                        entries.append((stat.st_mtime, entry.name, stat.st_size))
        total = sum(size for _, _, size in entries)
        if total <= self.max_bytes:
            return
        by_answer: dict[str, list[tuple[float, str, int]]] = {}
        for item in entries:
            by_answer.setdefault(item[1].split(".", 1)[0], []).append(item)
        # an answer's age is that of its part 0 (touched on every read)
        order = sorted(
            by_answer.items(),
            key=lambda kv: (min((m for m, n, _ in kv[1] if n.endswith(f".0{_SUFFIX}")), default=0.0), kv[0]),
        )
        for _name, parts in order:
            if total <= self.max_bytes:
                break
            # part 0 first: a reader then sees the answer as missing, never half there
            for _, file, size in sorted(parts, key=lambda p: not p[1].endswith(f".0{_SUFFIX}")):
                with contextlib.suppress(OSError):
                    (self.directory / file).unlink()
                total -= size
