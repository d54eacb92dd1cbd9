"""A bounded memory of what was seen lately, forgetting its oldest one entry at a time."""

from __future__ import annotations

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

    Safe to share between threads: every step is one call on the underlying mapping, and a
    race costs at most one entry remembered or forgotten too many.
    """

    __slots__ = ("_items", "_limit", "_max_weight", "_weigh", "weight")

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
        ceiling = self._max_weight
        if ceiling is not None and weight > ceiling:
            return  # never held: it would push out everything else and still not fit
        while items and (
            len(items) >= self._limit or (ceiling is not None and self.weight + weight > ceiling)
        ):
            try:
                oldest, _ = items.popitem(last=False)
            except KeyError:  # another thread emptied it meanwhile
                break
            self.weight -= self._weigh(oldest)
        if not items:
            self.weight = 0  # nothing held: no drift from a race survives
        items[key] = value
        self.weight += weight
