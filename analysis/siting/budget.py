"""A wall-clock budget for one siting run: model build and solve share it, and it reports progress.

The budget starts when it is made (before candidates and travel times are computed), so the time left for
the solver is what the earlier steps did not use. A caller may also stop a run early with ``stop``; the
solver then keeps its best solution so far, labelled as such.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from analysis.errors import ParameterError

#: Receives progress documents: ``phase``, ``message``, ``elapsed_seconds`` and, while solving,
#: ``incumbent``, ``bound``, ``gap_percent`` and ``objective`` (what the two numbers measure).
ProgressCallback = Callable[[dict[str, Any]], None]


@dataclass
class Budget:
    """Seconds allowed for a whole run, counted from creation.

    Parameters
    ----------
    seconds
        The allowance, seconds (positive and finite).
    on_progress
        Called with a progress document at each step and, while solving, about twice a second.
    stop
        Set it to end the run early with the best solution found so far.
    """

    seconds: float
    on_progress: ProgressCallback | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.perf_counter)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.seconds) and self.seconds > 0):
            msg = f"the time budget must be a positive number of seconds, got {self.seconds}; e.g. 60"
            raise ParameterError(msg)

    def elapsed(self) -> float:
        """Seconds since the budget started."""
        return time.perf_counter() - self.started

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(self.seconds - self.elapsed(), 0.0)

    def report(self, phase: str, message: str, **values: Any) -> None:
        """Send a progress document to ``on_progress`` (if any)."""
        if self.on_progress is not None:
            doc = {"phase": phase, "message": message, "elapsed_seconds": round(self.elapsed(), 3)}
            doc.update(values)
            self.on_progress(doc)
