"""What the mock saw and what went wrong: the journal and the contract violations.

One lock guards both, so a reader (the admin API, a test's assertion) never sees a
half-recorded exchange, and clearing races no request. Clearing (a reset) empties what the admin
API lists, not the run's record a report is written from.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence

from mockserver.core.contracts import Problem
from mockserver.core.documents import JournalEntry, Violation
from mockserver.core.patterns import RequestPattern
from mockserver.journal.ring import (
    Exchange,
    Journal,
    JournalQuery,
    JournalSettings,
    Page,
)


class Recorder:
    def __init__(self, settings: JournalSettings | None = None) -> None:
        settings = settings or JournalSettings()
        size = settings.size
        self._journal = Journal(settings)
        # Since the last reset, as many as the journal keeps exchanges (their evidence): a client
        # that never resets cannot grow them without end.
        self._violations: deque[Violation] = deque(maxlen=size)
        # The run's violations for its verdict: resets do not clear them. Kept as many as the
        # journal's exchanges (their evidence), counted all.
        self._run_violations: deque[Violation] = deque(maxlen=size)
        self.run_violation_count = 0
        self._lock = threading.Lock()

    def record(
        self,
        entry: Exchange,
        request_problems: Sequence[Problem],
        response_problems: Sequence[Problem],
    ) -> Exchange:
        """Journal one exchange; each side's problems become a violation that names it."""
        entry.broke_contract = bool(request_problems or response_problems)
        with self._lock:
            self._journal.record(entry)
            for kind, problems in (("request", request_problems), ("response", response_problems)):
                if problems:
                    found = _violation(kind, entry, problems)
                    self._violations.append(found)
                    self._run_violations.append(found)
                    self.run_violation_count += 1
        return entry

    def mark(self, marker: str, **details: object) -> None:
        """A marker line in the journal file (a reset, a scenario switch, a clock move)."""
        with self._lock:
            self._journal.mark(marker, details)

    def client_disconnected(self, exchange_id: int) -> None:
        """The client of that exchange went away before its answer: the entry says so, and the
        journal file gets a marker line naming it (its own line was written already)."""
        with self._lock:
            found = self._journal.find(exchange_id)
            if found is not None:
                found.client_disconnected = True
            self._journal.mark("client_disconnected", {"id": exchange_id})

    def requests(self, pattern: RequestPattern | None = None) -> list[JournalEntry]:
        with self._lock:
            return self._journal.entries(pattern)

    def page(self, query: JournalQuery) -> Page:
        # Searched outside the lock (exchanges do not change once recorded): a long search
        # never holds up the requests being recorded meanwhile.
        return self._journal.page(query, self.exchanges())

    def exchanges(self) -> list[Exchange]:
        """The journaled exchanges themselves, oldest first (read-only use)."""
        with self._lock:
            return self._journal.exchanges()

    def closest(
        self, pattern: RequestPattern, limit: int = 10
    ) -> list[tuple[JournalEntry, list[str]]]:
        return self._journal.ranked(pattern, limit, self.exchanges())

    @property
    def secrets(self) -> bool:
        return self._journal.secrets

    @property
    def total_seen(self) -> int:
        return self._journal.total

    def violations(self) -> list[Violation]:
        with self._lock:
            return [v.copy() for v in self._violations]

    @property
    def journal_bytes(self) -> int:
        return self._journal.held_bytes

    def run_exchanges(self) -> list[Exchange]:
        """The run's exchanges (the last the ring holds), resets and all, oldest first."""
        with self._lock:
            return self._journal.run()

    def run_violations(self) -> list[Violation]:
        """The run's violations (the last `size` of them), resets and all."""
        with self._lock:
            return [v.copy() for v in self._run_violations]

    def clear_requests(self) -> None:
        with self._lock:
            self._journal.clear()

    def clear_violations(self) -> None:
        with self._lock:
            self._violations.clear()

    def clear(self) -> None:
        with self._lock:
            self._journal.clear()
            self._violations.clear()
            self._journal.flow += 1

    def new_flow(self) -> None:
        """The state starts afresh (a scenario loaded): later exchanges do not build on earlier
        ones, which a Pact export's provider states must know."""
        with self._lock:
            self._journal.flow += 1

    def close(self) -> None:
        with self._lock:
            self._journal.close()


def _violation(kind: str, entry: Exchange, problems: Sequence[Problem]) -> Violation:
    assert entry.provider is not None and entry.at is not None  # only a provider's exchanges
    return {
        "kind": kind,
        "provider": entry.provider,
        "request_id": entry.id,
        "at": entry.at,
        "method": entry.method,
        "path": entry.path,
        "status": entry.status,
        "problems": [p.to_json() for p in problems],
    }
