"""Where a run's report goes and what its verdict demands: the settings `serve`, `run` and the
pytest plugin share."""

from __future__ import annotations

from pathlib import Path

import msgspec

from mockserver.core.collector import collector_paused
from mockserver.journal.run import RunRecord
from mockserver.report.pact import pact_files
from mockserver.report.verdict import Verdict, judge
from mockserver.report.writer import DEFAULT_BASE_URL, write_report


class ReportTarget(msgspec.Struct, frozen=True):
    """A report directory (or none: a verdict only) and the verdict's thresholds."""

    directory: Path | None = None
    allow_violations: bool = False
    coverage_fail_under: float | None = None
    pact_consumer: str = "client"  # the consumer named in pacts/<consumer>-<provider>.json

    def judge(self, record: RunRecord, command_status: int | None = None) -> Verdict:
        return judge(
            record,
            allow_violations=self.allow_violations,
            coverage_fail_under=self.coverage_fail_under,
            command_status=command_status,
        )

    def write(
        self, record: RunRecord, verdict: Verdict, base_url: str = DEFAULT_BASE_URL
    ) -> list[Path]:
        """The files written (none without a directory); OSError when it cannot be written."""
        if self.directory is None:
            return []
        flows = record.flows or [0] * len(record.exchanges)
        with collector_paused():
            extra = pact_files(self.pact_consumer, record.exchanges, flows, record.version)
            return write_report(record, self.directory, verdict, base_url=base_url, extra=extra)
