"""What a world's run shows, read from its journal: near misses, contract coverage, the journal
with its flows, and the record a report is written from."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from mockserver.core.documents import CoverageReport, JournalEntry, NearMiss
from mockserver.core.resources import package_version
from mockserver.core.routing import Operation
from mockserver.journal.coverage import Coverage
from mockserver.journal.coverage import report as coverage_report
from mockserver.journal.near_misses import latest_near_misses
from mockserver.journal.recorder import Recorder
from mockserver.journal.run import RunRecord
from mockserver.providers import AnyProvider
from mockserver.scenarios.catalog import Scenario


class Evidence:
    """Reads a world's journal and coverage counts; it keeps nothing of its own."""

    def __init__(
        self,
        journal: Recorder,
        coverage: Coverage,
        providers: Mapping[str, AnyProvider],
        active: Callable[[], Mapping[str, Scenario]],
    ) -> None:
        self._journal = journal
        self._coverage = coverage
        self._providers = providers
        self._active = active  # the scenarios in force now (a reset swaps them)

    def coverage(self) -> CoverageReport:
        """Every outcome of every documented operation, with how often it was exercised."""
        universe = {name: p.coverage_universe() for name, p in self._providers.items()}
        return coverage_report(universe, self._coverage.counts(), self._coverage.scenarios())

    def near_misses(self, limit: int = 50) -> list[NearMiss]:
        """The latest `limit` near misses, newest first (see journal/near_misses.py)."""
        journal = self._journal
        return latest_near_misses(
            journal.exchanges(), journal.violations(), self._operations(), limit, journal.secrets
        )

    def journal_with_flows(self) -> tuple[list[JournalEntry], list[int]]:
        """The journal (credentials shortened), each entry with its flow (see Exchange.flow)."""
        exchanges = self._journal.exchanges()
        return [e.to_json(secrets=False) for e in exchanges], [e.flow for e in exchanges]

    def record(self) -> RunRecord:
        """This world's whole run: every exchange and violation since the start (as far as the
        ring reaches), near misses, coverage; credentials shortened."""
        journal = self._journal
        exchanges = journal.run_exchanges()
        violations = journal.run_violations()
        return RunRecord(
            version=package_version(),
            active={provider: s.name for provider, s in self._active().items()},
            exchanges=[e.to_json(secrets=False) for e in exchanges],
            flows=[e.flow for e in exchanges],
            violations=violations,
            near_misses=latest_near_misses(exchanges, violations, self._operations(), None, False),
            coverage=self.coverage(),
            exchanges_seen=journal.total_seen,
            violations_seen=journal.run_violation_count,
        )

    def _operations(self) -> dict[str, Sequence[Operation]]:
        return {name: p.router.operations for name, p in self._providers.items()}
