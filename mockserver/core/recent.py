"""A bounded memory of what was seen lately, forgetting its oldest one entry at a time."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _weightless(key: object) -> int:
    return 0


class Recent(Generic[K, V]):
    """Values remembered by key: at most `limit` of them, weighing at most `max_weight`
    together (each key's weight given by `weigh`). Past either bound, the oldest are forgotten
    first, one by one.

    One by one, because forgetting everything at once when full freed thousands of entries
    during a single request: a stall of milliseconds, every few thousand requests, on a busy
    server. Forgetting the oldest spreads that cost evenly.

    Safe to share between threads: reading takes one call on the underlying mapping, and
    remembering holds a lock, taken only on a miss. Without it, two threads adding to the
    running weight at once lost one of the additions for good (the memory is never empty again
    to start over), so it came to hold more than `max_weight`, or less and less of it.
    """

    __slots__ = ("_items", "_limit", "_lock", "_max_weight", "_weigh", "weight")

    def __init__(
        self,
        limit: int,
        *,
        max_weight: int | None = None,
        weigh: Callable[[K], int] = _weightless,
    ) -> None:
        if limit < 1:
            raise ValueError("a memory of recent entries must hold at least one")
        self._items: OrderedDict[K, V] = OrderedDict()
        self._limit = limit
        self._max_weight = max_weight
        self._weigh = weigh
        self.weight = 0  # of the entries held
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: K) -> bool:
        return key in self._items

    def get(self, key: K) -> V | None:
        return self._items.get(key)

    def remember(self, key: K, value: V) -> None:
        """Hold `value` under `key`, forgetting the oldest entries as far as the bounds need."""
        items = self._items
        if key in items:
            return
        weight = self._weigh(key)
        if self._max_weight is not None and weight > self._max_weight:
            return  # never held: it would push out everything else and still not fit
        with self._lock:
            if key in items:  # another thread's, meanwhile
                return
            while items and self._full(weight):
                oldest, _ = items.popitem(last=False)
                self.weight -= self._weigh(oldest)
            items[key] = value
            self.weight += weight

    def _full(self, adding: int) -> bool:
        """No room for one more entry weighing `adding` without forgetting one."""
        ceiling = self._max_weight
        return len(self._items) >= self._limit or (
            ceiling is not None and self.weight + adding > ceiling
        )
