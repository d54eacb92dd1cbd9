"""What a whole run left behind, as one value: the evidence a report is written from.

The engine builds it (`MockEngine.run_record()`); the report writer turns it into files. It
covers the run since the server started, resets included, with credentials shortened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mockserver.core.documents import JournalEntry, ProblemDocument, Violation


@dataclass(frozen=True)
class RunRecord:
    """The run's exchanges, violations, near misses and contract coverage."""

    version: str
    active: Mapping[str, str]  # provider -> the scenario active at the end
    exchanges: Sequence[JournalEntry]  # oldest first; the last the journal's ring holds
    violations: Sequence[Violation]  # the last the run kept, oldest first
    near_misses: Sequence[Mapping[str, Any]]  # newest first
    coverage: Mapping[str, Any]  # as GET /__admin/coverage serves it
    exchanges_seen: int = 0  # every exchange of the run, those the ring dropped included
    violations_seen: int = 0  # every violation of the run

    @property
    def providers(self) -> list[str]:
        return list(self.coverage)


def problems_by_request(violations: Sequence[Violation]) -> dict[int, list[ProblemDocument]]:
    """Each exchange's contract problems (request and response sides together), by its id."""
    found: dict[int, list[ProblemDocument]] = {}
    for violation in violations:
        found.setdefault(violation["request_id"], []).extend(violation["problems"])
    return found
