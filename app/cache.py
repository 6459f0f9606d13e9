"""A cache of computed documents bounded by bytes, with per-key single flight.

Concurrent first requests for one key compute it once (the others wait for that one computation);
requests for other keys and for keys already cached never wait on a computation. The lock is held only
for dictionary operations, never while computing.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd

T = TypeVar("T")

#: Deepest nesting :func:`size_of` follows into containers (documents are shallow; this bounds the walk).
_MAX_DEPTH = 12


def size_of(value: Any, _depth: int = 0) -> int:
    """Approximate memory held by *value*, bytes: exact for bytes/str/arrays/frames, summed for containers.

    Parameters
    ----------
    value
        A cached value: bytes, str, a pandas/geopandas frame, a numpy array, or containers of these.

    Returns
    -------
    int
    """
    if isinstance(value, bytes | bytearray | memoryview):
        return len(value) + 33
    if isinstance(value, str):
        return sys.getsizeof(value)
    if isinstance(value, np.ndarray):
        return int(value.nbytes) + 112
    if isinstance(value, pd.DataFrame | pd.Series):
        try:
            return (
                int(value.memory_usage(deep=True).sum())
                if isinstance(value, pd.DataFrame)
                else int(value.memory_usage(deep=True))
            )
        except (TypeError, ValueError):  # geometry columns: count their WKB size instead
            return sys.getsizeof(value) + 200 * len(value)
    if _depth >= _MAX_DEPTH:
        return sys.getsizeof(value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(
            size_of(k, _depth + 1) + size_of(v, _depth + 1) for k, v in value.items()
        )
    if isinstance(value, list | tuple | set | frozenset):
        return sys.getsizeof(value) + sum(size_of(v, _depth + 1) for v in value)
    sized = getattr(value, "nbytes", None)
    if isinstance(sized, int):
        return sized
    if hasattr(value, "__dict__"):
        return sys.getsizeof(value) + size_of(vars(value), _depth + 1)
    if hasattr(value, "__dataclass_fields__"):
        return sys.getsizeof(value) + sum(
            size_of(getattr(value, name), _depth + 1) for name in value.__dataclass_fields__
        )
    return sys.getsizeof(value)


@dataclass
class _Flight:
    """One computation in progress: the others asking for its key wait on *done*."""

    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None


class ByteBoundedCache(Generic[T]):
    """Least-recently-used cache whose total size (see :func:`size_of`) stays under *max_bytes*.

    Parameters
    ----------
    max_bytes
        Budget of the cached values; the least recently used are dropped to stay under it. A value
        larger than the whole budget is returned but not kept.
    sizer
        Size of a value in bytes; default :func:`size_of`.
    """

    def __init__(self, max_bytes: int, *, sizer: Callable[[Any], int] = size_of) -> None:
        self.max_bytes = int(max_bytes)
        self._sizer = sizer
        self._data: OrderedDict[Hashable, tuple[T, int]] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}
        self._lock = threading.Lock()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._data

    @property
    def nbytes(self) -> int:
        """Total size of the cached values, bytes."""
        return self._bytes

    def peek(self, key: Hashable) -> tuple[bool, T | None]:
        """``(True, value)`` when *key* is cached (marking it recently used), else ``(False, None)``."""
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return False, None
            self._data.move_to_end(key)
            self.hits += 1
            return True, entry[0]

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value of *key*; on a miss compute it once, however many threads ask at the same time.

        Errors are passed to every waiting caller and not cached.
        """
        with self._lock:
            entry = self._data.get(key)
            if entry is not None:
                self._data.move_to_end(key)
                self.hits += 1
                return entry[0]
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
                self.misses += 1
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            value: T = flight.value
            return value
        try:
            value = compute()
        except BaseException as exc:
            flight.error = exc
            with self._lock:
                del self._flights[key]
            flight.done.set()
            raise
        size = self._sizer(value)
        with self._lock:
            if size <= self.max_bytes:
                self._data[key] = (value, size)
                self._bytes += size
                while self._bytes > self.max_bytes and self._data:
                    _, (_, dropped) = self._data.popitem(last=False)
                    self._bytes -= dropped
            del self._flights[key]
        flight.value = value
        flight.done.set()
        return value

    async def aget_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """:meth:`get_or_compute` for a coroutine: a hit answers on the event loop, a miss computes in a
        thread of the request thread pool (so only misses ever take a thread)."""
        found, value = self.peek(key)
        if found:
            return value  # type: ignore[return-value]
        import anyio.to_thread

        return await anyio.to_thread.run_sync(self.get_or_compute, key, compute)

    def clear(self) -> None:
        """Forget every cached value (computations in flight still finish)."""
        with self._lock:
            self._data.clear()
            self._bytes = 0
