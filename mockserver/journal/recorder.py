"""What the mock saw and what went wrong: the journal and the contract violations.

One lock guards both, so a reader (the admin API, a test's assertion) never sees a
half-recorded exchange, and clearing races no request.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from mockserver.core.contracts import Problem
from mockserver.core.documents import JournalEntry, Violation
from mockserver.core.patterns import RequestPattern
from mockserver.journal.ring import DEFAULT_JOURNAL_SIZE, Exchange, Journal, JournalQuery, Page


class Recorder:
    def __init__(
        self,
        size: int = DEFAULT_JOURNAL_SIZE,
        file: Path | None = None,
        *,
        secrets: bool = False,
        session: str | None = None,
    ) -> None:
        self._journal = Journal(size, file, secrets=secrets, session=session)
        self._violations: list[Violation] = []
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
            if request_problems:
                self._violations.append(_violation("request", entry, request_problems))
            if response_problems:
                self._violations.append(_violation("response", entry, response_problems))
        return entry

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
