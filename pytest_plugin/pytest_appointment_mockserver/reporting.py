"""`--mockserver-report-dir DIR`: the run's report, as `mockserver run` writes it, from the
plugin's own server (one per xdist worker, combined by the controller).

Violations a test declared with `expect_violation` are left out: they are the test's point.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from msgspec.structs import replace

from mockserver.engine.facade import MockEngine
from mockserver.journal.run import (
    combine_records,
    record_from_json,
    record_to_json,
)
from mockserver.report.target import ReportTarget
from mockserver.report.verdict import Verdict


def worker_record(engine: MockEngine, expected: Collection[int]) -> dict[str, Any]:
    """This process's run, without the violations its tests expected, as JSON."""
    record = engine.run_record()
    kept = [v for v in record.violations if v["request_id"] not in expected]
    dropped = len(record.violations) - len(kept)
    record = replace(record, violations=kept, violations_seen=record.violations_seen - dropped)
    return record_to_json(record)


def write(
    parts: Sequence[dict[str, Any]], directory: Path, coverage_fail_under: float | None
) -> Verdict:
    """Combine the workers' runs and write the report; OSError when it cannot be written."""
    record = combine_records([record_from_json(part) for part in parts])
    target = ReportTarget(directory, coverage_fail_under=coverage_fail_under)
    verdict = target.judge(record)
    target.write(record, verdict)
    return verdict
