"""One byte budget for every journal of a server: the default session's and each session's.

`--journal-max-bytes` bounds what all of a server's journals hold together, so a server with
many sessions holds no more than one with none. Past the budget, the journal holding the most
bytes gives up its oldest exchanges first [mock]: one noisy session cannot wipe another's
evidence (nor the default session's) while it holds more than they do, and a session made empty
costs nothing. A journal keeps its last exchange while it records.

Finding the largest journal looks at each once, so it runs only when the total passes the
budget, and then frees `slack` (1/64 of the budget, at most 1 MiB) beyond what was needed. A
request pays, amortised, one look at each journal for every `slack` bytes recorded: with the
default 64 MiB budget, 1/64 of a look a journal for a 16 KiB entry. The cap keeps the one
request that pays short (a 64 GiB budget would otherwise free 1 GiB of exchanges inside it) at
the price of more frequent looks past 64 MiB: 1,000 journals and 64 KiB entries make about
60 looks a request, some microseconds.
"""

from __future__ import annotations

import threading
import weakref
from typing import Protocol

SLACK_FRACTION = 64
MOST_SLACK_BYTES = 1024 * 1024


class Account:
    """What one journal holds, in bytes, on the budget's ledger."""

    __slots__ = ("held",)

    def __init__(self) -> None:
        self.held = 0


class Payer(Protocol):
    """A journal, as the budget sees it."""

    account: Account

    def give_up(self, wanted: int, keep_last: bool) -> int:
        """Drop its oldest exchanges until `wanted` bytes are freed (or none are left, save the
        last one when `keep_last`); the bytes freed. Called holding the budget's lock."""
        ...


class JournalBudget:
    """The shared ledger. Every change to a journal's exchanges happens under its `lock`, so a
    journal may give up exchanges for another's sake whatever thread records."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.slack = min(max_bytes // SLACK_FRACTION, MOST_SLACK_BYTES)
        self.total = 0  # bytes held by every journal on the ledger
        self.lock = threading.Lock()
        self._journals: weakref.WeakSet[Payer] = weakref.WeakSet()
        # Accounts of journals collected since, settled at the next rebalance: a finalizer may
        # run in the middle of anything, so it only appends here.
        self.released: list[Account] = []

    def join(self, journal: Payer) -> None:
        with self.lock:
            self._journals.add(journal)
        weakref.finalize(journal, self.released.append, journal.account)

    def held(self) -> int:
        """The bytes every journal holds together."""
        with self.lock:
            self._settle()
            return self.total

    def rebalance(self, writer: Payer) -> None:
        """Settle the collected journals' accounts; past the budget, make room (`writer` keeps
        its last exchange). A journal adds what it records to its account and to `total`
        holding `lock`, and calls this only when `total` passed `max_bytes` or `released`
        holds accounts: the usual record pays two additions."""
        self._settle()
        if self.total > self.max_bytes:
            self._evict(writer, self.max_bytes - self.slack)

    def _settle(self) -> None:
        while self.released:
            self.total -= self.released.pop().held

    def _evict(self, writer: Payer, target: int) -> None:
        spent: set[int] = set()  # journals with nothing more to give
        while self.total > target:
            payers = [j for j in self._journals if id(j) not in spent]
            if not payers:
                return
            largest = max(payers, key=lambda j: j.account.held)
            freed = largest.give_up(self.total - target, keep_last=largest is writer)
            largest.account.held -= freed
            self.total -= freed
            spent.add(id(largest))
