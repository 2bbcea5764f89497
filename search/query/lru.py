"""A least-recently-used cache bounded by the bytes of the arrays it holds.

Posting lists of common words are megabytes at a million documents; a count limit
alone would let a serving worker grow without bound, so the caches of
:mod:`.matching` and :mod:`.scoring` are bounded by size.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import numpy as np

V = TypeVar("V")


def _nbytes(value: object) -> int:
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, tuple):
        return sum(_nbytes(part) for part in value)
    return 64


class ArrayCache(Generic[V]):
    """Maps keys to values built on a miss; evicts the least recently used past a size."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
            return found[0]
        value = build()
        size = _nbytes(value)
        self._items[key] = (value, size)
        self._bytes += size
        while self._bytes > self._max_bytes and len(self._items) > 1:
            _, (_, dropped) = self._items.popitem(last=False)
            self._bytes -= dropped
        return value
