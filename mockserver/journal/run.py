"""What a whole run left behind, as one value: the evidence a report is written from.

The engine builds it (`MockEngine.run_record()`); the report writer turns it into files. It
covers the run since the server started, resets included, with credentials shortened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from mockserver.core.documents import (
    JournalEntry,
    NearMiss,
    ProblemDocument,
    ProviderCoverage,
    Violation,
)
from mockserver.journal.coverage import combine


class RunRecord(msgspec.Struct, frozen=True):
    """The run's exchanges, violations, near misses and contract coverage."""

    version: str
    active: Mapping[str, str]  # provider -> the scenario active at the end
    exchanges: Sequence[JournalEntry]  # oldest first; the last the journal's ring holds
    violations: Sequence[Violation]  # the last the run kept, oldest first
    near_misses: Sequence[NearMiss]  # newest first
    coverage: Mapping[str, ProviderCoverage]  # as GET /__admin/coverage serves it
    exchanges_seen: int = 0  # every exchange of the run, those the ring dropped included
    violations_seen: int = 0  # every violation of the run
    # Each exchange's stretch of state (a reset or scenario load starts another): the earlier
    # exchanges of its flow are what a Pact provider state replays.
    flows: Sequence[int] = ()

    @property
    def providers(self) -> list[str]:
        return list(self.coverage)


def problems_by_request(violations: Sequence[Violation]) -> dict[int, list[ProblemDocument]]:
    """Each exchange's contract problems (request and response sides together), by its id."""
    found: dict[int, list[ProblemDocument]] = {}
    for violation in violations:
        found.setdefault(violation["request_id"], []).extend(violation["problems"])
    return found


def record_to_json(record: RunRecord) -> dict[str, object]:
    """The record as JSON (an xdist worker hands it to the controller this way)."""
    return {
        "version": record.version,
        "active": dict(record.active),
        "exchanges": list(record.exchanges),
        "violations": list(record.violations),
        "near_misses": list(record.near_misses),
        "coverage": dict(record.coverage),
        "exchanges_seen": record.exchanges_seen,
        "violations_seen": record.violations_seen,
        "flows": list(record.flows),
    }


def record_from_json(data: Mapping[str, Any]) -> RunRecord:
    """A record from `record_to_json`'s JSON (a worker's, handed over as it was written)."""
    return RunRecord(**data)


def combine_records(records: Sequence[RunRecord]) -> RunRecord:
    """Several runs (xdist workers, each with its own server) as one. Request ids start at 1
    in each run, so each run's are moved past the previous runs' to stay distinct."""
    exchanges: list[JournalEntry] = []
    violations: list[Violation] = []
    near_misses: list[NearMiss] = []
    flows: list[int] = []
    offset = 0
    for record in records:
        flow_offset = max(flows, default=-1) + 1  # each run's flows apart from the others'
        flows += [flow + flow_offset for flow in record.flows]
        exchanges += [{**e, "id": e["id"] + offset} for e in record.exchanges]
        violations += [{**v, "request_id": v["request_id"] + offset} for v in record.violations]
        near_misses += [
            {**n, "request": {**n["request"], "id": n["request"]["id"] + offset}}
            for n in record.near_misses
        ]
        offset += record.exchanges_seen
    first = records[0] if records else None
    return RunRecord(
        version=first.version if first else "",
        active=first.active if first else {},
        exchanges=exchanges,
        violations=violations,
        near_misses=near_misses,
        coverage=combine([r.coverage for r in records]),
        exchanges_seen=offset,
        violations_seen=sum(r.violations_seen for r in records),
        flows=flows,
    )
