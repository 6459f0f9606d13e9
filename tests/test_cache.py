"""The byte-bounded single-flight cache of the service."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pandas as pd
import pytest

from app.cache import ByteBoundedCache, size_of


def _bytes_sizer(value: Any) -> int:
    return len(value)


def test_evicts_least_recently_used_to_stay_under_the_byte_budget() -> None:
    cache: ByteBoundedCache[bytes] = ByteBoundedCache(25, sizer=_bytes_sizer)
    calls: list[str] = []

    def make(key: str, n: int) -> Any:
        def compute() -> bytes:
            calls.append(key)
            return b"x" * n

        return compute

    assert cache.get_or_compute("a", make("a", 10)) == b"x" * 10
    assert cache.get_or_compute("b", make("b", 10)) == b"x" * 10
    assert cache.get_or_compute("a", make("a", 99)) == b"x" * 10  # hit: "a" becomes most recent
    cache.get_or_compute("c", make("c", 10))  # 30 bytes > 25: evicts "b", the least recently used
    assert cache.nbytes == 20
    assert "b" not in cache and "a" in cache and "c" in cache
    cache.get_or_compute("big", make("big", 26))  # larger than the whole budget: returned, not kept
    assert "big" not in cache and cache.nbytes == 20
    assert calls == ["a", "b", "c", "big"]


def test_concurrent_first_requests_compute_once_and_other_keys_do_not_wait() -> None:
    cache: ByteBoundedCache[str] = ByteBoundedCache(10_000)
    release = threading.Event()
    calls: list[str] = []
    results: list[str] = []

    def slow() -> str:
        calls.append("slow")
        release.wait(10)
        return "slow value"

    threads = [
        threading.Thread(target=lambda: results.append(cache.get_or_compute("k", slow))) for _ in range(5)
    ]
    for t in threads:
        t.start()
    time.sleep(0.2)
    # While "k" computes, a cached key and another key are answered without waiting for it.
    cache.get_or_compute("other", lambda: "fast")
    t0 = time.perf_counter()
    assert cache.get_or_compute("other", lambda: "never") == "fast"
    assert cache.get_or_compute("third", lambda: "also fast") == "also fast"
    assert time.perf_counter() - t0 < 0.5
    release.set()
    for t in threads:
        t.join(10)
    assert calls == ["slow"]
    assert results == ["slow value"] * 5


def test_errors_reach_every_waiter_and_are_not_cached() -> None:
    cache: ByteBoundedCache[int] = ByteBoundedCache(1000)
    attempts: list[int] = []

    def failing() -> int:
        attempts.append(1)
        raise ValueError("bad scenario")

    with pytest.raises(ValueError, match="bad scenario"):
        cache.get_or_compute("k", failing)
    assert "k" not in cache
    assert cache.get_or_compute("k", lambda: 7) == 7
    assert attempts == [1]


def test_size_of_counts_bytes_arrays_and_frames() -> None:
    assert size_of(b"x" * 1000) >= 1000
    assert size_of(np.zeros(1000)) >= 8000
    frame = pd.DataFrame({"a": np.zeros(1000), "b": ["text"] * 1000})
    assert size_of(frame) >= 8000 + 1000 * 4
    assert size_of({"doc": b"y" * 500, "cells": frame}) > size_of(frame) + 500
