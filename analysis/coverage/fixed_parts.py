"""Parts of a run that no threshold changes, remembered across runs on the same inputs and travel.

The town table, the standards that count facilities (ambulances, AEDs, beds, clinics, washing
centres), accessibility, shortfalls and the inequality of travel minutes depend on the inputs,
the travel model, the settings and the travel options (profiles, period, radii) — never on ``minutes``,
``dispatch_minutes``, ``ems_minutes`` or ``required_share``. A run that only changes those
takes each part from here. A part is handed out as a copy (a run may add to what it gets without
changing what the next run gets), or as is when it is shared: never changed by anyone.
"""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

from analysis import settings

if TYPE_CHECKING:
    from analysis.coverage.options import ResolvedOptions
    from analysis.datasets import Inputs

T = TypeVar("T")

#: Distinct (inputs, travel, travel options) remembered; the least recently used go first.
MAX_RUNS = 8

_LOCK = threading.Lock()
_RUNS: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], FixedParts]] = OrderedDict()


class FixedParts:
    """The threshold-free parts of runs on one set of inputs, travel and travel options."""

    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}
        self.hits = 0

    def get(self, name: Hashable, compute: Callable[[], T], *, shared: bool = False) -> T:
        """The part *name*, computed by *compute* the first time.

        Parameters
        ----------
        name
            Which part (unique within a run).
        compute
            Builds the part.
        shared
            Hand out the part itself (it is never changed: frozen tables of arrays), not a copy.

        Returns
        -------
        object
            A copy of the remembered part (a deep one: through pickle), or the part when shared.
        """
        if name in self._values:
            self.hits += 1
        else:
            value = compute()
            self._values[name] = value if shared else pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        kept = self._values[name]
        return kept if shared else pickle.loads(kept)  # type: ignore[no-any-return]


def _settings_stamp() -> int:
    """Hash of every setting's current value: a changed setting is a new set of parts."""
    return hash(tuple((name, repr(value)) for name, value in vars(settings).items() if name.isupper()))


def fixed_parts(inputs: Inputs, travel: Any, opts: ResolvedOptions) -> FixedParts:
    """The remembered parts of runs on *inputs* with *travel* and the travel options of *opts*.

    Parameters
    ----------
    inputs
        The run's inputs (never mutated: the same objects give the same parts).
    travel
        The run's travel model (the remembering wrapper, before the period is applied).
    opts
        The run's options; only those that change travel or what it is cut at count.

    Returns
    -------
    FixedParts
        Shared by every run with the same inputs, travel and travel options.
    """
    keep = (inputs.facilities, inputs.population.cells, inputs.towns, inputs.facts, travel)
    key = (
        *(id(obj) for obj in keep),
        _settings_stamp(),
        opts.profile,
        opts.ems_profile,
        opts.period,
        opts.ems_radius_m,
        opts.aed_walk_radius_m,
    )
    with _LOCK:
        entry = _RUNS.get(key)
        # the objects are kept with their parts, so their ids are not reused while remembered
        if entry is not None and all(a is b for a, b in zip(entry[0], keep, strict=True)):
            _RUNS.move_to_end(key)
            return entry[1]
        parts = FixedParts()
        _RUNS[key] = (keep, parts)
        while len(_RUNS) > MAX_RUNS:
            _RUNS.popitem(last=False)
        return parts
