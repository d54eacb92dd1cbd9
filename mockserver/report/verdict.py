"""The run's verdict: did the client keep the contract, was enough of it exercised, and the exit
status that says so."""

from __future__ import annotations

import msgspec

from mockserver.core.documents import Violation
from mockserver.journal.coverage import percent
from mockserver.journal.run import RunRecord

# How much of a path or a problem a one-line verdict shows.
LINE_CLIP = 160


class Verdict(msgspec.Struct, frozen=True):
    """What the run's evidence says, against the thresholds the caller set."""

    exchanges: int
    violations: int
    near_misses: int
    coverage_percent: float
    coverage_fail_under: float | None = None
    allow_violations: bool = False
    command_status: int | None = None  # the status of the command `mockserver run` ran

    @property
    def broke_contract(self) -> bool:
        return self.violations > 0 and not self.allow_violations

    @property
    def under_coverage(self) -> bool:
        return self.coverage_fail_under is not None and (
            self.coverage_percent < self.coverage_fail_under
        )

    @property
    def passed(self) -> bool:
        return not (self.command_status or self.broke_contract or self.under_coverage)

    def exit_status(self) -> int:
        """The command's own failure wins; then 1 for a broken contract or too little coverage."""
        if self.command_status:
            return self.command_status
        return 1 if self.broke_contract or self.under_coverage else 0

    def reasons(self) -> list[str]:
        found = []
        if self.command_status:
            found.append(f"the command exited with status {self.command_status}")
        if self.broke_contract:
            found.append(f"{_count(self.violations, 'contract violation')} recorded")
        if self.under_coverage:
            found.append(self.coverage_shortfall())
        return found

    def coverage_shortfall(self) -> str:
        """`contract coverage 4.2% is under 10%`."""
        return (
            f"contract coverage {self.coverage_percent:g}% is under {self.coverage_fail_under:g}%"
        )

    def headline(self) -> str:
        """`PASS` or `FAIL` with why, then the counts, on one line."""
        word = "PASS" if self.passed else "FAIL: " + "; ".join(self.reasons())
        allowed = " (allowed)" if self.violations and self.allow_violations else ""
        return (
            f"{word} — {_count(self.exchanges, 'exchange')}, "
            f"{_count(self.violations, 'contract violation')}{allowed}, "
            f"{_count(self.near_misses, 'near miss', 'near misses')}, "
            f"contract coverage {self.coverage_percent:g}%"
        )


def judge(
    record: RunRecord,
    *,
    allow_violations: bool = False,
    coverage_fail_under: float | None = None,
    command_status: int | None = None,
) -> Verdict:
    return Verdict(
        exchanges=record.exchanges_seen,
        violations=record.violations_seen,
        near_misses=len(record.near_misses),
        coverage_percent=percent(record.coverage),
        coverage_fail_under=coverage_fail_under,
        allow_violations=allow_violations,
        command_status=command_status,
    )


def violation_line(violation: Violation) -> str:
    """`PATCH /v1/appointments/appt_1 → 400  body.state: unknown field …` on one line."""
    problems = "; ".join(
        f"{p['location']}: {p['message']}" if p["location"] else p["message"]
        for p in violation["problems"]
    )
    request = f"{violation['method']} {clip_line(violation['path'])} → {violation['status']}"
    mock = " (the mock's own answer)" if violation["kind"] == "response" else ""
    return f"{request}  {clip_line(problems)}{mock}"


def verdict_lines(record: RunRecord, verdict: Verdict) -> list[str]:
    """The verdict for a terminal: the headline, then one line per violation kept."""
    lines = [verdict.headline()]
    lines += [f"  {violation_line(v)}" for v in record.violations]
    dropped = record.violations_seen - len(record.violations)
    if dropped > 0:
        lines.append(f"  … and {dropped} earlier violation(s) the journal no longer holds")
    return lines


def clip_line(text: str, limit: int = LINE_CLIP) -> str:
    """One line of at most `limit` characters: control characters and newlines become spaces."""
    flat = "".join(c if c.isprintable() else " " for c in text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"
