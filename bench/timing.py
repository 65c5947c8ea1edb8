"""Timing shared by the benchmarks, so every figure they print is measured the same way."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def timings(n: int, fn: Callable[[], Any]) -> list[float]:
    """Wall-clock seconds of ``n`` calls of ``fn``, one after another."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def best_of(n: int, fn: Callable[[], Any]) -> float:
    """The fastest of ``n`` calls: the least noisy estimate on a shared machine."""
    return min(timings(n, fn))
