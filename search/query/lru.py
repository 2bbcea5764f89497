"""Least-recently-used caches, safe to share between threads.

Posting lists of common words are megabytes at a million documents; a count limit
alone would let a serving worker grow without bound, so the caches of
:mod:`.matching` and :mod:`.scoring` are bounded by the bytes of their arrays
(:class:`ArrayCache`). Search results are bounded by count (:class:`LruCache`).

A value is built outside the lock, so threads missing different keys build in
parallel (numpy releases the GIL); two threads missing the same key may both build
it, and the second value replaces the first. Values must not be modified by callers.
"""

from __future__ import annotations

import threading
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


class LruCache(Generic[V]):
    """Maps keys to values built on a miss; evicts the least recently used past a size.

    >>> cache: LruCache[int] = LruCache(2)
    >>> cache.get("a", lambda: 1), cache.get("b", lambda: 2), cache.get("c", lambda: 3)
    (1, 2, 3)
    >>> cache.get("a", lambda: 10)  # "a" was evicted, so it is built again
    10
    """

    def __init__(self, max_size: int, size_of: Callable[[V], int] = lambda _: 1) -> None:
        self._max_size = max_size
        self._size_of = size_of
        self._size = 0
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found[0]
        value = build()
        size = self._size_of(value)
        with self._lock:
            replaced = self._items.pop(key, None)
            if replaced is not None:
                self._size -= replaced[1]
            self._items[key] = (value, size)
            self._size += size
            while self._size > self._max_size and len(self._items) > 1:
                _, (_, dropped) = self._items.popitem(last=False)
                self._size -= dropped
        return value

    @property
    def size(self) -> int:
        """The size counted against ``max_size``: items, or bytes for an :class:`ArrayCache`."""
        with self._lock:
            return self._size

    def discard(self, key: Hashable) -> None:
        """Forget ``key`` (a value that must not be served again)."""
        with self._lock:
            dropped = self._items.pop(key, None)
            if dropped is not None:
                self._size -= dropped[1]


class ArrayCache(LruCache[V]):
    """An :class:`LruCache` bounded by the bytes of the numpy arrays it holds."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes, _nbytes)
